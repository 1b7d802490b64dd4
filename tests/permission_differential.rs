//! Random users, roles, policies and rules (relational and `$CURRENT_USER`
//! ones included), and random queries: every row returned satisfies the
//! rules, no permitted row is missing, every field reads as the rules say
//! (its value, or null where only another rule grants it), and no forbidden
//! field appears — checked against a model of Directus's semantics written
//! here, outside the compiler.

mod common;
use common::{sql_column, Server};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The article fields the rules grant and the queries read.
const FIELDS: &[&str] = &["id", "title", "status", "views", "featured", "category", "author", "internal_notes"];
const STATUSES: &[&str] = &["published", "draft", "archived"];

/// A small deterministic random source (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// An article as the model sees it (raw values, with its author's email).
#[derive(Debug, Clone)]
struct Row {
    values: Map<String, Value>,
    author_email: Value,
}

/// A rule the model evaluates with SQL's three-valued logic (None = unknown).
#[derive(Debug, Clone)]
enum Rule {
    StatusIs(String),
    StatusIn(Vec<String>),
    ViewsOver(i64),
    Featured,
    OwnArticles,
    Or(Box<Rule>, Box<Rule>),
}

impl Rule {
    fn random(rng: &mut Rng, depth: u32) -> Rule {
        match rng.below(if depth > 0 { 6 } else { 5 }) {
            0 => Rule::StatusIs(rng.pick(STATUSES).to_string()),
            1 => Rule::StatusIn(vec![rng.pick(STATUSES).to_string(), rng.pick(STATUSES).to_string()]),
            2 => Rule::ViewsOver(rng.below(1000) as i64),
            3 => Rule::Featured,
            4 => Rule::OwnArticles,
            _ => Rule::Or(Box::new(Rule::random(rng, depth - 1)), Box::new(Rule::random(rng, depth - 1))),
        }
    }

    fn json(&self) -> Value {
        match self {
            Rule::StatusIs(s) => json!({"status": {"_eq": s}}),
            Rule::StatusIn(list) => json!({"status": {"_in": list}}),
            Rule::ViewsOver(n) => json!({"views": {"_gt": n}}),
            Rule::Featured => json!({"featured": {"_eq": true}}),
            Rule::OwnArticles => json!({"author": {"email": {"_eq": "$CURRENT_USER.email"}}}),
            Rule::Or(a, b) => json!({"_or": [a.json(), b.json()]}),
        }
    }

