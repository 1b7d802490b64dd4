//! The Query AST: what a Directus query means, independent of SQL and HTTP.
//!
//! Field names here are still plain strings from the request; the SQL compiler
//! resolves them against the schema snapshot (and rejects unknown ones).

use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A whole Directus query (`fields`, `filter`, `sort`, ... or a `deep` sub-query).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Requested field paths, e.g. `["id", "author.name", "tags.*", "*"]`;
    /// `None` means the default (`*`).
    pub fields: Option<Vec<String>>,
    pub filter: Option<Filter>,
    /// Full-text-ish search over string fields.
    pub search: Option<String>,
    pub sort: Vec<SortKey>,
    /// `None` = default limit; `Some(-1)` = no limit.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub page: Option<i64>,
    pub meta: Meta,
    pub aggregate: Vec<Aggregate>,
    /// `groupBy` entries: field names, dotted m2o paths or `func(field)`.
    pub group_by: Vec<String>,
    /// Sub-queries for relational fields, keyed by the relational field name.
    pub deep: BTreeMap<String, Query>,
    /// `alias[new_name] = field` (the field may be a function like `year(date)`).
    pub alias: BTreeMap<String, String>,
}

/// Which counts `meta` asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    pub total_count: bool,
    pub filter_count: bool,
}

/// One `sort` entry: `-published_at` is `{ path: "published_at", descending: true }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Field name, dotted m2o path (`author.name`) or function (`year(date)`).
    pub path: String,
    pub descending: bool,
}

/// The aggregate functions of Directus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggregateFunc {
    Count,
    CountDistinct,
    CountAll,
    Sum,
    SumDistinct,
    Avg,
    AvgDistinct,
    Min,
    Max,
}

impl AggregateFunc {
    /// The name as it appears in the query and the response (`countDistinct`).
    pub fn name(self) -> &'static str {
        match self {
            AggregateFunc::Count => "count",
            AggregateFunc::CountDistinct => "countDistinct",
            AggregateFunc::CountAll => "countAll",
            AggregateFunc::Sum => "sum",
            AggregateFunc::SumDistinct => "sumDistinct",
            AggregateFunc::Avg => "avg",
            AggregateFunc::AvgDistinct => "avgDistinct",
            AggregateFunc::Min => "min",
            AggregateFunc::Max => "max",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "count" => AggregateFunc::Count,
            "countDistinct" => AggregateFunc::CountDistinct,
            "countAll" => AggregateFunc::CountAll,
            "sum" => AggregateFunc::Sum,
            "sumDistinct" => AggregateFunc::SumDistinct,
            "avg" => AggregateFunc::Avg,
            "avgDistinct" => AggregateFunc::AvgDistinct,
            "min" => AggregateFunc::Min,
            "max" => AggregateFunc::Max,
            _ => return None,
        })
    }
}

/// One aggregate: `aggregate[sum]=price` is `{ func: Sum, field: "price" }`;
/// `aggregate[count]=*` has field `"*"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub func: AggregateFunc,
    pub field: String,
}

/// A filter tree (Directus "filter rules").
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    /// A condition on one key of the current collection: a field name or a
    /// function over one (`year(published_at)`).
    Field {
        key: String,
        cond: Condition,
    },
}

/// What is asked of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A comparison. The value is kept as JSON (strings like `$NOW(-1 day)`
    /// included); the compiler casts it to the field's type.
    Op { op: Operator, value: Json },
    /// A nested filter through a relation: m2o (`author: {name: ...}`) or
    /// o2m/m2m without a quantifier (Directus treats that as `_some`).
    Related(Box<Filter>),
    /// `_some` through an o2m / m2m.
    Some(Box<Filter>),
    /// `_none` through an o2m / m2m.
    None(Box<Filter>),
}

/// Filter operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Nin,
    Between,
    Nbetween,
    Null,
    Nnull,
    Empty,
    Nempty,
    Contains,
    Ncontains,
    Icontains,
    Nicontains,
    StartsWith,
    NstartsWith,
    IstartsWith,
    NistartsWith,
    EndsWith,
    NendsWith,
    IendsWith,
    NiendsWith,
    Ieq,
    Nieq,
}

impl Operator {
    /// All operators with their Directus spelling.
    pub const ALL: [(Operator, &'static str); 28] = [
        (Operator::Eq, "_eq"),
        (Operator::Neq, "_neq"),
        (Operator::Lt, "_lt"),
        (Operator::Lte, "_lte"),
        (Operator::Gt, "_gt"),
        (Operator::Gte, "_gte"),
        (Operator::In, "_in"),
        (Operator::Nin, "_nin"),
        (Operator::Between, "_between"),
        (Operator::Nbetween, "_nbetween"),
        (Operator::Null, "_null"),
        (Operator::Nnull, "_nnull"),
        (Operator::Empty, "_empty"),
        (Operator::Nempty, "_nempty"),
        (Operator::Contains, "_contains"),
        (Operator::Ncontains, "_ncontains"),
        (Operator::Icontains, "_icontains"),
        (Operator::Nicontains, "_nicontains"),
        (Operator::StartsWith, "_starts_with"),
        (Operator::NstartsWith, "_nstarts_with"),
        (Operator::IstartsWith, "_istarts_with"),
        (Operator::NistartsWith, "_nistarts_with"),
        (Operator::EndsWith, "_ends_with"),
        (Operator::NendsWith, "_nends_with"),
        (Operator::IendsWith, "_iends_with"),
        (Operator::NiendsWith, "_niends_with"),
        (Operator::Ieq, "_ieq"),
        (Operator::Nieq, "_nieq"),
    ];

    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.iter().find(|(_, n)| *n == name).map(|(op, _)| *op)
    }

    pub fn name(self) -> &'static str {
        Operator::ALL.iter().find(|(op, _)| *op == self).map(|(_, n)| *n).unwrap_or("_eq")
    }
}
