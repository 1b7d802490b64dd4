//! Logging in, refreshing and logging out, as Directus does: refresh tokens
//! are rows of `directus_sessions` (rotated on every refresh), access tokens
//! are JWTs, failed logins are counted per user and suspend them past the
//! project's limit.

use super::jwt::{self, AccessClaims, TokenError};
use super::random;
use crate::access::Caller;
use crate::app::App;
use crate::cache::VersionedTx;
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::items::db_error;
use std::net::IpAddr;

/// Where the client wants its tokens (Directus's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Both tokens in the response body.
    Json,
    /// The refresh token in an httpOnly cookie, the access token in the body.
    Cookie,
    /// The access token itself in an httpOnly cookie (its `session` claim
    /// names the refresh token).
    Session,
}

impl Mode {
    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "json" => Some(Mode::Json),
            "cookie" => Some(Mode::Cookie),
            "session" => Some(Mode::Session),
            _ => None,
        }
    }
}

/// What a login or refresh hands out.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Milliseconds the access token lives.
    pub expires_ms: i64,
}

/// Request details stored with a session.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
}

/// A user row as login needs it.
struct UserRow {
    id: String,
    password: Option<String>,
    status: String,
    role: Option<String>,
    provider: String,
}

/// Checks the credentials and opens a session. Every outcome, success
/// included, answers no sooner than LOGIN_STALL_TIME after it started, so
/// timing tells nothing about which check failed.
pub async fn login(app: &App, email: &str, password: &str, mode: Mode, client: &Client) -> ApiResult<Tokens> {
    let started = app.host.now_ms();
    let result = try_login(app, email, password, mode, client).await;
    stall_since(app, started).await;
    result
}

/// Waits until LOGIN_STALL_TIME has passed since `started_ms`.
pub async fn stall_since(app: &App, started_ms: i64) {
    let waited = app.host.now_ms() - started_ms;
    let stall = app.config.auth.login_stall_ms as i64;
    if waited < stall {
        app.host.sleep((stall - waited) as u64).await;
    }
}

async fn try_login(app: &App, email: &str, password: &str, mode: Mode, client: &Client) -> ApiResult<Tokens> {
    let user = find_user(app, email).await?.ok_or_else(ApiError::invalid_credentials)?;
    if user.status != "active" || user.provider != "default" {
        return Err(ApiError::invalid_credentials());
    }
    if let Some(limit) = app.access().login_attempts {
        if failures(app, &user.id).await? >= limit as i64 {
            // One attempt past the limit suspends the user (Directus issues
            // tokens if that attempt's password is right; rectus refuses it).
            suspend(app, &user.id).await?;
            return Err(ApiError::invalid_credentials());
        }
    }
    let hash = user.password.clone().unwrap_or_default();
    if hash.is_empty() || !app.host.verify_password(hash, password.to_string()).await {
        record_failure(app, &user.id).await?;
        return Err(ApiError::invalid_credentials());
    }
    let refresh_token = random::token(app.host.as_ref(), 64);
    let now = app.host.now_ms();
    let auth = &app.config.auth;
    let mut tx = VersionedTx::begin(app).await.map_err(db_error)?;
    // The user's row first: its lock orders two logins of one user (the
    // session's foreign key would have both share it, then both wait to
    // write it: a deadlock on MariaDB and Postgres).
    let mut statements = vec![
        Statement::with_params(
            "UPDATE directus_users SET last_access = ?1 WHERE id = ?2",
            vec![at(app, now), user.id.clone().into()],
        ),
        insert_session(&refresh_token, &user.id, at(app, now + auth.refresh_token_ttl_ms), client),
    ];
    if counts_failures(app) {
        statements.push(Statement::with_params(
            r#"DELETE FROM rectus_login_failures WHERE "user" = ?1"#,
            vec![user.id.clone().into()],
        ));
    }
    for s in &statements {
        tx.execute(s).await.map_err(db_error)?;
    }
    tx.commit(app, &app.schema()).await.map_err(db_error)?;
    drop_expired_sessions(app, now).await;
    let session = (mode == Mode::Session).then(|| refresh_token.clone());
    Ok(tokens(app, &user.id, user.role, session, refresh_token, client.ip))
}

/// Housekeeping after a login, in a transaction of its own: the scan of
/// every session locks them all, which inside the login's transaction made
/// concurrent logins deadlock. A failure here costs the login nothing.
async fn drop_expired_sessions(app: &App, now: i64) {
    let expired = Statement::with_params("DELETE FROM directus_sessions WHERE expires < ?1", vec![at(app, now)]);
    let dropped = async {
        let mut tx = VersionedTx::begin(app).await?;
        tx.execute(&expired).await?;
        tx.commit(app, &app.schema()).await
    };
    if let Err(e) = dropped.await {
        tracing::warn!("expired sessions stay until the next login: {e}");
    }
}

