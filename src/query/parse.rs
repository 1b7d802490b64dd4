//! Directus query parameters → [`Query`]: each parameter in its qs-nested
//! form or as a JSON string (sanitize-query.ts), filters as in parse-filter.ts.

use super::ast::*;
use super::qs;
use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value as Json};

/// Parses a URL query string (`fields=...&filter[a][_eq]=1`).
pub fn parse_query_string(raw: &str) -> ApiResult<Query> {
    parse_params(&qs::parse(raw), "")
}

/// Parses a query given as JSON (the SEARCH body's `query`, batch `{query}`).
pub fn parse_query_json(v: &Json) -> ApiResult<Query> {
    let obj = v.as_object().ok_or_else(|| ApiError::invalid_query("Query has to be an object"))?;
    parse_params(&Json::Object(obj.clone()), "")
}

/// Reads the parameters of one query level; `prefix` is `_` inside `deep`.
fn parse_params(params: &Json, prefix: &str) -> ApiResult<Query> {
    let get = |name: &str| params.get(format!("{prefix}{name}"));
    let mut q = Query::default();
    if let Some(v) = get("fields") {
        q.fields = Some(csv_list(v, "fields")?);
    }
    if let Some(v) = get("filter") {
        let v = json_param(v, "filter")?;
        q.filter = parse_filter(&v)?;
    }
    if let Some(v) = get("search") {
        q.search = Some(scalar_text(v, "search")?);
    }
    if let Some(v) = get("sort") {
        q.sort = csv_list(v, "sort")?
            .into_iter()
            .map(|s| match s.strip_prefix('-') {
                Some(rest) => SortKey { path: rest.to_string(), descending: true },
                None => SortKey { path: s, descending: false },
            })
            .collect();
    }
    if let Some(v) = get("limit") {
        let n = integer(v, "limit")?;
        if n < -1 {
            return Err(ApiError::invalid_query("\"limit\" has to be -1 or greater"));
        }
        q.limit = Some(n);
    }
    if let Some(v) = get("offset") {
        let n = integer(v, "offset")?;
        if n < 0 {
            return Err(ApiError::invalid_query("\"offset\" has to be 0 or greater"));
        }
        q.offset = Some(n);
    }
    if let Some(v) = get("page") {
        let n = integer(v, "page")?;
        if n < 1 {
            return Err(ApiError::invalid_query("\"page\" has to be 1 or greater"));
        }
        q.page = Some(n);
    }
    if let Some(v) = get("meta") {
        for m in csv_list(v, "meta")? {
            match m.as_str() {
                "*" => q.meta = Meta { total_count: true, filter_count: true },
                "total_count" => q.meta.total_count = true,
                "filter_count" => q.meta.filter_count = true,
                _ => {}
            }
        }
    }
    if let Some(v) = get("aggregate") {
        q.aggregate = parse_aggregate(&json_param(v, "aggregate")?)?;
    }
    if let Some(v) = get("groupBy").or_else(|| get("group")) {
        q.group_by = csv_list(v, "groupBy")?;
    }
    if let Some(v) = get("alias") {
        q.alias = parse_alias(&json_param(v, "alias")?)?;
    }
    if let Some(v) = get("deep") {
        q.deep = parse_deep(&json_param(v, "deep")?)?;
    }
    Ok(q)
}

/// A parameter that may be nested already or a JSON string.
fn json_param(v: &Json, name: &str) -> ApiResult<Json> {
    match v {
        Json::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(s).map_err(|_| ApiError::invalid_query(format!("Invalid JSON for {name} object")))
        }
        Json::String(s) if s.is_empty() => Ok(Json::Null),
        Json::String(_) if name == "aggregate" || name == "filter" || name == "deep" || name == "alias" => {
            Err(ApiError::invalid_query(format!("Invalid JSON for {name} object")))
        }
        other => Ok(other.clone()),
    }
}

/// CSV string or array (elements CSV-split too), trimmed, empties dropped.
/// A JSON array string (`["a","b"]`) is accepted as well.
fn csv_list(v: &Json, name: &str) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    match v {
        Json::String(s) if s.trim_start().starts_with('[') => {
            let parsed: Json =
                serde_json::from_str(s).map_err(|_| ApiError::invalid_query(format!("Invalid JSON for {name}")))?;
            return csv_list(&parsed, name);
        }
        Json::String(s) => out.extend(s.split(',').map(str::to_string)),
        Json::Array(items) => {
            for i in items {
                out.extend(csv_list(i, name)?);
            }
        }
        Json::Null => {}
        _ => return Err(ApiError::invalid_query(format!("\"{name}\" has to be a string or an array"))),
    }
    Ok(out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
}

