//! GraphQL mutations write as the REST routes write (same rules, same
//! errors, same rollback), natively and on the edge worker.

mod common;
use common::graphql::{gql, gql_data, reader};
use common::{sql_column, unique, Server};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| common::own_demo("graphql-writes", "60"))
}

#[test]
fn mutations_write_as_rest_writes() {
    let s = server();
    let title = unique("graphql article");
    let created = gql_data(
        s,
        "mutation($title: String!) { create_articles_item(data: {title: $title, author: {name: \"GraphQL author\"}}) { id title author { name } } }",
        json!({"title": title}),
    )["create_articles_item"]
        .clone();
    assert_eq!(created["title"], json!(title));
    assert_eq!(created["author"], json!({"name": "GraphQL author"}));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.get(&format!("/items/articles/{id}?fields=title,author.name")).data()["author"]["name"],
        "GraphQL author"
    );

    let updated = gql_data(
        s,
        &format!("mutation {{ update_articles_item(id: {id}, data: {{views: 42}}) {{ views }} many: update_articles_items(ids: [{id}], data: {{status: \"archived\"}}) {{ id status }} }}"),
        json!({}),
    );
    assert_eq!(updated["update_articles_item"], json!({"views": 42}));
    assert_eq!(updated["many"], json!([{"id": id, "status": "archived"}]));

    // A failing write changes nothing and answers the REST error's code.
    let before = sql_column(&s.db_path, "SELECT count(*) FROM authors")[0].clone();
    let slug = sql_column(&s.db_path, "SELECT slug FROM articles WHERE slug IS NOT NULL LIMIT 1")[0].clone();
    let r = gql(
        s,
        "mutation($slug: String) { create_articles_item(data: {title: \"dup\", slug: $slug, author: {name: \"never\"}}) { id } }",
        json!({"slug": slug}),
    );
    let body = r.json();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(body["data"]["create_articles_item"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "RECORD_NOT_UNIQUE", "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["create_articles_item"]));
    assert_eq!(sql_column(&s.db_path, "SELECT count(*) FROM authors")[0], before);

    // A failed non-null root field ends the operation: later ones do not run.
    let later = unique("never written");
    let r = gql(
        s,
        "mutation($slug: String, $later: String!) { a: create_articles_items(data: [{title: \"dup\", slug: $slug}]) { id } b: create_articles_item(data: {title: $later}) { id } }",
        json!({"slug": slug, "later": later}),
    );
    assert!(r.json().get("data").is_none(), "{}", r.text);
    assert_eq!(r.json()["errors"][0]["path"], json!(["a"]));
    let written = sql_column(&s.db_path, &format!("SELECT count(*) FROM articles WHERE title = '{later}'"));
    assert_eq!(written[0], 0);

    let deleted = gql_data(s, &format!("mutation {{ delete_articles_item(id: {id}) {{ id }} }}"), json!({}));
    assert_eq!(deleted["delete_articles_item"], json!({"id": id}));
    assert_eq!(s.get(&format!("/items/articles/{id}")).code(), "FORBIDDEN");

    // The restricted user may create articles but not read what they create
    // unless its views pass their rule; they have no update or delete.
    let e = reader(s);
    let r = gql_data(
        e,
        "mutation { create_articles_item(data: {title: \"seen\", status: \"draft\", views: 900}) { title views } }",
        json!({}),
    );
    assert_eq!(r["create_articles_item"], json!({"title": "seen", "views": 900}));
    let r = gql_data(
        e,
        "mutation { create_articles_item(data: {title: \"unseen\", status: \"draft\", views: 1}) { title } }",
        json!({}),
    );
    assert_eq!(r["create_articles_item"], Value::Null);
    let r = gql(e, "mutation { delete_articles_item(id: 1) { id } }", json!({}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "GRAPHQL_VALIDATION");
}
