//! The edge's shared tier: the runtime's Cache API, which the isolates of a
//! location share. scripts/edge-test serves the demo data on D1 with a
//! memory cache that keeps nothing (RECTUS_CACHE_MAX_MB=0), as for an
//! isolate that never answered a request before, and points
//! RECTUS_TEST_SHARED_URL at it; natively there is no shared tier.

mod common;

use common::{unique, Server, ADMIN_TOKEN};
use serde_json::json;

fn shared_worker() -> Option<Server> {
    let base = std::env::var("RECTUS_TEST_SHARED_URL").ok()?;
    let db_path = std::env::var("RECTUS_TEST_SHARED_DB").expect("RECTUS_TEST_SHARED_DB names its D1 file");
    Some(Server { base, db_path, token: Some(ADMIN_TOKEN.to_string()) })
}

fn status(r: &common::Reply) -> String {
    r.header("x-cache-status").unwrap_or_default()
}

/// Reads until `path` shows `title`, within a few version polls.
fn until_title(s: &Server, path: &str, title: &str) -> common::Reply {
    let started = std::time::Instant::now();
    loop {
        let r = s.get(path);
        if r.data()["title"] == title {
            return r;
        }
        assert!(started.elapsed().as_secs() < 5, "{path} still shows {}", r.text);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Reads `path` until the Cache API answers it: an entry is stored after
/// its response was sent, a moment later.
fn until_shared(s: &Server, path: &str) -> common::Reply {
    let started = std::time::Instant::now();
    loop {
        let r = s.get(path);
        if status(&r) == "HIT-SHARED" {
            return r;
        }
        assert!(started.elapsed().as_secs() < 5, "{path} never came from the Cache API: {}", status(&r));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_location_cache_answers_while_the_versions_say_nothing_changed() {
    let Some(s) = shared_worker() else { return };
    let article = s.post("/items/articles", json!({"title": unique("located")})).data();
    let path = format!("/items/articles/{}?fields=id,title,author.name", article["id"]);
    let first = s.get(&path);
    assert_eq!((first.status, status(&first).as_str()), (200, "MISS"), "{}", first.text);
    let hit = until_shared(&s, &path);
    assert_eq!((hit.text.as_str(), hit.header("etag")), (first.text.as_str(), first.header("etag")));
    assert_eq!(s.get_with(&path, &[("if-none-match", &first.header("etag").unwrap())]).status, 304);
    // Another caller never gets it.
    let anonymous = s.anonymous().get(&path);
    assert_ne!(status(&anonymous), "HIT-SHARED");

    // A write here: not served from before it, at once.
    let title = unique("written here");
    s.patch(&format!("/items/articles/{}", article["id"]), json!({"title": title})).data();
    let after = s.get(&path);
    assert_eq!((status(&after).as_str(), &after.data()["title"]), ("MISS", &json!(title)));

    // A write in another location (straight into D1, with the version bump
    // rectus makes): seen within CACHE_VERSION_POLL.
    let elsewhere = unique("written elsewhere");
    common::sql_column(&s.db_path, &format!("UPDATE articles SET title = '{elsewhere}' WHERE id = {}", article["id"]));
    common::sql_column(
        &s.db_path,
        "INSERT INTO rectus_data_versions (collection, version) VALUES ('articles', 1) ON CONFLICT (collection) DO UPDATE SET version = rectus_data_versions.version + 1",
    );
    until_title(&s, &path, &elsewhere);
    assert_eq!(until_shared(&s, &path).data()["title"], elsewhere.as_str());

    // The author's table too: the response read it.
    common::sql_column(
        &s.db_path,
        "INSERT INTO rectus_data_versions (collection, version) VALUES ('authors', 1) ON CONFLICT (collection) DO UPDATE SET version = rectus_data_versions.version + 1",
    );
    let started = std::time::Instant::now();
    while status(&s.get(&path)) == "HIT-SHARED" {
        assert!(started.elapsed().as_secs() < 5, "a version bump of a table it read ends it");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // A clear reaches the shared tier.
    until_shared(&s, &path);
    assert_eq!(s.post("/utils/cache/clear", json!({})).status, 200);
    assert_eq!(status(&s.get(&path)), "MISS");
}
