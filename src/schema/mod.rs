//! The schema snapshot: what collections, fields and relations the database
//! has, mirrored from the database itself plus Directus metadata when present.
//!
//! The snapshot is a plain serializable value built once (by introspection or
//! from a cache) and shared behind an `Arc`. Every SQL identifier rectus emits
//! comes from here.

mod build;
pub mod introspect;
mod introspect_mariadb;
mod introspect_postgres;
mod system;
mod types;

pub use build::{build_snapshot, RawSchema};
pub use types::FieldType;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything rectus knows about the database's shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaSnapshot {
    /// Served collections (tables and views with a single-column primary key,
    /// plus system tables, which are never served through /items).
    pub collections: BTreeMap<String, Collection>,
    /// Many-to-one relations (the many side's field points at the one side).
    pub relations: Vec<Relation>,
    /// Hex SHA-256 of the rest of the snapshot: changes iff the schema does.
    pub hash: String,
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub name: String,
    pub primary_key: String,
    pub is_view: bool,
    pub singleton: bool,
    pub hidden: bool,
    pub sort_field: Option<String>,
    pub note: Option<String>,
    pub icon: Option<String>,
    /// True when directus_collections has a row for it (Directus shows `meta: null` otherwise).
    pub has_meta: bool,
    /// Fields in database column order, alias (o2m) fields last.
    pub fields: Vec<Field>,
}

/// A column, or an alias field (o2m / m2m) that has no column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    /// Declared column type (`VARCHAR(255)`), `None` for alias fields.
    pub db_type: Option<String>,
    pub nullable: bool,
    /// The column default as JSON (`"draft"`, `0`, `"CURRENT_TIMESTAMP"`).
    pub default_value: Option<serde_json::Value>,
    pub max_length: Option<u32>,
    pub unique: bool,
    pub primary_key: bool,
    pub auto_increment: bool,
    /// Directus `special` flags (`cast-json`, `hash`, `o2m`, ...).
    pub special: Vec<String>,
    pub hidden: bool,
    pub readonly: bool,
    pub note: Option<String>,
    /// Set when this field is one end of a relation.
    pub relation: Option<FieldRelation>,
    /// A one-to-many reverse field rectus derived from a foreign key, with no
    /// Directus metadata declaring it: served when asked for by name, but not
    /// part of `*` (Directus shows no such field, and each one costs a scan of
    /// the referencing table per row).
    #[serde(default)]
    pub derived: bool,
}

/// How a field leads to another collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldRelation {
    /// This column holds the key of a row in `related_collection`.
    ManyToOne { related_collection: String, related_field: String },
    /// Alias field: rows of `related_collection` whose `related_field` holds our key.
    OneToMany {
        related_collection: String,
        related_field: String,
        /// Field of the related collection to order children by.
        sort_field: Option<String>,
        /// For m2m: the junction's field pointing at the far collection.
        junction_field: Option<String>,
        /// What to do with deselected children: `nullify` or `delete`.
        deselect_action: DeselectAction,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeselectAction {
    Nullify,
    Delete,
}

/// A many-to-one relation, as Directus lists it in `/relations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// The many side (holds the foreign key column).
    pub many_collection: String,
    pub many_field: String,
    pub one_collection: String,
    pub one_field: Option<String>,
    /// The referenced column on the one side (its primary key, normally).
    pub one_primary: String,
    pub junction_field: Option<String>,
    pub sort_field: Option<String>,
    pub deselect_action: DeselectAction,
    /// Foreign key constraint details when the database has one.
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub constraint_name: Option<String>,
    /// True when directus_relations has a row for it.
    pub has_meta: bool,
}

impl SchemaSnapshot {
    /// The collection, when it exists.
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.get(name)
    }

    /// False for the empty stand-in served while the database could not
    /// be reached yet (a mirrored schema, even of an empty database, has
    /// its hash).
    pub fn is_mirrored(&self) -> bool {
        !self.hash.is_empty()
    }

    /// Recomputes `hash` from the content.
    pub fn rehash(&mut self) {
        use sha2::{Digest, Sha256};
        self.hash = String::new();
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        self.hash = digest.iter().map(|b| format!("{b:02x}")).collect();
    }
}

impl Collection {
    /// The field, when it exists.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The primary key field.
    pub fn pk_field(&self) -> &Field {
        // Collections are only built with an existing primary key field.
        self.field(&self.primary_key).unwrap_or(&self.fields[0])
    }

    /// True for Directus's own tables (`directus_*`) and rectus's
    /// (`rectus_*`), never served by /items.
    pub fn is_system(&self) -> bool {
        self.name.starts_with("directus_") || self.is_internal()
    }

    /// True for rectus's own bookkeeping (`rectus_*`): served nowhere, not
    /// even listed in /collections.
    pub fn is_internal(&self) -> bool {
        self.name.starts_with("rectus_")
    }

    /// Fields that have a column (not alias).
    pub fn columns(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| !f.is_alias())
    }
}

impl Field {
    /// True for alias fields, which have no column (o2m, m2m).
    pub fn is_alias(&self) -> bool {
        self.field_type == FieldType::Alias
    }

    /// Hashes and concealed values (a password, a static token): their
    /// stored value is never shown to anyone but an admin, and so may not be
    /// filtered, sorted, searched or grouped on by anyone else either.
    pub fn is_secret(&self) -> bool {
        self.field_type == FieldType::Hash || self.special.iter().any(|s| s == "conceal")
    }

    pub fn m2o(&self) -> Option<(&str, &str)> {
        match &self.relation {
            Some(FieldRelation::ManyToOne { related_collection, related_field }) => {
                Some((related_collection, related_field))
            }
            _ => None,
        }
    }
}
