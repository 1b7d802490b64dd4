//! Writing items over HTTP: create, update, delete in every Directus form,
//! nested relational writes, and rollback of failed requests.

mod common;
use common::{ids, sql_column, sql_ids, Server};
use serde_json::json;
use std::sync::OnceLock;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| common::own_demo("write", "200"))
}

fn count(s: &Server, table: &str) -> i64 {
    sql_ids(&s.db_path, &format!("SELECT count(*) FROM {table}"))[0]
}

#[test]
fn issue_example_create_with_nested_author() {
    let s = server();
    let authors = count(s, "authors");
    let r =
        s.post("/items/articles?fields=id,title,author.name", json!({"title": "x", "author": {"name": "New author"}}));
    let d = r.data();
    assert_eq!(d["title"], "x");
    assert_eq!(d["author"], json!({"name": "New author"}));
    assert_eq!(count(s, "authors"), authors + 1);
    let id = d["id"].as_i64().unwrap();
    assert_eq!(
        sql_column(&s.db_path, &format!("SELECT status FROM articles WHERE id = {id}"))[0],
        "draft",
        "defaults apply"
    );
}

#[test]
fn create_many_update_and_delete_forms() {
    let s = server();
    let created =
        s.post("/items/tags?fields=id,name", json!([{"name": "w-one"}, {"name": "w-two"}, {"name": "w-three"}])).data();
    let keys = ids(&created);
    assert_eq!(keys.len(), 3);
    // PATCH one
    let d = s.patch(&format!("/items/tags/{}", keys[0]), json!({"name": "w-uno"})).data();
    assert_eq!(d["name"], "w-uno");
    // PATCH batch: array of objects with keys
    let d = s.patch("/items/tags", json!([{"id": keys[1], "name": "w-dos"}, {"id": keys[2], "name": "w-tres"}])).data();
    assert_eq!(d.as_array().unwrap().len(), 2);
    // PATCH {keys, data}
    s.patch("/items/tags", json!({"keys": [keys[1]], "data": {"name": "w-DOS"}})).data();
    assert_eq!(sql_column(&s.db_path, &format!("SELECT name FROM tags WHERE id = {}", keys[1]))[0], "w-DOS");
    // PATCH {query, data}
    let d = s
        .patch(
            "/items/tags?fields=name",
            json!({"query": {"filter": {"name": {"_starts_with": "w-t"}}}, "data": {"name": "w-3"}}),
        )
        .data();
    assert_eq!(d, json!([{"name": "w-3"}]));
    // DELETE one, {keys}, array, {query}
    let r = s.delete(&format!("/items/tags/{}", keys[0]), None);
    assert_eq!(r.status, 204);
    let extra = ids(&s.post("/items/tags", json!([{"name": "w-x"}, {"name": "w-y"}])).data());
    assert_eq!(s.delete("/items/tags", Some(json!([keys[1]]))).status, 204);
    assert_eq!(s.delete("/items/tags", Some(json!({"keys": [keys[2]]}))).status, 204);
    assert_eq!(
        s.delete("/items/tags", Some(json!({"query": {"filter": {"name": {"_in": ["w-x", "w-y"]}}}}))).status,
        204
    );
    let left = sql_ids(
        &s.db_path,
        &format!(
            "SELECT count(*) FROM tags WHERE id IN ({},{},{},{},{})",
            keys[0], keys[1], keys[2], extra[0], extra[1]
        ),
    );
    assert_eq!(left, [0]);
}

#[test]
fn nested_o2m_and_m2m_writes() {
    let s = server();
    let tag = ids(&s.post("/items/tags", json!([{"name": "n-tag"}])).data())[0];
    let d = s
        .post(
            "/items/articles?fields=id,comments.body,tags.tags_id.name",
            json!({
                "title": "with children",
                "comments": [{"body": "first"}, {"body": "second"}],
                "tags": [{"tags_id": tag}, {"tags_id": {"name": "n-new-tag"}}]
            }),
        )
        .data();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["comments"], json!([{"body": "first"}, {"body": "second"}]));
    assert_eq!(d["tags"], json!([{"tags_id": {"name": "n-tag"}}, {"tags_id": {"name": "n-new-tag"}}]));
    let comment_ids = sql_ids(&s.db_path, &format!("SELECT id FROM comments WHERE article = {id} ORDER BY id"));
    // {create, update, delete}: comments' relation deletes deselected rows.
    let d = s
        .patch(
            &format!("/items/articles/{id}?fields=comments.body"),
            json!({"comments": {"create": [{"body": "third"}], "update": [{"id": comment_ids[0], "body": "first!"}], "delete": [comment_ids[1]]}}),
        )
        .data();
    assert_eq!(d["comments"], json!([{"body": "first!"}, {"body": "third"}]));
    assert_eq!(sql_ids(&s.db_path, &format!("SELECT count(*) FROM comments WHERE id = {}", comment_ids[1])), [0]);
    // Array form replaces the set: only the listed junction rows remain.
    let d =
        s.patch(&format!("/items/articles/{id}?fields=tags.tags_id.name"), json!({"tags": [{"tags_id": tag}]})).data();
    assert_eq!(d["tags"], json!([{"tags_id": {"name": "n-tag"}}]));
    assert_eq!(sql_ids(&s.db_path, &format!("SELECT count(*) FROM articles_tags WHERE articles_id = {id}")), [1]);
}

