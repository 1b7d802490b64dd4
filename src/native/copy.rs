//! `rectus copy`: a SQLite/libSQL database into an empty Postgres schema or
//! MariaDB database, tables, keys, indexes, views and rows, so the same data
//! can be served from either (the demo data sets on a server, the tests'
//! and bench's copies).
//!
//! The system tables come from rectus's migrations for the target; the
//! user's tables are created with each column's type mapped from its
//! declared SQLite type, and get their foreign keys once their rows are in.
//! It is one transaction on Postgres: a failed copy leaves the target as it
//! was. MariaDB commits each CREATE on its own, so a failed copy there
//! leaves the tables it made (empty or part-filled) behind.

use crate::db::{DbError, DbResult, Dialect, Driver, Statement, Transaction, Value};
use crate::schema::{Collection, Field, FieldType, SchemaSnapshot};
use crate::sql::builder::{ident, literal};
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// What a copy did.
#[derive(Debug, Default)]
pub struct CopyReport {
    pub tables: usize,
    pub rows: u64,
}

/// Tables of rectus's own that the target keeps as its migrations made them.
const KEEP_TARGET: &[&str] = &["rectus_migrations", "rectus_data_versions"];

/// Rows per INSERT statement.
const BATCH: usize = 250;

/// Copies the database behind `from` (SQLite) into `to` (Postgres or
/// MariaDB), whose current schema must hold none of the source's own tables yet.
pub async fn copy(from: &dyn Driver, to: &dyn Driver, host: &dyn crate::app::Host) -> DbResult<CopyReport> {
    if from.dialect() != Dialect::Sqlite || to.dialect() == Dialect::Sqlite {
        return Err(DbError::Unsupported("rectus copy goes from a SQLite file to Postgres or MariaDB".into()));
    }
    let target = to.dialect();
    let source = crate::schema::introspect::snapshot(from).await?;
    crate::bootstrap::migrate(to, host).await?;
    let existing = crate::schema::introspect::snapshot(to).await?;
    let tables: Vec<&Collection> =
        copy_order(&source).into_iter().filter(|c| !c.is_view && !KEEP_TARGET.contains(&c.name.as_str())).collect();
    let mut report = CopyReport::default();
    let mut tx = to.begin().await?;
    let mut created = BTreeSet::new();
    for coll in &tables {
        if existing.collection(&coll.name).is_none() {
            tx.execute(&Statement::new(create_table(target, coll))).await?;
            created.insert(coll.name.clone());
        }
    }
    for coll in &tables {
        let columns: Vec<&Field> = match existing.collection(&coll.name) {
            Some(into) => coll.columns().filter(|f| into.field(&f.name).is_some_and(|t| !t.is_alias())).collect(),
            None => coll.columns().collect(),
        };
        report.rows += copy_rows(from, tx.as_mut(), target, coll, &columns, &existing)
            .await
            .map_err(|e| DbError::Other(format!("table {}: {e}", coll.name)))?;
        report.tables += 1;
    }
    for table in unserved_tables(from, &source).await? {
        if existing.collection(&table.name).is_some() {
            continue;
        }
        tx.execute(&Statement::new(table.create(target))).await?;
        report.rows += table
            .copy(from, tx.as_mut(), target)
            .await
            .map_err(|e| DbError::Other(format!("table {}: {e}", table.name)))?;
        report.tables += 1;
        created.insert(table.name.clone());
    }
    for statement in foreign_keys(&source, &created).into_iter().chain(definitions(from, &created).await?) {
        tx.execute(&Statement::new(statement)).await?;
    }
    // Keys the database assigns continue after the copied ones.
    for coll in &tables {
        let into = existing.collection(&coll.name).unwrap_or(coll);
        if let Some(sql) = restart_sequence(target, into) {
            tx.query(&Statement::new(sql)).await?;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Tables ordered so that each comes after the tables its foreign keys
/// point at (cycles and self-references keep their name order).
fn copy_order(schema: &SchemaSnapshot) -> Vec<&Collection> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    let mut left: Vec<&Collection> = schema.collections.values().collect();
    while !left.is_empty() {
        let ready = |c: &Collection| {
            schema.relations.iter().filter(|r| r.many_collection == c.name && r.on_delete.is_some()).all(|r| {
                r.one_collection == c.name
                    || done.contains(r.one_collection.as_str())
                    || schema.collection(&r.one_collection).is_none()
            })
        };
        let (now, later): (Vec<&Collection>, Vec<&Collection>) = left.iter().copied().partition(|c| ready(c));
        let now = if now.is_empty() { vec![later[0]] } else { now };
        for c in &now {
            done.insert(c.name.as_str());
        }
        left.retain(|c| !done.contains(c.name.as_str()));
        order.extend(now);
    }
    order
}

/// The target's type for a field declared in SQLite.
fn column_type(target: Dialect, f: &Field) -> String {
    let decl = f.db_type.as_deref().unwrap_or("");
    match target {
        Dialect::MariaDb => {
            mariadb_type_of(decl, f.primary_key && f.auto_increment, f.primary_key || f.unique || f.m2o().is_some())
        }
        _ => postgres_type_of(decl, f.primary_key && f.auto_increment),
    }
}

/// The MariaDB type for a column declared `decl` in SQLite (`serial`: a
/// key the database assigns; `keyed`: in a key or a foreign key, where
/// MariaDB takes no unbounded text).
fn mariadb_type_of(decl: &str, serial: bool, keyed: bool) -> String {
    let (ty, length) = FieldType::from_decl(decl);
    match ty {
        FieldType::Integer if serial => "int NOT NULL AUTO_INCREMENT".into(),
        FieldType::BigInteger if serial => "bigint NOT NULL AUTO_INCREMENT".into(),
        FieldType::Integer => "int".into(),
        FieldType::BigInteger => "bigint".into(),
        FieldType::Float => "double".into(),
        FieldType::Decimal => match decl.find('(') {
            Some(i) => format!("decimal{}", &decl[i..]),
            None => "decimal(65,10)".into(),
        },
        FieldType::String => match length {
            Some(n) => format!("varchar({n})"),
            None if keyed => "varchar(255)".into(),
            None => "text".into(),
        },
        FieldType::Boolean => "tinyint(1)".into(),
        FieldType::Date => "date".into(),
        FieldType::DateTime => "datetime".into(),
        FieldType::Time => "time".into(),
        FieldType::Timestamp => "timestamp(3)".into(),
        FieldType::Json => "json".into(),
        FieldType::Uuid => "char(36)".into(),
        FieldType::Binary => "blob".into(),
        _ if keyed => "varchar(255)".into(),
        _ => "text".into(),
    }
}

/// The Postgres type for a column declared `decl` in SQLite (`serial`: a
/// key the database assigns).
fn postgres_type_of(decl: &str, serial: bool) -> String {
    let (ty, length) = FieldType::from_decl(decl);
    match ty {
        FieldType::Integer if serial => "serial".into(),
        FieldType::BigInteger if serial => "bigserial".into(),
        FieldType::Integer => "integer".into(),
        FieldType::BigInteger => "bigint".into(),
        FieldType::Float => "double precision".into(),
        FieldType::Decimal => match decl.find('(') {
            Some(i) => format!("numeric{}", &decl[i..]),
            None => "numeric".into(),
        },
        FieldType::String => match length {
            Some(n) => format!("varchar({n})"),
            None => "text".into(),
        },
        FieldType::Boolean => "boolean".into(),
        FieldType::Date => "date".into(),
        FieldType::DateTime => "timestamp".into(),
        FieldType::Time => "time".into(),
        FieldType::Timestamp => "timestamp with time zone".into(),
        FieldType::Json => "json".into(),
        FieldType::Uuid => "uuid".into(),
        FieldType::Binary => "bytea".into(),
        _ => "text".into(),
    }
}

fn create_table(target: Dialect, coll: &Collection) -> String {
    let mut columns: Vec<String> = coll
        .columns()
        .map(|f| {
            let ty = column_type(target, f);
            let mut sql = format!("{} {ty}", ident(&f.name));
            if !f.nullable && !f.primary_key {
                sql.push_str(" NOT NULL");
            }
            if let Some(default) = f.default_value.as_ref().and_then(|d| default_sql(d, &ty)) {
                sql.push_str(&format!(" DEFAULT {default}"));
            }
            if f.unique && !f.primary_key {
                sql.push_str(" UNIQUE");
            }
            sql
        })
        .collect();
    columns.push(format!("PRIMARY KEY ({})", ident(&coll.primary_key)));
    format!("CREATE TABLE {} ({})", ident(&coll.name), columns.join(", "))
}

/// A column default as SQL for a column of type `ty`; `None` for what it
/// cannot take.
fn default_sql(default: &Json, ty: &str) -> Option<String> {
    Some(match default {
        Json::Null => return None,
        Json::Bool(b) if ty == "boolean" => (if *b { "TRUE" } else { "FALSE" }).into(),
        Json::Bool(b) => (*b as i64).to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if s.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => "CURRENT_TIMESTAMP".into(),
        Json::String(s) => literal(s),
        _ => return None,
    })
}

/// `ALTER TABLE ... ADD FOREIGN KEY` for the foreign keys of the tables created.
fn foreign_keys(schema: &SchemaSnapshot, created: &BTreeSet<String>) -> Vec<String> {
    schema
        .relations
        .iter()
        .filter(|r| r.on_delete.is_some() && created.contains(&r.many_collection))
        .filter(|r| schema.collection(&r.one_collection).is_some())
        .map(|r| {
            format!(
                "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
                ident(&r.many_collection),
                ident(&r.many_field),
                ident(&r.one_collection),
                ident(&r.one_primary),
                action(r.on_delete.as_deref()),
                action(r.on_update.as_deref()),
            )
        })
        .collect()
}

/// A referential action from the catalog; anything unknown as NO ACTION.
fn action(a: Option<&str>) -> &'static str {
    match a.unwrap_or("").to_ascii_uppercase().as_str() {
        "CASCADE" => "CASCADE",
        "SET NULL" => "SET NULL",
        "SET DEFAULT" => "SET DEFAULT",
        "RESTRICT" => "RESTRICT",
        _ => "NO ACTION",
    }
}

/// The source's own indexes on the tables created, then its views, as
/// SQLite keeps them: `CREATE [UNIQUE] INDEX name ON table (columns)` and a
/// plain `CREATE VIEW ... AS SELECT` read the same in Postgres.
async fn definitions(from: &dyn Driver, created: &BTreeSet<String>) -> DbResult<Vec<String>> {
    let rows = from
        .query(&Statement::new(
            "SELECT type, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'view') AND sql IS NOT NULL ORDER BY type, name",
        ))
        .await?;
    Ok(rows
        .rows
        .iter()
        .filter(|r| {
            let text = |i: usize| r.get(i).and_then(Value::as_str).unwrap_or_default();
            text(0) == "view" || created.contains(text(1))
        })
        .filter_map(|r| r.get(2).and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// Copies the rows of `coll`'s `columns` in batches; returns how many.
async fn copy_rows(
    from: &dyn Driver,
    tx: &mut dyn Transaction,
    target: Dialect,
    coll: &Collection,
    columns: &[&Field],
    existing: &SchemaSnapshot,
) -> DbResult<u64> {
    if columns.is_empty() {
        return Ok(0);
    }
    let names: Vec<String> = columns.iter().map(|f| f.name.clone()).collect();
    // Where the target has its own column type (a system table), that one
    // decides how a value is read: Directus-on-SQLite keeps some dates as
    // Unix milliseconds.
    let temporal: Vec<Option<FieldType>> = columns
        .iter()
        .map(|f| {
            let into = existing.collection(&coll.name).and_then(|c| c.field(&f.name)).unwrap_or(f);
            into.field_type.is_temporal().then_some(into.field_type)
        })
        .collect();
    copy_table_rows(from, tx, target, &coll.name, &names, &temporal, &ident(&coll.primary_key)).await
}

/// Copies the rows of `table`'s `columns`, read in `order`, in batches;
/// integers bound for `temporal` columns are Unix milliseconds, and text
/// there goes in as the target reads dates.
async fn copy_table_rows(
    from: &dyn Driver,
    tx: &mut dyn Transaction,
    target: Dialect,
    table: &str,
    columns: &[String],
    temporal: &[Option<FieldType>],
    order: &str,
) -> DbResult<u64> {
    let dialect = crate::sql::dialect::of(target);
    let names: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let rows = from
        .query(&Statement::new(format!("SELECT {} FROM {} ORDER BY {order}", names.join(", "), ident(table))))
        .await?;
    for chunk in rows.rows.chunks(BATCH) {
        let mut params = Vec::with_capacity(chunk.len() * columns.len());
        let mut tuples = Vec::with_capacity(chunk.len());
        for row in chunk {
            let mut placeholders = Vec::with_capacity(columns.len());
            for (i, value) in row.iter().enumerate() {
                params.push(match value {
                    Value::Integer(ms) if temporal[i].is_some() => dialect.time_value(*ms),
                    v => v.clone(),
                });
                let slot = format!("?{}", params.len());
                placeholders.push(match (temporal[i], value) {
                    (Some(ty), Value::Text(_)) => dialect.temporal(ty, &slot),
                    _ => slot,
                });
            }
            tuples.push(format!("({})", placeholders.join(", ")));
        }
        let sql = format!("INSERT INTO {} ({}) VALUES {}", ident(table), names.join(", "), tuples.join(", "));
        tx.execute(&Statement::with_params(sql, params)).await?;
    }
    Ok(rows.rows.len() as u64)
}

/// Moves a serial key's sequence past the copied keys (MariaDB's
/// AUTO_INCREMENT moves by itself).
fn restart_sequence(target: Dialect, coll: &Collection) -> Option<String> {
    let pk = coll.pk_field();
    if !pk.auto_increment || target != Dialect::Postgres {
        return None;
    }
    Some(format!(
        "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({}), 0) + 1, false) FROM {}",
        literal(&ident(&coll.name)),
        literal(&pk.name),
        ident(&pk.name),
        ident(&coll.name)
    ))
}

/// A table of the source that is no collection (it has no single-column
/// primary key): copied with its columns and whole primary key, but served
/// by neither database.
struct Unserved {
    name: String,
    /// (name, declared type, NOT NULL, position in the primary key or 0)
    columns: Vec<(String, String, bool, i64)>,
}

impl Unserved {
    fn create(&self, target: Dialect) -> String {
        let mut defs: Vec<String> = self
            .columns
            .iter()
            .map(|(name, decl, not_null, key)| {
                let ty = match target {
                    Dialect::MariaDb => mariadb_type_of(decl, false, *key > 0),
                    _ => postgres_type_of(decl, false),
                };
                format!("{} {ty}{}", ident(name), if *not_null { " NOT NULL" } else { "" })
            })
            .collect();
        let key = self.key();
        if !key.is_empty() {
            defs.push(format!("PRIMARY KEY ({})", key.iter().map(|c| ident(&c.0)).collect::<Vec<_>>().join(", ")));
        }
        format!("CREATE TABLE {} ({})", ident(&self.name), defs.join(", "))
    }

    /// The primary key's columns, in the key's order.
    fn key(&self) -> Vec<&(String, String, bool, i64)> {
        let mut key: Vec<_> = self.columns.iter().filter(|c| c.3 > 0).collect();
        key.sort_by_key(|c| c.3);
        key
    }

    /// Its rows in key order, or in storage order without a key (a table
    /// without rowid always has a key).
    async fn copy(&self, from: &dyn Driver, tx: &mut dyn Transaction, target: Dialect) -> DbResult<u64> {
        let names: Vec<String> = self.columns.iter().map(|c| c.0.clone()).collect();
        let temporal: Vec<Option<FieldType>> =
            self.columns.iter().map(|c| Some(FieldType::from_decl(&c.1).0).filter(|t| t.is_temporal())).collect();
        let key: Vec<String> = self.key().iter().map(|c| ident(&c.0)).collect();
        let order = if key.is_empty() { "rowid".to_string() } else { key.join(", ") };
        copy_table_rows(from, tx, target, &self.name, &names, &temporal, &order).await
    }
}

/// The source's tables that are no collection of `source`.
async fn unserved_tables(from: &dyn Driver, source: &SchemaSnapshot) -> DbResult<Vec<Unserved>> {
    let rows = from
        .query(&Statement::new(
            r#"SELECT m.name, p.name, p.type, p."notnull", p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.name, p.cid"#,
        ))
        .await?;
    let mut tables: Vec<Unserved> = Vec::new();
    for row in &rows.rows {
        let text = |i: usize| row.get(i).and_then(Value::as_str).unwrap_or_default().to_string();
        let int = |i: usize| row.get(i).and_then(Value::as_i64).unwrap_or(0);
        let table = text(0);
        if source.collection(&table).is_some() {
            continue;
        }
        if tables.last().is_none_or(|t| t.name != table) {
            tables.push(Unserved { name: table, columns: Vec::new() });
        }
        if let Some(t) = tables.last_mut() {
            t.columns.push((text(1), text(2), int(3) != 0, int(4)));
        }
    }
    Ok(tables)
}
