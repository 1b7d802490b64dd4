//! Relational depth of a query, counted as Directus counts it
//! (validate-query.ts, calculate-field-depth.ts): a path's depth is its
//! number of dot-separated segments; a filter's is its deepest chain of
//! field keys (operators and `_and`/`_or` do not count); `deep` adds one per
//! relation key on top of its sub-queries' filters and sorts.

use super::ast::{Condition, Filter, Query};
use crate::error::{ApiError, ApiResult};

/// INVALID_QUERY "Max relational depth exceeded" when `query` goes deeper
/// than `max` (Directus never allows less than 2).
pub fn check_relational_depth(query: &Query, max: usize) -> ApiResult<()> {
    if relational_depth(query) > max.max(2) {
        return Err(ApiError::invalid_query("Max relational depth exceeded"));
    }
    Ok(())
}

/// The deepest of `query`'s fields (or groupBy), filter, sort and deep.
pub fn relational_depth(query: &Query) -> usize {
    // As Directus: aggregates select no fields; groupBy replaces them.
    let fields: Vec<&str> = if !query.group_by.is_empty() {
        query.group_by.iter().map(String::as_str).collect()
    } else if !query.aggregate.is_empty() {
        Vec::new()
    } else {
        match &query.fields {
            Some(f) if !f.is_empty() => f.iter().map(String::as_str).collect(),
            _ => vec!["*"],
        }
    };
    let paths = fields.into_iter().chain(query.sort.iter().map(|s| s.path.as_str())).map(path_depth);
    let filter = query.filter.as_ref().map_or(0, filter_depth);
    paths.chain([filter, deep_depth(query)]).max().unwrap_or(0)
}

fn path_depth(path: &str) -> usize {
    path.split('.').count()
}

fn filter_depth(filter: &Filter) -> usize {
    match filter {
        Filter::And(items) | Filter::Or(items) => items.iter().map(filter_depth).max().unwrap_or(0),
        Filter::Field { cond, .. } => match cond {
            Condition::Op { .. } => 1,
            Condition::Related(sub) | Condition::Some(sub) | Condition::None(sub) => 1 + filter_depth(sub),
        },
    }
}

/// One per relation key of `deep`, plus the deepest filter, sort or nested
/// deep of its sub-query (`_filter` and `_sort` themselves do not count).
fn deep_depth(query: &Query) -> usize {
    query
        .deep
        .values()
        .map(|sub| {
            let sort = sub.sort.iter().map(|s| path_depth(&s.path)).max().unwrap_or(0);
            let filter = sub.filter.as_ref().map_or(0, filter_depth);
            1 + sort.max(filter).max(deep_depth(sub))
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_query_string;

    fn depth(q: &str) -> usize {
        relational_depth(&parse_query_string(q).unwrap())
    }

    #[test]
    fn counts_like_directus() {
        assert_eq!(depth(""), 1);
        assert_eq!(depth("fields=a.b.c,d"), 3);
        assert_eq!(depth("fields=*.*.*.*.*.*"), 6);
        assert_eq!(depth("sort=-a.b.c.d"), 4);
        assert_eq!(depth("filter[a][b][c][_eq]=1"), 3);
        assert_eq!(depth("filter[_and][0][a][_some][b][_eq]=1&filter[_and][1][c][_eq]=2"), 2);
        // The `_filter` key does not count, the field it names does.
        assert_eq!(depth("fields=id&deep[tags][articles_id][_filter][id][_nnull]=true"), 3);
        assert_eq!(depth("fields=id&deep[tags][_sort]=a.b"), 3);
        // Aggregates select no fields; groupBy replaces them.
        assert_eq!(depth("fields=a.b.c.d&aggregate[count]=*"), 0);
        assert_eq!(depth("aggregate[count]=*&groupBy=a.b"), 2);
    }

    #[test]
    fn rejects_past_the_limit() {
        let q = parse_query_string(&format!("fields={}id", "a.".repeat(10))).unwrap();
        let e = check_relational_depth(&q, 10).unwrap_err();
        assert_eq!(e.message, "Invalid query. Max relational depth exceeded.");
        let q = parse_query_string(&format!("fields={}id", "a.".repeat(9))).unwrap();
        assert!(check_relational_depth(&q, 10).is_ok());
        // Directus never allows less than 2.
        assert!(check_relational_depth(&parse_query_string("fields=a.b").unwrap(), 0).is_ok());
    }
}
