//! MySQL protocol databases (MariaDB 10.6 and later): what every host's
//! driver shares (placeholders, values, errors, reading rows), the native
//! pooled driver (mysql_async) and the edge's per-request one (the small
//! [`wire`] client over the runtime's sockets).
//!
//! The compiler writes ANSI SQL (`"ident"`, `||`, plain `'...'`): every
//! connection runs with the SESSION_SQL_MODE below so MariaDB reads it so,
//! and only the placeholders need rewriting.

mod cell;
#[cfg(target_arch = "wasm32")]
mod edge;
mod errors;
#[cfg(not(target_arch = "wasm32"))]
mod native;
/// Public for the tests, which run it natively against a real server.
#[doc(hidden)]
pub mod wire;

pub use cell::{from_mysql, rows, to_mysql};
#[cfg(target_arch = "wasm32")]
pub use edge::{hyperdrive_options, EdgeMariaDb};
pub use errors::classify_server;
#[cfg(not(target_arch = "wasm32"))]
pub use native::MariaDbDriver;

use crate::db::{DbError, DbResult, Rows, Statement, Value};

/// The session's SQL mode: double quotes quote identifiers, `||` joins
/// text, a backslash is an ordinary character, and a value that does not
/// fit its column is an error rather than a silent change.
pub const SESSION_SQL_MODE: &str =
    "ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION";

/// The statements every connection runs first: the SQL mode, UTC for
/// `timestamp` columns and NOW(), the statement budget (MariaDB's
/// `max_statement_time`, in seconds), and room for JSON aggregates
/// (JSON_ARRAYAGG is cut at `group_concat_max_len`, 1 MB by default).
pub fn session_setup(budget_ms: u64) -> String {
    format!(
        "SET SESSION sql_mode = '{SESSION_SQL_MODE}', time_zone = '+00:00', max_statement_time = {}, group_concat_max_len = 1073741824",
        budget_ms as f64 / 1000.0
    )
}

/// The statement in MySQL's positional placeholders: each `?N` becomes `?`
/// and its value is bound in that place, so a value used twice is bound
/// twice (quoted text is left alone).
pub fn render(stmt: &Statement) -> (String, Vec<Value>) {
    let mut params = Vec::with_capacity(stmt.params.len());
    let sql = crate::sql::builder::map_placeholders(&stmt.sql, |n| {
        params.push(stmt.params.get(n - 1).cloned().unwrap_or(Value::Null));
        "?".to_string()
    });
    (sql, params)
}

/// The statement that finds the column of the unique index `index` on the
/// table `stmt` writes, with that table: MariaDB's duplicate-key error
/// names only the index.
pub(crate) fn unique_lookup(stmt: &Statement, index: &str) -> (String, Statement) {
    let collection = written_table(&stmt.sql).unwrap_or_default();
    let lookup = Statement::with_params(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?1 AND INDEX_NAME = ?2 ORDER BY SEQ_IN_INDEX",
        vec![collection.clone().into(), index.into()],
    );
    (collection, lookup)
}

/// The unique violation on `collection`, named by the column the lookup
/// found (the index's own name when it found none).
pub(crate) fn named_unique(collection: String, index: &str, lookup: DbResult<Rows>) -> DbError {
    let field = match lookup {
        Ok(rows) => rows.scalar().and_then(|v| v.as_str()).unwrap_or(index).to_string(),
        Err(_) => index.to_string(),
    };
    DbError::Unique { collection, field }
}

/// The table an `INSERT INTO "t"` or `UPDATE "t"` writes.
fn written_table(sql: &str) -> Option<String> {
    let rest = sql.strip_prefix("INSERT INTO \"").or_else(|| sql.strip_prefix("UPDATE \""))?;
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.peek() == Some(&'"') => {
                chars.next();
                name.push('"');
            }
            '"' => return Some(name),
            c => name.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_table_a_statement_writes() {
        assert_eq!(written_table(r#"INSERT INTO "we ""q""" ("a") VALUES (?)"#).as_deref(), Some(r#"we "q""#));
        assert_eq!(written_table(r#"UPDATE "t" SET "a" = ?1"#).as_deref(), Some("t"));
        assert_eq!(written_table("SELECT 1"), None);
    }

    #[test]
    fn numbered_placeholders_become_positional_with_their_values_in_order() {
        let stmt = Statement::with_params(r#"SELECT ?2, '?1', "?3", ?1, ?2"#, vec![Value::Integer(1), "two".into()]);
        let (sql, params) = render(&stmt);
        assert_eq!(sql, r#"SELECT ?, '?1', "?3", ?, ?"#);
        assert_eq!(params, vec!["two".into(), Value::Integer(1), "two".into()]);
    }
}
