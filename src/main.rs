//! `rectus` binary: see `rectus --help`.

use clap::Parser;
use rectus::native::cli::{Cli, Command, DataSet};
use rectus::native::database::{Database, Opened};
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
            Command::Build(args) => build(args).await,
            Command::Copy(args) => copy(args).await,
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
    let db = Database::parse(&args.db);
    let driver = Opened::open(&db, &Default::default(), &Default::default()).await?.driver();
    let label = db.label();
    let seed = AdminSeed {
        email: args.admin.admin_email.clone(),
        password: args.admin.admin_password.clone(),
        token: args.admin.admin_token.clone(),
    };
    let report = bootstrap(driver.as_ref(), &rectus::native::host::SystemHost, &seed, args.hash.params())
        .await
        .map_err(|e| format!("bootstrap failed: {e}"))?;
    match report.applied.as_slice() {
        [] => eprintln!("{label}: the system tables were there already"),
        applied => eprintln!("{label}: applied migrations {}", applied.join(", ")),
    }
    match &report.admin {
        Some(created) => rectus::native::demo::print_admin(created),
        None => eprintln!("{label}: it has users already; none was created"),
    }
    Ok(())
}

async fn copy(args: rectus::native::cli::CopyArgs) -> rectus::native::server::anyhow_like::Result<()> {
    let (from, to) = (Database::parse(&args.from), Database::parse(&args.to));
    match (&from, &to) {
        (Database::File(path), to) if to.is_server() && std::path::Path::new(path).exists() => {}
        (Database::File(path), to) if to.is_server() => return Err(format!("{path} does not exist").into()),
        _ => return Err("--from names a SQLite file and --to a postgres:// or mysql:// URL".into()),
    }
    let source = Opened::open(&from, &Default::default(), &Default::default()).await?.driver();
    let target = Opened::open(&to, &Default::default(), &Default::default()).await?.driver();
    let started = std::time::Instant::now();
    let report = rectus::native::copy::copy(source.as_ref(), target.as_ref(), &rectus::native::host::SystemHost)
        .await
        .map_err(|e| match to {
            Database::Postgres(_) => format!("copy failed (nothing was written): {e}"),
            _ => format!("copy failed (the tables it created stay; drop them before trying again): {e}"),
        })?;
    eprintln!(
        "{}: {} tables, {} rows copied in {} ms",
        to.label(),
        report.tables,
        report.rows,
        started.elapsed().as_millis()
    );
    Ok(())
}

async fn build(args: rectus::native::cli::BuildArgs) -> rectus::native::server::anyhow_like::Result<()> {
    use rectus::schema::introspect::{fingerprint, snapshot, BuiltSnapshot, SNAPSHOT_FORMAT};
    let db = Database::parse(&args.db);
    if let Database::File(path) = &db {
        if !std::path::Path::new(path).exists() {
            return Err(format!("{path} does not exist").into());
        }
    }
    let driver = Opened::open(&db, &Default::default(), &Default::default()).await?.driver();
    let built = BuiltSnapshot {
        format: SNAPSHOT_FORMAT.to_string(),
        fingerprint: fingerprint(driver.as_ref()).await.map_err(|e| e.to_string())?,
        schema: snapshot(driver.as_ref()).await.map_err(|e| e.to_string())?,
    };
    if let Some(dir) = std::path::Path::new(&args.out).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string(&built).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, &json).map_err(|e| format!("cannot write {}: {e}", args.out))?;
    eprintln!(
        "{}: schema snapshot of {} collections ({} KB, fingerprint {})",
        args.out,
        built.schema.collections.len(),
        json.len() / 1024,
        built.fingerprint
    );
    Ok(())
}
