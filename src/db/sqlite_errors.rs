//! SQLite's constraint messages, classified (shared by libSQL and D1).

use super::DbError;

/// Parses a SQLite constraint message into a classified error.
pub fn classify_sqlite_message(msg: &str) -> Option<DbError> {
    let target = |marker: &str| {
        let rest = &msg[msg.find(marker)? + marker.len()..];
        let first = rest.split(',').next()?.trim();
        let (collection, field) = first.split_once('.')?;
        // D1 appends `: SQLITE_CONSTRAINT` and the like: keep the identifier only.
        let field: String = field.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        Some((collection.to_string(), field))
    };
    if let Some((collection, field)) = target("UNIQUE constraint failed: ") {
        return Some(DbError::Unique { collection, field });
    }
    if let Some((collection, field)) = target("NOT NULL constraint failed: ") {
        return Some(DbError::NotNull { collection, field });
    }
    if msg.contains("FOREIGN KEY constraint failed") {
        return Some(DbError::ForeignKey);
    }
    if msg.contains(super::GUARD_MARKER) {
        return Some(DbError::Guard);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_libsql_and_d1_messages() {
        let unique = DbError::Unique { collection: "tags".into(), field: "name".into() };
        assert_eq!(classify_sqlite_message("UNIQUE constraint failed: tags.name"), Some(unique.clone()));
        assert_eq!(
            classify_sqlite_message("D1_ERROR: UNIQUE constraint failed: tags.name: SQLITE_CONSTRAINT"),
            Some(unique)
        );
        assert_eq!(
            classify_sqlite_message("NOT NULL constraint failed: articles.title (code 19)"),
            Some(DbError::NotNull { collection: "articles".into(), field: "title".into() })
        );
        assert_eq!(classify_sqlite_message("FOREIGN KEY constraint failed"), Some(DbError::ForeignKey));
        assert_eq!(classify_sqlite_message("no such table: x"), None);
    }
}
