//! Directus's validation of a write payload against a `validation` rule (a
//! permission's, or a field's), answered as Directus answers it.
//!
//! Directus walks `_and`/`_or` (packages/utils/shared/validate-payload.ts),
//! turns every leaf `{field: {_op: value}}` into a Joi schema
//! (packages/utils/shared/generate-joi.ts), validates the payload with it and
//! turns each Joi error item into a FAILED_VALIDATION error
//! (packages/validation/src/utils/joi-to-error-extensions.ts and
//! errors/failed-validation.ts). There is no Joi here: each leaf becomes a
//! [`Check`] that does what its Joi schema does, and each failure an [`Issue`]
//! named after the Joi error it stands for.
//!
//! Where Directus is unclear, this follows its source:
//! - The rule is normalised as `parseFilter` does before it reaches
//!   validatePayload (packages/utils/shared/parse-filter.ts): several keys at
//!   one level and several operators on one field are an `_and`;
//!   `field: {_or: [...]}` applies the `_or` to that field; a bare value is
//!   `_eq`; `"true"`/`"false"`/`"null"` strings are the JSON values; `_in`,
//!   `_nin`, `_between`, `_nbetween` take a list (a string is split on commas).
//! - Only keys present in the payload are checked; only `_submitted` asks for
//!   presence. `_null`/`_nnull`/`_empty`/`_nempty` ignore their value
//!   (`_null: false` still asks for null), and `_required` is no operator.
//! - Nested field keys (relational rules such as `author: {name: {_eq: x}}`)
//!   are checked against a nested object in the payload, as generateJoi nests
//!   `Joi.object()`s: a missing key passes, a non-object (a bare id, a list of
//!   ids, null) fails as `required`, and failures name the top-level field with
//!   the inner keys in `path`.
//! - Unknown operators (`_some`, `_none`, `_json`, `_intersects`, ...) pass:
//!   generateJoi leaves `Joi.any()` for them. An operator with no field above
//!   it names no key and passes too.
//! - Where Directus throws instead of answering (generateJoi rejecting a rule
//!   value, or a Joi error joiValidationErrorItemToErrorExtensions can't
//!   describe, e.g. `_starts_with` on an empty string), the answer is Directus's
//!   500, INTERNAL_SERVER_ERROR "An unexpected error occurred.": the write is
//!   refused, never let through, and the reason is logged.
//! - Quirks are kept: `_eq: 5` allows `5` and `"5"` and so fails as type `in`
//!   with both; a one-item `_in` fails as `eq`; `_nbetween` is Joi's
//!   `less(a).greater(b)`; `_icontains` reports type `contains`; a number past
//!   2^53 fails as `regex` (number.* errors map there).
//! - JS semantics that need a host are fixed: local time is UTC (Directus's
//!   Docker default), dates parse in the ISO forms (`T` or space, optional
//!   offset), and `_regex` (a plain pattern or one wrapped in `/.../`; flags
//!   are not parsed, as in Directus) runs on the `regex` crate with `\d`/`\w`
//!   kept ASCII as in JS. JS-only syntax (lookaround, backreferences) can't be
//!   compiled and is refused as a server error.
//! - Function keys (`year(date)`, `count(tags)`) are computed from the payload
//!   at the top level as inject-function-results.ts does; inside a relational
//!   rule they are refused as a server error.

use crate::error::{ApiError, ErrorCode};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// Largest integer a JS number holds exactly; Joi calls larger numbers unsafe.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
/// Largest distance from the epoch, in ms, a JS `Date` can hold.
const MAX_DATE_MS: f64 = 8.64e15;

/// Checks `payload` (the item being written, presets already merged in) against a Directus validation rule
/// (the raw JSON filter of a permission's `validation`, dynamic variables already substituted), the way Directus's
/// Joi-based validatePayload does. Returns every failure as Directus answers it (empty = valid).
///
/// `path` is the list of relational fields walked through nested writes (empty at the top level); it goes into
/// `extensions.path` and the message. A null or empty rule passes (processPayload drops those before validating).
pub fn validate_payload(rule: &Json, payload: &Map<String, Json>, path: &[String]) -> Vec<ApiError> {
    let cx = Cx { payload, path };
    let checked = match rule {
        Json::Null => Ok(Vec::new()),
        Json::Object(obj) => cx.level(obj, &[]),
        _ => Err("the rule isn't an object".to_string()),
    };
    let answered: Result<Vec<ApiError>, String> = checked.and_then(|failures| {
        failures
            .into_iter()
            .map(|f| match f {
                Failure::Error(e) => Ok(e),
                Failure::Unexpected(why) => Err(why),
            })
            .collect()
    });
    answered.unwrap_or_else(|why| {
        tracing::error!("validation rule can't be evaluated: {why}");
        vec![ApiError::internal("An unexpected error occurred.")]
    })
}

/// All failures as one error (the first, with the rest in `more`), or Ok when there are none.
#[allow(clippy::result_large_err)] // the crate's ApiResult shape
pub fn into_result(failures: Vec<ApiError>) -> Result<(), ApiError> {
    let mut failures = failures.into_iter();
    match failures.next() {
        None => Ok(()),
        Some(first) => Err(first.with_more(failures.collect())),
    }
}

/// One failed check: an error for the client, or a Joi error Directus can't
/// describe (its mapper throws and the request ends in a 500).
enum Failure {
    Error(ApiError),
    Unexpected(String),
}

/// The failures of part of a rule; `Err` when the rule itself can't be
/// evaluated (where generateJoi throws while building the schema).
type Checked = Result<Vec<Failure>, String>;

/// The payload being checked and where it sits in a nested write.
struct Cx<'a> {
    payload: &'a Map<String, Json>,
    path: &'a [String],
}

