//! Directus's dynamic variables (`$CURRENT_USER`, `$CURRENT_ROLE`,
//! `$CURRENT_ROLES`, `$CURRENT_POLICIES`, `$NOW`) as statement slots: a
//! compiled plan keeps a placeholder and each request binds its own value,
//! so one plan serves every user of the same policies.

use crate::db::Value;
use crate::sql::time::iso_from_millis;

/// What a slot is filled with when the plan is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The current user's id (NULL when anonymous).
    User,
    /// The current role's id (NULL when none).
    Role,
    /// The role tree's ids, as a JSON array.
    Roles,
    /// The policies' ids, as a JSON array.
    Policies,
    /// The request's time, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    Now,
}

/// Who the variables name: fixed per caller, shared by their requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallerIds {
    pub user: Option<String>,
    pub role: Option<String>,
    pub roles: Vec<String>,
    pub policies: Vec<String>,
}

/// The values of one request's variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestVars {
    pub now_ms: i64,
    pub ids: std::sync::Arc<CallerIds>,
}

impl RequestVars {
    /// The value bound into `slot`.
    pub fn value(&self, slot: Slot) -> Value {
        let array = |ids: &[String]| Value::Text(serde_json::Value::from(ids.to_vec()).to_string());
        match slot {
            Slot::User => self.ids.user.clone().into(),
            Slot::Role => self.ids.role.clone().into(),
            Slot::Roles => array(&self.ids.roles),
            Slot::Policies => array(&self.ids.policies),
            Slot::Now => Value::Text(iso_from_millis(self.now_ms)),
        }
    }
}

/// A dynamic variable named by a filter value, with its `.path` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable<'v> {
    pub slot: Slot,
    /// `role.name` in `$CURRENT_USER.role.name`.
    pub path: Option<&'v str>,
}

/// The variable `value` names, if it is one (`$NOW` is handled with dates).
pub fn variable(value: &str) -> Option<Variable<'_>> {
    // Longest names first: `$CURRENT_ROLES` starts with `$CURRENT_ROLE`.
    const NAMES: [(&str, Slot); 4] = [
        ("$CURRENT_USER", Slot::User),
        ("$CURRENT_ROLES", Slot::Roles),
        ("$CURRENT_ROLE", Slot::Role),
        ("$CURRENT_POLICIES", Slot::Policies),
    ];
    NAMES.iter().find_map(|(name, slot)| {
        let rest = value.strip_prefix(name)?;
        match rest.strip_prefix('.') {
            Some(path) if !path.is_empty() => Some(Variable { slot: *slot, path: Some(path) }),
            None if rest.is_empty() => Some(Variable { slot: *slot, path: None }),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_variables() {
        assert_eq!(variable("$CURRENT_USER"), Some(Variable { slot: Slot::User, path: None }));
        assert_eq!(variable("$CURRENT_ROLES"), Some(Variable { slot: Slot::Roles, path: None }));
        assert_eq!(variable("$CURRENT_ROLE.name"), Some(Variable { slot: Slot::Role, path: Some("name") }));
        assert_eq!(variable("$CURRENT_USER.role.name"), Some(Variable { slot: Slot::User, path: Some("role.name") }));
        assert_eq!(variable("$CURRENT_USERS"), None);
        assert_eq!(variable("$CURRENT_USER."), None);
        assert_eq!(variable("CURRENT_USER"), None);
        let ids = CallerIds { user: Some("u1".into()), roles: vec!["a".into(), "b".into()], ..Default::default() };
        let vars = RequestVars { now_ms: 0, ids: std::sync::Arc::new(ids) };
        assert_eq!(vars.value(Slot::User), Value::Text("u1".into()));
        assert_eq!(vars.value(Slot::Role), Value::Null);
        assert_eq!(vars.value(Slot::Roles), Value::Text("[\"a\",\"b\"]".into()));
    }
}
