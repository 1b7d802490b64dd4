//! Writes every host supports, edge included: one item at a time, without
//! nested relations (one statement, atomic even on D1). Runs against the
//! native server and, from scripts/edge-test, against the worker.

mod common;
use common::shared;
use serde_json::json;

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// True when the suite runs against the edge worker (set by scripts/edge-test).
fn edge() -> bool {
    std::env::var("RECTUS_TEST_HOST").is_ok_and(|h| h == "edge")
}

#[test]
fn create_update_delete_one_item() {
    let s = shared();
    let name = unique("one");
    let created = s
        .post("/items/tags?fields=id,name", json!({"name": name}))
        .data();
    assert_eq!(created["name"], name);
    let id = created["id"].as_i64().unwrap();
    let renamed = format!("{name}-b");
    assert_eq!(
        s.patch(
            &format!("/items/tags/{id}?fields=name"),
            json!({"name": renamed})
        )
        .data(),
        json!({"name": renamed})
    );
    assert_eq!(
        s.get(&format!("/items/tags/{id}?fields=name")).data(),
        json!({"name": renamed})
    );
    let r = s.patch("/items/tags/999999999", json!({"name": "nobody"}));
    assert_eq!(r.code(), "FORBIDDEN");
    assert_eq!(s.delete(&format!("/items/tags/{id}"), None).status, 204);
    assert_eq!(s.get(&format!("/items/tags/{id}")).code(), "FORBIDDEN");
}

#[test]
fn constraint_errors_change_nothing() {
    let s = shared();
    let r = s.post("/items/tags", json!({"name": "rust"}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "RECORD_NOT_UNIQUE"),
        "{}",
        r.text
    );
    assert_eq!(r.json()["errors"][0]["extensions"]["field"], "name");
    let title = unique("no-body");
    let r = s.post(
        "/items/comments",
        json!({"article": 1, "author_name": title}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "NOT_NULL_VIOLATION"),
        "{}",
        r.text
    );
    let found = s
        .get(&format!("/items/comments?filter[author_name][_eq]={title}"))
        .data();
    assert_eq!(found, json!([]));
}

#[test]
fn nested_writes_are_atomic_or_refused_whole() {
    let s = shared();
    let title = unique("nested");
    let r = s.post(
        "/items/articles?fields=id,comments.body",
        json!({"title": title, "comments": [{"body": "c1"}]}),
    );
    if edge() {
        assert_eq!(
            (r.status, r.code().as_str()),
            (405, "METHOD_NOT_ALLOWED"),
            "{}",
            r.text
        );
    } else {
        assert_eq!(r.data()["comments"], json!([{"body": "c1"}]));
        let id = r.data()["id"].as_i64().unwrap();
        assert_eq!(s.delete(&format!("/items/articles/{id}"), None).status, 204);
    }
    let left = s
        .get(&format!(
            "/items/articles?fields=id&filter[title][_eq]={title}"
        ))
        .data();
    assert_eq!(left, json!([]), "nothing of the nested write remains");
}