impl Cx<'_> {
    /// One level of the rule; `keys` is the chain of fields above it (empty at the top).
    fn level(&self, obj: &Map<String, Json>, keys: &[&str]) -> Checked {
        let mut out = Vec::new();
        for (key, value) in obj {
            match key.as_str() {
                "_and" => {
                    for item in items(value)? {
                        out.extend(self.item(item, keys)?);
                    }
                }
                "_or" => out.extend(self.any_of(items(value)?, keys)?),
                op if op.starts_with('_') => {
                    if !keys.is_empty() {
                        out.extend(self.leaf(keys, op, value)?);
                    }
                }
                field => {
                    let sub: Vec<&str> = keys.iter().copied().chain([field]).collect();
                    out.extend(self.field(value, &sub)?);
                }
            }
        }
        Ok(out)
    }

    /// `_or`: valid once a branch is (later branches aren't evaluated, as with
    /// `Array.some`), otherwise the failures of every branch.
    fn any_of(&self, branches: &[Json], keys: &[&str]) -> Checked {
        let mut swallowed = Vec::new();
        for branch in branches {
            let failures = self.item(branch, keys)?;
            if failures.is_empty() {
                return Ok(Vec::new());
            }
            swallowed.extend(failures);
        }
        Ok(swallowed)
    }

    /// One item of `_and`/`_or`. At the top it must be a filter: an empty one
    /// makes generateJoi throw. Under a field it is what the field holds.
    fn item(&self, item: &Json, keys: &[&str]) -> Checked {
        match item {
            _ if !keys.is_empty() => self.field(item, keys),
            Json::Object(obj) if !obj.is_empty() => self.level(obj, keys),
            _ => Err("an item of \"_and\"/\"_or\" isn't a filter".to_string()),
        }
    }

    /// What a field key holds: operators and nested fields, or a bare value (`_eq`).
    fn field(&self, value: &Json, keys: &[&str]) -> Checked {
        match value {
            Json::Object(obj) => self.level(obj, keys),
            Json::Null | Json::Array(_) => Err(format!("the rule for \"{}\" isn't a filter", keys.join("."))),
            bare => self.leaf(keys, "_eq", bare),
        }
    }

    /// One operator on one (possibly nested) field.
    fn leaf(&self, keys: &[&str], op: &str, raw: &Json) -> Checked {
        // Directus builds the schema before it looks at the payload: a broken rule fails even for absent fields.
        let check = Check::build(op, raw)?;
        let issues = match self.lookup(keys)? {
            Found::Missing if matches!(check, Check::Submitted) => vec![Issue::Required],
            Found::Missing => Vec::new(),
            Found::NotObject(depth) => return Ok(vec![self.failure(&keys[..=depth], Issue::Required)]),
            Found::Value(value) => check.run(&value),
        };
        Ok(issues.into_iter().map(|issue| self.failure(keys, issue)).collect())
    }

    /// The payload value under a chain of keys.
    fn lookup(&self, keys: &[&str]) -> Result<Found<'_>, String> {
        if let [key] = keys {
            if is_function(key) {
                if let Some(value) = function_value(key, self.payload)? {
                    return Ok(Found::Value(Cow::Owned(value)));
                }
            }
        } else if keys.iter().any(|k| is_function(k)) {
            return Err(format!("function keys inside relational rules aren't supported: \"{}\"", keys.join(".")));
        }
        let mut level = self.payload;
        for (depth, key) in keys.iter().enumerate() {
            match level.get(*key) {
                None => return Ok(Found::Missing),
                Some(value) if depth + 1 == keys.len() => return Ok(Found::Value(Cow::Borrowed(value))),
                Some(Json::Object(inner)) => level = inner,
                // Joi.object() meets something else: object.base.
                Some(_) => return Ok(Found::NotObject(depth)),
            }
        }
        Ok(Found::Missing)
    }

    /// The error Directus answers for one Joi error item at `keys`.
    fn failure(&self, keys: &[&str], issue: Issue) -> Failure {
        let (ty, detail) = match issue {
            Issue::Only(valids) if valids.len() > 1 => ("in", Detail::Valid(js_json_list(&valids), quoted(&valids))),
            Issue::Only(valids) => match valids.into_iter().next() {
                Some(Json::Null) => ("null", Detail::None),
                Some(Json::String(s)) if s.is_empty() => ("empty", Detail::None),
                valid => {
                    let valid = valid.unwrap_or(Json::Null);
                    ("eq", Detail::Valid(js_json(&valid), js_string(&valid)))
                }
            },
            Issue::Invalid(invalids) if invalids.len() > 1 => {
                ("nin", Detail::Invalid(js_json_list(&invalids), quoted(&invalids)))
            }
            Issue::Invalid(invalids) => match invalids.into_iter().next() {
                Some(Json::Null) => ("nnull", Detail::None),
                Some(Json::String(s)) if s.is_empty() => ("nempty", Detail::None),
                invalid => {
                    let invalid = invalid.unwrap_or(Json::Null);
                    ("neq", Detail::Invalid(js_json(&invalid), js_string(&invalid)))
                }
            },
            Issue::Limit(cmp, limit) => (cmp.name(), Detail::Valid(limit.json(), limit.text())),
            Issue::Required => ("required", Detail::None),
            Issue::Substring(ty, substring) => (ty, Detail::Substring(substring)),
            Issue::Format(value) => ("regex", Detail::Invalid(js_json(&value), String::new())),
            Issue::Unexpected(code) => return Failure::Unexpected(format!("Directus can't describe Joi's \"{code}\"")),
        };

        let field = keys[0];
        let path: Vec<&str> = self.path.iter().map(String::as_str).chain(keys[1..].iter().copied()).collect();
        let at = if path.is_empty() { String::new() } else { format!(" at \"{}\"", path.join(".")) };
        let sentence = match (ty, &detail) {
            ("eq", Detail::Valid(_, v)) => format!(" Value has to be \"{v}\"."),
            ("lt", Detail::Valid(_, v)) => format!(" Value has to be less than \"{v}\"."),
            ("lte", Detail::Valid(_, v)) => format!(" Value has to be less than or equal to \"{v}\"."),
            ("gt", Detail::Valid(_, v)) => format!(" Value has to be greater than \"{v}\"."),
            ("gte", Detail::Valid(_, v)) => format!(" Value has to be greater than or equal to \"{v}\"."),
            ("in", Detail::Valid(_, list)) => format!(" Value has to be one of {list}."),
            ("neq", Detail::Invalid(_, v)) => format!(" Value can't be \"{v}\"."),
            ("nin", Detail::Invalid(_, list)) => format!(" Value can't be one of {list}."),
            ("contains" | "icontains", Detail::Substring(s)) => format!(" Value has to contain \"{s}\"."),
            ("ncontains", Detail::Substring(s)) => format!(" Value can't contain \"{s}\"."),
            ("null", _) => " Value has to be null.".into(),
            ("nnull", _) => " Value can't be null.".into(),
            ("empty", _) => " Value has to be empty.".into(),
            ("nempty", _) => " Value can't be empty.".into(),
            ("required", _) => " Value is required.".into(),
            ("regex", _) => " Value doesn't have the correct format.".into(),
            _ => String::new(),
        };
        let message = format!("Validation failed for field \"{field}\"{at}.{sentence}");
        let error = ApiError::new(ErrorCode::FailedValidation, message)
            .with("field", field)
            .with("path", path)
            .with("type", ty);
        Failure::Error(match detail {
            Detail::None => error,
            Detail::Valid(valid, _) => error.with("valid", valid),
            Detail::Invalid(invalid, _) => error.with("invalid", invalid),
            Detail::Substring(substring) => error.with("substring", substring),
        })
    }
}

/// What a chain of keys finds in the payload.
enum Found<'a> {
    Missing,
    Value(Cow<'a, Json>),
    /// The key at this depth holds something other than an object, with keys below it in the rule.
    NotObject(usize),
}

/// The list of `_and`/`_or`; anything else makes parseFilter throw.
fn items(value: &Json) -> Result<&[Json], String> {
    value.as_array().map(Vec::as_slice).ok_or_else(|| "\"_and\"/\"_or\" isn't a list".to_string())
}

/// What an error says beyond its type: the value as JSON and as the message shows it.
enum Detail {
    None,
    Valid(Json, String),
    Invalid(Json, String),
    Substring(String),
}

/// A Joi comparison rule and the Directus type its failure gets.
#[derive(Debug, Clone, Copy)]
enum Cmp {
    /// `greater`
    Gt,
    /// `min`
    Gte,
    /// `less`
    Lt,
    /// `max`
    Lte,
}

impl Cmp {
    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Cmp::Gt => value > limit,
            Cmp::Gte => value >= limit,
            Cmp::Lt => value < limit,
            Cmp::Lte => value <= limit,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cmp::Gt => "gt",
            Cmp::Gte => "gte",
            Cmp::Lt => "lt",
            Cmp::Lte => "lte",
        }
    }
}

/// The limit of a comparison: a number, or a date in ms.
#[derive(Debug, Clone, Copy)]
enum Limit {
    Number(f64),
    Date(f64),
}

impl Limit {
    /// As the JSON response carries it (a `Date` serialises to its ISO string).
    fn json(self) -> Json {
        match self {
            Limit::Number(n) => num_json(n),
            Limit::Date(ms) => Json::String(iso_string(ms)),
        }
    }

    /// As the message's template literal prints it (`Date.prototype.toString`).
    fn text(self) -> String {
        match self {
            Limit::Number(n) => js_num(n),
            Limit::Date(ms) => date_string(ms),
        }
    }
}