/// Trades a refresh token for new tokens. The old refresh token is dead at
/// once (session mode keeps it for the grace period, answering with the
/// same successor).
pub async fn refresh(app: &App, token: &str, mode: Mode, client: &Client) -> ApiResult<Tokens> {
    let now = app.host.now_ms();
    let auth = &app.config.auth;
    let stmt = Statement::with_params(
        r#"SELECT s."user", s.next_token, u.status, u.role FROM directus_sessions s LEFT JOIN directus_users u ON u.id = s."user" WHERE s.token = ?1 AND s.expires >= ?2"#,
        vec![token.into(), at(app, now)],
    );
    let rows = app.driver.query(&stmt).await.map_err(db_error)?;
    let row = rows.rows.into_iter().next().ok_or_else(ApiError::invalid_credentials)?;
    let text = |i: usize| row.get(i).and_then(Value::as_str).map(str::to_string);
    let user = text(0).ok_or_else(ApiError::invalid_credentials)?;
    let status = text(2).ok_or_else(ApiError::invalid_credentials)?;
    if status != "active" {
        delete_session(app, token).await?;
        return Err(if status == "suspended" {
            ApiError::new(ErrorCode::UserSuspended, "User suspended.")
        } else {
            ApiError::invalid_credentials()
        });
    }
    let role = text(3);
    // A session in its grace period is session mode's alone: rotating it in
    // another mode would fork it.
    if mode != Mode::Session && text(1).is_some() {
        return Err(ApiError::invalid_credentials());
    }
    let mut tx = VersionedTx::begin(app).await.map_err(db_error)?;
    // The session must still be as read when the rotation commits: of two
    // refreshes racing with one token, the second finds it gone and fails
    // (a guard, so it holds inside D1's atomic batch too).
    let unchanged = Statement::with_params(
        format!(
            "SELECT 1 FROM directus_sessions WHERE token = ?1 AND expires >= ?2 AND {}{}",
            app.dialect().null_safe_eq("next_token", "?3"),
            app.dialect().lock_rows()
        ),
        vec![token.into(), at(app, now), text(1).into()],
    );
    tx.guard(&unchanged).await.map_err(lost_race)?;
    let next = match (mode, text(1)) {
        // A repeated refresh inside the grace period: the same successor.
        (Mode::Session, Some(next)) => {
            tx.execute(&Statement::with_params(
                "UPDATE directus_sessions SET expires = ?1 WHERE token = ?2",
                vec![at(app, now + auth.session_cookie_ttl_ms), next.clone().into()],
            ))
            .await
            .map_err(db_error)?;
            next
        }
        (Mode::Session, None) => {
            let next = random::token(app.host.as_ref(), 64);
            tx.execute(&Statement::with_params(
                "UPDATE directus_sessions SET next_token = ?1, expires = ?2 WHERE token = ?3",
                vec![next.clone().into(), at(app, now + auth.session_refresh_grace_ms), token.into()],
            ))
            .await
            .map_err(db_error)?;
            tx.execute(&insert_session(&next, &user, at(app, now + auth.session_cookie_ttl_ms), client))
                .await
                .map_err(db_error)?;
            next
        }
        _ => {
            let next = random::token(app.host.as_ref(), 64);
            tx.execute(&Statement::with_params(
                "UPDATE directus_sessions SET token = ?1, expires = ?2 WHERE token = ?3",
                vec![next.clone().into(), at(app, now + auth.refresh_token_ttl_ms), token.into()],
            ))
            .await
            .map_err(db_error)?;
            next
        }
    };
    tx.execute(&Statement::with_params(
        "UPDATE directus_users SET last_access = ?1 WHERE id = ?2",
        vec![at(app, now), user.clone().into()],
    ))
    .await
    .map_err(db_error)?;
    tx.commit(app, &app.schema()).await.map_err(lost_race)?;
    let session = (mode == Mode::Session).then(|| next.clone());
    Ok(tokens(app, &user, role, session, next, client.ip))
}

/// The time `ms` as the system tables' datetime columns take it.
fn at(app: &App, ms: i64) -> Value {
    app.dialect().time_value(ms)
}

/// A new `directus_sessions` row.
fn insert_session(token: &str, user: &str, expires: Value, client: &Client) -> Statement {
    Statement::with_params(
        r#"INSERT INTO directus_sessions (token, "user", expires, ip, user_agent, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#,
        vec![
            token.into(),
            user.into(),
            expires,
            client.ip.map(|ip| ip.to_string()).into(),
            client.user_agent.clone().map(|ua| ua.chars().take(1024).collect::<String>()).into(),
            client.origin.clone().into(),
        ],
    )
}

/// A refresh whose session changed before it committed (the guard failed,
/// at once or inside D1's batch): the token was used already.
fn lost_race(e: crate::db::DbError) -> ApiError {
    match e {
        crate::db::DbError::Guard => ApiError::invalid_credentials(),
        e => db_error(e),
    }
}

/// Ends the session of `token`. Unknown tokens are no error.
pub async fn logout(app: &App, token: &str) -> ApiResult<()> {
    delete_session(app, token).await
}

