//! MariaDB (10.6 and later; run against 10.11). Connections run in ANSI
//! mode (see `db::mysql::SESSION_SQL_MODE`), so quoting and `||` are as
//! elsewhere; what differs is here.
//!
//! JSON: MariaDB's JSON is text that functions mark as JSON while it flows
//! straight from one JSON function into another; CASE with a text branch,
//! COALESCE with text and sub-selects through derived tables lose the mark,
//! so values that must stay JSON go through JSON_EXTRACT(…, '$').
//! Nested lists: MariaDB has no derived tables correlated to an outer row,
//! so a one-to-many list aggregates its rows directly, with JSON_ARRAYAGG's
//! own ORDER BY and LIMIT.

use super::{DatePart, Dialect, TextMatch};
use crate::schema::{Field, FieldType};
use crate::sql::builder::literal;

#[derive(Debug)]
pub struct MariaDb;

/// `e` taken as JSON text again.
fn as_json(e: &str) -> String {
    format!("JSON_EXTRACT({e}, '$')")
}

/// Text `t` parsed as a date and time: ISO's `T` and `Z` are not MariaDB's.
fn datetime(t: &str) -> String {
    format!("CAST(REPLACE(REPLACE({t}, 'T', ' '), 'Z', '') AS DATETIME(3))")
}

/// Text `t` parsed as a date and time in UTC: one with an offset
/// (`+02:00`) is moved by it, as on SQLite.
fn utc_datetime(t: &str) -> String {
    format!(
        "CASE WHEN {t} REGEXP '[+-][0-9]{{2}}:[0-9]{{2}}$' THEN CONVERT_TZ({}, RIGHT({t}, 6), '+00:00') ELSE {} END",
        datetime(&format!("LEFT({t}, CHAR_LENGTH({t}) - 6)")),
        datetime(t)
    )
}

/// The JSON_TABLE column type of a list compared with a column declared
/// `decl`: numbers and dates as declared, text in the column's collation
/// (MariaDB refuses to compare text of two collations).
fn list_type(decl: &str) -> Option<String> {
    let base = decl.split(['(', ' ']).next().unwrap_or("").to_ascii_lowercase();
    match base.as_str() {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal" | "numeric" | "float"
        | "double" | "real" | "date" | "datetime" | "time" | "year" => Some(decl.to_string()),
        "timestamp" => Some("datetime(6)".into()),
        _ => {
            let at = decl.to_ascii_lowercase().find(" collate ")?;
            let collation = decl[at + " collate ".len()..].split_whitespace().next()?;
            Some(format!("LONGTEXT COLLATE {collation}"))
        }
    }
}

impl Dialect for MariaDb {
    fn json_object(&self, pairs: &[(&str, String)]) -> String {
        let args: Vec<String> = pairs.iter().map(|(k, v)| format!("{}, {v}", literal(k))).collect();
        format!("JSON_OBJECT({})", args.join(", "))
    }

    fn json_array(&self, items: &[String]) -> String {
        format!("JSON_ARRAY({})", items.join(", "))
    }

    fn json_array_agg(&self, elem: &str, elem_is_json: bool) -> String {
        let elem = if elem_is_json { as_json(elem) } else { elem.to_string() };
        format!("COALESCE(JSON_ARRAYAGG({elem}), JSON_ARRAY())")
    }

    fn json_array_agg_ordered(&self, elem: &str, order: &str) -> String {
        format!("COALESCE(JSON_ARRAYAGG({elem} ORDER BY {order}), JSON_ARRAY())")
    }

    fn keeps_subquery_order(&self) -> bool {
        false
    }

    /// Aggregated straight from the child table (no correlated derived
    /// table); the ORDER BY and LIMIT go inside JSON_ARRAYAGG.
    fn child_list(&self, value: &str, _value_is_json: bool, from_where: &str, order: &str, limit: &str) -> String {
        format!("(SELECT COALESCE(JSON_ARRAYAGG({value}{order}{limit}), JSON_ARRAY()) FROM {from_where})")
    }

