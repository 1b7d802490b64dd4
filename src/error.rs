//! Errors as values, in the shape and with the codes Directus uses.
//!
//! Every failure a request can meet ends up as an [`ApiError`], which knows its
//! Directus error code and HTTP status and renders as
//! `{"errors":[{"message": ..., "extensions": {"code": ...}}]}`.

use serde_json::{json, Map, Value};

/// The Directus error codes rectus can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidQuery,
    InvalidPayload,
    Forbidden,
    RouteNotFound,
    MethodNotAllowed,
    RecordNotUnique,
    NotNullViolation,
    InvalidForeignKey,
    ValueTooLong,
    ValueOutOfRange,
    ContentTooLarge,
    UnsupportedMediaType,
    FailedValidation,
    ServiceUnavailable,
    /// A transaction the database gave up (a deadlock): answered as
    /// SERVICE_UNAVAILABLE once the request's retries are spent.
    TransactionConflict,
    OutOfTime,
    InvalidCredentials,
    InvalidToken,
    TokenExpired,
    UserSuspended,
    UnprocessableContent,
    GraphqlValidation,
    GraphqlExecution,
    Internal,
}

impl ErrorCode {
    /// The code string Directus puts in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidQuery => "INVALID_QUERY",
            ErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RouteNotFound => "ROUTE_NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::RecordNotUnique => "RECORD_NOT_UNIQUE",
            ErrorCode::NotNullViolation => "NOT_NULL_VIOLATION",
            ErrorCode::InvalidForeignKey => "INVALID_FOREIGN_KEY",
            ErrorCode::ValueTooLong => "VALUE_TOO_LONG",
            ErrorCode::ValueOutOfRange => "VALUE_OUT_OF_RANGE",
            ErrorCode::ContentTooLarge => "CONTENT_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::FailedValidation => "FAILED_VALIDATION",
            ErrorCode::ServiceUnavailable | ErrorCode::TransactionConflict => "SERVICE_UNAVAILABLE",
            ErrorCode::OutOfTime => "OUT_OF_TIME",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::InvalidToken => "INVALID_TOKEN",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::UserSuspended => "USER_SUSPENDED",
            ErrorCode::UnprocessableContent => "UNPROCESSABLE_CONTENT",
            ErrorCode::GraphqlValidation => "GRAPHQL_VALIDATION",
            ErrorCode::GraphqlExecution => "GRAPHQL_EXECUTION",
            ErrorCode::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status Directus answers this code with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidQuery
            | ErrorCode::InvalidPayload
            | ErrorCode::RecordNotUnique
            | ErrorCode::NotNullViolation
            | ErrorCode::InvalidForeignKey
            | ErrorCode::ValueTooLong
            | ErrorCode::ValueOutOfRange
            | ErrorCode::FailedValidation
            | ErrorCode::GraphqlValidation
            | ErrorCode::GraphqlExecution => 400,
            ErrorCode::Forbidden | ErrorCode::InvalidToken => 403,
            ErrorCode::InvalidCredentials | ErrorCode::TokenExpired | ErrorCode::UserSuspended => 401,
            ErrorCode::UnprocessableContent => 422,
            ErrorCode::RouteNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::OutOfTime => 408,
            ErrorCode::ContentTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ServiceUnavailable | ErrorCode::TransactionConflict => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// One API error: a code, a human message and Directus's extra extension fields.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Extra keys for `extensions` (e.g. `collection`, `field`, `reason`);
    /// boxed to keep `Result<_, ApiError>` small on the success path.
    pub extensions: Box<Map<String, Value>>,
    /// Further errors answered in the same response (Directus lists every
    /// failed validation rule, each as its own error object).
    pub more: Vec<ApiError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), extensions: Box::default(), more: Vec::new() }
    }

    /// Adds one key to `extensions`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_string(), value.into());
        self
    }

    /// INVALID_QUERY with Directus's "Invalid query. {reason}." message.
    pub fn invalid_query(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::new(ErrorCode::InvalidQuery, format!("Invalid query. {}.", reason.trim_end_matches('.')))
            .with("reason", reason)
    }

    /// INVALID_PAYLOAD with Directus's "Invalid payload. {reason}." message.
    pub fn invalid_payload(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::new(ErrorCode::InvalidPayload, format!("Invalid payload. {}.", reason.trim_end_matches('.')))
            .with("reason", reason)
    }

    /// FORBIDDEN, as Directus answers for unknown collections, fields and items.
    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden, "You don't have permission to access this.")
    }

    pub fn route_not_found(path: &str) -> Self {
        ApiError::new(ErrorCode::RouteNotFound, format!("Route {path} doesn't exist."))
    }

    pub fn method_not_allowed(method: &str) -> Self {
        ApiError::new(ErrorCode::MethodNotAllowed, format!("Method {method} is not allowed."))
    }

    /// OUT_OF_TIME (408), Directus's timeout error: "Query timed out after 5 seconds."
    pub fn timed_out(category: &str, ms: u64) -> Self {
        ApiError::new(ErrorCode::OutOfTime, format!("{category} timed out after {}.", long_duration(ms)))
            .with("category", category)
            .with("duration", ms)
    }

    /// INVALID_CREDENTIALS (401) "Invalid user credentials."
    pub fn invalid_credentials() -> Self {
        ApiError::new(ErrorCode::InvalidCredentials, "Invalid user credentials.")
    }

    /// INVALID_TOKEN (403) "Invalid token."
    pub fn invalid_token() -> Self {
        ApiError::new(ErrorCode::InvalidToken, "Invalid token.")
    }

    /// TOKEN_EXPIRED (401) "Token expired."
    pub fn token_expired() -> Self {
        ApiError::new(ErrorCode::TokenExpired, "Token expired.")
    }

    /// SERVICE_UNAVAILABLE: Directus's `Service "x" is unavailable. {reason}.`
    pub fn unavailable(service: &str, reason: &str) -> Self {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("Service \"{service}\" is unavailable. {}.", reason.trim_end_matches('.')),
        )
        .with("service", service)
        .with("reason", reason)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Internal, message)
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// One error followed by `rest`, answered together.
    pub fn with_more(mut self, rest: Vec<ApiError>) -> Self {
        self.more.extend(rest);
        self
    }

    /// The JSON body, `{"errors":[...]}`.
    pub fn to_body(&self) -> Value {
        let errors: Vec<Value> = std::iter::once(self).chain(&self.more).map(ApiError::error_object).collect();
        json!({ "errors": errors })
    }

    /// `{"message": ..., "extensions": {..., "code": ...}}`; Directus puts `code` last.
    fn error_object(&self) -> Value {
        let mut ext = (*self.extensions).clone();
        ext.insert("code".into(), json!(self.code.as_str()));
        json!({ "message": self.message, "extensions": ext })
    }
}

/// A duration as the `ms` package's long form writes it ("5 seconds",
/// "1 second", "250 ms"), which Directus's timeout message uses.
fn long_duration(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1_000, "second")];
    for (size, name) in UNITS {
        if ms >= size {
            let n = (ms as f64 / size as f64).round() as u64;
            // `ms` pluralises from 1.5 units up.
            let plural = ms as f64 >= size as f64 * 1.5;
            return format!("{n} {name}{}", if plural { "s" } else { "" });
        }
    }
    format!("{ms} ms")
}

/// Result alias used across the core.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::long_duration;

    #[test]
    fn durations_read_like_the_ms_package() {
        assert_eq!(long_duration(5000), "5 seconds");
        assert_eq!(long_duration(1000), "1 second");
        assert_eq!(long_duration(1400), "1 second");
        assert_eq!(long_duration(1500), "2 seconds");
        assert_eq!(long_duration(250), "250 ms");
        assert_eq!(long_duration(120_000), "2 minutes");
    }
}
