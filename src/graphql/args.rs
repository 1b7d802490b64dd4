//! Argument values of a validated document as plain JSON, with the
//! request's (already coerced) variables put in.

use apollo_compiler::ast::{DirectiveList, Value};
use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::{Map, Number, Value as Json};

/// The coerced variable values of the operation.
pub type Vars = JsonMap;

/// `value` as JSON; `None` for a variable the request did not give (Directus
/// drops such filter operators rather than comparing with null, so a query
/// with optional variables serves every combination of them).
pub fn to_json(value: &Value, vars: &Vars) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Enum(name) => Json::String(name.to_string()),
        Value::Variable(name) => variable_json(vars.get(name.as_str())?),
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(i) => match i.try_to_i32() {
            Ok(n) => Json::from(n),
            Err(_) => number(i.try_to_f64().ok()?),
        },
        Value::Float(f) => number(f.try_to_f64().ok()?),
        Value::List(items) => Json::Array(items.iter().filter_map(|v| to_json(v, vars)).collect()),
        Value::Object(fields) => Json::Object(
            fields.iter().filter_map(|(k, v)| to_json(v, vars).map(|v| (k.to_string(), v))).collect::<Map<_, _>>(),
        ),
    })
}

fn number(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// A coerced variable value as `serde_json`.
pub fn variable_json(v: &JsonValue) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// `@skip(if:)` / `@include(if:)`.
pub fn included(directives: &DirectiveList, vars: &Vars) -> bool {
    let flag = |name: &str| {
        directives
            .get(name)
            .and_then(|d| d.specified_argument_by_name("if"))
            .and_then(|v| to_json(v, vars))
            .and_then(|v| v.as_bool())
    };
    flag("skip") != Some(true) && flag("include") != Some(false)
}
