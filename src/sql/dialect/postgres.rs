//! Postgres (12 and later; run against 15).
//!
//! Values keep their column types here, unlike SQLite: a list's elements
//! are cast to the column's type, shaping looks at the declared type
//! (`boolean` or an integer flagged `cast-boolean`), and big integers and
//! decimals come back as strings, as Directus returns them on Postgres.

use super::{DatePart, Dialect, TextMatch};
use crate::schema::{Field, FieldType};
use crate::sql::builder::literal;

#[derive(Debug)]
pub struct Postgres;

/// Most key/value pairs per `json_build_object` call: a function takes at
/// most 100 arguments.
const PAIRS_PER_CALL: usize = 50;

impl Dialect for Postgres {
    /// `json_build_object` (json, not jsonb, which would reorder the keys);
    /// wider objects are spliced from several as text.
    fn json_object(&self, pairs: &[(&str, String)]) -> String {
        let objects: Vec<String> = pairs
            .chunks(PAIRS_PER_CALL)
            .map(|chunk| {
                let args: Vec<String> = chunk.iter().map(|(k, v)| format!("{}, {v}", literal(k))).collect();
                format!("json_build_object({})", args.join(", "))
            })
            .collect();
        match objects.len() {
            0 => "json_build_object()".into(),
            1 => objects.into_iter().next().unwrap_or_default(),
            _ => {
                let last = objects.len() - 1;
                let parts: Vec<String> = objects
                    .iter()
                    .enumerate()
                    .map(|(i, o)| match i {
                        0 => format!("rtrim(CAST({o} AS text), '}}')"),
                        i if i == last => format!("ltrim(CAST({o} AS text), '{{')"),
                        _ => format!("trim(CAST({o} AS text), '{{}}')"),
                    })
                    .collect();
                format!("CAST({} AS json)", parts.join(" || ',' || "))
            }
        }
    }

    fn json_array(&self, items: &[String]) -> String {
        format!("json_build_array({})", items.join(", "))
    }

    /// json_agg of no rows is NULL, not `[]`.
    fn json_array_agg(&self, elem: &str, _elem_is_json: bool) -> String {
        format!("coalesce(json_agg({elem}), CAST('[]' AS json))")
    }

    /// Typed elements: Postgres has no `=` between text and integer or uuid.
    fn json_list(&self, param: &str, elem: Option<&str>) -> String {
        let elem = elem.unwrap_or("text");
        format!(
            "SELECT CAST(j.value AS {elem}) AS value FROM json_array_elements_text(CAST({param} AS json)) AS j(value)"
        )
    }

    /// strpos rather than LIKE: exact substrings, no wildcards. Non-text
    /// columns are matched on their text.
    fn text_match(&self, m: TextMatch, ci: bool, e: &str, p: &str) -> String {
        let e = format!("CAST({e} AS text)");
        let (e, p) = match ci {
            true => (format!("lower({e})"), format!("lower({p})")),
            false => (e, p.to_string()),
        };
        match m {
            TextMatch::Contains => format!("strpos({e}, {p}) > 0"),
            TextMatch::StartsWith => format!("left({e}, length({p})) = {p}"),
            TextMatch::EndsWith => format!("right({e}, length({p})) = {p}"),
        }
    }

    fn lower(&self, e: &str) -> String {
        format!("lower(CAST({e} AS text))")
    }

