//! Writes, nested relations included, each request in ONE transaction: any
//! error rolls everything back.

use super::{db_error, key_value};
use crate::app::{App, Host};
use crate::db::{BoxFuture, Transaction, Value};
use crate::error::{ApiError, ApiResult};
use crate::query::Query;
use crate::schema::{Collection, DeselectAction, Field, FieldRelation, FieldType, SchemaSnapshot};
use crate::sql::write as stmt;
use serde_json::{Map, Value as Json};

/// One transaction's worth of writes.
struct Writer<'a> {
    tx: Box<dyn Transaction>,
    schema: &'a SchemaSnapshot,
    host: &'a dyn Host,
    /// The driver buffers writes into one batch at commit (D1): no write
    /// returns anything, so keys are assigned here and existence is read first.
    batched: bool,
    /// Integer keys handed out per collection in batched mode.
    assigned: std::collections::HashMap<String, i64>,
}

/// Runs `work` in a transaction; commits only if it succeeds.
async fn in_transaction<'a, T: crate::db::MaybeSend + 'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    work: impl for<'w> FnOnce(&'w mut Writer<'a>) -> BoxFuture<'w, ApiResult<T>>,
) -> ApiResult<T> {
    let tx = app.driver.begin().await.map_err(db_error)?;
    let mut w = Writer {
        tx,
        schema,
        host: app.host.as_ref(),
        batched: !app.driver.interactive_transactions(),
        assigned: Default::default(),
    };
    match work(&mut w).await {
        Ok(v) => {
            w.tx.commit().await.map_err(db_error)?;
            Ok(v)
        }
        Err(e) => {
            let _ = w.tx.rollback().await;
            Err(e)
        }
    }
}

/// Saves items in ONE transaction: each is created when its key is `None`,
/// else updated. Returns their keys in order.
///
/// In batched mode new integer keys are assigned before the batch runs; a
/// concurrent insert can take one first, which fails the whole batch with a
/// unique violation on a primary key. Then the request is simply tried again.
async fn save_items<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    items: Vec<(Option<Value>, &'a Map<String, Json>)>,
) -> ApiResult<Vec<Value>> {
    let attempts = if app.driver.interactive_transactions() { 1 } else { 3 };
    let mut result = Err(ApiError::internal("no attempt made"));
    for _ in 0..attempts {
        let items = items.clone();
        result = in_transaction(app, schema, |w| {
            Box::pin(async move {
                let mut keys = Vec::with_capacity(items.len());
                for (key, obj) in items {
                    keys.push(w.save(coll, obj, key).await?);
                }
                Ok(keys)
            })
        })
        .await;
        match &result {
            Err(e) if is_key_clash(schema, e) => continue,
            _ => break,
        }
    }
    result
}

/// A unique violation on a primary key: an assigned key was taken meanwhile.
fn is_key_clash(schema: &SchemaSnapshot, e: &ApiError) -> bool {
    let ext = |k: &str| e.extensions.get(k).and_then(Json::as_str);
    e.code == crate::error::ErrorCode::RecordNotUnique
        && matches!((ext("collection"), ext("field")), (Some(c), Some(f)) if schema.collection(c).is_some_and(|c| c.primary_key == f))
}

/// The one key of a one-item save.
fn only_key(mut keys: Vec<Value>) -> ApiResult<Value> {
    keys.pop().ok_or_else(|| ApiError::internal("save returned no key"))
}

/// Creates one item; returns its key.
pub async fn create_one<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    payload: &'a Json,
) -> ApiResult<Value> {
    only_key(save_items(app, schema, coll, vec![(None, object(payload)?)]).await?)
}

/// Creates several items; returns their keys in order.
pub async fn create_many<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    payloads: &'a [Json],
) -> ApiResult<Vec<Value>> {
    let items = payloads.iter().map(|p| Ok((None, object(p)?))).collect::<ApiResult<Vec<_>>>()?;
    save_items(app, schema, coll, items).await
}

/// Updates one item; FORBIDDEN when it does not exist.
pub async fn update_one<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    key: Value,
    payload: &'a Json,
) -> ApiResult<Value> {
    only_key(save_items(app, schema, coll, vec![(Some(key), object(payload)?)]).await?)
}

