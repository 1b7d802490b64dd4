//! Caches. So far: compiled read plans, so a query shape seen before skips
//! parsing and compiling ("compile once, bind many").

mod plans;

pub use plans::{PlanCache, PlanKind};
