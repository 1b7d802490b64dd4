//! Caches: compiled read plans, so a query shape seen before skips parsing
//! and compiling ("compile once, bind many"), and whole GET responses,
//! valid until the next write.

mod plans;
mod responses;

pub use plans::{PlanCache, PlanKind};
pub use responses::{CacheSettings, CachedResponse, ResponseCache};