/// Applies the same payload to several items.
pub async fn update_keys<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    keys: &'a [Value],
    payload: &'a Json,
) -> ApiResult<Vec<Value>> {
    let obj = object(payload)?;
    save_items(app, schema, coll, keys.iter().map(|k| (Some(k.clone()), obj)).collect()).await
}

/// Batch update from an array of objects that each hold their primary key.
pub async fn update_batch<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    items: &'a [Json],
) -> ApiResult<Vec<Value>> {
    let mut work = Vec::with_capacity(items.len());
    for item in items {
        let obj = object(item)?;
        let raw = obj.get(&coll.primary_key).ok_or_else(|| {
            ApiError::invalid_payload(format!(
                "Each item of a batch update needs its primary key \"{}\"",
                coll.primary_key
            ))
        })?;
        work.push((Some(key_value(coll, raw)?), obj));
    }
    save_items(app, schema, coll, work).await
}

/// Deletes items; FORBIDDEN (and nothing deleted) if any key does not exist.
pub async fn delete_keys<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    keys: &'a [Value],
) -> ApiResult<()> {
    if coll.is_view {
        return Err(ApiError::forbidden());
    }
    in_transaction(app, schema, |w| {
        Box::pin(async move {
            let found = w.tx.query(&stmt::existing_keys(coll, keys)).await.map_err(db_error)?;
            if found.rows.len() < dedup_count(keys) {
                return Err(ApiError::forbidden());
            }
            w.tx.execute(&stmt::delete(coll, keys)).await.map_err(db_error)?;
            Ok(())
        })
    })
    .await
}

/// Keys of the items a `{query}` batch targets.
pub async fn keys_for_query<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    query: &Query,
) -> ApiResult<Vec<Value>> {
    let mut q = query.clone();
    q.fields = Some(vec![coll.primary_key.clone()]);
    q.aggregate.clear();
    q.group_by.clear();
    q.meta = Default::default();
    let stmt = app.read_ctx(schema).list_keys(coll, &q)?;
    let rows = app.driver.query(&stmt).await.map_err(db_error)?;
    Ok(rows.rows.into_iter().filter_map(|r| r.into_iter().next()).collect())
}

/// PATCH of a singleton: updates its row, creating it when missing.
pub async fn upsert_singleton<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    coll: &'a Collection,
    payload: &'a Json,
) -> ApiResult<Value> {
    let first = keys_for_query(app, schema, coll, &Query { limit: Some(1), ..Query::default() }).await?;
    only_key(save_items(app, schema, coll, vec![(first.into_iter().next(), object(payload)?)]).await?)
}

fn object(v: &Json) -> ApiResult<&Map<String, Json>> {
    v.as_object().ok_or_else(|| ApiError::invalid_payload("Payload has to be an object"))
}

