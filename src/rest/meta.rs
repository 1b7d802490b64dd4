//! Read-only `/collections`, `/fields` and `/relations` in Directus's shapes,
//! built from the schema snapshot: a caller sees the collections and fields
//! they may read.

use super::response::{self, HttpResponse};
use crate::access::{Action, Caller};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::schema::{Collection, DeselectAction, Field, Relation};
use serde_json::{json, Value};

/// Whether `caller` may read `field` of `coll` (any field, when `None`);
/// rectus's own tables are shown to nobody.
fn may_read(caller: &Caller, coll: &str, field: Option<&str>) -> bool {
    if coll.starts_with("rectus_") {
        return false;
    }
    match &caller.grants {
        None => true,
        Some(g) => g.get(coll, Action::Read).is_some_and(|grant| field.is_none_or(|f| grant.grants(f))),
    }
}

pub fn collections(app: &App, caller: &Caller, name: Option<&str>) -> ApiResult<HttpResponse> {
    let schema = app.schema();
    let data = match name {
        Some(n) => {
            collection_json(schema.collection(n).filter(|_| may_read(caller, n, None)).ok_or_else(ApiError::forbidden)?)
        }
        None => Value::Array(
            schema.collections.values().filter(|c| may_read(caller, &c.name, None)).map(collection_json).collect(),
        ),
    };
    Ok(response::json(&json!({ "data": data })))
}

pub fn fields(app: &App, caller: &Caller, coll: Option<&str>, field: Option<&str>) -> ApiResult<HttpResponse> {
    let schema = app.schema();
    let readable = |c: &Collection, f: &Field| may_read(caller, &c.name, Some(&f.name));
    let data = match (coll, field) {
        (Some(c), Some(f)) => {
            let coll = schema.collection(c).ok_or_else(ApiError::forbidden)?;
            field_json(coll, coll.field(f).filter(|f| readable(coll, f)).ok_or_else(ApiError::forbidden)?)
        }
        (Some(c), None) => {
            let coll = schema.collection(c).filter(|_| may_read(caller, c, None)).ok_or_else(ApiError::forbidden)?;
            Value::Array(coll.fields.iter().filter(|f| readable(coll, f)).map(|f| field_json(coll, f)).collect())
        }
        _ => Value::Array(
            schema
                .collections
                .values()
                .flat_map(|c| c.fields.iter().filter(move |f| readable(c, f)).map(move |f| field_json(c, f)))
                .collect(),
        ),
    };
    Ok(response::json(&json!({ "data": data })))
}

pub fn relations(app: &App, caller: &Caller, coll: Option<&str>, field: Option<&str>) -> ApiResult<HttpResponse> {
    let schema = app.schema();
    if let Some(c) = coll {
        schema.collection(c).filter(|_| may_read(caller, c, None)).ok_or_else(ApiError::forbidden)?;
    }
    let mut matching = schema.relations.iter().enumerate().filter(|(_, r)| {
        coll.is_none_or(|c| r.many_collection == c)
            && field.is_none_or(|f| r.many_field == f)
            && may_read(caller, &r.many_collection, Some(&r.many_field))
    });
    let data = match field {
        Some(_) => relation_json(matching.next().ok_or_else(ApiError::forbidden)?),
        None => Value::Array(matching.map(relation_json).collect()),
    };
    Ok(response::json(&json!({ "data": data })))
}

fn collection_json(c: &Collection) -> Value {
    let meta = c.has_meta.then(|| {
        json!({
            "collection": c.name,
            "icon": c.icon,
            "note": c.note,
            "hidden": c.hidden,
            "singleton": c.singleton,
            "sort_field": c.sort_field,
            "accountability": "all",
        })
    });
    json!({
        "collection": c.name,
        "meta": meta,
        "schema": { "name": c.name, "schema": "main", "is_view": c.is_view },
    })
}

fn field_json(c: &Collection, f: &Field) -> Value {
    let schema = (!f.is_alias()).then(|| {
        let (fk_table, fk_column) = match f.m2o() {
            Some((t, col)) => (Some(t), Some(col)),
            None => (None, None),
        };
        let data_type = f.db_type.as_deref().map(|t| t.split('(').next().unwrap_or(t).trim().to_ascii_lowercase());
        json!({
            "name": f.name,
            "table": c.name,
            "data_type": data_type,
            "default_value": f.default_value,
            "max_length": f.max_length,
            "numeric_precision": null,
            "numeric_scale": null,
            "is_generated": false,
            "generation_expression": null,
            "is_nullable": f.nullable,
            "is_unique": f.unique,
            "is_indexed": f.unique,
            "is_primary_key": f.primary_key,
            "has_auto_increment": f.auto_increment,
            "foreign_key_schema": null,
            "foreign_key_table": fk_table,
            "foreign_key_column": fk_column,
            "comment": null,
        })
    });
    let meta = (!f.special.is_empty() || f.hidden || f.readonly || f.note.is_some()).then(|| {
        json!({
            "collection": c.name,
            "field": f.name,
            "special": if f.special.is_empty() { Value::Null } else { json!(f.special) },
            "hidden": f.hidden,
            "readonly": f.readonly,
            "note": f.note,
        })
    });
    json!({ "collection": c.name, "field": f.name, "type": f.field_type.name(), "schema": schema, "meta": meta })
}

fn relation_json((i, r): (usize, &Relation)) -> Value {
    let schema = r.on_delete.is_some().then(|| {
        json!({
            "table": r.many_collection,
            "column": r.many_field,
            "foreign_key_schema": "main",
            "foreign_key_table": r.one_collection,
            "foreign_key_column": r.one_primary,
            "constraint_name": r.constraint_name,
            "on_update": r.on_update,
            "on_delete": r.on_delete,
        })
    });
    let meta = json!({
        "id": i + 1,
        "many_collection": r.many_collection,
        "many_field": r.many_field,
        "one_collection": r.one_collection,
        "one_field": r.one_field,
        "one_collection_field": null,
        "one_allowed_collections": null,
        "junction_field": r.junction_field,
        "sort_field": r.sort_field,
        "one_deselect_action": match r.deselect_action { DeselectAction::Delete => "delete", DeselectAction::Nullify => "nullify" },
    });
    json!({
        "collection": r.many_collection,
        "field": r.many_field,
        "related_collection": r.one_collection,
        "schema": schema,
        "meta": meta,
    })
}
