//! Writes, nested relations included, each request in ONE transaction: any
//! error rolls everything back. Every collection a write touches checks the
//! caller's permissions for it: the fields of the payload, presets,
//! validation rules, and the item rules of updates, deletes and creates.

use super::{db_error, key_value};
use crate::access::variables::substitute;
use crate::access::{Action, Caller, CollectionGrant};
use crate::app::{App, Host};
use crate::cache::VersionedTx;
use crate::db::{BoxFuture, DbError, Value};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::query::Query;
use crate::schema::{Collection, DeselectAction, Field, FieldRelation, FieldType, SchemaSnapshot};
use crate::sql::builder::SqlBuilder;
use crate::sql::filter::FilterCtx;
use crate::sql::write as stmt;
use crate::sql::RequestVars;
use serde_json::{Map, Value as Json};

/// One transaction's worth of writes.
struct Writer<'a> {
    tx: VersionedTx,
    /// The database the statements are for.
    dialect: &'static dyn crate::sql::dialect::Dialect,
    schema: &'a SchemaSnapshot,
    host: &'a dyn Host,
    caller: &'a Caller,
    vars: RequestVars,
    hash: crate::auth::password::HashParams,
    /// Relational fields walked to reach the item being saved (for
    /// validation errors' `path`).
    nested: Vec<String>,
    /// The driver buffers writes into one batch at commit (D1): no write
    /// returns anything, so keys are assigned here and existence is read first.
    batched: bool,
    /// Integer keys handed out per collection in batched mode.
    assigned: std::collections::HashMap<String, i64>,
    /// The actions and collections whose item rules are guarded inside the
    /// batch: what a failing guard names (batched mode cannot tell which).
    guarded: Vec<(Action, &'a str)>,
    /// A table that decides access was written: the access snapshot is
    /// re-read once the transaction commits.
    touched_access: bool,
}

/// Runs `work` in a transaction; commits only if it succeeds.
async fn in_transaction<'a, T: crate::db::MaybeSend + 'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    work: impl for<'w> FnOnce(&'w mut Writer<'a>) -> BoxFuture<'w, ApiResult<T>>,
) -> ApiResult<T> {
    let tx = VersionedTx::begin(app).await.map_err(db_error)?;
    let mut w = Writer {
        tx,
        dialect: crate::sql::dialect::of(app.driver.dialect()),
        schema,
        host: app.host.as_ref(),
        caller,
        vars: caller.vars(app.host.now_ms()),
        hash: app.config.auth.hash,
        nested: Vec::new(),
        batched: !app.driver.interactive_transactions(),
        assigned: Default::default(),
        guarded: Vec::new(),
        touched_access: false,
    };
    match work(&mut w).await {
        Ok(v) => {
            w.tx.commit(app, schema).await.map_err(|e| match e {
                // A create whose item breaks its rule, found by a guard in the batch.
                DbError::Guard => {
                    let action = w.guarded.first().map_or(Action::Create, |(a, _)| *a);
                    let names: Vec<&str> = w.guarded.iter().map(|(_, c)| *c).collect();
                    denied_collection(action, &names.join("\", \""))
                }
                e => db_error(e),
            })?;
            if w.touched_access {
                if let Err(e) = app.reload_access().await {
                    tracing::error!("access snapshot not reloaded after a write: {e}");
                }
            }
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
    caller: &'a Caller,
    coll: &'a Collection,
    items: Vec<(Option<Value>, &'a Map<String, Json>)>,
) -> ApiResult<Vec<Value>> {
    let attempts = if app.driver.interactive_transactions() { 1 } else { 3 };
    let mut result = Err(ApiError::internal("no attempt made"));
    for _ in 0..attempts {
        let items = items.clone();
        result = in_transaction(app, schema, caller, |w| {
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
    caller: &'a Caller,
    coll: &'a Collection,
    payload: &'a Json,
) -> ApiResult<Value> {
    only_key(save_items(app, schema, caller, coll, vec![(None, object(payload)?)]).await?)
}

/// Creates several items; returns their keys in order.
pub async fn create_many<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    payloads: &'a [Json],
) -> ApiResult<Vec<Value>> {
    let items = payloads.iter().map(|p| Ok((None, object(p)?))).collect::<ApiResult<Vec<_>>>()?;
    save_items(app, schema, caller, coll, items).await
}

/// Updates one item; FORBIDDEN when it does not exist.
pub async fn update_one<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    key: Value,
    payload: &'a Json,
) -> ApiResult<Value> {
    only_key(save_items(app, schema, caller, coll, vec![(Some(key), object(payload)?)]).await?)
}

/// Applies the same payload to several items.
pub async fn update_keys<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    keys: &'a [Value],
    payload: &'a Json,
) -> ApiResult<Vec<Value>> {
    let obj = object(payload)?;
    save_items(app, schema, caller, coll, keys.iter().map(|k| (Some(k.clone()), obj)).collect()).await
}

/// Batch update from an array of objects that each hold their primary key.
pub async fn update_batch<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
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
    save_items(app, schema, caller, coll, work).await
}

/// Deletes items; FORBIDDEN (and nothing deleted) if any key does not exist.
pub async fn delete_keys<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    keys: &'a [Value],
) -> ApiResult<()> {
    if coll.is_view {
        return Err(ApiError::forbidden());
    }
    in_transaction(app, schema, caller, |w| {
        Box::pin(async move {
            w.touch(coll);
            match w.grant(coll, Action::Delete)? {
                Some(grant) => w.check_items(coll, grant, Action::Delete, keys, &[]).await?,
                None => {
                    let found = w.tx.query(&stmt::existing_keys(w.dialect, coll, keys)).await.map_err(db_error)?;
                    if found.rows.len() < dedup_count(keys) {
                        return Err(ApiError::forbidden());
                    }
                }
            }
            w.tx.execute(&stmt::delete(w.dialect, coll, keys)).await.map_err(db_error)?;
            Ok(())
        })
    })
    .await
}

/// Keys of the items a `{query}` batch targets.
pub async fn keys_for_query<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    query: &Query,
) -> ApiResult<Vec<Value>> {
    let mut q = query.clone();
    q.fields = Some(vec![coll.primary_key.clone()]);
    q.aggregate.clear();
    q.group_by.clear();
    q.meta = Default::default();
    let stmt = app.read_ctx(schema, caller).list_keys(coll, &q)?.bind(&caller.vars(app.host.now_ms()));
    let rows = app.driver.query(&stmt).await.map_err(db_error)?;
    Ok(rows.rows.into_iter().filter_map(|r| r.into_iter().next()).collect())
}