    /// Text of no known collation takes the connection's.
    fn json_list(&self, param: &str, elem: Option<&str>) -> String {
        match elem.and_then(list_type) {
            Some(ty) => format!("SELECT j.value FROM JSON_TABLE({param}, '$[*]' COLUMNS (value {ty} PATH '$')) AS j"),
            None => format!(
                "SELECT CAST(j.value AS CHAR) AS value FROM JSON_TABLE({param}, '$[*]' COLUMNS (value LONGTEXT PATH '$')) AS j"
            ),
        }
    }

    /// LOCATE/LEFT/RIGHT rather than LIKE: exact substrings. The
    /// case-sensitive forms compare bytes, as the column's collation would
    /// ignore case (and accents).
    fn text_match(&self, m: TextMatch, ci: bool, e: &str, p: &str) -> String {
        let (e, p, len) = match ci {
            true => (format!("LOWER({e})"), format!("LOWER({p})"), format!("CHAR_LENGTH({p})")),
            false => {
                let p = format!("CAST({p} AS BINARY)");
                (format!("CAST({e} AS BINARY)"), p.clone(), format!("LENGTH({p})"))
            }
        };
        match m {
            TextMatch::Contains => format!("LOCATE({p}, {e}) > 0"),
            TextMatch::StartsWith => format!("LEFT({e}, {len}) = {p}"),
            TextMatch::EndsWith => format!("RIGHT({e}, {len}) = {p}"),
        }
    }

    fn lower(&self, e: &str) -> String {
        format!("LOWER({e})")
    }

    fn shape(&self, f: &Field, e: &str) -> String {
        let decl = f.db_type.as_deref().unwrap_or("").to_ascii_lowercase();
        match f.field_type {
            FieldType::Boolean => format!(
                "CASE WHEN {e} IS NULL THEN NULL WHEN {e} THEN JSON_EXTRACT('true', '$') ELSE JSON_EXTRACT('false', '$') END"
            ),
            FieldType::Json => as_json(&format!("CASE WHEN JSON_VALID({e}) THEN {e} ELSE JSON_QUOTE({e}) END")),
            FieldType::Csv => format!(
                "CASE WHEN {e} IS NULL THEN NULL WHEN {e} = '' THEN JSON_ARRAY() ELSE {} END",
                as_json(&super::csv_json_text(e))
            ),
            FieldType::Hash => format!("CASE WHEN {e} IS NULL THEN NULL ELSE '**********' END"),
            // Directus's output formats for real date columns; text stays text.
            FieldType::DateTime if decl.starts_with("datetime") || decl.starts_with("timestamp") => {
                format!("DATE_FORMAT({e}, '%Y-%m-%dT%H:%i:%s')")
            }
            FieldType::Timestamp if decl.starts_with("datetime") || decl.starts_with("timestamp") => format!(
                "CONCAT(DATE_FORMAT({e}, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND({e}) / 1000), 3, '0'), 'Z')"
            ),
            FieldType::Date if decl == "date" => format!("DATE_FORMAT({e}, '%Y-%m-%d')"),
            FieldType::Decimal => format!("CAST({e} AS CHAR)"),
            _ => e.to_string(),
        }
    }

    /// Numeric keys as text; a big integer as text but for 0 (a CASE of
    /// text and number would be all text, so both go through JSON).
    fn graphql_scalar(&self, f: &Field, e: String) -> String {
        if f.primary_key && f.field_type.is_numeric() {
            format!("CAST({e} AS CHAR)")
        } else if f.field_type == FieldType::BigInteger {
            as_json(&format!("CASE WHEN {e} <> 0 THEN JSON_QUOTE(CAST({e} AS CHAR)) ELSE CAST({e} AS CHAR) END"))
        } else {
            e
        }
    }

    fn date_part(&self, part: DatePart, e: &str) -> String {
        match part {
            DatePart::Year => format!("YEAR({e})"),
            DatePart::Month => format!("MONTH({e})"),
            // Mode 5: weeks start on Monday, 0 before the first one (SQLite's %W).
            DatePart::Week => format!("WEEK({e}, 5)"),
            DatePart::Day => format!("DAYOFMONTH({e})"),
            DatePart::Weekday => format!("(DAYOFWEEK({e}) - 1)"),
            DatePart::Hour => format!("HOUR({e})"),
            DatePart::Minute => format!("MINUTE({e})"),
            DatePart::Second => format!("SECOND({e})"),
        }
    }

