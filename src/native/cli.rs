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
    /// Database: a SQLite/libSQL file path or a `file:` URL. It must exist
    /// (see --create and --demo); existing databases are served as they are:
    /// nothing is migrated or added to their tables.
    #[arg(long, env = "RECTUS_DB", default_value = "rectus.db")]
    pub db: String,
    /// Create an empty database file when --db names none (without it, a
    /// missing file is an error: a mistyped path is not a new database).
    #[arg(long, env = "RECTUS_CREATE")]
    pub create: bool,
    /// Address to listen on.
    #[arg(long, env = "RECTUS_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "RECTUS_PORT", default_value_t = 8055)]
    pub port: u16,
    /// Fill an empty or missing database with the demo data set first.
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
    /// Read connections kept open (default: one per core). More are opened,
    /// up to --max-readers, while slow statements hold these.
    #[arg(long, env = "RECTUS_READERS")]
    pub readers: Option<usize>,
    /// Most read connections open at once.
    #[arg(long, env = "RECTUS_MAX_READERS", default_value_t = 32)]
    pub max_readers: usize,
    /// Time budget of one SQL statement, in milliseconds: a statement still
    /// running after it is stopped and the request answers OUT_OF_TIME (408).
    #[arg(long, env = "RECTUS_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub statement_timeout_ms: u64,
    /// Deepest relational path accepted in fields, filter, sort and deep
    /// (Directus's MAX_RELATIONAL_DEPTH; at least 2).
    #[arg(long, env = "MAX_RELATIONAL_DEPTH", default_value_t = 10)]
    pub max_relational_depth: usize,
    /// Seconds between checks for schema changes made by others.
    #[arg(long, env = "RECTUS_SCHEMA_POLL_SECONDS", default_value_t = 2)]
    pub schema_poll_seconds: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The SQLite file to create (must not exist yet).
    #[arg(long)]
    pub out: String,
    /// Which data set: `cms` (a headless CMS and signage feed with Directus
    /// metadata) or `music` (a Chinook-like store: plain SQLite, foreign keys
    /// without indexes).
    #[arg(long, value_enum, default_value_t = DataSet::Cms)]
    pub set: DataSet,
    /// Articles to generate for `cms` (10k to 1M for benchmarks).
    #[arg(long, default_value_t = 1000)]
    pub articles: u64,
    /// Tracks to generate for `music` (3503 is Chinook's size).
    #[arg(long, default_value_t = 3503)]
    pub tracks: u64,
}

/// The demo data sets `rectus demo` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataSet {
    Cms,
    Music,
}

impl ServeArgs {
    /// The file path of `--db` (accepts `file:` URLs).
    pub fn db_path(&self) -> &str {
        self.db.strip_prefix("file://").or_else(|| self.db.strip_prefix("file:")).unwrap_or(&self.db)
    }
}