fn dedup_count(keys: &[Value]) -> usize {
    let mut seen: Vec<&Value> = Vec::new();
    for k in keys {
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    seen.len()
}

impl<'a> Writer<'a> {
    /// Creates (`key` None) or updates one item with nested relations;
    /// returns its key.
    fn save<'s>(
        &'s mut self,
        coll: &'a Collection,
        payload: &'s Map<String, Json>,
        key: Option<Value>,
    ) -> BoxFuture<'s, ApiResult<Value>> {
        Box::pin(async move {
            if coll.is_view {
                return Err(ApiError::forbidden());
            }
            let mut columns: Vec<(&Field, Value)> = Vec::new();
            let mut children: Vec<(&Field, &Json)> = Vec::new();
            for (name, value) in payload {
                // Directus drops keys that are not fields of the collection.
                let Some(f) = coll.field(name) else { continue };
                match &f.relation {
                    Some(FieldRelation::OneToMany { .. }) => children.push((f, value)),
                    Some(FieldRelation::ManyToOne { related_collection, .. }) if value.is_object() => {
                        let related = self.schema.collection(related_collection).ok_or_else(ApiError::forbidden)?;
                        let k = self.save_related(related, value).await?;
                        columns.push((f, k));
                    }
                    _ if f.is_alias() => {}
                    _ => columns.push((f, self.column_value(coll, f, value)?)),
                }
            }
            let key = match key {
                Some(k) => {
                    // The key itself is not rewritten by an update.
                    columns.retain(|(f, v)| !(f.primary_key && *v == k));
                    self.update_row(coll, &k, &columns).await?;
                    k
                }
                None => self.insert_row(coll, columns).await?,
            };
            for (f, value) in children {
                self.save_children(coll, f, &key, value).await?;
            }
            Ok(key)
        })
    }

    /// An m2o object: updates the related item when its key exists, else creates it.
    async fn save_related(&mut self, related: &'a Collection, value: &Json) -> ApiResult<Value> {
        let obj = object(value)?;
        if let Some(raw) = obj.get(&related.primary_key).filter(|v| !v.is_null()) {
            let k = key_value(related, raw)?;
            if self.exists(related, &k).await? {
                return self.save(related, obj, Some(k)).await;
            }
        }
        self.save(related, obj, None).await
    }

    async fn exists(&mut self, coll: &Collection, key: &Value) -> ApiResult<bool> {
        let rows = self.tx.query(&stmt::existing_keys(coll, std::slice::from_ref(key))).await.map_err(db_error)?;
        Ok(!rows.rows.is_empty())
    }

    async fn insert_row(&mut self, coll: &Collection, mut columns: Vec<(&'a Field, Value)>) -> ApiResult<Value> {
        let pk = coll.pk_field();
        let mut key = columns.iter().find(|(f, v)| f.primary_key && !v.is_null()).map(|(_, v)| v.clone());
        columns.retain(|(f, v)| !(f.primary_key && v.is_null()));
        if key.is_none() && pk.field_type == FieldType::Uuid && pk.default_value.is_none() {
            key = Some(Value::Text(self.uuid_v4()));
        } else if key.is_none() && self.batched && pk.field_type.is_integer() {
            key = Some(Value::Integer(self.next_key(coll).await?));
        }
        if let Some(k) = &key {
            if !columns.iter().any(|(f, _)| f.primary_key) {
                columns.push((pk, k.clone()));
            }
        }
        let insert = stmt::insert(coll, &columns);
        if self.batched {
            self.tx.execute(&insert).await.map_err(db_error)?;
            return key.ok_or_else(|| {
                ApiError::invalid_payload(format!(
                    "\"{}\" needs a value for its primary key \"{}\"",
                    coll.name, pk.name
                ))
            });
        }
        let rows = self.tx.query(&insert).await.map_err(db_error)?;
        rows.scalar().cloned().ok_or_else(|| ApiError::internal("insert returned no key"))
    }

    /// The next free integer key of `coll` (batched mode).
    async fn next_key(&mut self, coll: &Collection) -> ApiResult<i64> {
        if let Some(n) = self.assigned.get_mut(&coll.name) {
            *n += 1;
            return Ok(*n);
        }
        let rows = self.tx.query(&stmt::max_key(coll)).await.map_err(db_error)?;
        let n = rows.scalar().and_then(Value::as_i64).unwrap_or(0) + 1;
        self.assigned.insert(coll.name.clone(), n);
        Ok(n)
    }

    async fn update_row(&mut self, coll: &Collection, key: &Value, columns: &[(&'a Field, Value)]) -> ApiResult<()> {
        // A batched write reports nothing back, so existence is read first.
        if columns.is_empty() || self.batched {
            if !self.exists(coll, key).await? {
                return Err(ApiError::forbidden());
            }
            if columns.is_empty() {
                return Ok(());
            }
        }
        let changed = self.tx.execute(&stmt::update(coll, key, columns)).await.map_err(db_error)?;
        if changed == 0 && !self.batched {
            return Err(ApiError::forbidden());
        }
        Ok(())
    }

    /// An o2m / m2m value: an array (the complete new set of children) or
    /// `{create, update, delete}`.
    async fn save_children(
        &mut self,
        parent: &Collection,
        f: &'a Field,
        parent_key: &Value,
        value: &Json,
    ) -> ApiResult<()> {
        let Some(FieldRelation::OneToMany {
            related_collection, related_field, junction_field, deselect_action, ..
        }) = &f.relation
        else {
            return Ok(());
        };
        let child = self.schema.collection(related_collection).ok_or_else(ApiError::forbidden)?;
        // Junction rows mean nothing once deselected: remove them.
        let action = if junction_field.is_some() { DeselectAction::Delete } else { *deselect_action };
        let bad = || {
            ApiError::invalid_payload(format!(
                "Field \"{}\" of \"{}\" takes an array or {{create, update, delete}}",
                f.name, parent.name
            ))
        };
        match value {
            Json::Null => {
                let current = self.child_keys(child, related_field, parent_key).await?;
                self.deselect(child, related_field, parent_key, &current, action).await
            }
            Json::Array(items) => {
                let mut kept = Vec::with_capacity(items.len());
                for item in items {
                    kept.push(self.save_child(child, related_field, parent_key, item, false).await?);
                }
                let current = self.child_keys(child, related_field, parent_key).await?;
                let gone: Vec<Value> = current.into_iter().filter(|k| !kept.contains(k)).collect();
                self.deselect(child, related_field, parent_key, &gone, action).await
            }
            Json::Object(ops) => {
                if ops.keys().any(|k| !matches!(k.as_str(), "create" | "update" | "delete")) {
                    return Err(bad());
                }
                for item in ops.get("create").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]) {
                    self.save_child(child, related_field, parent_key, item, false).await?;
                }
                for item in ops.get("update").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]) {
                    self.save_child(child, related_field, parent_key, item, true).await?;
                }
                let delete = ops.get("delete").and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[]);
                let keys = delete.iter().map(|k| key_value(child, k)).collect::<ApiResult<Vec<_>>>()?;
                self.deselect(child, related_field, parent_key, &keys, action).await
            }
            _ => Err(bad()),
        }
    }

    /// One child: a bare key links an existing item; an object with an
    /// existing key updates it; any other object creates a new one.
    async fn save_child(
        &mut self,
        child: &'a Collection,
        fk: &str,
        parent_key: &Value,
        item: &Json,
        must_exist: bool,
    ) -> ApiResult<Value> {
        let mut obj = match item {
            Json::Object(o) => o.clone(),
            scalar => {
                let mut o = Map::new();
                o.insert(child.primary_key.clone(), scalar.clone());
                o
            }
        };
        obj.insert(fk.to_string(), parent_key.to_json());
        let key = match obj.get(&child.primary_key).filter(|v| !v.is_null()) {
            Some(raw) => Some(key_value(child, raw)?),
            None => None,
        };
        let existing = match &key {
            Some(k) => self.exists(child, k).await?,
            None => false,
        };
        if must_exist && !existing {
            return Err(ApiError::forbidden());
        }
        self.save(child, &obj, if existing { key } else { None }).await
    }

    async fn child_keys(&mut self, child: &Collection, fk: &str, parent_key: &Value) -> ApiResult<Vec<Value>> {
        let rows = self.tx.query(&stmt::child_keys(child, fk, parent_key)).await.map_err(db_error)?;
        Ok(rows.rows.into_iter().filter_map(|r| r.into_iter().next()).collect())
    }

    async fn deselect(
        &mut self,
        child: &Collection,
        fk: &str,
        parent_key: &Value,
        keys: &[Value],
        action: DeselectAction,
    ) -> ApiResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let s = match action {
            DeselectAction::Nullify => stmt::nullify_children(child, fk, parent_key, keys),
            DeselectAction::Delete => stmt::delete_children(child, fk, parent_key, keys),
        };
        self.tx.execute(&s).await.map_err(db_error)?;
        Ok(())
    }

    fn column_value(&self, coll: &Collection, f: &Field, v: &Json) -> ApiResult<Value> {
        let value = stmt::column_value(coll, f, v)?;
        match (f.field_type, &value) {
            (FieldType::Hash, Value::Text(plain)) if !plain.starts_with("$argon2") => {
                Ok(Value::Text(self.hash(plain)?))
            }
            _ => Ok(value),
        }
    }

    /// argon2id with Directus's parameters (m=4096 KiB, t=3, p=1).
    fn hash(&self, plain: &str) -> ApiResult<String> {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let mut salt = [0u8; 16];
        self.host.fill_random(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
        let params = argon2::Params::new(4096, 3, 1, None).map_err(|e| ApiError::internal(e.to_string()))?;
        let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        hasher
            .hash_password(plain.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    fn uuid_v4(&self) -> String {
        let mut b = [0u8; 16];
        self.host.fill_random(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}
