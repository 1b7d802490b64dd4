//! Dates without a clock: formatting the host-given "now" and turning Directus
//! `$NOW(-7 days)` adjustments into SQLite date modifiers.

use crate::error::{ApiError, ApiResult};

/// `YYYY-MM-DDTHH:MM:SS.sssZ` for a Unix time in milliseconds.
pub fn iso_from_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// A parsed `$NOW` variable: `None` when the string is not one.
/// Returns SQLite modifiers (`+7 days`, `-1 months`) for the adjustment.
pub fn parse_now(value: &str) -> Option<ApiResult<Vec<String>>> {
    let v = value.trim();
    if v == "$NOW" {
        return Some(Ok(Vec::new()));
    }
    let inner = v.strip_prefix("$NOW(")?.strip_suffix(')')?;
    Some(parse_adjustment(inner))
}

/// `-7 days`, `+1 year 2 months`, `3h`: ms-style amounts and units (days by default).
fn parse_adjustment(s: &str) -> ApiResult<Vec<String>> {
    let bad = || ApiError::invalid_query(format!("Invalid $NOW adjustment \"{s}\""));
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let rest = rest.trim();
    let split = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let amount: f64 = rest[..split].parse().map_err(|_| bad())?;
    let unit = rest[split..].trim().to_ascii_lowercase();
    let (factor, sqlite_unit) = match unit.as_str() {
        "y" | "yr" | "yrs" | "year" | "years" => (1.0, "years"),
        "mo" | "mth" | "mths" | "month" | "months" => (1.0, "months"),
        "w" | "wk" | "wks" | "week" | "weeks" => (7.0, "days"),
        "" | "d" | "day" | "days" => (1.0, "days"),
        "h" | "hr" | "hrs" | "hour" | "hours" => (1.0, "hours"),
        "m" | "min" | "mins" | "minute" | "minutes" => (1.0, "minutes"),
        "s" | "sec" | "secs" | "second" | "seconds" => (1.0, "seconds"),
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => (0.001, "seconds"),
        _ => return Err(bad()),
    };
    let n = sign * amount * factor;
    Ok(vec![format!("{}{} {}", if n < 0.0 { "-" } else { "+" }, n.abs(), sqlite_unit)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_millis() {
        assert_eq!(iso_from_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_from_millis(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn parses_now() {
        assert_eq!(parse_now("$NOW").unwrap().unwrap(), Vec::<String>::new());
        assert_eq!(parse_now("$NOW(-7 days)").unwrap().unwrap(), vec!["-7 days"]);
        assert_eq!(parse_now("$NOW(+2 weeks)").unwrap().unwrap(), vec!["+14 days"]);
        assert_eq!(parse_now("$NOW(1 year)").unwrap().unwrap(), vec!["+1 years"]);
        assert_eq!(parse_now("$NOW(3h)").unwrap().unwrap(), vec!["+3 hours"]);
        assert!(parse_now("$NOW(soon)").unwrap().is_err());
        assert!(parse_now("now").is_none());
    }
}
