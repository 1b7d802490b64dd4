//! `rectus bootstrap`: creates Directus's system tables through the
//! versioned SQL files in `migrations/` and, on a database without users, a
//! first admin (with the Administrator role and policy) and the public
//! policy. Idempotent; it never touches the user's own tables.

use crate::app::Host;
use crate::auth::password::HashParams;
use crate::auth::random;
use crate::db::{DbError, DbResult, Dialect, Driver, Statement, Value};

/// One database's migrations, in order: (version, name, SQL).
type Migrations = &'static [(&'static str, &'static str, &'static str)];

const SQLITE: Migrations = &[
    ("0001", "system tables", include_str!("../migrations/sqlite/0001_system_tables.sql")),
    ("0002", "data versions", include_str!("../migrations/sqlite/0002_data_versions.sql")),
];

const POSTGRES: Migrations = &[
    ("0001", "system tables", include_str!("../migrations/postgres/0001_system_tables.sql")),
    ("0002", "data versions", include_str!("../migrations/postgres/0002_data_versions.sql")),
];

const MYSQL: Migrations = &[
    ("0001", "system tables", include_str!("../migrations/mysql/0001_system_tables.sql")),
    ("0002", "data versions", include_str!("../migrations/mysql/0002_data_versions.sql")),
];

/// The migrations of `dialect`'s database.
pub fn migrations(dialect: Dialect) -> Migrations {
    match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
        Dialect::MariaDb => MYSQL,
    }
}

/// `applied_at` holds Unix milliseconds.
const MIGRATIONS_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "rectus_migrations" ("version" varchar(255) NOT NULL PRIMARY KEY, "name" varchar(255) NOT NULL, "applied_at" bigint NOT NULL)"#;

/// The first admin.
#[derive(Debug, Clone)]
pub struct AdminSeed {
    pub email: String,
    /// `None`: a password is generated (and reported once).
    pub password: Option<String>,
    /// The admin's static token (`directus_users.token`), if any.
    pub token: Option<String>,
}

/// What a bootstrap did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Migration versions applied now.
    pub applied: Vec<String>,
    /// Set when the first admin was created now.
    pub admin: Option<CreatedAdmin>,
}

#[derive(Debug, Clone)]
pub struct CreatedAdmin {
    pub id: String,
    pub email: String,
    /// The password, when rectus generated it (it is shown only this once).
    pub generated_password: Option<String>,
    /// The admin's static token, when one was given.
    pub token: Option<String>,
    /// The public policy's id (the demo adds permissions to it).
    pub public_policy: String,
}

/// Applies the migrations not applied yet, then seeds the first admin when
/// the database has no user.
pub async fn bootstrap(driver: &dyn Driver, host: &dyn Host, seed: &AdminSeed, hash: HashParams) -> DbResult<Report> {
    let mut report = Report { applied: migrate(driver, host).await?, admin: None };
    let users = driver.query(&Statement::new("SELECT count(*) FROM directus_users")).await?;
    if users.scalar().and_then(Value::as_i64).unwrap_or(0) == 0 {
        report.admin = Some(seed_admin(driver, host, seed, hash).await?);
    }
    Ok(report)
}

/// Applies the migrations not applied yet, each in a transaction; returns
/// the versions applied now.
pub async fn migrate(driver: &dyn Driver, host: &dyn Host) -> DbResult<Vec<String>> {
    run(driver, &[Statement::new(MIGRATIONS_TABLE)]).await?;
    let applied = driver.query(&Statement::new("SELECT version FROM rectus_migrations")).await?;
    let applied: Vec<String> = applied.rows.iter().filter_map(|r| r.first()?.as_str().map(str::to_string)).collect();
    let mut now_applied = Vec::new();
    for (version, name, sql) in migrations(driver.dialect()) {
        if applied.iter().any(|v| v == version) {
            continue;
        }
        let mut statements = split(sql);
        statements.push(Statement::with_params(
            "INSERT INTO rectus_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            vec![(*version).into(), (*name).into(), host.now_ms().into()],
        ));
        run(driver, &statements).await?;
        now_applied.push(version.to_string());
    }
    Ok(now_applied)
}

