//! The items service: runs compiled reads and nested writes for the REST
//! handlers (and later GraphQL), independent of HTTP.

mod read;
mod write;

pub use read::{read_item, read_item_data, read_keys, read_list, read_list_data, read_singleton, QuerySource};
pub use write::{
    create_many, create_one, delete_keys, keys_for_query, update_batch, update_keys, update_one, upsert_singleton,
};

use crate::db::{DbError, Value};
use crate::error::{ApiError, ErrorCode};
use crate::schema::Collection;
use serde_json::Value as Json;

/// A collection that `/items` may serve: it exists and is not a system table.
pub fn served_collection<'a>(
    schema: &'a crate::schema::SchemaSnapshot,
    name: &str,
) -> Result<&'a Collection, ApiError> {
    match schema.collection(name) {
        Some(c) if !c.is_system() => Ok(c),
        _ => Err(ApiError::forbidden()),
    }
}

/// A primary key from the URL or a payload, typed like the key column.
pub fn key_value(coll: &Collection, raw: &Json) -> Result<Value, ApiError> {
    let pk = coll.pk_field();
    match raw {
        Json::Null | Json::Object(_) | Json::Array(_) => Err(ApiError::forbidden()),
        // Directus answers FORBIDDEN for a key that cannot exist, too.
        _ if pk.field_type.is_integer() => crate::sql::values::numeric(raw, true)
            .filter(|v| matches!(v, Value::Integer(_)))
            .ok_or_else(ApiError::forbidden),
        Json::String(s) => Ok(Value::Text(s.clone())),
        other => Ok(Value::Text(other.to_string())),
    }
}

/// Maps a database error to Directus's error for it.
pub fn db_error(e: DbError) -> ApiError {
    match e {
        DbError::Unique { collection, field } => ApiError::new(
            ErrorCode::RecordNotUnique,
            format!("Value for field \"{field}\" in collection \"{collection}\" has to be unique."),
        )
        .with("collection", collection)
        .with("field", field),
        DbError::NotNull { collection, field } => ApiError::new(
            ErrorCode::NotNullViolation,
            format!("Value for field \"{field}\" in collection \"{collection}\" can't be null."),
        )
        .with("collection", collection)
        .with("field", field),
        DbError::ForeignKey => ApiError::new(ErrorCode::InvalidForeignKey, "Invalid foreign key."),
        DbError::Unsupported(what) => ApiError::new(ErrorCode::MethodNotAllowed, what),
        DbError::Timeout { ms } => ApiError::timed_out("Query", ms),
        // Only a request that went away is interrupted: nobody reads this.
        DbError::Interrupted => ApiError::new(ErrorCode::ServiceUnavailable, "The query was stopped."),
        DbError::Guard => ApiError::forbidden(),
        DbError::Unavailable(why) => {
            tracing::warn!("database unavailable: {why}");
            ApiError::new(ErrorCode::ServiceUnavailable, "Service \"database\" is unavailable. Cannot connect.")
        }
        DbError::InvalidValue(why) => ApiError::new(ErrorCode::InvalidPayload, why),
        DbError::Conflict(why) => {
            tracing::warn!("transaction conflict: {why}");
            ApiError::new(
                ErrorCode::TransactionConflict,
                "The database stopped this request's transaction to break a deadlock; nothing was written. Try again.",
            )
        }
        DbError::Other(msg) => {
            tracing::error!("database error: {msg}");
            ApiError::internal("An unexpected error occurred.")
        }
    }
}
