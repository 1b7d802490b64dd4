//! Differential test: random filter trees sent to the API must select exactly
//! the ids a plain Rust evaluation over the fixture rows selects.
//!
//! The model follows SQL's three-valued logic (a comparison with NULL is
//! unknown, and unknown rows are not returned), which is what Directus's
//! filters mean on a SQL database.

mod common;
use proptest::prelude::*;
use rectus::fixtures::{article, article_tags, Article, Size};
use serde_json::{json, Value};

/// A field of `articles` the generator filters on.
#[derive(Debug, Clone, Copy)]
enum F {
    Views,
    Rating,
    Status,
    Title,
    Body,
    Featured,
    Author,
}

/// The article's value for a field, as JSON (null for NULL).
fn value_of(a: &Article, f: F) -> Value {
    match f {
        F::Views => json!(a.views),
        F::Rating => json!(a.rating),
        F::Status => json!(a.status),
        F::Title => json!(a.title),
        F::Body => json!(a.body),
        F::Featured => json!(a.featured),
        F::Author => json!(a.author),
    }
}

fn name(f: F) -> &'static str {
    match f {
        F::Views => "views",
        F::Rating => "rating",
        F::Status => "status",
        F::Title => "title",
        F::Body => "body",
        F::Featured => "featured",
        F::Author => "author",
    }
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp(F, &'static str, Value),
    /// `tags: {_some|_none: {tags_id: {_in: [...]}}}`
    Tags(bool, Vec<i64>),
}

fn to_json(n: &Node) -> Value {
    match n {
        Node::And(items) => json!({"_and": items.iter().map(to_json).collect::<Vec<_>>()}),
        Node::Or(items) => json!({"_or": items.iter().map(to_json).collect::<Vec<_>>()}),
        Node::Cmp(f, op, v) => json!({ name(*f): { *op: v } }),
        Node::Tags(some, ids) => {
            json!({"tags": { if *some { "_some" } else { "_none" }: {"tags_id": {"_in": ids}}}})
        }
    }
}

/// SQL three-valued evaluation: `None` is unknown.
fn eval(n: &Node, a: &Article, tags: &[i64]) -> Option<bool> {
    match n {
        Node::And(items) => {
            let r: Vec<Option<bool>> = items.iter().map(|i| eval(i, a, tags)).collect();
            if r.contains(&Some(false)) {
                Some(false)
            } else if r.contains(&None) {
                None
            } else {
                Some(true)
            }
        }
        Node::Or(items) => {
            let r: Vec<Option<bool>> = items.iter().map(|i| eval(i, a, tags)).collect();
            if r.contains(&Some(true)) {
                Some(true)
            } else if r.contains(&None) {
                None
            } else {
                Some(false)
            }
        }
        Node::Tags(some, ids) => Some(tags.iter().any(|t| ids.contains(t)) == *some),
        Node::Cmp(f, op, v) => cmp(&value_of(a, *f), op, v),
    }
}

fn order(x: &Value, y: &Value) -> std::cmp::Ordering {
    match (x, y) {
        (Value::String(a), Value::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0)),
    }
}

fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

fn cmp(col: &Value, op: &str, v: &Value) -> Option<bool> {
    use std::cmp::Ordering::*;
    let null = col.is_null();
    let known = |b: bool| if null { None } else { Some(b) };
    match op {
        "_eq" if v.is_null() => Some(null),
        "_neq" if v.is_null() => Some(!null),
        "_eq" => known(order(col, v) == Equal),
        "_neq" => known(order(col, v) != Equal),
        "_lt" => known(order(col, v) == Less),
        "_lte" => known(order(col, v) != Greater),
        "_gt" => known(order(col, v) == Greater),
        "_gte" => known(order(col, v) != Less),
        // Empty lists are constant, as knex (and so Directus) compiles them: 1=0 / 1=1.
        "_in" if v.as_array().unwrap().is_empty() => Some(false),
        "_nin" if v.as_array().unwrap().is_empty() => Some(true),
        "_in" => known(v.as_array().unwrap().iter().any(|x| order(col, x) == Equal)),
        "_nin" => known(!v.as_array().unwrap().iter().any(|x| order(col, x) == Equal)),
        "_between" | "_nbetween" => {
            let r = v.as_array().unwrap();
            let inside = order(col, &r[0]) != Less && order(col, &r[1]) != Greater;
            known(if op == "_between" { inside } else { !inside })
        }
        "_null" => Some(null),
        "_nnull" => Some(!null),
        "_empty" => Some(null || text(col).is_empty()),
        "_nempty" => Some(!null && !text(col).is_empty()),
        _ => {
            let (c, p) = (text(col), text(v));
            let (lc, lp) = (c.to_ascii_lowercase(), p.to_ascii_lowercase());
            known(match op {
                "_contains" => c.contains(&p),
                "_ncontains" => !c.contains(&p),
                "_icontains" => lc.contains(&lp),
                "_nicontains" => !lc.contains(&lp),
                "_starts_with" => c.starts_with(&p),
                "_nstarts_with" => !c.starts_with(&p),
                "_istarts_with" => lc.starts_with(&lp),
                "_nistarts_with" => !lc.starts_with(&lp),
                "_ends_with" => c.ends_with(&p),
                "_nends_with" => !c.ends_with(&p),
                "_iends_with" => lc.ends_with(&lp),
                "_niends_with" => !lc.ends_with(&lp),
                "_ieq" => lc == lp,
                "_nieq" => lc != lp,
                other => panic!("operator {other} not modelled"),
            })
        }
    }
}

