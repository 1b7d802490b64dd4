//! The query layer: Directus query parameters parsed into a [`Query`] AST.
//! Knows nothing of SQL.

pub mod ast;
mod depth;
pub mod parse;
pub mod qs;

pub use ast::*;
pub use depth::{check_relational_depth, relational_depth};
pub use parse::{parse_filter, parse_query_json, parse_query_string};
