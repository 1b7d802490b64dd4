//! Directus access tokens: HS256 JWTs signed with the project's SECRET, with
//! issuer `directus` and the claims `id`, `role`, `app_access`,
//! `admin_access` and, in session mode, `session`.

use chrono::{DateTime, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken};
use serde::{Deserialize, Serialize};

/// The issuer Directus writes and checks.
pub const ISSUER: &str = "directus";

/// The claims of an access token. `role`, `app_access` and `admin_access`
/// must be present (Directus answers INVALID_TOKEN otherwise); `role` may be null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Required but nullable: a token without it is refused.
    #[serde(deserialize_with = "present")]
    pub role: Option<String>,
    pub app_access: serde_json::Value,
    pub admin_access: serde_json::Value,
    /// The refresh token of the session this token belongs to (session mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub iss: Option<String>,
}

/// An `Option` field that must be present (serde otherwise reads a missing
/// `Option` as `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Why a token was refused, mapped to Directus's codes by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a Directus JWT (no `directus` issuer, not a JWT at all): Directus
    /// then looks it up as a static token.
    NotDirectus,
    /// Signed by Directus's issuer but invalid: bad signature, `alg: none`,
    /// another algorithm, malformed, not yet valid or missing claims.
    Invalid,
    Expired,
}

/// Signs `claims` for `ttl_ms` from `now_ms`.
pub fn sign(secret: &[u8], mut claims: AccessClaims, now_ms: i64, ttl_ms: i64) -> String {
    claims.iss = Some(ISSUER.to_string());
    let mut full = Claims::new(claims);
    full.issued_at = timestamp(now_ms);
    full.expiration = timestamp(now_ms + ttl_ms);
    let header = Header::empty().with_token_type("JWT");
    // HMAC signing of serializable claims cannot fail.
    Hs256.token(&header, &full, &Hs256Key::new(secret)).unwrap_or_default()
}

/// A verified token's claims and when it expires (ms; `None`: never).
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub claims: AccessClaims,
    pub expires_ms: Option<i64>,
}

/// Verifies a Directus JWT: signature first (in constant time), then expiry,
/// as jsonwebtoken does, so an expired forgery is INVALID, not EXPIRED.
pub fn verify(secret: &[u8], token: &str, now_ms: i64) -> Result<AccessClaims, TokenError> {
    verify_full(secret, token, now_ms).map(|v| v.claims)
}

/// `verify`, with the token's expiry.
pub fn verify_full(secret: &[u8], token: &str, now_ms: i64) -> Result<Verified, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::NotDirectus)?;
    // Only tokens Directus issued (`iss: directus`) are JWTs to verify.
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    match untrusted.deserialize_claims_unchecked::<Issuer>() {
        Ok(c) if c.custom.iss.as_deref() == Some(ISSUER) => {}
        _ => return Err(TokenError::NotDirectus),
    }
    // Any failure is INVALID_TOKEN: a bad signature, another algorithm
    // (`none` included), or claims without `role`, `app_access` or `admin_access`.
    let verified = Hs256
        .validator::<AccessClaims>(&Hs256Key::new(secret))
        .validate(&untrusted)
        .map_err(|_| TokenError::Invalid)?;
    let claims = verified.claims();
    let now = timestamp(now_ms);
    if claims.not_before.is_some_and(|nbf| Some(nbf) > now) {
        return Err(TokenError::Invalid);
    }
    if claims.expiration.is_some_and(|exp| Some(exp) <= now) {
        return Err(TokenError::Expired);
    }
    Ok(Verified { claims: claims.custom.clone(), expires_ms: claims.expiration.map(|e| e.timestamp_millis()) })
}

fn timestamp(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ms.div_euclid(1000), 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const SECRET: &[u8] = b"oracle-secret-0123456789";
    const NOW: i64 = 1_795_621_895_000;

    fn claims() -> AccessClaims {
        AccessClaims {
            id: Some("3fe64ae2-2429-4033-980a-193e7ffcbc2a".into()),
            role: Some("3e4afef0-b86a-4868-95c6-b99dd6deeb70".into()),
            app_access: true.into(),
            admin_access: true.into(),
            session: None,
            iss: None,
        }
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn round_trip_and_expiry() {
        let token = sign(SECRET, claims(), NOW, 900_000);
        let got = verify(SECRET, &token, NOW + 1000).unwrap();
        assert_eq!(got.id, claims().id);
        assert_eq!(got.iss.as_deref(), Some("directus"));
        assert_eq!(verify(SECRET, &token, NOW + 900_000), Err(TokenError::Expired));
        assert_eq!(verify(b"another key", &token, NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn verifies_a_token_directus_signed() {
        // Header and claims as Directus 12.4 writes them, signed with the oracle's SECRET.
        let payload = r#"{"id":"3fe64ae2-2429-4033-980a-193e7ffcbc2a","role":"3e4afef0-b86a-4868-95c6-b99dd6deeb70","app_access":true,"admin_access":true,"iat":1795621895,"exp":1795622795,"iss":"directus"}"#;
        let signing_input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(payload));
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(signing_input.as_bytes());
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let token = format!("{signing_input}.{sig}");
        assert!(verify(SECRET, &token, NOW).is_ok());
    }

    #[test]
    fn refuses_forgeries() {
        let token = sign(SECRET, claims(), NOW, 900_000);
        let parts: Vec<&str> = token.split('.').collect();
        // Tampered claims keep the old signature.
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(r#"{"id":"x","role":null,"app_access":true,"admin_access":true,"iss":"directus"}"#),
            parts[2]
        );
        assert_eq!(verify(SECRET, &tampered, NOW), Err(TokenError::Invalid));
        // alg: none with an empty signature.
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        assert_eq!(verify(SECRET, &none, NOW), Err(TokenError::Invalid));
        // Another issuer is not a Directus JWT at all.
        let other = sign_raw(r#"{"id":"x","role":null,"app_access":true,"admin_access":true,"iss":"someone-else"}"#);
        assert_eq!(verify(SECRET, &other, NOW), Err(TokenError::NotDirectus));
        // A Directus JWT without the `role` claim.
        let no_role = sign_raw(r#"{"id":"x","app_access":true,"admin_access":true,"iss":"directus"}"#);
        assert_eq!(verify(SECRET, &no_role, NOW), Err(TokenError::Invalid));
        assert_eq!(verify(SECRET, "notajwtatall", NOW), Err(TokenError::NotDirectus));
        assert_eq!(verify(SECRET, "garbage.token.here", NOW), Err(TokenError::NotDirectus));
    }

    fn sign_raw(payload: &str) -> String {
        use hmac::Mac;
        let signing_input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(payload));
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(signing_input.as_bytes());
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }
}
