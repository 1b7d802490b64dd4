//! Reads on Postgres answer as on SQLite: the demo database is copied into a
//! fresh Postgres schema (`rectus copy`) and every request below is sent to
//! a server on each; the answers must be the same, but for what Directus
//! itself returns differently on Postgres (big integers and decimals as
//! strings, docs/compatibility.md). Then Postgres's own types, read from a
//! schema made by hand.

mod common;
use common::postgres::{bootstrapped_schema, copy_of, fresh_schema, sql_column};
use common::{serve_file, Server, ARTICLES};
use rectus::native::cli::{Cli, Command};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// (SQLite, Postgres) servers over the same data.
fn pair() -> &'static (Server, Server) {
    static PAIR: OnceLock<(Server, Server)> = OnceLock::new();
    PAIR.get_or_init(|| {
        let path = common::fresh_path("pg-reads");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            rectus::native::demo::create(
                &path,
                rectus::native::cli::DataSet::Cms,
                ARTICLES,
                &common::admin_args(),
                common::cheap_hash(),
            )
            .await
            .expect("demo database");
        });
        let url = copy_of(&path, "reads");
        (serve_file(&path, &[]), serve_file(&url, &[]))
    })
}

/// Equal, where a number on SQLite may be the same number as a string on
/// Postgres (bigint, decimal) and computed numbers (averages) may differ in
/// their last digits.
fn same(sqlite: &Value, postgres: &Value) -> bool {
    match (sqlite, postgres) {
        (Value::Number(a), Value::String(b)) => b.parse::<f64>().is_ok_and(|b| close(a.as_f64(), b)),
        (Value::Number(a), Value::Number(b)) => close(a.as_f64(), b.as_f64().unwrap_or(f64::NAN)),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.keys().eq(b.keys()) && a.iter().zip(b.values()).all(|((_, x), y)| same(x, y))
        }
        (a, b) => a == b,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()))
}

/// Asks both servers (as `who`) and compares status and body.
fn compare(path: &str, who: Option<&str>) {
    let (sqlite, postgres) = pair();
    let ask = |s: &Server| match who {
        Some(token) => s.as_token(token).get(path),
        None => s.anonymous().get(path),
    };
    let (a, b) = (ask(sqlite), ask(postgres));
    assert_eq!(a.status, b.status, "{path}: SQLite {} / Postgres {}: {}", a.status, b.status, b.text);
    assert!(same(&a.json(), &b.json()), "{path}:\n  SQLite   {}\n  Postgres {}", a.text, b.text);
}

