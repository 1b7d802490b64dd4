//! MariaDB introspection: the tables and views of the connection's
//! database, from information_schema, in the rows SQLite's pragmas give.

use super::introspect::Queries;

pub(super) const MARIADB: Queries =
    Queries { columns: COLUMNS, foreign_keys: FOREIGN_KEYS, unique: UNIQUE, fingerprint: FINGERPRINT };

/// One row per column. MariaDB's `json` is longtext with a json_valid
/// check: such columns are declared `json` here (the check's text quotes
/// the column as the session's SQL mode does). Text columns carry their
/// collation (`varchar(255) COLLATE utf8mb4_unicode_ci`): values compared
/// with them must have the same one. Defaults come quoted
/// (`'text'`) or as words (`NULL`, `current_timestamp()`), as SQLite's.
const COLUMNS: &str = r#"SELECT c.TABLE_NAME AS tbl,
 CASE WHEN t.TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END AS kind,
 CAST(c.ORDINAL_POSITION AS SIGNED) AS cid, c.COLUMN_NAME AS col,
 CASE WHEN k.CONSTRAINT_NAME IS NOT NULL THEN 'json'
   ELSE CONCAT(c.COLUMN_TYPE, COALESCE(CONCAT(' COLLATE ', c.COLLATION_NAME), '')) END AS decl,
 CASE WHEN c.IS_NULLABLE = 'NO' THEN 1 ELSE 0 END AS not_null,
 CASE WHEN c.EXTRA LIKE '%auto_increment%' THEN NULL ELSE c.COLUMN_DEFAULT END AS dflt,
 CAST(COALESCE(p.ORDINAL_POSITION, 0) AS SIGNED) AS pk,
 CASE WHEN c.IS_GENERATED = 'ALWAYS' THEN 3 ELSE 0 END AS hidden,
 '' AS ddl,
 CASE WHEN c.EXTRA LIKE '%auto_increment%' THEN 1 ELSE 0 END AS auto
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
LEFT JOIN information_schema.KEY_COLUMN_USAGE p ON p.TABLE_SCHEMA = c.TABLE_SCHEMA AND p.TABLE_NAME = c.TABLE_NAME
  AND p.COLUMN_NAME = c.COLUMN_NAME AND p.CONSTRAINT_NAME = 'PRIMARY'
LEFT JOIN information_schema.CHECK_CONSTRAINTS k ON k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
  AND k.CHECK_CLAUSE IN (CONCAT('json_valid("', c.COLUMN_NAME, '")'), CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))
WHERE c.TABLE_SCHEMA = DATABASE()
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"#;

/// One row per column pair of each foreign key; a key's number is a hash
/// of its name (unique within its table).
const FOREIGN_KEYS: &str = r#"SELECT u.TABLE_NAME AS tbl, CAST(CRC32(u.CONSTRAINT_NAME) AS SIGNED) AS id,
 CAST(u.ORDINAL_POSITION - 1 AS SIGNED) AS seq, u.REFERENCED_TABLE_NAME AS ref_table,
 u.COLUMN_NAME AS col, u.REFERENCED_COLUMN_NAME AS ref_col, r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete
FROM information_schema.KEY_COLUMN_USAGE u
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = u.TABLE_SCHEMA AND r.TABLE_NAME = u.TABLE_NAME AND r.CONSTRAINT_NAME = u.CONSTRAINT_NAME
WHERE u.TABLE_SCHEMA = DATABASE() AND u.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY u.TABLE_NAME, u.CONSTRAINT_NAME, u.ORDINAL_POSITION"#;

/// Columns of unique indexes (the primary key's included, as SQLite's
/// pragma lists it).
const UNIQUE: &str = r#"SELECT s.TABLE_NAME AS tbl, s.INDEX_NAME AS idx, s.COLUMN_NAME AS col
FROM information_schema.STATISTICS s
WHERE s.TABLE_SCHEMA = DATABASE() AND s.NON_UNIQUE = 0 AND s.COLUMN_NAME IS NOT NULL
ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX"#;

/// Columns, constraints and indexes of the database, as one text.
const FINGERPRINT: &str = r#"SELECT CONCAT(
 COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(':', c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, COALESCE(c.COLUMN_DEFAULT, ''), c.EXTRA)
     ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION SEPARATOR ';') FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE()), ''),
 '|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(':', t.TABLE_NAME, t.TABLE_TYPE) ORDER BY t.TABLE_NAME SEPARATOR ';')
     FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE()), ''),
 '|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(':', k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, COALESCE(k.REFERENCED_TABLE_NAME, ''), COALESCE(k.REFERENCED_COLUMN_NAME, ''))
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION SEPARATOR ';') FROM information_schema.KEY_COLUMN_USAGE k WHERE k.TABLE_SCHEMA = DATABASE()), ''),
 '|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(':', s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.COLUMN_NAME)
     ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX SEPARATOR ';') FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = DATABASE()), ''),
 '|', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(':', k.TABLE_NAME, k.CONSTRAINT_NAME, k.CHECK_CLAUSE) ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME SEPARATOR ';')
     FROM information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = DATABASE()), ''))"#;