/// PATCH of a singleton: updates its row, creating it when missing.
pub async fn upsert_singleton<'a>(
    app: &'a App,
    schema: &'a SchemaSnapshot,
    caller: &'a Caller,
    coll: &'a Collection,
    payload: &'a Json,
) -> ApiResult<Value> {
    // The singleton's one row, whoever asks: the update checks their rules.
    let admin = Caller::admin();
    let first = keys_for_query(app, schema, &admin, coll, &Query { limit: Some(1), ..Query::default() }).await?;
    only_key(save_items(app, schema, caller, coll, vec![(first.into_iter().next(), object(payload)?)]).await?)
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
    /// The caller's grant of `action` on `coll`: `None` for admins,
    /// FORBIDDEN when no policy grants it.
    fn grant(&self, coll: &Collection, action: Action) -> ApiResult<Option<&'a CollectionGrant>> {
        match &self.caller.grants {
            None => Ok(None),
            Some(grants) => {
                // The grants outlive the writer: they belong to the caller.
                let grants: &'a crate::access::PolicyGrants = grants;
                grants.get(&coll.name, action).map(Some).ok_or_else(|| crate::sql::forbidden_collection(&coll.name, ""))
            }
        }
    }

    /// Checks that every item among `keys` exists and is covered by the
    /// grant's rules; Directus's FORBIDDEN otherwise (naming `fields`).
    async fn check_items(
        &mut self,
        coll: &'a Collection,
        grant: &'a CollectionGrant,
        action: Action,
        keys: &[Value],
        fields: &[&str],
    ) -> ApiResult<()> {
        let mut b = SqlBuilder::for_request(self.dialect, &self.vars);
        let fctx = FilterCtx { schema: self.schema, grants: None };
        let predicate = fctx.grant_predicate(&mut b, grant, coll, "t")?;
        let covered = stmt::covered_keys(b, coll, keys, predicate);
        let found = self.tx.query(&covered).await.map_err(db_error)?;
        if found.rows.len() < dedup_count(keys) {
            return Err(if fields.is_empty() {
                denied_collection(action, &coll.name)
            } else {
                denied_fields(action, fields, &coll.name)
            });
        }
        if self.batched {
            // The read above ran outside the batch: the rule must still hold
            // for every item when the batch writes them.
            self.note_guard(action, coll);
            self.tx.guard(&stmt::all_covered(&covered, dedup_count(keys))).await.map_err(db_error)?;
        }
        Ok(())
    }

    fn note_guard(&mut self, action: Action, coll: &'a Collection) {
        if !self.guarded.contains(&(action, coll.name.as_str())) {
            self.guarded.push((action, &coll.name));
        }
    }

    /// The payload as the caller may write it: only granted fields, the
    /// grant's presets under it, and every validation rule passing.
    fn permitted_payload(
        &self,
        coll: &Collection,
        grant: &CollectionGrant,
        payload: &Map<String, Json>,
    ) -> ApiResult<Map<String, Json>> {
        if let Some(name) = payload.keys().find(|k| coll.field(k).is_some() && !grant.fields.contains(k)) {
            return Err(crate::sql::forbidden_field(coll, name, ""));
        }
        let mut merged: Map<String, Json> =
            grant.presets.iter().map(|(k, v)| (k.clone(), substitute(v, &self.vars))).collect();
        merged.extend(payload.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut failures = Vec::new();
        for rule in &grant.validations {
            failures.extend(crate::access::validate::validate_payload(
                &substitute(rule, &self.vars),
                &merged,
                &self.nested,
            ));
        }
        crate::access::validate::into_result(failures)?;
        Ok(merged)
    }

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
            self.touch(coll);
            // An update's payload naming the item's own key (batch forms,
            // nested `{id, ...}`) does not write the key: as in Directus, the
            // update grant need not list it.
            let without_key;
            let payload = match (&key, payload.get(&coll.primary_key)) {
                (Some(k), Some(raw)) if key_value(coll, raw).ok().as_ref() == Some(k) => {
                    without_key = payload
                        .iter()
                        .filter(|(n, _)| **n != coll.primary_key)
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect::<Map<_, _>>();
                    &without_key
                }
                _ => payload,
            };
            let action = if key.is_some() { Action::Update } else { Action::Create };
            let grant = self.grant(coll, action)?;
            let permitted;
            let payload = match grant {
                Some(g) => {
                    permitted = self.permitted_payload(coll, g, payload)?;
                    &permitted
                }
                None => payload,
            };
            if let (Some(g), Some(k)) = (grant, &key) {
                let fields: Vec<&str> = payload.keys().map(String::as_str).collect();
                self.check_items(coll, g, Action::Update, std::slice::from_ref(k), &fields).await?;
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
                        self.nested.push(f.name.clone());
                        let k = self.save_related(related, value).await;
                        self.nested.pop();
                        columns.push((f, k?));
                    }
                    _ if f.is_alias() => {}
                    _ => columns.push((f, column_value(self.host, self.hash, coll, f, value).await?)),
                }
            }
            let key = match key {
                Some(k) => {
                    self.update_row(coll, &k, &columns).await?;
                    k
                }
                None => {
                    let k = self.insert_row(coll, columns).await?;
                    if let Some(g) = grant {
                        self.guard_rule(coll, g, &k).await?;
                    }
                    k
                }
            };
            for (f, value) in children {
                self.nested.push(f.name.clone());
                let saved = self.save_children(coll, f, &key, value).await;
                self.nested.pop();
                saved?;
            }
            Ok(key)
        })
    }

    /// Notes a write to `coll`: users (their tokens and roles), roles,
    /// policies, access and permissions decide access, and settings the
    /// login limit.
    fn touch(&mut self, coll: &Collection) {
        self.touched_access |=
            crate::access::REQUIRED_TABLES.contains(&coll.name.as_str()) || coll.name == "directus_settings";
    }

    /// A created item must satisfy the rules of the create grant: checked
    /// after the insert, inside the same transaction (or atomic batch).
    async fn guard_rule(&mut self, coll: &'a Collection, grant: &'a CollectionGrant, key: &Value) -> ApiResult<()> {
        let mut b = SqlBuilder::for_request(self.dialect, &self.vars);
        let fctx = FilterCtx { schema: self.schema, grants: None };
        let Some(predicate) = fctx.grant_predicate(&mut b, grant, coll, "t")? else {
            return Ok(());
        };
        let check = stmt::covered_keys(b, coll, std::slice::from_ref(key), Some(predicate));
        self.note_guard(Action::Create, coll);
        self.tx.guard(&check).await.map_err(|e| match e {
            DbError::Guard => denied_collection(Action::Create, &coll.name),
            e => db_error(e),
        })
    }

    /// An m2o object: updates the related item when its key exists, else creates it.
    async fn save_related(&mut self, related: &'a Collection, value: &Json) -> ApiResult<Value> {
        let obj = object(value)?;
        if let Some(raw) = obj.get(&related.primary_key).filter(|v| !v.is_null()) {
            let k = key_value(related, raw)?;
            if self.exists(related, &k).await? {
                // Only a payload with more than the key changes the item.
                if obj.len() == 1 {
                    return Ok(k);
                }
                return self.save(related, obj, Some(k)).await;
            }
        }
        self.save(related, obj, None).await
    }

    async fn exists(&mut self, coll: &Collection, key: &Value) -> ApiResult<bool> {
        let rows = self
            .tx
            .query(&stmt::existing_keys(self.dialect, coll, std::slice::from_ref(key)))
            .await
            .map_err(db_error)?;
        Ok(!rows.rows.is_empty())
    }

    async fn insert_row(&mut self, coll: &Collection, mut columns: Vec<(&'a Field, Value)>) -> ApiResult<Value> {
        let pk = coll.pk_field();
        let mut key = columns.iter().find(|(f, v)| f.primary_key && !v.is_null()).map(|(_, v)| v.clone());
        columns.retain(|(f, v)| !(f.primary_key && v.is_null()));
        if key.is_none() && pk.field_type == FieldType::Uuid && pk.default_value.is_none() {
            key = Some(Value::Text(crate::auth::random::uuid_v4(self.host)));
        } else if key.is_none() && self.batched && pk.field_type.is_integer() {
            key = Some(Value::Integer(self.next_key(coll).await?));
        }
        if let Some(k) = &key {
            if !columns.iter().any(|(f, _)| f.primary_key) {
                columns.push((pk, k.clone()));
            }
        }
        let insert = stmt::insert(self.dialect, coll, &columns);
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
        let changed = self.tx.execute(&stmt::update(self.dialect, coll, key, columns)).await.map_err(db_error)?;
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
        let rows = self.tx.query(&stmt::child_keys(self.dialect, child, fk, parent_key)).await.map_err(db_error)?;
        Ok(rows.rows.into_iter().filter_map(|r| r.into_iter().next()).collect())
    }

    /// Detaches children no longer listed: their foreign key set to NULL
    /// (an update of it) or the items deleted, as the caller may.
    async fn deselect(
        &mut self,
        child: &'a Collection,
        fk: &str,
        parent_key: &Value,
        keys: &[Value],
        action: DeselectAction,
    ) -> ApiResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let needed = match action {
            DeselectAction::Nullify => Action::Update,
            DeselectAction::Delete => Action::Delete,
        };
        if let Some(grant) = self.grant(child, needed)? {
            if needed == Action::Update && !grant.fields.contains(fk) {
                return Err(crate::sql::forbidden_field(child, fk, ""));
            }
            let fields = if needed == Action::Update { vec![fk] } else { Vec::new() };
            self.check_items(child, grant, needed, keys, &fields).await?;
        }
        let s = stmt::deselect_children(self.dialect, action, child, fk, parent_key, keys);
        self.tx.execute(&s).await.map_err(db_error)?;
        Ok(())
    }
}

