//! Authentication as Directus does it: logins in the three modes, refresh
//! token rotation, logout, static tokens, and the answers to forged,
//! expired and misplaced tokens, brute force and injection attempts.

mod common;
use base64::Engine as _;
use common::{sql_column, unique, Server, ADMIN_EMAIL, ADMIN_PASSWORD, SECRET};
use hmac::Mac;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| common::own_demo("auth", "40"))
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// A JWT with `header` and `claims`, signed HS256 with `key`.
fn jwt(header: &str, claims: &Value, key: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(&claims.to_string()));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn admin_claims(s: &Server) -> Value {
    let id = s.get("/users/me?fields=id,role").data();
    json!({"id": id["id"], "role": id["role"], "app_access": true, "admin_access": true, "iat": now_secs(), "exp": now_secs() + 600, "iss": "directus"})
}

/// A raw POST whose Set-Cookie headers we want.
fn post_raw(s: &Server, path: &str, body: &Value, cookie: Option<&str>) -> (u16, Vec<String>, String) {
    let client = reqwest::blocking::Client::new();
    let mut req =
        client.post(format!("{}{path}", s.base)).header("content-type", "application/json").body(body.to_string());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().unwrap();
    let cookies = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    (r.status().as_u16(), cookies, r.text().unwrap())
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap().to_string()))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

#[test]
fn login_refresh_and_logout_in_each_mode() {
    let s = server().anonymous();
    // json: both tokens in the body; the refresh token rotates and dies on use.
    let r = s.post("/auth/login", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}));
    let d = r.data();
    assert_eq!(d["expires"], 900_000);
    let refresh = d["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(refresh.len(), 64);
    let token = d["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (claims["iss"].clone(), claims["admin_access"].clone(), claims["app_access"].clone()),
        (json!("directus"), json!(true), json!(true))
    );
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert_eq!(s.as_token(token).get("/users/me?fields=email").data()["email"], ADMIN_EMAIL);
    let again = s.post("/auth/refresh", json!({"refresh_token": refresh})).data();
    let next = again["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(next, refresh);
    let reused = s.post("/auth/refresh", json!({"refresh_token": refresh}));
    assert_eq!((reused.status, reused.code().as_str()), (401, "INVALID_CREDENTIALS"), "a refresh token works once");
    assert_eq!(s.post("/auth/logout", json!({"refresh_token": next})).status, 204);
    assert_eq!(s.post("/auth/refresh", json!({"refresh_token": next})).code(), "INVALID_CREDENTIALS");
    assert_eq!(s.post("/auth/refresh", json!({})).code(), "INVALID_PAYLOAD");

    // cookie: the refresh token travels in an httpOnly cookie.
    let (status, cookies, body) =
        post_raw(&s, "/auth/login", &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "mode": "cookie"}), None);
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body["data"].get("refresh_token").is_none() && body["data"]["access_token"].is_string());
    let set = cookies.iter().find(|c| c.starts_with("directus_refresh_token=")).unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Max-Age=604800") && set.contains("SameSite=Lax"), "{set}");
    let rt = cookie_value(&cookies, "directus_refresh_token");
    let (status, cookies2, _) =
        post_raw(&s, "/auth/refresh", &json!({}), Some(&format!("directus_refresh_token={rt}")));
    assert_eq!(status, 200);
    assert_ne!(cookie_value(&cookies2, "directus_refresh_token"), rt);

    // session: the access token itself in a cookie; valid while its session lives.
    let (status, cookies, body) = post_raw(
        &s,
        "/auth/login",
        &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "mode": "session"}),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["data"], json!({"expires": 86_400_000}));
    let session = cookie_value(&cookies, "directus_session_token");
    let client = reqwest::blocking::Client::new();
    let me = |cookie: &str| {
        client
            .get(format!("{}/users/me?fields=email", s.base))
            .header("cookie", cookie)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(me(&format!("directus_session_token={session}")), 200);
    let (status, cleared, _) =
        post_raw(&s, "/auth/logout", &json!({"mode": "session"}), Some(&format!("directus_session_token={session}")));
    assert_eq!(status, 204);
    assert!(cleared.iter().any(|c| c.starts_with("directus_session_token=;")), "{cleared:?}");
    assert_eq!(me(&format!("directus_session_token={session}")), 401, "a session token dies with its session");
}

