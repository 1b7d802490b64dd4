//! Reading items over HTTP: fields, filters, sort, pagination, search, meta,
//! aggregates, deep and alias — each checked against hand-written SQL on the
//! same database file.

mod common;
use common::{ids, shared, sql_column, sql_ids};
use serde_json::{json, Value};

fn check_ids(query: &str, oracle: &str) {
    let s = shared();
    let got = ids(&s.get(&format!("/items/articles?fields=id&{query}")).data());
    let want = sql_ids(&s.db_path, oracle);
    assert_eq!(got, want, "query {query}");
}

#[test]
fn issue_example_list_with_nested_author_and_tags() {
    let s = shared();
    let r = s.get("/items/articles?fields=id,title,author.name,tags.tags_id.name&filter[status][_eq]=published&filter[author][name][_starts_with]=A&sort=-published_at&limit=20&meta=*");
    let body = r.json();
    let data = r.data();
    let rows = data.as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 20);
    let want = sql_ids(
        &s.db_path,
        "SELECT a.id FROM articles a LEFT JOIN authors u ON u.id = a.author WHERE a.status = 'published' AND substr(u.name, 1, 1) = 'A' ORDER BY a.published_at DESC, a.id DESC LIMIT 20",
    );
    assert_eq!(ids(&data), want);
    for row in rows {
        assert_eq!(row.as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "title", "author", "tags"]);
        assert!(row["author"]["name"].as_str().unwrap().starts_with('A'));
        assert_eq!(row["author"].as_object().unwrap().len(), 1);
        let id = row["id"].as_i64().unwrap();
        let tag_names = sql_column(&s.db_path, &format!("SELECT t.name FROM articles_tags j JOIN tags t ON t.id = j.tags_id WHERE j.articles_id = {id} ORDER BY j.id"));
        let got: Vec<Value> = row["tags"].as_array().unwrap().iter().map(|j| j["tags_id"]["name"].clone()).collect();
        assert_eq!(got, tag_names);
    }
    let total = sql_ids(&s.db_path, "SELECT count(*) FROM articles")[0];
    let filtered = sql_ids(&s.db_path, "SELECT count(*) FROM articles a JOIN authors u ON u.id = a.author WHERE a.status = 'published' AND substr(u.name, 1, 1) = 'A'")[0];
    assert_eq!(body["meta"], json!({"total_count": total, "filter_count": filtered}));
}

#[test]
fn issue_example_aggregate_grouped_by_status_and_year() {
    let s = shared();
    let data = s.get("/items/articles?aggregate[count]=*&groupBy[]=status&groupBy[]=year(published_at)").data();
    let rows = data.as_array().unwrap();
    let groups = sql_ids(
        &s.db_path,
        "SELECT count(*) FROM (SELECT 1 FROM articles GROUP BY status, strftime('%Y', published_at))",
    )[0];
    assert_eq!(rows.len() as i64, groups);
    let total: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert_eq!(total, sql_ids(&s.db_path, "SELECT count(*) FROM articles")[0]);
    for r in rows {
        let status = r["status"].as_str().unwrap();
        let n = r["count"].as_i64().unwrap();
        let year = &r["published_at_year"];
        let cond = if year.is_null() {
            "published_at IS NULL".to_string()
        } else {
            format!("strftime('%Y', published_at) = '{}'", year)
        };
        assert_eq!(
            n,
            sql_ids(&s.db_path, &format!("SELECT count(*) FROM articles WHERE status = '{status}' AND {cond}"))[0],
            "{r}"
        );
    }
}

#[test]
fn default_fields_limit_and_types() {
    let s = shared();
    let data = s.get("/items/articles").data();
    let rows = data.as_array().unwrap();
    assert_eq!(rows.len(), 100, "default limit is 100");
    assert_eq!(ids(&data), sql_ids(&s.db_path, "SELECT id FROM articles ORDER BY id LIMIT 100"));
    let first = &rows[0];
    // booleans as booleans, json as objects, csv as arrays, o2m as key arrays.
    assert!(first["featured"].is_boolean());
    assert!(first["keywords"].is_array() || first["keywords"].is_null());
    assert!(first["comments"].is_array());
    assert!(first["tags"].is_array());
    assert!(rows.iter().any(|r| r["metadata"].is_object()));
    // Every field, in schema order, nulls included (objects of more than 15
    // keys are built in several JSON calls: D1 allows 32 arguments per call).
    let field_names: Vec<String> = s
        .get("/fields/articles")
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert!(field_names.len() > 15);
    let keys: Vec<String> = first.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, field_names);
    assert!(rows.iter().any(|r| r["rating"].is_null()), "null values are kept");
    let all = s.get("/items/articles?limit=-1&fields=id").data();
    assert_eq!(all.as_array().unwrap().len() as i64, sql_ids(&s.db_path, "SELECT count(*) FROM articles")[0]);
}

