//! The GraphQL schema a caller sees, as SDL, generated from the schema
//! snapshot and their grants the way Directus generates it (type and field
//! names, filter operator inputs, aggregates, mutations): collections and
//! fields they may not touch do not exist in it.

use crate::access::{Action, Caller, CollectionGrant};
use crate::error::{ApiError, ApiResult};
use crate::schema::{Collection, Field, FieldRelation, FieldType, SchemaSnapshot};
use apollo_compiler::collections::HashMap as ApolloMap;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use std::collections::HashMap;
use std::fmt::Write;

/// What a root field does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    List,
    ById,
    Aggregated,
    Singleton,
    CreateOne,
    CreateMany,
    UpdateOne,
    UpdateMany,
    UpdateBatch,
    UpdateSingleton,
    DeleteOne,
    DeleteMany,
    /// `/graphql/system` only: the caller's own user, the project, sessions.
    UsersMe,
    ServerInfo,
    AuthLogin,
    AuthRefresh,
    AuthLogout,
}

impl RootKind {
    /// The `/graphql/system` fields that belong to no collection.
    pub fn is_system(self) -> bool {
        matches!(self, RootKind::ServerInfo | RootKind::AuthLogin | RootKind::AuthRefresh | RootKind::AuthLogout)
    }
}

#[derive(Debug, Clone)]
pub struct RootField {
    pub kind: RootKind,
    pub collection: String,
}

/// A caller's schema: validated, with what each root field means.
pub struct CallerSchema {
    pub schema: Valid<Schema>,
    pub implementers: ApolloMap<Name, Implementers>,
    pub sdl: String,
    pub roots: HashMap<String, RootField>,
}

/// Names Directus keeps for its own types: a collection with one is left out.
const RESERVED: [&str; 19] = [
    "Subscription",
    "Query",
    "Mutation",
    "Int",
    "Float",
    "String",
    "Boolean",
    "DateTime",
    "ID",
    "uid",
    "Point",
    "PointList",
    "Polygon",
    "MultiPolygon",
    "JSON",
    "Hash",
    "Date",
    "Void",
    "GraphQLBigInt",
];

/// Scalars, function result types and filter operator inputs every schema holds.
const COMMON: &str = include_str!("common.graphql");

const READ_ARGS: &str = "sort: [String], limit: Int, offset: Int, page: Int, search: String";

pub fn build(snapshot: &SchemaSnapshot, caller: &Caller, scope: Scope) -> ApiResult<CallerSchema> {
    let view = View { snapshot, caller, scope };
    let mut sdl = String::from(COMMON);
    let mut roots = HashMap::new();
    let mut query = String::new();
    let mut mutation = String::new();
    let colls: Vec<&Collection> = snapshot.collections.values().filter(|c| view.servable(c)).collect();

    for &c in &colls {
        let Some(fields) = view.fields(c, Action::Read) else {
            continue;
        };
        write_object(&mut sdl, &view, c, &fields);
        write_filters(&mut sdl, &view, c, &fields);
        let name = &view.ty(c);
        if c.singleton {
            root(&mut query, &mut roots, name, RootKind::Singleton, &c.name, "", name);
            continue;
        }
        write_aggregates(&mut sdl, &view, c, &fields);
        let list_args = format!("filter: {name}_filter, {READ_ARGS}");
        root(&mut query, &mut roots, name, RootKind::List, &c.name, &list_args, &format!("[{name}!]!"));
        root(&mut query, &mut roots, &format!("{name}_by_id"), RootKind::ById, &c.name, "id: ID!", name);
        let agg_args = format!("groupBy: [String], filter: {name}_filter, limit: Int, offset: Int, page: Int, search: String, sort: [String]");
        let agg = format!("{name}_aggregated");
        root(&mut query, &mut roots, &agg, RootKind::Aggregated, &c.name, &agg_args, &format!("[{agg}!]!"));
    }
    for action in [Action::Create, Action::Update] {
        for &c in &colls {
            if let Some(fields) = view.fields(c, action) {
                write_input(&mut sdl, &view, c, &fields, action);
                write_mutations(&mut mutation, &mut roots, &view, c, action);
            }
        }
    }
    for &c in colls.iter().filter(|c| !c.singleton) {
        if caller.grants.as_ref().is_none_or(|g| g.get(&c.name, Action::Delete).is_some()) {
            let name = &view.ty(c);
            root(
                &mut mutation,
                &mut roots,
                &format!("delete_{name}_items"),
                RootKind::DeleteMany,
                &c.name,
                "ids: [ID]!",
                "delete_many",
            );
            root(
                &mut mutation,
                &mut roots,
                &format!("delete_{name}_item"),
                RootKind::DeleteOne,
                &c.name,
                "id: ID!",
                "delete_one",
            );
        }
    }
    if scope == Scope::System {
        write_system_extras(&mut sdl, &mut query, &mut mutation, &mut roots, &view);
    }
    if query.is_empty() {
        query.push_str("  \"\"\"There's no data to query.\"\"\"\n  _empty: Void\n");
    }
    let _ = write!(sdl, "type Query {{\n{query}}}\n");
    if !mutation.is_empty() {
        sdl.push_str("type delete_many {\n  ids: [ID]!\n}\ntype delete_one {\n  id: ID!\n}\n");
        let _ = write!(sdl, "type Mutation {{\n{mutation}}}\n");
    }
    let schema = Schema::parse_and_validate(sdl.as_str(), "schema.graphql").map_err(|e| {
        // Plain messages: rendering the diagnostics would link a report
        // formatter into the worker for a bug report nobody reads there.
        let found: Vec<String> = e.errors.iter().map(|d| d.unstable_to_json_compat().message).collect();
        ApiError::internal(format!("generated GraphQL schema is invalid: {}", found.join("; ")))
    })?;
    let implementers = schema.implementers_map();
    Ok(CallerSchema { schema, implementers, sdl, roots })
}

