//! Errors in Directus's shape for bad input, and the server/schema endpoints.

mod common;
use common::shared;
use serde_json::json;

#[test]
fn bad_queries_are_invalid_query() {
    let s = shared();
    for q in [
        "filter={not json",
        "filter[title][_foo]=1",
        "filter[views][_eq]=abc",
        "filter[views][_between]=1",
        "limit=abc",
        "limit=-5",
        "page=0&limit=10",
        "aggregate[median]=views",
        "aggregate[sum]=title",
        "sort=comments",
        "filter[year(title)][_eq]=1",
        "filter[published_at][_gt]=$NOW(soon)",
    ] {
        let r = s.get(&format!("/items/articles?{q}"));
        assert_eq!((r.status, r.code().as_str()), (400, "INVALID_QUERY"), "{q}: {}", r.text);
        assert!(r.json()["errors"][0]["message"].as_str().unwrap().starts_with("Invalid query."), "{q}");
    }
}

#[test]
fn unknown_fields_and_collections_are_forbidden() {
    let s = shared();
    for path in [
        "/items/articles?fields=nope",
        "/items/articles?filter[nope][_eq]=1",
        "/items/articles?sort=nope",
        "/items/nope",
        "/items/directus_fields",
        "/items/directus_relations/1",
    ] {
        let r = s.get(path);
        assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{path}: {}", r.text);
    }
}

#[test]
fn routes_methods_bodies() {
    let s = shared();
    let r = s.get("/nothing/here");
    assert_eq!((r.status, r.code().as_str()), (404, "ROUTE_NOT_FOUND"));
    assert_eq!(r.json()["errors"][0]["message"], "Route /nothing/here doesn't exist.");
    let r = s.request("PUT", "/items/articles", Some(&json!({})));
    assert_eq!((r.status, r.code().as_str()), (405, "METHOD_NOT_ALLOWED"));
    let r = s.raw("POST", "/items/tags", "text/plain", "name=x");
    assert_eq!((r.status, r.code().as_str()), (415, "UNSUPPORTED_MEDIA_TYPE"));
    let r = s.raw("POST", "/items/tags", "application/json", "{\"name\": ");
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_PAYLOAD"));
    let r = s.raw("POST", "/items/tags", "application/json", "42");
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_PAYLOAD"));
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = s.raw("POST", "/items/tags", "application/json", &big);
    assert_eq!((r.status, r.code().as_str()), (413, "CONTENT_TOO_LARGE"));
}

#[test]
fn server_endpoints() {
    let s = shared();
    let r = s.get("/server/ping");
    assert_eq!((r.status, r.text.as_str()), (200, "pong"));
    let r = s.get("/server/health");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert!(r.content_type.starts_with("application/health+json"));
    let info = s.get("/server/info").data();
    assert!(info["project"]["project_name"].is_string());
}

#[test]
fn schema_endpoints() {
    let s = shared();
    let cols = s.get("/collections").data();
    let names: Vec<&str> = cols.as_array().unwrap().iter().map(|c| c["collection"].as_str().unwrap()).collect();
    assert!(names.contains(&"articles") && names.contains(&"published_articles"));
    assert!(!names.contains(&"audit_log"));
    let settings = s.get("/collections/site_settings").data();
    assert_eq!(settings["meta"]["singleton"], true);
    let f = s.get("/fields/articles/title").data();
    assert_eq!(f["type"], "string");
    assert_eq!(f["schema"]["max_length"], 255);
    assert_eq!(f["schema"]["is_nullable"], false);
    let f = s.get("/fields/articles/author").data();
    assert_eq!(f["schema"]["foreign_key_table"], "authors");
    let tags = s.get("/fields/articles/tags").data();
    assert_eq!((tags["type"].as_str(), tags["schema"].is_null()), (Some("alias"), true));
    let types: Vec<String> = s
        .get("/fields/articles")
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "integer",
        "bigInteger",
        "float",
        "decimal",
        "string",
        "text",
        "boolean",
        "dateTime",
        "time",
        "timestamp",
        "json",
        "uuid",
        "csv",
        "alias",
    ] {
        assert!(types.iter().any(|x| x == t), "articles has a {t} field: {types:?}");
    }
    let rels = s.get("/relations/articles_tags").data();
    assert_eq!(rels.as_array().unwrap().len(), 2);
    let r = s.get("/relations/articles/author").data();
    assert_eq!(
        (r["related_collection"].as_str(), r["meta"]["one_field"].as_str()),
        (Some("authors"), Some("articles"))
    );
    assert_eq!(s.get("/fields/nope").code(), "FORBIDDEN");
}