const ADMIN_READS: &[&str] = &[
    "/items/articles",
    "/items/articles/7",
    "/items/articles?fields=*,author.*,category.name,tags.tags_id.name,comments.*&limit=5",
    "/items/authors?fields=id,name,articles.id,articles.title&sort=name&limit=10",
    "/items/articles?filter[status][_eq]=published&sort=-views,id&limit=15&fields=id,views",
    "/items/articles?filter[views][_gt]=50&filter[views][_lte]=90&sort=id&fields=id,views",
    "/items/articles?filter[id][_in]=3,5,8,13&fields=id,title",
    "/items/articles?filter[id][_nin]=1,2,3&limit=5&fields=id",
    "/items/articles?filter[views][_between]=10,20&fields=id,views",
    "/items/articles?filter[category][_null]=true&fields=id",
    "/items/articles?filter[category][_nnull]=true&limit=5&fields=id,category",
    "/items/articles?filter[title][_contains]=caching&fields=id,title",
    "/items/articles?filter[title][_icontains]=DATA&limit=10&fields=id",
    "/items/articles?filter[title][_ncontains]=a&fields=id",
    "/items/articles?filter[title][_starts_with]=scale&fields=id",
    "/items/articles?filter[title][_istarts_with]=SCALE&fields=id",
    "/items/articles?filter[slug][_ends_with]=-7&fields=id,slug",
    "/items/articles?filter[slug][_iends_with]=-7&fields=id",
    "/items/articles?filter[body][_empty]=true&fields=id",
    "/items/articles?filter[internal_notes][_nempty]=true&limit=3&fields=id",
    "/items/articles?filter[featured][_eq]=true&limit=10&fields=id,featured",
    "/items/articles?filter[uuid][_eq]=0470185c-7a62-4dbf-a657-7ab6edcbd102&fields=id,uuid",
    "/items/articles?filter[_or][0][views][_lt]=5&filter[_or][1][views][_gt]=95&fields=id,views",
    "/items/articles?filter[author][name][_starts_with]=J&fields=id,author.name&limit=10",
    "/items/authors?filter[articles][_some][views][_gt]=98&fields=id",
    "/items/authors?filter[articles][_none][status][_eq]=draft&fields=id",
    "/items/articles?filter[published_at][_gte]=2025-01-01&filter[published_at][_lt]=2025-03-01&fields=id,published_at",
    "/items/articles?filter[published_at][_lt]=$NOW&limit=3&fields=id",
    "/items/articles?filter[year(published_at)][_eq]=2025&filter[month(published_at)][_lte]=2&fields=id",
    "/items/articles?fields=id,year(published_at),month(published_at),day(published_at),weekday(published_at),hour(published_at),minute(published_at),week(published_at)&limit=20",
    "/items/articles?fields=id,count(tags),count(comments)&limit=10",
    "/items/articles?search=caching&fields=id&limit=20",
    "/items/articles?search=42&fields=id",
    "/items/articles?sort=title,-id&limit=10&offset=20&fields=id,title",
    "/items/articles?limit=5&page=3&fields=id",
    "/items/articles?limit=-1&fields=id",
    "/items/articles?meta=*&limit=1&filter[status][_eq]=draft&fields=id",
    "/items/articles?aggregate[count]=*&groupBy[]=status",
    // NULLs sort last on Postgres (first on SQLite) and min/max of a date
    // keep each database's text of it: docs/compatibility.md.
    "/items/articles?aggregate[sum]=views&aggregate[avg]=rating&aggregate[min]=views&aggregate[max]=views&groupBy[]=author&filter[author][_nnull]=true&sort=author&limit=5",
    "/items/articles?aggregate[countDistinct]=author",
    "/items/articles?aggregate[count]=id&groupBy[]=year(published_at)&filter[published_at][_nnull]=true&sort=year(published_at)",
    "/items/articles?deep[comments][_limit]=1&deep[comments][_sort]=-id&fields=id,comments.id&limit=5",
    "/items/articles?alias[writer]=author&fields=id,writer.name&limit=3",
    "/items/playlists?fields=*,slides.*&limit=2",
    "/items/screens",
    "/items/site_settings",
    "/items/countries?sort=-code",
    "/items/published_articles?limit=5",
    "/items/articles?filter[nope][_eq]=1",
    "/items/articles?filter[views][_eq]=abc",
];

/// `rectus copy` leaves nothing out: a table without a primary key (served
/// by neither database) comes along with its rows.
#[test]
fn the_copy_holds_every_table() {
    let (sqlite, postgres) = pair();
    let count = "SELECT count(*) FROM audit_log";
    assert_eq!(common::sql_column(&sqlite.db_path, count), sql_column(&postgres.db_path, count));
    assert!(sql_column(&postgres.db_path, count)[0].as_i64().unwrap() > 0);
}

#[test]
fn admin_reads_answer_as_on_sqlite() {
    for path in ADMIN_READS {
        compare(path, Some(common::ADMIN_TOKEN));
    }
}

#[test]
fn public_reads_follow_the_same_permissions() {
    for path in [
        "/items/articles?fields=id,status&limit=50",
        "/items/articles?filter[status][_eq]=draft",
        "/items/comments?fields=id,article&limit=30",
        "/items/authors?limit=5",
        "/items/authors?fields=email",
        "/items/articles?aggregate[count]=*",
    ] {
        compare(path, None);
    }
}

#[test]
fn graphql_reads_answer_as_on_sqlite() {
    let (sqlite, postgres) = pair();
    for query in [
        "{ articles(limit: 5, sort: [\"-id\"]) { id title views author { id name } tags { tags_id { name } } } }",
        "{ articles_by_id(id: 3) { id title published_at updated_at featured metadata } }",
        "{ articles_aggregated(groupBy: [\"status\"]) { group count { id } } }",
        "{ authors(filter: { name: { _starts_with: \"A\" } }) { id name articles(limit: 2) { id } } }",
    ] {
        let body = json!({ "query": query });
        let (a, b) = (sqlite.post("/graphql", body.clone()), postgres.post("/graphql", body));
        assert_eq!(a.status, b.status, "{query}: {}", b.text);
        assert!(same(&a.json(), &b.json()), "{query}:\n  SQLite   {}\n  Postgres {}", a.text, b.text);
    }
}

