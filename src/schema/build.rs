//! Turns introspected rows (plus Directus metadata, when present) into a
//! [`SchemaSnapshot`].

use super::{Collection, DeselectAction, Field, FieldRelation, FieldType, Relation, SchemaSnapshot};
use crate::db::{Rows, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What introspection read, before interpretation. Column names of each
/// `Rows` are those of the dialect's introspection queries.
#[derive(Debug, Clone, Default)]
pub struct RawSchema {
    /// tbl, kind, cid, col, decl, not_null, dflt, pk, hidden, ddl, and
    /// where the database says so itself, auto (1: the database assigns it)
    pub columns: Rows,
    /// tbl, id, seq, ref_table, col, ref_col, on_update, on_delete
    pub foreign_keys: Rows,
    /// tbl, idx, col
    pub unique: Rows,
    pub directus_collections: Option<Rows>,
    pub directus_fields: Option<Rows>,
    pub directus_relations: Option<Rows>,
}

/// Row accessor by column name.
struct RowView<'a> {
    columns: &'a [String],
    row: &'a [Value],
}

impl<'a> RowView<'a> {
    fn get(&self, name: &str) -> &'a Value {
        self.columns.iter().position(|c| c == name).and_then(|i| self.row.get(i)).unwrap_or(&Value::Null)
    }
    fn text(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Value::Text(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
    fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }
    fn int(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or(0)
    }
    fn flag(&self, name: &str) -> bool {
        match self.get(name) {
            Value::Text(s) => s == "true" || s == "1",
            v => v.as_i64().unwrap_or(0) != 0,
        }
    }
}

fn rows(r: &Rows) -> impl Iterator<Item = RowView<'_>> {
    r.rows.iter().map(move |row| RowView { columns: &r.columns, row })
}

/// One table as read, before relations are attached.
struct TableInfo {
    kind: String,
    ddl: String,
    columns: Vec<ColumnInfo>,
}

struct ColumnInfo {
    name: String,
    decl: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
    /// Whether the database assigns the value (serial, identity,
    /// auto_increment); `None` where introspection cannot say (SQLite).
    auto: Option<bool>,
}

/// Builds the snapshot from what introspection read.
pub fn build_snapshot(raw: &RawSchema) -> SchemaSnapshot {
    let tables = read_tables(raw);
    let unique = read_unique(raw);
    let field_meta = read_field_meta(raw);
    let collection_meta = read_collection_meta(raw);

    let mut collections = BTreeMap::new();
    for (name, table) in &tables {
        if let Some(c) = build_collection(name, table, &unique, &field_meta, collection_meta.get(name)) {
            collections.insert(name.clone(), c);
        }
    }
    let relations = read_relations(raw, &collections);
    attach_relations(&mut collections, &relations);

    let mut snapshot = SchemaSnapshot { collections, relations, hash: String::new() };
    snapshot.rehash();
    snapshot
}

fn read_tables(raw: &RawSchema) -> BTreeMap<String, TableInfo> {
    let mut tables: BTreeMap<String, TableInfo> = BTreeMap::new();
    for r in rows(&raw.columns) {
        let (Some(tbl), Some(col)) = (r.text("tbl"), r.text("col")) else {
            continue;
        };
        // Hidden columns of virtual tables are not fields.
        if r.int("hidden") == 1 {
            continue;
        }
        let t = tables.entry(tbl).or_insert_with(|| TableInfo {
            kind: r.text("kind").unwrap_or_default(),
            ddl: r.text("ddl").unwrap_or_default(),
            columns: Vec::new(),
        });
        t.columns.push(ColumnInfo {
            name: col,
            decl: r.text("decl").unwrap_or_default(),
            not_null: r.flag("not_null"),
            default: r.text("dflt"),
            pk: r.int("pk"),
            auto: r.has("auto").then(|| r.flag("auto")),
        });
    }
    tables
}

fn read_unique(raw: &RawSchema) -> HashSet<(String, String)> {
    let mut by_index: HashMap<(String, String), Vec<String>> = HashMap::new();
    for r in rows(&raw.unique) {
        if let (Some(t), Some(i), Some(c)) = (r.text("tbl"), r.text("idx"), r.text("col")) {
            by_index.entry((t, i)).or_default().push(c);
        }
    }
    by_index.into_iter().filter(|(_, cols)| cols.len() == 1).map(|((t, _), mut cols)| (t, cols.remove(0))).collect()
}

