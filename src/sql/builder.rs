//! A small SQL text builder: quoted identifiers, numbered bound parameters
//! and fresh table aliases. Numbered placeholders (`?1`) let fragments be
//! built in any order and a value be referenced twice.

use crate::db::{Statement, Value};

/// Accumulates parameters and hands out aliases while fragments are built.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    params: Vec<Value>,
    next_alias: usize,
}

impl SqlBuilder {
    pub fn new() -> Self {
        SqlBuilder::default()
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

    /// Finishes into a statement.
    pub fn finish(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.params,
        }
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
