//! What differs between SQL databases, one module per database behind one
//! interface, so the compiler says what it wants ("a JSON array of these
//! rows") and never branches on the database. Only SQLite (libSQL, D1,
//! Durable Objects) exists so far; docs/plans/dialects.md lists what moves
//! here next and the Postgres and MySQL forms.

mod postgres;
mod sqlite;

use crate::schema::{Field, FieldType};

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
}

/// The dialect of a driver.
pub fn of(kind: crate::db::Dialect) -> &'static dyn Dialect {
    match kind {
        crate::db::Dialect::Sqlite => &Sqlite,
        crate::db::Dialect::Postgres => &Postgres,
    }
}
