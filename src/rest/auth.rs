//! `/auth/login`, `/auth/refresh`, `/auth/logout`: Directus's bodies,
//! modes and cookies.

use super::response::{self, HttpResponse};
use crate::app::{App, AuthConfig};
use crate::auth::request::{cookie, ClientIp};
use crate::auth::session::{self, Client, Mode, Tokens};
use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use http::{header, HeaderValue, Request};
use serde_json::{json, Map, Value as Json};

/// `POST /auth/login {email, password, mode?}`.
pub async fn login(app: &App, req: &Request<Bytes>) -> ApiResult<HttpResponse> {
    let started = app.host.now_ms();
    let parsed = login_payload(req);
    let (email, password, mode) = match parsed {
        Ok(p) => p,
        Err(e) => {
            // Invalid payloads are stalled like every other outcome.
            session::stall_since(app, started).await;
            return Err(e);
        }
    };
    let tokens = session::login(app, &email, &password, mode, &client(req)).await?;
    Ok(answer(&app.config.auth, mode, &tokens, app.host.now_ms()))
}

/// `POST /auth/refresh {refresh_token?, mode?}`.
pub async fn refresh(app: &App, req: &Request<Bytes>) -> ApiResult<HttpResponse> {
    let (token, mode) = refresh_token(app, req)?;
    let tokens = session::refresh(app, &token, mode, &client(req)).await?;
    Ok(answer(&app.config.auth, mode, &tokens, app.host.now_ms()))
}

/// `POST /auth/logout {refresh_token?, mode?}`: 204, cookies cleared.
pub async fn logout(app: &App, req: &Request<Bytes>) -> ApiResult<HttpResponse> {
    let (token, _) = refresh_token(app, req)?;
    session::logout(app, &token).await?;
    let mut r = response::no_content();
    let auth = &app.config.auth;
    for name in [&auth.refresh_cookie_name, &auth.session_cookie_name] {
        if cookie(req, name).is_some() {
            append_cookie(
                &mut r,
                &format!(
                    "{name}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite={}",
                    auth.cookie_same_site
                ),
            );
        }
    }
    Ok(r)
}

/// The JSON object body (an absent or non-JSON body counts as `{}`).
fn body(req: &Request<Bytes>) -> Map<String, Json> {
    serde_json::from_slice::<Json>(req.body()).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default()
}

/// Email, password and mode, with Joi's messages.
fn login_payload(req: &Request<Bytes>) -> ApiResult<(String, String, Mode)> {
    let b = body(req);
    let email = match b.get("email") {
        None | Some(Json::Null) => return Err(ApiError::invalid_payload("\"email\" is required")),
        Some(Json::String(s)) if looks_like_email(s) => s.clone(),
        Some(_) => return Err(ApiError::invalid_payload("\"email\" must be a valid email")),
    };
    let password = match b.get("password") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ApiError::invalid_payload("\"password\" is required")),
    };
    Ok((email, password, mode(&b, Mode::Json)?))
}

/// The body's `mode`, or `default`.
fn mode(b: &Map<String, Json>, default: Mode) -> ApiResult<Mode> {
    match b.get("mode") {
        None | Some(Json::Null) => Ok(default),
        Some(v) => v
            .as_str()
            .and_then(Mode::parse)
            .ok_or_else(|| ApiError::invalid_payload("\"mode\" must be one of [cookie, json, session]")),
    }
}

/// Joi's email check, roughly: one `@`, a dot in the domain, a TLD of two or more letters.
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or("");
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !s.chars().any(char::is_whitespace)
}

/// The refresh token and mode of a refresh or logout: `mode` from the body,
/// else json when the body has a `refresh_token`, else cookie.
fn refresh_token(app: &App, req: &Request<Bytes>) -> ApiResult<(String, Mode)> {
    let b = body(req);
    let from_body = b.get("refresh_token").and_then(Json::as_str).filter(|t| !t.is_empty()).map(str::to_string);
    let mode = mode(&b, if from_body.is_some() { Mode::Json } else { Mode::Cookie })?;
    let auth = &app.config.auth;
    let token = match mode {
        Mode::Json => from_body,
        Mode::Cookie => cookie(req, &auth.refresh_cookie_name),
        Mode::Session => match cookie(req, &auth.session_cookie_name) {
            Some(jwt) => session::session_of(app, &jwt)?,
            None => None,
        },
    };
    let token = token
        .ok_or_else(|| ApiError::invalid_payload("The refresh token is required in either the payload or cookie"))?;
    Ok((token, mode))
}

pub(crate) fn client(req: &Request<Bytes>) -> Client {
    let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    Client {
        ip: req.extensions().get::<ClientIp>().map(|c| c.0),
        user_agent: header(header::USER_AGENT),
        origin: header(header::ORIGIN),
    }
}

/// The response of a login or refresh for `mode`.
fn answer(auth: &AuthConfig, mode: Mode, tokens: &Tokens, now_ms: i64) -> HttpResponse {
    let data = match mode {
        Mode::Json => {
            json!({"expires": tokens.expires_ms, "refresh_token": tokens.refresh_token, "access_token": tokens.access_token})
        }
        Mode::Cookie => json!({"expires": tokens.expires_ms, "access_token": tokens.access_token}),
        Mode::Session => json!({"expires": tokens.expires_ms}),
    };
    let mut r = response::json(&json!({ "data": data }));
    match mode {
        Mode::Json => {}
        Mode::Cookie => append_cookie(
            &mut r,
            &set_cookie(auth, &auth.refresh_cookie_name, &tokens.refresh_token, auth.refresh_token_ttl_ms, now_ms),
        ),
        Mode::Session => append_cookie(
            &mut r,
            &set_cookie(auth, &auth.session_cookie_name, &tokens.access_token, auth.session_cookie_ttl_ms, now_ms),
        ),
    }
    r
}

/// `name=value; Max-Age=..; Path=/; Expires=..; HttpOnly; SameSite=..`, as Directus sets them.
fn set_cookie(auth: &AuthConfig, name: &str, value: &str, ttl_ms: i64, now_ms: i64) -> String {
    let expires = chrono::DateTime::from_timestamp((now_ms + ttl_ms).div_euclid(1000), 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default();
    let mut c = format!("{name}={value}; Max-Age={}; Path=/; Expires={expires}; HttpOnly", ttl_ms / 1000);
    if let Some(domain) = &auth.cookie_domain {
        c += &format!("; Domain={domain}");
    }
    if auth.cookie_secure {
        c += "; Secure";
    }
    c += &format!("; SameSite={}", auth.cookie_same_site);
    c
}

fn append_cookie(r: &mut HttpResponse, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn emails_as_joi_accepts_them() {
        assert!(looks_like_email("admin@example.com"));
        assert!(!looks_like_email("not-an-email"));
        assert!(!looks_like_email("a@b.c"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(!looks_like_email("@example.com"));
    }
}
