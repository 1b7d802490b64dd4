// Introspection as a real GraphQL client sees it: graphql-js (the reference
// implementation) builds each caller's schema from rectus's introspection
// answer and validates the README's queries against it.
// Usage: NODE_PATH=<dir holding graphql> node tests/graphql_client/check.cjs BASE_URL ADMIN_TOKEN
const { buildClientSchema, getIntrospectionQuery, parse, printSchema, validate } = require('graphql');

const [base, adminToken] = process.argv.slice(2);
const FEED = `
query Feed($status: String) {
  articles(filter: {status: {_eq: $status}}, sort: ["-published_at"], limit: 20) { id title author { name } tags { tags_id { name } } }
  articles_aggregated(groupBy: ["status"]) { group count { id } }
  one: articles_by_id(id: 1) { ...Card }
}
fragment Card on articles { id title }`;
const CREATE = `mutation { create_articles_item(data: {title: "x", author: {name: "y"}}) { id } }`;

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

async function post(query, token, variables = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return r.json();
}

async function main() {
const introspection = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
for (const [who, token] of [['admin', adminToken], ['anonymous', null]]) {
  const answer = await post(introspection, token);
  check(!answer.errors, `${who}: introspection answers without errors ${answer.errors ? JSON.stringify(answer.errors).slice(0, 300) : ''}`);
  let schema;
  try {
    schema = buildClientSchema(answer.data);
    check(printSchema(schema).includes('type articles'), `${who}: buildClientSchema accepts it and prints SDL`);
  } catch (e) {
    check(false, `${who}: buildClientSchema: ${e.message}`);
    continue;
  }
  const feed = validate(schema, parse(FEED));
  check(feed.length === 0, `${who}: the Feed query validates ${feed.map(e => e.message).join('; ')}`);
  if (who === 'admin') {
    const create = validate(schema, parse(CREATE));
    check(create.length === 0, `${who}: the create mutation validates ${create.map(e => e.message).join('; ')}`);
  } else {
    check(!schema.getMutationType(), `${who}: the schema has no mutations`);
    const refused = await post(CREATE, token);
    check(refused.errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION', `${who}: rectus refuses the create mutation`);
  }
  const bad = validate(schema, parse('{ articles { no_such_field } }'));
  check(bad.length === 1, `${who}: an unknown field is refused by graphql-js too`);
  const run = await post(FEED, token, { status: 'published' });
  // Article 1 may be a draft, which anonymous visitors may not read.
  const errors = (run.errors || []).filter(e => !(e.path?.[0] === 'one' && e.extensions?.code === 'FORBIDDEN'));
  check(errors.length === 0 && Array.isArray(run.data?.articles) && run.data.articles.length > 0, `${who}: the Feed query runs ${errors.length ? JSON.stringify(errors).slice(0, 300) : ''}`);
}
if (failures) {
  console.error(`${failures} GraphQL client check(s) failed`);
  process.exit(1);
}
}
main().catch(e => { console.error(e); process.exit(1); });