/// directus_fields rows, keyed by (collection, field).
struct FieldMeta {
    special: Vec<String>,
    hidden: bool,
    readonly: bool,
    note: Option<String>,
}

fn read_field_meta(raw: &RawSchema) -> HashMap<(String, String), FieldMeta> {
    // System fields' metadata lives in code; a database's rows come after
    // and win.
    let system = super::system::field_rows();
    let all = std::iter::once(&system).chain(raw.directus_fields.as_ref());
    all.flat_map(rows)
        .filter_map(|r| {
            let key = (r.text("collection")?, r.text("field")?);
            let special = r
                .text("special")
                .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                .unwrap_or_default();
            Some((
                key,
                FieldMeta { special, hidden: r.flag("hidden"), readonly: r.flag("readonly"), note: r.text("note") },
            ))
        })
        .collect()
}

struct CollectionMeta {
    hidden: bool,
    singleton: bool,
    sort_field: Option<String>,
    note: Option<String>,
    icon: Option<String>,
}

fn read_collection_meta(raw: &RawSchema) -> HashMap<String, CollectionMeta> {
    let Some(r) = &raw.directus_collections else {
        return HashMap::new();
    };
    rows(r)
        .filter_map(|r| {
            Some((
                r.text("collection")?,
                CollectionMeta {
                    hidden: r.flag("hidden"),
                    singleton: r.flag("singleton"),
                    sort_field: r.text("sort_field"),
                    note: r.text("note"),
                    icon: r.text("icon"),
                },
            ))
        })
        .collect()
}

fn build_collection(
    name: &str,
    table: &TableInfo,
    unique: &HashSet<(String, String)>,
    field_meta: &HashMap<(String, String), FieldMeta>,
    meta: Option<&CollectionMeta>,
) -> Option<Collection> {
    let is_view = table.kind == "view";
    let pk_columns: Vec<&ColumnInfo> = table.columns.iter().filter(|c| c.pk > 0).collect();
    // Directus serves only a single-column primary key. Views have none in
    // SQLite; one with an `id` column is served read-only (see compatibility.md).
    let primary_key = match (pk_columns.as_slice(), is_view) {
        ([pk], _) => pk.name.clone(),
        ([], true) if table.columns.iter().any(|c| c.name == "id") => "id".to_string(),
        _ => return None,
    };
    // INTEGER PRIMARY KEY is SQLite's rowid alias: the database assigns it.
    let rowid_alias = |c: &ColumnInfo| c.name == primary_key && !is_view && c.decl.eq_ignore_ascii_case("integer");
    let autoincrement_kw = table.ddl.to_ascii_uppercase().contains("AUTOINCREMENT");

    let fields = table
        .columns
        .iter()
        .map(|c| {
            let fm = field_meta.get(&(name.to_string(), c.name.clone()));
            let (mut field_type, max_length) = FieldType::from_decl(&c.decl);
            let special = fm.map(|m| m.special.clone()).unwrap_or_default();
            if let Some(t) = special.iter().find_map(|s| FieldType::from_special(s)) {
                if t != FieldType::Alias {
                    field_type = t;
                }
            }
            let is_pk = c.name == primary_key;
            Field {
                name: c.name.clone(),
                field_type,
                db_type: Some(c.decl.clone()),
                nullable: !c.not_null && !is_pk,
                default_value: c.default.as_deref().map(|d| parse_default(d, field_type)),
                max_length,
                unique: is_pk || unique.contains(&(name.to_string(), c.name.clone())),
                primary_key: is_pk,
                auto_increment: match c.auto {
                    Some(auto) => is_pk && auto,
                    None => rowid_alias(c) || (is_pk && autoincrement_kw && field_type.is_integer()),
                },
                special,
                hidden: fm.map(|m| m.hidden).unwrap_or(false),
                readonly: fm.map(|m| m.readonly).unwrap_or(false),
                note: fm.and_then(|m| m.note.clone()),
                relation: None,
                derived: false,
            }
        })
        .collect();

    Some(Collection {
        name: name.to_string(),
        primary_key,
        is_view,
        singleton: meta.map(|m| m.singleton).unwrap_or(false),
        hidden: meta.map(|m| m.hidden).unwrap_or(false),
        sort_field: meta.and_then(|m| m.sort_field.clone()),
        note: meta.and_then(|m| m.note.clone()),
        icon: meta.and_then(|m| m.icon.clone()),
        has_meta: meta.is_some(),
        fields,
    })
}

