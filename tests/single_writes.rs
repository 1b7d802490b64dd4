//! Writes on the shared server of any host: the native one, and (from
//! scripts/edge-test) the worker, where D1 applies each request's writes as
//! one atomic batch.

mod common;
use common::{shared, unique};
use serde_json::json;

#[test]
fn create_update_delete_one_item() {
    let s = shared();
    let name = unique("one");
    let created = s.post("/items/tags?fields=id,name", json!({"name": name})).data();
    assert_eq!(created["name"], name);
    let id = created["id"].as_i64().unwrap();
    let renamed = format!("{name}-b");
    assert_eq!(
        s.patch(&format!("/items/tags/{id}?fields=name"), json!({"name": renamed})).data(),
        json!({"name": renamed})
    );
    assert_eq!(s.get(&format!("/items/tags/{id}?fields=name")).data(), json!({"name": renamed}));
    let r = s.patch("/items/tags/999999999", json!({"name": "nobody"}));
    assert_eq!(r.code(), "FORBIDDEN");
    assert_eq!(s.delete(&format!("/items/tags/{id}"), None).status, 204);
    assert_eq!(s.get(&format!("/items/tags/{id}")).code(), "FORBIDDEN");
}

#[test]
fn constraint_errors_change_nothing() {
    let s = shared();
    let r = s.post("/items/tags", json!({"name": "rust"}));
    assert_eq!((r.status, r.code().as_str()), (400, "RECORD_NOT_UNIQUE"), "{}", r.text);
    assert_eq!(r.json()["errors"][0]["extensions"]["field"], "name");
    let title = unique("no-body");
    let r = s.post("/items/comments", json!({"article": 1, "author_name": title}));
    assert_eq!((r.status, r.code().as_str()), (400, "NOT_NULL_VIOLATION"), "{}", r.text);
    let found = s.get(&format!("/items/comments?filter[author_name][_eq]={title}")).data();
    assert_eq!(found, json!([]));
}

#[test]
fn nested_write_is_one_transaction() {
    let s = shared();
    let title = unique("nested");
    let r = s.post(
        "/items/articles?fields=id,comments.body",
        json!({"title": title, "comments": [{"body": "c1"}, {"body": "c2"}]}),
    );
    assert_eq!(r.data()["comments"], json!([{"body": "c1"}, {"body": "c2"}]));
    let id = r.data()["id"].as_i64().unwrap();
    assert_eq!(s.delete(&format!("/items/articles/{id}"), None).status, 204);
    // One bad child: nothing of the request stays.
    let r = s.post(
        "/items/articles",
        json!({"title": title, "author": {"name": title}, "comments": [{"author_name": "no body"}]}),
    );
    assert_eq!(r.code(), "NOT_NULL_VIOLATION", "{}", r.text);
    assert_eq!(s.get(&format!("/items/articles?fields=id&filter[title][_eq]={title}")).data(), json!([]));
    assert_eq!(s.get(&format!("/items/authors?fields=id&filter[name][_eq]={title}")).data(), json!([]));
}
