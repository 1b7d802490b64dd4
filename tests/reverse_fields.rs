//! A plain SQLite database with unindexed foreign keys (the music store):
//! default reads answer the columns, as Directus does; the reverse fields
//! derived from foreign keys are served when named; nested one-to-many reads
//! apply Directus's per-parent default limit; relational depth is bounded.

mod common;
use common::{ids, music, shared, sql_column, sql_ids};
use serde_json::{json, Value};

/// The column names of a table, in order (the oracle for `*`).
fn columns(db: &str, table: &str) -> Vec<String> {
    sql_column(db, &format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))
        .into_iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

#[test]
fn default_fields_are_the_columns() {
    let s = music();
    let cols = columns(&s.db_path, "track");
    let item = s.get("/items/track/7").data();
    assert_eq!(keys(&item), cols, "reverse fields are not part of *");
    let list = s.get("/items/track?limit=3").data();
    assert_eq!(list.as_array().unwrap().len(), 3);
    for row in list.as_array().unwrap() {
        assert_eq!(keys(row), cols);
    }
    // `*.*` expands the many-to-one columns only.
    let track = sql_ids(&s.db_path, "SELECT id FROM track WHERE album IS NOT NULL LIMIT 1")[0];
    let deep = s.get(&format!("/items/track/{track}?fields=*.*")).data();
    assert_eq!(keys(&deep), cols);
    assert_eq!(keys(&deep["album"]), columns(&s.db_path, "album"), "{deep}");
}

#[test]
fn reverse_fields_are_served_when_named() {
    let s = music();
    let db = &s.db_path;
    let track =
        sql_ids(db, "SELECT track FROM playlist_track WHERE track <> 1 GROUP BY track HAVING count(*) > 1 LIMIT 1")[0];
    let expected = sql_ids(db, &format!("SELECT id FROM playlist_track WHERE track = {track} ORDER BY id"));
    let d = s.get(&format!("/items/track/{track}?fields=playlist_track")).data();
    assert_eq!(d, json!({ "playlist_track": expected }));
    let d = s.get(&format!("/items/track/{track}?fields=*,playlist_track.*")).data();
    let entries = d["playlist_track"].as_array().expect("entries");
    assert_eq!(ids(&d["playlist_track"]), expected);
    assert_eq!(keys(&entries[0]), ["id", "playlist", "track"]);
    assert_eq!(entries[0]["track"], json!(track));
    assert_eq!(d["name"], sql_column(db, &format!("SELECT name FROM track WHERE id = {track}"))[0]);

    // Filters through a reverse field.
    let expected = sql_ids(
        db,
        "SELECT id FROM track t WHERE EXISTS (SELECT 1 FROM invoiceline l WHERE l.track = t.id AND l.quantity > 1) ORDER BY id LIMIT 100",
    );
    assert!(!expected.is_empty());
    let d = s.get("/items/track?fields=id&filter[invoiceline][_some][quantity][_gt]=1").data();
    assert_eq!(ids(&d), expected);
    let expected = sql_ids(db, "SELECT id FROM track t WHERE NOT EXISTS (SELECT 1 FROM invoiceline l WHERE l.track = t.id) ORDER BY id LIMIT 5");
    let d = s.get("/items/track?fields=id&filter[invoiceline][_none][id][_nnull]=true&limit=5").data();
    assert_eq!(ids(&d), expected);

    // deep: sort, limit and filter of the reverse field's items.
    let expected =
        sql_ids(db, &format!("SELECT id FROM playlist_track WHERE track = {track} ORDER BY id DESC LIMIT 1"));
    let d = s
        .get(&format!("/items/track/{track}?fields=id,playlist_track.id&deep[playlist_track][_sort]=-id&deep[playlist_track][_limit]=1"))
        .data();
    assert_eq!(ids(&d["playlist_track"]), expected);
}

#[test]
fn nested_one_to_many_keeps_directus_default_limit() {
    let s = music();
    let db = &s.db_path;
    // Track 1 sits on more playlists than the default limit (100).
    let all = sql_ids(db, "SELECT id FROM playlist_track WHERE track = 1 ORDER BY id");
    assert!(all.len() > 100, "fixture: track 1 has {} entries", all.len());
    let d = s.get("/items/track/1?fields=id,playlist_track").data();
    assert_eq!(d["playlist_track"], json!(all[..100]));
    let d = s.get("/items/track/1?fields=id,playlist_track.id").data();
    assert_eq!(ids(&d["playlist_track"]), all[..100]);
    let d = s.get("/items/track/1?fields=id,playlist_track&deep[playlist_track][_limit]=-1").data();
    assert_eq!(d["playlist_track"], json!(all));
    let d = s
        .get("/items/track/1?fields=playlist_track&deep[playlist_track][_limit]=3&deep[playlist_track][_offset]=2")
        .data();
    assert_eq!(d["playlist_track"], json!(all[2..5]));
    let d = s
        .get("/items/track/1?fields=playlist_track&deep[playlist_track][_limit]=3&deep[playlist_track][_page]=2")
        .data();
    assert_eq!(d["playlist_track"], json!(all[3..6]));
    // A list's limit does not change its items' nested limit.
    let d = s.get("/items/track?fields=id,playlist_track&filter[id][_eq]=1&limit=-1").data();
    assert_eq!(d[0]["playlist_track"], json!(all[..100]));
}

#[test]
fn metadata_alias_fields_stay_in_star() {
    // The demo data set has Directus metadata: its declared alias fields are
    // part of `*`, as in Directus.
    let d = shared().get("/items/articles/1").data();
    let k = keys(&d);
    assert!(k.contains(&"tags".to_string()) && k.contains(&"comments".to_string()), "{k:?}");
    assert!(d["tags"].is_array());
}

#[test]
fn relational_depth_is_limited_like_directus() {
    let s = shared();
    // articles.tags.articles_id.tags... walks a path of any length.
    let path = |segments: usize| -> String {
        let mut p: Vec<&str> = (0..segments - 1).map(|i| if i % 2 == 0 { "tags" } else { "articles_id" }).collect();
        p.push("id");
        p.join(".")
    };
    let denied = |q: &str| {
        let r = s.get(&format!("/items/articles?{q}"));
        assert_eq!((r.status, r.code().as_str()), (400, "INVALID_QUERY"), "{q}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["message"], "Invalid query. Max relational depth exceeded.", "{q}");
    };
    assert_eq!(s.get(&format!("/items/articles?fields={}&limit=1", path(10))).status, 200);
    denied(&format!("fields={}", path(11)));
    let filter = |segments: usize| {
        let keys: Vec<String> = path(segments).split('.').map(|k| format!("[{k}]")).collect();
        format!("filter{}[_nnull]=true&limit=1", keys.join(""))
    };
    assert_eq!(s.get(&format!("/items/articles?{}", filter(10))).status, 200);
    denied(&filter(11));
    // Sorting accepts many-to-one paths only, so its depth is checked first.
    denied(&format!("sort={}", "author.".repeat(10) + "id"));
    let deep = |segments: usize| {
        // segments - 1 relation keys, then the `_filter` on a field.
        let keys: Vec<String> = path(segments).split('.').take(segments - 1).map(|k| format!("[{k}]")).collect();
        format!("fields=id,tags.id&deep{}[_filter][id][_nnull]=true&limit=1", keys.join(""))
    };
    assert_eq!(s.get(&format!("/items/articles?{}", deep(10))).status, 200);
    denied(&deep(11));
    // The same holds for a point read and for writes' re-reads.
    let r = s.get(&format!("/items/articles/1?fields={}", path(11)));
    assert_eq!(r.code(), "INVALID_QUERY");
}
