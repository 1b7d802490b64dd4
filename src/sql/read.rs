//! Reads compiled to ONE statement whose single cell is the response JSON.
//!
//! The database builds the JSON (`json_object`, `json_group_array`), nested
//! relations included, so the host writes it out without parsing it. The
//! caller's permissions are part of the same statement: each level's item
//! rules limit its rows, and a field granted under some rules only reads as
//! NULL where none of them holds.

use super::builder::{column, ident, Compiled, SqlBuilder};
use super::dialect::{Dialect, TextMatch};
use super::filter::FilterCtx;
use super::functions::{call_sql, parse_call};
use super::scope::{Rules, Scope};
use super::selection::{select, Entry, EntryKind, Reader, Selection};
use super::vars::RequestVars;
use crate::access::PolicyGrants;
use crate::db::{Statement, Value};
use crate::error::{ApiError, ApiResult};
use crate::query::{check_relational_depth, Filter, Query, SortKey};
use crate::schema::{Collection, Field, FieldRelation, FieldType, SchemaSnapshot};

/// Limits and context shared by all reads.
#[derive(Debug, Clone, Copy)]
pub struct ReadCtx<'a> {
    /// The database the statements are for.
    pub dialect: &'static dyn Dialect,
    pub schema: &'a SchemaSnapshot,
    /// The caller's grants; `None` reads everything (admin).
    pub grants: Option<&'a PolicyGrants>,
    /// `limit` when the query gives none (Directus QUERY_LIMIT_DEFAULT).
    pub default_limit: i64,
    /// Largest `limit` allowed; `None` = unlimited (`-1` allowed).
    pub max_limit: Option<i64>,
    /// Deepest relational path a query may use (MAX_RELATIONAL_DEPTH).
    pub max_relational_depth: usize,
    /// Write numeric IDs and big integers as GraphQL serializes them, so a
    /// GraphQL answer can be the statement's JSON as it is.
    pub graphql_scalars: bool,
}

/// A compiled read. `key_slot` is the parameter holding the item key, so a
/// cached plan serves every key; the other slots take request variables.
#[derive(Debug, Clone)]
pub struct Plan {
    pub compiled: Compiled,
    pub key_slot: Option<usize>,
}

impl Plan {
    /// The statement with `key` and the request's variables bound.
    pub fn bind(&self, key: Option<Value>, vars: &RequestVars) -> Statement {
        let mut s = self.compiled.bind(vars);
        if let (Some(slot), Some(key)) = (self.key_slot, key) {
            if let Some(p) = s.params.get_mut(slot) {
                *p = key;
            }
        }
        s
    }
}

/// How many rows a list statement reads.
enum Shape {
    /// `data` is an array.
    List,
    /// `data` is one object; no row means the item does not exist.
    One,
    /// `data` is the first row in sort order (singletons).
    First,
}

/// The columns of the statement's single row.
pub const DATA_COLUMN: &str = "data";
pub const TOTAL_COUNT_COLUMN: &str = "total_count";
pub const FILTER_COUNT_COLUMN: &str = "filter_count";

