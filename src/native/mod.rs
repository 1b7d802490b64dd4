//! The native host: CLI, HTTP server, system clock and randomness. Everything
//! tokio- or filesystem-bound lives here, outside the core.

pub mod cli;
pub mod copy;
pub mod database;
pub mod demo;
pub mod dump;
pub mod host;
pub mod server;
