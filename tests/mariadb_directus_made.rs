//! A database Directus itself made on MariaDB (fixtures/mysql/directus-made.sql)
//! is served as it is: its admin logs in with the password Directus hashed,
//! its metadata shapes the fields (csv, json, o2m alias, notes), and its
//! policies and permission rows decide what the public and an editor see
//! and may change. Expected answers are Directus's own where it gave them
//! (the admin's read was asked of Directus 12.4.0 over this database; on
//! MariaDB it answers big integers as numbers and decimals as strings).

mod common;
use common::mariadb::{fresh_database, load_sql, sql_column};
use common::{serve_file, Server};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The read-only server the tests share.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| serve_copy("directus"))
}

/// A server over a copy of its own (the editor's test writes).
fn serve_copy(tag: &str) -> Server {
    let url = fresh_database(tag, "utf8mb4_general_ci");
    load_sql(&url, include_str!("../fixtures/mysql/directus-made.sql"));
    serve_file(&url, &[]).as_token("oracle-admin-token")
}

fn login(s: &Server, email: &str, password: &str) -> String {
    let r = s.anonymous().post("/auth/login", json!({"email": email, "password": password}));
    r.data()["access_token"].as_str().expect("access token").to_string()
}

#[test]
fn the_admin_reads_what_directus_answered() {
    let s = server();
    let posts = s.get("/items/posts?fields=*,comments.body&sort=id&deep[comments][_sort]=body").data();
    let admin = sql_column(&s.db_path, "SELECT CAST(id AS CHAR) FROM directus_users WHERE email = 'admin@example.com'");
    let (me, first) = (admin[0].clone(), &posts[0]);
    // Directus 12.4.0's answer over this database, but for `date_created`
    // (set when it was made) and the comments, sorted here by body.
    assert_eq!(
        posts,
        json!([
            {"id": 1, "title": "Hello MariaDB", "published": true, "rating": "4.50", "views": 9007199254740992_i64,
             "tags": ["mariadb", "intro"], "extra": {"b": 1, "a": [true, null]}, "sort": 2, "date_created": first["date_created"],
             "published_on": "2024-03-04", "starts_at": "2024-03-04T05:06:07", "author": me,
             "comments": [{"body": "First!"}, {"body": "Nice"}]},
            {"id": 2, "title": "Draft", "published": false, "rating": null, "views": 0, "tags": null, "extra": null,
             "sort": 1, "date_created": posts[1]["date_created"], "published_on": null, "starts_at": null, "author": null,
             "comments": [{"body": "On a draft"}]},
            {"id": 3, "title": "Second", "published": true, "rating": "3.00", "views": 12, "tags": ["x"], "extra": [1, 2],
             "sort": 3, "date_created": posts[2]["date_created"], "published_on": null, "starts_at": null, "author": me,
             "comments": []}
        ])
    );
    assert!(first["date_created"].as_str().unwrap().ends_with('Z'), "{first}");
    // The password Directus hashed logs in; so does its static token (above).
    assert!(!login(s, "admin@example.com", "Adm1n-pass-123").is_empty());
}

#[test]
fn directus_metadata_describes_the_collections() {
    let s = server();
    assert_eq!(s.get("/collections/posts").data()["meta"]["note"], "Blog posts");
    let title = s.get("/fields/posts/title").data();
    assert_eq!((title["type"].clone(), title["meta"]["note"].clone()), (json!("string"), json!("The headline")));
    let comments = s.get("/fields/posts/comments").data();
    assert_eq!(comments["type"], "alias");
    assert_eq!(s.get("/fields/posts/tags").data()["type"], "csv");
}

#[test]
fn the_public_policy_shows_published_posts_only() {
    let anonymous = server().anonymous();
    let posts =
        anonymous.get("/items/posts?fields=id,published,comments.body&sort=id&deep[comments][_sort]=body").data();
    assert_eq!(
        posts,
        json!([
            {"id": 1, "published": true, "comments": [{"body": "First!"}, {"body": "Nice"}]},
            {"id": 3, "published": true, "comments": []}
        ])
    );
    let r = anonymous.get("/items/posts?fields=rating");
    assert_eq!(r.code(), "FORBIDDEN");
    let bodies: Vec<Value> = anonymous.get("/items/comments?fields=body&sort=body").data().as_array().unwrap().clone();
    assert_eq!(bodies, [json!({"body": "First!"}), json!({"body": "Nice"})]);
}

#[test]
fn the_editor_role_reads_everything_but_changes_only_its_own() {
    let s = serve_copy("editor");
    let editor = s.as_token(&login(&s, "editor@example.com", "Edit0r-pass-123"));
    let posts = editor.get("/items/posts?sort=id").data();
    assert_eq!(posts.as_array().unwrap().len(), 3);
    assert_eq!(posts[1], json!({"id": 2, "title": "Draft", "published": false, "views": 0, "author": null}));
    assert_eq!(editor.patch("/items/posts/2", json!({"title": "not mine"})).code(), "FORBIDDEN");
    let me = editor.get("/users/me?fields=id").data()["id"].clone();
    assert_eq!(s.patch("/items/posts/3", json!({"author": me})).status, 200);
    let r = editor.patch("/items/posts/3", json!({"title": "Mine now"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(sql_column(&s.db_path, "SELECT title FROM posts WHERE id = 3"), [json!("Mine now")]);
    assert_eq!(editor.patch("/items/posts/3", json!({"published": false})).code(), "FORBIDDEN");
}
