//! Dynamic variables in validation rules and presets, replaced by the
//! request's values before they are checked or applied (as Directus's
//! parsePreset / parseFilter do). Paths (`$CURRENT_USER.role`) are left as
//! written: rules that need them belong in item rules, which compile them.

use crate::sql::time::iso_from_millis;
use crate::sql::RequestVars;
use serde_json::Value as Json;

/// `value` with every `$CURRENT_USER`, `$CURRENT_ROLE`, `$CURRENT_ROLES`,
/// `$CURRENT_POLICIES` and `$NOW` string replaced.
pub fn substitute(value: &Json, vars: &RequestVars) -> Json {
    match value {
        Json::String(s) => match s.as_str() {
            "$CURRENT_USER" => vars.ids.user.clone().map(Json::String).unwrap_or(Json::Null),
            "$CURRENT_ROLE" => vars.ids.role.clone().map(Json::String).unwrap_or(Json::Null),
            "$CURRENT_ROLES" => Json::from(vars.ids.roles.clone()),
            "$CURRENT_POLICIES" => Json::from(vars.ids.policies.clone()),
            "$NOW" => Json::String(iso_from_millis(vars.now_ms)),
            _ => value.clone(),
        },
        Json::Array(items) => Json::Array(items.iter().map(|i| substitute(i, vars)).collect()),
        Json::Object(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), substitute(v, vars))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_variables_anywhere() {
        let ids =
            crate::sql::vars::CallerIds { user: Some("u1".into()), roles: vec!["r".into()], ..Default::default() };
        let vars = RequestVars { now_ms: 0, ids: std::sync::Arc::new(ids) };
        let v = json!({"owner": {"_eq": "$CURRENT_USER"}, "_and": [{"role": {"_in": "$CURRENT_ROLES"}}], "x": "$CURRENT_ROLE"});
        assert_eq!(
            substitute(&v, &vars),
            json!({"owner": {"_eq": "u1"}, "_and": [{"role": {"_in": ["r"]}}], "x": null})
        );
    }
}
