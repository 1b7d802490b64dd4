//! What the differential read tests (SQLite against a server database)
//! share: the requests and how answers compare.

use super::Server;
use serde_json::Value;

pub const ADMIN_READS: &[&str] = &[
    "/items/articles",
    "/items/articles/7",
    "/items/articles?fields=*,author.*,category.name,tags.tags_id.name,comments.*&limit=5",
    "/items/authors?fields=id,name,articles.id,articles.title&sort=name&limit=10",
    "/items/articles?filter[status][_eq]=published&sort=-views,id&limit=15&fields=id,views",
    "/items/articles?filter[views][_gt]=50&filter[views][_lte]=90&sort=id&fields=id,views",
    "/items/articles?filter[id][_in]=3,5,8,13&fields=id,title",
    "/items/articles?filter[id][_nin]=1,2,3&limit=5&fields=id",
    "/items/articles?filter[views][_between]=10,20&fields=id,views",
    "/items/articles?filter[category][_null]=true&fields=id",
    "/items/articles?filter[category][_nnull]=true&limit=5&fields=id,category",
    "/items/articles?filter[title][_contains]=caching&fields=id,title",
    "/items/articles?filter[title][_icontains]=DATA&limit=10&fields=id",
    "/items/articles?filter[title][_ncontains]=a&fields=id",
    "/items/articles?filter[title][_starts_with]=scale&fields=id",
    "/items/articles?filter[title][_istarts_with]=SCALE&fields=id",
    "/items/articles?filter[slug][_ends_with]=-7&fields=id,slug",
    "/items/articles?filter[slug][_iends_with]=-7&fields=id",
    "/items/articles?filter[body][_empty]=true&fields=id",
    "/items/articles?filter[internal_notes][_nempty]=true&limit=3&fields=id",
    "/items/articles?filter[featured][_eq]=true&limit=10&fields=id,featured",
    "/items/articles?filter[uuid][_eq]=0470185c-7a62-4dbf-a657-7ab6edcbd102&fields=id,uuid",
    "/items/articles?filter[_or][0][views][_lt]=5&filter[_or][1][views][_gt]=95&fields=id,views",
    "/items/articles?filter[author][name][_starts_with]=J&fields=id,author.name&limit=10",
    "/items/authors?filter[articles][_some][views][_gt]=98&fields=id",
    "/items/authors?filter[articles][_none][status][_eq]=draft&fields=id",
    "/items/articles?filter[published_at][_gte]=2025-01-01&filter[published_at][_lt]=2025-03-01&fields=id,published_at",
    "/items/articles?filter[published_at][_lt]=$NOW&limit=3&fields=id",
    "/items/articles?filter[year(published_at)][_eq]=2025&filter[month(published_at)][_lte]=2&fields=id",
    "/items/articles?fields=id,year(published_at),month(published_at),day(published_at),weekday(published_at),hour(published_at),minute(published_at),week(published_at)&limit=20",
    "/items/articles?fields=id,count(tags),count(comments)&limit=10",
    "/items/articles?search=caching&fields=id&limit=20",
    "/items/articles?search=42&fields=id",
    "/items/articles?sort=title,-id&limit=10&offset=20&fields=id,title",
    "/items/articles?limit=5&page=3&fields=id",
    "/items/articles?limit=-1&fields=id",
    "/items/articles?meta=*&limit=1&filter[status][_eq]=draft&fields=id",
    "/items/articles?aggregate[count]=*&groupBy[]=status",
    // NULLs sort last on Postgres (first on SQLite and MariaDB) and min/max
    // of a date keep each database's text of it: docs/compatibility.md.
    "/items/articles?aggregate[sum]=views&aggregate[avg]=rating&aggregate[min]=views&aggregate[max]=views&groupBy[]=author&filter[author][_nnull]=true&sort=author&limit=5",
    "/items/articles?aggregate[countDistinct]=author",
    "/items/articles?aggregate[count]=id&groupBy[]=year(published_at)&filter[published_at][_nnull]=true&sort=year(published_at)",
    "/items/articles?deep[comments][_limit]=1&deep[comments][_sort]=-id&fields=id,comments.id&limit=5",
    "/items/articles?alias[writer]=author&fields=id,writer.name&limit=3",
    "/items/playlists?fields=*,slides.*&limit=2",
    "/items/screens",
    "/items/site_settings",
    "/items/countries?sort=-code",
    "/items/published_articles?limit=5",
    "/items/articles?filter[nope][_eq]=1",
    "/items/articles?filter[views][_eq]=abc",
];

/// Equal, where a number on SQLite may be the same number as a string on
/// a server (bigint, decimal) and computed numbers (averages) may differ in
/// their last digits.
pub fn same(sqlite: &Value, server: &Value) -> bool {
    match (sqlite, server) {
        (Value::Number(a), Value::String(b)) => b.parse::<f64>().is_ok_and(|b| close(a.as_f64(), b)),
        (Value::Number(a), Value::Number(b)) => close(a.as_f64(), b.as_f64().unwrap_or(f64::NAN)),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.keys().eq(b.keys()) && a.iter().zip(b.values()).all(|((_, x), y)| same(x, y))
        }
        (a, b) => a == b,
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()))
}

/// Anonymous reads: the public policy's rules and field masks.
pub const PUBLIC_READS: &[&str] = &[
    "/items/articles?fields=id,status&limit=50",
    "/items/articles?filter[status][_eq]=draft",
    "/items/comments?fields=id,article&limit=30",
    "/items/authors?limit=5",
    "/items/authors?fields=email",
    "/items/articles?aggregate[count]=*",
];

pub const GRAPHQL_READS: &[&str] = &[
    "{ articles(limit: 5, sort: [\"-id\"]) { id title views author { id name } tags { tags_id { name } } } }",
    "{ articles_by_id(id: 3) { id title published_at updated_at featured metadata } }",
    "{ articles_aggregated(groupBy: [\"status\"]) { group count { id } } }",
    "{ authors(filter: { name: { _starts_with: \"A\" } }) { id name articles(limit: 2) { id } } }",
];

/// A fresh SQLite demo database (the tests' size), and its path.
pub fn demo_db(tag: &str) -> String {
    let path = super::fresh_path(tag);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        rectus::native::demo::create(
            &path,
            rectus::native::cli::DataSet::Cms,
            super::ARTICLES,
            &super::admin_args(),
            super::cheap_hash(),
        )
        .await
        .expect("demo database");
    });
    path
}

/// Asks the SQLite server and the `server` one (named `name`) the same
/// GET as `who` (None: anonymously); the status and body must agree.
pub fn compare(pair: &(Server, Server), name: &str, path: &str, who: Option<&str>) {
    let ask = |s: &Server| match who {
        Some(token) => s.as_token(token).get(path),
        None => s.anonymous().get(path),
    };
    let (a, b) = (ask(&pair.0), ask(&pair.1));
    assert_eq!(a.status, b.status, "{path}: SQLite {} / {name} {}: {}", a.status, b.status, b.text);
    assert!(same(&a.json(), &b.json()), "{path}:\n  SQLite {}\n  {name} {}", a.text, b.text);
}

/// `compare` for a GraphQL query, as the admin.
pub fn compare_graphql(pair: &(Server, Server), name: &str, query: &str) {
    let body = serde_json::json!({ "query": query });
    let (a, b) = (pair.0.post("/graphql", body.clone()), pair.1.post("/graphql", body));
    assert_eq!(a.status, b.status, "{query}: {}", b.text);
    assert!(same(&a.json(), &b.json()), "{query}:\n  SQLite {}\n  {name} {}", a.text, b.text);
}
