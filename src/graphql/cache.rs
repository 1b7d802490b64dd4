//! Generated schemas per policy set and validated documents per text, so a
//! repeated request neither regenerates nor re-validates anything.

use super::schema::{self, CallerSchema, Scope};
use crate::access::Caller;
use crate::app::App;
use crate::error::ApiResult;
use crate::schema::SchemaSnapshot;
use apollo_compiler::parser::Parser;
use apollo_compiler::response::GraphQLError;
use apollo_compiler::validation::{Valid, WithErrors};
use apollo_compiler::ExecutableDocument;
use cached::{Cached, SizedCache};
use std::sync::{Arc, Mutex};

/// Schemas kept: one per policy set in use.
const SCHEMAS: usize = 64;
/// Documents kept, across all schemas.
const DOCUMENTS: usize = 512;
/// Directus's `GRAPHQL_QUERY_TOKEN_LIMIT` default: longer documents are refused.
const TOKEN_LIMIT: usize = 5000;

type Document = Arc<Valid<ExecutableDocument>>;

pub struct GraphqlCache {
    schemas: Mutex<SizedCache<String, Arc<Keyed>>>,
    documents: Mutex<SizedCache<String, Document>>,
}

/// A schema and the key its documents are cached under.
pub struct Keyed {
    pub key: String,
    pub schema: CallerSchema,
}

impl std::ops::Deref for Keyed {
    type Target = CallerSchema;
    fn deref(&self) -> &CallerSchema {
        &self.schema
    }
}

impl Default for GraphqlCache {
    fn default() -> Self {
        GraphqlCache {
            schemas: Mutex::new(SizedCache::with_size(SCHEMAS)),
            documents: Mutex::new(SizedCache::with_size(DOCUMENTS)),
        }
    }
}

impl GraphqlCache {
    /// The schema `caller` sees: decided by the schema and access snapshots
    /// and the caller's policies, as compiled plans are.
    pub fn schema_for(
        &self,
        app: &App,
        snapshot: &SchemaSnapshot,
        caller: &Caller,
        scope: Scope,
    ) -> ApiResult<Arc<Keyed>> {
        // Users' own field appears only for signed-in callers.
        let signed_in = caller.user.is_some();
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{scope:?}{signed_in}",
            snapshot.hash,
            app.access().fingerprint,
            caller.plan_key()
        );
        if let Some(s) = lock(&self.schemas).cache_get(&key) {
            return Ok(s.clone());
        }
        let built = Arc::new(Keyed { key: key.clone(), schema: schema::build(snapshot, caller, scope)? });
        lock(&self.schemas).cache_set(key, built.clone());
        Ok(built)
    }

    /// `text` parsed and validated against `schema`, or what is wrong with it.
    pub fn document(&self, schema: &Keyed, text: &str) -> Result<Document, Vec<GraphQLError>> {
        let key = format!("{}\u{0}{text}", schema.key);
        if let Some(d) = lock(&self.documents).cache_get(&key) {
            return Ok(d.clone());
        }
        let findings = |e: WithErrors<ExecutableDocument>| -> Vec<GraphQLError> {
            e.errors.iter().map(|d| d.unstable_to_json_compat()).collect()
        };
        let parsed = Parser::new()
            .token_limit(TOKEN_LIMIT)
            .parse_executable(&schema.schema.schema, text, "query.graphql")
            .map_err(findings)?;
        let doc = parsed.validate(&schema.schema.schema).map_err(findings)?;
        let doc = Arc::new(doc);
        lock(&self.documents).cache_set(key, doc.clone());
        Ok(doc)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
