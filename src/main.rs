//! `rectus` binary: see `rectus --help`.

use clap::Parser;
use rectus::native::cli::{Cli, Command, DataSet};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("RECTUS_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rectus: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => rectus::native::server::serve(args).await,
            Command::Demo(args) => demo(args).await,
            Command::Dump(args) => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                rectus::native::dump::dump(&args.db, &mut out).await
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rectus: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn demo(args: rectus::native::cli::DemoArgs) -> rectus::native::server::anyhow_like::Result<()> {
    if std::path::Path::new(&args.out).exists() {
        return Err(format!("{} already exists", args.out).into());
    }
    let db = libsql::Builder::new_local(&args.out).build().await.map_err(|e| e.to_string())?;
    let conn = db.connect().map_err(|e| e.to_string())?;
    match args.set {
        DataSet::Cms => rectus::native::server::load_demo(&conn, args.articles).await,
        DataSet::Music => rectus::native::server::load_music(&conn, args.tracks).await,
    }
}