/// A SQLite column default as JSON: `'draft'` → "draft", `0` → 0 (false for booleans).
fn parse_default(raw: &str, ty: FieldType) -> Json {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("null") {
        return Json::Null;
    }
    if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
        return Json::String(raw[1..raw.len() - 1].replace("''", "'"));
    }
    if ty == FieldType::Boolean {
        match raw.to_ascii_lowercase().as_str() {
            "1" | "true" => return Json::Bool(true),
            "0" | "false" => return Json::Bool(false),
            _ => {}
        }
    }
    if let Ok(i) = raw.parse::<i64>() {
        return Json::from(i);
    }
    if let Ok(f) = raw.parse::<f64>() {
        return serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null);
    }
    Json::String(raw.trim_matches(|c| c == '(' || c == ')').to_string())
}

/// Relations from foreign keys, enriched or extended by directus_relations.
fn read_relations(raw: &RawSchema, collections: &BTreeMap<String, Collection>) -> Vec<Relation> {
    // Foreign keys: only single-column ones make a field relational.
    let mut fk_cols: BTreeMap<(String, i64), Vec<RowView>> = BTreeMap::new();
    for r in rows(&raw.foreign_keys) {
        if let Some(t) = r.text("tbl") {
            fk_cols.entry((t, r.int("id"))).or_default().push(r);
        }
    }
    let mut relations: Vec<Relation> = Vec::new();
    for ((tbl, _), cols) in &fk_cols {
        let [fk] = cols.as_slice() else { continue };
        let (Some(col), Some(ref_table)) = (fk.text("col"), fk.text("ref_table")) else {
            continue;
        };
        let (Some(many), Some(one)) = (collections.get(tbl), collections.get(&ref_table)) else {
            continue;
        };
        let one_primary = fk.text("ref_col").unwrap_or_else(|| one.primary_key.clone());
        if many.field(&col).is_none() || one.field(&one_primary).is_none() {
            continue;
        }
        relations.push(Relation {
            many_collection: tbl.clone(),
            many_field: col.clone(),
            one_collection: ref_table.clone(),
            one_field: None,
            one_primary,
            junction_field: None,
            sort_field: None,
            deselect_action: DeselectAction::Nullify,
            on_delete: fk.text("on_delete"),
            on_update: fk.text("on_update"),
            constraint_name: None,
            has_meta: false,
        });
    }

    // System relations' metadata lives in code, like Directus's.
    apply_relation_meta(&mut relations, &super::system::relation_rows(), collections);
    if let Some(meta_rows) = &raw.directus_relations {
        apply_relation_meta(&mut relations, meta_rows, collections);
    }
    name_reverse_fields(&mut relations, collections);
    relations
}

