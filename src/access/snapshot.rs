//! The access snapshot: roles, policies, their attachments and permission
//! rows, read from Directus's system tables in one statement and shared
//! behind an `Arc` like the schema snapshot. Nothing here is parsed per
//! request; the grants of each set of policies are built once and cached.

use super::grants::{Action, FieldSet, Permission, PolicyGrants};
use super::ip::ip_allowed;
use crate::db::{DbResult, Driver, Statement, Value};
use crate::query::parse_filter;
use crate::schema::SchemaSnapshot;
use crate::sql::dialect::Dialect;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Directus's system tables rectus needs before it serves anything.
pub const REQUIRED_TABLES: [&str; 5] =
    ["directus_users", "directus_roles", "directus_policies", "directus_access", "directus_permissions"];

/// One statement reads it all (one round trip on the edge): each table as
/// one JSON array of rows.
fn load_sql(d: &dyn Dialect) -> String {
    // Rows in `order` where it matters (the policies' order decides).
    let rows = |columns: &[&str], table: &str, order: Option<&str>| {
        let row = d.json_array(&columns.iter().map(|c| c.to_string()).collect::<Vec<_>>());
        match order {
            None => format!("(SELECT {} FROM {table})", d.json_array_agg(&row, false)),
            Some(order) if d.keeps_subquery_order() => {
                format!("(SELECT {} FROM (SELECT * FROM {table} ORDER BY {order}) AS a)", d.json_array_agg(&row, false))
            }
            Some(order) => format!("(SELECT {} FROM {table})", d.json_array_agg_ordered(&row, order)),
        }
    };
    format!(
        "SELECT {} AS roles, {} AS policies, {} AS access, {} AS permissions",
        rows(&["id", "parent"], "directus_roles", None),
        rows(&["id", "admin_access", "app_access", "ip_access"], "directus_policies", None),
        rows(&["id", "role", "\"user\"", "policy"], "directus_access", Some("sort, id")),
        rows(
            &["id", "policy", "collection", "action", "permissions", "validation", "presets", "fields"],
            "directus_permissions",
            Some("id")
        ),
    )
}

/// The settings that shape auth (directus_settings).
const SETTINGS_SQL: &str = "SELECT auth_login_attempts FROM directus_settings ORDER BY id LIMIT 1";

#[derive(Debug, Clone)]
struct Policy {
    admin: bool,
    app: bool,
    /// IPs and CIDR blocks the policy is limited to; empty = anywhere.
    ip_access: Vec<String>,
}

#[derive(Debug, Clone)]
struct AccessRow {
    role: Option<String>,
    user: Option<String>,
    policy: String,
}

/// Roles, policies and permissions as loaded.
#[derive(Debug, Default)]
pub struct AccessSnapshot {
    /// False when the database has no Directus system tables yet.
    pub bootstrapped: bool,
    /// role -> parent role
    roles: HashMap<String, Option<String>>,
    policies: HashMap<String, Policy>,
    access: Vec<AccessRow>,
    permissions: Vec<Permission>,
    /// Failed logins in a row before a user is suspended (None: never).
    pub login_attempts: Option<u32>,
    /// Changes iff what was loaded changes.
    pub fingerprint: String,
    grants: Mutex<HashMap<Vec<String>, Arc<PolicyGrants>>>,
    /// Callers already resolved, by user, role and (where a policy limits
    /// addresses) IP.
    callers: Mutex<HashMap<CallerKey, Arc<super::Caller>>>,
}

/// A caller's user, role and (where it matters) IP.
type CallerKey = (Option<String>, Option<String>, Option<IpAddr>);

/// Callers kept resolved; past it the cache starts over.
const CALLER_CACHE: usize = 10_000;

/// Who is asking, once their policies are known.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Policy ids in Directus's order (their access rows' `sort`).
    pub policies: Vec<String>,
    pub admin: bool,
    pub app: bool,
}

impl AccessSnapshot {
    /// An unbootstrapped database: no access at all.
    pub fn empty() -> Self {
        AccessSnapshot::default()
    }

