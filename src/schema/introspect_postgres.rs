//! Postgres introspection: the tables and views of the connection's current
//! schema (the first of its `search_path`), in the rows SQLite's pragmas give.

use super::introspect::Queries;

pub(super) const POSTGRES: Queries =
    Queries { columns: COLUMNS, foreign_keys: FOREIGN_KEYS, unique: UNIQUE, fingerprint: FINGERPRINT };

/// A column the database fills in itself: identity or serial (`nextval`).
macro_rules! generated_key {
    () => {
        "(a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%')"
    };
}

/// One row per column; defaults without their `::type` casts, none for
/// keys the database assigns.
const COLUMNS: &str = concat!(
    r#"SELECT c.relname AS tbl,
 CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
 CAST(a.attnum AS integer) AS cid, a.attname AS col,
 format_type(a.atttypid, a.atttypmod) AS decl,
 CASE WHEN a.attnotnull THEN 1 ELSE 0 END AS not_null,
 CASE WHEN "#,
    generated_key!(),
    r#" THEN NULL
      ELSE regexp_replace(pg_get_expr(d.adbin, d.adrelid), '::[a-z0-9_ ."]+(\[\])?$', '', 'i') END AS dflt,
 coalesce(array_position(pk.conkey, a.attnum), 0) AS pk,
 CASE WHEN a.attgenerated <> '' THEN 3 ELSE 0 END AS hidden,
 '' AS ddl,
 CASE WHEN "#,
    generated_key!(),
    r#" THEN 1 ELSE 0 END AS auto
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
ORDER BY c.relname, a.attnum"#
);

/// One row per column pair of each foreign key.
const FOREIGN_KEYS: &str = r#"SELECT cl.relname AS tbl, CAST(con.oid AS bigint) AS id, CAST(k.ord - 1 AS integer) AS seq,
 fcl.relname AS ref_table, a.attname AS col, fa.attname AS ref_col,
 CASE con.confupdtype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_update,
 CASE con.confdeltype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_class fcl ON fcl.oid = con.confrelid
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fattnum
WHERE con.contype = 'f' AND n.nspname = current_schema()
ORDER BY cl.relname, con.oid, k.ord"#;

/// Columns of unique indexes (the primary key's included, as SQLite's
/// pragma lists it); partial and expression indexes make nothing unique.
const UNIQUE: &str = r#"SELECT t.relname AS tbl, i.relname AS idx, a.attname AS col
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(CAST(x.indkey AS int2[])) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE x.indisunique AND x.indpred IS NULL AND x.indexprs IS NULL AND n.nspname = current_schema()
ORDER BY t.relname, i.relname, k.ord"#;

/// Columns, constraints and indexes of the schema, as one text.
const FINGERPRINT: &str = r#"SELECT
 coalesce((SELECT string_agg(c.relname || ':' || CAST(c.relkind AS text) || ':' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
     || ':' || CAST(a.attnotnull AS text) || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ';' ORDER BY c.relname, a.attnum)
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')), '')
 || '|' || coalesce((SELECT string_agg(cl.relname || ':' || con.conname || ':' || pg_get_constraintdef(con.oid), ';' ORDER BY cl.relname, con.conname)
   FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
   WHERE n.nspname = current_schema()), '')
 || '|' || coalesce((SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE schemaname = current_schema()), '')"#;