/// Which collections a schema holds: the user's (`/graphql`) or Directus's
/// own (`/graphql/system`, their types named without `directus_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Items,
    System,
}

/// The system collections `/graphql/system` serves (those `/users`, `/roles`,
/// ... serve over REST).
pub const SYSTEM: [&str; 5] =
    ["directus_users", "directus_roles", "directus_policies", "directus_access", "directus_permissions"];

/// Whose fields are seen, and in which scope.
struct View<'a> {
    snapshot: &'a SchemaSnapshot,
    caller: &'a Caller,
    scope: Scope,
}

impl<'a> View<'a> {
    /// A collection this scope serves, under a name GraphQL allows.
    fn servable(&self, c: &Collection) -> bool {
        match self.scope {
            Scope::Items => !c.is_system() && valid_name(&c.name) && !RESERVED.contains(&c.name.as_str()),
            Scope::System => SYSTEM.contains(&c.name.as_str()),
        }
    }

    /// The GraphQL type name of a collection.
    fn ty(&self, c: &Collection) -> String {
        match self.scope {
            Scope::Items => c.name.clone(),
            Scope::System => c.name.trim_start_matches("directus_").to_string(),
        }
    }

    fn grant(&self, c: &Collection, action: Action) -> Option<Option<&'a CollectionGrant>> {
        match &self.caller.grants {
            None => Some(None),
            Some(g) => g.get(&c.name, action).map(Some),
        }
    }

    /// The fields of `c` the caller may use for `action` (valid GraphQL
    /// names only); `None` when there are none.
    fn fields(&self, c: &'a Collection, action: Action) -> Option<Vec<&'a Field>> {
        if !self.servable(c) {
            return None;
        }
        let grant = self.grant(c, action)?;
        let fields: Vec<&Field> = c
            .fields
            .iter()
            .filter(|f| valid_name(&f.name) && grant.is_none_or(|g| g.fields.contains(&f.name)))
            .filter(|f| action == Action::Read || !f.is_alias() || self.related(f, action).is_some())
            .collect();
        (!fields.is_empty()).then_some(fields)
    }

    /// A field every rule of the caller's grant allows (Directus drops the
    /// non-null mark of fields only some rules allow).
    fn consistent(&self, c: &Collection, action: Action, field: &str) -> bool {
        match self.grant(c, action) {
            Some(None) => true,
            Some(Some(g)) => g.cases.iter().all(|case| case.fields.contains(field)),
            None => false,
        }
    }

    /// The collection a relational field leads to, when the caller may use
    /// it for `action`.
    fn related(&self, f: &Field, action: Action) -> Option<&'a Collection> {
        let name = match &f.relation {
            Some(FieldRelation::ManyToOne { related_collection, .. })
            | Some(FieldRelation::OneToMany { related_collection, .. }) => related_collection,
            None => return None,
        };
        let c = self.snapshot.collection(name)?;
        self.has_fields(c, action).then_some(c)
    }

    /// True when the caller may use some field of `c` for `action` (not
    /// following its relations, which may lead back here).
    fn has_fields(&self, c: &Collection, action: Action) -> bool {
        self.servable(c)
            && match self.grant(c, action) {
                None => false,
                Some(None) => true,
                Some(Some(g)) => c.fields.iter().any(|f| valid_name(&f.name) && g.fields.contains(&f.name)),
            }
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !name.starts_with("__")
}