    fn holds(&self, row: &Row, me: &str) -> Option<bool> {
        let v = &row.values;
        match self {
            Rule::StatusIs(s) => v["status"].as_str().map(|x| x == s),
            Rule::StatusIn(list) => v["status"].as_str().map(|x| list.iter().any(|s| s == x)),
            Rule::ViewsOver(n) => v["views"].as_i64().map(|x| x > *n),
            Rule::Featured => v["featured"].as_i64().map(|x| x == 1),
            Rule::OwnArticles => row.author_email.as_str().map(|e| e == me),
            Rule::Or(a, b) => match (a.holds(row, me), b.holds(row, me)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }
}

/// One permission row of the model.
#[derive(Debug, Clone)]
struct Perm {
    rule: Option<Rule>,
    fields: Option<BTreeSet<&'static str>>, // None = "*"
}

impl Perm {
    fn grants(&self, field: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.contains(field))
    }
    fn holds(&self, row: &Row, me: &str) -> bool {
        self.rule.as_ref().is_none_or(|r| r.holds(row, me) == Some(true))
    }
}

/// What the model expects for one field of one visible row.
fn expected_value(perms: &[Perm], row: &Row, me: &str, field: &str) -> Value {
    if perms.iter().any(|p| p.grants(field) && p.holds(row, me)) {
        let v = row.values[field].clone();
        if field == "featured" {
            return json!(v.as_i64() == Some(1));
        }
        v
    } else {
        Value::Null
    }
}

fn load_rows(db: &str) -> Vec<Row> {
    let sql = "SELECT json_object('id', a.id, 'title', a.title, 'status', a.status, 'views', a.views, 'featured', a.featured, 'category', a.category, 'author', a.author, 'internal_notes', a.internal_notes, 'email', au.email) FROM articles a LEFT JOIN authors au ON au.id = a.author ORDER BY a.id";
    let sql = match db.starts_with("postgres://") {
        true => {
            sql.replace("json_object(", "json_build_object(").replace("a.featured,", "CAST(a.featured AS integer),")
        }
        false => sql.to_string(),
    };
    sql_column(db, &sql)
        .into_iter()
        .map(|v| {
            let mut values: Map<String, Value> = serde_json::from_str(v.as_str().unwrap()).unwrap();
            let author_email = values.remove("email").unwrap_or(Value::Null);
            Row { values, author_email }
        })
        .collect()
}

fn unique(prefix: &str, n: u64) -> String {
    format!("{prefix}-{}-{n}", std::process::id())
}

#[test]
fn random_rules_against_a_model() {
    let s: Server = common::own_demo("perm-diff", "150");
    let rows = load_rows(&s.db_path);
    let emails: Vec<String> = sql_column(&s.db_path, "SELECT email FROM authors WHERE email IS NOT NULL ORDER BY id")
        .into_iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let seeds: u64 = std::env::var("RECTUS_PERM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    // What the run covered, so it cannot pass by checking nothing.
    let (mut refused, mut compared_rows, mut nulled) = (0, 0, 0);
    for case in 0..seeds {
        let mut rng = Rng(0x5eed_0000 + case);
        // Policies on a role, one perhaps straight on the user.
        let role =
            s.post("/roles", json!({"name": unique("diff-role", case)})).data()["id"].as_str().unwrap().to_string();
        let mut perms = Vec::new();
        let policy_count = 1 + rng.below(2);
        let mut user_policy = None;
        for p in 0..policy_count {
            let on_user = p == 1 && rng.below(2) == 0;
            let body = if on_user {
                json!({"name": unique("diff-user-policy", case)})
            } else {
                json!({"name": unique("diff-policy", case * 10 + p), "roles": [{"role": role}]})
            };
            let policy = s.post("/policies", body).data()["id"].as_str().unwrap().to_string();
            if on_user {
                user_policy = Some(policy.clone());
            }
            for _ in 0..1 + rng.below(3) {
                let rule = if rng.below(6) == 0 { None } else { Some(Rule::random(&mut rng, 1)) };
                let fields: Option<BTreeSet<&'static str>> = if rng.below(4) == 0 {
                    None
                } else {
                    let mut f: BTreeSet<&'static str> = FIELDS.iter().copied().filter(|_| rng.below(2) == 0).collect();
                    f.insert("id");
                    Some(f)
                };
                let fields_json = match &fields {
                    None => json!(["*"]),
                    Some(f) => json!(f.iter().collect::<Vec<_>>()),
                };
                let permission = json!({"policy": policy, "collection": "articles", "action": "read", "fields": fields_json, "permissions": rule.as_ref().map(Rule::json)});
                s.post("/permissions", permission).data();
                perms.push(Perm { rule, fields });
            }
        }
        let me = rng.pick(&emails).clone();
        let token = unique("diff-token", case);
        let mut user =
            json!({"email": format!("diff-{case}-{}@example.org", std::process::id()), "role": role, "token": token});
        if let Some(p) = &user_policy {
            user["policies"] = json!([{"policy": p}]);
        }
        // The rules compare the *author's* email with the user's: give the user it.
        user["email"] = json!(me.clone());
        let created = s.post("/users", user);
        if created.status != 200 {
            // Another case already took this author's email: next case.
            assert_eq!(created.code(), "RECORD_NOT_UNIQUE", "{}", created.text);
            continue;
        }
        let u = s.as_token(&token);

        let union: BTreeSet<&str> = FIELDS.iter().copied().filter(|f| perms.iter().any(|p| p.grants(f))).collect();
        let visible: Vec<&Row> = rows.iter().filter(|r| perms.iter().any(|p| p.holds(r, &me))).collect();
        for q in 0..4 {
            let mut requested: Vec<&str> = FIELDS.iter().copied().filter(|_| rng.below(2) == 0).collect();
            requested.insert(0, "id");
            requested.dedup();
            let status = rng.pick(STATUSES).to_string();
            let with_filter = rng.below(2) == 0;
            let mut path = format!("/items/articles?limit=-1&sort=id&fields={}", requested.join(","));
            if with_filter {
                path += &format!("&filter[status][_eq]={status}");
            }
            let r = u.get(&path);
            let forbidden: Vec<&&str> = requested.iter().filter(|f| !union.contains(*f)).collect();
            let filter_forbidden = with_filter && !union.contains("status");
            if !forbidden.is_empty() || filter_forbidden {
                assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "case {case}/{q} {path}: {}", r.text);
                refused += 1;
                continue;
            }
            let data = r.data();
            let got = data.as_array().unwrap();
            let expected: Vec<&&Row> = visible
                .iter()
                .filter(|row| {
                    !with_filter || expected_value(&perms, row, &me, "status").as_str() == Some(status.as_str())
                })
                .collect();
            let got_ids: Vec<i64> = got.iter().map(|o| o["id"].as_i64().unwrap()).collect();
            let expected_ids: Vec<i64> = expected.iter().map(|r| r.values["id"].as_i64().unwrap()).collect();
            assert_eq!(got_ids, expected_ids, "case {case}/{q} {path} perms {perms:?} me {me}");
            for (obj, row) in got.iter().zip(&expected) {
                for f in &requested {
                    let want = expected_value(&perms, row, &me, f);
                    nulled += (want.is_null() && !row.values[*f].is_null()) as usize;
                    assert_eq!(obj[*f], want, "case {case}/{q} {path} field {f} of {obj}");
                }
                compared_rows += 1;
                assert_eq!(obj.as_object().unwrap().len(), requested.len(), "no other field: {obj}");
            }
        }
        // `*` is the permitted fields, in the same rows.
        let all = u.get("/items/articles?limit=-1&sort=id").data();
        let keys: BTreeSet<&str> = all
            .as_array()
            .unwrap()
            .first()
            .map(|o| o.as_object().unwrap().keys().map(String::as_str).collect())
            .unwrap_or_default();
        if !visible.is_empty() {
            for f in FIELDS {
                assert_eq!(keys.contains(f), union.contains(f), "case {case}: `*` and field {f}");
            }
        }
        assert_eq!(all.as_array().unwrap().len(), visible.len(), "case {case}: `*` rows");
    }
    eprintln!("{refused} queries refused, {compared_rows} rows compared, {nulled} values nulled by rules");
    assert!(
        refused > 0 && compared_rows > 100 && nulled > 0,
        "{refused} refused, {compared_rows} rows, {nulled} nulled"
    );
}
