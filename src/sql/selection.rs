//! Resolving `fields` (with `*`, dot paths, `alias` and `deep`) into a tree
//! of what each level of the response holds.

use super::functions::{output_name, parse_call, Func};
use super::scope::{forbidden_collection, forbidden_field};
use crate::access::{Action, FieldSet, PolicyGrants};
use crate::error::{ApiError, ApiResult};
use crate::query::Query;
use crate::schema::{Collection, Field, FieldRelation, SchemaSnapshot};

/// What one level of the response holds, in output order.
#[derive(Debug)]
pub struct Selection<'a> {
    pub coll: &'a Collection,
    pub entries: Vec<Entry<'a>>,
    /// The relational path of this level from the root (`""` at the root).
    pub path: String,
}

/// One key of a response object.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The key in the response (the field name, or its alias).
    pub key: String,
    pub kind: EntryKind<'a>,
}

#[derive(Debug)]
pub enum EntryKind<'a> {
    /// A column's value (an m2o column not expanded gives the foreign key).
    Column(&'a Field),
    /// `year(date)` and friends.
    Function(Func, &'a Field),
    /// An m2o expanded into the related object.
    ManyToOne { field: &'a Field, related: Selection<'a> },
    /// An o2m expanded into related objects, shaped by the `deep` sub-query.
    OneToMany { field: &'a Field, related: Selection<'a>, query: Query },
    /// An o2m not expanded: the related primary keys.
    OneToManyKeys { field: &'a Field, related: &'a Collection, query: Query },
}

/// One requested path, split, and whether it came from a wildcard (which
/// tolerates segments that do not apply, as `*.*` on a plain field).
struct Path<'p> {
    segments: Vec<&'p str>,
    from_wildcard: bool,
}

/// Who reads: the caller's grants (`None`: everything) and the schema.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub schema: &'a SchemaSnapshot,
    pub grants: Option<&'a PolicyGrants>,
}

impl<'a> Reader<'a> {
    /// The fields of `coll` the caller may read; `None` when the collection
    /// is not readable at all.
    fn readable(&self, coll: &Collection) -> Option<Option<&'a FieldSet>> {
        match self.grants {
            None => Some(None),
            Some(g) => g.get(&coll.name, Action::Read).map(|grant| Some(&grant.fields)),
        }
    }
}

/// Resolves a query's `fields` against `coll`, as the caller may read them:
/// `*` means the readable fields; naming another is FORBIDDEN.
pub fn select<'a>(reader: Reader<'a>, coll: &'a Collection, query: &Query) -> ApiResult<Selection<'a>> {
    let requested: Vec<String> = match &query.fields {
        Some(f) if !f.is_empty() => f.clone(),
        _ => vec!["*".to_string()],
    };
    let paths = requested.iter().map(|p| Path { segments: p.split('.').collect(), from_wildcard: false }).collect();
    select_paths(reader, coll, paths, query, "")
}

/// Requested first segments with their sub-paths and whether only
/// wildcards asked for them, in first-seen order.
type Heads<'p> = Vec<(String, Vec<Path<'p>>, bool)>;

fn add_head<'p>(heads: &mut Heads<'p>, name: &str, rest: Path<'p>) {
    let i = match heads.iter().position(|(n, _, _)| n == name) {
        Some(i) => i,
        None => {
            heads.push((name.to_string(), Vec::new(), true));
            heads.len() - 1
        }
    };
    if !rest.from_wildcard {
        heads[i].2 = false;
    }
    if !rest.segments.is_empty() {
        heads[i].1.push(rest);
    }
}

