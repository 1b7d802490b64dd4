//! Reads on MariaDB answer as on SQLite: the demo database is copied into a
//! fresh MariaDB database (`rectus copy`) and every request of
//! `common::reads` is sent to a server on each; the answers must be the
//! same, but for what Directus itself returns differently on MySQL
//! (decimals as strings, docs/compatibility.md). The copy compares text
//! as SQLite does (utf8mb4_bin); what a case-insensitive collation changes,
//! and MariaDB's own types, are read from databases made by hand.

mod common;
use common::mariadb::{bootstrapped_database, copy_of, sql_column};
use common::{serve_file, Server};
use serde_json::json;
use std::sync::OnceLock;

/// (SQLite, MariaDB) servers over the same data.
fn pair() -> &'static (Server, Server) {
    static PAIR: OnceLock<(Server, Server)> = OnceLock::new();
    PAIR.get_or_init(|| {
        let path = common::reads::demo_db("maria-reads");
        let url = copy_of(&path, "reads", "utf8mb4_bin");
        (serve_file(&path, &[]), serve_file(&url, &[]))
    })
}

fn compare(path: &str, who: Option<&str>) {
    common::reads::compare(pair(), "MariaDB", path, who);
}

/// `rectus copy` leaves nothing out: a table without a primary key (served
/// by neither database) comes along with its rows.
#[test]
fn the_copy_holds_every_table() {
    let (sqlite, maria) = pair();
    let count = "SELECT count(*) FROM audit_log";
    assert_eq!(common::sql_column(&sqlite.db_path, count), sql_column(&maria.db_path, count));
    assert!(sql_column(&maria.db_path, count)[0].as_i64().unwrap() > 0);
}

#[test]
fn admin_reads_answer_as_on_sqlite() {
    for path in common::reads::ADMIN_READS {
        compare(path, Some(common::ADMIN_TOKEN));
    }
}

#[test]
fn public_reads_follow_the_same_permissions() {
    for path in common::reads::PUBLIC_READS {
        compare(path, None);
    }
}

#[test]
fn graphql_reads_answer_as_on_sqlite() {
    for query in common::reads::GRAPHQL_READS {
        common::reads::compare_graphql(pair(), "MariaDB", query);
    }
}

/// A database made on MariaDB, not copied: tinyint(1) booleans, unsigned
/// and big integers, decimal, json (longtext with a check), datetime(3),
/// timestamp, date, time, enum, a view and a foreign key; text in a
/// case-insensitive collation, as most MariaDB databases are.
#[test]
fn mariadb_types_read_as_directus_returns_them() {
    let url = bootstrapped_database("types", "utf8mb4_unicode_ci");
    for sql in [
        "CREATE TABLE makers (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL, code char(36) UNIQUE)",
        "CREATE TABLE parts (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, maker int unsigned, price decimal(8,3), weight double, stock bigint unsigned, active tinyint(1) NOT NULL DEFAULT 1, spec json, made_at timestamp(3) NULL, made_on date, shift time, size enum('S','M','L'), note varchar(20) DEFAULT 'none', FOREIGN KEY (maker) REFERENCES makers(id))",
        "CREATE VIEW cheap_parts AS SELECT id, price FROM parts WHERE price < 10",
        "INSERT INTO makers (name, code) VALUES ('Acme', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), ('Bolt', NULL)",
        "INSERT INTO parts (maker, price, weight, stock, spec, made_at, made_on, shift, size) VALUES (1, 9.5, 0.25, 18446744073709551615, '{\"b\": 1, \"a\": [true, null]}', '2024-03-04 03:06:07.089', '2024-03-04', '13:14:15', 'M'), (2, 12, 1e-3, 0, NULL, NULL, NULL, NULL, NULL)",
    ] {
        sql_column(&url, sql);
    }
    let s = serve_file(&url, &[]);
    let parts = s.get("/items/parts?sort=id").data();
    assert_eq!(
        parts,
        json!([
            {"id": 1, "maker": 1, "price": "9.500", "weight": 0.25, "stock": 18446744073709551615_u64, "active": true,
             "spec": {"b": 1, "a": [true, null]}, "made_at": "2024-03-04T03:06:07.089Z", "made_on": "2024-03-04",
             "shift": "13:14:15", "size": "M", "note": "none"},
            {"id": 2, "maker": 2, "price": "12.000", "weight": 0.001, "stock": 0, "active": true,
             "spec": null, "made_at": null, "made_on": null, "shift": null, "size": null, "note": "none"}
        ])
    );
    let nested = s.get("/items/makers?fields=name,code,parts.price&sort=id").data();
    assert_eq!(
        nested,
        json!([
            {"name": "Acme", "code": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "parts": [{"price": "9.500"}]},
            {"name": "Bolt", "code": null, "parts": [{"price": "12.000"}]}
        ])
    );
    assert_eq!(s.get("/items/cheap_parts").data(), json!([{"id": 1, "price": "9.500"}]));
    let filtered = s.get("/items/parts?filter[maker][_in]=1&filter[made_at][_gt]=2024-03-01&fields=id").data();
    assert_eq!(filtered, json!([{"id": 1}]));
    let by_uuid = s.get("/items/makers?filter[code][_in]=A0EEBC99-9c0b-4ef8-bb6d-6bb9bd380a11&fields=id").data();
    assert_eq!(by_uuid, json!([{"id": 1}]), "the collation ignores case in _in and _eq");
    // The collation decides _eq; the substring operators match case as on
    // every other database, and the _i… ones ignore it.
    let eq = s.get("/items/makers?filter[name][_eq]=ACME&fields=id").data();
    assert_eq!(eq, json!([{"id": 1}]));
    assert_eq!(s.get("/items/makers?filter[name][_contains]=CM&fields=id").data(), json!([]));
    assert_eq!(s.get("/items/makers?filter[name][_icontains]=CM&fields=id").data(), json!([{"id": 1}]));
    // The schema as Directus describes it: keys the database assigns, types.
    let fields = s.get("/fields/parts").data();
    let field = |name: &str| fields.as_array().unwrap().iter().find(|f| f["field"] == name).cloned().unwrap();
    assert_eq!(field("id")["type"], "bigInteger");
    assert_eq!(field("id")["schema"]["has_auto_increment"], true);
    assert_eq!(field("active")["type"], "boolean");
    assert_eq!(field("made_at")["type"], "timestamp");
    assert_eq!(field("spec")["type"], "json");
    assert_eq!(field("note")["schema"]["default_value"], "none");
    assert_eq!(field("maker")["schema"]["foreign_key_table"], "makers");
    // A write that does not fit its column changes nothing.
    let r = s.post("/items/parts", json!({"maker": 1, "made_on": "not a date"}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(sql_column(&url, "SELECT count(*) FROM parts"), [json!(2)]);
    // A table made behind the server's back is served within the schema poll.
    sql_column(&url, "CREATE TABLE late (id int AUTO_INCREMENT PRIMARY KEY, label text)");
    let started = std::time::Instant::now();
    while s.get("/items/late").status != 200 {
        assert!(started.elapsed().as_secs() < 15, "the new table was not served within 15 s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
