//! Values between the core and the MySQL protocol.

use crate::db::{Rows, Value};
use mysql_common::constants::ColumnType;
use mysql_common::packets::Column;
use mysql_common::value::Value as My;

/// The binary collation's number: text in it is bytes, not characters.
const BINARY_CHARSET: u16 = 63;

/// A core value as a bound parameter.
pub fn to_mysql(v: &Value) -> My {
    match v {
        Value::Null => My::NULL,
        Value::Integer(i) => My::Int(*i),
        Value::Real(f) => My::Double(*f),
        Value::Text(s) => My::Bytes(s.as_bytes().to_vec()),
        Value::Blob(b) => My::Bytes(b.clone()),
    }
}

/// A cell of column `col` as a core value: text as text (DECIMAL too, as
/// Directus returns it), binary columns as blobs, dates in ISO form.
pub fn from_mysql(v: My, col: &Column) -> Value {
    match v {
        My::NULL => Value::Null,
        My::Int(i) => Value::Integer(i),
        My::UInt(u) => i64::try_from(u).map(Value::Integer).unwrap_or_else(|_| Value::Text(u.to_string())),
        My::Float(f) => Value::Real(f as f64),
        My::Double(f) => Value::Real(f),
        My::Bytes(b) if col.character_set() == BINARY_CHARSET && is_blob(col.column_type()) => Value::Blob(b),
        My::Bytes(b) => match String::from_utf8(b) {
            Ok(s) => Value::Text(s),
            Err(e) => Value::Blob(e.into_bytes()),
        },
        My::Date(y, m, d, h, mi, s, us) => Value::Text(match col.column_type() {
            ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE => format!("{y:04}-{m:02}-{d:02}"),
            _ if us > 0 => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}", us / 1000),
            _ => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        }),
        My::Time(negative, days, h, mi, s, _) => {
            let hours = days * 24 + h as u32;
            Value::Text(format!("{}{hours:02}:{mi:02}:{s:02}", if negative { "-" } else { "" }))
        }
    }
}

/// A result set as the core's rows: each cell by [`from_mysql`], and the
/// compiler's JSON document (`DATA_COLUMN`) without the spaces MariaDB
/// writes into it. Every MySQL driver (native, edge) reads rows here.
pub fn rows(columns: &[Column], found: impl IntoIterator<Item = Vec<My>>) -> Rows {
    let names: Vec<String> = columns.iter().map(|c| c.name_str().into_owned()).collect();
    let document = names.iter().position(|n| n == crate::sql::DATA_COLUMN);
    let rows = found
        .into_iter()
        .map(|row| {
            let mut cells: Vec<Value> = row.into_iter().zip(columns.iter()).map(|(v, c)| from_mysql(v, c)).collect();
            if let Some(Value::Text(json)) = document.and_then(|i| cells.get_mut(i)) {
                *json = crate::db::compact_json(json);
            }
            cells
        })
        .collect();
    Rows { columns: names, rows }
}

fn is_blob(t: ColumnType) -> bool {
    matches!(
        t,
        ColumnType::MYSQL_TYPE_BLOB
            | ColumnType::MYSQL_TYPE_TINY_BLOB
            | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
            | ColumnType::MYSQL_TYPE_LONG_BLOB
            | ColumnType::MYSQL_TYPE_VAR_STRING
            | ColumnType::MYSQL_TYPE_STRING
            | ColumnType::MYSQL_TYPE_VARCHAR
    )
}
