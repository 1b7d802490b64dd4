//! SQLite's constraint messages, classified (shared by libSQL and D1).

use super::DbError;

/// Parses a SQLite constraint message into a classified error.
pub fn classify_sqlite_message(msg: &str) -> Option<DbError> {
    let target = |marker: &str| {
        let rest = &msg[msg.find(marker)? + marker.len()..];
        let first = rest.split(',').next()?.trim();
        let (collection, field) = first.split_once('.')?;
        Some((
            collection.to_string(),
            field
                .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                .to_string(),
        ))
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
    None
}
