//! Where a column lives — in a table of the FROM clause, or behind a chain of
//! many-to-one hops (read with scalar subqueries, which keeps LEFT JOIN
//! semantics: a missing related row reads as NULL) — and what the caller may
//! read of it.
//!
//! A scope of a restricted caller carries the compiled item rules of its
//! collection: a field granted only under some rules reads as NULL on rows
//! where none of them holds, wherever it is read (output, filter, sort,
//! search, grouping, aggregates), so nothing about it can be inferred.

use super::builder::{column, ident};
use crate::access::CollectionGrant;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::schema::{Collection, Field, SchemaSnapshot};
use std::rc::Rc;

/// A collection as reachable from the statement being built.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    coll: &'a Collection,
    place: Place,
    /// `None`: the caller may read everything here (admin, or rules
    /// themselves, which are evaluated with full access).
    rules: Option<Rc<Rules<'a>>>,
    /// The relational path from the query's root (`""` at the root), for
    /// Directus's "Queried in ..." messages.
    path: Rc<str>,
}

#[derive(Debug, Clone)]
enum Place {
    /// A table with an alias in the current FROM clause.
    Table(String),
    /// The row of the collection (aliased `alias` inside each subquery)
    /// whose `key_field` equals `key_expr`.
    Via { alias: String, key_field: String, key_expr: String },
}

/// A level's item rules, compiled against its row.
#[derive(Debug)]
pub struct Rules<'a> {
    pub grant: &'a CollectionGrant,
    /// Each case's rule as SQL on this level's row; `None` when the case
    /// holds for every item.
    pub case_sql: Vec<Option<String>>,
}

impl<'a> Rules<'a> {
    /// The rows visible: those where a case holds. Only the cases granting
    /// one of `requested` count (all cases when it is empty). `None` when
    /// every row is visible.
    pub fn row_predicate(&self, requested: &[&str]) -> Option<String> {
        let relevant: Vec<usize> = (0..self.case_sql.len())
            .filter(|&i| requested.is_empty() || requested.iter().any(|f| self.grant.cases[i].fields.contains(f)))
            .collect();
        let relevant = if relevant.is_empty() { (0..self.case_sql.len()).collect() } else { relevant };
        let mut parts = Vec::new();
        for i in relevant {
            match &self.case_sql[i] {
                None => return None,
                Some(sql) => parts.push(sql.as_str()),
            }
        }
        Some(if parts.is_empty() { "1=0".to_string() } else { super::filter::balanced(&parts, " OR ") })
    }

    /// `expr` (field `name`'s value) where a case granting it holds, else NULL.
    fn guard(&self, name: &str, expr: String) -> String {
        let cases = self.grant.cases_granting(name);
        if cases.is_empty() {
            return expr;
        }
        let mut conditions = Vec::new();
        for i in cases {
            match &self.case_sql[i] {
                None => return expr,
                Some(sql) => conditions.push(sql.as_str()),
            }
        }
        format!("CASE WHEN {} THEN {expr} END", super::filter::balanced(&conditions, " OR "))
    }
}

impl<'a> Scope<'a> {
    /// A table of the FROM clause, read with full access.
    pub fn table(coll: &'a Collection, alias: impl Into<String>) -> Self {
        Scope { coll, place: Place::Table(alias.into()), rules: None, path: Rc::from("") }
    }

    /// The same place with the caller's compiled rules.
    pub fn restricted(mut self, rules: Option<Rules<'a>>) -> Self {
        self.rules = rules.map(Rc::new);
        self
    }

    /// The same scope under the relational path `path`.
    pub fn at_path(mut self, path: &str) -> Self {
        self.path = Rc::from(path);
        self
    }

