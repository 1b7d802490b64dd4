//! Where a column lives: in a table of the FROM clause, or behind a chain of
//! many-to-one hops (read with scalar subqueries, which keeps LEFT JOIN
//! semantics: a missing related row reads as NULL).

use super::builder::{column, ident};
use crate::error::{ApiError, ApiResult};
use crate::schema::{Collection, Field, FieldType, SchemaSnapshot};

/// A collection as reachable from the statement being built.
#[derive(Debug, Clone)]
pub enum Scope<'a> {
    /// A table with an alias in the current FROM clause.
    Table { coll: &'a Collection, alias: String },
    /// The row of `coll` whose `key_field` equals `key_expr`.
    Via { coll: &'a Collection, key_field: String, key_expr: String },
}

impl<'a> Scope<'a> {
    pub fn table(coll: &'a Collection, alias: impl Into<String>) -> Self {
        Scope::Table { coll, alias: alias.into() }
    }

    pub fn coll(&self) -> &'a Collection {
        match self {
            Scope::Table { coll, .. } | Scope::Via { coll, .. } => coll,
        }
    }

    /// SQL reading column `name` of this scope's row.
    pub fn column_expr(&self, name: &str) -> String {
        match self {
            Scope::Table { alias, .. } => column(alias, name),
            Scope::Via { coll, key_field, key_expr } => {
                format!("(SELECT {} FROM {} WHERE {} = {key_expr})", ident(name), ident(&coll.name), ident(key_field))
            }
        }
    }

    /// The scope of the row an m2o field of this scope points at.
    pub fn follow_m2o(&self, schema: &'a SchemaSnapshot, field: &Field) -> ApiResult<Scope<'a>> {
        let (related, related_field) = field.m2o().ok_or_else(|| not_relational(self.coll(), &field.name))?;
        let coll = schema.collection(related).ok_or_else(ApiError::forbidden)?;
        Ok(Scope::Via { coll, key_field: related_field.to_string(), key_expr: self.column_expr(&field.name) })
    }
}

/// A field of `coll`, or Directus's error for one that does not exist.
pub fn field<'a>(coll: &'a Collection, name: &str) -> ApiResult<&'a Field> {
    coll.field(name).ok_or_else(|| unknown_field(coll, name))
}

/// Directus 11 answers FORBIDDEN for fields that do not exist.
pub fn unknown_field(coll: &Collection, name: &str) -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::Forbidden,
        format!(
            "You don't have permission to access field \"{name}\" in collection \"{}\" or it does not exist.",
            coll.name
        ),
    )
    .with("reason", format!("Field \"{name}\" does not exist in collection \"{}\"", coll.name))
}

fn not_relational(coll: &Collection, name: &str) -> ApiError {
    ApiError::invalid_query(format!("Field \"{name}\" in collection \"{}\" is not a relation", coll.name))
}

/// Resolves a dotted path (`author.country.name`) to the scope holding the
/// last segment and that segment's field. Only m2o hops are allowed.
pub fn resolve_path<'a>(
    schema: &'a SchemaSnapshot,
    scope: &Scope<'a>,
    path: &str,
) -> ApiResult<(Scope<'a>, &'a Field)> {
    let mut scope = scope.clone();
    let mut parts = path.split('.').peekable();
    loop {
        let name = parts.next().unwrap_or_default();
        let f = field(scope.coll(), name)?;
        if parts.peek().is_none() {
            return Ok((scope, f));
        }
        if f.field_type == FieldType::Alias {
            return Err(ApiError::invalid_query(format!(
                "Path \"{path}\" goes through the one-to-many field \"{name}\"; only many-to-one paths can be used here"
            )));
        }
        scope = scope.follow_m2o(schema, f)?;
    }
}
