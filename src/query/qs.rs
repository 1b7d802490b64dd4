//! Parsing a raw URL query string into nested JSON with the semantics of
//! Node's `qs` (which Directus uses): `filter[a][_eq]=1`, `groupBy[]=x`,
//! `_and[0][...]`. Values are always strings; bounded depth and count.

use serde_json::{Map, Value};

/// Deepest bracket nesting kept (qs's default of 5 is too small for filters).
const MAX_DEPTH: usize = 20;
/// Most parameters read from one query string.
const MAX_PARAMS: usize = 1000;
/// qs turns an array into an object when an index is above this.
const MAX_ARRAY_INDEX: usize = 20;

/// Parses `a=1&b[c]=2` into `{"a": "1", "b": {"c": "2"}}`.
pub fn parse(raw: &str) -> Value {
    let mut root = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()).take(MAX_PARAMS) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k);
        let value = decode(v);
        let segments = split_key(&key);
        if segments.is_empty() || segments[0].is_empty() {
            continue;
        }
        insert(&mut root, &segments, Value::String(value));
    }
    let mut v = Value::Object(root);
    compact_arrays(&mut v);
    v
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

/// `filter[a][b]` → `["filter", "a", "b"]`; `x[]` → `["x", ""]`. Text after
/// the depth limit stays in the last segment, as qs does.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_string()];
    };
    let mut out = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        if out.len() > MAX_DEPTH {
            out.push(rest.to_string());
            return out;
        }
        out.push(stripped[..close].to_string());
        rest = &stripped[close + 1..];
    }
    if !rest.is_empty() {
        // Unbalanced brackets: keep the remainder literally, like qs.
        if let Some(last) = out.last_mut() {
            last.push_str(rest);
        }
    }
    out
}

/// Puts `value` at `path`. Array-ish segments (`""` or digits) are kept as
/// object keys here (`""` gets a fresh numeric key) and turned into arrays
/// by `compact_arrays`.
fn insert(node: &mut Map<String, Value>, path: &[String], value: Value) {
    let (head, rest) = match path.split_first() {
        Some(x) => x,
        None => return,
    };
    let key = if head.is_empty() { next_index(node) } else { head.clone() };
    if rest.is_empty() {
        match node.get_mut(&key) {
            // A repeated plain key collects its values (`fields=a&fields=b`).
            Some(Value::Array(items)) => items.push(value),
            Some(existing @ Value::String(_)) => {
                let prev = existing.take();
                *existing = Value::Array(vec![prev, value]);
            }
            Some(Value::Object(obj)) => {
                let k = next_index(obj);
                obj.insert(k, value);
            }
            _ => {
                node.insert(key, value);
            }
        }
        return;
    }
    let child = node.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        // `a=1&a[b]=2`: the scalar joins the object under index 0.
        let prev = child.take();
        let mut m = Map::new();
        m.insert("0".into(), prev);
        *child = Value::Object(m);
    }
    if let Value::Object(obj) = child {
        insert(obj, rest, value);
    }
}

fn next_index(obj: &Map<String, Value>) -> String {
    let n = obj.keys().filter_map(|k| k.parse::<usize>().ok()).map(|i| i + 1).max().unwrap_or(0);
    n.to_string()
}

/// Objects whose keys are all small indices become arrays ordered by index.
fn compact_arrays(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            for child in obj.values_mut() {
                compact_arrays(child);
            }
            let indices: Option<Vec<usize>> =
                obj.keys().map(|k| k.parse::<usize>().ok().filter(|_| !k.starts_with('+'))).collect();
            if let Some(mut idx) = indices.filter(|i| !i.is_empty() && i.iter().all(|&x| x <= MAX_ARRAY_INDEX)) {
                idx.sort_unstable();
                let items = idx.iter().filter_map(|i| obj.get(&i.to_string()).cloned()).collect();
                *v = Value::Array(items);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(compact_arrays),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nests_brackets() {
        assert_eq!(parse("filter[title][_eq]=x&limit=2"), json!({"filter": {"title": {"_eq": "x"}}, "limit": "2"}));
        assert_eq!(parse("groupBy[]=a&groupBy[]=b"), json!({"groupBy": ["a", "b"]}));
        assert_eq!(
            parse("filter[_and][1][b][_eq]=2&filter[_and][0][a][_eq]=1"),
            json!({"filter": {"_and": [{"a": {"_eq": "1"}}, {"b": {"_eq": "2"}}]}})
        );
        assert_eq!(parse("fields=a&fields=b"), json!({"fields": ["a", "b"]}));
        assert_eq!(parse("filter%5Bstatus%5D%5B_eq%5D=a+b%26c"), json!({"filter": {"status": {"_eq": "a b&c"}}}));
        assert_eq!(parse("x[25]=a"), json!({"x": {"25": "a"}}));
        assert_eq!(parse("a[b=1"), json!({"a[b": "1"}));
    }

    #[test]
    fn bounds_depth() {
        let deep = format!("f{}=1", "[a]".repeat(100));
        let v = parse(&deep);
        let mut depth = 0;
        let mut cur = &v;
        while let Some(obj) = cur.as_object() {
            depth += 1;
            cur = obj.values().next().unwrap();
        }
        assert!(depth <= MAX_DEPTH + 2);
    }
}
