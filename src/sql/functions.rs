//! Directus query functions (`year(date)`, `count(comments)`) as SQL.

use super::builder::{column, ident, SqlBuilder};
use super::dialect::DatePart;
use super::filter::FilterCtx;
use super::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::schema::{FieldRelation, FieldType};

/// A function applied to a field: a date part, or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Part(DatePart),
    Count,
}

/// Each function's name in the query language.
const NAMES: &[(&str, Func)] = &[
    ("year", Func::Part(DatePart::Year)),
    ("month", Func::Part(DatePart::Month)),
    ("week", Func::Part(DatePart::Week)),
    ("day", Func::Part(DatePart::Day)),
    ("weekday", Func::Part(DatePart::Weekday)),
    ("hour", Func::Part(DatePart::Hour)),
    ("minute", Func::Part(DatePart::Minute)),
    ("second", Func::Part(DatePart::Second)),
    ("count", Func::Count),
];

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

/// Splits `year(published_at)` into the function and its argument.
pub fn parse_call(key: &str) -> ApiResult<Option<(Func, &str)>> {
    let Some(open) = key.find('(') else {
        return Ok(None);
    };
    let name = &key[..open];
    let arg = key[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| ApiError::invalid_query(format!("Invalid function call \"{key}\"")))?;
    let func = Func::from_name(name).ok_or_else(|| ApiError::invalid_query(format!("Unknown function \"{name}\"")))?;
    Ok(Some((func, arg.trim())))
}

/// The response key Directus gives a function column: `year(date)` →
/// `date_year` (applyFunctionToColumnName); other keys stay as they are.
pub fn output_name(key: &str) -> String {
    match parse_call(key) {
        Ok(Some((func, arg))) => format!("{arg}_{}", fmt_name(func)),
        _ => key.to_string(),
    }
}

/// SQL for `func(arg)` evaluated on the row of `scope`, as the caller may
/// read it (`count()` counts only the related items they may read).
pub fn call_sql<'a>(
    fctx: &FilterCtx<'a>,
    b: &mut SqlBuilder,
    scope: &Scope<'a>,
    func: Func,
    arg: &str,
) -> ApiResult<String> {
    let f = scope.field(arg)?;
    if let Func::Part(part) = func {
        if !f.field_type.is_temporal() {
            return Err(ApiError::invalid_query(format!(
                "Function \"{}\" needs a date or time field, \"{arg}\" is not one",
                fmt_name(func)
            )));
        }
        return Ok(b.dialect().date_part(part, &scope.column_expr(arg)));
    }
    // count(): items of a relation, or elements of a JSON array.
    match &f.relation {
        Some(FieldRelation::OneToMany { related_collection, related_field, .. }) => {
            let child = fctx.schema.collection(related_collection).ok_or_else(ApiError::forbidden)?;
            let alias = b.alias();
            let child_scope = fctx.table_scope(b, child, &alias, &scope.child_path(arg))?;
            let mut conditions =
                vec![format!("{} = {}", column(&alias, related_field), scope.raw_column(&scope.coll().primary_key))];
            conditions.extend(child_scope.rules().and_then(|r| r.row_predicate(&[])));
            Ok(format!("(SELECT count(*) FROM {} AS {alias} WHERE {})", ident(&child.name), conditions.join(" AND ")))
        }
        _ if f.field_type == FieldType::Json || f.field_type == FieldType::Csv => {
            let e = scope.column_expr(arg);
            Ok(b.dialect().json_array_length(&e))
        }
        _ => Err(ApiError::invalid_query(format!(
            "Function \"count\" needs a relational or JSON field, \"{arg}\" is not one"
        ))),
    }
}

fn fmt_name(func: Func) -> &'static str {
    NAMES.iter().find(|(_, f)| *f == func).map_or("", |(n, _)| n)
}
