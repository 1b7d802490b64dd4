//! The native host: flags (CORS, query limits, payload size) and picking up
//! schema changes made by others.

mod common;
use common::start;
use serde_json::json;

#[test]
fn cors_limits_and_payload_size_follow_the_flags() {
    let s = start(
        "options",
        &[
            "--demo",
            "--demo-articles",
            "50",
            "--cors-origin",
            "https://app.example.com",
            "--query-limit-default",
            "7",
            "--query-limit-max",
            "12",
            "--max-payload-size",
            "100",
        ],
    );
    let client = reqwest::blocking::Client::new();
    let r = client
        .request(reqwest::Method::OPTIONS, format!("{}/items/articles", s.base))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PATCH")
        .send()
        .unwrap();
    assert_eq!(r.headers().get("access-control-allow-origin").unwrap(), "https://app.example.com");
    let r = client.get(format!("{}/server/ping", s.base)).header("origin", "https://evil.example.com").send().unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    assert_eq!(s.get("/items/articles?fields=id").data().as_array().unwrap().len(), 7);
    assert_eq!(s.get("/items/articles?fields=id&limit=-1").data().as_array().unwrap().len(), 12);
    assert_eq!(s.get("/items/articles?fields=id&limit=30").data().as_array().unwrap().len(), 12);
    let r = s.raw("POST", "/items/tags", "application/json", &format!("{{\"name\": \"{}\"}}", "x".repeat(200)));
    assert_eq!((r.status, r.code().as_str()), (413, "CONTENT_TOO_LARGE"));
}

#[test]
fn schema_changes_are_picked_up() {
    let s = start("schema-watch", &["--demo", "--demo-articles", "20"]);
    assert_eq!(s.get("/items/late_table").code(), "FORBIDDEN");
    common::sql_column(&s.db_path, "CREATE TABLE late_table (id INTEGER PRIMARY KEY, label TEXT)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = s.get("/items/late_table");
        if r.status == 200 {
            assert_eq!(r.data(), json!([]));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "new table not served: {}", r.text);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
