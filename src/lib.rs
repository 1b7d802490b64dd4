//! rectus: an open data platform that mirrors a SQL database and serves the
//! Directus REST API over it.
//!
//! The core (everything but `native`) is target-independent: no tokio, no
//! filesystem, no clock. Hosts pass those in.

pub mod access;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cache;
pub mod db;
#[cfg(target_arch = "wasm32")]
pub mod edge;
pub mod error;
#[path = "../fixtures/mod.rs"]
#[cfg(not(target_arch = "wasm32"))]
pub mod fixtures;
pub mod graphql;
pub mod items;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod query;
pub mod rest;
pub mod schema;
pub mod sql;
