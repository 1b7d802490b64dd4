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

#[test]
fn mirrors_a_plain_sqlite_file_without_changing_it() {
    let path = make_db("plain");
    let before = sql_column(&path, "SELECT group_concat(name || ':' || sql, ';') FROM sqlite_master");
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
    let after = sql_column(&path, "SELECT group_concat(name || ':' || sql, ';') FROM sqlite_master");
    assert_eq!(before, after, "no tables, columns or indexes were added");
}
