//! HTTP caching seen by a client: ETags and `304 Not Modified` for polling
//! players, and compressed bodies for clients that accept them.

mod common;

use common::graphql::enc;
use common::{shared, unique};
use serde_json::json;
use std::io::Read;
use std::sync::{Mutex, MutexGuard};

/// The tests of this file run one at a time: on the edge they share one
/// server, and a write by one test between another's two reads would make
/// a correct cache look stale (or a hit look like a miss).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn a_poller_gets_304_until_the_data_changes() {
    let _serial = serial();
    let s = shared();
    let title = unique("poll");
    let created = s.post("/items/articles", json!({"title": title, "status": "draft"})).data();
    let id = created["id"].clone();
    let path = format!("/items/articles?filter[title][_eq]={title}&fields=id,title,status");

    let first = s.get(&path);
    assert_eq!(first.status, 200, "{}", first.text);
    let tag = first.header("etag").expect("a successful GET carries an ETag");
    assert!(tag.starts_with("W/\""), "{tag}");
    // The suites run with CACHE_STATUS_HEADER=X-Cache-Status.
    assert_eq!(first.header("x-cache-status").as_deref(), Some("MISS"));
    let hit = s.get(&path);
    assert_eq!(hit.header("x-cache-status").as_deref(), Some("HIT"), "answered from memory");
    assert_eq!((hit.text.as_str(), hit.header("etag")), (first.text.as_str(), Some(tag.clone())));

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
    assert_eq!(changed.header("x-cache-status").as_deref(), Some("MISS"), "a write empties the cache");
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
    let _serial = serial();
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
    let _serial = serial();
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