/// A database made by Directus: directus_relations says which o2m alias
/// fields exist and adds relations that have no foreign key constraint.
fn apply_relation_meta(relations: &mut Vec<Relation>, meta_rows: &Rows, collections: &BTreeMap<String, Collection>) {
    for r in rows(meta_rows) {
        let (Some(many), Some(many_field)) = (r.text("many_collection"), r.text("many_field")) else {
            continue;
        };
        // Many-to-any relations (no one_collection) are not supported yet.
        let Some(one) = r.text("one_collection") else {
            continue;
        };
        let (Some(many_c), Some(one_c)) = (collections.get(&many), collections.get(&one)) else {
            continue;
        };
        if many_c.field(&many_field).is_none() {
            continue;
        }
        let same = |x: &Relation| x.many_collection == many && x.many_field == many_field;
        let idx = match relations.iter().position(same) {
            // A second alias over the same foreign key (a policy's `roles`
            // and `users`): a relation of its own.
            Some(i)
                if relations[i].has_meta
                    && relations[i].one_field.is_some()
                    && r.text("one_field") != relations[i].one_field =>
            {
                relations.push(relations[i].clone());
                relations.len() - 1
            }
            Some(i) => i,
            None => {
                relations.push(Relation {
                    many_collection: many.clone(),
                    many_field: many_field.clone(),
                    one_collection: one.clone(),
                    one_field: None,
                    one_primary: one_c.primary_key.clone(),
                    junction_field: None,
                    sort_field: None,
                    deselect_action: DeselectAction::Nullify,
                    on_delete: None,
                    on_update: None,
                    constraint_name: None,
                    has_meta: true,
                });
                relations.len() - 1
            }
        };
        let rel = &mut relations[idx];
        rel.has_meta = true;
        rel.one_field = r.text("one_field").filter(|f| one_c.field(f).map(|x| x.is_alias()).unwrap_or(true));
        rel.junction_field = r.text("junction_field");
        rel.sort_field = r.text("sort_field");
        rel.deselect_action = match r.text("one_deselect_action").as_deref() {
            Some("delete") => DeselectAction::Delete,
            _ => DeselectAction::Nullify,
        };
    }
}

/// Foreign keys no metadata describes: each gets a one-to-many reverse field
/// on the referenced collection (served by name, not part of `*`), named
/// after the referencing collection (or `{collection}_{field}` when that
/// name is taken or ambiguous). Directus's own tables get none.
fn name_reverse_fields(relations: &mut [Relation], collections: &BTreeMap<String, Collection>) {
    let mut taken: HashSet<(String, String)> =
        collections.values().flat_map(|c| c.fields.iter().map(move |f| (c.name.clone(), f.name.clone()))).collect();
    let mut pair_count: HashMap<(String, String), usize> = HashMap::new();
    for r in relations.iter() {
        *pair_count.entry((r.many_collection.clone(), r.one_collection.clone())).or_default() += 1;
    }
    let system = |name: &str| name.starts_with("directus_");
    for r in relations.iter_mut().filter(|r| !r.has_meta && !system(&r.many_collection) && !system(&r.one_collection)) {
        let ambiguous = pair_count[&(r.many_collection.clone(), r.one_collection.clone())] > 1;
        let mut name =
            if ambiguous { format!("{}_{}", r.many_collection, r.many_field) } else { r.many_collection.clone() };
        if taken.contains(&(r.one_collection.clone(), name.clone())) {
            name = format!("{}_{}", r.many_collection, r.many_field);
        }
        if taken.insert((r.one_collection.clone(), name.clone())) {
            r.one_field = Some(name);
        }
    }
}

/// Marks m2o fields and adds the o2m alias fields.
fn attach_relations(collections: &mut BTreeMap<String, Collection>, relations: &[Relation]) {
    for r in relations {
        if let Some(f) =
            collections.get_mut(&r.many_collection).and_then(|c| c.fields.iter_mut().find(|f| f.name == r.many_field))
        {
            f.relation = Some(FieldRelation::ManyToOne {
                related_collection: r.one_collection.clone(),
                related_field: r.one_primary.clone(),
            });
        }
        let Some(one_field) = &r.one_field else {
            continue;
        };
        let Some(one) = collections.get_mut(&r.one_collection) else {
            continue;
        };
        let relation = FieldRelation::OneToMany {
            related_collection: r.many_collection.clone(),
            related_field: r.many_field.clone(),
            sort_field: r.sort_field.clone(),
            junction_field: r.junction_field.clone(),
            deselect_action: r.deselect_action,
        };
        match one.fields.iter_mut().find(|f| &f.name == one_field) {
            Some(existing) => existing.relation = Some(relation),
            None => one.fields.push(Field {
                name: one_field.clone(),
                field_type: FieldType::Alias,
                db_type: None,
                nullable: true,
                default_value: None,
                max_length: None,
                unique: false,
                primary_key: false,
                auto_increment: false,
                special: vec![if r.junction_field.is_some() { "m2m" } else { "o2m" }.to_string()],
                hidden: false,
                readonly: false,
                note: None,
                relation: Some(relation),
                derived: !r.has_meta,
            }),
        }
    }
}
