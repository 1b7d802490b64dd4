//! Postgres: what every host's Postgres driver shares (placeholders, values,
//! errors, reading rows), the native pooled driver and the edge's
//! per-request one.

mod cell;
#[cfg(target_arch = "wasm32")]
mod edge;
mod errors;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
mod tls;

pub use cell::{PgCell, PgParam};
#[cfg(target_arch = "wasm32")]
pub use edge::{EdgePostgres, Target};
pub use errors::classify;
#[cfg(not(target_arch = "wasm32"))]
pub use native::PostgresDriver;

use crate::db::{DbError, DbResult, Rows, Statement};
use tokio_postgres::types::ToSql;

/// The statement's SQL in Postgres's placeholders: the compiler's `?N`
/// become `$N` (quoted text is left alone).
pub fn render(sql: &str) -> String {
    crate::sql::builder::map_placeholders(sql, |n| format!("${n}"))
}

/// A connection string as tokio-postgres reads it.
pub fn parse_url(url: &str) -> DbResult<tokio_postgres::Config> {
    url.parse().map_err(|e| DbError::Other(format!("not a Postgres URL: {e}")))
}

/// The session settings of every connection: the server stops a statement
/// past `ms` (SQLSTATE 57014), so nothing keeps running there after the
/// request gave up; dates are read and written in UTC whatever the server's
/// own time zone.
pub fn set_session_options(config: &mut tokio_postgres::Config, ms: u64) {
    let options = format!("{} -c statement_timeout={ms} -c TimeZone=UTC", config.get_options().unwrap_or_default());
    config.options(options.trim());
}

/// The parameters as the driver's `ToSql` list.
pub fn params(stmt: &Statement) -> Vec<PgParam<'_>> {
    stmt.params.iter().map(PgParam).collect()
}

/// `params` as the references tokio-postgres takes.
pub fn param_refs<'a>(params: &'a [PgParam<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Result rows as the core's [`Rows`].
pub fn rows(columns: &[tokio_postgres::Column], rows: &[tokio_postgres::Row]) -> DbResult<Rows> {
    let names = columns.iter().map(|c| c.name().to_string()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut cells = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            let cell: PgCell = row.try_get(i).map_err(|e| DbError::Other(e.to_string()))?;
            cells.push(cell.0);
        }
        out.push(cells);
    }
    Ok(Rows { columns: names, rows: out })
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_become_dollar_numbers_outside_quotes() {
        assert_eq!(super::render(r#"SELECT ?1, '?2', "?3", ?12"#), r#"SELECT $1, '?2', "?3", $12"#);
    }
}
