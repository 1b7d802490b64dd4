//! Helpers of the GraphQL suites: requests, REST comparisons and a
//! restricted user set up through the API.

use super::{unique, Reply, Server};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use std::sync::OnceLock;

pub fn gql(s: &Server, query: &str, variables: Value) -> Reply {
    s.post("/graphql", json!({ "query": query, "variables": variables }))
}

/// The `data` of a GraphQL reply that has no errors.
pub fn gql_data(s: &Server, query: &str, variables: Value) -> Value {
    let r = gql(s, query, variables);
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    let body = r.json();
    assert!(body.get("errors").is_none(), "{query}: {}", r.text);
    body["data"].clone()
}

/// Scalars as text: GraphQL serializes IDs and big integers as strings,
/// REST keeps SQLite's numbers.
pub fn text_scalars(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(text_scalars).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), text_scalars(v))).collect()),
        other => other.clone(),
    }
}

pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A user whose role's policy reads only articles with more than 200 views
/// (some of their fields), authors' names and the tags — set up through
/// the API, as an admin would.
pub fn reader(s: &Server) -> &'static Server {
    static E: OnceLock<Server> = OnceLock::new();
    E.get_or_init(|| {
        let role = s.post("/roles", json!({"name": unique("GraphQL reader")})).data();
        let policy = s
            .post("/policies", json!({"name": unique("GraphQL readers"), "roles": [{"role": role["id"]}]}))
            .data();
        let read = |collection: &str, fields: Value, rule: Value| {
            s.post(
                "/permissions",
                json!({"policy": policy["id"], "collection": collection, "action": "read", "fields": fields, "permissions": rule}),
            )
            .data();
        };
        read(
            "articles",
            json!(["id", "title", "status", "views", "author", "tags", "published_at"]),
            json!({"views": {"_gt": 200}}),
        );
        read("authors", json!(["id", "name"]), Value::Null);
        read("articles_tags", json!(["*"]), Value::Null);
        read("tags", json!(["*"]), Value::Null);
        s.post(
            "/permissions",
            json!({"policy": policy["id"], "collection": "articles", "action": "create", "fields": ["title", "status", "views"]}),
        )
        .data();
        let email = format!("{}@example.com", unique("gql-reader"));
        let password = "Gql-reader-123";
        s.post("/users", json!({"email": email, "password": password, "role": role["id"]})).data();
        let login = s.anonymous().post("/auth/login", json!({"email": email, "password": password})).data();
        s.as_token(login["access_token"].as_str().unwrap())
    })
}
