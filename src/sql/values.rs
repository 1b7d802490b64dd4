//! Casting JSON values from a request to what a field holds: bound
//! parameters for filters, typed values for writes.

use super::builder::SqlBuilder;
use super::time::parse_now;
use super::vars::Slot;
use crate::db::Value;
use crate::error::{ApiError, ApiResult};
use crate::schema::{Field, FieldType};
use serde_json::Value as Json;

/// A number from JSON or a numeric string.
pub fn numeric(v: &Json, integer: bool) -> Option<Value> {
    match v {
        Json::Number(n) if integer => n.as_i64().map(Value::Integer).or_else(|| n.as_f64().map(Value::Real)),
        Json::Number(n) => n.as_i64().map(Value::Integer).or_else(|| n.as_f64().map(Value::Real)),
        Json::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .map(Value::Integer)
                .or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::Real))
        }
        Json::Bool(b) => Some(Value::Integer(*b as i64)),
        _ => None,
    }
}

/// Plain text of a scalar JSON value.
pub fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// SQL expression for a filter value compared against `field`: a bound
/// parameter, cast to the field's type. `$NOW` is the request's time (a slot).
pub fn filter_value(b: &mut SqlBuilder, field: &Field, v: &Json) -> ApiResult<String> {
    if v.is_null() {
        return Ok("NULL".into());
    }
    let ty = field.field_type;
    if ty.is_numeric() {
        let n = numeric(v, ty.is_integer()).ok_or_else(|| invalid_numeric(field, v))?;
        return Ok(b.param(n));
    }
    if ty == FieldType::Boolean {
        return Ok(b.param(boolean(v).ok_or_else(|| {
            ApiError::invalid_query(format!("Invalid boolean value {v} for field \"{}\"", field.name))
        })?));
    }
    if ty.is_temporal() {
        let s = text(v);
        return Ok(match parse_now(&s) {
            Some(mods) => {
                let now = b.slot(Slot::Now);
                let modifiers: Vec<String> = mods?.into_iter().map(|m| b.param(m)).collect();
                b.dialect().now_adjusted(ty, &now, &modifiers)
            }
            None => {
                let p = b.param(s);
                b.dialect().temporal(ty, &p)
            }
        });
    }
    Ok(b.param(text(v)))
}

/// Value for a function result (`year(...)`, `count(...)`), always numeric.
pub fn function_value(b: &mut SqlBuilder, key: &str, v: &Json) -> ApiResult<String> {
    if v.is_null() {
        return Ok("NULL".into());
    }
    let n =
        numeric(v, true).ok_or_else(|| ApiError::invalid_query(format!("Invalid numeric value {v} for \"{key}\"")))?;
    Ok(b.param(n))
}

pub fn boolean(v: &Json) -> Option<Value> {
    match v {
        Json::Bool(b) => Some(Value::Integer(*b as i64)),
        Json::Number(n) => n.as_i64().map(|i| Value::Integer((i != 0) as i64)),
        Json::String(s) => match s.as_str() {
            "true" | "1" => Some(Value::Integer(1)),
            "false" | "0" => Some(Value::Integer(0)),
            _ => None,
        },
        _ => None,
    }
}

fn invalid_numeric(field: &Field, v: &Json) -> ApiError {
    ApiError::invalid_query(format!("Invalid numeric value {v} for field \"{}\"", field.name))
}
