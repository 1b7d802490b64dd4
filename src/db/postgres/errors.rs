//! Postgres errors (SQLSTATE codes) as [`DbError`]s.

use crate::db::DbError;
use tokio_postgres::error::SqlState;

/// Classifies a driver error: constraint failures become the Directus
/// errors they are, a lost or refused connection `Unavailable`.
pub fn classify(e: &tokio_postgres::Error, budget_ms: u64) -> DbError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: the connection is closed or broken.
        return DbError::Unavailable(with_causes(e));
    };
    let code = db.code();
    let table = db.table().unwrap_or_default().to_string();
    match code.code() {
        "23505" => DbError::Unique { collection: table, field: key_column(db.detail()).unwrap_or_default() },
        "23502" => DbError::NotNull { collection: table, field: db.column().unwrap_or_default().to_string() },
        "23503" => DbError::ForeignKey,
        "57014" => DbError::Timeout { ms: budget_ms },
        // deadlock_detected, serialization_failure: the transaction is void.
        "40P01" | "40001" => DbError::Conflict(db.message().to_string()),
        "22P02" | "22007" | "22008" | "22003" | "22001" => DbError::InvalidValue(db.message().to_string()),
        c if c.starts_with("08") || c.starts_with("57P") || *code == SqlState::TOO_MANY_CONNECTIONS => {
            DbError::Unavailable(db.message().to_string())
        }
        _ => DbError::Other(format!("{} ({})", db.message(), code.code())),
    }
}

/// An error with the errors that caused it (`error performing TLS
/// handshake: invalid peer certificate: UnknownIssuer`).
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// The column of a unique violation's detail: `Key (email)=(a@b.c) already exists.`
fn key_column(detail: Option<&str>) -> Option<String> {
    let rest = detail?.strip_prefix("Key (")?;
    let end = rest.find(")=(")?;
    Some(rest[..end].trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_column_of_a_unique_violation() {
        assert_eq!(super::key_column(Some("Key (email)=(a@b.c) already exists.")).as_deref(), Some("email"));
        assert_eq!(super::key_column(Some("nothing")), None);
    }
}
