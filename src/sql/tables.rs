//! The tables a statement reads or writes, read back from its SQL text: what
//! the response cache keys a read on and what a write invalidates. Reading
//! the text rather than the compiler's steps means no path (a nested
//! relation, a permission rule's subquery, a hand-written system statement)
//! can be forgotten. A name seen where none is (inside a quoted identifier)
//! only adds a dependency, which costs a refill, never a stale answer.

/// Every table named after `FROM` or `JOIN` (table-valued functions such as
/// `json_each(...)` and subqueries left out), each once.
pub fn read_by(sql: &str) -> Vec<String> {
    let mut tables: Vec<String> = Vec::new();
    for keyword in ["FROM ", "JOIN "] {
        let mut rest = sql;
        while let Some(at) = find_keyword(rest, keyword) {
            rest = &rest[at + keyword.len()..];
            if let Some((name, after)) = identifier(rest) {
                if !after.trim_start().starts_with('(') && !tables.contains(&name) {
                    tables.push(name);
                }
            }
        }
    }
    tables
}

/// What an `INSERT`, `REPLACE`, `UPDATE` or `DELETE` statement writes.
#[derive(Debug, PartialEq, Eq)]
pub struct Write {
    pub table: String,
    /// Rows are deleted (the database may then rewrite rows pointing at them).
    pub deletes: bool,
}

/// The table a write statement writes (`INSERT [OR …] INTO t`, `REPLACE
/// INTO t`, `UPDATE [OR …] t`, `DELETE FROM t`); `None` for reads.
pub fn written_by(sql: &str) -> Option<Write> {
    let (verb, rest) = keyword(sql)?;
    let rest = match verb.as_str() {
        "INSERT" | "REPLACE" | "UPDATE" => match keyword(rest) {
            Some((or, after)) if or == "OR" => keyword(after)?.1,
            _ => rest,
        },
        "DELETE" => rest,
        _ => return None,
    };
    let rest = match verb.as_str() {
        "INSERT" | "REPLACE" => keyword(rest).filter(|(k, _)| k == "INTO")?.1,
        "DELETE" => keyword(rest).filter(|(k, _)| k == "FROM")?.1,
        _ => rest,
    };
    identifier(rest).map(|(table, _)| Write { table, deletes: verb == "DELETE" })
}

/// The leading bare word of `sql`, upper-cased, and the text after it.
fn keyword(sql: &str) -> Option<(String, &str)> {
    let sql = sql.trim_start();
    let end = sql.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(sql.len());
    (end > 0).then(|| (sql[..end].to_ascii_uppercase(), &sql[end..]))
}

/// The first match of an upper-case keyword, case-insensitively, where it
/// starts a word.
fn find_keyword(sql: &str, keyword: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let k = keyword.as_bytes();
    (0..bytes.len().saturating_sub(k.len() - 1))
        .find(|&i| bytes[i..i + k.len()].eq_ignore_ascii_case(k) && (i == 0 || !is_word(bytes[i - 1])))
}

/// A quoted (`"a ""b"""`) or bare (`users`) identifier at the start of
/// `sql`, unquoted, and the text after it.
fn identifier(sql: &str) -> Option<(String, &str)> {
    let sql = sql.trim_start();
    if let Some(quoted) = sql.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '"' {
                name.push(c);
            } else if quoted[i + 1..].starts_with('"') {
                name.push('"');
                chars.next();
            } else {
                return Some((name, &quoted[i + 1..]));
            }
        }
        return None;
    }
    let end = sql.bytes().position(|b| !is_word(b)).unwrap_or(sql.len());
    (end > 0).then(|| (sql[..end].to_string(), &sql[end..]))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_every_table_once_and_no_function() {
        let sql = r#"SELECT json_object('a', (SELECT json_group_array(x) FROM (SELECT 1 AS x FROM "tags" AS t2)), 'b', (SELECT count(*) FROM "we ""quote""" AS q WHERE q.id IN (SELECT value FROM json_each(?1)))) FROM "articles" AS t0 WHERE EXISTS (SELECT 1 FROM "authors" AS a WHERE a.id = t0.author) AND t0.id IN (SELECT "id" FROM "tags")"#;
        assert_eq!(read_by(sql), ["tags", "we \"quote\"", "articles", "authors"]);
        assert_eq!(
            read_by("select 1 from directus_users join directus_roles on 1"),
            ["directus_users", "directus_roles"]
        );
        assert!(read_by("SELECT 1").is_empty());
        assert!(
            read_by("SELECT x AS datefrom FROM (SELECT 1 AS x)").is_empty(),
            "a word ending in `from` is no keyword"
        );
    }

    #[test]
    fn writes_name_their_target() {
        let table = |sql: &str| written_by(sql).map(|w| w.table);
        assert_eq!(
            table(r#"INSERT INTO "articles" ("title") VALUES (?1) RETURNING "id""#).as_deref(),
            Some("articles")
        );
        assert_eq!(table("UPDATE directus_users SET last_access = ?1").as_deref(), Some("directus_users"));
        assert_eq!(written_by(r#"delete from "a b" WHERE 1"#), Some(Write { table: "a b".into(), deletes: true }));
        assert_eq!(written_by(r#"SELECT 1 FROM "articles""#), None);
        assert_eq!(table("INSERT OR IGNORE INTO t (a) VALUES (1)").as_deref(), Some("t"));
        assert_eq!(table("REPLACE INTO t VALUES (1)").as_deref(), Some("t"));
        assert!(!written_by("UPDATE OR REPLACE t SET a = 1").unwrap().deletes);
    }
}