fn scalar_text(v: &Json, name: &str) -> ApiResult<String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Array(items) if items.len() == 1 => scalar_text(&items[0], name),
        _ => Err(ApiError::invalid_query(format!("\"{name}\" has to be a string"))),
    }
}

fn integer(v: &Json, name: &str) -> ApiResult<i64> {
    let bad = || ApiError::invalid_query(format!("\"{name}\" has to be a number"));
    match v {
        Json::Number(n) => n.as_i64().ok_or_else(bad),
        Json::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn parse_aggregate(v: &Json) -> ApiResult<Vec<Aggregate>> {
    let Some(obj) = v.as_object() else {
        return if v.is_null() {
            Ok(Vec::new())
        } else {
            Err(ApiError::invalid_query("\"aggregate\" has to be an object"))
        };
    };
    let mut out = Vec::new();
    for (func_name, fields) in obj {
        let func = AggregateFunc::from_name(func_name)
            .ok_or_else(|| ApiError::invalid_query(format!("\"{func_name}\" is not a valid aggregate function")))?;
        for field in csv_list(fields, "aggregate")? {
            out.push(Aggregate { func, field });
        }
    }
    Ok(out)
}

fn parse_alias(v: &Json) -> ApiResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    let Some(obj) = v.as_object() else {
        return Ok(out);
    };
    for (name, target) in obj {
        if name.contains('.') {
            return Err(ApiError::invalid_query(format!("Alias \"{name}\" can't contain a period")));
        }
        let target =
            target.as_str().ok_or_else(|| ApiError::invalid_query(format!("Alias \"{name}\" has to name a field")))?;
        out.insert(name.clone(), target.to_string());
    }
    Ok(out)
}

/// `deep[rel][_limit]=1&deep[rel][sub][_filter]...`: `_` keys are the
/// relation's sub-query, other keys are deeper relations.
fn parse_deep(v: &Json) -> ApiResult<std::collections::BTreeMap<String, Query>> {
    let mut out = std::collections::BTreeMap::new();
    let Some(obj) = v.as_object() else {
        return Ok(out);
    };
    for (field, spec) in obj {
        let Some(spec_obj) = spec.as_object() else {
            return Err(ApiError::invalid_query(format!("\"deep\" for \"{field}\" has to be an object")));
        };
        let mut sub = parse_params(spec, "_")?;
        let nested: Map<String, Json> =
            spec_obj.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect();
        sub.deep = parse_deep(&Json::Object(nested))?;
        out.insert(field.clone(), sub);
    }
    Ok(out)
}

/// Parses a filter object into a tree; `None` for an empty filter.
pub fn parse_filter(v: &Json) -> ApiResult<Option<Filter>> {
    match v {
        Json::Null => Ok(None),
        Json::Object(obj) if obj.is_empty() => Ok(None),
        Json::Object(obj) => Ok(Some(filter_level(obj)?)),
        _ => Err(ApiError::invalid_query("Invalid JSON for filter object")),
    }
}

/// One level of a filter: several keys are an implicit `_and`.
fn filter_level(obj: &Map<String, Json>) -> ApiResult<Filter> {
    let mut nodes = Vec::with_capacity(obj.len());
    for (key, value) in obj {
        nodes.push(match key.as_str() {
            "_and" => Filter::And(filter_list(value, key)?),
            "_or" => Filter::Or(filter_list(value, key)?),
            k if k.starts_with('_') => return Err(unknown_operator(k)),
            field => field_filter(field, value)?,
        });
    }
    Ok(match nodes.len() {
        1 => nodes.remove(0),
        _ => Filter::And(nodes),
    })
}

fn filter_list(v: &Json, op: &str) -> ApiResult<Vec<Filter>> {
    let items: Vec<&Json> = match v {
        Json::Array(items) => items.iter().collect(),
        // qs gives an object for indices above 20.
        Json::Object(obj) => obj.values().collect(),
        _ => return Err(ApiError::invalid_query(format!("\"{op}\" has to be an array"))),
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Json::Object(o) if o.is_empty() => None,
            Json::Object(o) => Some(filter_level(o)),
            _ => Some(Err(ApiError::invalid_query(format!("Items of \"{op}\" have to be objects")))),
        })
        .collect()
}