    /// Reads the access tables (when the schema has them).
    pub async fn load(driver: &dyn Driver, schema: &SchemaSnapshot) -> DbResult<AccessSnapshot> {
        if !REQUIRED_TABLES.iter().all(|t| schema.collection(t).is_some()) {
            return Ok(AccessSnapshot::empty());
        }
        let rows = driver.query(&Statement::new(load_sql(crate::sql::dialect::of(driver.dialect())))).await?;
        let cell = |i: usize| -> Json {
            match rows.rows.first().and_then(|r| r.get(i)) {
                Some(Value::Text(t)) => serde_json::from_str(t).unwrap_or(Json::Null),
                _ => Json::Null,
            }
        };
        let (roles, policies, access, permissions) = (cell(0), cell(1), cell(2), cell(3));
        let login_attempts = match schema.collection("directus_settings") {
            Some(_) => match driver.query(&Statement::new(SETTINGS_SQL)).await?.scalar() {
                Some(Value::Null) => None,
                Some(v) => v.as_i64().map(|n| n.max(0) as u32),
                None => Some(25),
            },
            None => Some(25),
        };
        let fingerprint = fingerprint(&[&roles, &policies, &access, &permissions, &json!(login_attempts)]);
        Ok(AccessSnapshot {
            bootstrapped: true,
            roles: rows_of(&roles).map(|r| (text(&r[0]), opt_text(&r[1]))).collect(),
            policies: rows_of(&policies)
                .map(|r| {
                    let ip_access = opt_text(&r[3])
                        .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                        .unwrap_or_default();
                    (text(&r[0]), Policy { admin: flag(&r[1]), app: flag(&r[2]), ip_access })
                })
                .collect(),
            access: rows_of(&access)
                .map(|r| AccessRow { role: opt_text(&r[1]), user: opt_text(&r[2]), policy: text(&r[3]) })
                .collect(),
            permissions: rows_of(&permissions).filter_map(|r| parse_permission(&r)).collect(),
            login_attempts,
            fingerprint,
            grants: Mutex::new(HashMap::new()),
            callers: Mutex::new(HashMap::new()),
        })
    }

    /// `role` and its ancestors, root first (Directus's role tree).
    pub fn role_tree(&self, role: Option<&str>) -> Vec<String> {
        let mut tree = Vec::new();
        let mut next = role.map(str::to_string);
        while let Some(r) = next {
            if tree.contains(&r) || !self.roles.contains_key(&r) {
                break;
            }
            next = self.roles.get(&r).cloned().flatten();
            tree.push(r);
        }
        tree.reverse();
        tree
    }

    /// The policies of a caller: the public ones for anonymous requests,
    /// else those attached to the user or to a role of their tree; a policy
    /// limited to other IP addresses is left out.
    pub fn policy_set(&self, user: Option<&str>, roles: &[String], ip: Option<IpAddr>) -> PolicySet {
        let anonymous = user.is_none() && roles.is_empty();
        let mut set = PolicySet::default();
        for row in &self.access {
            let applies = if anonymous {
                row.role.is_none() && row.user.is_none()
            } else {
                (user.is_some() && row.user.as_deref() == user) || row.role.as_ref().is_some_and(|r| roles.contains(r))
            };
            if !applies || set.policies.contains(&row.policy) {
                continue;
            }
            let Some(policy) = self.policies.get(&row.policy) else {
                continue;
            };
            if !policy.ip_access.is_empty() && !ip.is_some_and(|ip| ip_allowed(ip, &policy.ip_access)) {
                continue;
            }
            set.policies.push(row.policy.clone());
            // A token is needed for admin or app access: the public policy never gives it.
            if !anonymous {
                set.admin |= policy.admin;
                set.app |= policy.admin || policy.app;
            }
        }
        set
    }

