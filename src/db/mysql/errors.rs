//! MySQL/MariaDB server errors (error numbers) as [`DbError`]s.

use crate::db::DbError;

/// Classifies an error the server sent: constraint failures become the
/// Directus errors they are, a stopped statement a timeout, a server going
/// away `Unavailable`.
pub fn classify_server(code: u16, message: &str, budget_ms: u64) -> DbError {
    match code {
        // ER_DUP_ENTRY: "Duplicate entry 'x' for key 'table.index'"
        1062 | 1586 => DbError::Unique { collection: String::new(), field: duplicate_key(message).unwrap_or_default() },
        // ER_BAD_NULL_ERROR "Column 'x' cannot be null"; ER_NO_DEFAULT_FOR_FIELD "Field 'x' doesn't have a default value"
        1048 | 1364 => DbError::NotNull { collection: String::new(), field: quoted(message).unwrap_or_default() },
        1451 | 1452 | 1216 | 1217 => DbError::ForeignKey,
        // ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back.
        1213 => DbError::Conflict(message.to_string()),
        // MariaDB's max_statement_time; MySQL's max_execution_time.
        1969 | 3024 => DbError::Timeout { ms: budget_ms },
        // Bad text for a number or date, out of range, too long, not JSON.
        1292 | 1366 | 1264 | 1406 | 1265 | 4025 | 3140 => DbError::InvalidValue(message.to_string()),
        // Shutting down, killed, too many connections, server gone.
        1053 | 1077 | 1078 | 1079 | 1080 | 1152 | 1153 | 1158 | 1159 | 1160 | 1161 | 1927 | 1040 | 1203 | 2006
        | 2013 => DbError::Unavailable(message.to_string()),
        _ => DbError::Other(format!("{message} ({code})")),
    }
}

/// The first `'...'` of a message.
fn quoted(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let len = message[start..].find('\'')?;
    Some(message[start..start + len].to_string())
}

/// The key of a duplicate-entry message (its last quoted part), without
/// MySQL 8's `table.` prefix.
fn duplicate_key(message: &str) -> Option<String> {
    let rest = &message[message.rfind(" for key '")? + " for key '".len()..];
    let key = rest.strip_suffix('\'')?;
    Some(key.rsplit('.').next().unwrap_or(key).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_names_in_constraint_messages() {
        assert_eq!(quoted("Column 'title' cannot be null").as_deref(), Some("title"));
        assert_eq!(
            duplicate_key("Duplicate entry 'a@b.c' for key 'users_email_unique'").as_deref(),
            Some("users_email_unique")
        );
        assert_eq!(duplicate_key("Duplicate entry 'x' for key 'users.email'").as_deref(), Some("email"));
    }
}
