//! The command line: `rectus serve`, `rectus bootstrap`, `rectus demo`, `rectus dump`.

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
    #[command(args_override_self = true)]
    Serve(ServeArgs),
    /// Create Directus's system tables (users, roles, policies, permissions,
    /// sessions, settings) in a database, and a first admin when it has no
    /// user. Idempotent; the database's own tables are left alone.
    Bootstrap(BootstrapArgs),
    /// Write the deterministic demo data set (headless CMS + signage feed)
    /// into a new SQLite file.
    Demo(DemoArgs),
    /// Write the schema snapshot of a database (what introspection finds,
    /// with its fingerprint) for the edge worker to bundle:
    /// `RECTUS_SNAPSHOT=build/snapshot.json scripts/edge-build`.
    Build(BuildArgs),
    /// Print a SQLite file as SQL (schema, then INSERTs), e.g. to import it
    /// into D1 with `wrangler d1 execute DB --local --file dump.sql`.
    Dump(DumpArgs),
    /// Copy a SQLite file (tables, keys, indexes, rows, Directus's system
    /// tables) into an empty Postgres schema or MariaDB database, e.g. the
    /// demo data set: `rectus demo --out demo.db && rectus copy --from
    /// demo.db --to postgres://...` (or `mysql://...`).
    Copy(CopyArgs),
}

/// The first admin's credentials (Directus's ADMIN_* variables).
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// The first admin's email.
    #[arg(long, env = "ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    /// The first admin's password; generated and printed once when unset.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// A static token for the first admin (`Authorization: Bearer <token>`).
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

/// Password hashing cost (Directus's HASH_* variables; its defaults).
#[derive(Debug, Clone, Args)]
pub struct HashArgs {
    /// argon2id memory in KiB.
    #[arg(long, env = "HASH_MEMORY_COST", default_value_t = 65_536)]
    pub hash_memory_cost: u32,
    /// argon2id iterations.
    #[arg(long, env = "HASH_TIME_COST", default_value_t = 3)]
    pub hash_time_cost: u32,
    /// argon2id lanes.
    #[arg(long, env = "HASH_PARALLELISM", default_value_t = 4)]
    pub hash_parallelism: u32,
}