#[test]
fn a_refresh_token_raced_twice_rotates_once() {
    let s = server().anonymous();
    for _ in 0..5 {
        let d = s.post("/auth/login", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).data();
        let refresh = d["refresh_token"].as_str().unwrap().to_string();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| s.post("/auth/refresh", json!({"refresh_token": refresh})).status))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(statuses.iter().filter(|&&st| st == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|&st| st == 200 || st == 401), "{statuses:?}");
    }
}

#[test]
fn login_errors_match_directus() {
    let s = server().anonymous();
    let cases = [
        (json!({"email": ADMIN_EMAIL, "password": "wrong"}), 401, "INVALID_CREDENTIALS", "Invalid user credentials."),
        (
            json!({"email": "nobody@example.com", "password": "x"}),
            401,
            "INVALID_CREDENTIALS",
            "Invalid user credentials.",
        ),
        (json!({"email": ADMIN_EMAIL}), 400, "INVALID_PAYLOAD", "Invalid payload. \"password\" is required."),
        (json!({"password": "x"}), 400, "INVALID_PAYLOAD", "Invalid payload. \"email\" is required."),
        (
            json!({"email": "not-an-email", "password": "x"}),
            400,
            "INVALID_PAYLOAD",
            "Invalid payload. \"email\" must be a valid email.",
        ),
        (
            json!({"email": ADMIN_EMAIL, "password": "x", "mode": "bogus"}),
            400,
            "INVALID_PAYLOAD",
            "Invalid payload. \"mode\" must be one of [cookie, json, session].",
        ),
    ];
    for (body, status, code, message) in cases {
        let r = s.post("/auth/login", body.clone());
        assert_eq!((r.status, r.code().as_str()), (status, code), "{body}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["message"], message, "{body}");
    }
    // Emails match case-insensitively.
    assert_eq!(
        s.post("/auth/login", json!({"email": ADMIN_EMAIL.to_uppercase(), "password": ADMIN_PASSWORD})).status,
        200
    );
}

#[test]
fn forged_expired_and_misplaced_tokens_are_refused() {
    let s = server();
    let claims = admin_claims(s);
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let good = jwt(header, &claims, SECRET);
    assert_eq!(
        s.as_token(&good).get("/items/articles?limit=1").status,
        200,
        "a token signed with SECRET by anyone holding it"
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now_secs() - 10);
    let mut other_issuer = claims.clone();
    other_issuer["iss"] = json!("someone-else");
    let mut no_role = claims.clone();
    no_role.as_object_mut().unwrap().remove("role");
    let parts: Vec<&str> = good.split('.').collect();
    let mut escalated = claims.clone();
    escalated["id"] = json!("00000000-0000-0000-0000-000000000000");
    let tampered = format!("{}.{}.{}", parts[0], b64(&escalated.to_string()), parts[2]);
    let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    for (token, status, code) in [
        (jwt(header, &expired, SECRET), 401, "TOKEN_EXPIRED"),
        (tampered, 403, "INVALID_TOKEN"),
        (none, 403, "INVALID_TOKEN"),
        (jwt(header, &claims, "another key"), 403, "INVALID_TOKEN"),
        (jwt(header, &no_role, SECRET), 403, "INVALID_TOKEN"),
        (jwt(header, &other_issuer, SECRET), 401, "INVALID_CREDENTIALS"),
        ("garbage.token.here".to_string(), 401, "INVALID_CREDENTIALS"),
        ("'OR'1'='1'--".to_string(), 401, "INVALID_CREDENTIALS"),
    ] {
        let r = s.as_token(&token).get("/items/articles?limit=1");
        assert_eq!((r.status, r.code().as_str()), (status, code), "{token}: {}", r.text);
    }
    // A header Directus does not read (not `Bearer <token>`) leaves the request anonymous.
    let r = reqwest::blocking::Client::new()
        .get(format!("{}/users/me", s.base))
        .header("authorization", format!("Basic {}", common::ADMIN_TOKEN))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // ?access_token= works; with a header as well it is refused.
    let r = s.anonymous().get(&format!("/users/me?fields=email&access_token={}", common::ADMIN_TOKEN));
    assert_eq!(r.data()["email"], ADMIN_EMAIL);
    let r = s.get(&format!("/users/me?access_token={}", common::ADMIN_TOKEN));
    assert_eq!((r.status, r.code().as_str()), (400, "INVALID_PAYLOAD"));
    // Anonymous: no /users/me; system collections never through /items, even for admins.
    assert_eq!(s.anonymous().get("/users/me").code(), "INVALID_CREDENTIALS");
    for path in ["/items/directus_users", "/items/directus_roles", "/items/directus_permissions"] {
        assert_eq!(s.get(path).code(), "FORBIDDEN", "{path}");
    }
    assert_eq!(s.anonymous().get("/users").code(), "FORBIDDEN");
    assert_eq!(s.anonymous().get("/permissions/me").code(), "FORBIDDEN");
}

#[test]
fn brute_force_suspends_the_user() {
    let s = server();
    let email = format!("{}@example.com", unique("victim"));
    let user = s.post("/users", json!({"email": email, "password": "right-pass-1"})).data();
    let id = user["id"].as_str().unwrap().to_string();
    let a = s.anonymous();
    let session = a.post("/auth/login", json!({"email": email, "password": "right-pass-1"})).data();
    // Directus's default limit: 25 failures in a row; the 26th attempt suspends.
    for i in 1..=25 {
        let r = a.post("/auth/login", json!({"email": email, "password": format!("wrong-{i}")}));
        assert_eq!(r.code(), "INVALID_CREDENTIALS");
    }
    assert_eq!(
        sql_column(&s.db_path, &format!("SELECT status FROM directus_users WHERE id = '{id}'")),
        [json!("active")]
    );
    let r = a.post("/auth/login", json!({"email": email, "password": "right-pass-1"}));
    assert_eq!(r.code(), "INVALID_CREDENTIALS", "the attempt past the limit fails even with the right password");
    assert_eq!(
        sql_column(&s.db_path, &format!("SELECT status FROM directus_users WHERE id = '{id}'")),
        [json!("suspended")]
    );
    assert_eq!(
        a.post("/auth/login", json!({"email": email, "password": "right-pass-1"})).code(),
        "INVALID_CREDENTIALS"
    );
    // The session opened before is gone.
    let r = a.post("/auth/refresh", json!({"refresh_token": session["refresh_token"]}));
    assert_eq!(r.code(), "INVALID_CREDENTIALS");
}

#[test]
fn sql_in_names_and_values_changes_nothing() {
    let s = server();
    let before = sql_column(&s.db_path, "SELECT count(*) FROM articles");
    for q in [
        "fields=id,\"title\";DROP TABLE articles;--",
        "filter[title;DROP TABLE articles][_eq]=1",
        "sort=title);DROP TABLE articles;--",
        "groupBy[]=status);DELETE FROM articles;--&aggregate[count]=*",
    ] {
        let r = s.get(&format!("/items/articles?{}", q.replace(' ', "%20")));
        assert!(r.status == 400 || r.status == 403, "{q}: {}", r.text);
    }
    let r = s.get("/items/articles?filter[title][_eq]=x'%20OR%20'1'='1&fields=id");
    assert_eq!(r.data(), json!([]));
    let r = s.anonymous().post("/auth/login", json!({"email": "x'OR'1'='1@example.com", "password": "' OR '1'='1"}));
    assert_eq!(r.code(), "INVALID_CREDENTIALS");
    assert_eq!(sql_column(&s.db_path, "SELECT count(*) FROM articles"), before);
}