/// One Joi error item, by what Directus makes of it.
enum Issue {
    /// `any.only`: not one of these.
    Only(Vec<Json>),
    /// `any.invalid`: one of these.
    Invalid(Vec<Json>),
    /// `number.*`/`date.*` greater, min, less, max.
    Limit(Cmp, Limit),
    /// `any.required` and every `*.base` (a value of the wrong type).
    Required,
    /// A contains rule or a named pattern (`starts_with`, ...): the type and the substring.
    Substring(&'static str, String),
    /// `string.pattern.base` and the other `number.*` errors (unsafe): type `regex`, with the value.
    Format(Json),
    /// A Joi error Directus's mapper can't describe (it throws).
    Unexpected(&'static str),
}

/// The Joi schema generateJoi builds for one operator, reduced to what it checks.
enum Check {
    /// `Joi.any()`: operators generateJoi doesn't know.
    Any,
    /// `Joi.any().valid(...)`; with no values it allows anything.
    Valid(Vec<Json>),
    /// `Joi.any().invalid(...)`.
    Invalid(Vec<Json>),
    /// `Joi.any().required()`.
    Submitted,
    /// `Joi.number()` with comparison rules.
    Number(Vec<(Cmp, f64)>),
    /// `Joi.date()` with comparison rules, limits in ms.
    Date(Vec<(Cmp, f64)>),
    /// Directus's contains rules, on a string or on the items of an array.
    Contains { needle: String, negated: bool, insensitive: bool },
    /// `Joi.string().pattern(/^needle.*/ or /.*needle$/, { name, invert })`.
    Affix { name: &'static str, needle: String, at_start: bool, insensitive: bool, invert: bool },
    /// `Joi.string().min(0).regex(...)`.
    Regex(regex::Regex),
}

impl Check {
    /// generateJoi for one operator; `Err` where it throws.
    fn build(op: &str, raw: &Json) -> Result<Check, String> {
        let value = coerce(raw);
        let list = || to_list(raw).iter().map(coerce).collect::<Vec<_>>();
        Ok(match op {
            "_eq" => Check::Valid(eq_values(&value)?),
            "_neq" => Check::Invalid(eq_values(&value)?),
            "_in" => Check::Valid(flat_values(list())?),
            "_nin" => Check::Invalid(flat_values(list())?),
            "_null" => Check::Valid(vec![Json::Null]),
            "_nnull" => Check::Invalid(vec![Json::Null]),
            "_empty" => Check::Valid(vec![Json::from("")]),
            "_nempty" => Check::Invalid(vec![Json::from("")]),
            "_submitted" => Check::Submitted,
            "_gt" | "_gte" | "_lt" | "_lte" => {
                let cmp = match op {
                    "_gt" => Cmp::Gt,
                    "_gte" => Cmp::Gte,
                    "_lt" => Cmp::Lt,
                    _ => Cmp::Lte,
                };
                // A limit that isn't a number is a date.
                match to_number(&value) {
                    n if n.is_nan() => Check::Date(vec![(cmp, date_limit(Some(&value))?)]),
                    n => Check::Number(vec![(cmp, n)]),
                }
            }
            "_between" => range(&list(), [Cmp::Gte, Cmp::Lte])?,
            // Joi's less(low).greater(high): as in Directus, no value passes an ordered range.
            "_nbetween" => range(&list(), [Cmp::Lt, Cmp::Gt])?,
            "_contains" | "_icontains" | "_ncontains" => match value {
                Json::String(needle) => {
                    Check::Contains { needle, negated: op == "_ncontains", insensitive: op == "_icontains" }
                }
                // generateJoi's fallback for a non-string: the field has to be `true`.
                _ => Check::Valid(vec![Json::Bool(true)]),
            },
            "_regex" => match value {
                Json::Null => Check::Valid(vec![Json::Bool(true)]),
                pattern => Check::Regex(js_regex(&pattern)?),
            },
            // The affix operators; anything else is unknown to generateJoi, which leaves Joi.any().
            _ => match AFFIXES.iter().copied().find(|name| op.strip_prefix('_') == Some(*name)) {
                Some(name) => match value {
                    Json::String(needle) => {
                        let unnegated = name.trim_start_matches('n');
                        Check::Affix {
                            name,
                            needle,
                            at_start: unnegated.trim_start_matches('i').starts_with("starts"),
                            insensitive: unnegated.starts_with('i'),
                            invert: name.starts_with('n'),
                        }
                    }
                    _ => Check::Valid(vec![Json::Bool(true)]),
                },
                None => Check::Any,
            },
        })
    }

    /// The Joi error items for a present value.
    fn run(&self, value: &Json) -> Vec<Issue> {
        match self {
            Check::Any | Check::Submitted => Vec::new(),
            Check::Valid(valids) if valids.is_empty() || valids.iter().any(|v| js_equal(v, value)) => Vec::new(),
            Check::Valid(valids) => vec![Issue::Only(valids.clone())],
            Check::Invalid(invalids) if invalids.iter().any(|v| js_equal(v, value)) => {
                vec![Issue::Invalid(invalids.clone())]
            }
            Check::Invalid(_) => Vec::new(),
            Check::Number(rules) => match number_of(value) {
                Err(issue) => vec![issue],
                Ok(n) => failed_rules(rules, n, Limit::Number),
            },
            Check::Date(rules) => match date_value(value) {
                None => vec![Issue::Required],
                Some(ms) => failed_rules(rules, ms, Limit::Date),
            },
            Check::Contains { needle, negated, insensitive } => {
                let hit = |s: &str| {
                    !s.is_empty()
                        && if *insensitive {
                            s.to_lowercase().contains(&needle.to_lowercase())
                        } else {
                            s.contains(needle.as_str())
                        }
                };
                match value {
                    // Joi.string() refuses "" (string.empty), and Directus can't describe that.
                    Json::String(s) if s.is_empty() => vec![Issue::Unexpected("string.empty")],
                    Json::String(s) if hit(s) != *negated => Vec::new(),
                    // Joi's error is string.icontains, which Directus's mapper reports as `contains`.
                    Json::String(_) => {
                        vec![Issue::Substring(if *negated { "ncontains" } else { "contains" }, needle.clone())]
                    }
                    // The array alternative: an item has to match (or none may); its errors have no description.
                    Json::Array(items) if items.iter().any(|i| i.as_str().is_some_and(hit)) != *negated => Vec::new(),
                    Json::Array(_) => vec![Issue::Unexpected("array.includes")],
                    _ => vec![Issue::Unexpected("alternatives.types")],
                }
            }
            Check::Affix { name, needle, at_start, insensitive, invert } => match value {
                Json::String(s) if s.is_empty() => vec![Issue::Unexpected("string.empty")],
                Json::String(s) if affixed(s, needle, *at_start, *insensitive) != *invert => Vec::new(),
                // The substring Directus cuts out of the pattern's source: the needle as escaped there.
                Json::String(_) => vec![Issue::Substring(name, regex_source(needle))],
                _ => vec![Issue::Required],
            },
            Check::Regex(re) => match value {
                Json::String(s) if re.is_match(s) => Vec::new(),
                Json::String(_) => vec![Issue::Format(value.clone())],
                _ => vec![Issue::Required],
            },
        }
    }
}

/// The pattern names generateJoi gives the affix operators.
const AFFIXES: [&str; 8] = [
    "starts_with",
    "nstarts_with",
    "istarts_with",
    "nistarts_with",
    "ends_with",
    "nends_with",
    "iends_with",
    "niends_with",
];

/// Joi runs every rule (abortEarly is off), so each failing comparison is reported.
fn failed_rules(rules: &[(Cmp, f64)], value: f64, limit: fn(f64) -> Limit) -> Vec<Issue> {
    rules.iter().filter(|(cmp, l)| !cmp.holds(value, *l)).map(|&(cmp, l)| Issue::Limit(cmp, limit(l))).collect()
}

/// `_between`/`_nbetween`: numbers when every bound is a safe number, dates otherwise; the first two bounds count.
fn range(bounds: &[Json], cmps: [Cmp; 2]) -> Result<Check, String> {
    let numeric = bounds.iter().all(|b| {
        let n = to_number(b);
        !n.is_nan() && n.abs() <= MAX_SAFE
    });
    if numeric {
        let bound = |i: usize| bounds.get(i).map_or(f64::NAN, to_number);
        let (low, high) = (bound(0), bound(1));
        if low.is_nan() || high.is_nan() {
            return Err("a range needs two bounds".to_string());
        }
        Ok(Check::Number(vec![(cmps[0], low), (cmps[1], high)]))
    } else {
        Ok(Check::Date(vec![(cmps[0], date_limit(bounds.first())?), (cmps[1], date_limit(bounds.get(1))?)]))
    }
}

/// The values `_eq` allows: a number also as its string, a numeric string also as its number.
fn eq_values(value: &Json) -> Result<Vec<Json>, String> {
    Ok(match value {
        // Joi's valid() refuses array arguments.
        Json::Array(_) => return Err("\"_eq\"/\"_neq\" can't compare with a list".to_string()),
        Json::Number(n) => vec![value.clone(), Json::String(js_num(n.as_f64().unwrap_or(f64::NAN)))],
        Json::Null | Json::Bool(_) => vec![value.clone()],
        Json::String(s) if s.is_empty() => vec![value.clone()],
        other => match to_number(other) {
            n if n.is_finite() => vec![value.clone(), num_json(n)],
            _ => vec![value.clone()],
        },
    })
}

/// `_in`/`_nin` values as Joi keeps them: no lists (Joi throws), primitives once.
fn flat_values(values: Vec<Json>) -> Result<Vec<Json>, String> {
    let mut out: Vec<Json> = Vec::new();
    for value in values {
        if value.is_array() {
            return Err("\"_in\"/\"_nin\" values can't be lists".to_string());
        }
        if value.is_object() || !out.iter().any(|o| js_equal(o, &value)) {
            out.push(value);
        }
    }
    Ok(out)
}

/// parseFilter's list for `_in`, `_nin`, `_between`, `_nbetween`: an object's
/// values, a string split on commas, a scalar alone; nested lists spread once.
fn to_list(raw: &Json) -> Vec<Json> {
    let items = match raw {
        Json::Object(obj) => obj.values().cloned().collect(),
        Json::Array(items) => items.clone(),
        Json::String(s) => s.split(',').map(Json::from).collect(),
        other => vec![other.clone()],
    };
    items
        .into_iter()
        .flat_map(|item| match item {
            Json::Array(inner) => inner,
            other => vec![other],
        })
        .collect()
}

/// parseFilter's coercion of rule values: `"true"`, `"false"`, `"null"` are the JSON values.
fn coerce(value: &Json) -> Json {
    match value {
        Json::String(s) => match s.as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "null" | "NULL" => Json::Null,
            _ => value.clone(),
        },
        Json::Array(items) => Json::Array(items.iter().map(coerce).collect()),
        Json::Object(obj) => Json::Object(obj.iter().map(|(k, v)| (k.clone(), coerce(v))).collect()),
        _ => value.clone(),
    }
}

/// Whether `s` starts (or ends) with `needle`; `insensitive` as a JS `/i` regex compares.
fn affixed(s: &str, needle: &str, at_start: bool, insensitive: bool) -> bool {
    let fold = |c: char| if insensitive { js_canonical(c) } else { c };
    let eq = |(a, b): (char, char)| fold(a) == fold(b);
    let n = needle.chars().count();
    if at_start {
        s.chars().count() >= n && s.chars().zip(needle.chars()).all(eq)
    } else {
        s.chars().count() >= n && s.chars().rev().zip(needle.chars().rev()).all(eq)
    }
}

/// The case a non-Unicode JS `/i` regex compares in: the upper case when it is one character and doesn't turn
/// a non-ASCII character into an ASCII one.
fn js_canonical(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if (c as u32) < 128 || (u as u32) >= 128 => u,
        _ => c,
    }
}

/// `needle` as it appears in the source of `new RegExp(escapeRegExp(needle))`:
/// lodash escapes the syntax characters, the source escapes `/` and line breaks.
fn regex_source(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len());
    for c in needle.chars() {
        match c {
            '^' | '$' | '\\' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

/// `new RegExp(pattern)` as generateJoi builds it for `_regex`: the value as a
/// string, its slashes dropped when it is wrapped in them.
fn js_regex(value: &Json) -> Result<regex::Regex, String> {
    let source = js_string(value);
    let wrapped = value.is_string() && source.starts_with('/') && source.ends_with('/');
    let pattern = match (wrapped, source.len()) {
        (true, len) if len >= 2 => &source[1..len - 1],
        (true, _) => "",
        (false, _) => source.as_str(),
    };
    regex::Regex::new(&translate_js_regex(pattern)).map_err(|e| format!("\"_regex\" pattern can't be compiled: {e}"))
}

/// JS regex syntax for the `regex` crate: `\d` and `\w` stay ASCII as in JS,
/// `\/` is a slash, and `[`, `&`, `~` in a class are literal.
fn translate_js_regex(js: &str) -> String {
    let mut out = String::with_capacity(js.len() + 8);
    let mut in_class = false;
    let mut chars = js.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                Some('/') => out.push('/'),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

// ---- Function keys (inject-function-results.ts, functions.ts) ----

fn is_function(key: &str) -> bool {
    key.contains('(') && key.contains(')')
}

/// The value Directus injects under a function key before validating; `None`
/// when the key names no field (Directus skips it). A date function of a
/// value that isn't a date gives JS's NaN, here the string `"NaN"`: it fails
/// or passes the same checks, save the string operators nobody puts on a year.
fn function_value(key: &str, payload: &Map<String, Json>) -> Result<Option<Json>, String> {
    let name = key.split('(').next().unwrap_or_default();
    let Some(field) = paren_arg(key) else { return Ok(None) };
    if name.is_empty() {
        return Ok(None);
    }
    let source = payload.get(field);
    if name == "count" {
        return Ok(Some(match source {
            Some(Json::Array(items)) => Json::from(items.len()),
            _ => Json::Null,
        }));
    }
    let part: fn(&Civil) -> i64 = match name {
        "year" => |c| c.year,
        "month" => |c| c.month,
        "week" => week,
        "day" => |c| c.day,
        "weekday" => |c| c.weekday,
        "hour" => |c| c.hour,
        "minute" => |c| c.minute,
        "second" => |c| c.second,
        _ => return Err(format!("unknown function \"{name}\"")),
    };
    let date = source.and_then(Json::as_str).and_then(parse_date);
    Ok(Some(date.map_or_else(|| Json::from("NaN"), |ms| Json::from(part(&civil(ms))))))
}

/// What `/\(([^)]+)\)/` captures: the text between the first `(` with a non-empty `(...)` and its `)`.
fn paren_arg(key: &str) -> Option<&str> {
    key.match_indices('(').find_map(|(i, _)| {
        let rest = &key[i + 1..];
        let end = rest.find(')')?;
        (end > 0).then(|| &rest[..end])
    })
}

/// date-fns `getWeek` with its defaults: weeks start on Sunday, week 1 holds January 1st.
fn week(c: &Civil) -> i64 {
    let sunday = |days: i64| days - (days + 4).rem_euclid(7);
    if c.days >= sunday(days_from_civil(c.year + 1, 1, 1)) {
        return 1;
    }
    (sunday(c.days) - sunday(days_from_civil(c.year, 1, 1))) / 7 + 1
}

// ---- JS values: numbers, strings, equality ----

/// JS `ToNumber` of a JSON value.
fn to_number(value: &Json) -> f64 {
    match value {
        Json::Null => 0.0,
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Json::String(s) => string_to_number(s),
        Json::Array(_) => string_to_number(&js_string(value)),
        Json::Object(_) => f64::NAN,
    }
}

/// JS `StringToNumber`: decimal, `Infinity`, `0x`/`0o`/`0b` literals; blank is 0.
fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = &t[2..];
        let value =
            digits.chars().try_fold(0.0, |acc, c| c.to_digit(radix).map(|d| acc * f64::from(radix) + f64::from(d)));
        return if digits.is_empty() { f64::NAN } else { value.unwrap_or(f64::NAN) };
    }
    match t {
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if decimal_literal(t).is_some() => t.parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// `[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?` (case-insensitive `e`), Joi's number
/// syntax and JS's decimal literal; `Some` holds the exponent's text.
fn decimal_literal(t: &str) -> Option<Option<&str>> {
    let b = t.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_end = digits(i);
    let mut frac = 0;
    let mut end = int_end;
    if b.get(int_end) == Some(&b'.') {
        end = digits(int_end + 1);
        frac = end - int_end - 1;
    }
    if int_end == i && frac == 0 {
        return None;
    }
    i = end;
    let mut exponent = None;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let start = i + 1;
        let signed = start + usize::from(matches!(b.get(start), Some(b'+' | b'-')));
        let stop = digits(signed);
        if stop == signed {
            return None;
        }
        exponent = Some(&t[start..stop]);
        i = stop;
    }
    (i == b.len()).then_some(exponent)
}

/// JS `WhiteSpace` and `LineTerminator` (what `trim` and `\s` strip).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// A payload value through `Joi.number()`: a number, or a numeric string
/// (trimmed). Non-numbers are `number.base`; numbers a double can't hold
/// exactly are `number.unsafe`, which Directus reports as `regex`.
fn number_of(value: &Json) -> Result<f64, Issue> {
    let n = match value {
        Json::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Json::String(s) => {
            let t = s.trim_matches(is_js_space);
            let Some(exponent) = decimal_literal(t) else { return Err(Issue::Required) };
            let n: f64 = t.parse().unwrap_or(f64::NAN);
            if unsafe_literal(t, n, exponent) {
                return Err(Issue::Format(value.clone()));
            }
            n
        }
        _ => return Err(Issue::Required),
    };
    if !n.is_finite() || n.abs() > MAX_SAFE {
        return Err(Issue::Format(num_json(n)));
    }
    Ok(n + 0.0)
}

/// Joi's check that a numeric string reads back the same from the double it becomes.
fn unsafe_literal(t: &str, n: f64, exponent: Option<&str>) -> bool {
    match exponent {
        Some(e) => {
            let scale = 10f64.powf(e.parse().unwrap_or(f64::NAN));
            normalize_exponent(&format!("{}e{e}", js_num(n / scale))) != normalize_exponent(t)
        }
        None => {
            let shown = js_num(n);
            !shown.contains('e') && shown != normalize_decimal(t)
        }
    }
}

/// Joi's `normalizeExponent`.
fn normalize_exponent(s: &str) -> String {
    let mut s = s.replacen('E', "e", 1);
    if let Some(dot) = s.find('.') {
        if let Some(e) = s[dot..].find('e').map(|i| dot + i) {
            let frac = &s[dot + 1..e];
            if frac.bytes().all(|b| b.is_ascii_digit()) && frac.ends_with('0') {
                s = format!("{}.{}{}", &s[..dot], frac.trim_end_matches('0'), &s[e..]);
            }
        }
    }
    let s = s.replacen(".e", "e", 1).replacen("e+", "e", 1);
    strip_leading_zeros(s.strip_prefix('+').unwrap_or(&s))
}

/// Joi's `normalizeDecimal`.
fn normalize_decimal(s: &str) -> String {
    let mut s = s.strip_prefix('+').unwrap_or(s).to_string();
    if let Some(dot) = s.find('.') {
        let tail = &s[dot + 1..];
        if !tail.is_empty() && tail.bytes().all(|b| b == b'0') {
            s.truncate(dot);
        }
    }
    let (sign, rest) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    if rest.starts_with('.') && !rest[1..].contains('.') {
        s = format!("{sign}0{rest}");
    }
    let mut s = strip_leading_zeros(&s);
    if s.contains('.') && s.ends_with('0') {
        s = s.trim_end_matches('0').to_string();
    }
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// `^(-?)0+([1-9])` → `$1$2`.
fn strip_leading_zeros(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let trimmed = rest.trim_start_matches('0');
    if trimmed.len() < rest.len() && trimmed.starts_with(|c: char| ('1'..='9').contains(&c)) {
        format!("{sign}{trimmed}")
    } else {
        s.to_string()
    }
}

/// JS `Number.prototype.toString()`.
fn js_num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` gives the shortest digits that read back the same, as JS does.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(n.unsigned_abs() as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let mantissa = if k == 1 { digits.clone() } else { format!("{}.{}", &digits[..1], &digits[1..]) };
        format!("{mantissa}e{sign}{}", e.unsigned_abs())
    };
    if x < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// JS `String(value)` of a JSON value, as a template literal prints it.
fn js_string(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => js_num(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => s.clone(),
        Json::Array(items) => {
            items.iter().map(|i| if i.is_null() { String::new() } else { js_string(i) }).collect::<Vec<_>>().join(",")
        }
        Json::Object(_) => "[object Object]".into(),
    }
}

/// Values quoted and listed as Directus's `in`/`nin` messages do.
fn quoted(values: &[Json]) -> String {
    values.iter().map(|v| format!("\"{}\"", js_string(v))).collect::<Vec<_>>().join(", ")
}

/// A number as `JSON.stringify` writes it (`5`, never `5.0`).
fn num_json(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e18 {
        Json::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

/// A JSON value with its numbers as a JS engine writes them back.
fn js_json(value: &Json) -> Json {
    match value {
        Json::Number(n) => num_json(n.as_f64().unwrap_or(f64::NAN)),
        Json::Array(items) => js_json_list(items),
        Json::Object(obj) => Json::Object(obj.iter().map(|(k, v)| (k.clone(), js_json(v))).collect()),
        _ => value.clone(),
    }
}

fn js_json_list(values: &[Json]) -> Json {
    Json::Array(values.iter().map(js_json).collect())
}

/// Joi's value match: primitives by `SameValueZero` (numbers by value, whatever their JSON spelling), objects
/// and arrays deeply.
fn js_equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| js_equal(p, q)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| js_equal(p, q)))
        }
        _ => a == b,
    }
}

// ---- JS dates (UTC) ----

/// A payload value through `Joi.date()`: ms since the epoch, a string of
/// digits read as ms, or a date string. Anything else is `date.base`.
fn date_value(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => time_clip(n.as_f64()?),
        Json::String(s) if s.trim_matches(is_js_space).is_empty() => None,
        Json::String(s) if is_plain_decimal(s) => time_clip(s.parse().ok()?),
        Json::String(s) => parse_date(s),
        _ => None,
    }
}

/// A comparison limit as Joi's date rules normalise it; Joi throws on one it can't read.
fn date_limit(value: Option<&Json>) -> Result<f64, String> {
    let ms = match value {
        Some(Json::Bool(b)) => time_clip(f64::from(u8::from(*b))),
        Some(Json::Null) => Some(0.0),
        Some(v) => date_value(v),
        None => None,
    };
    ms.ok_or_else(|| format!("date limit {} isn't a valid date", value.map_or("undefined".into(), Json::to_string)))
}

/// `^[+-]?\d+(\.\d+)?$`: Joi reads such a string as a timestamp in ms.
fn is_plain_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    !int.is_empty() && !frac.is_empty() && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
}

/// JS `TimeClip`: the ms a `Date` keeps, or `None` for an invalid date.
fn time_clip(ms: f64) -> Option<f64> {
    (ms.is_finite() && ms.abs() <= MAX_DATE_MS).then(|| ms.trunc() + 0.0)
}

/// An ISO 8601 date as `new Date(s)` reads it: `YYYY[-MM[-DD]]` (or a signed
/// six-digit year), then optionally `T` (or a space) `HH:mm[:ss[.sss]]` and
/// `Z` or `±HH:mm`. Local time is UTC.
fn parse_date(s: &str) -> Option<f64> {
    let mut p = Cursor { s: s.trim_matches(is_js_space).as_bytes(), i: 0 };
    let year = match p.s.first()? {
        sign @ (b'+' | b'-') => {
            let negative = *sign == b'-';
            p.i = 1;
            let y = p.digits(6)?;
            if negative && y == 0 {
                return None;
            }
            if negative {
                -y
            } else {
                y
            }
        }
        _ => p.digits(4)?,
    };
    let (mut month, mut day) = (1, 1);
    if p.eat(b'-') {
        month = p.digits(2)?;
        if p.eat(b'-') {
            day = p.digits(2)?;
        }
    }
    let (mut hour, mut minute, mut second, mut milli, mut offset) = (0, 0, 0, 0, 0);
    if p.eat(b'T') || p.eat(b't') || p.eat(b' ') {
        hour = p.digits(2)?;
        if !p.eat(b':') {
            return None;
        }
        minute = p.digits(2)?;
        if p.eat(b':') {
            second = p.digits(2)?;
            if p.eat(b'.') {
                let start = p.i;
                while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                    p.i += 1;
                }
                let frac = std::str::from_utf8(&p.s[start..p.i]).ok()?;
                if frac.is_empty() {
                    return None;
                }
                milli = format!("{frac:0<3}")[..3].parse().ok()?;
            }
        }
        if !(p.eat(b'Z') || p.eat(b'z')) {
            if let Some(sign) = [b'+', b'-'].into_iter().find(|c| p.s.get(p.i) == Some(c)) {
                p.i += 1;
                let h = p.digits(2)?;
                p.eat(b':');
                let m = p.digits(2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                offset = if sign == b'-' { -(h * 60 + m) } else { h * 60 + m };
            }
        }
    }
    let valid = p.i == p.s.len()
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && minute <= 59
        && second <= 59
        && (hour <= 23 || (hour == 24 && minute == 0 && second == 0 && milli == 0));
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, 1) + day - 1;
    let ms = ((days * 24 + hour) * 60 + minute - offset) * 60_000 + second * 1000 + milli;
    time_clip(ms as f64)
}

/// A byte cursor for [`parse_date`].
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let part = self.s.get(self.i..self.i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A moment's calendar fields in UTC.
struct Civil {
    days: i64,
    year: i64,
    month: i64,
    day: i64,
    /// 0 is Sunday.
    weekday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

fn civil(ms: f64) -> Civil {
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    Civil {
        days,
        year: yoe + era * 400 + i64::from(month <= 2),
        month,
        day: doy - (153 * mp + 2) / 5 + 1,
        weekday: (days + 4).rem_euclid(7),
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        milli: in_day % 1000,
    }
}

/// `Date.prototype.toISOString`.
fn iso_string(ms: f64) -> String {
    let c = civil(ms);
    let year = match c.year {
        0..=9999 => format!("{:04}", c.year),
        y if y < 0 => format!("-{:06}", -y),
        y => format!("+{y:06}"),
    };
    format!("{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.month, c.day, c.hour, c.minute, c.second, c.milli)
}

/// `Date.prototype.toString` in UTC, as a template literal prints a `Date`.
fn date_string(ms: f64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let c = civil(ms);
    let year = if c.year < 0 { format!("-{:04}", -c.year) } else { format!("{:04}", c.year) };
    format!(
        "{} {} {:02} {year} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[c.weekday as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(rule: Json, payload: Json) -> Vec<ApiError> {
        check_at(rule, payload, &[])
    }

    fn check_at(rule: Json, payload: Json, path: &[&str]) -> Vec<ApiError> {
        let path: Vec<String> = path.iter().map(|p| p.to_string()).collect();
        validate_payload(&rule, payload.as_object().expect("payload object"), &path)
    }

    /// Each failure as its `{"message", "extensions"}` object.
    fn objects(errors: &[ApiError]) -> Vec<Json> {
        errors.iter().map(|e| e.to_body()["errors"][0].clone()).collect()
    }

    fn messages(errors: &[ApiError]) -> Vec<String> {
        errors.iter().map(|e| e.message.clone()).collect()
    }

    fn one(rule: Json, payload: Json) -> Json {
        let errors = check(rule, payload);
        assert_eq!(errors.len(), 1, "{errors:?}");
        objects(&errors).remove(0)
    }

    #[test]
    fn nnull_answers_exactly_as_directus() {
        let errors = check(json!({"body": {"_nnull": true}}), json!({"body": null}));
        assert_eq!(
            serde_json::to_string(&objects(&errors)[0]).unwrap(),
            r#"{"message":"Validation failed for field \"body\". Value can't be null.","extensions":{"field":"body","path":[],"type":"nnull","code":"FAILED_VALIDATION"}}"#
        );
        assert_eq!(errors[0].status(), 400);
    }

    #[test]
    fn and_collects_every_failure_and_or_every_branch() {
        let payload = json!({"article": 2, "body": "abc"});
        let expected = vec![
            json!({"message": "Validation failed for field \"body\". Value has to contain \"x\".",
                   "extensions": {"field": "body", "path": [], "type": "contains", "substring": "x", "code": "FAILED_VALIDATION"}}),
            json!({"message": "Validation failed for field \"article\". Value has to be one of \"1\", \"3\".",
                   "extensions": {"field": "article", "path": [], "type": "in", "valid": [1, 3], "code": "FAILED_VALIDATION"}}),
        ];
        let and = check(json!({"_and": [{"body": {"_contains": "x"}}, {"article": {"_in": [1, 3]}}]}), payload.clone());
        assert_eq!(objects(&and), expected);
        let or = check(json!({"_or": [{"body": {"_contains": "x"}}, {"article": {"_in": [1, 3]}}]}), payload);
        assert_eq!(objects(&or), expected);
    }

    #[test]
    fn or_passes_on_any_passing_branch() {
        let rule = json!({"_or": [{"body": {"_contains": "x"}}, {"article": {"_in": [1, 3]}}]});
        assert!(check(rule.clone(), json!({"article": 3, "body": "abc"})).is_empty());
        assert!(check(rule, json!({"article": 2, "body": "xyz"})).is_empty());
        // Branches after a passing one aren't evaluated, broken or not.
        assert!(check(json!({"_or": [{"a": {"_eq": 1}}, {"a": {"_regex": "("}}]}), json!({"a": 1})).is_empty());
        assert!(check(json!({"_or": []}), json!({"a": 1})).is_empty());
        assert!(check(json!({"_and": []}), json!({"a": 1})).is_empty());
    }

    #[test]
    fn directus_answers_for_eq_regex_gt() {
        let eq = one(json!({"body": {"_eq": "exact"}}), json!({"body": "other"}));
        assert_eq!(eq["message"], "Validation failed for field \"body\". Value has to be \"exact\".");
        assert_eq!(
            eq["extensions"],
            json!({"field": "body", "path": [], "type": "eq", "valid": "exact", "code": "FAILED_VALIDATION"})
        );

        let regex = one(json!({"body": {"_regex": "^[a-z]+$"}}), json!({"body": "ABC"}));
        assert_eq!(regex["message"], "Validation failed for field \"body\". Value doesn't have the correct format.");
        assert_eq!(
            regex["extensions"],
            json!({"field": "body", "path": [], "type": "regex", "invalid": "ABC", "code": "FAILED_VALIDATION"})
        );
        assert!(check(json!({"body": {"_regex": "/^[a-z]+$/"}}), json!({"body": "abc"})).is_empty());
        assert!(check(json!({"body": {"_regex": "^\\d+$"}}), json!({"body": "١٢"})).len() == 1, "\\d is ASCII in JS");

        let gt = one(json!({"article": {"_gt": 5}}), json!({"article": 2}));
        assert_eq!(gt["message"], "Validation failed for field \"article\". Value has to be greater than \"5\".");
        assert_eq!(
            gt["extensions"],
            json!({"field": "article", "path": [], "type": "gt", "valid": 5, "code": "FAILED_VALIDATION"})
        );
    }

    #[test]
    fn nested_writes_carry_their_path() {
        let errors = check_at(json!({"label": {"_submitted": true}}), json!({}), &["notes"]);
        assert_eq!(
            objects(&errors),
            vec![json!({"message": "Validation failed for field \"label\" at \"notes\". Value is required.",
                        "extensions": {"field": "label", "path": ["notes"], "type": "required", "code": "FAILED_VALIDATION"}})]
        );
        let deeper = check_at(json!({"n": {"_lt": 3}}), json!({"n": 4}), &["notes", "tags"]);
        assert_eq!(
            messages(&deeper),
            ["Validation failed for field \"n\" at \"notes.tags\". Value has to be less than \"3\"."]
        );
    }

    #[test]
    fn only_submitted_asks_for_presence() {
        for op in ["_eq", "_nnull", "_nempty", "_gt", "_in", "_contains", "_starts_with", "_regex", "_between", "_null"]
        {
            let value = match op {
                "_in" | "_between" => json!([1, 2]),
                "_gt" => json!(1),
                _ => json!("x"),
            };
            assert!(check(json!({"a": {op: value}}), json!({"b": 1})).is_empty(), "{op}");
        }
        assert_eq!(one(json!({"a": {"_submitted": true}}), json!({}))["extensions"]["type"], "required");
        // Present is enough, null included.
        assert!(check(json!({"a": {"_submitted": true}}), json!({"a": null})).is_empty());
        // `_required` is no operator.
        assert!(check(json!({"a": {"_required": true}}), json!({})).is_empty());
    }

    #[test]
    fn keys_and_operators_at_one_level_are_an_and() {
        let errors = check(json!({"a": {"_gt": 1, "_lt": 5}, "b": {"_eq": "x"}}), json!({"a": 9, "b": "y"}));
        assert_eq!(
            messages(&errors),
            [
                "Validation failed for field \"a\". Value has to be less than \"5\".",
                "Validation failed for field \"b\". Value has to be \"x\"."
            ]
        );
        let both = check(json!({"a": {"_gt": 10, "_lt": 5}}), json!({"a": 7}));
        assert_eq!(both.len(), 2);
    }

    #[test]
    fn logical_operators_under_a_field_apply_to_it() {
        let rule = json!({"status": {"_or": [{"_eq": "draft"}, {"_eq": "review"}]}});
        assert!(check(rule.clone(), json!({"status": "review"})).is_empty());
        assert_eq!(
            messages(&check(rule, json!({"status": "live"}))),
            [
                "Validation failed for field \"status\". Value has to be \"draft\".",
                "Validation failed for field \"status\". Value has to be \"review\"."
            ]
        );
        // A bare value is `_eq`, here and in a field's `_or`.
        assert!(check(json!({"status": {"_or": ["a", "b"]}}), json!({"status": "b"})).is_empty());
        assert_eq!(one(json!({"status": "a"}), json!({"status": "b"}))["extensions"]["type"], "eq");
    }

    #[test]
    fn eq_and_in_follow_joi_valid() {
        // `_eq: 5` allows 5 and "5", and so fails as `in` with both (Directus does the same).
        let numeric = one(json!({"n": {"_eq": 5}}), json!({"n": 2}));
        assert_eq!(numeric["message"], "Validation failed for field \"n\". Value has to be one of \"5\", \"5\".");
        assert_eq!(numeric["extensions"]["valid"], json!([5, "5"]));
        assert!(check(json!({"n": {"_eq": 5}}), json!({"n": "5"})).is_empty());
        assert!(check(json!({"n": {"_eq": "5"}}), json!({"n": 5.0})).is_empty());
        assert_eq!(
            one(json!({"n": {"_eq": true}}), json!({"n": 1}))["message"],
            "Validation failed for field \"n\". Value has to be \"true\"."
        );
        // Rule strings "true"/"null" are the JSON values.
        assert!(check(json!({"n": {"_eq": "true"}}), json!({"n": true})).is_empty());
        assert_eq!(one(json!({"n": {"_eq": "null"}}), json!({"n": 1}))["extensions"]["type"], "null");
        assert_eq!(one(json!({"n": {"_eq": ""}}), json!({"n": 1}))["extensions"]["type"], "empty");

        let neq = one(json!({"s": {"_neq": "x"}}), json!({"s": "x"}));
        assert_eq!(neq["message"], "Validation failed for field \"s\". Value can't be \"x\".");
        assert_eq!(neq["extensions"]["invalid"], "x");
        assert_eq!(one(json!({"n": {"_neq": 5}}), json!({"n": "5"}))["extensions"]["type"], "nin");

        // One allowed value reads as `eq`; none allows anything.
        assert_eq!(
            one(json!({"n": {"_in": [1]}}), json!({"n": 2}))["extensions"],
            json!({"field": "n", "path": [], "type": "eq", "valid": 1, "code": "FAILED_VALIDATION"})
        );
        assert!(check(json!({"n": {"_in": []}}), json!({"n": 2})).is_empty());
        assert!(check(json!({"n": {"_in": "a,b"}}), json!({"n": "b"})).is_empty());
        assert!(check(json!({"n": {"_in": ["1"]}}), json!({"n": 1})).len() == 1, "no typecast in _in");
        let nin = one(json!({"n": {"_nin": ["a", "b"]}}), json!({"n": "b"}));
        assert_eq!(nin["message"], "Validation failed for field \"n\". Value can't be one of \"a\", \"b\".");
        assert_eq!(nin["extensions"]["invalid"], json!(["a", "b"]));
        // Objects compare deeply.
        assert!(check(json!({"o": {"_eq": {"a": [1, 2]}}}), json!({"o": {"a": [1.0, 2]}})).is_empty());
    }

    #[test]
    fn null_and_empty_ignore_their_value() {
        assert_eq!(
            one(json!({"a": {"_null": false}}), json!({"a": 1}))["message"],
            "Validation failed for field \"a\". Value has to be null."
        );
        assert_eq!(
            one(json!({"a": {"_empty": true}}), json!({"a": "x"}))["message"],
            "Validation failed for field \"a\". Value has to be empty."
        );
        assert_eq!(
            one(json!({"a": {"_nempty": true}}), json!({"a": ""}))["message"],
            "Validation failed for field \"a\". Value can't be empty."
        );
        assert!(check(json!({"a": {"_nempty": true}}), json!({"a": null})).is_empty());
    }

    #[test]
    fn numbers_compare_as_joi_number() {
        assert!(check(json!({"n": {"_gte": "5"}}), json!({"n": " 7 "})).is_empty());
        let lte = one(json!({"n": {"_lte": 2.5}}), json!({"n": 3}));
        assert_eq!(lte["message"], "Validation failed for field \"n\". Value has to be less than or equal to \"2.5\".");
        assert_eq!(lte["extensions"]["valid"], 2.5);
        // Not a number: number.base, reported as required.
        for bad in [json!("abc"), json!(null), json!(true), json!([1]), json!("0x10")] {
            assert_eq!(one(json!({"n": {"_gt": 1}}), json!({"n": bad}))["extensions"]["type"], "required");
        }
        // Unsafe numbers: number.unsafe, which Directus reports as regex.
        let big = one(json!({"n": {"_gt": 1}}), json!({"n": 9007199254740993u64}));
        assert_eq!(
            big["extensions"],
            json!({"field": "n", "path": [], "type": "regex", "invalid": 9007199254740992u64, "code": "FAILED_VALIDATION"})
        );
        assert_eq!(
            one(json!({"n": {"_gt": 1}}), json!({"n": "12345678901234567890"}))["extensions"]["invalid"],
            "12345678901234567890"
        );
        assert_eq!(one(json!({"n": {"_gt": 1}}), json!({"n": "1."}))["extensions"]["type"], "regex");
        assert!(check(json!({"n": {"_gt": 1}}), json!({"n": "1.50"})).is_empty());
        assert!(check(json!({"n": {"_gt": 1}}), json!({"n": "2e3"})).is_empty());
        // `null` and booleans are numbers to `Number()`.
        assert!(check(json!({"n": {"_gt": null}}), json!({"n": 1})).is_empty());
    }

    #[test]
    fn dates_compare_as_dates() {
        let rule = json!({"d": {"_gte": "2024-01-01"}});
        assert!(check(rule.clone(), json!({"d": "2024-01-01T00:00:00Z"})).is_empty());
        assert!(check(rule.clone(), json!({"d": "2024-06-01 10:00"})).is_empty());
        // 01:00 on January 1st in UTC.
        assert!(check(rule.clone(), json!({"d": "2023-12-31T23:00:00-02:00"})).is_empty());
        let early = one(rule.clone(), json!({"d": "2023-12-31T20:00:00-02:00"}));
        assert_eq!(
            early["message"],
            "Validation failed for field \"d\". Value has to be greater than or equal to \"Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)\"."
        );
        assert_eq!(early["extensions"]["type"], "gte");
        assert_eq!(early["extensions"]["valid"], "2024-01-01T00:00:00.000Z");
        // Numbers (and digit strings) are ms since the epoch; anything else is date.base.
        assert!(check(json!({"d": {"_lt": "1970-01-02"}}), json!({"d": "86399999"})).is_empty());
        assert_eq!(one(json!({"d": {"_lt": "1970-01-02"}}), json!({"d": 86_400_000}))["extensions"]["type"], "lt");
        assert_eq!(one(rule, json!({"d": "soon"}))["extensions"]["type"], "required");
        // A limit Joi can't read makes Directus throw.
        assert_eq!(check(json!({"d": {"_gt": "soon"}}), json!({}))[0].code, ErrorCode::Internal);
    }

    #[test]
    fn ranges_follow_joi() {
        assert!(check(json!({"n": {"_between": [1, 10]}}), json!({"n": 10})).is_empty());
        assert_eq!(
            messages(&check(json!({"n": {"_between": "1,10"}}), json!({"n": 11}))),
            ["Validation failed for field \"n\". Value has to be less than or equal to \"10\"."]
        );
        // `_nbetween` is less(low).greater(high): no value passes [1, 10], as in Directus.
        let outside = check(json!({"n": {"_nbetween": [1, 10]}}), json!({"n": 0}));
        assert_eq!(
            objects(&outside)[0]["extensions"],
            json!({"field": "n", "path": [], "type": "gt", "valid": 10, "code": "FAILED_VALIDATION"})
        );
        assert_eq!(check(json!({"n": {"_nbetween": [1, 10]}}), json!({"n": 5})).len(), 2);
        assert!(check(json!({"n": {"_nbetween": [10, 1]}}), json!({"n": 5})).is_empty());
        let dates = json!({"d": {"_between": ["2024-01-01", "2024-12-31"]}});
        assert!(check(dates.clone(), json!({"d": "2024-05-05"})).is_empty());
        assert_eq!(one(dates, json!({"d": "2025-01-01"}))["extensions"]["valid"], "2024-12-31T00:00:00.000Z");
        assert_eq!(check(json!({"n": {"_between": [1]}}), json!({}))[0].code, ErrorCode::Internal);
    }

    #[test]
    fn string_operators() {
        let starts = one(json!({"s": {"_starts_with": "a.b/"}}), json!({"s": "xyz"}));
        assert_eq!(starts["message"], "Validation failed for field \"s\".");
        assert_eq!(
            starts["extensions"],
            json!({"field": "s", "path": [], "type": "starts_with", "substring": "a\\.b\\/", "code": "FAILED_VALIDATION"})
        );
        assert!(check(json!({"s": {"_istarts_with": "ab"}}), json!({"s": "ABc"})).is_empty());
        assert!(check(json!({"s": {"_ends_with": "bc"}}), json!({"s": "abc"})).is_empty());
        assert_eq!(one(json!({"s": {"_nends_with": "bc"}}), json!({"s": "abc"}))["extensions"]["type"], "nends_with");
        assert_eq!(one(json!({"s": {"_niends_with": "BC"}}), json!({"s": "abc"}))["extensions"]["substring"], "BC");
        assert_eq!(one(json!({"s": {"_starts_with": "a"}}), json!({"s": 5}))["extensions"]["type"], "required");

        assert_eq!(
            one(json!({"s": {"_ncontains": "x"}}), json!({"s": "axb"}))["message"],
            "Validation failed for field \"s\". Value can't contain \"x\"."
        );
        // `_icontains` fails as Joi's string.icontains, which Directus reports as `contains`.
        assert!(check(json!({"s": {"_icontains": "X"}}), json!({"s": "axb"})).is_empty());
        assert_eq!(one(json!({"s": {"_icontains": "X"}}), json!({"s": "ab"}))["extensions"]["type"], "contains");
        // Lists: some item has to contain the needle.
        assert!(check(json!({"tags": {"_contains": "x"}}), json!({"tags": ["a", "xy"]})).is_empty());
        assert!(check(json!({"tags": {"_ncontains": "x"}}), json!({"tags": ["a", "b"]})).is_empty());
        // generateJoi's fallback for a non-string needle: the field has to be `true`.
        assert_eq!(
            one(json!({"s": {"_contains": 5}}), json!({"s": "5"}))["message"],
            "Validation failed for field \"s\". Value has to be \"true\"."
        );
        assert!(check(json!({"s": {"_starts_with": null}}), json!({"s": true})).is_empty());
    }

    #[test]
    fn relational_rules_check_nested_objects() {
        let rule = json!({"author": {"name": {"_eq": "Ann"}}});
        assert!(check(rule.clone(), json!({})).is_empty());
        assert!(check(rule.clone(), json!({"author": {"name": "Ann", "age": 3}})).is_empty());
        assert!(check(rule.clone(), json!({"author": {"age": 3}})).is_empty());
        let nested = one(rule.clone(), json!({"author": {"name": "Bob"}}));
        assert_eq!(nested["message"], "Validation failed for field \"author\" at \"name\". Value has to be \"Ann\".");
        assert_eq!(nested["extensions"]["path"], json!(["name"]));
        // A bare id (or null) where the rule expects an object: object.base, reported as required.
        assert_eq!(
            one(rule.clone(), json!({"author": 7}))["message"],
            "Validation failed for field \"author\". Value is required."
        );
        assert_eq!(one(rule, json!({"author": null}))["extensions"]["type"], "required");
        // Quantifiers and other unknown operators pass.
        assert!(check(json!({"comments": {"_some": {"text": {"_eq": "x"}}}}), json!({"comments": [1]})).is_empty());
        assert!(check(json!({"a": {"_foo": 1}, "_eq": 3}), json!({"a": 1})).is_empty());
    }

    #[test]
    fn function_keys_are_computed_from_the_payload() {
        assert!(check(json!({"count(tags)": {"_gte": 2}}), json!({"tags": [1, 2]})).is_empty());
        assert_eq!(
            one(json!({"count(tags)": {"_gte": 2}}), json!({"tags": [1]}))["extensions"]["field"],
            "count(tags)"
        );
        assert_eq!(one(json!({"count(tags)": {"_gte": 2}}), json!({}))["extensions"]["type"], "required");
        assert!(check(json!({"year(date)": {"_eq": 2024}}), json!({"date": "2024-03-07T10:00:00Z"})).is_empty());
        assert!(check(
            json!({"month(date)": {"_eq": 3}, "day(date)": {"_eq": 7}, "weekday(date)": {"_eq": 4}}),
            json!({"date": "2024-03-07"})
        )
        .is_empty());
        assert!(check(json!({"week(date)": {"_eq": 1}}), json!({"date": "2024-12-29"})).is_empty());
        assert!(check(json!({"week(date)": {"_eq": 10}}), json!({"date": "2024-03-07"})).is_empty());
        assert_eq!(one(json!({"year(date)": {"_eq": 2024}}), json!({"date": "nope"}))["extensions"]["type"], "in");
        assert_eq!(check(json!({"bogus(date)": {"_eq": 1}}), json!({}))[0].code, ErrorCode::Internal);
    }

    #[test]
    fn what_directus_cannot_evaluate_is_a_server_error() {
        let broken = [
            (json!({"a": {"_regex": "("}}), json!({})),
            (json!({"a": {"_regex": "(?=x)"}}), json!({"a": "x"})),
            (json!({"_and": "x"}), json!({})),
            (json!({"_and": [{}]}), json!({})),
            (json!({"a": null}), json!({})),
            (json!({"a": {"_eq": [1]}}), json!({})),
            (json!({"a": {"_in": [[[1]]]}}), json!({})),
            (json!([1]), json!({})),
            // Joi errors Directus's mapper can't describe.
            (json!({"a": {"_contains": "x"}}), json!({"a": 5})),
            (json!({"a": {"_contains": "x"}}), json!({"a": ""})),
            (json!({"a": {"_starts_with": "x"}}), json!({"a": ""})),
            (json!({"a": {"_ncontains": "x"}}), json!({"a": ["x"]})),
        ];
        for (rule, payload) in broken {
            let errors = check(rule.clone(), payload);
            assert_eq!(errors.len(), 1, "{rule}");
            assert_eq!(
                (errors[0].code, errors[0].message.as_str()),
                (ErrorCode::Internal, "An unexpected error occurred."),
                "{rule}"
            );
        }
        assert!(check(json!(null), json!({"a": 1})).is_empty());
        assert!(check(json!({}), json!({"a": 1})).is_empty());
    }

    #[test]
    fn into_result_answers_all_failures_at_once() {
        assert!(into_result(Vec::new()).is_ok());
        let err = into_result(check(json!({"a": {"_eq": "x"}, "b": {"_nnull": true}}), json!({"a": "y", "b": null})))
            .unwrap_err();
        let body = err.to_body();
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        assert_eq!(body["errors"][1]["extensions"]["type"], "nnull");
    }

    #[test]
    fn js_number_and_date_formatting() {
        let cases = [
            (5.0, "5"),
            (-0.0, "0"),
            (2.5, "2.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (-1.5e-9, "-1.5e-9"),
            (123.456, "123.456"),
        ];
        for (n, text) in cases {
            assert_eq!(js_num(n), text);
        }
        assert_eq!(string_to_number(" 0x1A "), 26.0);
        assert_eq!(string_to_number(""), 0.0);
        assert!(string_to_number("1_000").is_nan());
        assert_eq!(iso_string(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            date_string(parse_date("2024-02-29T13:05:09.5+01:00").unwrap()),
            "Thu Feb 29 2024 12:05:09 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(iso_string(parse_date("-000001-12-31").unwrap()), "-000001-12-31T00:00:00.000Z");
        assert!(parse_date("2024-13-01").is_none());
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Json> {
        use proptest::prelude::*;
        let texts = prop::sample::select(vec![
            "",
            "x",
            "true",
            "null",
            "5",
            "1.",
            "1e400",
            "-0",
            "2024-01-01",
            "1,2",
            "/^a/",
            "(",
            "[a-",
            "\\d+",
            "a/b",
        ]);
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            (-20i64..20).prop_map(Json::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
            texts.prop_map(Json::from),
            "\\PC{0,6}".prop_map(Json::from),
        ];
        let keys = prop::sample::select(vec![
            "_and",
            "_or",
            "_eq",
            "_neq",
            "_in",
            "_nin",
            "_gt",
            "_lte",
            "_between",
            "_nbetween",
            "_null",
            "_nnull",
            "_contains",
            "_icontains",
            "_ncontains",
            "_starts_with",
            "_niends_with",
            "_regex",
            "_submitted",
            "_some",
            "a",
            "b",
            "year(a)",
            "count(b)",
            "nope(a)",
        ]);
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::vec((keys.clone(), inner), 0..4)
                    .prop_map(|entries| Json::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn never_panics(rule in arb_json(), a in arb_json(), b in arb_json(), nested in proptest::bool::ANY) {
            let payload: Map<String, Json> = [("a".to_string(), a), ("b".to_string(), b)].into_iter().collect();
            let path = if nested { vec!["notes".to_string()] } else { Vec::new() };
            for error in validate_payload(&rule, &payload, &path) {
                proptest::prop_assert!(matches!(error.code, ErrorCode::FailedValidation | ErrorCode::Internal));
            }
            let _ = into_result(validate_payload(&rule, &payload, &path));
        }
    }
}
