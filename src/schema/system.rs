//! What Directus keeps in code about its own tables (system-data's fields
//! and relations): which system fields are hashed, concealed, JSON, CSV or
//! booleans, and the alias fields that join them (a role's users, a policy's
//! permissions). A database only stores this for user collections.

use crate::db::{Rows, Value};

/// `(collection, field, special)` of the system fields rectus serves.
const FIELDS: &[(&str, &str, &str)] = &[
    ("directus_users", "password", "hash,conceal"),
    ("directus_users", "token", "conceal"),
    ("directus_users", "tfa_secret", "conceal"),
    ("directus_users", "tags", "cast-json"),
    ("directus_users", "auth_data", "cast-json"),
    ("directus_users", "email_notifications", "cast-boolean"),
    ("directus_users", "theme_light_overrides", "cast-json"),
    ("directus_users", "theme_dark_overrides", "cast-json"),
    ("directus_users", "policies", "m2m"),
    ("directus_users", "id", "uuid"),
    ("directus_roles", "id", "uuid"),
    ("directus_roles", "users", "o2m"),
    ("directus_roles", "children", "o2m"),
    ("directus_roles", "policies", "m2m"),
    ("directus_policies", "id", "uuid"),
    ("directus_policies", "ip_access", "cast-csv"),
    ("directus_policies", "enforce_tfa", "cast-boolean"),
    ("directus_policies", "admin_access", "cast-boolean"),
    ("directus_policies", "app_access", "cast-boolean"),
    ("directus_policies", "permissions", "o2m"),
    ("directus_policies", "roles", "m2m"),
    ("directus_policies", "users", "m2m"),
    ("directus_access", "id", "uuid"),
    ("directus_permissions", "permissions", "cast-json"),
    ("directus_permissions", "validation", "cast-json"),
    ("directus_permissions", "presets", "cast-json"),
    ("directus_permissions", "fields", "cast-csv"),
    ("directus_settings", "public_registration", "cast-boolean"),
    ("directus_settings", "public_registration_verify_email", "cast-boolean"),
];

/// `(many_collection, many_field, one_collection, one_field, junction_field,
/// sort_field, one_deselect_action)` of a system relation.
type SystemRelation = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const RELATIONS: &[SystemRelation] = &[
    ("directus_users", "role", "directus_roles", Some("users"), None, None, "nullify"),
    ("directus_roles", "parent", "directus_roles", Some("children"), None, None, "nullify"),
    ("directus_access", "role", "directus_roles", Some("policies"), Some("policy"), Some("sort"), "delete"),
    ("directus_access", "user", "directus_users", Some("policies"), Some("policy"), Some("sort"), "delete"),
    // Directus lists every access row of a policy under both aliases.
    ("directus_access", "policy", "directus_policies", Some("roles"), Some("role"), None, "delete"),
    ("directus_access", "policy", "directus_policies", Some("users"), Some("user"), None, "delete"),
    ("directus_permissions", "policy", "directus_policies", Some("permissions"), None, None, "delete"),
    ("directus_sessions", "user", "directus_users", None, None, None, "nullify"),
];

/// The system fields' metadata, as rows shaped like directus_fields'.
pub fn field_rows() -> Rows {
    Rows {
        columns: ["collection", "field", "special"].map(String::from).to_vec(),
        rows: FIELDS.iter().map(|(c, f, s)| vec![Value::from(*c), Value::from(*f), Value::from(*s)]).collect(),
    }
}

/// The system relations, as rows shaped like directus_relations'.
pub fn relation_rows() -> Rows {
    let opt = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
    Rows {
        columns: [
            "many_collection",
            "many_field",
            "one_collection",
            "one_field",
            "junction_field",
            "sort_field",
            "one_deselect_action",
        ]
        .map(String::from)
        .to_vec(),
        rows: RELATIONS
            .iter()
            .map(|(mc, mf, oc, of, jf, sf, da)| {
                vec![
                    Value::from(*mc),
                    Value::from(*mf),
                    Value::from(*oc),
                    opt(*of),
                    opt(*jf),
                    opt(*sf),
                    Value::from(*da),
                ]
            })
            .collect(),
    }
}
