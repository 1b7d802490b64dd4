//! Caches: compiled read plans, so a query shape seen before skips parsing
//! and compiling ("compile once, bind many"), and whole GET responses,
//! valid until a table they read is written, here or elsewhere.

mod plans;
mod reads;
mod responses;
mod shared;
mod versioned_tx;
mod versions;

pub use plans::{PlanCache, PlanKind};
pub use reads::ReadLog;
pub use responses::{CacheSettings, CachedResponse, ResponseCache};
pub use shared::{SharedEntry, SharedTier, EVERYTHING};
pub use versioned_tx::{clear_everywhere, VersionedTx};
pub use versions::{VersionSync, TABLE as VERSIONS_TABLE};