    /// As SQLite's json_array_length: 0 for JSON that is no array.
    fn json_array_length(&self, e: &str) -> String {
        format!("CASE WHEN JSON_VALID({e}) THEN CASE WHEN JSON_TYPE({e}) = 'ARRAY' THEN JSON_LENGTH({e}) ELSE 0 END ELSE NULL END")
    }

    /// ISO text parsed as a date; text that is none stays as it is (and a
    /// date column refuses it).
    fn temporal(&self, ty: FieldType, e: &str) -> String {
        match ty {
            FieldType::DateTime | FieldType::Timestamp => format!("COALESCE({}, {e})", utc_datetime(e)),
            _ => e.to_string(),
        }
    }

    fn lock_rows(&self) -> &'static str {
        " FOR UPDATE"
    }

    fn null_safe_eq(&self, a: &str, b: &str) -> String {
        format!("{a} <=> {b}")
    }

    /// The text a datetime or timestamp column takes (no `T`, no `Z`).
    fn time_value(&self, ms: i64) -> crate::db::Value {
        let iso = crate::sql::time::iso_from_millis(ms);
        crate::db::Value::Text(iso.replace('T', " ").trim_end_matches('Z').to_string())
    }

    /// MySQL needs a LIMIT before an OFFSET: the largest one is "no limit".
    fn limit_offset(&self, limit: Option<u64>, offset: u64) -> String {
        match (limit, offset) {
            (Some(n), _) => format!(" LIMIT {n} OFFSET {offset}"),
            (None, 0) => String::new(),
            (None, _) => format!(" LIMIT 18446744073709551615 OFFSET {offset}"),
        }
    }

    /// The modifiers (`-7 days`, `+0.001 seconds`) are bound text: their
    /// unit picks the INTERVAL; years and months move the calendar, the
    /// rest is counted in microseconds.
    fn now_adjusted(&self, ty: FieldType, now: &str, modifiers: &[String]) -> String {
        let mut sql = datetime(now);
        for m in modifiers {
            let unit = format!("SUBSTRING_INDEX({m}, ' ', -1)");
            let amount = format!("SUBSTRING_INDEX({m}, ' ', 1)");
            sql = format!(
                "CASE {unit} WHEN 'years' THEN DATE_ADD({sql}, INTERVAL CAST({amount} AS SIGNED) YEAR) \
                 WHEN 'months' THEN DATE_ADD({sql}, INTERVAL CAST({amount} AS SIGNED) MONTH) \
                 ELSE DATE_ADD({sql}, INTERVAL ROUND(CAST({amount} AS DECIMAL(30,6)) * CASE {unit} WHEN 'days' THEN 86400000000 WHEN 'hours' THEN 3600000000 WHEN 'minutes' THEN 60000000 ELSE 1000000 END) MICROSECOND) END"
            );
        }
        match ty {
            FieldType::Date => format!("CAST({sql} AS DATE)"),
            _ => sql,
        }
    }

    /// In floating point: MariaDB's average of integers is a decimal of
    /// four places (`div_precision_increment`).
    fn average(&self, e: &str, distinct: bool) -> String {
        format!("AVG({}CAST({e} AS DOUBLE))", if distinct { "DISTINCT " } else { "" })
    }

    fn on_conflict_update(&self, _key: &str, assignments: &str) -> String {
        format!(" ON DUPLICATE KEY UPDATE {assignments}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_numeric_and_date_types_and_compare_the_rest_as_text() {
        assert!(MariaDb.json_list("?1", Some("int(10) unsigned")).contains("value int(10) unsigned PATH"));
        assert!(MariaDb.json_list("?1", Some("char(36)")).contains("CAST(j.value AS CHAR)"));
        assert!(MariaDb
            .json_list("?1", Some("char(36) COLLATE utf8mb4_bin"))
            .contains("value LONGTEXT COLLATE utf8mb4_bin PATH"));
        assert!(MariaDb.json_list("?1", None).contains("LONGTEXT"));
    }
}
