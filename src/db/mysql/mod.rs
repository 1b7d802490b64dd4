//! MySQL protocol databases (MariaDB 10.6 and later): what every host's
//! driver shares (placeholders, values, errors, reading rows) and the
//! native pooled driver.
//!
//! The compiler writes ANSI SQL (`"ident"`, `||`, plain `'...'`): every
//! connection runs with the SESSION_SQL_MODE below so MariaDB reads it so,
//! and only the placeholders need rewriting.

mod cell;
mod errors;
#[cfg(not(target_arch = "wasm32"))]
mod native;

pub use cell::{from_mysql, to_mysql};
pub use errors::classify_server;
#[cfg(not(target_arch = "wasm32"))]
pub use native::MariaDbDriver;

use crate::db::{Statement, Value};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_positional_with_their_values_in_order() {
        let stmt = Statement::with_params(r#"SELECT ?2, '?1', "?3", ?1, ?2"#, vec![Value::Integer(1), "two".into()]);
        let (sql, params) = render(&stmt);
        assert_eq!(sql, r#"SELECT ?, '?1', "?3", ?, ?"#);
        assert_eq!(params, vec!["two".into(), Value::Integer(1), "two".into()]);
    }
}