/// `{field: value}` where value is operators, a nested filter, `_some`/`_none`
/// or a bare value (shorthand for `_eq`).
fn field_filter(field: &str, value: &Json) -> ApiResult<Filter> {
    let Json::Object(obj) = value else {
        return Ok(op_filter(field, Operator::Eq, coerce(value.clone())));
    };
    let mut nodes = Vec::with_capacity(obj.len());
    let mut nested = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            // `title: {_or: [{_eq: a}, {_eq: b}]}` is hoisted to
            // `_or: [{title: {_eq: a}}, {title: {_eq: b}}]`.
            "_and" | "_or" => {
                let parts = match v {
                    Json::Array(items) => items.iter().collect::<Vec<_>>(),
                    Json::Object(o) => o.values().collect(),
                    _ => return Err(ApiError::invalid_query(format!("\"{k}\" has to be an array"))),
                };
                let subs = parts.into_iter().map(|p| field_filter(field, p)).collect::<ApiResult<Vec<_>>>()?;
                nodes.push(if k == "_and" { Filter::And(subs) } else { Filter::Or(subs) });
            }
            "_some" | "_none" => {
                let sub = match v {
                    Json::Object(o) if !o.is_empty() => filter_level(o)?,
                    _ => Filter::And(Vec::new()),
                };
                let cond = if k == "_some" { Condition::Some(Box::new(sub)) } else { Condition::None(Box::new(sub)) };
                nodes.push(Filter::Field { key: field.to_string(), cond });
            }
            op_name if op_name.starts_with('_') => {
                let op = Operator::from_name(op_name).ok_or_else(|| unknown_operator(op_name))?;
                nodes.push(operator(field, op, v)?);
            }
            _ => {
                nested.insert(k.clone(), v.clone());
            }
        }
    }
    if !nested.is_empty() {
        nodes
            .push(Filter::Field { key: field.to_string(), cond: Condition::Related(Box::new(filter_level(&nested)?)) });
    }
    Ok(match nodes.len() {
        1 => nodes.remove(0),
        _ => Filter::And(nodes),
    })
}

fn op_filter(field: &str, op: Operator, value: Json) -> Filter {
    Filter::Field { key: field.to_string(), cond: Condition::Op { op, value } }
}

/// One operator with its value normalised (Directus semantics).
fn operator(field: &str, op: Operator, raw: &Json) -> ApiResult<Filter> {
    use Operator::*;
    let value = coerce(raw.clone());
    Ok(match op {
        In | Nin | Between | Nbetween => {
            let list = match value {
                Json::String(s) => Json::Array(s.split(',').map(|x| coerce(Json::String(x.to_string()))).collect()),
                Json::Array(items) => Json::Array(items.into_iter().map(coerce).collect()),
                Json::Object(o) => Json::Array(o.into_iter().map(|(_, v)| coerce(v)).collect()),
                Json::Null => Json::Array(Vec::new()),
                other => Json::Array(vec![other]),
            };
            if matches!(op, Between | Nbetween) && list.as_array().map(Vec::len) != Some(2) {
                return Err(ApiError::invalid_query(format!("\"{}\" has to have exactly two values", op.name())));
            }
            op_filter(field, op, list)
        }
        Null | Nnull | Empty | Nempty => {
            let on = match &value {
                Json::Bool(b) => *b,
                Json::Number(n) => n.as_i64() != Some(0),
                Json::String(s) => !matches!(s.as_str(), "false" | "0" | ""),
                _ => true,
            };
            // `_null: false` means `_nnull`, and so on.
            let op = match (op, on) {
                (o, true) => o,
                (Null, false) => Nnull,
                (Nnull, false) => Null,
                (Empty, false) => Nempty,
                (_, false) => Empty,
            };
            op_filter(field, op, Json::Bool(true))
        }
        _ => op_filter(field, op, value),
    })
}

/// Strings `true`/`false`/`null` from the URL mean the JSON values.
fn coerce(v: Json) -> Json {
    match v {
        Json::String(s) => match s.as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "null" | "NULL" => Json::Null,
            _ => Json::String(s),
        },
        other => other,
    }
}