const ORDERED: &[&str] = &["_eq", "_neq", "_lt", "_lte", "_gt", "_gte"];
const TEXTUAL: &[&str] = &[
    "_contains",
    "_ncontains",
    "_icontains",
    "_nicontains",
    "_starts_with",
    "_nstarts_with",
    "_istarts_with",
    "_nistarts_with",
    "_ends_with",
    "_nends_with",
    "_iends_with",
    "_niends_with",
    "_ieq",
    "_nieq",
];
const NULLISH: &[&str] = &["_null", "_nnull", "_empty", "_nempty"];

fn number(f: F) -> BoxedStrategy<Value> {
    match f {
        F::Rating => (0u32..=50).prop_map(|x| json!(x as f64 / 10.0)).boxed(),
        F::Author => (1i64..=40).prop_map(|x| json!(x)).boxed(),
        _ => (0i64..1000).prop_map(|x| json!(x)).boxed(),
    }
}

fn word() -> BoxedStrategy<Value> {
    prop::sample::select(vec![
        "the",
        "THE",
        "great",
        "a",
        "s",
        "data",
        "rust",
        "%",
        "_",
        "Open",
        "draft",
        "published",
        "e",
    ])
    .prop_map(|s| json!(s))
    .boxed()
}

fn leaf() -> BoxedStrategy<Node> {
    let numeric = prop::sample::select(vec![F::Views, F::Rating, F::Author]).prop_flat_map(|f| {
        prop_oneof![
            (prop::sample::select(ORDERED), number(f)).prop_map(move |(op, v)| Node::Cmp(f, op, v)),
            (prop::sample::select(vec!["_in", "_nin"]), prop::collection::vec(number(f), 0..5))
                .prop_map(move |(op, v)| Node::Cmp(f, op, json!(v))),
            (prop::sample::select(vec!["_between", "_nbetween"]), number(f), number(f))
                .prop_map(move |(op, a, b)| Node::Cmp(f, op, json!([a, b]))),
            prop::sample::select(vec!["_null", "_nnull"]).prop_map(move |op| Node::Cmp(f, op, json!(true))),
            prop::sample::select(vec!["_eq", "_neq"]).prop_map(move |op| Node::Cmp(f, op, Value::Null)),
        ]
    });
    let textual = prop::sample::select(vec![F::Status, F::Title, F::Body]).prop_flat_map(|f| {
        prop_oneof![
            (prop::sample::select(TEXTUAL), word()).prop_map(move |(op, v)| Node::Cmp(f, op, v)),
            (prop::sample::select(ORDERED), word()).prop_map(move |(op, v)| Node::Cmp(f, op, v)),
            prop::sample::select(NULLISH).prop_map(move |op| Node::Cmp(f, op, json!(true))),
            (prop::sample::select(vec!["_in", "_nin"]), prop::collection::vec(word(), 1..4))
                .prop_map(move |(op, v)| Node::Cmp(f, op, json!(v))),
        ]
    });
    let boolean = (prop::sample::select(vec!["_eq", "_neq"]), any::<bool>())
        .prop_map(|(op, b)| Node::Cmp(F::Featured, op, json!(b)));
    let tags = (any::<bool>(), prop::collection::vec(1i64..=30, 1..4)).prop_map(|(s, ids)| Node::Tags(s, ids));
    prop_oneof![3 => numeric, 3 => textual, 1 => boolean, 1 => tags].boxed()
}

fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Node::And),
            prop::collection::vec(inner, 1..4).prop_map(Node::Or),
        ]
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn api_filters_match_a_rust_evaluation(filter in tree()) {
        let s = common::shared();
        let size = Size { articles: common::ARTICLES };
        let expected: Vec<i64> = (0..size.articles)
            .map(|i| (article(i, &size), article_tags(i)))
            .filter(|(a, tags)| eval(&filter, a, tags) == Some(true))
            .map(|(a, _)| a.id)
            .collect();
        let body = to_json(&filter).to_string();
        let r = s.get(&format!("/items/articles?fields=id&limit=-1&filter={}", urlencode(&body)));
        prop_assert_eq!(r.status, 200, "{} -> {}", body, r.text);
        let got = common::ids(&r.json()["data"]);
        prop_assert_eq!(got, expected, "filter {}", body);
    }
}
