//! The SQL the compiler writes for SQLite, kept in `tests/golden/sqlite.sql`:
//! a guard for refactors that must not change it (the dialect seam of
//! docs/plans/dialects.md moves every SQLite construct behind a trait).
//! An intended change is recorded with `RECTUS_GOLDEN_UPDATE=1 cargo test
//! --test sql_golden`, and the diff is read like any other.

mod common;

use rectus::access::{AccessSnapshot, Caller};
use rectus::db::libsql::LibsqlDriver;
use rectus::db::{Driver, Statement, Value};
use rectus::native::cli::DataSet;
use rectus::query::parse_query_string;
use rectus::schema::introspect::snapshot;
use rectus::schema::SchemaSnapshot;
use rectus::sql::ReadCtx;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/sqlite.sql");

/// (collection, query string) pairs: every query-language form the
/// compiler has a branch for.
const QUERIES: &[(&str, &str)] = &[
    ("articles", ""),
    ("articles", "fields=*"),
    ("articles", "fields=id,title,author.name"),
    ("articles", "fields=*,author.*,tags.tags_id.name"),
    ("articles", "filter[status][_eq]=published&sort=-published_at&limit=20"),
    ("articles", "filter[title][_icontains]=rust&filter[title][_starts_with]=A&filter[title][_nends_with]=z"),
    ("articles", "filter[views][_between]=10,20&filter[id][_in]=1,2,3&filter[views][_nnull]=true"),
    ("articles", "filter[author][name][_eq]=x&filter[tags][tags_id][name][_eq]=t"),
    ("articles", "filter[_or][0][status][_eq]=draft&filter[_or][1][views][_gt]=100"),
    ("articles", "filter[published_at][_gte]=$NOW(-1 year)&filter[author][_null]=true"),
    ("articles", "search=rust&fields=id,title"),
    ("articles", "aggregate[count]=*&groupBy[]=status"),
    ("articles", "aggregate[avg]=views&aggregate[max]=published_at&groupBy[]=year(published_at)"),
    ("articles", "fields=id,year(published_at),month(published_at),count(tags)"),
    ("articles", "meta=*&limit=5&offset=10"),
    ("articles", "limit=-1&fields=id"),
    ("articles", "sort=author.name,-id&fields=id"),
    ("articles", "fields=id,tags.tags_id&deep[tags][_limit]=2&deep[tags][_sort]=-id"),
    ("articles", "fields=id,comments.body&deep[comments][_filter][body][_contains]=x"),
    ("authors", "fields=id,name,articles.title"),
    ("playlists", "fields=*,slides.*"),
    ("screens", ""),
    ("tags", "filter[name][_ieq]=Rust&filter[name][_nicontains]=go"),
];

#[test]
fn the_sqlite_text_is_as_recorded() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let written = rt.block_on(compile_all());
    if std::env::var("RECTUS_GOLDEN_UPDATE").is_ok() {
        std::fs::write(GOLDEN, &written).expect("write the golden file");
        return;
    }
    let recorded = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    if recorded != written {
        let first = recorded.lines().zip(written.lines()).position(|(a, b)| a != b);
        let line = first.map_or_else(|| recorded.lines().count().min(written.lines().count()), |i| i);
        panic!(
            "the compiled SQL changed (first difference at line {}):\n  recorded: {}\n  now:      {}\n\
             record an intended change with RECTUS_GOLDEN_UPDATE=1 cargo test --test sql_golden",
            line + 1,
            recorded.lines().nth(line).unwrap_or("<end>"),
            written.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// Every query, as an admin and as a role whose rules follow relations.
async fn compile_all() -> String {
    let path = common::fresh_path("sql-golden");
    rectus::native::demo::create(&path, DataSet::Cms, 20, &common::admin_args(), common::cheap_hash())
        .await
        .expect("demo database");
    let driver = LibsqlDriver::open(&path, &Default::default()).await.expect("open");
    let mut tx = driver.begin().await.expect("begin");
    for sql in RULES {
        tx.execute(&Statement::new(*sql)).await.expect("rule row");
    }
    tx.commit().await.expect("commit");
    let schema = snapshot(&driver).await.expect("schema");
    let access = AccessSnapshot::load(&driver, &schema).await.expect("access");
    let role = Caller::resolve(&access, Some("golden-user".into()), Some("golden-role".into()), None);
    let mut out = String::new();
    for (who, caller) in [("admin", Caller::admin()), ("role", role)] {
        for (collection, query) in QUERIES {
            out += &format!("-- {who} /items/{collection}?{query}\n");
            out += &compiled(&schema, &caller, collection, query);
        }
        out += &format!("-- {who} /items/articles/7?fields=*,author.name (item plan)\n");
        let item = ctx(&schema, &caller)
            .item(
                schema.collection("articles").unwrap(),
                &parse_query_string("fields=*,author.name").unwrap(),
                Value::Integer(7),
            )
            .map(|plan| plan.compiled.statement);
        out += &show(item.map_err(|e| e.message));
    }
    out
}

/// A role reading published articles whose author is not hidden, authors
/// but their own role's name, and tags.
const RULES: &[&str] = &[
    "INSERT INTO directus_roles (id, name) VALUES ('golden-role', 'Golden')",
    "INSERT INTO directus_policies (id, name) VALUES ('golden-policy', 'Golden')",
    "INSERT INTO directus_access (id, role, policy) VALUES ('golden-access', 'golden-role', 'golden-policy')",
    r#"INSERT INTO directus_permissions (collection, action, permissions, fields, policy) VALUES ('articles', 'read', '{"_and":[{"status":{"_eq":"published"}},{"author":{"name":{"_nstarts_with":"hidden"}}}]}', 'id,title,status,author,tags,published_at,views', 'golden-policy')"#,
    r#"INSERT INTO directus_permissions (collection, action, permissions, fields, policy) VALUES ('authors', 'read', '{"name":{"_neq":"$CURRENT_ROLE"}}', '*', 'golden-policy')"#,
    "INSERT INTO directus_permissions (collection, action, permissions, fields, policy) VALUES ('tags', 'read', NULL, '*', 'golden-policy')",
    "INSERT INTO directus_permissions (collection, action, permissions, fields, policy) VALUES ('articles_tags', 'read', NULL, '*', 'golden-policy')",
];

fn ctx<'a>(schema: &'a SchemaSnapshot, caller: &'a Caller) -> ReadCtx<'a> {
    ReadCtx {
        dialect: &rectus::sql::dialect::Sqlite,
        schema,
        grants: caller.grants.as_deref(),
        default_limit: 100,
        max_limit: None,
        max_relational_depth: 10,
        graphql_scalars: false,
    }
}

fn compiled(schema: &SchemaSnapshot, caller: &Caller, collection: &str, query: &str) -> String {
    let coll = schema.collection(collection).expect("collection");
    let statement = parse_query_string(query).and_then(|q| ctx(schema, caller).list(coll, &q)).map(|c| c.statement);
    show(statement.map_err(|e| e.message))
}

/// A statement as two lines (SQL, then parameters), or its error.
fn show(statement: Result<Statement, String>) -> String {
    match statement {
        Ok(s) => format!("{}\n-- params {:?}\n", s.sql, s.params),
        Err(message) => format!("-- error: {message}\n"),
    }
}
