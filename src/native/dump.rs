//! `rectus dump`: a SQLite file as SQL text (schema, then rows as INSERTs),
//! the form `wrangler d1 execute --file` imports into D1.

use std::io::Write;

/// Rows per INSERT statement (D1 caps one statement at 100 KB).
const ROWS_PER_INSERT: usize = 50;

/// Writes the schema and every row of the database at `db_path` to `out`.
pub async fn dump(db_path: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let db = libsql::Builder::new_local(db_path).build().await?;
    let conn = db.connect()?;
    // Tables before what depends on them; SQLite's own and D1's internal tables never.
    let mut objects = conn
        .query(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid",
            (),
        )
        .await?;
    let mut tables = Vec::new();
    while let Some(row) = objects.next().await? {
        let (kind, name, sql): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        writeln!(out, "{sql};")?;
        if kind == "table" {
            tables.push(name);
        }
    }
    for table in tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let mut rows = conn.query(&format!("SELECT * FROM {quoted}"), ()).await?;
        let mut batch: Vec<String> = Vec::new();
        while let Some(row) = rows.next().await? {
            let values: Vec<String> = (0..row.column_count()).map(|i| literal(row.get_value(i))).collect();
            batch.push(format!("({})", values.join(",")));
            if batch.len() == ROWS_PER_INSERT {
                writeln!(out, "INSERT INTO {quoted} VALUES {};", batch.join(","))?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            writeln!(out, "INSERT INTO {quoted} VALUES {};", batch.join(","))?;
        }
    }
    Ok(())
}

/// A value as an SQL literal.
fn literal(v: libsql::Result<libsql::Value>) -> String {
    match v {
        Ok(libsql::Value::Integer(i)) => i.to_string(),
        Ok(libsql::Value::Real(f)) if f.is_finite() => format!("{f:?}"),
        Ok(libsql::Value::Text(s)) => format!("'{}'", s.replace('\'', "''")),
        Ok(libsql::Value::Blob(b)) => format!("X'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>()),
        _ => "NULL".into(),
    }
}
