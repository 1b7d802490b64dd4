//! SQLite, libSQL, D1 and Durable-Object storage.

use super::{DatePart, Dialect, TextMatch};
use crate::schema::{Field, FieldType};
use crate::sql::builder::literal;

#[derive(Debug)]
pub struct Sqlite;

/// Most key/value pairs per JSON function call: D1 allows 32 arguments.
const PAIRS_PER_CALL: usize = 15;

impl Dialect for Sqlite {
    /// `json_object(k, v, ...)` for any number of pairs: past the first 15
    /// they are appended with chained `json_insert` calls, which (unlike
    /// `json_patch`) keeps null values, so no call passes D1's 32-argument
    /// limit.
    fn json_object(&self, pairs: &[(&str, String)]) -> String {
        let mut chunks = pairs.chunks(PAIRS_PER_CALL);
        let first = chunks.next().unwrap_or(&[]);
        let mut sql = format!(
            "json_object({})",
            first.iter().map(|(k, v)| format!("{}, {v}", literal(k))).collect::<Vec<_>>().join(", ")
        );
        for chunk in chunks {
            let more = chunk.iter().map(|(k, v)| format!("{}, {v}", literal(&format!("$.\"{k}\""))));
            sql = format!("json_insert({sql}, {})", more.collect::<Vec<_>>().join(", "));
        }
        sql
    }

    fn json_array(&self, items: &[String]) -> String {
        format!("json_array({})", items.join(", "))
    }

    /// The JSON subtype does not cross a sub-select: json() restores it.
    fn json_array_agg(&self, elem: &str, elem_is_json: bool) -> String {
        if elem_is_json {
            format!("json_group_array(json({elem}))")
        } else {
            format!("json_group_array({elem})")
        }
    }

    fn json_list(&self, param: &str, _elem: Option<&str>) -> String {
        format!("SELECT value FROM json_each({param})")
    }

    /// instr() and substr() rather than LIKE: exact substrings (no % or _
    /// wildcards), case-sensitive like Directus on Postgres, and no pattern
    /// length limit.
    fn text_match(&self, m: TextMatch, ci: bool, e: &str, p: &str) -> String {
        let part = match m {
            TextMatch::Contains => {
                return match ci {
                    true => format!("instr(lower({e}), lower({p})) > 0"),
                    false => format!("instr({e}, {p}) > 0"),
                }
            }
            TextMatch::StartsWith => format!("substr({e}, 1, length({p}))"),
            TextMatch::EndsWith => format!("substr({e}, -length({p}))"),
        };
        match ci {
            true => format!("lower({part}) = lower({p})"),
            false => format!("{part} = {p}"),
        }
    }

    fn lower(&self, e: &str) -> String {
        format!("lower({e})")
    }

    fn shape(&self, f: &Field, e: &str) -> String {
        match f.field_type {
            FieldType::Boolean => {
                format!("CASE WHEN {e} IS NULL THEN NULL WHEN {e} THEN json('true') ELSE json('false') END")
            }
            FieldType::Json => format!("CASE WHEN json_valid({e}) THEN json({e}) ELSE {e} END"),
            FieldType::Csv => format!(
                "CASE WHEN {e} IS NULL THEN NULL WHEN {e} = '' THEN json_array() ELSE json({}) END",
                super::csv_json_text(e)
            ),
            FieldType::Hash => format!("CASE WHEN {e} IS NULL THEN NULL ELSE '**********' END"),
            // Directus's output formats; text that is no date stays as stored.
            FieldType::DateTime => format!("coalesce(strftime('%Y-%m-%dT%H:%M:%S', {e}), {e})"),
            FieldType::Timestamp => format!("coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {e}), {e})"),
            FieldType::Date => format!("coalesce(strftime('%Y-%m-%d', {e}), {e})"),
            _ => e.to_string(),
        }
    }

    fn graphql_scalar(&self, f: &Field, e: String) -> String {
        if f.primary_key && f.field_type.is_numeric() {
            format!("CASE WHEN typeof({e}) IN ('integer', 'real') THEN CAST({e} AS TEXT) ELSE {e} END")
        } else if f.field_type == FieldType::BigInteger {
            format!("CASE WHEN typeof({e}) = 'integer' AND {e} <> 0 THEN CAST({e} AS TEXT) ELSE {e} END")
        } else {
            e
        }
    }

    fn date_part(&self, part: DatePart, e: &str) -> String {
        let fmt = match part {
            DatePart::Year => "%Y",
            DatePart::Month => "%m",
            DatePart::Week => "%W",
            DatePart::Day => "%d",
            DatePart::Weekday => "%w",
            DatePart::Hour => "%H",
            DatePart::Minute => "%M",
            DatePart::Second => "%S",
        };
        format!("CAST(strftime('{fmt}', {e}) AS INTEGER)")
    }

    fn json_array_length(&self, e: &str) -> String {
        format!("CASE WHEN json_valid({e}) THEN json_array_length({e}) ELSE NULL END")
    }

    /// Normalised so '2024-01-01' compares right with a stored
    /// '2024-01-01 10:00:00'.
    fn temporal(&self, ty: FieldType, e: &str) -> String {
        format!("coalesce(strftime('{}', {e}), {e})", temporal_format(ty))
    }

    /// A write transaction holds the whole database (BEGIN IMMEDIATE).
    fn lock_rows(&self) -> &'static str {
        ""
    }

    fn null_safe_eq(&self, a: &str, b: &str) -> String {
        format!("{a} IS {b}")
    }

    /// Directus on SQLite keeps Unix milliseconds.
    fn time_value(&self, ms: i64) -> crate::db::Value {
        crate::db::Value::Integer(ms)
    }

    /// SQLite needs a LIMIT before an OFFSET: -1 is "no limit".
    fn limit_offset(&self, limit: Option<u64>, offset: u64) -> String {
        match limit {
            Some(n) => format!(" LIMIT {n} OFFSET {offset}"),
            None => format!(" LIMIT -1 OFFSET {offset}"),
        }
    }

    fn now_adjusted(&self, ty: FieldType, now: &str, modifiers: &[String]) -> String {
        let args: Vec<&str> = std::iter::once(now).chain(modifiers.iter().map(String::as_str)).collect();
        format!("strftime('{}', {})", temporal_format(ty), args.join(", "))
    }
}

/// The text format rectus compares and stores each temporal type in.
fn temporal_format(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Date => "%Y-%m-%d",
        FieldType::Time => "%H:%M:%S",
        FieldType::Timestamp => "%Y-%m-%dT%H:%M:%fZ",
        _ => "%Y-%m-%d %H:%M:%S",
    }
}