#[test]
fn item_by_id_and_missing_item() {
    let s = shared();
    let d = s.get("/items/articles/7?fields=id,title,author.*").data();
    assert_eq!(d["id"], 7);
    assert_eq!(d["title"], sql_column(&s.db_path, "SELECT title FROM articles WHERE id = 7")[0]);
    let author = sql_column(&s.db_path, "SELECT author FROM articles WHERE id = 7")[0].clone();
    if author.is_null() {
        assert!(d["author"].is_null());
    } else {
        assert_eq!(d["author"]["id"], author);
    }
    let missing = s.get("/items/articles/999999");
    assert_eq!((missing.status, missing.code().as_str()), (403, "FORBIDDEN"));
    let bad_key = s.get("/items/articles/abc");
    assert_eq!(bad_key.status, 403);
}

#[test]
fn comparison_operators() {
    check_ids("filter[views][_gt]=500&limit=-1", "SELECT id FROM articles WHERE views > 500 ORDER BY id");
    check_ids("filter[views][_gte]=500&limit=-1", "SELECT id FROM articles WHERE views >= 500 ORDER BY id");
    check_ids("filter[views][_lt]=50&limit=-1", "SELECT id FROM articles WHERE views < 50 ORDER BY id");
    check_ids("filter[views][_lte]=50&limit=-1", "SELECT id FROM articles WHERE views <= 50 ORDER BY id");
    check_ids("filter[status][_neq]=draft&limit=-1", "SELECT id FROM articles WHERE status <> 'draft' ORDER BY id");
    check_ids("filter[rating][_eq]=null&limit=-1", "SELECT id FROM articles WHERE rating IS NULL ORDER BY id");
    check_ids("filter[rating][_neq]=null&limit=-1", "SELECT id FROM articles WHERE rating IS NOT NULL ORDER BY id");
    check_ids("filter[featured][_eq]=true&limit=-1", "SELECT id FROM articles WHERE featured = 1 ORDER BY id");
}

