//! A small SQL text builder: quoted identifiers, numbered bound parameters
//! and fresh table aliases. Numbered placeholders (`?1`) let fragments be
//! built in any order and a value be referenced twice.

use super::dialect::Dialect;
use super::vars::{RequestVars, Slot};
use crate::db::{Statement, Value};

/// Accumulates parameters and hands out aliases while fragments are built,
/// in the SQL of one database.
#[derive(Debug)]
pub struct SqlBuilder {
    dialect: &'static dyn Dialect,
    params: Vec<Value>,
    next_alias: usize,
    /// Parameters a request fills in (`$CURRENT_USER`, `$NOW`, ...).
    slots: Vec<(usize, Slot)>,
    /// Known when the statement serves one request only: slots are bound at once.
    vars: Option<RequestVars>,
}

/// A compiled statement whose slots a request fills in.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub statement: Statement,
    pub slots: Vec<(usize, Slot)>,
}

impl Compiled {
    /// The statement with `vars` bound into its slots.
    pub fn bind(&self, vars: &RequestVars) -> Statement {
        let mut s = self.statement.clone();
        for (i, slot) in &self.slots {
            if let Some(p) = s.params.get_mut(*i) {
                *p = vars.value(*slot);
            }
        }
        s
    }
}

impl SqlBuilder {
    /// A builder for a plan that many requests share.
    pub fn new(dialect: &'static dyn Dialect) -> Self {
        SqlBuilder { dialect, params: Vec::new(), next_alias: 0, slots: Vec::new(), vars: None }
    }

    /// A builder for one request's statement: variables are bound as values.
    pub fn for_request(dialect: &'static dyn Dialect, vars: &RequestVars) -> Self {
        SqlBuilder { vars: Some(vars.clone()), ..SqlBuilder::new(dialect) }
    }

    /// The database the SQL is for.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// A request variable's placeholder.
    pub fn slot(&mut self, slot: Slot) -> String {
        match &self.vars {
            Some(vars) => {
                let v = vars.value(slot);
                self.param(v)
            }
            None => {
                self.slots.push((self.params.len(), slot));
                self.param(Value::Null)
            }
        }
    }

    /// Binds a value and returns its placeholder.
    pub fn param(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    /// The index the next bound parameter will get.
    pub fn next_param_index(&self) -> usize {
        self.params.len()
    }

    /// A fresh table alias (`t0`, `t1`, ...).
    pub fn alias(&mut self) -> String {
        let a = format!("t{}", self.next_alias);
        self.next_alias += 1;
        a
    }

    /// Finishes into a statement and its slots. Parameters of fragments
    /// that were built but left out of `sql` (a rule only some fields need)
    /// are dropped and the rest renumbered: SQLite would bind them as unused,
    /// but D1 refuses a statement whose bindings outnumber its placeholders.
    pub fn finish(self, sql: String) -> Compiled {
        let mut used = vec![false; self.params.len()];
        map_placeholders(&sql, |n| {
            if let Some(u) = used.get_mut(n - 1) {
                *u = true;
            }
            format!("?{n}")
        });
        if used.iter().all(|u| *u) {
            return Compiled { statement: Statement { sql: sql.into(), params: self.params }, slots: self.slots };
        }
        // new_index[old] = the 0-based position the kept parameter moves to.
        let mut new_index = vec![None; used.len()];
        let mut params = Vec::new();
        for (old, value) in self.params.into_iter().enumerate() {
            if used[old] {
                new_index[old] = Some(params.len());
                params.push(value);
            }
        }
        let sql = map_placeholders(&sql, |n| match new_index.get(n - 1).copied().flatten() {
            Some(i) => format!("?{}", i + 1),
            None => format!("?{n}"),
        });
        let slots = self.slots.into_iter().filter_map(|(i, slot)| new_index[i].map(|i| (i, slot))).collect();
        Compiled { statement: Statement { sql: sql.into(), params }, slots }
    }
}

/// Quotes an identifier taken from the schema snapshot.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `alias."column"`.
pub fn column(alias: &str, name: &str) -> String {
    format!("{alias}.{}", ident(name))
}

/// A string literal for SQL text we write ourselves (JSON keys of
/// `json_object`, which come from the schema or validated aliases).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A statement within `max` bound parameters (D1 and Durable-Object SQLite
/// allow 100): past it, `?N` placeholders become `json_extract(?1, '$[N-1]')`
/// with every value in one JSON array parameter. Placeholders inside quoted
/// literals or identifiers are left alone. Drivers with such a limit call it
/// just before binding, so cached plans keep their plain parameter layout.
pub fn fit_param_limit(stmt: &Statement, max: usize) -> std::borrow::Cow<'_, Statement> {
    if stmt.params.len() <= max {
        return std::borrow::Cow::Borrowed(stmt);
    }
    std::borrow::Cow::Owned(pack_params(stmt))
}

fn pack_params(stmt: &Statement) -> Statement {
    let sql = map_placeholders(&stmt.sql, |n| format!("json_extract(?1, '$[{}]')", n - 1));
    let values = serde_json::Value::Array(stmt.params.iter().map(Value::to_json).collect());
    Statement { sql: sql.into(), params: vec![Value::Text(values.to_string())] }
}

/// `sql` with each numbered placeholder `?N` (N ≥ 1) replaced by `f(N)`;
/// placeholders inside quoted literals or identifiers are left alone.
pub(crate) fn map_placeholders(sql: &str, mut f: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                match digits.parse::<usize>() {
                    Ok(n) if n > 0 => out.push_str(&f(n)),
                    _ => {
                        out.push('?');
                        out.push_str(&digits);
                    }
                }
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_left_out_of_the_sql_are_dropped() {
        let mut b = SqlBuilder::new(&crate::sql::dialect::Sqlite);
        let a = b.param(1i64);
        let _unused = b.param(2i64);
        let user = b.slot(Slot::User);
        let _unused_slot = b.slot(Slot::Role);
        let c = b.param(3i64);
        let compiled = b.finish(format!("SELECT {a}, '?2', {user}, {c}, {a}"));
        assert_eq!(&*compiled.statement.sql, "SELECT ?1, '?2', ?2, ?3, ?1");
        assert_eq!(compiled.statement.params, vec![Value::Integer(1), Value::Null, Value::Integer(3)]);
        assert_eq!(compiled.slots, vec![(1, Slot::User)]);
    }

    #[test]
    fn packs_many_parameters_into_one() {
        let mut b = SqlBuilder::new(&crate::sql::dialect::Sqlite);
        let placeholders: Vec<String> = (0..150).map(|i| b.param(i as i64)).collect();
        let stmt = b.finish(format!("SELECT '?7' AS \"?8\", {}", placeholders.join(" + "))).statement;
        let stmt = fit_param_limit(&stmt, 100).into_owned();
        assert_eq!(stmt.params.len(), 1);
        assert!(stmt.sql.starts_with("SELECT '?7' AS \"?8\", json_extract(?1, '$[0]') + json_extract(?1, '$[1]')"));
        assert!(stmt.sql.ends_with("json_extract(?1, '$[149]')"));
    }

    #[test]
    fn leaves_small_statements_alone() {
        let mut b = SqlBuilder::new(&crate::sql::dialect::Sqlite);
        let p = b.param("x");
        assert_eq!(
            b.finish(format!("SELECT {p}")).statement,
            Statement::with_params("SELECT ?1", vec![Value::Text("x".into())])
        );
    }
}
