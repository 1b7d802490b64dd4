//! Write statements (INSERT / UPDATE / DELETE) and the casting of payload
//! values to what a column stores.

use super::builder::{ident, SqlBuilder};
use super::dialect::Dialect;
use super::values::{boolean, numeric, text};
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::schema::{Collection, DeselectAction, Field, FieldType};
use serde_json::Value as Json;

/// `INSERT ... RETURNING pk`. With no columns, the row gets its defaults.
pub fn insert(d: &'static dyn Dialect, coll: &Collection, values: &[(&Field, Value)]) -> Statement {
    let mut b = SqlBuilder::new(d);
    let pk = ident(&coll.primary_key);
    if values.is_empty() {
        return b.finish(format!("INSERT INTO {} DEFAULT VALUES RETURNING {pk}", ident(&coll.name))).statement;
    }
    let cols: Vec<String> = values.iter().map(|(f, _)| ident(&f.name)).collect();
    let params: Vec<String> = values.iter().map(|(f, v)| stored(d, f, b.param(v.clone()))).collect();
    b.finish(format!(
        "INSERT INTO {} ({}) VALUES ({}) RETURNING {pk}",
        ident(&coll.name),
        cols.join(", "),
        params.join(", ")
    ))
    .statement
}

/// `UPDATE ... WHERE pk = ?`; callers check the changed-row count.
pub fn update(d: &'static dyn Dialect, coll: &Collection, key: &Value, values: &[(&Field, Value)]) -> Statement {
    let mut b = SqlBuilder::new(d);
    let sets: Vec<String> =
        values.iter().map(|(f, v)| format!("{} = {}", ident(&f.name), stored(d, f, b.param(v.clone())))).collect();
    let k = b.param(key.clone());
    b.finish(format!("UPDATE {} SET {} WHERE {} = {k}", ident(&coll.name), sets.join(", "), ident(&coll.primary_key)))
        .statement
}

/// The SQL storing a bound value: temporal values are normalised to the
/// field type's format (filters compare in that format), other values as given.
fn stored(d: &dyn Dialect, f: &Field, placeholder: String) -> String {
    if f.field_type.is_temporal() {
        d.temporal(f.field_type, &placeholder)
    } else {
        placeholder
    }
}

/// `DELETE ... WHERE pk IN (keys)` (one JSON parameter for any number of keys).
pub fn delete(d: &'static dyn Dialect, coll: &Collection, keys: &[Value]) -> Statement {
    let mut b = SqlBuilder::new(d);
    let p = b.param(keys_json(keys));
    b.finish(format!(
        "DELETE FROM {} WHERE {} IN ({})",
        ident(&coll.name),
        ident(&coll.primary_key),
        pk_list(d, coll, &p)
    ))
    .statement
}

/// Keys that exist among `keys`.
pub fn existing_keys(d: &'static dyn Dialect, coll: &Collection, keys: &[Value]) -> Statement {
    let mut b = SqlBuilder::new(d);
    let p = b.param(keys_json(keys));
    let pk = ident(&coll.primary_key);
    b.finish(format!("SELECT {pk} FROM {} WHERE {pk} IN ({})", ident(&coll.name), pk_list(d, coll, &p))).statement
}

/// Keys among `keys` whose items the grant covers (`predicate` on the row
/// aliased `t`, built with `b`).
pub fn covered_keys(mut b: SqlBuilder, coll: &Collection, keys: &[Value], predicate: Option<String>) -> Statement {
    let p = b.param(keys_json(keys));
    let pk = ident(&coll.primary_key);
    let rule = predicate.map(|r| format!(" AND {r}")).unwrap_or_default();
    let list = pk_list(b.dialect(), coll, &p);
    b.finish(format!("SELECT t.{pk} FROM {} AS t WHERE t.{pk} IN ({}){rule}", ident(&coll.name), list)).statement
}