fn select_paths<'a>(
    reader: Reader<'a>,
    coll: &'a Collection,
    paths: Vec<Path>,
    query: &Query,
    path: &str,
) -> ApiResult<Selection<'a>> {
    let readable = reader.readable(coll).ok_or_else(|| forbidden_collection(&coll.name, path))?;
    let may_read = |name: &str| readable.is_none_or(|f| f.contains(name));
    let mut heads: Heads = Vec::new();
    for p in paths {
        let Some((&head, rest)) = p.segments.split_first() else {
            continue;
        };
        if head == "*" {
            for f in coll.fields.iter().filter(|f| !f.derived && may_read(&f.name)) {
                add_head(&mut heads, &f.name, Path { segments: rest.to_vec(), from_wildcard: true });
            }
            // Aliases are part of "everything" too.
            for a in query.alias.keys() {
                add_head(&mut heads, a, Path { segments: rest.to_vec(), from_wildcard: true });
            }
        } else if !head.is_empty() {
            add_head(&mut heads, head, Path { segments: rest.to_vec(), from_wildcard: p.from_wildcard });
        }
    }

    let child_path = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    let mut entries = Vec::new();
    for (key, sub_paths, only_wildcard) in heads {
        let target = query.alias.get(&key).cloned().unwrap_or_else(|| key.clone());
        if let Some((func, arg)) = parse_call(&target)? {
            // An unaliased function is keyed like Directus: `date_year`.
            let key = if key == target { output_name(&key) } else { key };
            let f = coll.field(arg).filter(|_| may_read(arg)).ok_or_else(|| forbidden_field(coll, arg, path))?;
            entries.push(Entry { key, kind: EntryKind::Function(func, f) });
            continue;
        }
        let f = match coll.field(&target).filter(|f| may_read(&f.name)) {
            Some(f) => f,
            None if only_wildcard => continue,
            None => return Err(forbidden_field(coll, &target, path)),
        };
        let related = match &f.relation {
            Some(FieldRelation::ManyToOne { related_collection, .. }) if !sub_paths.is_empty() => {
                Some(related_coll(reader.schema, related_collection)?)
            }
            Some(FieldRelation::OneToMany { related_collection, .. }) => {
                Some(related_coll(reader.schema, related_collection)?)
            }
            _ => None,
        };
        // A relation into a collection the caller may not read is left out
        // of wildcards, and refused when named.
        if let Some(related) = related {
            if reader.readable(related).is_none() {
                if only_wildcard {
                    continue;
                }
                return Err(forbidden_collection(&related.name, &child_path(&key)));
            }
        }
        let kind = match (&f.relation, related) {
            (Some(FieldRelation::ManyToOne { .. }), Some(related)) => {
                let sub = query.deep.get(&key).cloned().unwrap_or_default();
                EntryKind::ManyToOne {
                    field: f,
                    related: select_paths(reader, related, sub_paths, &sub, &child_path(&key))?,
                }
            }
            (Some(FieldRelation::OneToMany { .. }), Some(related)) => {
                let sub = query.deep.get(&key).cloned().unwrap_or_default();
                if !sub_paths.is_empty() {
                    EntryKind::OneToMany {
                        field: f,
                        related: select_paths(reader, related, sub_paths, &sub, &child_path(&key))?,
                        query: sub,
                    }
                } else {
                    EntryKind::OneToManyKeys { field: f, related, query: sub }
                }
            }
            _ if sub_paths.is_empty() || sub_paths.iter().all(|p| p.from_wildcard) => EntryKind::Column(f),
            _ => {
                let sub = format!("{key}.{}", sub_paths[0].segments.join("."));
                return Err(forbidden_field(coll, &sub, path));
            }
        };
        entries.push(Entry { key, kind });
    }
    Ok(Selection { coll, entries, path: path.to_string() })
}

fn related_coll<'a>(schema: &'a SchemaSnapshot, name: &str) -> ApiResult<&'a Collection> {
    schema.collection(name).ok_or_else(ApiError::forbidden)
}

impl<'a> Selection<'a> {
    /// The names of the fields this level reads (which decides the item
    /// rules that apply to its rows).
    pub fn field_names(&self) -> Vec<&'a str> {
        self.entries
            .iter()
            .map(|e| match &e.kind {
                EntryKind::Column(f)
                | EntryKind::Function(_, f)
                | EntryKind::ManyToOne { field: f, .. }
                | EntryKind::OneToMany { field: f, .. }
                | EntryKind::OneToManyKeys { field: f, .. } => f.name.as_str(),
            })
            .collect()
    }

    /// Columns of this level's row that the response expressions read.
    pub fn needed_columns(&self) -> Vec<&'a str> {
        let mut cols: Vec<&'a str> = vec![self.coll.primary_key.as_str()];
        let mut push = |c: &'a str| {
            if !cols.contains(&c) {
                cols.push(c);
            }
        };
        for e in &self.entries {
            match &e.kind {
                EntryKind::Column(f) | EntryKind::Function(_, f) | EntryKind::ManyToOne { field: f, .. }
                    if !f.is_alias() =>
                {
                    push(&f.name)
                }
                _ => {}
            }
        }
        cols
    }
}
