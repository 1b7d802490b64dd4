//! The SQL compiler: Query AST + schema snapshot → statements with bound
//! parameters. Identifiers come only from the snapshot; values are always
//! parameters. Only the SQLite dialect exists so far; Postgres and MySQL
//! plug in at `builder` (placeholders, quoting) and `read` (JSON functions).

mod aggregate;
pub mod builder;
pub mod dialect;
pub mod filter;
pub mod functions;
pub mod read;
mod scope;
mod selection;
pub mod tables;
pub mod time;
pub mod values;
pub mod vars;
pub mod write;

pub use builder::Compiled;
pub use read::{Plan, ReadCtx, DATA_COLUMN, FILTER_COUNT_COLUMN, TOTAL_COUNT_COLUMN};
pub use scope::{forbidden_collection, forbidden_field};
pub use vars::RequestVars;