/// A row when `covered` (a `covered_keys` statement) finds all `n` keys.
pub fn all_covered(covered: &Statement, n: usize) -> Statement {
    let mut params = covered.params.clone();
    params.push(Value::Integer(n as i64));
    let count = params.len();
    Statement::with_params(
        format!("SELECT 1 WHERE (SELECT count(*) FROM ({}) AS covered) = ?{count}", covered.sql),
        params,
    )
}

/// The largest key of `coll` (0 when empty), to assign new integer keys.
pub fn max_key(coll: &Collection) -> Statement {
    let pk = ident(&coll.primary_key);
    Statement::new(format!("SELECT coalesce(max({pk}), 0) FROM {}", ident(&coll.name)))
}

/// Keys of the children of `parent` through the foreign key `fk`.
pub fn child_keys(d: &'static dyn Dialect, child: &Collection, fk: &str, parent: &Value) -> Statement {
    let mut b = SqlBuilder::new(d);
    let p = b.param(parent.clone());
    b.finish(format!("SELECT {} FROM {} WHERE {} = {p}", ident(&child.primary_key), ident(&child.name), ident(fk)))
        .statement
}

/// Lets go of the children among `keys` that belong to `parent`: detaches
/// them (`fk = NULL`) or deletes them, as the relation says.
pub fn deselect_children(
    d: &'static dyn Dialect,
    action: DeselectAction,
    child: &Collection,
    fk: &str,
    parent: &Value,
    keys: &[Value],
) -> Statement {
    let mut b = SqlBuilder::new(d);
    let (pp, kp) = (b.param(parent.clone()), b.param(keys_json(keys)));
    let (table, fk_q, pk) = (ident(&child.name), ident(fk), ident(&child.primary_key));
    let list = pk_list(d, child, &kp);
    let sql = match action {
        DeselectAction::Nullify => {
            format!("UPDATE {table} SET {fk_q} = NULL WHERE {fk_q} = {pp} AND {pk} IN ({list})")
        }
        DeselectAction::Delete => format!("DELETE FROM {table} WHERE {fk_q} = {pp} AND {pk} IN ({list})"),
    };
    b.finish(sql).statement
}

/// The keys of `coll` in the JSON array bound at `p`, as a sub-select.
fn pk_list(d: &dyn Dialect, coll: &Collection, p: &str) -> String {
    d.json_list(p, coll.pk_field().db_type.as_deref())
}

fn keys_json(keys: &[Value]) -> String {
    Json::Array(keys.iter().map(Value::to_json).collect()).to_string()
}

/// A payload value cast to what `field`'s column stores, or Directus's
/// error for a value that does not fit.
pub fn column_value(coll: &Collection, field: &Field, v: &Json) -> ApiResult<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let ty = field.field_type;
    let invalid = || {
        ApiError::invalid_payload(format!("Invalid value {v} for field \"{}\" of type {}", field.name, ty.name()))
            .with("collection", coll.name.clone())
            .with("field", field.name.clone())
    };
    let value = match ty {
        _ if ty.is_numeric() => match (numeric(v, ty.is_integer()), ty.is_integer()) {
            (Some(Value::Real(_)), true) => return Err(invalid()),
            (Some(n), _) => n,
            (None, _) => return Err(invalid()),
        },
        FieldType::Boolean => boolean(v).ok_or_else(invalid)?,
        FieldType::Json => Value::Text(v.to_string()),
        FieldType::Csv => match v {
            Json::Array(items) => Value::Text(items.iter().map(text).collect::<Vec<_>>().join(",")),
            Json::String(s) => Value::Text(s.clone()),
            _ => return Err(invalid()),
        },
        _ => match v {
            Json::Object(_) | Json::Array(_) => return Err(invalid()),
            other => Value::Text(text(other)),
        },
    };
    if let (Some(max), Value::Text(s)) = (field.max_length, &value) {
        if s.chars().count() > max as usize {
            return Err(ApiError::new(
                ErrorCode::ValueTooLong,
                format!("Value for field \"{}\" in collection \"{}\" is too long.", field.name, coll.name),
            )
            .with("collection", coll.name.clone())
            .with("field", field.name.clone()));
        }
    }
    Ok(value)
}
