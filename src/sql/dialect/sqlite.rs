//! SQLite, libSQL, D1 and Durable-Object storage.

use super::{Dialect, TextMatch};
use crate::sql::builder::literal;

#[derive(Debug)]
pub struct Sqlite;

/// Most key/value pairs per JSON function call: D1 allows 32 arguments.
const PAIRS_PER_CALL: usize = 15;

impl Dialect for Sqlite {
    /// `json_object(k, v, ...)` for any number of pairs: past the first 15
    /// they are appended with chained `json_insert` calls, which (unlike
    /// `json_patch`) keeps null values, so no call passes D1's 32-argument
    /// limit.
    fn json_object(&self, pairs: &[(&str, String)]) -> String {
        let mut chunks = pairs.chunks(PAIRS_PER_CALL);
        let first = chunks.next().unwrap_or(&[]);
        let mut sql = format!(
            "json_object({})",
            first.iter().map(|(k, v)| format!("{}, {v}", literal(k))).collect::<Vec<_>>().join(", ")
        );
        for chunk in chunks {
            let more = chunk.iter().map(|(k, v)| format!("{}, {v}", literal(&format!("$.\"{k}\""))));
            sql = format!("json_insert({sql}, {})", more.collect::<Vec<_>>().join(", "));
        }
        sql
    }

    /// The JSON subtype does not cross a sub-select: json() restores it.
    fn json_array_agg(&self, elem: &str, elem_is_json: bool) -> String {
        if elem_is_json {
            format!("json_group_array(json({elem}))")
        } else {
            format!("json_group_array({elem})")
        }
    }

    fn json_list(&self, param: &str) -> String {
        format!("SELECT value FROM json_each({param})")
    }

    /// instr() and substr() rather than LIKE: exact substrings (no % or _
    /// wildcards), case-sensitive like Directus on Postgres, and no pattern
    /// length limit.
    fn text_match(&self, m: TextMatch, ci: bool, e: &str, p: &str) -> String {
        let part = match m {
            TextMatch::Contains => {
                return match ci {
                    true => format!("instr(lower({e}), lower({p})) > 0"),
                    false => format!("instr({e}, {p}) > 0"),
                }
            }
            TextMatch::StartsWith => format!("substr({e}, 1, length({p}))"),
            TextMatch::EndsWith => format!("substr({e}, -length({p}))"),
        };
        match ci {
            true => format!("lower({part}) = lower({p})"),
            false => format!("{part} = {p}"),
        }
    }

    fn lower(&self, e: &str) -> String {
        format!("lower({e})")
    }
}
