//! Access control through the API only, as an admin sets it up: a role, a
//! policy attached to it, permissions, and a user with that role, who then
//! sees and changes exactly what the rules allow. Runs against the native
//! server and (scripts/edge-test) the edge worker on D1 and Durable Object.

mod common;
use common::{sql_column, sql_ids, unique, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::sync::OnceLock;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| common::own_demo("access", "120"))
}

fn login(s: &Server, email: &str, password: &str) -> Value {
    let r = s.anonymous().post("/auth/login", json!({"email": email, "password": password}));
    assert_eq!(r.status, 200, "login of {email}: {}", r.text);
    r.data()
}

/// The columns of `articles` except `internal_notes`.
fn article_fields_but_notes(db: &str) -> Vec<String> {
    let sql = match db.split("://").next() {
        Some("postgres") => "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'articles' AND column_name <> 'internal_notes' ORDER BY ordinal_position",
        Some("mysql") => "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'articles' AND column_name <> 'internal_notes' ORDER BY ordinal_position",
        _ => "SELECT name FROM pragma_table_info('articles') WHERE name <> 'internal_notes' ORDER BY cid",
    };
    sql_column(db, sql).into_iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn rules_made_through_the_api_hold_for_the_user() {
    let s = server();
    let db = &s.db_path;

    // The admin logs in with the password and works with the access token.
    let admin = login(s, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(admin["expires"], 900_000);
    let a = s.as_token(admin["access_token"].as_str().unwrap());
    assert_eq!(a.get("/users/me?fields=email").data(), json!({"email": ADMIN_EMAIL}));

    // A role, a policy attached to it (the SDK's nested form), permissions.
    let role = a.post("/roles", json!({"name": unique("Editor")})).data();
    let role_id = role["id"].as_str().unwrap().to_string();
    assert_eq!(role["icon"], "supervised_user_circle");
    let policy = a
        .post("/policies", json!({"name": unique("Editors"), "app_access": false, "roles": [{"role": role_id}]}))
        .data();
    let policy_id = policy["id"].as_str().unwrap().to_string();
    assert_eq!(policy["roles"].as_array().unwrap().len(), 1, "{policy}");
    let access = a.get(&format!("/access?filter[policy][_eq]={policy_id}")).data();
    assert_eq!(access[0]["role"], json!(role_id));
    let fields = article_fields_but_notes(db);
    let read = a
        .post(
            "/permissions",
            json!({"policy": policy_id, "collection": "articles", "action": "read", "fields": fields}),
        )
        .data();
    assert_eq!(read["fields"], json!(fields));
    assert_eq!(read["permissions"], Value::Null);
    // Editors update the articles of the author whose email is theirs.
    let rule = json!({"author": {"email": {"_eq": "$CURRENT_USER.email"}}});
    a.post(
        "/permissions",
        json!({"policy": policy_id, "collection": "articles", "action": "update", "fields": ["*"], "permissions": rule}),
    )
    .data();
    a.post(
        "/permissions",
        json!({"policy": policy_id, "collection": "authors", "action": "read", "fields": ["id", "name"]}),
    )
    .data();

    // A user with that role: the author of some articles.
    let author = sql_ids(
        db,
        "SELECT author FROM articles WHERE author IS NOT NULL GROUP BY author ORDER BY count(*) DESC LIMIT 1",
    )[0];
    let email =
        sql_column(db, &format!("SELECT email FROM authors WHERE id = {author}"))[0].as_str().unwrap().to_string();
    let password = "Edit0r-pass-123";
    let user =
        a.post("/users", json!({"email": email, "password": password, "role": role_id, "first_name": "Ed"})).data();
    assert_eq!(user["password"], "**********");
    assert_eq!(
        sql_column(
            db,
            &format!("SELECT count(*) FROM directus_users WHERE email = '{email}' AND password LIKE '$argon2id$%'")
        )[0],
        1
    );

    let editor = login(s, &email, password);
    let e = s.as_token(editor["access_token"].as_str().unwrap());

    // Reads: every article, never internal_notes.
    let total = sql_column(db, "SELECT count(*) FROM articles")[0].as_i64().unwrap();
    let all = e.get("/items/articles?limit=-1").data();
    assert_eq!(all.as_array().unwrap().len() as i64, total);
    let keys: Vec<&String> = all[0].as_object().unwrap().keys().collect();
    assert!(!keys.iter().any(|k| *k == "internal_notes"), "{keys:?}");
    let forbidden_field = "You don't have permission to access field \"internal_notes\" in collection \"articles\" or it does not exist. Queried in root.";
    for q in [
        "fields=internal_notes",
        "fields=id,internal_notes",
        "filter[internal_notes][_contains]=note",
        "filter={\"_or\":[{\"id\":{\"_eq\":1}},{\"internal_notes\":{\"_eq\":\"x\"}}]}",
        "sort=-internal_notes",
        "aggregate[countDistinct]=internal_notes",
        "groupBy[]=internal_notes&aggregate[count]=*",
    ] {
        let r = e.get(&format!("/items/articles?{q}"));
        assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{q}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["message"], forbidden_field, "{q}");
    }
    // Search does not look into what cannot be read.
    assert_eq!(e.get("/items/articles?search=internal%20note&fields=id").data(), json!([]));
    // A related collection's fields follow its own permissions.
    let r = e.get("/items/articles?fields=id,author.email&limit=1");
    assert_eq!(r.code(), "FORBIDDEN", "{}", r.text);
    assert!(e.get("/items/articles?fields=id,author.name&limit=1").data()[0].get("author").is_some());
    // Comments are not readable at all.
    let r = e.get("/items/comments");
    assert_eq!(
        r.json()["errors"][0]["message"],
        "You don't have permission to access collection \"comments\" or it does not exist. Queried in root."
    );

    // Writes: only their own articles.
    let own = sql_ids(db, &format!("SELECT id FROM articles WHERE author = {author} ORDER BY id LIMIT 1"))[0];
    let other =
        sql_ids(db, &format!("SELECT id FROM articles WHERE author IS NULL OR author <> {author} ORDER BY id LIMIT 1"))
            [0];
    let r = e.patch(&format!("/items/articles/{other}"), json!({"title": "hacked"}));
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{}", r.text);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "You don't have permissions to perform \"update\" for the field(s) \"title\" in collection \"articles\" or it does not exist."
    );
    assert_ne!(sql_column(db, &format!("SELECT title FROM articles WHERE id = {other}"))[0], "hacked");
    let title = unique("edited by the author");
    let r = e.patch(&format!("/items/articles/{own}"), json!({"title": title}));
    assert_eq!(r.data()["title"], json!(title));
    assert!(r.data().get("internal_notes").is_none(), "the answer is read with the editor's read permissions");
    assert_eq!(sql_column(db, &format!("SELECT title FROM articles WHERE id = {own}"))[0], json!(title));
    // A batch touching one article of another author changes nothing.
    let r = e.patch("/items/articles", json!({"keys": [own, other], "data": {"status": "archived"}}));
    assert_eq!(r.code(), "FORBIDDEN", "{}", r.text);
    assert_ne!(sql_column(db, &format!("SELECT status FROM articles WHERE id = {own}"))[0], "archived");
    // No create, no delete.
    let r = e.post("/items/articles", json!({"title": "new"}));
    assert_eq!(
        r.json()["errors"][0]["message"],
        "You don't have permission to access collection \"articles\" or it does not exist. Queried in root."
    );
    assert_eq!(e.delete(&format!("/items/articles/{own}"), None).code(), "FORBIDDEN");
    // System collections stay closed.
    assert_eq!(e.get("/items/directus_users").code(), "FORBIDDEN");
    assert_eq!(e.get("/users").code(), "FORBIDDEN");
    assert_eq!(e.get("/users/me").data()["id"], user["id"], "without app access /users/me holds the id only");
    let me = e.get("/permissions/me").data();
    assert_eq!(me["articles"]["read"]["access"], "full");
    assert_eq!(me["articles"]["update"]["access"], "partial");
    assert_eq!(me["articles"]["create"]["access"], "none");

    // Anonymous visitors read published articles only (the demo's public policy).
    let published = sql_ids(db, "SELECT id FROM articles WHERE status = 'published' ORDER BY id");
    let seen = s.anonymous().get("/items/articles?fields=id&limit=-1").data();
    assert_eq!(common::ids(&seen), published);
    let draft = sql_ids(db, "SELECT id FROM articles WHERE status = 'draft' LIMIT 1")[0];
    assert_eq!(s.anonymous().get(&format!("/items/articles/{draft}")).code(), "FORBIDDEN");
    assert_eq!(s.anonymous().post("/items/articles", json!({"title": "x"})).code(), "FORBIDDEN");

    // A static token for a machine (a signage player) works like a login.
    let token = unique("player-token");
    a.patch(&format!("/users/{}", user["id"].as_str().unwrap()), json!({"token": token})).data();
    let player = s.as_token(&token);
    assert_eq!(player.get("/items/articles?limit=-1&fields=id").data().as_array().unwrap().len() as i64, total);
    assert_eq!(player.get("/items/articles?fields=internal_notes").code(), "FORBIDDEN");
    // Admins see tokens; the user only learns there is one.
    assert_eq!(a.get(&format!("/users/{}?fields=token", user["id"].as_str().unwrap())).data()["token"], json!(token));

    // A permission removed through the API is gone at once.
    let update_rows = a.get(&format!("/permissions?filter[policy][_eq]={policy_id}&filter[action][_eq]=update")).data();
    let id = update_rows[0]["id"].as_i64().unwrap();
    assert_eq!(a.delete(&format!("/permissions/{id}"), None).status, 204);
    assert_eq!(e.patch(&format!("/items/articles/{own}"), json!({"title": "again"})).code(), "FORBIDDEN");
}