/// A database made on Postgres, not copied: identity and serial keys, uuid,
/// jsonb, timestamptz, numeric and bigint, a boolean, a view, a foreign key.
#[test]
fn postgres_types_read_as_directus_returns_them() {
    let url = bootstrapped_schema("types");
    for sql in [
            "CREATE TABLE makers (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL, code uuid UNIQUE)",
            "CREATE TABLE parts (id bigserial PRIMARY KEY, maker integer REFERENCES makers(id), price numeric(8,3), weight double precision, stock bigint, active boolean NOT NULL DEFAULT true, spec jsonb, made_at timestamptz, made_on date, shift time, note varchar(20) DEFAULT 'none')",
            "CREATE VIEW cheap_parts AS SELECT id, price FROM parts WHERE price < 10",
            "INSERT INTO makers (name, code) VALUES ('Acme', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), ('Bolt', NULL)",
            "INSERT INTO parts (maker, price, weight, stock, spec, made_at, made_on, shift) VALUES (1, 9.5, 0.25, 9007199254740993, '{\"b\": 1, \"a\": [true, null]}', '2024-03-04 05:06:07.089+02', '2024-03-04', '13:14:15'), (2, 12, 1e-3, 0, NULL, NULL, NULL, NULL)",
    ] {
        sql_column(&url, sql);
    }
    let s = serve_file(&url, &[]);
    let parts = s.get("/items/parts?sort=id").data();
    assert_eq!(
        parts,
        json!([
            {"id": "1", "maker": 1, "price": "9.500", "weight": 0.25, "stock": "9007199254740993", "active": true,
             "spec": {"a": [true, null], "b": 1}, "made_at": "2024-03-04T03:06:07.089Z", "made_on": "2024-03-04",
             "shift": "13:14:15", "note": "none"},
            {"id": "2", "maker": 2, "price": "12.000", "weight": 0.001, "stock": "0", "active": true,
             "spec": null, "made_at": null, "made_on": null, "shift": null, "note": "none"}
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
    assert_eq!(s.get("/items/cheap_parts").data(), json!([{"id": "1", "price": "9.500"}]));
    let filtered = s.get("/items/parts?filter[maker][_in]=1&filter[made_at][_gt]=2024-03-01&fields=id").data();
    assert_eq!(filtered, json!([{"id": "1"}]));
    let by_uuid = s.get("/items/makers?filter[code][_in]=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11&fields=id").data();
    assert_eq!(by_uuid, json!([{"id": 1}]));
    // The schema as Directus describes it: keys the database assigns, types.
    let fields = s.get("/fields/parts").data();
    let field = |name: &str| fields.as_array().unwrap().iter().find(|f| f["field"] == name).cloned().unwrap();
    assert_eq!(field("id")["type"], "bigInteger");
    assert_eq!(field("id")["schema"]["has_auto_increment"], true);
    assert_eq!(field("made_at")["type"], "timestamp");
    assert_eq!(field("spec")["type"], "json");
    assert_eq!(field("note")["schema"]["default_value"], "none");
    assert_eq!(field("maker")["schema"]["foreign_key_table"], "makers");
    assert_eq!(s.get("/fields/makers").data()[0]["schema"]["has_auto_increment"], true);
    // A table made behind the server's back is served within the schema poll.
    sql_column(&url, "CREATE TABLE late (id serial PRIMARY KEY, label text)");
    let started = std::time::Instant::now();
    while s.get("/items/late").status != 200 {
        assert!(started.elapsed().as_secs() < 15, "the new table was not served within 15 s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// TLS as the URL's `sslmode` asks (libpq's meanings): `require` encrypts,
/// `verify-full` also checks the certificate and the host name against
/// `sslrootcert` (the local server's own self-signed certificate here).
#[test]
fn tls_as_the_url_asks() {
    let url = fresh_schema("tls");
    let cert = sql_column(&url, "SHOW ssl_cert_file")[0].as_str().unwrap().to_string();
    assert_eq!(sql_column(&url, "SHOW ssl")[0], json!("on"), "the local server has TLS on");
    let app = format!("rectus-tls-{}", std::process::id());
    let s = serve_file(&format!("{url}&sslmode=require&application_name={app}"), &[]);
    assert_eq!(s.get("/server/health").status, 503, "not bootstrapped, but reachable");
    let encrypted = sql_column(
        &url,
        &format!("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = '{app}'"),
    );
    assert_eq!(encrypted[0], json!(1));
    // The certificate names localhost: verified by that name, refused by 127.0.0.1.
    let verified = format!("sslmode=verify-full&sslrootcert={cert}");
    let by_name = url.replace("@127.0.0.1", "@localhost");
    assert_eq!(serve_file(&format!("{by_name}&{verified}"), &[]).get("/server/health").status, 503);
    let (Command::Serve(args), _) = (
        <Cli as clap::Parser>::parse_from(["rectus", "serve", "--db", &format!("{url}&{verified}"), "--port", "0"])
            .command,
        (),
    ) else {
        unreachable!()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let refused = rt.block_on(rectus::native::server::bind(args)).err().expect("a refused certificate stops the start");
    assert!(refused.to_string().contains("certificate was refused"), "{refused}");
}