impl<'a> ReadCtx<'a> {
    /// Filter compilation with the caller's access.
    pub fn fctx(&self) -> FilterCtx<'a> {
        FilterCtx { schema: self.schema, grants: self.grants }
    }

    fn reader(&self) -> Reader<'a> {
        Reader { schema: self.schema, grants: self.grants }
    }

    /// `GET /items/{collection}`: an array (or aggregate rows), plus the
    /// `meta` counts as extra columns of the same statement when asked for.
    pub fn list(&self, coll: &'a Collection, query: &Query) -> ApiResult<Compiled> {
        check_relational_depth(query, self.max_relational_depth)?;
        if !query.aggregate.is_empty() || !query.group_by.is_empty() {
            return super::aggregate::compile(self, coll, query);
        }
        self.rows(coll, query, None, Shape::List).map(|p| p.compiled)
    }

    /// `GET /items/{collection}/{id}`: one object, or no row.
    pub fn item(&self, coll: &'a Collection, query: &Query, key: Value) -> ApiResult<Plan> {
        check_relational_depth(query, self.max_relational_depth)?;
        self.rows(coll, query, Some(key), Shape::One)
    }

    /// The primary keys a query selects among the items the caller may read
    /// (a `{query}` batch write), as rows.
    pub fn list_keys(&self, coll: &'a Collection, query: &Query) -> ApiResult<Compiled> {
        check_relational_depth(query, self.max_relational_depth)?;
        let mut b = SqlBuilder::new(self.dialect);
        let alias = b.alias();
        let scope = self.fctx().table_scope(&mut b, coll, &alias, "")?;
        let mut conditions = self.conditions(&mut b, &scope, query)?;
        conditions.extend(scope.rules().and_then(|r| r.row_predicate(&[])));
        let order = self.order_by(&mut b, &scope, &query.sort)?;
        let limit = self.limit_clause(query)?;
        let sql = format!(
            "SELECT {} FROM {} AS {alias}{}{order}{limit}",
            column(&alias, &coll.primary_key),
            ident(&coll.name),
            where_clause(&conditions)
        );
        Ok(b.finish(sql))
    }

    /// The first row in sort order as one object (a singleton's row).
    pub fn item_first(&self, coll: &'a Collection, query: &Query) -> ApiResult<Compiled> {
        check_relational_depth(query, self.max_relational_depth)?;
        self.rows(coll, query, None, Shape::First).map(|p| p.compiled)
    }

    /// A list restricted to some primary keys (the re-read after a write).
    pub fn items_by_keys(&self, coll: &'a Collection, query: &Query, keys: &[Value]) -> ApiResult<Compiled> {
        check_relational_depth(query, self.max_relational_depth)?;
        let mut q = query.clone();
        let ids: Vec<serde_json::Value> = keys.iter().map(Value::to_json).collect();
        let by_key = Filter::Field {
            key: coll.primary_key.clone(),
            cond: crate::query::Condition::Op { op: crate::query::Operator::In, value: serde_json::Value::Array(ids) },
        };
        q.filter = Some(match q.filter.take() {
            Some(f) => Filter::And(vec![by_key, f]),
            None => by_key,
        });
        q.limit = Some(-1);
        q.offset = None;
        q.page = None;
        q.meta = Default::default();
        self.rows(coll, &q, None, Shape::List).map(|p| p.compiled)
    }

    fn rows(&self, coll: &'a Collection, query: &Query, key: Option<Value>, shape: Shape) -> ApiResult<Plan> {
        let mut b = SqlBuilder::new(self.dialect);
        let selection = select(self.reader(), coll, query)?;
        let alias = b.alias();
        // The inner select reads the table itself: its filter, search and
        // sort see what the caller may read, and its rows are the visible ones.
        let scope = self.fctx().table_scope(&mut b, coll, &alias, "")?;
        let mut conditions = self.conditions(&mut b, &scope, query)?;
        conditions.extend(scope.rules().and_then(|r| r.row_predicate(&selection.field_names())));
        let mut key_slot = None;
        if let Some(key) = key {
            key_slot = Some(b.next_param_index());
            conditions.push(format!("{} = {}", column(&alias, &coll.primary_key), b.param(key)));
        }
        let where_sql = where_clause(&conditions);
        // A sort is still checked on a point read, but one row needs no order.
        let sort_keys = self.sort_keys(&mut b, &scope, &query.sort)?;
        let order = order_clause(&sort_keys);
        let (order, limit) = match shape {
            Shape::List => (order, self.limit_clause(query)?),
            Shape::One => (String::new(), String::new()),
            Shape::First => (order, " LIMIT 1".to_string()),
        };
        // The outer select builds the JSON of the page's rows only; the
        // rules' results travel from the inner select as flag columns.
        let mut columns: Vec<String> = selection.needed_columns().iter().map(|c| column(&alias, c)).collect();
        // Only fields granted under some rules but not others need them.
        let guarded = |rules: &Rules| selection.field_names().iter().any(|f| !rules.grant.cases_granting(f).is_empty());
        let outer_rules = scope.rules().filter(|rules| guarded(rules)).map(|rules| {
            let mut flags = Vec::with_capacity(rules.case_sql.len());
            for (i, sql) in rules.case_sql.iter().enumerate() {
                flags.push(sql.as_ref().map(|sql| {
                    let name = format!("__case{i}");
                    columns.push(format!("{sql} AS {}", ident(&name)));
                    column(&alias, &name)
                }));
            }
            Rules { grant: rules.grant, case_sql: flags }
        });
        // Where the page's order does not carry into the aggregate, the sort
        // keys travel along as columns and the aggregate orders by them (a
        // ROW_NUMBER() window would read every matching row, not the page).
        let mut outer_order = Vec::new();
        if matches!(shape, Shape::List) && !self.dialect.keeps_subquery_order() {
            for (i, (expr, direction)) in sort_keys.iter().enumerate() {
                let name = format!("__sort{i}");
                columns.push(format!("{expr} AS {}", ident(&name)));
                outer_order.push(format!("{} {direction}", column(&alias, &name)));
            }
        }
        let outer = Scope::table(coll, alias.clone()).restricted(outer_rules);
        let inner =
            format!("SELECT {} FROM {} AS {alias}{where_sql}{order}{limit}", columns.join(", "), ident(&coll.name));
        let object = self.object(&mut b, &selection, &outer)?;
        let data = match shape {
            Shape::List if !outer_order.is_empty() => {
                b.dialect().json_array_agg_ordered(&object, &outer_order.join(", "))
            }
            Shape::List => b.dialect().json_array_agg(&object, false),
            Shape::One | Shape::First => object,
        };
        let mut sql = format!("SELECT {data} AS {DATA_COLUMN}");
        if query.meta.total_count {
            let visible = where_clause(
                &scope.rules().and_then(|r| r.row_predicate(&selection.field_names())).into_iter().collect::<Vec<_>>(),
            );
            sql +=
                &format!(", (SELECT count(*) FROM {} AS {alias}{visible}) AS {TOTAL_COUNT_COLUMN}", ident(&coll.name));
        }
        if query.meta.filter_count {
            // The same WHERE text: its alias and parameters are reused as is.
            sql += &format!(
                ", (SELECT count(*) FROM {} AS {alias}{where_sql}) AS {FILTER_COUNT_COLUMN}",
                ident(&coll.name)
            );
        }
        sql += &format!(" FROM ({inner}) AS {alias}");
        Ok(Plan { compiled: b.finish(sql), key_slot })
    }

    /// `filter` and `search` of a query as WHERE conditions on `scope`.
    pub(super) fn conditions(&self, b: &mut SqlBuilder, scope: &Scope<'a>, query: &Query) -> ApiResult<Vec<String>> {
        let mut out = Vec::new();
        if let Some(filter) = &query.filter {
            out.push(self.fctx().compile(b, scope, filter)?);
        }
        if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
            out.push(search_sql(b, scope, search));
        }
        Ok(out)
    }

    /// ORDER BY for `sort`, with the primary key last so pages are stable.
    /// Without one, the collection's sort field orders the rows, as in
    /// Directus, whether or not the caller may read that field: the order
    /// is the collection's, not the caller's query.
    pub(super) fn order_by(&self, b: &mut SqlBuilder, scope: &Scope<'a>, sort: &[SortKey]) -> ApiResult<String> {
        Ok(order_clause(&self.sort_keys(b, scope, sort)?))
    }

    /// The (expression, direction) keys of `order_by`.
    fn sort_keys(
        &self,
        b: &mut SqlBuilder,
        scope: &Scope<'a>,
        sort: &[SortKey],
    ) -> ApiResult<Vec<(String, &'static str)>> {
        let coll = scope.coll();
        let mut keys = Vec::new();
        let default_sort;
        let (sort, defaulted) = match sort.is_empty() {
            true => {
                let path = coll.sort_field.clone().unwrap_or_else(|| coll.primary_key.clone());
                default_sort = vec![SortKey { path, descending: false }];
                (default_sort.as_slice(), true)
            }
            false => (sort, false),
        };
        for s in sort {
            let expr = match defaulted {
                true => scope.raw_column(&s.path),
                false => path_expr(&self.fctx(), b, scope, &s.path)?,
            };
            keys.push((expr, if s.descending { "DESC" } else { "ASC" }));
        }
        // The primary key breaks ties so pages are stable. It follows the last
        // key's direction, so an index on that key can be walked either way.
        if !sort.iter().any(|s| s.path == coll.primary_key) {
            let descending = sort.last().is_some_and(|s| s.descending);
            let pk = scope.raw_column(&coll.primary_key);
            keys.push((pk, if descending { "DESC" } else { "ASC" }));
        }
        Ok(keys)
    }

    /// ` LIMIT n OFFSET m` for the query (default limit, `-1`, `page`).
    /// The numbers are written into the SQL, not bound: SQLite plans a
    /// bound LIMIT as unknown, and a nested one-to-many read with `LIMIT ?`
    /// cost six times the same read with the number written in (measured).
    /// They are integers parsed from the query, and part of the plan's key.
    pub(super) fn limit_clause(&self, query: &Query) -> ApiResult<String> {
        let (limit, offset) = self.limit_offset(query, self.default_limit)?;
        Ok(self.dialect.limit_offset((limit >= 0).then_some(limit as u64), offset as u64))
    }

    fn limit_offset(&self, query: &Query, default: i64) -> ApiResult<(i64, i64)> {
        let mut limit = query.limit.unwrap_or(default);
        if let Some(max) = self.max_limit {
            if limit == -1 || limit > max {
                limit = max;
            }
        }
        if limit < -1 {
            return Err(ApiError::invalid_query("\"limit\" has to be -1 or greater"));
        }
        let offset = match query.page {
            Some(page) if page >= 1 && limit > 0 => limit * (page - 1),
            Some(_) if limit > 0 => return Err(ApiError::invalid_query("\"page\" has to be 1 or greater")),
            _ => query.offset.unwrap_or(0),
        };
        Ok((limit, offset.max(0)))
    }

    /// `json_object(...)` for one row of `sel`, read through `scope`.
    fn object(&self, b: &mut SqlBuilder, sel: &Selection<'a>, scope: &Scope<'a>) -> ApiResult<String> {
        let fctx = self.fctx();
        let mut pairs = Vec::with_capacity(sel.entries.len());
        for Entry { key, kind } in &sel.entries {
            let value = match kind {
                EntryKind::Column(f) => {
                    let value = self.dialect.shape(f, &scope.column_expr(&f.name));
                    let value = if self.graphql_scalars { self.dialect.graphql_scalar(f, value) } else { value };
                    // Concealed fields (a user's static token) show only to admins.
                    if self.grants.is_some() && f.is_secret() {
                        format!("CASE WHEN {value} IS NULL THEN NULL ELSE '**********' END")
                    } else {
                        value
                    }
                }
                EntryKind::Function(func, f) => call_sql(&fctx, b, scope, *func, &f.name)?,
                EntryKind::ManyToOne { field, related } => {
                    let Some((_, related_field)) = field.m2o() else {
                        continue;
                    };
                    let a = b.alias();
                    let related_scope = fctx.table_scope(b, related.coll, &a, &related.path)?;
                    let obj = self.object(b, related, &related_scope)?;
                    // The key as the caller sees it: no key, no related object.
                    let mut conditions =
                        vec![format!("{} = {}", column(&a, related_field), scope.column_expr(&field.name))];
                    conditions.extend(related_scope.rules().and_then(|r| r.row_predicate(&related.field_names())));
                    format!(
                        "(SELECT {obj} FROM {} AS {a} WHERE {})",
                        ident(&related.coll.name),
                        conditions.join(" AND ")
                    )
                }
                EntryKind::OneToMany { field, related, query } => {
                    // Each child's object is built inside the sub-select:
                    // SQLite adds an enclosing query's expression height to
                    // every FROM sub-select it codes, so objects built
                    // outside would make nested levels count many times
                    // against D1's expression depth limit (100). The JSON
                    // subtype does not cross the sub-select: json() restores it.
                    let a = b.alias();
                    let child = fctx.table_scope(b, related.coll, &a, &related.path)?;
                    let obj = self.object(b, related, &child)?;
                    self.children(b, scope, field, &child, query, (&obj, true), &related.field_names())?
                }
                EntryKind::OneToManyKeys { field, related, query } => {
                    let a = b.alias();
                    let path = scope.child_path(&field.name);
                    let child = fctx.table_scope(b, related, &a, &path)?;
                    let pk = child.raw_column(&related.primary_key);
                    self.children(b, scope, field, &child, query, (&pk, false), &[])?
                }
            };
            pairs.push((key.as_str(), value));
        }
        Ok(b.dialect().json_object(&pairs))
    }

    /// The sub-select of the JSON array of `value` (JSON when its flag
    /// says so) for each child of an o2m field of the parent row in
    /// `parent` that the caller may read, with the `deep` sub-query's
    /// filter, sort and limit; `value` reads the child's row through `child`.
    #[allow(clippy::too_many_arguments)]
    fn children(
        &self,
        b: &mut SqlBuilder,
        parent: &Scope<'a>,
        field: &Field,
        child: &Scope<'a>,
        query: &Query,
        (value, value_is_json): (&str, bool),
        requested: &[&str],
    ) -> ApiResult<String> {
        let Some(FieldRelation::OneToMany { related_field, sort_field, .. }) = &field.relation else {
            return Err(ApiError::internal("one-to-many field without relation"));
        };
        let alias = child.alias().to_string();
        let mut conditions =
            vec![format!("{} = {}", column(&alias, related_field), parent.raw_column(&parent.coll().primary_key))];
        conditions.extend(child.rules().and_then(|r| r.row_predicate(requested)));
        conditions.extend(self.conditions(b, child, query)?);
        let mut sort = query.sort.clone();
        if sort.is_empty() {
            if let Some(s) = sort_field {
                sort.push(SortKey { path: s.clone(), descending: false });
            }
        }
        let order = self.order_by(b, child, &sort)?;
        // Directus applies the default limit to each parent's children too.
        let limit = self.limit_clause(query)?;
        let from_where = format!("{} AS {alias}{}", ident(&child.coll().name), where_clause(&conditions));
        Ok(self.dialect.child_list(value, value_is_json, &from_where, &order, &limit))
    }
}