impl HashArgs {
    pub fn params(&self) -> crate::auth::password::HashParams {
        crate::auth::password::HashParams {
            memory_kib: self.hash_memory_cost,
            iterations: self.hash_time_cost,
            parallelism: self.hash_parallelism,
        }
    }
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The SQLite file (created when missing) or a Postgres or MariaDB URL.
    #[arg(long, env = "RECTUS_DB", default_value = "rectus.db")]
    pub db: String,
    #[command(flatten)]
    pub admin: AdminArgs,
    #[command(flatten)]
    pub hash: HashArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The SQLite file or a Postgres or MariaDB URL whose schema to snapshot.
    #[arg(long, env = "RECTUS_DB", default_value = "rectus.db")]
    pub db: String,
    /// Where to write the snapshot.
    #[arg(long, default_value = "build/snapshot.json")]
    pub out: String,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The SQLite file to copy.
    #[arg(long)]
    pub from: String,
    /// The Postgres or MariaDB URL to copy into; its current schema (or
    /// database) must not hold the file's tables yet
    /// (`?options=-csearch_path%3Dname` picks a Postgres schema).
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The SQLite file to read.
    #[arg(long)]
    pub db: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Database: a SQLite/libSQL file path or a `file:` URL, a Postgres URL
    /// (`postgres://user:password@host:5432/db`; its current schema is
    /// served, `?options=-csearch_path%3Dname` picks another) or a MariaDB
    /// URL (`mysql://user:password@host:3306/db`). A file must
    /// exist (see --create and --demo); existing databases are served as
    /// they are: nothing is migrated or added to their tables.
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
    /// Most connections open at once to a database server (Postgres, MariaDB).
    #[arg(long, env = "RECTUS_DB_CONNECTIONS", default_value_t = 8)]
    pub db_connections: usize,
    /// Time budget of one SQL statement, in milliseconds: a statement still
    /// running after it is stopped and the request answers OUT_OF_TIME (408).
    #[arg(long, env = "RECTUS_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub statement_timeout_ms: u64,
    /// Deepest relational path accepted in fields, filter, sort and deep
    /// (Directus's MAX_RELATIONAL_DEPTH; at least 2).
    #[arg(long, env = "MAX_RELATIONAL_DEPTH", default_value_t = 10)]
    pub max_relational_depth: usize,
    /// Keep whole GET responses of /items and /graphql in memory until a
    /// table they read is written: through this server at once, through
    /// another rectus on the same database within --cache-version-poll, by
    /// another program writing the file within --schema-poll-seconds. On
    /// unless `--cache-enabled false`.
    #[arg(long, env = "CACHE_ENABLED", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub cache_enabled: bool,
    /// How long a cached response may be served (`5m`, `30s`, or milliseconds).
    #[arg(long, env = "CACHE_TTL", default_value = "5m", value_parser = crate::auth::duration_ms)]
    pub cache_ttl: i64,
    /// Memory for cached response bodies, in megabytes.
    #[arg(long, env = "RECTUS_CACHE_MAX_MB", default_value_t = 64)]
    pub cache_max_mb: usize,
    /// Let a client's `Cache-Control: no-store` bypass the cache.
    #[arg(long, env = "CACHE_SKIP_ALLOWED", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub cache_skip_allowed: bool,
    /// Seconds a CDN in front may keep a cached read (`s-maxage`); unset,
    /// it must revalidate every time.
    #[arg(long, env = "CACHE_CONTROL_S_MAXAGE")]
    pub cache_control_s_maxage: Option<u64>,
    /// A response header that says whether a cacheable read was a HIT or a
    /// MISS (e.g. `X-Cache-Status`).
    #[arg(long, env = "CACHE_STATUS_HEADER")]
    pub cache_status_header: Option<http::HeaderName>,
    /// How often the data versions other rectus instances bump are read
    /// (`1s`, `250ms`, or milliseconds): the bound on how long their writes
    /// stay unseen in this server's cache.
    #[arg(long, env = "CACHE_VERSION_POLL", default_value = "1s", value_parser = crate::auth::duration_ms)]
    pub cache_version_poll: i64,
    /// Seconds between checks for schema, access and (with the cache on)
    /// data changes made by others.
    #[arg(long, env = "RECTUS_SCHEMA_POLL_SECONDS", default_value_t = 2)]
    pub schema_poll_seconds: u64,
    /// Signs access tokens; hosts sharing it accept each other's tokens.
    /// When unset a random one is made, and tokens die with the process.
    #[arg(long, env = "SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Lifetime of access tokens (`15m`, `1h`, or milliseconds).
    #[arg(long, env = "ACCESS_TOKEN_TTL", default_value = "15m", value_parser = crate::auth::duration_ms)]
    pub access_token_ttl: i64,
    /// Lifetime of refresh tokens.
    #[arg(long, env = "REFRESH_TOKEN_TTL", default_value = "7d", value_parser = crate::auth::duration_ms)]
    pub refresh_token_ttl: i64,
    /// Lifetime of session cookies (login mode `session`).
    #[arg(long, env = "SESSION_COOKIE_TTL", default_value = "1d", value_parser = crate::auth::duration_ms)]
    pub session_cookie_ttl: i64,
    /// Every login answers no sooner than this (milliseconds), so timing
    /// tells nothing about which check failed.
    #[arg(long, env = "LOGIN_STALL_TIME", default_value_t = 500)]
    pub login_stall_time: u64,
    /// Mark auth cookies `Secure` (serve over HTTPS).
    #[arg(long, env = "REFRESH_TOKEN_COOKIE_SECURE")]
    pub cookie_secure: bool,
    #[command(flatten)]
    pub admin: AdminArgs,
    #[command(flatten)]
    pub hash: HashArgs,
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
    #[command(flatten)]
    pub admin: AdminArgs,
    #[command(flatten)]
    pub hash: HashArgs,
}

/// The demo data sets `rectus demo` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataSet {
    Cms,
    Music,
}