    fn shape(&self, f: &Field, e: &str) -> String {
        let decl = f.db_type.as_deref().unwrap_or("");
        match f.field_type {
            FieldType::Boolean if decl == "boolean" => e.to_string(),
            FieldType::Boolean => format!("({e} <> 0)"),
            FieldType::Json if decl == "json" || decl == "jsonb" => e.to_string(),
            FieldType::Json => format!("CAST({e} AS json)"),
            FieldType::Csv => format!(
                "CASE WHEN {e} IS NULL THEN NULL WHEN {e} = '' THEN CAST('[]' AS json) ELSE array_to_json(string_to_array({e}, ',')) END"
            ),
            FieldType::Hash => format!("CASE WHEN {e} IS NULL THEN NULL ELSE '**********' END"),
            // Directus's output formats for real date columns; text stays text.
            FieldType::DateTime if decl.starts_with("timestamp") => {
                format!("to_char({e}, 'YYYY-MM-DD\"T\"HH24:MI:SS')")
            }
            FieldType::Timestamp if decl.starts_with("timestamp") => {
                format!("to_char({e} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            }
            FieldType::Date if decl == "date" => format!("to_char({e}, 'YYYY-MM-DD')"),
            FieldType::BigInteger | FieldType::Decimal => format!("CAST({e} AS text)"),
            _ => e.to_string(),
        }
    }

    /// Numeric keys as text (big integers are text already).
    fn graphql_scalar(&self, f: &Field, e: String) -> String {
        if f.primary_key && matches!(f.field_type, FieldType::Integer | FieldType::Float) {
            format!("CAST({e} AS text)")
        } else {
            e
        }
    }

    fn date_part(&self, part: DatePart, e: &str) -> String {
        let field = match part {
            DatePart::Year => "YEAR",
            DatePart::Month => "MONTH",
            DatePart::Day => "DAY",
            DatePart::Weekday => "DOW",
            DatePart::Hour => "HOUR",
            DatePart::Minute => "MINUTE",
            DatePart::Second => return format!("CAST(floor(EXTRACT(SECOND FROM {e})) AS integer)"),
            // SQLite's %W: weeks starting on Monday, 0 before the first one.
            DatePart::Week => {
                return format!(
                    "((CAST(EXTRACT(DOY FROM {e}) AS integer) + 7 - CAST(EXTRACT(ISODOW FROM {e}) AS integer)) / 7)"
                )
            }
        };
        format!("CAST(EXTRACT({field} FROM {e}) AS integer)")
    }

    fn json_array_length(&self, e: &str) -> String {
        format!(
            "CASE WHEN json_typeof(CAST({e} AS json)) = 'array' THEN json_array_length(CAST({e} AS json)) ELSE NULL END"
        )
    }

    /// The server parses a bound text into the column's type; a date and
    /// time with an offset is moved to UTC first, as on SQLite (a
    /// `timestamp` column would drop the offset).
    fn temporal(&self, ty: FieldType, e: &str) -> String {
        match ty {
            FieldType::DateTime => format!("(CAST({e} AS timestamptz) AT TIME ZONE 'UTC')"),
            FieldType::Timestamp => format!("CAST({e} AS timestamptz)"),
            _ => e.to_string(),
        }
    }

    fn lock_rows(&self) -> &'static str {
        " FOR UPDATE"
    }

    fn null_safe_eq(&self, a: &str, b: &str) -> String {
        format!("{a} IS NOT DISTINCT FROM {b}")
    }

    /// ISO text, which a timestamptz parameter parses.
    fn time_value(&self, ms: i64) -> crate::db::Value {
        crate::db::Value::Text(crate::sql::time::iso_from_millis(ms))
    }

    fn limit_offset(&self, limit: Option<u64>, offset: u64) -> String {
        match limit {
            Some(n) => format!(" LIMIT {n} OFFSET {offset}"),
            None => format!(" OFFSET {offset}"),
        }
    }

    /// SQLite-style modifiers (`-7 days`, `+1 years`) are interval text.
    fn now_adjusted(&self, _ty: FieldType, now: &str, modifiers: &[String]) -> String {
        let mut sql = format!("CAST({now} AS timestamptz)");
        for m in modifiers {
            sql = format!("{sql} + CAST({m} AS interval)");
        }
        format!("({sql})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_objects_are_spliced_from_several_calls() {
        let pairs: Vec<(String, String)> = (0..120).map(|i| (format!("k{i}"), format!("{i}"))).collect();
        let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let sql = Postgres.json_object(&pairs);
        assert_eq!(sql.matches("json_build_object(").count(), 3);
        assert!(sql.starts_with("CAST(rtrim(CAST(json_build_object('k0', 0"));
    }
}