/// The Administrator role and policy, the public policy, settings and the
/// first admin user, in one transaction.
async fn seed_admin(
    driver: &dyn Driver,
    host: &dyn Host,
    seed: &AdminSeed,
    hash: HashParams,
) -> DbResult<CreatedAdmin> {
    let (role, admin_policy, public_policy, user) =
        (random::uuid_v4(host), random::uuid_v4(host), random::uuid_v4(host), random::uuid_v4(host));
    let generated_password = seed.password.is_none().then(|| random::token(host, 16));
    let password = seed.password.clone().or_else(|| generated_password.clone()).unwrap_or_default();
    let mut salt = [0u8; 16];
    host.fill_random(&mut salt);
    let password_hash = host.hash_password(password, salt, hash).await.map_err(DbError::Other)?;
    let settings = driver.query(&Statement::new("SELECT count(*) FROM directus_settings")).await?;
    let mut statements = vec![
        Statement::with_params(
            "INSERT INTO directus_roles (id, name, icon, description) VALUES (?1, 'Administrator', 'verified', '$t:admin_description')",
            vec![role.clone().into()],
        ),
        Statement::with_params(
            "INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES (?1, 'Administrator', 'verified', '$t:admin_description', TRUE, TRUE)",
            vec![admin_policy.clone().into()],
        ),
        Statement::with_params(
            "INSERT INTO directus_policies (id, name, icon, description, admin_access, app_access) VALUES (?1, '$t:public_label', 'public', '$t:public_description', FALSE, FALSE)",
            vec![public_policy.clone().into()],
        ),
        Statement::with_params(
            r#"INSERT INTO directus_access (id, role, "user", policy, sort) VALUES (?1, NULL, NULL, ?2, 1), (?3, ?4, NULL, ?5, NULL)"#,
            vec![
                random::uuid_v4(host).into(),
                public_policy.clone().into(),
                random::uuid_v4(host).into(),
                role.clone().into(),
                admin_policy.into(),
            ],
        ),
        Statement::with_params(
            "INSERT INTO directus_users (id, first_name, last_name, email, password, status, role, token, provider) VALUES (?1, 'Admin', 'User', ?2, ?3, 'active', ?4, ?5, 'default')",
            vec![user.clone().into(), seed.email.clone().into(), password_hash.into(), role.into(), seed.token.clone().into()],
        ),
    ];
    if settings.scalar().and_then(Value::as_i64).unwrap_or(0) == 0 {
        statements.push(Statement::new("INSERT INTO directus_settings (project_name) VALUES ('rectus')"));
    }
    run(driver, &statements).await?;
    Ok(CreatedAdmin {
        id: user,
        email: seed.email.clone(),
        generated_password,
        token: seed.token.clone(),
        public_policy,
    })
}

/// Runs statements in one transaction.
async fn run(driver: &dyn Driver, statements: &[Statement]) -> DbResult<()> {
    let mut tx = driver.begin().await?;
    for s in statements {
        tx.execute(s).await?;
    }
    tx.commit().await
}

/// The statements of a migration file: `;` ends one at the end of a line;
/// `--` lines are comments.
pub fn split(sql: &str) -> Vec<Statement> {
    let without_comments: String =
        sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    without_comments
        .split(";\n")
        .map(|s| s.trim().trim_end_matches(';').trim())
        .filter(|s| !s.is_empty())
        .map(Statement::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_split_into_statements() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MariaDb] {
            let statements = split(migrations(dialect)[0].2);
            assert!(statements.iter().all(|s| !s.sql.contains(";\n") && !s.sql.starts_with("--")));
            assert!(statements.iter().any(|s| s.sql.contains("\"directus_users\"")));
            assert!(statements.iter().filter(|s| s.sql.starts_with("CREATE TABLE")).count() >= 10);
        }
    }
}
