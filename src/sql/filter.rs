//! Filter rules to SQL boolean expressions.

use super::builder::{column, ident, SqlBuilder};
use super::functions::{call_sql, parse_call};
use super::scope::{field, Scope};
use super::values::{filter_value, function_value, numeric, text};
use crate::error::{ApiError, ApiResult};
use crate::query::{Condition, Filter, Operator};
use crate::schema::{Field, FieldRelation, FieldType, SchemaSnapshot};
use serde_json::Value as Json;

/// What filter compilation needs besides the builder.
pub struct FilterCtx<'a> {
    pub schema: &'a SchemaSnapshot,
    pub now_ms: i64,
}

impl<'a> FilterCtx<'a> {
    /// SQL for `filter` evaluated on the row of `scope`.
    pub fn compile(&self, b: &mut SqlBuilder, scope: &Scope<'a>, filter: &Filter) -> ApiResult<String> {
        match filter {
            Filter::And(items) => self.join(b, scope, items, " AND ", "1=1"),
            Filter::Or(items) => self.join(b, scope, items, " OR ", "1=0"),
            Filter::Field { key, cond } => self.condition(b, scope, key, cond),
        }
    }

    fn join(
        &self,
        b: &mut SqlBuilder,
        scope: &Scope<'a>,
        items: &[Filter],
        sep: &str,
        empty: &str,
    ) -> ApiResult<String> {
        if items.is_empty() {
            return Ok(empty.to_string());
        }
        let parts = items.iter().map(|f| self.compile(b, scope, f)).collect::<ApiResult<Vec<_>>>()?;
        Ok(balanced(&parts, sep))
    }

    fn condition(&self, b: &mut SqlBuilder, scope: &Scope<'a>, key: &str, cond: &Condition) -> ApiResult<String> {
        if let Some((func, arg)) = parse_call(key)? {
            let expr = call_sql(self.schema, scope, func, arg)?;
            let Condition::Op { op, value } = cond else {
                return Err(ApiError::invalid_query(format!("\"{key}\" can only be compared with an operator")));
            };
            return compare(b, &expr, *op, value, &Operand::Function(key));
        }
        let f = field(scope.coll(), key)?;
        match cond {
            Condition::Op { op, value } => {
                if f.is_alias() {
                    return Err(ApiError::invalid_query(format!(
                        "Field \"{key}\" is a one-to-many relation; filter its items with a nested filter, _some or _none"
                    )));
                }
                let expr = scope.column_expr(&f.name);
                compare(b, &expr, *op, value, &Operand::Field(f, self.now_ms))
            }
            Condition::Related(sub) => match &f.relation {
                Some(FieldRelation::ManyToOne { .. }) => self.compile(b, &scope.follow_m2o(self.schema, f)?, sub),
                Some(FieldRelation::OneToMany { .. }) => self.exists(b, scope, f, sub, false),
                None => Err(ApiError::invalid_query(format!(
                    "Field \"{key}\" is not a relation and cannot take a nested filter"
                ))),
            },
            Condition::Some(sub) => self.exists(b, scope, f, sub, false),
            Condition::None(sub) => self.exists(b, scope, f, sub, true),
        }
    }

    /// `EXISTS` over the items of a one-to-many field that match `sub`.
    fn exists(
        &self,
        b: &mut SqlBuilder,
        scope: &Scope<'a>,
        f: &Field,
        sub: &Filter,
        negate: bool,
    ) -> ApiResult<String> {
        let Some(FieldRelation::OneToMany { related_collection, related_field, .. }) = &f.relation else {
            return Err(ApiError::invalid_query(format!(
                "_some and _none need a one-to-many field, \"{}\" is not one",
                f.name
            )));
        };
        let child = self.schema.collection(related_collection).ok_or_else(ApiError::forbidden)?;
        let alias = b.alias();
        let inner = self.compile(b, &Scope::table(child, alias.clone()), sub)?;
        Ok(format!(
            "{}EXISTS (SELECT 1 FROM {} AS {alias} WHERE {} = {} AND {inner})",
            if negate { "NOT " } else { "" },
            ident(&child.name),
            column(&alias, related_field),
            scope.column_expr(&scope.coll().primary_key)
        ))
    }
}

/// What the compared expression is, which decides how values are cast.
enum Operand<'f> {
    /// A field (with the host's "now" for `$NOW`).
    Field(&'f Field, i64),
    /// A function result such as `year(date)`: always numeric.
    Function(&'f str),
}

impl Operand<'_> {
    /// Binds `v` cast for this operand and returns its SQL.
    fn bind(&self, b: &mut SqlBuilder, v: &Json) -> ApiResult<String> {
        match self {
            Operand::Field(f, now) => filter_value(b, f, v, *now),
            Operand::Function(key) => function_value(b, key, v),
        }
    }

    /// `v` as a JSON element of an `_in` list (numbers stay numbers, so the
    /// comparison with the column matches its affinity).
    fn list_item(&self, v: &Json) -> ApiResult<Json> {
        let numeric_kind = match self {
            Operand::Field(f, _) => f.field_type.is_numeric() || f.field_type == FieldType::Boolean,
            Operand::Function(_) => true,
        };
        if !numeric_kind {
            return Ok(Json::String(text(v)));
        }
        let n = match self {
            Operand::Field(f, _) if f.field_type == FieldType::Boolean => super::values::boolean(v),
            _ => numeric(v, false),
        };
        match n {
            Some(crate::db::Value::Integer(i)) => Ok(Json::from(i)),
            Some(crate::db::Value::Real(x)) => {
                Ok(serde_json::Number::from_f64(x).map(Json::Number).unwrap_or(Json::Null))
            }
            _ => Err(ApiError::invalid_query(format!("Invalid numeric value {v}"))),
        }
    }
}