/// ` ORDER BY` of (expression, direction) keys.
fn order_clause(keys: &[(String, &'static str)]) -> String {
    let keys: Vec<String> = keys.iter().map(|(expr, direction)| format!("{expr} {direction}")).collect();
    format!(" ORDER BY {}", keys.join(", "))
}

pub(super) fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// Directus `search`: case-insensitive substring over the text fields the
/// caller may read, equality over numeric fields when the term is a number,
/// and over uuid fields when it looks like a uuid.
fn search_sql(b: &mut SqlBuilder, scope: &Scope, term: &str) -> String {
    let coll = scope.coll();
    let p = b.param(term.to_string());
    let number = term.trim().parse::<f64>().ok().filter(|f| f.is_finite());
    // Bound as numbers: a typed database will not compare an integer column with '1.0'.
    let integer = number.filter(|n| n.fract() == 0.0 && n.abs() < 9e15).map(|n| b.param(n as i64));
    let real = number.map(|n| b.param(n));
    let is_uuid = term.len() == 36 && term.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let mut parts = Vec::new();
    for f in coll.columns().filter(|f| scope.field(&f.name).is_ok()) {
        let e = scope.column_expr(&f.name);
        match (f.field_type, &integer, &real) {
            (t, _, _) if t.is_textual() => parts.push(b.dialect().text_match(TextMatch::Contains, true, &e, &p)),
            (t, Some(n), _) if t.is_integer() => parts.push(format!("{e} = {n}")),
            (t, _, Some(x)) if t.is_numeric() && !t.is_integer() => parts.push(format!("{e} = {x}")),
            (FieldType::Uuid, _, _) if is_uuid => parts.push(format!("{e} = {p}")),
            _ => {}
        }
    }
    if parts.is_empty() {
        "1=0".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// The m2o path of `groupBy`/`sort` entries resolved to SQL, as the caller
/// may read it.
pub(super) fn path_expr<'a>(
    fctx: &FilterCtx<'a>,
    b: &mut SqlBuilder,
    scope: &Scope<'a>,
    path: &str,
) -> ApiResult<String> {
    if let Some((func, arg)) = parse_call(path)? {
        // Functions over an m2o path: `year(author.birth_date)`.
        let (owner, f) = fctx.resolve_path(b, scope, arg)?;
        return call_sql(fctx, b, &owner, func, &f.name);
    }
    let (owner, f) = fctx.resolve_path(b, scope, path)?;
    if f.is_alias() {
        return Err(ApiError::invalid_query(format!("\"{path}\" is a one-to-many field and cannot be used here")));
    }
    Ok(owner.column_expr(&f.name))
}
