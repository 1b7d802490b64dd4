//! Filter rules to SQL boolean expressions, with the caller's access: every
//! field a filter names must be readable, relational hops apply the related
//! collection's item rules, and dynamic variables become request slots.

use super::builder::{column, ident, SqlBuilder};
use super::dialect::TextMatch;
use super::functions::{call_sql, parse_call};
use super::scope::{forbidden_collection, Rules, Scope};
use super::values::{filter_value, function_value, numeric, text};
use super::vars::{variable, Slot, Variable};
use crate::access::{Action, CollectionGrant, PolicyGrants};
use crate::error::{ApiError, ApiResult};
use crate::query::{Condition, Filter, Operator};
use crate::schema::{Collection, Field, FieldRelation, FieldType, SchemaSnapshot};
use serde_json::Value as Json;

/// What filter compilation needs besides the builder.
#[derive(Debug, Clone, Copy)]
pub struct FilterCtx<'a> {
    pub schema: &'a SchemaSnapshot,
    /// The caller's grants; `None` reads everything (admin, or rules themselves).
    pub grants: Option<&'a PolicyGrants>,
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

    /// The caller's read rules of `coll`, compiled on the row `alias`;
    /// `None` with full access, FORBIDDEN when the collection is not readable.
    pub fn rules_for(
        &self,
        b: &mut SqlBuilder,
        coll: &'a Collection,
        alias: &str,
        path: &str,
    ) -> ApiResult<Option<Rules<'a>>> {
        let Some(grants) = self.grants else {
            return Ok(None);
        };
        let grant = grants.get(&coll.name, Action::Read).ok_or_else(|| forbidden_collection(&coll.name, path))?;
        self.grant_rules(b, grant, coll, alias).map(Some)
    }

    /// `grant`'s cases compiled on the row `alias` of `coll`.
    fn grant_rules(
        &self,
        b: &mut SqlBuilder,
        grant: &'a CollectionGrant,
        coll: &'a Collection,
        alias: &str,
    ) -> ApiResult<Rules<'a>> {
        // Rules are evaluated with full access, as Directus does.
        let raw = FilterCtx { grants: None, ..*self };
        let row = Scope::table(coll, alias);
        let case_sql = grant
            .cases
            .iter()
            .map(|c| c.rule.as_ref().map(|r| raw.compile(b, &row, r).map(|sql| format!("({sql})"))).transpose())
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Rules { grant, case_sql })
    }

    /// The items a grant covers, as a predicate on the row `alias` of `coll`
    /// (rules evaluated with full access); `None` when it covers every item.
    pub fn grant_predicate(
        &self,
        b: &mut SqlBuilder,
        grant: &'a CollectionGrant,
        coll: &'a Collection,
        alias: &str,
    ) -> ApiResult<Option<String>> {
        if grant.all_items() {
            return Ok(None);
        }
        Ok(self.grant_rules(b, grant, coll, alias)?.row_predicate(&[]))
    }

    /// A table of the FROM clause, as the caller may read it.
    pub fn table_scope(
        &self,
        b: &mut SqlBuilder,
        coll: &'a Collection,
        alias: &str,
        path: &str,
    ) -> ApiResult<Scope<'a>> {
        let rules = self.rules_for(b, coll, alias, path)?;
        Ok(Scope::table(coll, alias).at_path(path).restricted(rules))
    }

    /// The row an m2o field of `scope` points at, with the related rules.
    pub fn follow(&self, b: &mut SqlBuilder, scope: &Scope<'a>, f: &'a Field) -> ApiResult<Scope<'a>> {
        let alias = b.alias();
        let next = scope.follow_m2o(self.schema, f, alias.clone())?;
        let rules = self.rules_for(b, next.coll(), &alias, next.path())?;
        Ok(next.restricted(rules))
    }

    /// Resolves a dotted path (`author.country.name`) to the scope holding
    /// the last segment and that segment's field. Only m2o hops are allowed.
    pub fn resolve_path(&self, b: &mut SqlBuilder, scope: &Scope<'a>, path: &str) -> ApiResult<(Scope<'a>, &'a Field)> {
        let mut scope = scope.clone();
        let mut parts = path.split('.').peekable();
        loop {
            let name = parts.next().unwrap_or_default();
            let f = scope.field(name)?;
            if parts.peek().is_none() {
                return Ok((scope, f));
            }
            if f.field_type == FieldType::Alias {
                return Err(ApiError::invalid_query(format!(
                    "Path \"{path}\" goes through the one-to-many field \"{name}\"; only many-to-one paths can be used here"
                )));
            }
            scope = self.follow(b, &scope, f)?;
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
            let expr = call_sql(self, b, scope, func, arg)?;
            let Condition::Op { op, value } = cond else {
                return Err(ApiError::invalid_query(format!("\"{key}\" can only be compared with an operator")));
            };
            return self.compare(b, &expr, *op, value, &Operand::Function(key));
        }
        let f = scope.field(key)?;
        match cond {
            Condition::Op { op, value } => {
                if f.is_alias() {
                    return Err(ApiError::invalid_query(format!(
                        "Field \"{key}\" is a one-to-many relation; filter its items with a nested filter, _some or _none"
                    )));
                }
                let expr = scope.column_expr(&f.name);
                self.compare(b, &expr, *op, value, &Operand::Field(f))
            }
            Condition::Related(sub) => match &f.relation {
                Some(FieldRelation::ManyToOne { .. }) => {
                    let related = self.follow(b, scope, f)?;
                    self.compile(b, &related, sub)
                }
                Some(FieldRelation::OneToMany { .. }) => self.exists(b, scope, f, sub, false),
                None => Err(ApiError::invalid_query(format!(
                    "Field \"{key}\" is not a relation and cannot take a nested filter"
                ))),
            },
            Condition::Some(sub) => self.exists(b, scope, f, sub, false),
            Condition::None(sub) => self.exists(b, scope, f, sub, true),
        }
    }

    /// `EXISTS` over the items of a one-to-many field that the caller may
    /// read and that match `sub`.
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
        let child_scope = self.table_scope(b, child, &alias, &scope.child_path(&f.name))?;
        let mut conditions =
            vec![format!("{} = {}", column(&alias, related_field), scope.raw_column(&scope.coll().primary_key))];
        conditions.extend(child_scope.rules().and_then(|r| r.row_predicate(&[])));
        conditions.push(self.compile(b, &child_scope, sub)?);
        Ok(format!(
            "{}EXISTS (SELECT 1 FROM {} AS {alias} WHERE {})",
            if negate { "NOT " } else { "" },
            ident(&child.name),
            conditions.join(" AND ")
        ))
    }

    /// One operator applied to `expr`.
    fn compare(
        &self,
        b: &mut SqlBuilder,
        expr: &str,
        op: Operator,
        value: &Json,
        operand: &Operand,
    ) -> ApiResult<String> {
        use Operator::*;
        // A variable standing for a list of ids compares like `_in`.
        if let (In | Nin, Some(list)) = (op, self.variable_list(b, value, operand.sql_type())?) {
            return Ok(format!("{expr} {}IN ({list})", if op == Nin { "NOT " } else { "" }));
        }
        let bind = |b: &mut SqlBuilder, v: &Json| self.bind_value(b, operand, v);
        Ok(match op {
            Eq if value.is_null() => format!("{expr} IS NULL"),
            Neq if value.is_null() => format!("{expr} IS NOT NULL"),
            Eq => format!("{expr} = {}", bind(b, value)?),
            Neq => format!("{expr} <> {}", bind(b, value)?),
            Lt => format!("{expr} < {}", bind(b, value)?),
            Lte => format!("{expr} <= {}", bind(b, value)?),
            Gt => format!("{expr} > {}", bind(b, value)?),
            Gte => format!("{expr} >= {}", bind(b, value)?),
            In | Nin => {
                let items = list(value);
                if items.is_empty() {
                    return Ok(if op == In { "1=0" } else { "1=1" }.into());
                }
                // One JSON parameter however long the list: the edge allows 100.
                let typed = items.iter().map(|i| operand.list_item(i)).collect::<ApiResult<Vec<_>>>()?;
                let p = b.param(Json::Array(typed).to_string());
                let list = b.dialect().json_list(&p, operand.sql_type());
                format!("{expr} {}IN ({list})", if op == Nin { "NOT " } else { "" })
            }
            Between | Nbetween => {
                let items = list(value);
                let [lo, hi] = items.as_slice() else {
                    return Err(ApiError::invalid_query(format!("\"{}\" needs exactly two values", op.name())));
                };
                let (lo, hi) = (bind(b, lo)?, bind(b, hi)?);
                format!("{expr} {}BETWEEN {lo} AND {hi}", if op == Nbetween { "NOT " } else { "" })
            }
            Null => format!("{expr} IS NULL"),
            Nnull => format!("{expr} IS NOT NULL"),
            Empty => format!("({expr} IS NULL OR {expr} = '')"),
            Nempty => format!("({expr} IS NOT NULL AND {expr} <> '')"),
            Contains | Ncontains | Icontains | Nicontains => {
                let p = b.param(text(value));
                let hit = b.dialect().text_match(TextMatch::Contains, matches!(op, Icontains | Nicontains), &expr, &p);
                negate_if(hit, matches!(op, Ncontains | Nicontains))
            }
            StartsWith | NstartsWith | IstartsWith | NistartsWith => {
                let p = b.param(text(value));
                let ci = matches!(op, IstartsWith | NistartsWith);
                let hit = b.dialect().text_match(TextMatch::StartsWith, ci, &expr, &p);
                negate_if(hit, matches!(op, NstartsWith | NistartsWith))
            }
            EndsWith | NendsWith | IendsWith | NiendsWith => {
                let s = text(value);
                let ci = matches!(op, IendsWith | NiendsWith);
                let hit = if s.is_empty() {
                    format!("{expr} IS NOT NULL")
                } else {
                    let p = b.param(s);
                    b.dialect().text_match(TextMatch::EndsWith, ci, &expr, &p)
                };
                negate_if(hit, matches!(op, NendsWith | NiendsWith))
            }
            Ieq | Nieq => {
                let (d, p) = (b.dialect(), b.param(text(value)));
                format!("{} {} {}", d.lower(&expr), if op == Ieq { "=" } else { "<>" }, d.lower(&p))
            }
        })
    }

    /// A comparison value: a request variable (`$CURRENT_USER`, or a path
    /// of it read from the system tables), or a bound value cast for `operand`.
    fn bind_value(&self, b: &mut SqlBuilder, operand: &Operand, v: &Json) -> ApiResult<String> {
        if let Some(var) = v.as_str().and_then(variable) {
            return match (var.slot, var.path) {
                (Slot::User | Slot::Role, None) => Ok(b.slot(var.slot)),
                (Slot::User | Slot::Role, Some(path)) => self.variable_path(b, &var, path),
                (_, _) => Err(ApiError::invalid_query(format!(
                    "\"{}\" is a list of ids; compare it with _in or _nin",
                    v.as_str().unwrap_or_default()
                ))),
            };
        }
        match operand {
            Operand::Field(f) => filter_value(b, f, v),
            Operand::Function(key) => function_value(b, key, v),
        }
    }

    /// `$CURRENT_USER.role.name`: the value read from the current user's (or
    /// role's) row with full access, inside the statement.
    fn variable_path(&self, b: &mut SqlBuilder, var: &Variable, path: &str) -> ApiResult<String> {
        let table = match var.slot {
            Slot::User => "directus_users",
            _ => "directus_roles",
        };
        let (value, key) = self.system_row_value(b, table, path)?;
        let slot = b.slot(var.slot);
        Ok(format!("(SELECT {value} WHERE {key} = {slot})"))
    }

    /// `path` read from a system table's row with full access:
    /// `expr FROM table AS t`, and the row's key column to select it by.
    fn system_row_value(&self, b: &mut SqlBuilder, table: &str, path: &str) -> ApiResult<(String, String)> {
        let coll = self.schema.collection(table).ok_or_else(|| {
            ApiError::invalid_query(format!("{table} does not exist: the database is not bootstrapped"))
        })?;
        let raw = FilterCtx { grants: None, ..*self };
        let alias = b.alias();
        let row = Scope::table(coll, alias.clone());
        let (owner, f) = raw.resolve_path(b, &row, path)?;
        let value = format!("{} FROM {} AS {alias}", owner.column_expr(&f.name), ident(table));
        Ok((value, column(&alias, &coll.primary_key)))
    }

    /// The SQL list for `_in: "$CURRENT_ROLES"` (or a list holding such
    /// variables); `None` when `value` names no list variable.
    fn variable_list(&self, b: &mut SqlBuilder, value: &Json, elem: Option<&str>) -> ApiResult<Option<String>> {
        let items = list(value);
        let vars: Vec<Variable> = items.iter().filter_map(|i| i.as_str().and_then(variable)).collect();
        if vars.is_empty() {
            return Ok(None);
        }
        let mut parts = Vec::new();
        for var in &vars {
            parts.push(match (var.slot, var.path) {
                (Slot::Roles | Slot::Policies, None) => {
                    let p = b.slot(var.slot);
                    b.dialect().json_list(&p, elem)
                }
                (Slot::User | Slot::Role, None) => format!("SELECT {}", b.slot(var.slot)),
                (Slot::User | Slot::Role, Some(path)) => format!("SELECT {}", self.variable_path(b, var, path)?),
                (slot, Some(path)) => self.variable_list_path(b, slot, path)?,
                (Slot::Now, None) => return Err(ApiError::invalid_query("$NOW cannot be in a list")),
            });
        }
        let literals: Vec<Json> =
            items.into_iter().filter(|i| i.as_str().is_none_or(|s| variable(s).is_none())).collect();
        if !literals.is_empty() {
            let p = b.param(Json::Array(literals).to_string());
            parts.push(b.dialect().json_list(&p, elem));
        }
        Ok(Some(parts.join(" UNION ALL ")))
    }

    /// `$CURRENT_ROLES.name`: that field of every role of the tree (or policy).
    fn variable_list_path(&self, b: &mut SqlBuilder, slot: Slot, path: &str) -> ApiResult<String> {
        let table = if slot == Slot::Roles { "directus_roles" } else { "directus_policies" };
        let (value, key) = self.system_row_value(b, table, path)?;
        let ids = b.slot(slot);
        let key_type = self.schema.collection(table).and_then(|c| c.pk_field().db_type.as_deref());
        Ok(format!("SELECT {value} WHERE {key} IN ({})", b.dialect().json_list(&ids, key_type)))
    }
}

/// What the compared expression is, which decides how values are cast.
enum Operand<'f> {
    Field(&'f Field),
    /// A function result such as `year(date)`: always numeric.
    Function(&'f str),
}

impl Operand<'_> {
    /// The SQL type values compared with it take (a list's elements).
    fn sql_type(&self) -> Option<&str> {
        match self {
            Operand::Field(f) => f.db_type.as_deref(),
            Operand::Function(_) => Some("integer"),
        }
    }

    /// `v` as a JSON element of an `_in` list (numbers stay numbers, so the
    /// comparison with the column matches its affinity).
    fn list_item(&self, v: &Json) -> ApiResult<Json> {
        let numeric_kind = match self {
            Operand::Field(f) => f.field_type.is_numeric() || f.field_type == FieldType::Boolean,
            Operand::Function(_) => true,
        };
        if !numeric_kind {
            return Ok(Json::String(text(v)));
        }
        let n = match self {
            Operand::Field(f) if f.field_type == FieldType::Boolean => super::values::boolean(v),
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
pub(super) fn balanced<S: AsRef<str>>(parts: &[S], sep: &str) -> String {
    if parts.len() <= 4 {
        let parts: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
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
