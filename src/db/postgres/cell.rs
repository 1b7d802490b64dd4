//! Values across the Postgres wire: parameters go in text format with their
//! type left to the server, cells come back binary and become [`Value`]s.
//!
//! Text parameters give Postgres SQLite's loose typing: `'5'` binds to an
//! integer column, `'1'` to a boolean, a uuid string to a uuid, an ISO date
//! to a timestamp. Binary `i64` into `int4` or text into `uuid` would fail.

use crate::db::Value;
use bytes::{BufMut, BytesMut};
use std::error::Error;
use tokio_postgres::types::{Format, FromSql, IsNull, ToSql, Type};

type BoxError = Box<dyn Error + Sync + Send>;

/// A parameter, sent as text whatever type the server inferred.
#[derive(Debug)]
pub struct PgParam<'a>(pub &'a Value);

impl ToSql for PgParam<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Integer(i) => out.put_slice(i.to_string().as_bytes()),
            Value::Real(f) => out.put_slice(f.to_string().as_bytes()),
            Value::Text(s) => out.put_slice(s.as_bytes()),
            // bytea's text form.
            Value::Blob(b) => {
                out.put_slice(b"\\x");
                for byte in b {
                    out.put_slice(format!("{byte:02x}").as_bytes());
                }
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A result cell as the core's [`Value`]: booleans as 1/0 and dates as ISO
/// text, as SQLite hands them back; numeric as exact text.
#[derive(Debug)]
pub struct PgCell(pub Value);

impl<'a> FromSql<'a> for PgCell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgCell(decode(ty, raw)?))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgCell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn decode(ty: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    Ok(match *ty {
        Type::BOOL => Value::Integer(bool::from_sql(ty, raw)? as i64),
        Type::INT2 => Value::Integer(i16::from_sql(ty, raw)? as i64),
        Type::INT4 => Value::Integer(i32::from_sql(ty, raw)? as i64),
        Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
        Type::OID => Value::Integer(u32::from_sql(ty, raw)? as i64),
        Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)? as f64),
        Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
        Type::NUMERIC => Value::Text(numeric_text(raw)?),
        Type::BYTEA => Value::Blob(raw.to_vec()),
        Type::JSON => Value::Text(crate::db::compact_json(std::str::from_utf8(raw)?)),
        Type::UUID => Value::Text(uuid_text(raw)?),
        // jsonb's binary form is a version byte, then the JSON text.
        Type::JSONB => Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_string()),
        Type::DATE => Value::Text(date_text(i32::from_sql(ty, raw)?)),
        Type::TIMESTAMP => Value::Text(timestamp_text(i64::from_sql(ty, raw)?, "")),
        Type::TIMESTAMPTZ => Value::Text(timestamp_text(i64::from_sql(ty, raw)?, "Z")),
        Type::TIME => Value::Text(time_text(i64::from_sql(ty, raw)?)),
        // text, varchar, bpchar, name, json, "char", enums and the like
        // arrive as their text.
        _ => match std::str::from_utf8(raw) {
            Ok(s) => Value::Text(s.to_string()),
            Err(_) => return Err(format!("cannot read a value of type {}", ty.name()).into()),
        },
    })
}

/// Postgres's epoch, in days and microseconds from 1970-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_DAY: i64 = 86_400_000_000;

fn date_text(days: i32) -> String {
    match chrono::NaiveDate::from_num_days_from_ce_opt(days + PG_EPOCH_DAYS as i32 + 719_163) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => "infinity".into(),
    }
}

fn timestamp_text(micros: i64, zone: &str) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let date = date_text((days) as i32);
    let time = time_text(micros.rem_euclid(MICROS_PER_DAY));
    format!("{date}T{time}{zone}")
}

/// `HH:MM:SS`, with the fraction when there is one (to the millisecond
/// when it is whole milliseconds).
fn time_text(micros: i64) -> String {
    let (secs, frac) = (micros / 1_000_000, micros % 1_000_000);
    let base = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    match frac {
        0 => base,
        f if f % 1000 == 0 => format!("{base}.{:03}", f / 1000),
        f => format!("{base}.{f:06}"),
    }
}

fn uuid_text(raw: &[u8]) -> Result<String, BoxError> {
    if raw.len() != 16 {
        return Err("a uuid is 16 bytes".into());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

/// numeric's binary form (base-10000 digits with a weight and a display
/// scale) as its exact decimal text.
fn numeric_text(raw: &[u8]) -> Result<String, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(i * 2..i * 2 + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short numeric".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)? as usize, word(1)? as i64, word(2)? as u16, word(3)? as usize);
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits = (0..ndigits).map(|i| word(4 + i)).collect::<Result<Vec<_>, _>>()?;
    let digit = |i: i64| if i >= 0 && (i as usize) < digits.len() { digits[i as usize] } else { 0 };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        out.push_str(&digit(0).to_string());
        for i in 1..=weight {
            out.push_str(&format!("{:04}", digit(i)));
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut i = weight + 1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
        let mut raw = Vec::new();
        for w in [ndigits, weight, sign as i16, dscale as i16].iter().chain(digits) {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numerics_read_as_exact_text() {
        assert_eq!(numeric_text(&numeric(2, 0, 0, 2, &[12, 5000])).unwrap(), "12.50");
        assert_eq!(numeric_text(&numeric(2, 1, 0x4000, 0, &[1, 2])).unwrap(), "-10002");
        assert_eq!(numeric_text(&numeric(1, -1, 0, 3, &[50])).unwrap(), "0.005");
        assert_eq!(numeric_text(&numeric(0, 0, 0, 0, &[])).unwrap(), "0");
    }

    #[test]
    fn json_loses_the_spaces_between_tokens_only() {
        let pretty = "[{\"a b\" : 1, \"c\" : \"x \\\" y\"}, \n {\"d\" : [1, 2]}]";
        assert_eq!(crate::db::compact_json(pretty), r#"[{"a b":1,"c":"x \" y"},{"d":[1,2]}]"#);
    }

    #[test]
    fn dates_and_times_read_as_iso_text() {
        assert_eq!(date_text(0), "2000-01-01");
        assert_eq!(date_text(-1), "1999-12-31");
        assert_eq!(timestamp_text(86_400_000_000 + 3_723_456_000, "Z"), "2000-01-02T01:02:03.456Z");
        assert_eq!(timestamp_text(-1_000_000, ""), "1999-12-31T23:59:59");
        assert_eq!(uuid_text(&[0xab; 16]).unwrap(), "abababab-abab-abab-abab-abababababab");
    }
}