fn unknown_operator(op: &str) -> ApiError {
    let known_but_unsupported =
        ["_json", "_intersects", "_nintersects", "_intersects_bbox", "_nintersects_bbox", "_regex", "_submitted"];
    if known_but_unsupported.contains(&op) {
        ApiError::invalid_query(format!("The filter operator \"{op}\" is not supported yet"))
    } else {
        ApiError::invalid_query(format!("\"{op}\" is not a valid filter operator"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(key: &str, op: Operator, value: Json) -> Filter {
        op_filter(key, op, value)
    }

    #[test]
    fn issue_example() {
        let q = parse_query_string("fields=id,title,author.name,tags.tags_id.name&filter[status][_eq]=published&filter[author][name][_starts_with]=A&sort=-published_at&limit=20&meta=*").unwrap();
        assert_eq!(q.fields.unwrap(), ["id", "title", "author.name", "tags.tags_id.name"]);
        assert_eq!(
            q.filter.unwrap(),
            Filter::And(vec![
                f("status", Operator::Eq, json!("published")),
                Filter::Field {
                    key: "author".into(),
                    cond: Condition::Related(Box::new(f("name", Operator::StartsWith, json!("A"))))
                },
            ])
        );
        assert_eq!(q.sort, [SortKey { path: "published_at".into(), descending: true }]);
        assert_eq!((q.limit, q.meta), (Some(20), Meta { total_count: true, filter_count: true }));
        let q = parse_query_string("aggregate[count]=*&groupBy[]=status&groupBy[]=year(published_at)").unwrap();
        assert_eq!(q.aggregate, [Aggregate { func: AggregateFunc::Count, field: "*".into() }]);
        assert_eq!(q.group_by, ["status", "year(published_at)"]);
    }

    #[test]
    fn json_and_qs_forms_agree() {
        let a = parse_query_string(r#"filter={"_or":[{"a":{"_eq":1}},{"b":{"_in":"1,2"}}]}"#).unwrap();
        let b = parse_query_string("filter[_or][0][a][_eq]=1&filter[_or][1][b][_in]=1,2").unwrap();
        assert_eq!(a.filter.as_ref().map(|_| ()), b.filter.as_ref().map(|_| ()));
        let Some(Filter::Or(items)) = b.filter else { panic!() };
        assert_eq!(items[1], f("b", Operator::In, json!(["1", "2"])));
    }

    #[test]
    fn normalises_operators() {
        let q = parse_query_string("filter[a][_null]=false&filter[b][_between]=1,5&filter[c]=null&filter[d][_eq]=true")
            .unwrap();
        assert_eq!(
            q.filter.unwrap(),
            Filter::And(vec![
                f("a", Operator::Nnull, json!(true)),
                f("b", Operator::Between, json!(["1", "5"])),
                f("c", Operator::Eq, Json::Null),
                f("d", Operator::Eq, json!(true)),
            ])
        );
        assert!(parse_query_string("filter[b][_between]=1").is_err());
        assert!(parse_query_string("filter[a][_foo]=1").is_err());
        assert!(parse_query_string("filter[a][_regex]=1").is_err());
        assert!(parse_query_string("filter={bad").is_err());
        assert!(parse_query_string("limit=x").is_err());
    }

    #[test]
    fn hoists_logical_operators_inside_a_field() {
        let q = parse_query_string(r#"filter={"title":{"_or":[{"_eq":"a"},{"_eq":"b"}]}}"#).unwrap();
        assert_eq!(
            q.filter.unwrap(),
            Filter::Or(vec![f("title", Operator::Eq, json!("a")), f("title", Operator::Eq, json!("b"))])
        );
    }

    #[test]
    fn deep_alias_some() {
        let q = parse_query_string("deep[comments][_limit]=2&deep[comments][_sort]=-id&deep[comments][author][_filter][x][_eq]=1&alias[w]=author&filter[comments][_none][id][_gt]=3").unwrap();
        let d = &q.deep["comments"];
        assert_eq!(d.limit, Some(2));
        assert!(d.deep["author"].filter.is_some());
        assert_eq!(q.alias["w"], "author");
        assert!(matches!(q.filter, Some(Filter::Field { cond: Condition::None(_), .. })));
        assert!(parse_query_string("alias[a.b]=x").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = parse_query_string(&s);
        }

        #[test]
        fn never_panics_on_bracket_soup(s in "[a-z_\\[\\]=&,0-9{}\":%]{0,120}") {
            let _ = parse_query_string(&s);
        }
    }
}