fn root(
    out: &mut String,
    roots: &mut HashMap<String, RootField>,
    name: &str,
    kind: RootKind,
    collection: &str,
    args: &str,
    ty: &str,
) {
    let args = if args.is_empty() { String::new() } else { format!("({args})") };
    let _ = writeln!(out, "  {name}{args}: {ty}");
    roots.insert(name.to_string(), RootField { kind, collection: collection.to_string() });
}

/// The scalar a field's values have (Directus's `getGraphQLType`).
fn scalar(f: &Field) -> &'static str {
    if f.is_secret() {
        return "Hash";
    }
    match f.field_type {
        FieldType::Boolean => "Boolean",
        FieldType::BigInteger => "GraphQLBigInt",
        FieldType::Integer => "Int",
        FieldType::Float | FieldType::Decimal => "Float",
        FieldType::Csv => "[String]",
        FieldType::Json => "JSON",
        FieldType::Date | FieldType::DateTime | FieldType::Time | FieldType::Timestamp => "Date",
        FieldType::Uuid => "ID",
        _ => "String",
    }
}

/// The filter operator input of a field's own type.
fn operators(f: &Field) -> &'static str {
    if f.is_secret() {
        return "hash_filter_operators";
    }
    match f.field_type {
        FieldType::Boolean => "boolean_filter_operators",
        FieldType::BigInteger => "big_int_filter_operators",
        FieldType::Integer | FieldType::Float | FieldType::Decimal => "number_filter_operators",
        FieldType::Json => "json_filter_operators",
        FieldType::Date | FieldType::DateTime | FieldType::Time | FieldType::Timestamp => "date_filter_operators",
        FieldType::Uuid => "id_filter_operators",
        _ => "string_filter_operators",
    }
}

/// `<field>_func`'s result type and filter input, for the fields that have one.
fn functions(f: &Field) -> Option<(&'static str, &'static str)> {
    Some(match f.field_type {
        FieldType::Date => ("date_functions", "date_function_filter_operators"),
        FieldType::Time => ("time_functions", "time_function_filter_operators"),
        FieldType::DateTime | FieldType::Timestamp => ("datetime_functions", "datetime_function_filter_operators"),
        FieldType::Json | FieldType::Alias => ("count_functions", "count_function_filter_operators"),
        _ => return None,
    })
}

/// Specials whose values rectus (or Directus) fills in itself.
const GENERATED: [&str; 7] =
    ["uuid", "date-created", "date-updated", "role-created", "role-updated", "user-created", "user-updated"];

/// A field whose value must always be given is non-null, as Directus marks
/// it; unlike Directus, a default of 0, false or '' counts as a default.
fn required(view: &View, c: &Collection, f: &Field, action: Action) -> bool {
    !f.nullable
        && f.default_value.as_ref().is_none_or(|d| d.is_null())
        && !f.auto_increment
        && !f.special.iter().any(|s| GENERATED.contains(&s.as_str()))
        && action != Action::Update
        && view.consistent(c, action, &f.name)
}

fn description(out: &mut String, f: &Field) {
    if let Some(note) = f.note.as_deref().filter(|n| !n.is_empty()) {
        let _ = writeln!(out, "  \"\"\"{}\"\"\"", note.replace("\"\"\"", "\\\"\"\""));
    }
}

