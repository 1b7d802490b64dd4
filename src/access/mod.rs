//! Access control: Directus 11's roles, policies and permissions, loaded
//! once into a snapshot and compiled into the grants the SQL compiler
//! applies (see `sql::access`).

pub mod caller;
pub mod grants;
mod ip;
pub mod snapshot;
pub mod validate;
pub mod variables;

pub use caller::Caller;
pub use grants::{Action, CollectionGrant, FieldSet, PolicyGrants};
pub use snapshot::{AccessSnapshot, PolicySet, REQUIRED_TABLES};
