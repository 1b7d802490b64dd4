//! What differs between SQL databases, one module per database behind one
//! interface, so the compiler says what it wants ("a JSON array of these
//! rows") and never branches on the database: SQLite (libSQL, D1, Durable
//! Objects), Postgres and MariaDB.

mod mariadb;
mod postgres;
mod sqlite;

use crate::schema::{Field, FieldType};

pub use mariadb::MariaDb;
pub use postgres::Postgres;
pub use sqlite::Sqlite;

/// A substring test of a text match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMatch {
    Contains,
    StartsWith,
    EndsWith,
}

/// A part of a date or time (`year(published_at)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    Week,
    Day,
    Weekday,
    Hour,
    Minute,
    Second,
}

pub trait Dialect: crate::db::MaybeSendSync + std::fmt::Debug + 'static {
    /// A JSON object of (key, value SQL) pairs, keys in their order.
    fn json_object(&self, pairs: &[(&str, String)]) -> String;

    /// A JSON array of the given values.
    fn json_array(&self, items: &[String]) -> String;

    /// The JSON array of `elem` over the rows of the query it is selected
    /// in; `elem_is_json` when `elem` is JSON text that crossed a sub-select
    /// and must be taken as JSON again.
    fn json_array_agg(&self, elem: &str, elem_is_json: bool) -> String;

    /// `json_array_agg` of rows that must come out in `order` (an ORDER BY
    /// list over the aggregated query's columns). Where a derived table's
    /// order carries into its aggregate, the order is that of the rows.
    fn json_array_agg_ordered(&self, elem: &str, _order: &str) -> String {
        self.json_array_agg(elem, false)
    }

    /// Whether rows aggregated from an ordered derived table keep its order;
    /// when not, lists number their rows and aggregate in that order.
    fn keeps_subquery_order(&self) -> bool {
        true
    }

    /// A sub-select giving the JSON array of `value` (one per child row,
    /// JSON already when `value_is_json`) over `FROM {from_where}` in
    /// `order` (` ORDER BY …` or empty) and `limit` (` LIMIT …` or empty);
    /// the child rows are correlated to the enclosing row.
    fn child_list(&self, value: &str, value_is_json: bool, from_where: &str, order: &str, limit: &str) -> String {
        format!(
            "(SELECT {} FROM (SELECT {value} AS child FROM {from_where}{order}{limit}) AS child_rows)",
            self.json_array_agg("child", value_is_json)
        )
    }

    /// A sub-select body (`SELECT value FROM ...`) listing the elements of
    /// the JSON array bound at `param`, as values of the declared column
    /// type `elem` (text when `None`) where the database needs them typed.
    fn json_list(&self, param: &str, elem: Option<&str>) -> String;

    /// `e` contains, starts with or ends with the text bound at `p`;
    /// ignoring case when `ci`. `p` is never the empty text for `EndsWith`.
    fn text_match(&self, m: TextMatch, ci: bool, e: &str, p: &str) -> String;

    /// `e` in lower case (case-insensitive equality).
    fn lower(&self, e: &str) -> String;

    /// The column `e` of field `f` as Directus returns it for the field's
    /// type (booleans, JSON, CSV lists, hashes, dates in Directus's formats).
    fn shape(&self, f: &Field, e: &str) -> String;

    /// A numeric key (GraphQL `ID`) as text, and a big integer as text but
    /// for 0: what graphql-js answers in Directus.
    fn graphql_scalar(&self, f: &Field, e: String) -> String;

    /// The integer `part` of the date or time `e`.
    fn date_part(&self, part: DatePart, e: &str) -> String;

    /// The number of elements of the JSON array (or CSV list) `e`; NULL when
    /// it is none.
    fn json_array_length(&self, e: &str) -> String;

    /// The value `e` (a bound text or a column) in the form values of type
    /// `ty` are stored and compared in; text that is no date stays as it is.
    fn temporal(&self, ty: FieldType, e: &str) -> String;

    /// What a SELECT adds to lock the rows it reads until the transaction
    /// ends, so a concurrent transaction that read them waits and then sees
    /// them changed (`FOR UPDATE`); empty where writers take turns anyway.
    fn lock_rows(&self) -> &'static str;

    /// `a` equals `b`, NULL equal to NULL.
    fn null_safe_eq(&self, a: &str, b: &str) -> String;

    /// A point in time (Unix milliseconds) as the database's datetime
    /// columns of the system tables take and compare it.
    fn time_value(&self, ms: i64) -> crate::db::Value;

    /// The ` LIMIT … OFFSET …` clause (leading space); `None`: no limit.
    fn limit_offset(&self, limit: Option<u64>, offset: u64) -> String;

    /// The time `now` moved by SQLite-style modifiers (`'-1 year'`, each a
    /// bound parameter), in the form of type `ty`.
    fn now_adjusted(&self, ty: FieldType, now: &str, modifiers: &[String]) -> String;

    /// The average of `e` over the rows (of its distinct values).
    fn average(&self, e: &str, distinct: bool) -> String {
        format!("avg({}{e})", if distinct { "DISTINCT " } else { "" })
    }

    /// What an INSERT adds to update the row whose unique `key` (a quoted
    /// column) it collides with instead: `assignments` (`"n" = "t"."n" + 1`).
    fn on_conflict_update(&self, key: &str, assignments: &str) -> String {
        format!(" ON CONFLICT ({key}) DO UPDATE SET {assignments}")
    }
}

/// The JSON text of the CSV list in the text `e` (`a,b` → `["a","b"]`),
/// quotes and backslashes escaped; for databases with `||` and replace().
fn csv_json_text(e: &str) -> String {
    format!("'[\"' || replace(replace(replace({e}, '\\', '\\\\'), '\"', '\\\"'), ',', '\",\"') || '\"]'")
}

/// The dialect of a driver.
pub fn of(kind: crate::db::Dialect) -> &'static dyn Dialect {
    match kind {
        crate::db::Dialect::Sqlite => &Sqlite,
        crate::db::Dialect::Postgres => &Postgres,
        crate::db::Dialect::MariaDb => &MariaDb,
    }
}