#[test]
fn validation_and_presets_apply_to_writes() {
    let s = server();
    let a = s.clone();
    let role = a.post("/roles", json!({"name": unique("Commenter")})).data()["id"].as_str().unwrap().to_string();
    let policy = a.post("/policies", json!({"name": unique("Commenters"), "roles": [{"role": role}]})).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.post(
        "/permissions",
        json!({"policy": policy, "collection": "comments", "action": "create", "fields": ["*"],
               "permissions": {"body": {"_nstarts_with": "spam"}},
               "validation": {"body": {"_nnull": true}}, "presets": {"author_name": "$CURRENT_USER"}}),
    )
    .data();
    a.post("/permissions", json!({"policy": policy, "collection": "comments", "action": "update", "fields": ["body"]}))
        .data();
    let email = format!("{}@example.com", unique("commenter"));
    let user = a.post("/users", json!({"email": email, "password": "pass-1234", "role": role})).data();
    let token = unique("commenter-token");
    a.patch(&format!("/users/{}", user["id"].as_str().unwrap()), json!({"token": token})).data();
    let c = s.as_token(&token);
    let article = sql_ids(&s.db_path, "SELECT id FROM articles LIMIT 1")[0];

    let r = c.post("/items/comments", json!({"article": article, "body": null}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json()["errors"][0],
        json!({"message": "Validation failed for field \"body\". Value can't be null.",
               "extensions": {"field": "body", "path": [], "type": "nnull", "code": "FAILED_VALIDATION"}})
    );
    // Created but not readable by its author: 204, as Directus answers.
    let body = unique("a comment");
    let r = c.post("/items/comments", json!({"article": article, "body": body}));
    assert_eq!(r.status, 204, "{}", r.text);
    let author_name = sql_column(&s.db_path, &format!("SELECT author_name FROM comments WHERE body = '{body}'"));
    assert_eq!(author_name, [user["id"].clone()], "the preset filled the field");
    // A created item must satisfy the create rule: checked after the insert,
    // inside the transaction (on D1, inside the atomic batch).
    let spam = unique("spam comment");
    let r = c.post("/items/comments", json!({"article": article, "body": spam}));
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{}", r.text);
    assert!(sql_column(&s.db_path, &format!("SELECT id FROM comments WHERE body = '{spam}'")).is_empty());
    // A batch update names each item's key, which the update grant need not list.
    let id = sql_ids(&s.db_path, &format!("SELECT id FROM comments WHERE body = '{body}'"))[0];
    let edited = unique("an edited comment");
    let r = c.patch("/items/comments", json!([{"id": id, "body": edited}]));
    assert!(r.status == 200 || r.status == 204, "{}", r.text);
    assert_eq!(sql_column(&s.db_path, &format!("SELECT body FROM comments WHERE id = {id}")), [json!(edited)]);
    // A batch with one invalid item stores none of them.
    let first = unique("first of a batch");
    let r = c.post("/items/comments", json!([{"article": article, "body": first}, {"article": article, "body": null}]));
    assert_eq!(r.code(), "FAILED_VALIDATION");
    assert!(sql_column(&s.db_path, &format!("SELECT id FROM comments WHERE body = '{first}'")).is_empty());
}

#[test]
fn secrets_cannot_be_queried_by_non_admins() {
    let s = server();
    let a = s.clone();
    // A user manager: reads every field of every user, tokens and passwords included.
    let role = a.post("/roles", json!({"name": unique("User managers")})).data()["id"].as_str().unwrap().to_string();
    let policy = a.post("/policies", json!({"name": unique("User managers"), "roles": [{"role": role}]})).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.post(
        "/permissions",
        json!({"policy": policy, "collection": "directus_users", "action": "read", "fields": ["*"]}),
    )
    .data();
    let token = unique("manager-token");
    let email = format!("{}@example.com", unique("manager"));
    a.post("/users", json!({"email": email, "password": "pass-1234", "role": role, "token": token})).data();
    let m = s.as_token(&token);

    // They read, masked.
    let admin = m.get(&format!("/users?filter[email][_eq]={ADMIN_EMAIL}&fields=email,token,password")).data();
    assert_eq!(admin, json!([{"email": ADMIN_EMAIL, "token": "**********", "password": "**********"}]));
    // But cannot find the values out through a query.
    for query in [
        "filter[token][_starts_with]=r",
        "filter[password][_nnull]=true",
        "sort=token",
        "groupBy[]=token&aggregate[count]=*",
        "aggregate[countDistinct]=password",
    ] {
        let r = m.get(&format!("/users?{query}"));
        assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"), "{query}: {}", r.text);
    }
    // Search skips them: the admin's token matches nobody.
    let found = m.get(&format!("/users?search={}&fields=email", common::ADMIN_TOKEN)).data();
    assert_eq!(found, json!([]));
    // The admin still can.
    let found = a.get(&format!("/users?filter[token][_eq]={}&fields=email", common::ADMIN_TOKEN)).data();
    assert_eq!(found, json!([{"email": ADMIN_EMAIL}]));
}