    pub fn coll(&self) -> &'a Collection {
        self.coll
    }

    /// This level's alias (for a `Via` scope: the alias inside its subqueries).
    pub fn alias(&self) -> &str {
        match &self.place {
            Place::Table(alias) | Place::Via { alias, .. } => alias,
        }
    }

    pub fn rules(&self) -> Option<&Rules<'a>> {
        self.rules.as_deref()
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of a field of this scope (`author.name`).
    pub fn child_path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// A field the caller may query here (filter, sort, search, group,
    /// aggregate), or Directus's FORBIDDEN for a field that does not exist or
    /// is not granted. A restricted caller may not query secret fields even
    /// where they are granted: they read masked, and a filter on them would
    /// give their value away one character at a time.
    pub fn field(&self, name: &str) -> ApiResult<&'a Field> {
        let f = self.coll.field(name).ok_or_else(|| forbidden_field(self.coll, name, &self.path))?;
        match &self.rules {
            Some(r) if !r.grant.grants(name) || f.is_secret() => Err(forbidden_field(self.coll, name, &self.path)),
            _ => Ok(f),
        }
    }

    /// SQL reading column `name` of this scope's row as the caller sees it.
    pub fn column_expr(&self, name: &str) -> String {
        match &self.place {
            Place::Table(alias) => self.guarded(name, column(alias, name)),
            Place::Via { alias, key_field, key_expr } => {
                let value = self.guarded(name, column(alias, name));
                let mut conditions = vec![format!("{} = {key_expr}", column(alias, key_field))];
                conditions.extend(self.rules.as_ref().and_then(|r| r.row_predicate(&[])));
                format!(
                    "(SELECT {value} FROM {} AS {alias} WHERE {})",
                    ident(&self.coll.name),
                    conditions.join(" AND ")
                )
            }
        }
    }

    /// SQL reading column `name` unguarded (keys that join rows).
    pub fn raw_column(&self, name: &str) -> String {
        match &self.place {
            Place::Table(alias) => column(alias, name),
            Place::Via { .. } => Scope { rules: None, ..self.clone() }.column_expr(name),
        }
    }

    fn guarded(&self, name: &str, expr: String) -> String {
        match &self.rules {
            Some(r) => r.guard(name, expr),
            None => expr,
        }
    }

    /// The row an m2o field of this scope points at, read in subqueries
    /// aliased `alias`; `rules` are the related collection's, compiled on it.
    pub fn follow_m2o(&self, schema: &'a SchemaSnapshot, field: &Field, alias: String) -> ApiResult<Scope<'a>> {
        let (related, related_field) = field.m2o().ok_or_else(|| not_relational(self.coll, &field.name))?;
        let coll = schema.collection(related).ok_or_else(ApiError::forbidden)?;
        Ok(Scope {
            coll,
            place: Place::Via { alias, key_field: related_field.to_string(), key_expr: self.column_expr(&field.name) },
            rules: None,
            path: Rc::from(self.child_path(&field.name)),
        })
    }
}

/// Directus's FORBIDDEN for a field that does not exist or may not be read:
/// "... or it does not exist. Queried in root." (or `in "author"` below the root).
pub fn forbidden_field(coll: &Collection, name: &str, path: &str) -> ApiError {
    let message = format!(
        "You don't have permission to access field \"{name}\" in collection \"{}\" or it does not exist. Queried in {}.",
        coll.name,
        queried_in(path)
    );
    ApiError::new(ErrorCode::Forbidden, message.clone()).with("reason", message)
}

/// Directus's FORBIDDEN for a collection the caller may not use.
pub fn forbidden_collection(name: &str, path: &str) -> ApiError {
    let message = format!(
        "You don't have permission to access collection \"{name}\" or it does not exist. Queried in {}.",
        queried_in(path)
    );
    ApiError::new(ErrorCode::Forbidden, message.clone()).with("reason", message)
}

fn queried_in(path: &str) -> String {
    if path.is_empty() {
        "root".to_string()
    } else {
        format!("\"{path}\"")
    }
}

fn not_relational(coll: &Collection, name: &str) -> ApiError {
    ApiError::invalid_query(format!("Field \"{name}\" in collection \"{}\" is not a relation", coll.name))
}