/// A change written behind rectus's back (another process on the file) is
/// seen within the file poll interval (1 s in the suites); `no-store` sees
/// it at once; an admin's clear and the TTL end cached entries.
#[test]
fn writes_behind_rectus_back_are_seen_within_the_poll_interval() {
    let _serial = serial();
    if std::env::var("RECTUS_TEST_URL").is_ok() {
        return; // writes behind the worker's back need the native file
    }
    let s = common::start("cache-behind", &["--demo", "--demo-articles", "20"]);
    let path = "/items/articles/1?fields=id,title";
    let status = |r: &common::Reply| r.header("x-cache-status").unwrap_or_default();
    let first = s.get(path);
    let hit = s.get(path);
    assert_eq!((status(&first).as_str(), status(&hit).as_str()), ("MISS", "HIT"));
    assert_eq!(hit.text, first.text);

    common::sql_column(&s.db_path, "UPDATE articles SET title = 'written behind' WHERE id = 1");
    let skipped = s.get_with(path, &[("cache-control", "no-store")]);
    assert_eq!(skipped.data()["title"], "written behind", "no-store reads the database");
    let started = std::time::Instant::now();
    while s.get(path).data()["title"] != "written behind" {
        assert!(started.elapsed().as_secs() < 5, "a write to the file must be seen within a few poll intervals");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    assert_eq!(status(&s.get(path)), "HIT");
    let refused = s.anonymous().post("/utils/cache/clear", json!({}));
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(status(&s.get(path)), "HIT");
    let cleared = s.post("/utils/cache/clear", json!({}));
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(status(&s.get(path)), "MISS");

    // The TTL ends an entry nothing else has ended.
    let s = common::start("cache-ttl", &["--demo", "--demo-articles", "20", "--cache-ttl", "300"]);
    assert_eq!(status(&s.get(path)), "MISS");
    assert_eq!(status(&s.get(path)), "HIT");
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(status(&s.get(path)), "MISS");
}

fn cache_status(r: &common::Reply) -> String {
    r.header("x-cache-status").unwrap_or_default()
}

/// A write ends the cached responses that read what it wrote (nested
/// relations and rows the database deletes by itself included) and leaves
/// the others.
#[test]
fn a_write_ends_only_the_responses_over_what_it_wrote() {
    let _serial = serial();
    let s = shared();
    let tag = s.post("/items/tags", json!({"name": unique("kept")})).data();
    let author = unique("author");
    let article = s
        .post(
            "/items/articles",
            json!({"title": unique("cached"), "author": {"name": author}, "tags": [{"tags_id": tag["id"]}]}),
        )
        .data();
    let (id, author_id) = (article["id"].clone(), article["author"].clone());
    let tags = format!("/items/tags?filter[id][_eq]={}&fields=id,name", tag["id"]);
    let nested = format!("/items/articles/{id}?fields=id,title,author.name");
    let links = format!("/items/articles_tags?filter[articles_id][_eq]={id}&fields=tags_id");
    for path in [&tags, &nested, &links] {
        assert_eq!(cache_status(&s.get(path)), "MISS", "{path}");
        assert_eq!(cache_status(&s.get(path)), "HIT", "{path}");
    }

    // The author changes: the article showing their name is read again.
    s.patch(&format!("/items/authors/{author_id}"), json!({"name": "renamed"})).data();
    let read = s.get(&nested);
    assert_eq!((cache_status(&read).as_str(), &read.data()["author"]["name"]), ("MISS", &json!("renamed")));
    assert_eq!(cache_status(&s.get(&tags)), "HIT", "tags were not written");
    assert_eq!(cache_status(&s.get(&links)), "HIT", "nor were the links");

    // Deleting the article deletes its links (ON DELETE CASCADE) in the
    // database, not through rectus: they are stale too.
    assert_eq!(s.delete(&format!("/items/articles/{id}"), None).status, 204);
    let links_now = s.get(&links);
    assert_eq!((cache_status(&links_now).as_str(), links_now.data()), ("MISS", json!([])));
    assert_eq!(cache_status(&s.get(&tags)), "HIT");
}

/// Another rectus instance on the same database (on the edge: another
/// isolate or location, here its write made straight in the D1 file with
/// the version bump it does) writes: its change is seen within
/// CACHE_VERSION_POLL (250 ms in the suites), and only over what it wrote.
#[test]
fn writes_through_another_instance_are_seen_within_the_version_poll() {
    let _serial = serial();
    let edge = std::env::var("RECTUS_TEST_URL").is_ok();
    // Natively the file watch (--schema-poll-seconds) is made too slow to
    // see it: only the versions can.
    let s = if edge {
        shared().clone()
    } else {
        common::start(
            "cache-instances",
            &["--demo", "--demo-articles", "20", "--schema-poll-seconds", "3600", "--cache-version-poll", "250ms"],
        )
    };
    let article = s.post("/items/articles", json!({"title": unique("instance")})).data();
    let path = format!("/items/articles/{}?fields=id,title", article["id"]);
    let other = "/items/tags?fields=id,name&sort=id&limit=3&filter[name][_nnull]=true&meta=filter_count".to_string();
    for p in [&path, &other] {
        s.get(p);
        assert_eq!(cache_status(&s.get(p)), "HIT", "{p}");
    }

    let title = unique("written elsewhere");
    if edge {
        common::sql_column(&s.db_path, &format!("UPDATE articles SET title = '{title}' WHERE id = {}", article["id"]));
        let bump = match s.db_path.starts_with("mysql://") {
            true => "INSERT INTO rectus_data_versions (collection, version) VALUES ('articles', 1) ON DUPLICATE KEY UPDATE version = rectus_data_versions.version + 1",
            false => "INSERT INTO rectus_data_versions (collection, version) VALUES ('articles', 1) ON CONFLICT (collection) DO UPDATE SET version = rectus_data_versions.version + 1",
        };
        common::sql_column(&s.db_path, bump);
    } else {
        let b = common::serve_file(&s.db_path, &[]);
        b.patch(&format!("/items/articles/{}", article["id"]), json!({"title": title})).data();
    }
    let written = std::time::Instant::now();
    while s.get(&path).data()["title"] != title.as_str() {
        assert!(written.elapsed().as_millis() < 3000, "a write elsewhere must be seen within a few version polls");
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    eprintln!("written elsewhere, seen after {} ms", written.elapsed().as_millis());
    assert_eq!(cache_status(&s.get(&other)), "HIT", "tags were not written");
}

/// Reads and writes interleaved at random by an admin, a restricted user and
/// an anonymous visitor (nested writes, batch writes, GraphQL mutations): a
/// cached answer always equals the same read made past the cache.
#[test]
fn cached_reads_equal_fresh_reads_under_random_writes() {
    let _serial = serial();
    let s = common::own_demo("cache-differential", "40");
    let callers = [s.clone(), common::graphql::reader(&s).clone(), relational_reader(&s), s.anonymous()];
    let marker = unique("diff");
    let reads = [
        "/items/articles?fields=id,title,status,views,author.name&sort=id&limit=30".to_string(),
        format!("/items/articles?filter[title][_starts_with]={marker}&fields=id,title,status,views,tags.tags_id.name"),
        "/items/articles/3?fields=id,title,status,views".to_string(),
        "/items/authors?fields=id,name,articles.title&sort=id&limit=10".to_string(),
        format!(
            "/graphql?query={}",
            enc("{ articles(sort: [\"-id\"], limit: 5) { id title status author { name } } }")
        ),
        "/items/articles?aggregate[count]=*&groupBy[]=status".to_string(),
        "/items/articles?fields=id,title&sort=id&limit=40".to_string(),
    ];
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut created: Vec<i64> = Vec::new();
    for step in 0..60 {
        let title = format!("{marker}-{step}");
        match next(8) {
            0 => {
                let body = json!({"title": title, "status": "published", "views": next(500), "author": {"name": unique("writer")}});
                created.push(s.post("/items/articles", body).data()["id"].as_i64().unwrap());
            }
            1 => {
                s.patch(&format!("/items/articles/{}", 1 + next(10)), json!({"title": title, "views": next(500)}))
                    .data();
            }
            2 if !created.is_empty() => {
                let id = created.swap_remove(next(created.len() as u64) as usize);
                assert_eq!(s.delete(&format!("/items/articles/{id}"), None).status, 204);
            }
            3 => {
                let keys: Vec<u64> = (0..3).map(|_| 1 + next(40)).collect();
                let status = if next(2) == 0 { "draft" } else { "published" };
                s.patch("/items/articles", json!({"keys": keys, "data": {"status": status}})).data();
            }
            4 => {
                let m = format!("mutation {{ create_articles_item(data: {{title: \"{title}\", status: \"draft\", views: 300}}) {{ id }} }}");
                let id = common::graphql::gql_data(&s, &m, json!({}))["create_articles_item"]["id"].clone();
                created.push(id.as_str().and_then(|t| t.parse().ok()).unwrap());
            }
            5 => {
                s.patch("/items/authors/1", json!({"name": title})).data();
            }
            6 => {
                // What the relational reader may see follows the author's name.
                let name = if next(2) == 0 { format!("hidden-{title}") } else { title.clone() };
                s.patch(&format!("/items/authors/{}", 1 + next(5)), json!({"name": name})).data();
            }
            _ => {}
        }
        for c in &callers {
            for path in &reads {
                let cached = c.get(path);
                let fresh = c.get_with(path, &[("cache-control", "no-store")]);
                assert_eq!((cached.status, &cached.text), (fresh.status, &fresh.text), "step {step}: {path}");
            }
        }
    }
}

/// A user who reads the articles whose author's name does not start with
/// "hidden": a rule that follows a relation into another table.
fn relational_reader(s: &common::Server) -> common::Server {
    let role = s.post("/roles", json!({"name": unique("relational reader")})).data();
    let policy =
        s.post("/policies", json!({"name": unique("relational readers"), "roles": [{"role": role["id"]}]})).data();
    s.post(
        "/permissions",
        json!({"policy": policy["id"], "collection": "articles", "action": "read", "fields": ["id", "title", "status"],
               "permissions": {"author": {"name": {"_nstarts_with": "hidden"}}}}),
    )
    .data();
    let email = format!("{}@example.com", unique("relational"));
    s.post("/users", json!({"email": email, "password": "Relational-123", "role": role["id"]})).data();
    let login = s.anonymous().post("/auth/login", json!({"email": email, "password": "Relational-123"})).data();
    s.as_token(login["access_token"].as_str().unwrap())
}

/// On D1 every answer carries its session's bookmark; a client that sends
/// it back reads at least what it wrote (from a replica that has it), and
/// past the cache, which may not have seen it yet.
#[test]
fn d1_bookmarks_go_back_and_forth() {
    let _serial = serial();
    if std::env::var("RECTUS_TEST_BACKEND").as_deref() != Ok("d1") {
        return;
    }
    let s = shared();
    let created = s.post("/items/articles", json!({"title": unique("bookmark")}));
    assert_eq!(created.status, 200, "{}", created.text);
    let bookmark = created.header("x-d1-bookmark").expect("a write answers with its session's bookmark");
    let path = format!("/items/articles/{}?fields=title", created.data()["id"]);
    s.get(&path);
    let read = s.get_with(&path, &[("x-d1-bookmark", &bookmark)]);
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.data()["title"], created.data()["title"]);
    assert_eq!(cache_status(&read), "MISS", "a read from a bookmark skips the cache");
    assert!(read.header("x-d1-bookmark").is_some(), "reads answer with a bookmark too");

    let bad = s.get_with(&path, &[("x-d1-bookmark", "not a bookmark")]);
    assert_eq!((bad.status, bad.code().as_str()), (400, "INVALID_QUERY"), "{}", bad.text);
}
