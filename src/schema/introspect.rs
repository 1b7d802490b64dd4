//! Introspection queries per dialect. The driver runs them; `build` turns the
//! rows into a snapshot. Every dialect's queries return the same columns.

use crate::db::{DbResult, Dialect, Driver, Statement};
use crate::schema::build::RawSchema;

/// One dialect's introspection: columns, foreign keys, unique indexes and
/// a text that changes iff the schema does.
pub(super) struct Queries {
    pub(super) columns: &'static str,
    pub(super) foreign_keys: &'static str,
    pub(super) unique: &'static str,
    pub(super) fingerprint: &'static str,
}

fn queries(dialect: Dialect) -> &'static Queries {
    match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &super::introspect_postgres::POSTGRES,
        Dialect::MariaDb => &super::introspect_mariadb::MARIADB,
    }
}

/// The tables of the database's user (the `m` of `sqlite_master m`): not
/// SQLite's, libSQL's or the runtime's (`_cf_*` on D1 answer pragmas with
/// SQLITE_AUTH; `__*` are local emulation's).
macro_rules! user_tables {
    () => {
        r#"m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND m.name NOT LIKE '\_cf\_%' ESCAPE '\' AND m.name NOT LIKE 'libsql\_%' ESCAPE '\' AND m.name NOT LIKE '\_\_%' ESCAPE '\'"#
    };
}

/// Columns of every table and view (SQLite), one row per column.
const SQLITE_COLUMNS: &str = concat!(
    r#"SELECT m.name AS tbl, m.type AS kind, p.cid AS cid, p.name AS col, p.type AS decl, p."notnull" AS not_null, p.dflt_value AS dflt, p.pk AS pk, p.hidden AS hidden, m.sql AS ddl
FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p
WHERE m.type IN ('table', 'view') AND "#,
    user_tables!(),
    " ORDER BY m.name, p.cid"
);

/// Foreign keys of every table (SQLite), one row per column pair.
const SQLITE_FOREIGN_KEYS: &str = concat!(
    r#"SELECT m.name AS tbl, f.id AS id, f.seq AS seq, f."table" AS ref_table, f."from" AS col, f."to" AS ref_col, f.on_update AS on_update, f.on_delete AS on_delete
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND "#,
    user_tables!(),
    " ORDER BY m.name, f.id, f.seq"
);

/// Columns of unique indexes (SQLite); single-column ones make a field unique.
const SQLITE_UNIQUE: &str = concat!(
    r#"SELECT m.name AS tbl, il.name AS idx, ii.name AS col
FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
WHERE m.type = 'table' AND il."unique" = 1 AND "#,
    user_tables!(),
    " ORDER BY m.name, il.name"
);

const SQLITE: Queries = Queries {
    columns: SQLITE_COLUMNS,
    foreign_keys: SQLITE_FOREIGN_KEYS,
    unique: SQLITE_UNIQUE,
    fingerprint: FINGERPRINT_SQL,
};

/// Reads the raw schema of the database behind `driver`.
pub async fn introspect(driver: &dyn Driver) -> DbResult<RawSchema> {
    let q = queries(driver.dialect());
    let columns = driver.query(&Statement::new(q.columns)).await?;
    let foreign_keys = driver.query(&Statement::new(q.foreign_keys)).await?;
    let unique = driver.query(&Statement::new(q.unique)).await?;
    let tables: std::collections::HashSet<String> =
        columns.rows.iter().filter_map(|r| r.first().and_then(|v| v.as_str()).map(str::to_string)).collect();
    let has_table = |name: &str| tables.contains(name);
    let mut raw = RawSchema { columns, foreign_keys, unique, ..RawSchema::default() };
    // Directus's metadata tables exist only in databases Directus made.
    for (table, slot) in [
        ("directus_collections", &mut raw.directus_collections),
        ("directus_fields", &mut raw.directus_fields),
        ("directus_relations", &mut raw.directus_relations),
    ] {
        if has_table(table) {
            *slot = Some(driver.query(&Statement::new(format!("SELECT * FROM \"{table}\""))).await?);
        }
    }
    Ok(raw)
}

/// Introspects and builds the snapshot in one go.
pub async fn snapshot(driver: &dyn Driver) -> DbResult<crate::schema::SchemaSnapshot> {
    Ok(crate::schema::build_snapshot(&introspect(driver).await?))
}

/// The schema's DDL, which changes iff the schema does (tables of SQLite,
/// libSQL, D1, Cloudflare and local emulation (`__miniflare_do_name`) left
/// out, as in introspection).
const FINGERPRINT_SQL: &str = concat!(
    r#"SELECT group_concat(type || ':' || name || ':' || coalesce(sql, ''), ';') FROM (SELECT * FROM sqlite_master m WHERE "#,
    user_tables!(),
    r#" AND m.name NOT LIKE 'd1\_%' ESCAPE '\' ORDER BY m.name)"#
);

/// A short digest of the schema's DDL: equal on every host that holds the
/// same schema (a file, its D1 import, a Durable Object's copy).
pub async fn fingerprint(driver: &dyn Driver) -> DbResult<String> {
    use sha2::{Digest, Sha256};
    let rows = driver.query(&Statement::new(queries(driver.dialect()).fingerprint)).await?;
    let text = rows.scalar().and_then(|v| v.as_str()).unwrap_or("").to_string();
    Ok(Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect())
}

/// A schema snapshot with the fingerprint it was built for (`rectus build`'s
/// output, which the edge worker can bundle).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BuiltSnapshot {
    pub format: String,
    pub fingerprint: String,
    pub schema: crate::schema::SchemaSnapshot,
}

/// Bumped when the snapshot's serialized form changes.
pub const SNAPSHOT_FORMAT: &str = "v3";
