//! The fast answer: when every root field is a list or an item whose
//! selection the statement already keys by response key, the statements'
//! JSON text is the response as it is, and the executor is not needed.

use super::schema::{CallerSchema, RootKind};
use super::select::{self, Ctx, FUNC_SUFFIX};
use apollo_compiler::executable::{Field, Operation, OperationType};

/// Whether the operation's answer is its root statements' JSON unchanged:
/// a query of lists and items (IDs are written as text by the statement),
/// with no `__typename`, introspection or `_func` objects anywhere.
pub fn is_plain(ctx: &Ctx, gql: &CallerSchema, operation: &Operation) -> bool {
    operation.operation_type == OperationType::Query
        && select::collect(ctx, &operation.selection_set).iter().all(|(_, fields)| {
            let kind = gql.roots.get(fields[0].name.as_str()).map(|root| root.kind);
            matches!(kind, Some(RootKind::List | RootKind::ById | RootKind::UsersMe)) && plain_fields(ctx, fields)
        })
}

/// The merged fields of one response key select only plain fields.
fn plain_fields(ctx: &Ctx, fields: &[&Field]) -> bool {
    fields.iter().all(|f| {
        select::collect(ctx, &f.selection_set).iter().all(|(_, sub)| {
            let name = sub[0].name.as_str();
            !name.starts_with("__") && !name.ends_with(FUNC_SUFFIX) && plain_fields(ctx, sub)
        })
    })
}

/// `{"data":{"key":<json>,…}}` from each response key's JSON text.
pub fn body(answers: &[(&str, String)]) -> String {
    let len = answers.iter().map(|(k, v)| k.len() + v.len() + 4).sum::<usize>();
    let mut out = String::with_capacity(len + 10);
    out.push_str("{\"data\":{");
    for (i, (key, json)) in answers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Response keys are GraphQL names: nothing to escape.
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        out.push_str(json);
    }
    out.push_str("}}");
    out
}
