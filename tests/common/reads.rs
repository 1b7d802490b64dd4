//! What the differential read tests (SQLite against a server database)
//! share: the requests and how answers compare.

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

