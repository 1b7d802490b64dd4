//! GraphQL (`/graphql`) against REST on the same server: generated queries
//! return the same rows for an admin, a restricted user and an anonymous
//! visitor; GraphQL's own features (aliases, fragments, variables,
//! directives, functions, aggregates), each caller's schema and the errors.
//! Mutations are in graphql_writes.rs, so these reads never race a write. Runs
//! against the native server and (scripts/edge-test) the edge worker.

mod common;
use common::graphql::{enc, gql, gql_data, reader, text_scalars};
use common::{Reply, Server};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| common::own_demo("graphql", "150"))
}

/// (GraphQL selection, REST `fields`) pairs every caller may read.
const SELECTIONS: [(&str, &str); 4] = [
    ("id title status", "id,title,status"),
    ("id title author { name }", "id,title,author.name"),
    ("id tags { tags_id { name } }", "id,tags.tags_id.name"),
    ("views id published_at author { id name }", "views,id,published_at,author.id,author.name"),
];

/// (GraphQL filter literal, REST filter JSON) pairs.
const FILTERS: [(&str, &str); 7] = [
    ("", ""),
    (r#"{status: {_eq: "published"}}"#, r#"{"status":{"_eq":"published"}}"#),
    (r#"{author: {name: {_starts_with: "A"}}}"#, r#"{"author":{"name":{"_starts_with":"A"}}}"#),
    (r#"{views: {_gt: 500}}"#, r#"{"views":{"_gt":500}}"#),
    (
        r#"{_or: [{views: {_lt: 100}}, {title: {_icontains: "data"}}]}"#,
        r#"{"_or":[{"views":{"_lt":100}},{"title":{"_icontains":"data"}}]}"#,
    ),
    (
        r#"{tags: {_some: {tags_id: {name: {_eq: "rust"}}}}}"#,
        r#"{"tags":{"_some":{"tags_id":{"name":{"_eq":"rust"}}}}}"#,
    ),
    (r#"{published_at_func: {year: {_gte: 2024}}}"#, r#"{"year(published_at)":{"_gte":2024}}"#),
];

#[test]
fn queries_return_what_rest_returns_for_every_caller() {
    let s = server();
    let callers = [("admin", s.clone()), ("restricted", reader(s).clone()), ("anonymous", s.anonymous())];
    let mut rows_seen = 0;
    for (who, c) in &callers {
        for (selection, fields) in SELECTIONS {
            for (gql_filter, rest_filter) in FILTERS {
                for (gql_sort, rest_sort) in [("", ""), (r#"sort: ["-views", "id"], "#, "-views,id")] {
                    for offset in [0, 3] {
                        let filter_arg =
                            if gql_filter.is_empty() { String::new() } else { format!("filter: {gql_filter}, ") };
                        let query = format!(
                            "{{ articles({filter_arg}{gql_sort}limit: 7, offset: {offset}) {{ {selection} }} }}"
                        );
                        let mut path = format!("/items/articles?fields={fields}&limit=7&offset={offset}");
                        if !rest_filter.is_empty() {
                            path.push_str(&format!("&filter={}", enc(rest_filter)));
                        }
                        if !rest_sort.is_empty() {
                            path.push_str(&format!("&sort={rest_sort}"));
                        }
                        let rest = c.get(&path).data();
                        let graphql = gql_data(c, &query, json!({}));
                        assert_eq!(text_scalars(&graphql["articles"]), text_scalars(&rest), "{who}: {query} vs {path}");
                        rows_seen += rest.as_array().map_or(0, Vec::len);
                    }
                }
            }
        }
        // One item, and groups.
        let id = c.get("/items/articles?fields=id&limit=1&sort=-views").data()[0]["id"].clone();
        let graphql =
            gql_data(c, "query($id: ID!) { articles_by_id(id: $id) { id title author { name } } }", json!({"id": id}));
        let rest = c.get(&format!("/items/articles/{id}?fields=id,title,author.name")).data();
        assert_eq!(text_scalars(&graphql["articles_by_id"]), text_scalars(&rest), "{who}: by id");

        let graphql =
            gql_data(c, r#"{ articles_aggregated(groupBy: ["status"]) { group count { id } countAll } }"#, json!({}));
        let rest = c.get("/items/articles?aggregate[count]=id&aggregate[countAll]=*&groupBy[]=status").data();
        let rest_shaped: Vec<Value> = rest
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"group": {"status": r["status"]}, "count": r["count"], "countAll": r["countAll"]}))
            .collect();
        assert_eq!(graphql["articles_aggregated"], json!(rest_shaped), "{who}: aggregate");
    }
    assert!(rows_seen > 500, "the cases must read rows, not only empty lists ({rows_seen})");
}

#[test]
fn aliases_fragments_variables_and_directives() {
    let s = server();
    let query = r#"
        query Feed($status: String, $withAuthor: Boolean!, $missing: String) {
          published: articles(filter: {status: {_eq: $status}, title: {_eq: $missing}}, sort: ["-id"], limit: 3) {
            ...Card
            writer: author @include(if: $withAuthor) { name }
            views @skip(if: true)
            __typename
          }
          one: articles_by_id(id: 1) { ... on articles { id heading: title } }
          __typename
        }
        query Other { articles(limit: 1) { id } }
        fragment Card on articles { key: id title }"#;
    let body =
        json!({"query": query, "operationName": "Feed", "variables": {"status": "published", "withAuthor": true}});
    let data = s.post("/graphql", body).data();
    let rest =
        s.get("/items/articles?fields=id,title,author.name&filter[status][_eq]=published&sort=-id&limit=3").data();
    let expected: Vec<Value> = rest
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"key": r["id"].to_string(), "title": r["title"], "writer": r["author"], "__typename": "articles"}))
        .collect();
    assert_eq!(data["published"], json!(expected));
    let one = s.get("/items/articles/1?fields=title").data();
    assert_eq!(data["one"], json!({"id": "1", "heading": one["title"]}));
    assert_eq!(data["__typename"], "Query");

    // The same relation twice under two aliases, with different arguments.
    let data = gql_data(
        s,
        r#"{ articles(limit: 2, sort: ["id"]) { id first: tags(limit: 1, sort: ["id"]) { id } all: tags(sort: ["-id"]) { id } } }"#,
        json!({}),
    );
    for a in data["articles"].as_array().unwrap() {
        let tags = s
            .get(&format!(
                "/items/articles_tags?fields=id&filter[articles_id][_eq]={}&sort=id",
                a["id"].as_str().unwrap()
            ))
            .data();
        let ids: Vec<String> = tags.as_array().unwrap().iter().map(|t| t["id"].to_string()).collect();
        let all: Vec<String> =
            a["all"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
        let mut reversed = ids.clone();
        reversed.reverse();
        assert_eq!(all, reversed);
        assert_eq!(a["first"].as_array().unwrap().len(), ids.len().min(1));
    }

    // Date functions, as `<field>_func` objects.
    let data = gql_data(s, "{ articles(limit: 5, sort: [\"id\"], filter: {published_at: {_nnull: true}}) { id published_at_func { year month } } }", json!({}));
    let rest = s.get("/items/articles?fields=id,year(published_at),month(published_at)&limit=5&sort=id&filter[published_at][_nnull]=true").data();
    for (g, r) in data["articles"].as_array().unwrap().iter().zip(rest.as_array().unwrap()) {
        assert_eq!(g["published_at_func"], json!({"year": r["published_at_year"], "month": r["published_at_month"]}));
    }

    // GET runs queries too.
    let r = s.get(&format!("/graphql?query={}", enc("{ articles(limit: 1, sort: [\"id\"]) { id } }")));
    assert_eq!(r.data(), json!({"articles": [{"id": "1"}]}));
}

#[test]
fn errors_are_directus_shaped() {
    let s = server();
    let validation = |r: &Reply| -> String {
        assert_eq!(r.status, 400, "{}", r.text);
        let body = r.json();
        assert_eq!(body["errors"][0]["message"], "GraphQL validation error.");
        assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION");
        body["errors"][0]["extensions"]["errors"][0]["message"].as_str().unwrap().to_string()
    };
    let m = validation(&gql(s, "{ articles { id titl } }", json!({})));
    assert_eq!(m, "Cannot query field \"titl\" on type \"articles\".");
    let m = validation(&gql(s, "{ articles(limit: \"x\") { id } }", json!({})));
    assert!(m.contains("Int"), "{m}");
    let m = validation(&gql(s, "{ articles(first: 1) { id } }", json!({})));
    assert!(m.contains("first"), "{m}");
    validation(&gql(s, "{ articles { id ", json!({})));
    validation(&gql(s, "{ articles { ...Missing } }", json!({})));

    // A field the caller may not read does not exist in their schema.
    let m = validation(&gql(&s.anonymous(), "{ articles { id internal_notes } }", json!({})));
    assert_eq!(m, "Cannot query field \"internal_notes\" on type \"articles\".");
    let m = validation(&gql(&s.anonymous(), "{ directus_users { id } }", json!({})));
    assert!(m.contains("directus_users"), "{m}");
    assert!(gql(s, "{ articles(limit: 1) { internal_notes } }", json!({})).status == 200);

    // A missing variable: a request error, HTTP 200 without data.
    let r = gql(s, "query($s: String!) { articles(filter: {status: {_eq: $s}}) { id } }", json!({}));
    assert_eq!(r.status, 200);
    assert!(r.json().get("data").is_none(), "{}", r.text);
    assert!(r.json()["errors"][0]["message"].as_str().unwrap().contains('s'), "{}", r.text);

    // Deeper than MAX_RELATIONAL_DEPTH: the REST error, on the field.
    let mut deep = String::from("id");
    for i in 0..12 {
        deep = format!("{} {{ {deep} }}", if i % 2 == 0 { "author" } else { "articles" });
    }
    let r = gql(s, &format!("{{ articles(limit: 1) {{ author {{ {deep} }} }} }}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["extensions"]["code"], "INVALID_QUERY", "{}", r.text);
    assert_eq!(r.json()["errors"][0]["message"], "Invalid query. Max relational depth exceeded.");

    // A missing item is null with FORBIDDEN, as Directus answers.
    let r = gql(s, "{ articles_by_id(id: 987654321) { id } }", json!({}));
    let body = r.json();
    assert_eq!(body["data"], json!({"articles_by_id": null}));
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(body["errors"][0]["path"], json!(["articles_by_id"]));

    // HTTP: mutations only by POST, a query is required.
    let r = s.get(&format!("/graphql?query={}", enc("mutation { delete_articles_item(id: 1) { id } }")));
    assert_eq!((r.status, r.code()), (405, "METHOD_NOT_ALLOWED".to_string()), "{}", r.text);
    let r = s.post("/graphql", json!({}));
    assert_eq!((r.status, r.code()), (400, "INVALID_PAYLOAD".to_string()));
    let r = s.get("/graphql?query=%7B__typename%7D&variables=%7Bnope");
    assert_eq!((r.status, r.code()), (400, "INVALID_QUERY".to_string()));
    let r = s.post("/graphql", json!({"query": "{ __typename }", "variables": "[]"}));
    assert_eq!((r.status, r.code()), (400, "GRAPHQL_EXECUTION".to_string()));
    assert_eq!(s.request("PUT", "/graphql", None).status, 405);
}

#[test]
fn the_schema_follows_each_callers_permissions() {
    let s = server();
    let names = |c: &Server| -> Vec<String> {
        let d =
            gql_data(c, "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }", json!({}));
        let mut out: Vec<String> = d["__schema"]["queryType"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        if let Some(m) = d["__schema"]["mutationType"]["fields"].as_array() {
            out.extend(m.iter().map(|f| f["name"].as_str().unwrap().to_string()));
        }
        out
    };
    let admin = names(s);
    for n in [
        "articles",
        "articles_by_id",
        "articles_aggregated",
        "create_articles_item",
        "update_articles_batch",
        "delete_articles_items",
    ] {
        assert!(admin.contains(&n.to_string()), "{n} in {admin:?}");
    }
    let anonymous = names(&s.anonymous());
    assert!(anonymous.contains(&"articles".to_string()));
    assert!(!anonymous.iter().any(|n| n.starts_with("create_") || n.starts_with("directus")), "{anonymous:?}");
    let restricted = names(reader(s));
    assert!(restricted.contains(&"create_articles_item".to_string()), "{restricted:?}");
    assert!(!restricted.contains(&"update_articles_item".to_string()));
    assert!(!restricted.contains(&"comments".to_string()));

    let t = gql_data(
        reader(s),
        r#"{ __type(name: "articles") { fields { name type { kind name ofType { name } } } } }"#,
        json!({}),
    );
    let fields: Vec<&str> =
        t["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"published_at_func") && !fields.contains(&"internal_notes") && !fields.contains(&"body"),
        "{fields:?}"
    );
}

#[test]
fn system_scope_logs_in_and_reads_the_users_own_tables() {
    let s = server();
    let system = |c: &Server, query: &str| -> Reply { c.post("/graphql/system", json!({ "query": query })) };
    let login = system(
        &s.anonymous(),
        &format!(
            "mutation {{ auth_login(email: \"{}\", password: \"{}\") {{ access_token refresh_token expires }} }}",
            common::ADMIN_EMAIL,
            common::ADMIN_PASSWORD
        ),
    )
    .data()["auth_login"]
        .clone();
    assert_eq!(login["expires"], "900000", "{login}");
    let admin = s.as_token(login["access_token"].as_str().unwrap());
    let me = system(&admin, "{ users_me { email role { name } } server_info { project { project_name } } }").data();
    assert_eq!(me["users_me"]["email"], common::ADMIN_EMAIL);
    assert_eq!(me["server_info"]["project"]["project_name"], "rectus");
    let users = system(&admin, "{ users(filter: {email: {_eq: \"admin@example.com\"}}) { email password } }").data();
    assert_eq!(users["users"], json!([{"email": common::ADMIN_EMAIL, "password": "**********"}]));

    let refreshed = system(
        &s.anonymous(),
        &format!(
            "mutation {{ auth_refresh(refresh_token: \"{}\") {{ access_token refresh_token }} }}",
            login["refresh_token"].as_str().unwrap()
        ),
    )
    .data()["auth_refresh"]
        .clone();
    assert_ne!(refreshed["refresh_token"], login["refresh_token"]);
    let out = system(
        &s.anonymous(),
        &format!("mutation {{ auth_logout(refresh_token: \"{}\") }}", refreshed["refresh_token"].as_str().unwrap()),
    );
    assert_eq!(out.data(), json!({"auth_logout": true}));

    // A wrong password: the REST error, on the field.
    let r = system(
        &s.anonymous(),
        "mutation { auth_login(email: \"admin@example.com\", password: \"nope\") { access_token } }",
    );
    assert_eq!(r.json()["errors"][0]["extensions"]["code"], "INVALID_CREDENTIALS", "{}", r.text);
    // Anonymous visitors see no system collections.
    let m = system(&s.anonymous(), "{ users { id } }");
    assert_eq!((m.status, m.code()), (400, "GRAPHQL_VALIDATION".to_string()), "{}", m.text);
}

#[test]
fn the_sdl_is_each_callers_schema() {
    let s = server();
    let r = s.get("/server/specs/graphql");
    assert_eq!(r.status, 200);
    assert!(r.text.contains("type articles {") && r.text.contains("internal_notes"), "admin SDL");
    assert!(r.text.contains("create_articles_item(data: create_articles_input!): articles"));
    let anonymous = s.anonymous().get("/server/specs/graphql").text;
    assert!(anonymous.contains("type articles {") && !anonymous.contains("internal_notes"));
    let system = s.get("/server/specs/graphql/system").text;
    assert!(system.contains("type users {") && system.contains("auth_login("), "system SDL");
    assert_eq!(s.get("/server/specs/graphql/nope").code(), "ROUTE_NOT_FOUND");
}

/// A plain query is answered from the statements' JSON as it is; the same
/// query with `__typename` goes through the executor. Both must agree to
/// the byte: key order, IDs and big integers as strings, no unselected key.
#[test]
fn plain_answers_match_the_executors() {
    let s = server();
    let plain = "{ articles(limit: 3, sort: [\"id\"]) { title id author { name id } tags { tags_id { name } } } }";
    let typed =
        "{ articles(limit: 3, sort: [\"id\"]) { title id author { name id __typename } tags { tags_id { name } } } }";
    let fast = gql(s, plain, json!({}));
    let full = gql(s, typed, json!({}));
    let strip = |text: &str| text.replace(",\"__typename\":\"authors\"", "");
    assert_eq!(fast.text, strip(&full.text));
    let first = &fast.json()["data"]["articles"][0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["title", "id", "author", "tags"]);
    assert!(first["id"].is_string() && first["author"]["id"].is_string(), "{}", fast.text);

    // An item by a variable id: one plan serves every id.
    let by_id = "query($id: ID!) { articles_by_id(id: $id) { id title } }";
    for id in [1, 2, 3] {
        let data = gql_data(s, by_id, json!({"id": id}));
        let rest = s.get(&format!("/items/articles/{id}?fields=id,title")).data();
        assert_eq!(data["articles_by_id"], json!({"id": id.to_string(), "title": rest["title"]}));
    }
}
