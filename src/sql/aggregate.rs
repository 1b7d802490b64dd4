//! `aggregate` + `groupBy` compiled to one statement returning the rows'
//! JSON: `[{"status": "draft", "count": 12, "sum": {"price": 3.5}}]`.

use super::builder::{column, ident, Compiled, SqlBuilder};
use super::dialect::Dialect;
use super::functions::output_name;
use super::read::{path_expr, where_clause, ReadCtx, DATA_COLUMN};
use super::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::query::{AggregateFunc, Query};
use crate::schema::Collection;

pub(super) fn compile<'a>(ctx: &ReadCtx<'a>, coll: &'a Collection, query: &Query) -> ApiResult<Compiled> {
    let mut b = SqlBuilder::new(ctx.dialect);
    let alias = b.alias();
    // Grouped and aggregated fields must be readable, and read as the
    // caller sees them (NULL where their rules do not hold).
    let fctx = ctx.fctx();
    let scope = fctx.table_scope(&mut b, coll, &alias, "")?;

    // Inner select: group values g0.. and aggregate values a0..
    let mut inner_cols = Vec::new();
    let mut group_refs = Vec::new();
    let mut out_pairs = Vec::new();
    for (i, path) in query.group_by.iter().enumerate() {
        let expr = path_expr(&fctx, &mut b, &scope, path)?;
        inner_cols.push(format!("{expr} AS g{i}"));
        group_refs.push(format!("g{i}"));
        out_pairs.push((output_name(path), column("r", &format!("g{i}"))));
    }

    // Aggregates of one function share one output object: {"sum": {"a": 1, "b": 2}}.
    let mut by_func: Vec<(AggregateFunc, Vec<(String, usize)>)> = Vec::new();
    for (i, agg) in query.aggregate.iter().enumerate() {
        inner_cols.push(format!("{} AS a{i}", aggregate_sql(b.dialect(), &scope, agg.func, &agg.field)?));
        match by_func.iter_mut().find(|(f, _)| *f == agg.func) {
            Some((_, fields)) => fields.push((agg.field.clone(), i)),
            None => by_func.push((agg.func, vec![(agg.field.clone(), i)])),
        }
    }
    for (func, fields) in &by_func {
        let value = match fields.as_slice() {
            // `count=*` and countAll are plain numbers.
            [(f, i)] if f == "*" => column("r", &format!("a{i}")),
            _ => {
                let inner: Vec<(&str, String)> = fields
                    .iter()
                    .filter(|(f, _)| f != "*")
                    .map(|(f, i)| (f.as_str(), column("r", &format!("a{i}"))))
                    .collect();
                b.dialect().json_object(&inner)
            }
        };
        out_pairs.push((func.name().to_string(), value));
    }
    if inner_cols.is_empty() {
        return Err(ApiError::invalid_query("Aggregate needs at least one function"));
    }

    let mut conditions = ctx.conditions(&mut b, &scope, query)?;
    conditions.extend(scope.rules().and_then(|r| r.row_predicate(&[])));
    let group_sql = if group_refs.is_empty() { String::new() } else { format!(" GROUP BY {}", group_refs.join(", ")) };
    let order = group_order(query, &group_refs);
    let limit = if group_refs.is_empty() { String::new() } else { ctx.limit_clause(query)? };
    let inner = format!(
        "SELECT {} FROM {} AS {alias}{}{group_sql}{order}{limit}",
        inner_cols.join(", "),
        ident(&coll.name),
        where_clause(&conditions)
    );
    let d = b.dialect();
    let pairs: Vec<(&str, String)> = out_pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let object = d.json_object(&pairs);
    let data = match group_refs.is_empty() || d.keeps_subquery_order() {
        true => d.json_array_agg(&object, false),
        // The same order over the derived table's group columns.
        false => d.json_array_agg_ordered(&object, group_keys(query, &group_refs, "r.").join(", ").as_str()),
    };
    let sql = format!("SELECT {data} AS {DATA_COLUMN} FROM ({inner}) AS r");
    Ok(b.finish(sql))
}

/// Grouped rows sort by the `sort` entries that are group keys, else by the
/// group keys in order (stable output).
fn group_order(query: &Query, group_refs: &[String]) -> String {
    if group_refs.is_empty() {
        return String::new();
    }
    format!(" ORDER BY {}", group_keys(query, group_refs, "").join(", "))
}

/// The keys of `group_order`, each group column written `{qualifier}gN`.
fn group_keys(query: &Query, group_refs: &[String], qualifier: &str) -> Vec<String> {
    let keys: Vec<String> = query
        .sort
        .iter()
        .filter_map(|s| {
            let i = query.group_by.iter().position(|g| *g == s.path)?;
            Some(format!("{qualifier}g{i} {}", if s.descending { "DESC" } else { "ASC" }))
        })
        .collect();
    match keys.is_empty() {
        true => group_refs.iter().map(|g| format!("{qualifier}{g} ASC")).collect(),
        false => keys,
    }
}

fn aggregate_sql(d: &dyn Dialect, scope: &Scope, func: AggregateFunc, name: &str) -> ApiResult<String> {
    use AggregateFunc::*;
    if name == "*" {
        return match func {
            Count | CountAll => Ok("count(*)".into()),
            _ => Err(ApiError::invalid_query(format!("\"{}\" needs a field, not \"*\"", func.name()))),
        };
    }
    let f = scope.field(name)?;
    if f.is_alias() {
        return Err(ApiError::invalid_query(format!("Cannot aggregate the one-to-many field \"{name}\"")));
    }
    let c = scope.column_expr(&f.name);
    let numeric_only = matches!(func, Sum | SumDistinct | Avg | AvgDistinct);
    if numeric_only && !f.field_type.is_numeric() {
        return Err(ApiError::invalid_query(format!(
            "\"{}\" needs a numeric field, \"{name}\" is not one",
            func.name()
        )));
    }
    Ok(match func {
        Count => format!("count({c})"),
        CountAll => "count(*)".into(),
        CountDistinct => format!("count(DISTINCT {c})"),
        Sum => format!("sum({c})"),
        SumDistinct => format!("sum(DISTINCT {c})"),
        Avg => d.average(&c, false),
        AvgDistinct => d.average(&c, true),
        Min => format!("min({c})"),
        Max => format!("max({c})"),
    })
}
