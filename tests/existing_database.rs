//! Serving a user's own SQLite file (no Directus metadata): the schema is
//! mirrored as it is and nothing is added to the database.

mod common;
use common::{serve_file, sql_column};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined DATE);
CREATE TABLE pets (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, owner INTEGER REFERENCES owners(id), vet INTEGER REFERENCES owners(id), vaccinated BOOLEAN DEFAULT 0, notes JSON);
CREATE TABLE visits (code TEXT PRIMARY KEY, pet INTEGER NOT NULL REFERENCES pets(id), at DATETIME);
CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
INSERT INTO owners VALUES (1, 'Ann', '2020-01-02'), (2, 'Bob', '2021-05-06');
INSERT INTO pets VALUES (1, 'Rex', 1, 2, 1, '{\"chip\": true}'), (2, 'Tom', 1, NULL, 0, NULL), (3, 'Kit', 2, 1, 1, NULL);
INSERT INTO visits VALUES ('v1', 1, '2024-01-01 10:00:00'), ('v2', 1, '2024-02-01 10:00:00');
";

fn make_db(tag: &str) -> String {
    let path = common::fresh_path(tag);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let db = libsql::Builder::new_local(&path).build().await.unwrap();
        db.connect().unwrap().execute_batch(SCHEMA).await.unwrap();
    });
    path
}

/// Creates the system tables and the test admin in the file at `path`.
fn bootstrap(path: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let driver = rectus::db::libsql::LibsqlDriver::open(path, &Default::default()).await.unwrap();
        let seed = rectus::bootstrap::AdminSeed {
            email: common::ADMIN_EMAIL.into(),
            password: Some(common::ADMIN_PASSWORD.into()),
            token: Some(common::ADMIN_TOKEN.into()),
        };
        rectus::bootstrap::bootstrap(&driver, &rectus::native::host::SystemHost, &seed, common::cheap_hash())
            .await
            .unwrap();
    });
}

/// User tables: every table but Directus's and rectus's own.
const USER_TABLES: &str =
    "SELECT group_concat(name || ':' || sql, ';') FROM sqlite_master WHERE name NOT LIKE 'directus\\_%' ESCAPE '\\' AND name NOT LIKE 'rectus\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

#[test]
fn serves_nothing_until_bootstrapped() {
    let path = make_db("unbootstrapped");
    let s = serve_file(&path, &[]);
    for r in [s.get("/items/owners"), s.anonymous().get("/items/owners"), s.get("/collections")] {
        assert_eq!((r.status, r.code().as_str()), (503, "SERVICE_UNAVAILABLE"), "{}", r.text);
        assert!(r.json()["errors"][0]["message"].as_str().unwrap().contains("rectus bootstrap"), "{}", r.text);
    }
    let health = s.get("/server/health");
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "error");
    assert!(health.text.contains("rectus bootstrap"), "{}", health.text);
    assert_eq!(s.get("/server/ping").status, 200);
    // Once bootstrapped (behind the server's back), it serves: admins everything,
    // anonymous callers nothing (the public policy has no permission yet).
    bootstrap(&path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.get("/items/owners").status != 200 {
        assert!(std::time::Instant::now() < deadline, "not served after bootstrap: {}", s.get("/items/owners").text);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(s.get("/server/health").json()["status"], "ok");
    let r = s.anonymous().get("/items/owners");
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{}", r.text);
}

#[test]
fn mirrors_a_plain_sqlite_file_without_changing_it() {
    let path = make_db("plain");
    let before = sql_column(&path, USER_TABLES);
    bootstrap(&path);
    let s = serve_file(&path, &[]);
    // m2o both ways; two FKs to the same table name their reverse fields {table}_{column}.
    let d = s.get("/items/owners/1?fields=name,pets_owner.name,pets_vet.name").data();
    assert_eq!(
        d,
        json!({"name": "Ann", "pets_owner": [{"name": "Rex"}, {"name": "Tom"}], "pets_vet": [{"name": "Kit"}]})
    );
    let d = s.get("/items/pets?fields=name,owner.name,visits.code&filter[vaccinated][_eq]=true").data();
    assert_eq!(
        d,
        json!([{"name": "Rex", "owner": {"name": "Ann"}, "visits": [{"code": "v1"}, {"code": "v2"}]}, {"name": "Kit", "owner": {"name": "Bob"}, "visits": []}])
    );
    let d = s.get("/items/pets/1?fields=notes,vaccinated").data();
    assert_eq!(d, json!({"notes": {"chip": true}, "vaccinated": true}));
    assert_eq!(s.get("/items/visits/v2?fields=pet.owner.name").data(), json!({"pet": {"owner": {"name": "Ann"}}}));
    // Composite primary keys are not served, as in Directus.
    assert_eq!(s.get("/items/pairs").code(), "FORBIDDEN");
    // Writes work too, and nothing was added to the schema.
    let created = s.post("/items/visits", json!({"code": "v3", "pet": 3, "at": "2024-03-01 09:00:00"})).data();
    assert_eq!(created["code"], "v3");
    let after = sql_column(&path, USER_TABLES);
    assert_eq!(before, after, "no tables, columns or indexes were added to the user's own");
}