    /// The caller with `user` and `role` from `ip`, resolved once (the IP
    /// counts only when some policy is limited to addresses).
    pub fn caller(&self, user: Option<String>, role: Option<String>, ip: Option<IpAddr>) -> Arc<super::Caller> {
        let ip = ip.filter(|_| self.policies.values().any(|p| !p.ip_access.is_empty()));
        let key = (user, role, ip);
        if let Some(c) = self.callers.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return c.clone();
        }
        let caller = Arc::new(super::Caller::resolve(self, key.0.clone(), key.1.clone(), key.2));
        let mut cache = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CALLER_CACHE {
            cache.clear();
        }
        cache.insert(key, caller.clone());
        caller
    }

    /// The grants of `set`, built once per distinct set of policies.
    /// App access adds Directus's minimal app permissions (own user, own roles).
    pub fn grants(&self, set: &PolicySet) -> Arc<PolicyGrants> {
        let mut key = set.policies.clone();
        if set.app {
            key.push(String::new());
        }
        let mut cache = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = cache.get(&key) {
            return g.clone();
        }
        let app_minimal = if set.app { app_minimal_permissions() } else { Vec::new() };
        let rows = set
            .policies
            .iter()
            .flat_map(|p| self.permissions.iter().filter(move |perm| &perm.policy == p))
            .chain(app_minimal.iter());
        let grants = Arc::new(PolicyGrants::build(rows));
        cache.insert(key, grants.clone());
        grants
    }
}

/// The rows of a `json_group_array(json_array(...))` cell.
fn rows_of(v: &Json) -> impl Iterator<Item = Vec<Json>> + '_ {
    v.as_array().into_iter().flatten().filter_map(|r| r.as_array().cloned())
}

fn text(v: &Json) -> String {
    opt_text(v).unwrap_or_default()
}

fn opt_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Booleans as Directus stores them on SQLite: 1/0, '1'/'0', true/false.
fn flag(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_i64().unwrap_or(0) != 0,
        Json::String(s) => s == "1" || s == "true",
        _ => false,
    }
}

/// A JSON column's value: stored as JSON text (or already parsed).
fn json_column(v: &Json) -> Option<Json> {
    match v {
        Json::Null => None,
        Json::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

/// One directus_permissions row. A rule that does not parse grants no item
/// (a broken rule must never widen access).
fn parse_permission(r: &[Json]) -> Option<Permission> {
    let action = Action::from_name(&text(r.get(3)?))?;
    let rule = match json_column(r.get(4)?) {
        None => None,
        Some(Json::Object(o)) if o.is_empty() => None,
        Some(raw) => match parse_filter(&raw) {
            Ok(Some(f)) => Some(f),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("permission {} has an invalid rule ({e}); it grants no item", text(&r[0]));
                Some(crate::query::Filter::Or(Vec::new()))
            }
        },
    };
    Some(Permission {
        policy: text(r.get(1)?),
        collection: text(r.get(2)?),
        action,
        rule,
        fields: FieldSet::parse(r.get(7).map(|f| json_column(f).unwrap_or(f.clone())).as_ref()),
        validation: json_column(r.get(5)?),
        presets: json_column(r.get(6)?).and_then(|p| p.as_object().cloned()),
    })
}

/// Directus's minimal permissions of app users: their own user (these
/// fields) and their own roles.
fn app_minimal_permissions() -> Vec<Permission> {
    let user_fields = "id,first_name,last_name,last_page,email,password,location,title,description,tags,provider,avatar,language,appearance,theme_light,theme_dark,tfa_secret,status,role";
    let row = |collection: &str, rule: Json, fields: &str| Permission {
        policy: String::new(),
        collection: collection.into(),
        action: Action::Read,
        rule: parse_filter(&rule).ok().flatten(),
        fields: FieldSet::parse(Some(&json!(fields))),
        validation: None,
        presets: None,
    };
    vec![
        row("directus_users", json!({"id": {"_eq": "$CURRENT_USER"}}), user_fields),
        row("directus_roles", json!({"id": {"_in": "$CURRENT_ROLES"}}), "*"),
    ]
}

fn fingerprint(parts: &[&Json]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.to_string().as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}