#[test]
fn list_operators_accept_csv_and_arrays() {
    check_ids("filter[id][_in]=3,5,8", "SELECT id FROM articles WHERE id IN (3,5,8) ORDER BY id");
    check_ids("filter[id][_in][]=3&filter[id][_in][]=5", "SELECT id FROM articles WHERE id IN (3,5) ORDER BY id");
    check_ids(
        "filter[status][_nin]=draft,archived&limit=-1",
        "SELECT id FROM articles WHERE status NOT IN ('draft','archived') ORDER BY id",
    );
    check_ids(
        "filter[views][_between]=100,200&limit=-1",
        "SELECT id FROM articles WHERE views BETWEEN 100 AND 200 ORDER BY id",
    );
    check_ids(
        "filter[views][_nbetween]=100,900&limit=-1",
        "SELECT id FROM articles WHERE views NOT BETWEEN 100 AND 900 ORDER BY id",
    );
    check_ids(r#"filter={"id":{"_in":[1,2,3]}}"#, "SELECT id FROM articles WHERE id IN (1,2,3) ORDER BY id");
    // A long list binds one parameter (edge runtimes allow 100).
    let long: Vec<String> = (1..=250).map(|i| i.to_string()).collect();
    check_ids(
        &format!("filter[id][_in]={}&limit=-1", long.join(",")),
        "SELECT id FROM articles WHERE id <= 250 ORDER BY id",
    );
}

#[test]
fn null_and_empty_operators() {
    check_ids("filter[body][_null]=true&limit=-1", "SELECT id FROM articles WHERE body IS NULL ORDER BY id");
    check_ids("filter[body][_nnull]=true&limit=-1", "SELECT id FROM articles WHERE body IS NOT NULL ORDER BY id");
    check_ids("filter[body][_null]=false&limit=-1", "SELECT id FROM articles WHERE body IS NOT NULL ORDER BY id");
    check_ids(
        "filter[body][_empty]=true&limit=-1",
        "SELECT id FROM articles WHERE body IS NULL OR body = '' ORDER BY id",
    );
    check_ids(
        "filter[body][_nempty]=true&limit=-1",
        "SELECT id FROM articles WHERE body IS NOT NULL AND body <> '' ORDER BY id",
    );
}

#[test]
fn string_operators() {
    let cases = [
        ("_contains", "instr(title, 'the') > 0", "the"),
        ("_ncontains", "NOT instr(title, 'the') > 0", "the"),
        ("_icontains", "instr(lower(title), 'the') > 0", "THE"),
        ("_nicontains", "NOT instr(lower(title), 'the') > 0", "THE"),
        ("_starts_with", "substr(title, 1, 1) = 'A'", "A"),
        ("_nstarts_with", "NOT substr(title, 1, 1) = 'A'", "A"),
        ("_istarts_with", "lower(substr(title, 1, 1)) = 'a'", "a"),
        ("_nistarts_with", "NOT lower(substr(title, 1, 1)) = 'a'", "a"),
        ("_ends_with", "substr(title, -1) = 's'", "s"),
        ("_nends_with", "NOT substr(title, -1) = 's'", "s"),
        ("_iends_with", "lower(substr(title, -1)) = 's'", "S"),
        ("_niends_with", "NOT lower(substr(title, -1)) = 's'", "S"),
    ];
    for (op, sql, v) in cases {
        check_ids(
            &format!("filter[title][{op}]={v}&limit=-1"),
            &format!("SELECT id FROM articles WHERE {sql} ORDER BY id"),
        );
    }
    let title =
        sql_column(&shared().db_path, "SELECT title FROM articles WHERE id = 5")[0].as_str().unwrap().to_uppercase();
    check_ids(
        &format!("filter[title][_ieq]={}", urlencode(&title)),
        &format!("SELECT id FROM articles WHERE lower(title) = lower('{}') ORDER BY id", title.replace('\'', "''")),
    );
    check_ids(
        &format!("filter[title][_nieq]={}&limit=-1", urlencode(&title)),
        &format!("SELECT id FROM articles WHERE lower(title) <> lower('{}') ORDER BY id", title.replace('\'', "''")),
    );
    // % and _ are plain characters, not wildcards.
    check_ids(
        "filter[title][_contains]=%25&limit=-1",
        "SELECT id FROM articles WHERE instr(title, '%') > 0 ORDER BY id",
    );
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn logical_operators_and_json_form() {
    check_ids(
        "filter[_or][0][status][_eq]=draft&filter[_or][1][views][_gt]=900&limit=-1",
        "SELECT id FROM articles WHERE status = 'draft' OR views > 900 ORDER BY id",
    );
    check_ids(
        r#"filter={"_and":[{"status":{"_eq":"published"}},{"_or":[{"views":{"_lt":100}},{"featured":{"_eq":true}}]}]}&limit=-1"#,
        "SELECT id FROM articles WHERE status = 'published' AND (views < 100 OR featured = 1) ORDER BY id",
    );
    check_ids("filter[status]=archived&limit=-1", "SELECT id FROM articles WHERE status = 'archived' ORDER BY id");
}

#[test]
fn relational_filters() {
    check_ids(
        "filter[author][country][code][_eq]=DE&limit=-1",
        "SELECT a.id FROM articles a JOIN authors u ON u.id = a.author WHERE u.country = 'DE' ORDER BY a.id",
    );
    check_ids(
        "filter[comments][_some][body][_icontains]=great&limit=-1",
        "SELECT id FROM articles a WHERE EXISTS (SELECT 1 FROM comments c WHERE c.article = a.id AND instr(lower(c.body), 'great') > 0) ORDER BY id",
    );
    check_ids(
        "filter[comments][_none][id][_nnull]=true&limit=-1",
        "SELECT id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.article = a.id) ORDER BY id",
    );
    check_ids(
        "filter[tags][tags_id][name][_eq]=rust&limit=-1",
        "SELECT id FROM articles a WHERE EXISTS (SELECT 1 FROM articles_tags j JOIN tags t ON t.id = j.tags_id WHERE j.articles_id = a.id AND t.name = 'rust') ORDER BY id",
    );
}

#[test]
fn functions_and_dynamic_variables() {
    check_ids(
        "filter[year(published_at)][_eq]=2021&limit=-1",
        "SELECT id FROM articles WHERE strftime('%Y', published_at) = '2021' ORDER BY id",
    );
    check_ids(
        "filter[month(published_at)][_lte]=3&limit=-1",
        "SELECT id FROM articles WHERE CAST(strftime('%m', published_at) AS INTEGER) <= 3 ORDER BY id",
    );
    check_ids(
        "filter[published_at][_lte]=$NOW&limit=-1",
        "SELECT id FROM articles WHERE published_at <= strftime('%Y-%m-%d %H:%M:%S', 'now') ORDER BY id",
    );
    check_ids(
        "filter[published_at][_gte]=$NOW(-3 years)&limit=-1",
        "SELECT id FROM articles WHERE published_at >= strftime('%Y-%m-%d %H:%M:%S', 'now', '-3 years') ORDER BY id",
    );
    check_ids(
        "filter[count(comments)][_gte]=2&limit=-1",
        "SELECT id FROM articles a WHERE (SELECT count(*) FROM comments c WHERE c.article = a.id) >= 2 ORDER BY id",
    );
}

#[test]
fn sort_limit_offset_page() {
    check_ids("sort=-views,title&limit=15", "SELECT id FROM articles ORDER BY views DESC, title, id LIMIT 15");
    check_ids(
        "sort[]=author.name&sort[]=-id&limit=30",
        &format!(
            "SELECT a.id FROM articles a LEFT JOIN authors u ON u.id = a.author ORDER BY u.name{}, a.id DESC LIMIT 30",
            common::asc_nulls()
        ),
    );
    check_ids("limit=10&offset=20", "SELECT id FROM articles ORDER BY id LIMIT 10 OFFSET 20");
    check_ids("limit=10&page=3", "SELECT id FROM articles ORDER BY id LIMIT 10 OFFSET 20");
}

#[test]
fn search_matches_text_and_numbers() {
    check_ids(
        "search=GREAT&limit=-1",
        "SELECT id FROM articles WHERE instr(lower(title), 'great') > 0 OR instr(lower(slug), 'great') > 0 OR instr(lower(status), 'great') > 0 OR instr(lower(body), 'great') > 0 OR instr(lower(keywords), 'great') > 0 ORDER BY id",
    );
    let got = ids(&shared().get("/items/articles?fields=id&search=42").data());
    assert!(got.contains(&42));
}

#[test]
fn meta_counts() {
    let s = shared();
    let r = s.get("/items/articles?filter[status][_eq]=draft&meta=filter_count&limit=1").json();
    assert_eq!(
        r["meta"],
        json!({"filter_count": sql_ids(&s.db_path, "SELECT count(*) FROM articles WHERE status='draft'")[0]})
    );
    let r = s.get("/items/articles?limit=1&meta=total_count").json();
    assert_eq!(r["meta"], json!({"total_count": sql_ids(&s.db_path, "SELECT count(*) FROM articles")[0]}));
    assert!(s.get("/items/articles?limit=1").json().get("meta").is_none());
}

#[test]
fn aggregates() {
    let s = shared();
    let d = s.get("/items/articles?aggregate[count]=*").data();
    assert_eq!(d, json!([{"count": sql_ids(&s.db_path, "SELECT count(*) FROM articles")[0]}]));
    let d = s.get("/items/articles?aggregate[sum]=views&aggregate[max]=views&aggregate[countDistinct]=status&aggregate[count]=rating").data();
    let row = &d[0];
    assert_eq!(row["sum"]["views"], sql_column(&s.db_path, "SELECT sum(views) FROM articles")[0]);
    assert_eq!(row["max"]["views"], sql_column(&s.db_path, "SELECT max(views) FROM articles")[0]);
    assert_eq!(
        row["countDistinct"]["status"],
        sql_column(&s.db_path, "SELECT count(DISTINCT status) FROM articles")[0]
    );
    assert_eq!(row["count"]["rating"], sql_column(&s.db_path, "SELECT count(rating) FROM articles")[0]);
    let avg = s.get("/items/articles?aggregate[avg]=views&filter[status][_eq]=draft").data();
    let want = sql_column(&s.db_path, "SELECT avg(views) FROM articles WHERE status='draft'")[0].as_f64().unwrap();
    assert!((avg[0]["avg"]["views"].as_f64().unwrap() - want).abs() < 1e-9);
    // groupBy through an m2o path (Directus answers 500 here).
    let by_country = s.get("/items/articles?aggregate[count]=*&groupBy[]=author.country").data();
    let want = sql_column(
        &s.db_path,
        &format!(
            "SELECT count(*) FROM articles a LEFT JOIN authors u ON u.id = a.author GROUP BY u.country ORDER BY u.country{}",
            common::asc_nulls()
        ),
    );
    let got: Vec<Value> = by_country.as_array().unwrap().iter().map(|r| r["count"].clone()).collect();
    assert_eq!(got, want);
}

#[test]
fn wildcards_deep_and_alias() {
    let s = shared();
    let d = s.get("/items/articles/3?fields=*.*").data();
    assert!(d["comments"].as_array().unwrap().iter().all(|c| c.is_object()));
    assert!(d["author"].is_object() || d["author"].is_null());
    let d = s.get("/items/articles?fields=id,comments.id&deep[comments][_sort]=-id&deep[comments][_limit]=1&filter[count(comments)][_gte]=2&limit=5").data();
    for row in d.as_array().unwrap() {
        let id = row["id"].as_i64().unwrap();
        let want =
            sql_ids(&s.db_path, &format!("SELECT id FROM comments WHERE article = {id} ORDER BY id DESC LIMIT 1"));
        assert_eq!(ids(&row["comments"]), want);
    }
    let d = s.get("/items/articles/3?fields=id,writer.name,published_year&alias[writer]=author&alias[published_year]=year(published_at)").data();
    assert!(d.get("writer").is_some() && d.get("author").is_none());
    assert_eq!(
        d["published_year"],
        sql_column(&s.db_path, "SELECT CAST(strftime('%Y', published_at) AS INTEGER) FROM articles WHERE id = 3")[0]
    );
    let d = s.get("/items/articles/3?fields=year(published_at),count(comments)").data();
    assert_eq!(d.as_object().unwrap().keys().collect::<Vec<_>>(), ["published_at_year", "comments_count"]);
    // deep filter on an o2m
    let d = s
        .get("/items/articles?fields=id,comments.body&deep[comments][_filter][body][_icontains]=great&limit=20")
        .data();
    for row in d.as_array().unwrap() {
        assert!(row["comments"].as_array().unwrap().iter().all(|c| c["body"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("great")));
    }
}

#[test]
fn search_verb_takes_query_in_body() {
    let s = shared();
    let r = s.request(
        "SEARCH",
        "/items/articles",
        Some(&json!({"query": {"filter": {"status": {"_eq": "draft"}}, "fields": ["id"], "limit": -1}})),
    );
    assert_eq!(ids(&r.data()), sql_ids(&s.db_path, "SELECT id FROM articles WHERE status = 'draft' ORDER BY id"));
}

#[test]
fn other_collections_string_and_uuid_keys_views_singletons() {
    let s = shared();
    let c = s.get("/items/countries/DE").data();
    assert_eq!(c["code"], "DE");
    let screen_id = sql_column(&s.db_path, "SELECT id FROM screens ORDER BY id LIMIT 1")[0].clone();
    let screen =
        s.get(&format!("/items/screens/{}?fields=id,pin,playlist.slides.title", screen_id.as_str().unwrap())).data();
    assert_eq!(screen["id"], screen_id);
    assert!(screen["pin"].is_null() || screen["pin"] == "**********", "hash fields are masked");
    let settings = s.get("/items/site_settings").data();
    assert!(settings.is_object(), "singletons read as one object");
    let view = s.get("/items/published_articles?limit=3").data();
    assert_eq!(view.as_array().unwrap().len(), 3);
    let no_pk = s.get("/items/audit_log");
    assert_eq!(no_pk.code(), "FORBIDDEN", "tables without a primary key are not served");
    let slides = s.get("/items/playlists/1?fields=slides.sort").data();
    let sorts: Vec<i64> = slides["slides"].as_array().unwrap().iter().map(|x| x["sort"].as_i64().unwrap()).collect();
    let mut sorted = sorts.clone();
    sorted.sort();
    assert_eq!(sorts, sorted, "o2m children follow the relation's sort field");
}

#[test]
fn filters_with_more_than_a_hundred_values() {
    // 130 bound values: the edge (D1: at most 100 per statement) carries them
    // in one JSON parameter; the answer must not change.
    let conditions: Vec<Value> = (1..=130).map(|i| json!({"id": {"_eq": i}})).collect();
    let filter = json!({"_or": conditions}).to_string();
    let encoded: String = filter
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    check_ids(
        &format!("filter={encoded}&limit=-1&meta=filter_count"),
        "SELECT id FROM articles WHERE id <= 130 ORDER BY id",
    );
}
