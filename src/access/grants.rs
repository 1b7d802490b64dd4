//! What a set of policies may do with each collection, compiled once from
//! their permission rows: the item rules (with the fields each grants), the
//! union of fields, and the validation rules and presets of writes.

use crate::query::Filter;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeSet, HashMap};

/// The actions a permission row grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Share,
}

impl Action {
    pub const ALL: [Action; 5] = [Action::Create, Action::Read, Action::Update, Action::Delete, Action::Share];

    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Share => "share",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Fields granted: all of them (`*`), or some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSet {
    All,
    Some(BTreeSet<String>),
}

impl FieldSet {
    pub fn none() -> Self {
        FieldSet::Some(BTreeSet::new())
    }

    /// `*` or a list of names (the `fields` column: CSV or a JSON array).
    pub fn parse(raw: Option<&Json>) -> Self {
        let names: Vec<String> = match raw {
            Some(Json::String(s)) if s.trim_start().starts_with('[') => {
                return FieldSet::parse(serde_json::from_str::<Json>(s).ok().as_ref());
            }
            Some(Json::String(s)) => s.split(',').map(|f| f.trim().to_string()).collect(),
            Some(Json::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        if names.iter().any(|n| n == "*") {
            FieldSet::All
        } else {
            FieldSet::Some(names.into_iter().filter(|n| !n.is_empty()).collect())
        }
    }

    pub fn contains(&self, field: &str) -> bool {
        match self {
            FieldSet::All => true,
            FieldSet::Some(set) => set.contains(field),
        }
    }

    pub fn union(&mut self, other: &FieldSet) {
        match (&mut *self, other) {
            (FieldSet::All, _) => {}
            (_, FieldSet::All) => *self = FieldSet::All,
            (FieldSet::Some(a), FieldSet::Some(b)) => a.extend(b.iter().cloned()),
        }
    }

    /// The names as Directus lists them (`["*"]` for all).
    pub fn to_json(&self) -> Json {
        match self {
            FieldSet::All => Json::from(vec!["*"]),
            FieldSet::Some(set) => Json::from(set.iter().cloned().collect::<Vec<_>>()),
        }
    }
}

/// One permission row, parsed.
#[derive(Debug, Clone)]
pub struct Permission {
    pub policy: String,
    pub collection: String,
    pub action: Action,
    /// The item rule; `None` grants every item (Directus: null or `{}`).
    pub rule: Option<Filter>,
    pub fields: FieldSet,
    /// The validation filter, as JSON (checked against payloads).
    pub validation: Option<Json>,
    pub presets: Option<Map<String, Json>>,
}

/// One distinct item rule and the fields it grants.
#[derive(Debug, Clone)]
pub struct Case {
    /// `None`: every item.
    pub rule: Option<Filter>,
    pub fields: FieldSet,
}

/// What a set of policies may do with one collection for one action.
#[derive(Debug, Clone)]
pub struct CollectionGrant {
    /// Distinct rules (rows with the same rule merged, fields united), in
    /// the order their rows came.
    pub cases: Vec<Case>,
    /// Every field any rule grants.
    pub fields: FieldSet,
    /// Fields granted by a rule that holds for every item.
    pub unconditional: FieldSet,
    /// Validation rules of writes; every one must hold (Directus ANDs them).
    pub validations: Vec<Json>,
    /// Default values of writes, merged in policy order; the payload wins.
    pub presets: Map<String, Json>,
}

impl CollectionGrant {
    /// True when some rule grants every item.
    pub fn all_items(&self) -> bool {
        self.cases.iter().any(|c| c.rule.is_none())
    }

    /// Indices of the cases granting `field`; empty when every visible item
    /// may show it (a rule for all items grants it, or every rule does: a
    /// visible item satisfies one of them) or when no rule grants it.
    pub fn cases_granting(&self, field: &str) -> Vec<usize> {
        if self.unconditional.contains(field) || self.cases.iter().all(|c| c.fields.contains(field)) {
            return Vec::new();
        }
        self.cases.iter().enumerate().filter(|(_, c)| c.fields.contains(field)).map(|(i, _)| i).collect()
    }

    /// Whether any access to `field` is granted.
    pub fn grants(&self, field: &str) -> bool {
        self.fields.contains(field)
    }
}

/// Everything a set of policies may do, per (collection, action).
#[derive(Debug, Clone, Default)]
pub struct PolicyGrants {
    grants: HashMap<(String, Action), CollectionGrant>,
}

impl PolicyGrants {
    /// Combines `permissions` (already narrowed to the policies, in their
    /// order) as Directus does: rules OR-ed, fields united, validations
    /// AND-ed, presets merged.
    pub fn build<'p>(permissions: impl IntoIterator<Item = &'p Permission>) -> Self {
        let mut grants: HashMap<(String, Action), CollectionGrant> = HashMap::new();
        for p in permissions {
            let g = grants.entry((p.collection.clone(), p.action)).or_insert_with(|| CollectionGrant {
                cases: Vec::new(),
                fields: FieldSet::none(),
                unconditional: FieldSet::none(),
                validations: Vec::new(),
                presets: Map::new(),
            });
            match g.cases.iter_mut().find(|c| c.rule == p.rule) {
                Some(case) => case.fields.union(&p.fields),
                None => g.cases.push(Case { rule: p.rule.clone(), fields: p.fields.clone() }),
            }
            g.fields.union(&p.fields);
            if p.rule.is_none() {
                g.unconditional.union(&p.fields);
            }
            if let Some(v) = p.validation.as_ref().filter(|v| v.as_object().is_some_and(|o| !o.is_empty())) {
                g.validations.push(v.clone());
            }
            if let Some(presets) = &p.presets {
                g.presets.extend(presets.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        PolicyGrants { grants }
    }

    /// The grant for `collection` and `action`; `None` when no policy has a
    /// permission row for it.
    pub fn get(&self, collection: &str, action: Action) -> Option<&CollectionGrant> {
        self.grants.get(&(collection.to_string(), action))
    }

    /// Every (collection, action) with a grant.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Action, &CollectionGrant)> {
        self.grants.iter().map(|((c, a), g)| (c.as_str(), *a, g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_filter;
    use serde_json::json;

    fn perm(rule: Option<Json>, fields: &str) -> Permission {
        Permission {
            policy: "p".into(),
            collection: "articles".into(),
            action: Action::Read,
            rule: rule.and_then(|r| parse_filter(&r).unwrap()),
            fields: FieldSet::parse(Some(&json!(fields))),
            validation: None,
            presets: None,
        }
    }

    #[test]
    fn rules_or_and_fields_unite() {
        let a = perm(Some(json!({"status": {"_eq": "published"}})), "id,title");
        let b = perm(Some(json!({"author": {"_eq": "$CURRENT_USER"}})), "*");
        let c = perm(Some(json!({"status": {"_eq": "published"}})), "status");
        let g = PolicyGrants::build([&a, &b, &c]);
        let g = g.get("articles", Action::Read).unwrap();
        assert_eq!(g.cases.len(), 2, "equal rules merge");
        assert_eq!(g.cases[0].fields, FieldSet::parse(Some(&json!("id,title,status"))));
        assert!(!g.all_items());
        assert!(g.cases_granting("title").is_empty(), "every rule grants it: no guard");
        assert_eq!(g.cases_granting("body"), [1]);
        assert!(g.grants("body"));
        let open = perm(None, "id");
        let g = PolicyGrants::build([&a, &open]);
        let g = g.get("articles", Action::Read).unwrap();
        assert!(g.all_items());
        assert!(g.cases_granting("id").is_empty(), "granted unconditionally");
        assert_eq!(g.cases_granting("title"), [0]);
        assert!(PolicyGrants::build([&a]).get("articles", Action::Update).is_none());
    }

    #[test]
    fn field_lists_parse_as_directus_stores_them() {
        assert_eq!(FieldSet::parse(Some(&json!("*"))), FieldSet::All);
        assert_eq!(FieldSet::parse(Some(&json!(["id", "*"]))), FieldSet::All);
        assert_eq!(FieldSet::parse(Some(&json!("[\"a\",\"b\"]"))), FieldSet::parse(Some(&json!("a,b"))));
        assert_eq!(FieldSet::parse(None), FieldSet::none());
    }
}