fn write_object(out: &mut String, view: &View, c: &Collection, fields: &[&Field]) {
    let _ = writeln!(out, "type {} {{", view.ty(c));
    for &f in fields {
        description(out, f);
        match (&f.relation, view.related(f, Action::Read)) {
            (Some(FieldRelation::ManyToOne { .. }), Some(r)) => {
                let _ = writeln!(out, "  {}(filter: {1}_filter, {READ_ARGS}): {1}", f.name, view.ty(r));
            }
            (Some(FieldRelation::OneToMany { .. }), Some(r)) => {
                let _ = writeln!(out, "  {}(filter: {1}_filter, {READ_ARGS}): [{1}]", f.name, view.ty(r));
            }
            // A relation into what the caller may not read is not there.
            (Some(FieldRelation::OneToMany { .. }), None) => continue,
            _ if f.primary_key => {
                let _ = writeln!(out, "  {}: ID!", f.name);
            }
            _ => {
                let bang = if required(view, c, f, Action::Read) { "!" } else { "" };
                let _ = writeln!(out, "  {}: {}{bang}", f.name, scalar(f));
            }
        }
        if let Some((ty, _)) = functions(f) {
            let _ = writeln!(out, "  {}_func: {ty}", f.name);
        }
    }
    out.push_str("}\n");
}

fn write_filters(out: &mut String, view: &View, c: &Collection, fields: &[&Field]) {
    for quantifier in [false, true] {
        let suffix = if quantifier { "quantifier_filter" } else { "filter" };
        let _ = writeln!(out, "input {}_{suffix} {{", view.ty(c));
        for &f in fields {
            match (&f.relation, view.related(f, Action::Read)) {
                (Some(FieldRelation::ManyToOne { .. }), Some(r)) => {
                    let _ = writeln!(out, "  {}: {}_filter", f.name, view.ty(r));
                }
                (Some(FieldRelation::OneToMany { .. }), Some(r)) => {
                    let _ = writeln!(out, "  {}: {}_quantifier_filter", f.name, view.ty(r));
                }
                (Some(FieldRelation::OneToMany { .. }), None) => continue,
                _ => {
                    let _ = writeln!(out, "  {}: {}", f.name, operators(f));
                }
            }
        }
        for &f in fields {
            if let Some((_, input)) = functions(f) {
                if f.is_alias() && view.related(f, Action::Read).is_none() {
                    continue;
                }
                let _ = writeln!(out, "  {}_func: {input}", f.name);
            }
        }
        let _ = writeln!(out, "  _and: [{0}_filter]\n  _or: [{0}_filter]", view.ty(c));
        if quantifier {
            let _ = writeln!(out, "  _some: {0}_filter\n  _none: {0}_filter", view.ty(c));
        }
        out.push_str("}\n");
    }
}

fn write_aggregates(out: &mut String, view: &View, c: &Collection, fields: &[&Field]) {
    let name = &view.ty(c);
    let columns: Vec<&&Field> = fields.iter().filter(|f| !f.is_alias()).collect();
    let _ = writeln!(out, "type {name}_aggregated_count {{");
    for f in &columns {
        let _ = writeln!(out, "  {}: Int", f.name);
    }
    out.push_str("}\n");
    let numeric: Vec<&&&Field> = columns.iter().filter(|f| f.field_type.is_numeric() && !f.is_secret()).collect();
    if !numeric.is_empty() {
        let _ = writeln!(out, "type {name}_aggregated_fields {{");
        for f in &numeric {
            let _ = writeln!(out, "  {}: Float", f.name);
        }
        out.push_str("}\n");
    }
    let _ = writeln!(out, "type {name}_aggregated {{\n  group: JSON\n  countAll: Int");
    let _ = writeln!(out, "  count: {name}_aggregated_count\n  countDistinct: {name}_aggregated_count");
    if !numeric.is_empty() {
        for func in ["avg", "sum", "avgDistinct", "sumDistinct", "min", "max"] {
            let _ = writeln!(out, "  {func}: {name}_aggregated_fields");
        }
    }
    out.push_str("}\n");
}

