//! The demo data sets as ready-to-serve databases: bootstrapped (system
//! tables, a first admin), filled, and with a public policy that shows the
//! rules at work.

use super::cli::{AdminArgs, DataSet};
use super::host::SystemHost;
use super::server::anyhow_like;
use crate::auth::password::HashParams;
use crate::bootstrap::{bootstrap, AdminSeed, CreatedAdmin};
use crate::db::libsql::LibsqlDriver;
use crate::db::{Driver, Statement};
use std::time::Instant;

/// What anonymous visitors of the cms demo may read: published articles,
/// the comments of published articles, authors' names, and the rest of the
/// catalogue and signage feed.
const CMS_PUBLIC: &[(&str, &str, Option<&str>)] = &[
    (
        "articles",
        "id,title,slug,status,body,author,category,published_at,publish_time,updated_at,views,word_count,rating,price,featured,metadata,keywords,uuid,tags,comments",
        Some(r#"{"status":{"_eq":"published"}}"#),
    ),
    ("comments", "*", Some(r#"{"article":{"status":{"_eq":"published"}}}"#)),
    ("authors", "id,name,country", None),
    ("categories", "*", None),
    ("tags", "*", None),
    ("articles_tags", "*", None),
    ("countries", "*", None),
    ("playlists", "*", None),
    ("slides", "*", None),
    ("site_settings", "*", None),
];

/// The music store is read-only public data.
const MUSIC_PUBLIC: &[&str] = &[
    "artist",
    "album",
    "genre",
    "media_type",
    "track",
    "customer",
    "invoice",
    "invoiceline",
    "playlist",
    "playlist_track",
];

/// Creates the data set `set` in a new file at `path` and reports the admin.
pub async fn create(
    path: &str,
    set: DataSet,
    size: u64,
    admin: &AdminArgs,
    hash: HashParams,
) -> anyhow_like::Result<CreatedAdmin> {
    let started = Instant::now();
    let driver =
        LibsqlDriver::open(path, &Default::default()).await.map_err(|e| format!("cannot create {path}: {e}"))?;
    // A demo admin gets a static token too, so curl can write at once.
    let token = admin.admin_token.clone().or_else(|| Some(crate::auth::random::token(&SystemHost, 32)));
    let seed = AdminSeed { email: admin.admin_email.clone(), password: admin.admin_password.clone(), token };
    let report = bootstrap(&driver, &SystemHost, &seed, hash).await.map_err(|e| format!("bootstrap failed: {e}"))?;
    let created = report.admin.ok_or("the new database already had users")?;
    let db = libsql::Builder::new_local(path).build().await.map_err(|e| e.to_string())?;
    let conn = db.connect().map_err(|e| e.to_string())?;
    let mut progress = |table: &str, done: u64, total: u64| {
        if done == total || (done > 0 && done.is_multiple_of(100_000)) {
            eprintln!("  {table:<14} {done:>9}/{total}");
        }
    };
    let public: Vec<(String, String, Option<String>)> = match set {
        DataSet::Cms => {
            eprintln!("Loading the demo data set ({size} articles)...");
            let tables = crate::fixtures::tables(&crate::fixtures::Size { articles: size });
            let ddl = [crate::fixtures::SCHEMA_SQL, crate::fixtures::METADATA_SQL];
            crate::fixtures::load_tables(&conn, &ddl, tables, &mut progress).await.map_err(|e| e.to_string())?;
            CMS_PUBLIC.iter().map(|(c, f, r)| (c.to_string(), f.to_string(), r.map(str::to_string))).collect()
        }
        DataSet::Music => {
            eprintln!("Loading the music store ({size} tracks)...");
            let tables = crate::fixtures::music::tables(&crate::fixtures::music::MusicSize { tracks: size });
            let ddl = [crate::fixtures::music::SCHEMA_SQL];
            crate::fixtures::load_tables(&conn, &ddl, tables, &mut progress).await.map_err(|e| e.to_string())?;
            MUSIC_PUBLIC.iter().map(|c| (c.to_string(), "*".to_string(), None)).collect()
        }
    };
    drop(conn);
    let mut tx = driver.begin().await.map_err(|e| e.to_string())?;
    for (collection, fields, rule) in public {
        tx.execute(&Statement::with_params(
            "INSERT INTO directus_permissions (policy, collection, action, permissions, fields) VALUES (?1, ?2, 'read', ?3, ?4)",
            vec![created.public_policy.clone().into(), collection.into(), rule.into(), fields.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    eprintln!("Loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(created)
}

/// Prints the admin's credentials (a generated password only this once).
pub fn print_admin(created: &CreatedAdmin) {
    eprintln!("Admin user: {}", created.email);
    match &created.generated_password {
        Some(p) => eprintln!("  password: {p}   (generated; shown only now)"),
        None => eprintln!("  password: as given in ADMIN_PASSWORD"),
    }
    if let Some(t) = &created.token {
        eprintln!("  static token: {t}   (Authorization: Bearer {t})");
    }
}
