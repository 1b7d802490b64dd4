//! A GraphQL selection set → the same [`Query`] a REST request would give:
//! each response key becomes a `fields` path (aliased when it differs from
//! the field's name), each relation's arguments its `deep` sub-query. The
//! statement's JSON is then keyed by response keys, which is what the
//! resolvers read back.

use super::args::{self, Vars};
use crate::error::{ApiError, ApiResult};
use crate::query::{parse_query_json, Query};
use crate::schema::{Collection, FieldRelation, SchemaSnapshot};
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use serde_json::{Map, Value as Json};

/// The suffix of a field's function sub-object (`published_at_func { year }`).
pub const FUNC_SUFFIX: &str = "_func";

/// The key a function of a `_func` selection is read under: response keys
/// never hold `:`, so it cannot meet a real key.
pub fn func_key(response_key: &str, func_key: &str) -> String {
    format!("{response_key}:{func_key}")
}

/// What selections are read against.
pub struct Ctx<'a> {
    pub schema: &'a SchemaSnapshot,
    pub document: &'a Valid<ExecutableDocument>,
    pub vars: &'a Vars,
}

/// The fields of one selection level with the same response key merged,
/// in first-seen order, `@skip`/`@include` applied and fragments inlined.
pub fn collect<'d>(ctx: &Ctx<'d>, set: &'d SelectionSet) -> Vec<(&'d str, Vec<&'d Field>)> {
    let mut out: Vec<(&'d str, Vec<&'d Field>)> = Vec::new();
    collect_into(ctx, set, &mut out);
    out
}

fn collect_into<'d>(ctx: &Ctx<'d>, set: &'d SelectionSet, out: &mut Vec<(&'d str, Vec<&'d Field>)>) {
    for selection in &set.selections {
        if !args::included(selection.directives(), ctx.vars) {
            continue;
        }
        match selection {
            Selection::Field(f) => {
                let key = f.response_key().as_str();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, fields)) => fields.push(f),
                    None => out.push((key, vec![f])),
                }
            }
            // Every type here is an object type: a fragment valid at this
            // level always applies.
            Selection::InlineFragment(inline) => collect_into(ctx, &inline.selection_set, out),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = ctx.document.fragments.get(&spread.fragment_name) {
                    collect_into(ctx, &fragment.selection_set, out);
                }
            }
        }
    }
}

/// The query of a list or relation: its arguments (filter, sort, limit, …)
/// parsed as REST parses them, and the selection as fields.
pub fn query_for(ctx: &Ctx, coll: &Collection, fields: &[&Field]) -> ApiResult<Query> {
    let mut query = arguments_query(ctx, fields[0])?;
    select_into(ctx, coll, fields, &mut query)?;
    Ok(query)
}

/// `filter`, `sort`, `limit`, `offset`, `page` and `search` of a field as a
/// REST query (its `_func` filter keys turned into `year(field)` keys).
pub fn arguments_query(ctx: &Ctx, field: &Field) -> ApiResult<Query> {
    let mut params = Map::new();
    for arg in &field.arguments {
        let name = arg.name.as_str();
        if !matches!(name, "filter" | "sort" | "limit" | "offset" | "page" | "search") {
            continue;
        }
        let Some(value) = args::to_json(&arg.value, ctx.vars) else {
            continue;
        };
        let value = if name == "filter" { replace_funcs(value) } else { value };
        if !value.is_null() {
            params.insert(name.to_string(), value);
        }
    }
    parse_query_json(&Json::Object(params))
}

/// Adds the selection of `fields` (one response key, merged) on `coll` to
/// `query`: its fields, aliases and the deep queries of its relations.
fn select_into(ctx: &Ctx, coll: &Collection, fields: &[&Field], query: &mut Query) -> ApiResult<()> {
    let mut paths = Vec::new();
    for (key, merged) in collect_sets(ctx, fields) {
        let name = merged[0].name.as_str();
        if name == "__typename" {
            continue;
        }
        if let Some(target) = coll.field(name) {
            if key != name {
                query.alias.insert(key.to_string(), name.to_string());
            }
            match &target.relation {
                Some(FieldRelation::ManyToOne { related_collection, .. })
                | Some(FieldRelation::OneToMany { related_collection, .. }) => {
                    let related = ctx.schema.collection(related_collection).ok_or_else(ApiError::forbidden)?;
                    let sub = query_for(ctx, related, &merged)?;
                    paths.extend(sub.fields.iter().flatten().map(|p| format!("{key}.{p}")));
                    query.deep.insert(key.to_string(), Query { fields: None, ..sub });
                }
                _ => paths.push(key.to_string()),
            }
        } else if let Some(base) = name.strip_suffix(FUNC_SUFFIX).filter(|b| coll.field(b).is_some()) {
            for (func_response, funcs) in collect_sets(ctx, &merged) {
                let func = funcs[0].name.as_str();
                if func == "__typename" {
                    continue;
                }
                let k = func_key(key, func_response);
                query.alias.insert(k.clone(), format!("{func}({base})"));
                paths.push(k);
            }
        }
    }
    // A level that selects only `__typename` still needs its rows.
    if paths.is_empty() {
        paths.push(coll.primary_key.clone());
    }
    query.fields = Some(paths);
    Ok(())
}

/// The merged sub-selections of several fields sharing one response key.
fn collect_sets<'d>(ctx: &Ctx<'d>, fields: &[&'d Field]) -> Vec<(&'d str, Vec<&'d Field>)> {
    let mut out: Vec<(&'d str, Vec<&'d Field>)> = Vec::new();
    for f in fields {
        for (key, more) in collect(ctx, &f.selection_set) {
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, existing)) => existing.extend(more),
                None => out.push((key, more)),
            }
        }
    }
    out
}

/// Directus's GraphQL filter spells functions as `date_func: {year: {...}}`;
/// the query language as `"year(date)": {...}`.
pub fn replace_funcs(filter: Json) -> Json {
    match filter {
        Json::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match (key.strip_suffix(FUNC_SUFFIX), value) {
                    (Some(base), Json::Object(funcs)) if !base.is_empty() && !key.starts_with('_') => {
                        for (func, cond) in funcs {
                            out.insert(format!("{func}({base})"), replace_funcs(cond));
                        }
                    }
                    (_, value) => {
                        out.insert(key, replace_funcs(value));
                    }
                }
            }
            Json::Object(out)
        }
        Json::Array(items) => Json::Array(items.into_iter().map(replace_funcs).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::replace_funcs;
    use serde_json::json;

    #[test]
    fn func_filters_become_function_keys() {
        let f = json!({"_and": [{"published_at_func": {"year": {"_eq": 2024}}}, {"author": {"name": {"_eq": "x"}}}]});
        assert_eq!(
            replace_funcs(f),
            json!({"_and": [{"year(published_at)": {"_eq": 2024}}, {"author": {"name": {"_eq": "x"}}}]})
        );
    }
}
