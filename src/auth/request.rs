//! Who sent a request: the token from `Authorization: Bearer`,
//! `?access_token=` or the session cookie, checked as Directus checks it.

use super::jwt::{self, TokenError};
use crate::access::Caller;
use crate::app::App;
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use http::Request;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The client's address, as the host saw it (an extension of the request).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// How long a static token's user is remembered: a token revoked behind
/// rectus's back (not through its API) stops working within this time.
pub const STATIC_TOKEN_TTL_MS: i64 = 10_000;

/// A static token's user and role (`None`: no active user holds it), and
/// when that was looked up.
type TokenEntry = (Option<(String, Option<String>)>, i64);

/// Access tokens already verified, by their text (signature included, so
/// only the very same token hits): a token used again skips the HMAC and
/// JSON work until it expires. Bounded; the least recently used go first.
pub struct VerifiedTokenCache {
    tokens: Mutex<cached::SizedCache<String, super::jwt::Verified>>,
}

impl Default for VerifiedTokenCache {
    fn default() -> Self {
        VerifiedTokenCache { tokens: Mutex::new(cached::SizedCache::with_size(4096)) }
    }
}

impl VerifiedTokenCache {
    /// `token`'s claims: remembered, or verified now (and remembered).
    fn verify(&self, secret: &[u8], token: &str, now_ms: i64) -> Result<jwt::AccessClaims, TokenError> {
        use cached::Cached;
        if let Some(v) = self.lock().cache_get(token) {
            if v.expires_ms.is_none_or(|exp| exp > now_ms) {
                return Ok(v.claims.clone());
            }
        }
        let verified = jwt::verify_full(secret, token, now_ms)?;
        self.lock().cache_set(token.to_string(), verified.clone());
        Ok(verified.claims)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, cached::SizedCache<String, super::jwt::Verified>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Static tokens recently looked up, by their SHA-256 (the cache never
/// holds a token itself), unknown ones included. Bounded, so random tokens
/// cannot grow it; the least recently used go first.
pub struct StaticTokenCache {
    users: Mutex<cached::SizedCache<[u8; 32], TokenEntry>>,
}

impl Default for StaticTokenCache {
    fn default() -> Self {
        StaticTokenCache { users: Mutex::new(cached::SizedCache::with_size(4096)) }
    }
}

impl StaticTokenCache {
    pub fn clear(&self) {
        use cached::Cached;
        self.lock().cache_clear();
    }

    /// The entry for `digest` when it was looked up within STATIC_TOKEN_TTL_MS.
    fn get(&self, digest: &[u8; 32], now_ms: i64) -> Option<Option<(String, Option<String>)>> {
        use cached::Cached;
        let mut users = self.lock();
        let (user, at) = users.cache_get(digest)?;
        (now_ms - at < STATIC_TOKEN_TTL_MS).then(|| user.clone())
    }

    fn set(&self, digest: [u8; 32], user: Option<(String, Option<String>)>, now_ms: i64) {
        use cached::Cached;
        self.lock().cache_set(digest, (user, now_ms));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, cached::SizedCache<[u8; 32], TokenEntry>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The request's token, by Directus's rules: `?access_token=`, then an
/// `Authorization: Bearer <token>` header (both at once is INVALID_PAYLOAD),
/// then the session cookie. Other header forms are ignored.
pub fn extract_token(req: &Request<Bytes>, session_cookie: &str) -> ApiResult<Option<String>> {
    let mut found = query_param(req.uri().query().unwrap_or(""), "access_token");
    if let Some(header) = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let parts: Vec<&str> = header.split(' ').collect();
        if let [scheme, token] = parts.as_slice() {
            if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
                if found.is_some() {
                    return Err(ApiError::invalid_payload(
                        "The request uses more than one method for including an access token",
                    ));
                }
                found = Some(token.to_string());
            }
        }
    }
    if found.is_none() {
        found = cookie(req, session_cookie);
    }
    Ok(found)
}

/// A cookie's value.
pub fn cookie(req: &Request<Bytes>, name: &str) -> Option<String> {
    req.headers().get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        header.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
    })
}

/// A query-string parameter's decoded value.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

/// The caller of `req`: anonymous without a token; a Directus JWT is
/// verified (TOKEN_EXPIRED, INVALID_TOKEN); anything else is looked up as a
/// static token (INVALID_CREDENTIALS when unknown).
pub async fn authenticate(app: &App, req: &Request<Bytes>) -> ApiResult<Arc<Caller>> {
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let access = app.access();
    let Some(token) = extract_token(req, &app.config.auth.session_cookie_name)? else {
        return Ok(access.caller(None, None, ip));
    };
    let now = app.host.now_ms();
    match app.verified_tokens.verify(&app.config.auth.secret, &token, now) {
        Ok(claims) => {
            if let Some(session) = &claims.session {
                if !session_is_live(app, session, claims.id.as_deref(), now).await? {
                    return Err(ApiError::invalid_credentials());
                }
            }
            // As Directus: the role comes from the token, not the database.
            Ok(access.caller(claims.id, claims.role, ip))
        }
        Err(TokenError::Expired) => Err(ApiError::token_expired()),
        Err(TokenError::Invalid) => Err(ApiError::invalid_token()),
        Err(TokenError::NotDirectus) => {
            let (user, role) = static_token_user(app, &token, now).await?.ok_or_else(ApiError::invalid_credentials)?;
            Ok(access.caller(Some(user), role, ip))
        }
    }
}

/// True while the session a session-mode token names exists and has not expired.
async fn session_is_live(app: &App, session: &str, user: Option<&str>, now: i64) -> ApiResult<bool> {
    let stmt = Statement::with_params(
        format!(
            "SELECT 1 FROM directus_sessions WHERE token = ?1 AND {} AND expires >= ?3",
            app.dialect().null_safe_eq("\"user\"", "?2")
        ),
        vec![session.into(), user.map(str::to_string).into(), app.dialect().time_value(now)],
    );
    let rows = app.driver.query(&stmt).await.map_err(crate::items::db_error)?;
    Ok(!rows.rows.is_empty())
}

/// The active user holding static token `token` (and their role), from the
/// cache when it was looked up within STATIC_TOKEN_TTL_MS.
async fn static_token_user(app: &App, token: &str, now: i64) -> ApiResult<Option<(String, Option<String>)>> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(user) = app.static_tokens.get(&digest, now) {
        return Ok(user);
    }
    if app.schema().collection("directus_users").is_none() {
        return Ok(None);
    }
    let stmt = Statement::with_params(
        "SELECT id, role FROM directus_users WHERE token = ?1 AND status = 'active'",
        vec![token.into()],
    );
    let rows = app.driver.query(&stmt).await.map_err(crate::items::db_error)?;
    let user = rows.rows.first().and_then(|r| match (r.first(), r.get(1)) {
        (Some(Value::Text(id)), role) => Some((id.clone(), role.and_then(|v| v.as_str()).map(str::to_string))),
        _ => None,
    });
    app.static_tokens.set(digest, user.clone(), now);
    Ok(user)
}

/// Compares two secrets in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (da, db): ([u8; 32], [u8; 32]) = (Sha256::digest(a).into(), Sha256::digest(b).into());
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