/// The refresh token a session-mode JWT (from the session cookie) names.
pub fn session_of(app: &App, jwt_text: &str) -> ApiResult<Option<String>> {
    match jwt::verify(&app.config.auth.secret, jwt_text, app.host.now_ms()) {
        Ok(claims) => Ok(claims.session),
        Err(TokenError::Expired) => Err(ApiError::token_expired()),
        Err(TokenError::Invalid) => Err(ApiError::invalid_token()),
        Err(TokenError::NotDirectus) => Ok(None),
    }
}

/// The access token for a user, with Directus's claims; its flags come
/// from the user's policies now.
fn tokens(
    app: &App,
    user: &str,
    role: Option<String>,
    session: Option<String>,
    refresh: String,
    ip: Option<IpAddr>,
) -> Tokens {
    let caller = Caller::resolve(&app.access(), Some(user.to_string()), role.clone(), ip);
    let auth = &app.config.auth;
    let ttl = if session.is_some() { auth.session_cookie_ttl_ms } else { auth.access_token_ttl_ms };
    let claims = AccessClaims {
        id: Some(user.to_string()),
        role,
        app_access: caller.policies.app.into(),
        admin_access: caller.policies.admin.into(),
        session,
        iss: None,
    };
    Tokens {
        access_token: jwt::sign(&auth.secret, claims, app.host.now_ms(), ttl),
        refresh_token: refresh,
        expires_ms: ttl,
    }
}

async fn find_user(app: &App, email: &str) -> ApiResult<Option<UserRow>> {
    let stmt = Statement::with_params(
        "SELECT id, password, status, role, provider FROM directus_users WHERE lower(email) = lower(?1)",
        vec![email.into()],
    );
    let rows = app.driver.query(&stmt).await.map_err(db_error)?;
    Ok(rows.rows.into_iter().next().and_then(|r| {
        let text = |i: usize| r.get(i).and_then(Value::as_str).map(str::to_string);
        Some(UserRow {
            id: text(0)?,
            password: text(1),
            status: text(2).unwrap_or_default(),
            role: text(3),
            provider: text(4).unwrap_or_else(|| "default".into()),
        })
    }))
}

/// rectus's count of failed logins per user (migration 0001). A database
/// Directus made has none until `rectus bootstrap` adds it: logins work
/// without it, but failures are not counted.
const FAILURES_TABLE: &str = "rectus_login_failures";

fn counts_failures(app: &App) -> bool {
    app.schema().collection(FAILURES_TABLE).is_some()
}

/// Failed logins of `user` since their last success.
async fn failures(app: &App, user: &str) -> ApiResult<i64> {
    if !counts_failures(app) {
        return Ok(0);
    }
    let stmt =
        Statement::with_params(r#"SELECT failures FROM rectus_login_failures WHERE "user" = ?1"#, vec![user.into()]);
    Ok(app.driver.query(&stmt).await.map_err(db_error)?.scalar().and_then(Value::as_i64).unwrap_or(0))
}

async fn record_failure(app: &App, user: &str) -> ApiResult<()> {
    if !counts_failures(app) {
        return Ok(());
    }
    let mut tx = VersionedTx::begin(app).await.map_err(db_error)?;
    let upsert =
        app.dialect().on_conflict_update(r#""user""#, r#""failures" = "rectus_login_failures"."failures" + 1"#);
    tx.execute(&Statement::with_params(
        format!(r#"INSERT INTO "rectus_login_failures" ("user", "failures") VALUES (?1, 1){upsert}"#),
        vec![user.into()],
    ))
    .await
    .map_err(db_error)?;
    tx.commit(app, &app.schema()).await.map_err(db_error)
}

/// Suspends a user: status `suspended`, sessions ended, count reset.
async fn suspend(app: &App, user: &str) -> ApiResult<()> {
    let mut tx = VersionedTx::begin(app).await.map_err(db_error)?;
    let mut statements = vec![
        "UPDATE directus_users SET status = 'suspended' WHERE id = ?1",
        r#"DELETE FROM directus_sessions WHERE "user" = ?1"#,
    ];
    if counts_failures(app) {
        statements.push(r#"DELETE FROM rectus_login_failures WHERE "user" = ?1"#);
    }
    for sql in statements {
        tx.execute(&Statement::with_params(sql, vec![user.into()])).await.map_err(db_error)?;
    }
    tx.commit(app, &app.schema()).await.map_err(db_error)?;
    app.static_tokens.clear();
    Ok(())
}

async fn delete_session(app: &App, token: &str) -> ApiResult<()> {
    let mut tx = VersionedTx::begin(app).await.map_err(db_error)?;
    tx.execute(&Statement::with_params("DELETE FROM directus_sessions WHERE token = ?1", vec![token.into()]))
        .await
        .map_err(db_error)?;
    tx.commit(app, &app.schema()).await.map_err(db_error)
}
