//! HTTP caching seen by a client: ETags and `304 Not Modified` for polling
//! players, and compressed bodies for clients that accept them.

mod common;

use common::graphql::enc;
use common::{shared, unique};
use serde_json::json;
use std::io::Read;

#[test]
fn a_poller_gets_304_until_the_data_changes() {
    let s = shared();
    let title = unique("poll");
    let created = s.post("/items/articles", json!({"title": title, "status": "draft"})).data();
    let id = created["id"].clone();
    let path = format!("/items/articles?filter[title][_eq]={title}&fields=id,title,status");

    let first = s.get(&path);
    assert_eq!(first.status, 200, "{}", first.text);
    let tag = first.header("etag").expect("a successful GET carries an ETag");
    assert!(tag.starts_with("W/\""), "{tag}");

    let again = s.get_with(&path, &[("if-none-match", &tag)]);
    assert_eq!(again.status, 304, "{}", again.text);
    assert!(again.bytes.is_empty(), "a 304 has no body");
    assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
    // Any of a list, the strong form of the tag, and `*` match too.
    let strong = tag.trim_start_matches("W/");
    for sent in [format!("\"elsewhere\", {tag}"), strong.to_string(), "*".to_string()] {
        assert_eq!(s.get_with(&path, &[("if-none-match", &sent)]).status, 304, "{sent}");
    }
    assert_eq!(s.get_with(&path, &[("if-none-match", "\"elsewhere\"")]).status, 200);

    // An editor changes the item: the very next poll gets the new content.
    s.patch(&format!("/items/articles/{id}"), json!({"status": "published"})).data();
    let changed = s.get_with(&path, &[("if-none-match", &tag)]);
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.data()[0]["status"], "published");
    let new_tag = changed.header("etag").expect("ETag");
    assert_ne!(new_tag, tag);
    assert_eq!(s.get_with(&path, &[("if-none-match", &new_tag)]).status, 304);

    // GraphQL queries sent by GET are conditional too.
    let query = format!("/graphql?query={}", enc(&format!("{{ articles_by_id(id: {id}) {{ id status }} }}")));
    let gql = s.get(&query);
    assert_eq!(gql.status, 200, "{}", gql.text);
    let gql_tag = gql.header("etag").expect("ETag on a GraphQL GET");
    assert_eq!(s.get_with(&query, &[("if-none-match", &gql_tag)]).status, 304);
}

#[test]
fn errors_and_writes_carry_no_etag() {
    let s = shared();
    let missing = s.get_with("/items/articles/987654321", &[("if-none-match", "*")]);
    assert_eq!(missing.status, 403, "an error is never turned into a 304");
    assert!(missing.header("etag").is_none());
    let created = s.post("/items/articles", json!({"title": unique("no-etag")}));
    assert_eq!(created.status, 200, "{}", created.text);
    assert!(created.header("etag").is_none());
}

#[test]
fn bodies_are_compressed_when_the_client_accepts_it() {
    // The edge runtime compresses by itself, outside the worker.
    if std::env::var("RECTUS_TEST_URL").is_ok() {
        return;
    }
    let s = shared();
    let path = "/items/articles?limit=50&sort=id";
    let plain = s.get(path);
    assert_eq!(plain.status, 200);
    assert!(plain.header("content-encoding").is_none());

    let gzip = s.get_with(path, &[("accept-encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding").as_deref(), Some("gzip"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzip.bytes[..]).read_to_end(&mut unzipped).expect("gzip");
    assert_eq!(unzipped, plain.bytes);
    assert!(gzip.bytes.len() * 3 < plain.bytes.len(), "{} vs {}", gzip.bytes.len(), plain.bytes.len());

    let brotli = s.get_with(path, &[("accept-encoding", "br")]);
    assert_eq!(brotli.header("content-encoding").as_deref(), Some("br"));
    let mut unbrotli = Vec::new();
    brotli::Decompressor::new(&brotli.bytes[..], 4096).read_to_end(&mut unbrotli).expect("brotli");
    assert_eq!(unbrotli, plain.bytes);

    // A 304 stays empty whatever the client accepts.
    let tag = plain.header("etag").expect("ETag");
    let not_modified = s.get_with(path, &[("accept-encoding", "gzip, br"), ("if-none-match", &tag)]);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.bytes.is_empty());
}