/// A payload value as its column stores it; a `hash` field's value is always
/// hashed, as Directus does (off the request threads, natively): storing a
/// caller's ready-made hash would let them pick its cost.
async fn column_value(
    host: &dyn Host,
    hash: crate::auth::password::HashParams,
    coll: &Collection,
    f: &Field,
    v: &Json,
) -> ApiResult<Value> {
    match (f.field_type, stmt::column_value(coll, f, v)?) {
        (FieldType::Hash, Value::Text(plain)) => {
            let mut salt = [0u8; 16];
            host.fill_random(&mut salt);
            Ok(Value::Text(host.hash_password(plain, salt, hash).await.map_err(ApiError::internal)?))
        }
        (_, value) => Ok(value),
    }
}

/// Directus's FORBIDDEN for an action on items the rules do not cover.
fn denied_collection(action: Action, collection: &str) -> ApiError {
    let message = format!(
        "You don't have permission to perform \"{}\" for collection \"{collection}\" or it does not exist.",
        action.name()
    );
    ApiError::new(ErrorCode::Forbidden, message.clone()).with("reason", message)
}

/// Directus's FORBIDDEN for an action on fields of items the rules do not cover.
fn denied_fields(action: Action, fields: &[&str], collection: &str) -> ApiError {
    let list = fields.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
    let message = format!(
        "You don't have permissions to perform \"{}\" for the field(s) {list} in collection \"{collection}\" or it does not exist.",
        action.name()
    );
    ApiError::new(ErrorCode::Forbidden, message.clone()).with("reason", message)
}
