//! Who a request comes from, once authenticated: their user, role tree and
//! policies, and the grants those policies compile to.

use super::grants::PolicyGrants;
use super::snapshot::{AccessSnapshot, PolicySet};
use crate::sql::vars::CallerIds;
use crate::sql::RequestVars;
use std::net::IpAddr;
use std::sync::Arc;

/// The accountability of one request (Directus's term).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user: Option<String>,
    pub role: Option<String>,
    pub policies: PolicySet,
    /// What the policies grant; `None` for admins, who may do everything.
    pub grants: Option<Arc<PolicyGrants>>,
    /// The values of `$CURRENT_USER` and friends, shared by every request.
    ids: Arc<CallerIds>,
    /// What a compiled plan depends on (see `plan_key`).
    plan_key: String,
    /// Set by the response cache: where this request's reads note the
    /// tables they read.
    pub read_log: Option<Arc<crate::cache::ReadLog>>,
}

impl Caller {
    /// Full access, for work rectus does itself (bootstrap, re-reads of
    /// system rows it wrote).
    pub fn admin() -> Self {
        let policies = PolicySet { admin: true, app: true, ..PolicySet::default() };
        Caller { policies, plan_key: "admin".into(), ..Caller::default() }
    }

    /// A caller with `user` and `role`, their policies resolved in `access`.
    pub fn resolve(access: &AccessSnapshot, user: Option<String>, role: Option<String>, ip: Option<IpAddr>) -> Self {
        let roles = access.role_tree(role.as_deref());
        let policies = access.policy_set(user.as_deref(), &roles, ip);
        let grants = if policies.admin { None } else { Some(access.grants(&policies)) };
        let plan_key = if policies.admin {
            "admin".to_string()
        } else {
            format!("{}{}", policies.policies.join(","), if policies.app { "+app" } else { "" })
        };
        let ids =
            Arc::new(CallerIds { user: user.clone(), role: role.clone(), roles, policies: policies.policies.clone() });
        Caller { user, role, policies, grants, ids, plan_key, read_log: None }
    }

    pub fn is_admin(&self) -> bool {
        self.grants.is_none()
    }

    /// The values of `$CURRENT_USER` and friends for this request.
    pub fn vars(&self, now_ms: i64) -> RequestVars {
        RequestVars { now_ms, ids: self.ids.clone() }
    }

    /// What a compiled plan depends on: the grants (not the user, whose
    /// values are bound per request).
    pub fn plan_key(&self) -> &str {
        &self.plan_key
    }

    /// This caller, its reads noting what they read in `log`.
    pub fn logging_reads(&self, log: Arc<crate::cache::ReadLog>) -> Self {
        Caller { read_log: Some(log), ..self.clone() }
    }

    /// Runs a read statement for this caller, noting what it reads when
    /// the response cache asked to know.
    pub async fn query(
        &self,
        driver: &dyn crate::db::Driver,
        stmt: &crate::db::Statement,
    ) -> crate::db::DbResult<crate::db::Rows> {
        if let Some(log) = &self.read_log {
            log.record(&stmt.sql);
        }
        driver.query(stmt).await
    }
}
