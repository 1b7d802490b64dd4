//! Authentication: who a request comes from. Access tokens (JWT), password
//! hashes, refresh sessions and static tokens, as Directus does them.

pub mod jwt;
pub mod password;
pub mod random;
pub mod request;
pub mod session;

pub use request::{authenticate, ClientIp, StaticTokenCache, VerifiedTokenCache};

/// The key access tokens are signed with: `SECRET`, or (unset or empty, which
/// would make tokens forgeable) random bytes, so tokens then verify only
/// where they were signed.
pub fn signing_secret(given: Option<&str>, host: &dyn crate::app::Host) -> Vec<u8> {
    match given {
        Some(s) if !s.trim().is_empty() => s.as_bytes().to_vec(),
        given => {
            let what = if given.is_some() { "SECRET is empty" } else { "SECRET is not set" };
            tracing::warn!("{what}: a random one is used; tokens verify only on this process and end with it");
            let mut s = vec![0u8; 32];
            host.fill_random(&mut s);
            s
        }
    }
}

/// `15m`, `7d`, `10s`, `500ms` or plain milliseconds (the `ms` package's forms).
pub fn duration_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().map_err(|_| format!("not a duration: {s}"))?;
    let factor = match unit.trim() {
        "" | "ms" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "w" | "week" | "weeks" => 604_800_000.0,
        other => return Err(format!("unknown duration unit \"{other}\" in {s}")),
    };
    Ok((n * factor) as i64)
}

#[cfg(test)]
mod tests {
    use super::duration_ms;

    #[test]
    fn durations_in_ms_forms() {
        assert_eq!(duration_ms("15m"), Ok(900_000));
        assert_eq!(duration_ms("7d"), Ok(604_800_000));
        assert_eq!(duration_ms("500"), Ok(500));
        assert_eq!(duration_ms("10s"), Ok(10_000));
        assert!(duration_ms("soon").is_err());
    }
}