/// One operator applied to `expr`; `cast` binds a value typed for the field.
fn compare(b: &mut SqlBuilder, expr: &str, op: Operator, value: &Json, operand: &Operand) -> ApiResult<String> {
    use Operator::*;
    Ok(match op {
        Eq if value.is_null() => format!("{expr} IS NULL"),
        Neq if value.is_null() => format!("{expr} IS NOT NULL"),
        Eq => format!("{expr} = {}", operand.bind(b, value)?),
        Neq => format!("{expr} <> {}", operand.bind(b, value)?),
        Lt => format!("{expr} < {}", operand.bind(b, value)?),
        Lte => format!("{expr} <= {}", operand.bind(b, value)?),
        Gt => format!("{expr} > {}", operand.bind(b, value)?),
        Gte => format!("{expr} >= {}", operand.bind(b, value)?),
        In | Nin => {
            let items = list(value);
            if items.is_empty() {
                return Ok(if op == In { "1=0" } else { "1=1" }.into());
            }
            // One JSON parameter however long the list: the edge allows 100.
            let typed = items.iter().map(|i| operand.list_item(i)).collect::<ApiResult<Vec<_>>>()?;
            let p = b.param(Json::Array(typed).to_string());
            format!("{expr} {}IN (SELECT value FROM json_each({p}))", if op == Nin { "NOT " } else { "" })
        }
        Between | Nbetween => {
            let items = list(value);
            let [lo, hi] = items.as_slice() else {
                return Err(ApiError::invalid_query(format!("\"{}\" needs exactly two values", op.name())));
            };
            let (lo, hi) = (operand.bind(b, lo)?, operand.bind(b, hi)?);
            format!("{expr} {}BETWEEN {lo} AND {hi}", if op == Nbetween { "NOT " } else { "" })
        }
        Null => format!("{expr} IS NULL"),
        Nnull => format!("{expr} IS NOT NULL"),
        Empty => format!("({expr} IS NULL OR {expr} = '')"),
        Nempty => format!("({expr} IS NOT NULL AND {expr} <> '')"),
        // instr() rather than LIKE: exact substrings (no % or _ wildcards),
        // case-sensitive like Directus on Postgres, and no pattern length limit.
        Contains | Ncontains | Icontains | Nicontains => {
            let p = b.param(text(value));
            let hit = if matches!(op, Icontains | Nicontains) {
                format!("instr(lower({expr}), lower({p})) > 0")
            } else {
                format!("instr({expr}, {p}) > 0")
            };
            negate_if(hit, matches!(op, Ncontains | Nicontains))
        }
        StartsWith | NstartsWith | IstartsWith | NistartsWith => {
            let p = b.param(text(value));
            let ci = matches!(op, IstartsWith | NistartsWith);
            let hit = if ci {
                format!("lower(substr({expr}, 1, length({p}))) = lower({p})")
            } else {
                format!("substr({expr}, 1, length({p})) = {p}")
            };
            negate_if(hit, matches!(op, NstartsWith | NistartsWith))
        }
        EndsWith | NendsWith | IendsWith | NiendsWith => {
            let s = text(value);
            let ci = matches!(op, IendsWith | NiendsWith);
            let hit = if s.is_empty() {
                format!("{expr} IS NOT NULL")
            } else {
                let p = b.param(s);
                if ci {
                    format!("lower(substr({expr}, -length({p}))) = lower({p})")
                } else {
                    format!("substr({expr}, -length({p})) = {p}")
                }
            };
            negate_if(hit, matches!(op, NendsWith | NiendsWith))
        }
        Ieq => format!("lower({expr}) = lower({})", b.param(text(value))),
        Nieq => format!("lower({expr}) <> lower({})", b.param(text(value))),
    })
}

/// `NOT (x)` keeps SQL's rule that a NULL column matches neither side.
fn negate_if(sql: String, negate: bool) -> String {
    if negate {
        format!("NOT ({sql})")
    } else {
        sql
    }
}

/// A list operand: an array, or a CSV string.
fn list(value: &Json) -> Vec<Json> {
    match value {
        Json::Array(items) => items.clone(),
        Json::String(s) => s.split(',').map(|x| Json::String(x.to_string())).collect(),
        Json::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// `(a OR b OR c ...)` as a balanced tree of groups of at most four: SQLite
/// parses a flat chain left-deep, and D1 caps expression depth at 100, so a
/// long `_or` list must nest logarithmically instead.
fn balanced(parts: &[String], sep: &str) -> String {
    if parts.len() <= 4 {
        return format!("({})", parts.join(sep));
    }
    let (left, right) = parts.split_at(parts.len() / 2);
    format!("({}{sep}{})", balanced(left, sep), balanced(right, sep))
}

#[cfg(test)]
mod tests {
    use super::balanced;

    #[test]
    fn long_lists_nest_logarithmically() {
        let parts: Vec<String> = (0..1000).map(|i| format!("x = {i}")).collect();
        let sql = balanced(&parts, " OR ");
        let mut depth = 0usize;
        let mut deepest = 0usize;
        for c in sql.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            deepest = deepest.max(depth);
        }
        assert!(deepest <= 10, "nesting {deepest}");
        assert_eq!(sql.matches(" OR ").count(), 999);
        assert_eq!(balanced(&parts[..2], " AND "), "(x = 0 AND x = 1)");
    }
}