fn write_input(out: &mut String, view: &View, c: &Collection, fields: &[&Field], action: Action) {
    let prefix = action.name();
    let _ = writeln!(out, "input {prefix}_{}_input {{", view.ty(c));
    for &f in fields {
        description(out, f);
        match (&f.relation, view.related(f, action)) {
            (Some(FieldRelation::ManyToOne { .. }), Some(r)) => {
                let _ = writeln!(out, "  {}: {prefix}_{}_input", f.name, view.ty(r));
            }
            (Some(FieldRelation::OneToMany { .. }), Some(r)) => {
                let _ = writeln!(out, "  {}: [{prefix}_{}_input]", f.name, view.ty(r));
            }
            _ if f.primary_key => {
                let bang = if action == Action::Create && required(view, c, f, action) { "!" } else { "" };
                let _ = writeln!(out, "  {}: ID{bang}", f.name);
            }
            _ => {
                let bang = if required(view, c, f, action) { "!" } else { "" };
                let _ = writeln!(out, "  {}: {}{bang}", f.name, scalar(f));
            }
        }
    }
    out.push_str("}\n");
}

fn write_mutations(
    out: &mut String,
    roots: &mut HashMap<String, RootField>,
    view: &View,
    c: &Collection,
    action: Action,
) {
    let name = &view.ty(c);
    let readable = view.fields(c, Action::Read).is_some();
    let (many, one) =
        if readable { (format!("[{name}!]!"), name.clone()) } else { ("Boolean".into(), "Boolean".into()) };
    let read_args = if readable { format!("filter: {name}_filter, {READ_ARGS}, ") } else { String::new() };
    match (action, c.singleton) {
        (Action::Create, false) => {
            let input = format!("create_{name}_input");
            root(
                out,
                roots,
                &format!("create_{name}_items"),
                RootKind::CreateMany,
                &c.name,
                &format!("{read_args}data: [{input}!]"),
                &many,
            );
            root(
                out,
                roots,
                &format!("create_{name}_item"),
                RootKind::CreateOne,
                &c.name,
                &format!("data: {input}!"),
                &one,
            );
        }
        (Action::Update, false) => {
            let input = format!("update_{name}_input");
            root(
                out,
                roots,
                &format!("update_{name}_items"),
                RootKind::UpdateMany,
                &c.name,
                &format!("{read_args}ids: [ID]!, data: {input}!"),
                &many,
            );
            root(
                out,
                roots,
                &format!("update_{name}_batch"),
                RootKind::UpdateBatch,
                &c.name,
                &format!("{read_args}data: [{input}!]"),
                &many,
            );
            root(
                out,
                roots,
                &format!("update_{name}_item"),
                RootKind::UpdateOne,
                &c.name,
                &format!("id: ID!, data: {input}!"),
                &one,
            );
        }
        (Action::Update, true) => {
            root(
                out,
                roots,
                &format!("update_{name}"),
                RootKind::UpdateSingleton,
                &c.name,
                &format!("data: update_{name}_input!"),
                &one,
            );
        }
        _ => {}
    }
}

/// What `/graphql/system` has beyond its collections: the caller's own user,
/// the project's public info, and the auth mutations anyone may call.
fn write_system_extras(
    sdl: &mut String,
    query: &mut String,
    mutation: &mut String,
    roots: &mut HashMap<String, RootField>,
    view: &View,
) {
    let users = view.snapshot.collection("directus_users").filter(|u| view.fields(u, Action::Read).is_some());
    if let Some(users) = users {
        if view.caller.user.is_some() {
            root(query, roots, "users_me", RootKind::UsersMe, &users.name, "", "users");
        }
    }
    sdl.push_str(SYSTEM_TYPES);
    root(query, roots, "server_info", RootKind::ServerInfo, "", "", "server_info");
    root(
        mutation,
        roots,
        "auth_login",
        RootKind::AuthLogin,
        "",
        "email: String!, password: String!, mode: auth_mode, otp: String",
        "auth_tokens",
    );
    root(
        mutation,
        roots,
        "auth_refresh",
        RootKind::AuthRefresh,
        "",
        "refresh_token: String, mode: auth_mode",
        "auth_tokens",
    );
    root(mutation, roots, "auth_logout", RootKind::AuthLogout, "", "refresh_token: String, mode: auth_mode", "Boolean");
}

const SYSTEM_TYPES: &str = "enum auth_mode {
  json
  cookie
  session
}
type auth_tokens {
  access_token: String
  expires: GraphQLBigInt
  refresh_token: String
}
type server_info_project {
  project_name: String
  project_descriptor: String
  project_logo: String
  project_color: String
  default_language: String
  public_foreground: String
  public_background: String
  public_note: String
  custom_css: String
  public_registration: Boolean
  public_registration_verify_email: Boolean
}
type server_info {
  project: server_info_project
}
";
