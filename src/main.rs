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
            Command::Bootstrap(args) => bootstrap(args).await,
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
    let size = match args.set {
        DataSet::Cms => args.articles,
        DataSet::Music => args.tracks,
    };
    let created = rectus::native::demo::create(&args.out, args.set, size, &args.admin, args.hash.params()).await?;
    rectus::native::demo::print_admin(&created);
    Ok(())
}

async fn bootstrap(args: rectus::native::cli::BootstrapArgs) -> rectus::native::server::anyhow_like::Result<()> {
    use rectus::bootstrap::{bootstrap, AdminSeed};
    let driver = rectus::db::libsql::LibsqlDriver::open(&args.db, &Default::default())
        .await
        .map_err(|e| format!("cannot open {}: {e}", args.db))?;
    let seed = AdminSeed {
        email: args.admin.admin_email.clone(),
        password: args.admin.admin_password.clone(),
        token: args.admin.admin_token.clone(),
    };
    let report = bootstrap(&driver, &rectus::native::host::SystemHost, &seed, args.hash.params())
        .await
        .map_err(|e| format!("bootstrap failed: {e}"))?;
    match report.applied.as_slice() {
        [] => eprintln!("{}: the system tables were there already", args.db),
        applied => eprintln!("{}: applied migrations {}", args.db, applied.join(", ")),
    }
    match &report.admin {
        Some(created) => rectus::native::demo::print_admin(created),
        None => eprintln!("{}: it has users already; none was created", args.db),
    }
    Ok(())
}
