//! The command line: `rectus serve` and `rectus demo`.

use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;

/// rectus: an open data platform. Mirrors a SQL database's schema and serves
/// the Directus REST API over it.
#[derive(Debug, Parser)]
#[command(name = "rectus", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Directus-compatible API over a database.
    Serve(ServeArgs),
    /// Write the deterministic demo data set (headless CMS + signage feed)
    /// into a new SQLite file.
    Demo(DemoArgs),
    /// Print a SQLite file as SQL (schema, then INSERTs), e.g. to import it
    /// into D1 with `wrangler d1 execute DB --local --file dump.sql`.
    Dump(DumpArgs),
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The SQLite file to read.
    #[arg(long)]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Database: a SQLite/libSQL file path (created when missing) or a
    /// `file:` URL. Existing databases are served as they are: nothing is
    /// migrated or added to their tables.
    #[arg(long, env = "RECTUS_DB", default_value = "rectus.db")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, env = "RECTUS_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "RECTUS_PORT", default_value_t = 8055)]
    pub port: u16,
    /// Fill an empty database with the demo data set first.
    #[arg(long, env = "RECTUS_DEMO")]
    pub demo: bool,
    /// Articles in the demo data set (other tables scale with it).
    #[arg(long, env = "RECTUS_DEMO_ARTICLES", default_value_t = 1000)]
    pub demo_articles: u64,
    /// Rows returned when a query gives no `limit` (QUERY_LIMIT_DEFAULT).
    #[arg(long, env = "RECTUS_QUERY_LIMIT_DEFAULT", default_value_t = 100)]
    pub query_limit_default: i64,
    /// Largest `limit` allowed; unset allows `limit=-1` (QUERY_LIMIT_MAX).
    #[arg(long, env = "RECTUS_QUERY_LIMIT_MAX")]
    pub query_limit_max: Option<i64>,
    /// Largest request body in bytes (MAX_PAYLOAD_SIZE).
    #[arg(long, env = "RECTUS_MAX_PAYLOAD_SIZE", default_value_t = 1_048_576)]
    pub max_payload_size: usize,
    /// Allowed CORS origin(s), comma separated, or `*`. CORS is off when unset.
    #[arg(long, env = "RECTUS_CORS_ORIGIN")]
    pub cors_origin: Option<String>,
    /// Read connections (default: one per core).
    #[arg(long, env = "RECTUS_READERS")]
    pub readers: Option<usize>,
    /// Seconds between checks for schema changes made by others.
    #[arg(long, env = "RECTUS_SCHEMA_POLL_SECONDS", default_value_t = 2)]
    pub schema_poll_seconds: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The SQLite file to create (must not exist yet).
    #[arg(long)]
    pub out: String,
    /// Articles to generate (10k to 1M for benchmarks).
    #[arg(long, default_value_t = 1000)]
    pub articles: u64,
}

impl ServeArgs {
    /// The file path of `--db` (accepts `file:` URLs).
    pub fn db_path(&self) -> &str {
        self.db.strip_prefix("file://").or_else(|| self.db.strip_prefix("file:")).unwrap_or(&self.db)
    }
}