#[test]
fn failed_nested_write_rolls_back_everything() {
    let s = server();
    // The comment lacks its NOT NULL body: the author and article must not stay.
    let r = s.post(
        "/items/articles",
        json!({"title": "doomed", "author": {"name": "Ghost"}, "comments": [{"author_name": "x"}]}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "NOT_NULL_VIOLATION"), "{}", r.text);
    // Other tests write concurrently: look for this request's own rows.
    let left = sql_ids(
        &s.db_path,
        "SELECT (SELECT count(*) FROM articles WHERE title = 'doomed') + (SELECT count(*) FROM authors WHERE name = 'Ghost') + (SELECT count(*) FROM comments WHERE author_name = 'x')",
    );
    assert_eq!(left, [0], "nothing of the failed request remains");
    // A batch with one bad item writes none of them.
    let r = s.post("/items/tags", json!([{"name": "r-ok"}, {"name": null}]));
    assert_eq!(r.code(), "NOT_NULL_VIOLATION");
    assert_eq!(sql_ids(&s.db_path, "SELECT count(*) FROM tags WHERE name = 'r-ok'"), [0]);
    // A batch delete with one missing key deletes nothing.
    let tag = ids(&s.post("/items/tags", json!([{"name": "r-keep"}])).data())[0];
    let r = s.delete("/items/tags", Some(json!([tag, 99999999])));
    assert_eq!(r.code(), "FORBIDDEN");
    assert_eq!(sql_ids(&s.db_path, &format!("SELECT count(*) FROM tags WHERE id = {tag}")), [1]);
}

#[test]
fn constraint_errors() {
    let s = server();
    let existing = sql_column(&s.db_path, "SELECT name FROM tags LIMIT 1")[0].clone();
    let r = s.post("/items/tags", json!({"name": existing}));
    assert_eq!((r.status, r.code().as_str()), (400, "RECORD_NOT_UNIQUE"));
    assert_eq!(r.json()["errors"][0]["extensions"]["field"], "name");
    let r = s.post("/items/articles", json!({"title": "fk", "author": 987654}));
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_FOREIGN_KEY"));
    let r = s.post("/items/tags", json!({"name": "x".repeat(51)}));
    assert_eq!((r.status, r.code().as_str()), (400, "VALUE_TOO_LONG"));
    let r = s.post("/items/articles", json!({"title": "n", "views": "many"}));
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_PAYLOAD"));
    let r = s.patch("/items/tags/99999999", json!({"name": "nobody"}));
    assert_eq!(r.code(), "FORBIDDEN");
}

#[test]
fn typed_values_round_trip() {
    let s = server();
    let d = s
        .post(
            "/items/articles?fields=id,featured,metadata,keywords,rating,published_at,updated_at",
            json!({"title": "types", "featured": true, "metadata": {"a": [1, 2]}, "keywords": ["x", "y"], "rating": 4.5, "published_at": "2024-02-03T04:05:06+02:00", "updated_at": "2024-02-03 04:05:06"}),
        )
        .data();
    assert_eq!(
        d,
        json!({"id": d["id"], "featured": true, "metadata": {"a": [1, 2]}, "keywords": ["x", "y"], "rating": 4.5, "published_at": "2024-02-03T02:05:06", "updated_at": "2024-02-03T04:05:06.000Z"})
    );
    // Dates are stored in one format per type (UTC), so filters compare right.
    let id = d["id"].as_i64().unwrap();
    assert_eq!(
        sql_column(
            &s.db_path,
            &format!("SELECT CAST(published_at AS {}) FROM articles WHERE id = {id}", text_type(&s))
        )[0],
        "2024-02-03 02:05:06"
    );
    let found = s.get("/items/articles?fields=id&filter[published_at][_eq]=2024-02-03T02:05:06Z").data();
    assert_eq!(ids(&found), [id]);
    // uuid primary keys are generated; hash fields are stored hashed and read masked.
    let screen = s.post("/items/screens?fields=id,pin", json!({"name": "lobby", "pin": "1234"})).data();
    let id = screen["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(screen["pin"], "**********");
    let stored = sql_column(&s.db_path, &format!("SELECT pin FROM screens WHERE id = '{id}'"))[0].clone();
    assert!(stored.as_str().unwrap().starts_with("$argon2id$"));
    // A value that already looks like a hash is hashed too: nobody picks the
    // cost of the hash a later verification runs.
    let planted = "$argon2id$v=19$m=4194304,t=1000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    s.patch(&format!("/items/screens/{id}"), json!({"pin": planted})).data();
    let stored = sql_column(&s.db_path, &format!("SELECT pin FROM screens WHERE id = '{id}'"))[0].clone();
    let stored = stored.as_str().unwrap();
    assert!(stored.starts_with("$argon2id$") && stored != planted, "{stored}");
}

#[test]
fn singleton_patch_and_read() {
    let s = server();
    let d = s.patch("/items/site_settings", json!({"tagline": "updated"})).data();
    assert_eq!(d["tagline"], "updated");
    assert_eq!(s.get("/items/site_settings?fields=tagline").data(), json!({"tagline": "updated"}));
    assert_eq!(count(s, "site_settings"), 1);
}

/// The oracle's name of the text type (MariaDB casts to CHAR only).
fn text_type(s: &Server) -> &'static str {
    if s.db_path.starts_with("mysql://") {
        "CHAR"
    } else {
        "text"
    }
}
