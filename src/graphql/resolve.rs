//! apollo-compiler's executor over the statements' JSON: the root fields
//! were run beforehand (each one statement, or a write and its re-read);
//! these resolvers only pick values out, so the executor does the spec's
//! work (`__typename`, fragments, null propagation, result coercion).

use super::select::{func_key, FUNC_SUFFIX};
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use std::collections::HashMap;

/// A root field's outcome: its JSON, or the message of its error.
pub type RootResult = Result<JsonValue, String>;

/// The operation's root object: the precomputed value of each response key.
pub struct Root<'r> {
    pub type_name: &'r str,
    pub results: &'r HashMap<String, RootResult>,
}

impl ObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let key = info.field_selections()[0].response_key().as_str();
        match self.results.get(key) {
            Some(Ok(value)) => Ok(typed(info, value)),
            Some(Err(message)) => Err(FieldError { message: message.clone() }),
            None => Ok(ResolvedValue::null()),
        }
    }
}

/// One object of the statement's JSON, keyed by response keys.
struct Row<'r> {
    type_name: &'r str,
    object: &'r JsonMap,
}

impl ObjectValue for Row<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let key = info.field_selections()[0].response_key().as_str();
        let name = info.field_name();
        let is_object = info.schema().get_object(info.field_definition().ty.inner_named_type()).is_some();
        if is_object && name.ends_with(FUNC_SUFFIX) && !self.object.contains_key(key) {
            let type_name = info.field_definition().ty.inner_named_type().as_str();
            return Ok(ResolvedValue::object(Functions { type_name, object: self.object, prefix: key }));
        }
        // The statement keys values by response key; objects rectus built
        // itself (write results, aggregate groups) by field name.
        match self.object.get(key).or_else(|| self.object.get(name)) {
            Some(value) => Ok(typed(info, value)),
            None => Ok(ResolvedValue::null()),
        }
    }
}

/// A `<field>_func { year month }` object: its values sit in the parent
/// row under `key:year`, `key:month`.
struct Functions<'r> {
    type_name: &'r str,
    object: &'r JsonMap,
    prefix: &'r str,
}

impl ObjectValue for Functions<'_> {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let key = func_key(self.prefix, info.field_selections()[0].response_key().as_str());
        Ok(ResolvedValue::leaf(self.object.get(key.as_str()).cloned().unwrap_or(JsonValue::Null)))
    }
}

/// `value` as the field's type wants it: rows for object types (one or a
/// list), the value itself for scalars.
fn typed<'a>(info: &ResolveInfo<'a>, value: &'a JsonValue) -> ResolvedValue<'a> {
    let ty = &info.field_definition().ty;
    let Some(object_type) = info.schema().get_object(ty.inner_named_type()) else {
        let name = ty.inner_named_type().as_str();
        return match value {
            // The executor wants list types as lists, leaves included.
            JsonValue::Array(items) if ty.is_list() => {
                ResolvedValue::list(items.iter().map(move |v| ResolvedValue::leaf(scalar(name, v))))
            }
            _ => ResolvedValue::leaf(scalar(name, value)),
        };
    };
    let type_name = object_type.name.as_str();
    match value {
        JsonValue::Array(items) => ResolvedValue::list(items.iter().map(move |item| row(type_name, item))),
        other => row(type_name, other),
    }
}

fn row<'a>(type_name: &'a str, value: &'a JsonValue) -> ResolvedValue<'a> {
    match value {
        JsonValue::Object(object) => ResolvedValue::object(Row { type_name, object }),
        _ => ResolvedValue::null(),
    }
}

/// A scalar as graphql-js serializes it in Directus: IDs are strings, and
/// so are big integers (but for 0).
fn scalar(type_name: &str, value: &JsonValue) -> JsonValue {
    match (type_name, value) {
        ("ID", JsonValue::Number(n)) => JsonValue::String(n.to_string().into()),
        ("GraphQLBigInt", JsonValue::Number(n)) if n.as_i64() != Some(0) => JsonValue::String(n.to_string().into()),
        _ => value.clone(),
    }
}
