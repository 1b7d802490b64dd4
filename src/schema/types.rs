//! Directus field types and how a declared SQL column type maps to them.

use serde::{Deserialize, Serialize};

/// The Directus field types rectus understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldType {
    Integer,
    BigInteger,
    Float,
    Decimal,
    String,
    Text,
    Boolean,
    Date,
    DateTime,
    Time,
    Timestamp,
    Json,
    Uuid,
    Csv,
    Hash,
    Binary,
    Alias,
    Unknown,
}

impl FieldType {
    /// The Directus name (`bigInteger`, `dateTime`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Integer => "integer",
            FieldType::BigInteger => "bigInteger",
            FieldType::Float => "float",
            FieldType::Decimal => "decimal",
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "dateTime",
            FieldType::Time => "time",
            FieldType::Timestamp => "timestamp",
            FieldType::Json => "json",
            FieldType::Uuid => "uuid",
            FieldType::Csv => "csv",
            FieldType::Hash => "hash",
            FieldType::Binary => "binary",
            FieldType::Alias => "alias",
            FieldType::Unknown => "unknown",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::BigInteger | FieldType::Float | FieldType::Decimal)
    }

    pub fn is_integer(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::BigInteger)
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, FieldType::Date | FieldType::DateTime | FieldType::Time | FieldType::Timestamp)
    }

    /// Types `search` looks into with a case-insensitive substring match.
    pub fn is_textual(self) -> bool {
        matches!(self, FieldType::String | FieldType::Text | FieldType::Csv)
    }

    /// Maps a declared column type (SQLite's `VARCHAR(255)`, Postgres's
    /// `character varying(255)`) to a Directus type and the length in
    /// parentheses, if any.
    pub fn from_decl(decl: &str) -> (FieldType, Option<u32>) {
        let lower = decl.trim().to_ascii_lowercase();
        let (base, args) = match lower.find('(') {
            Some(i) => (lower[..i].trim(), lower[i + 1..].split(')').next().unwrap_or_default().trim()),
            None => (lower.as_str(), ""),
        };
        let length = args.split(',').next().and_then(|a| a.trim().parse::<u32>().ok());
        let ty = match base {
            "" => FieldType::Unknown,
            "bigint" | "int8" | "unsigned big int" => FieldType::BigInteger,
            // MySQL's booleans.
            "tinyint" if args == "1" => FieldType::Boolean,
            "enum" | "set" => FieldType::String,
            "boolean" | "bool" => FieldType::Boolean,
            "real" | "double" | "double precision" | "float" => FieldType::Float,
            "decimal" | "numeric" => FieldType::Decimal,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "time" => FieldType::Time,
            "timestamp" | "timestamp with time zone" | "timestamptz" => FieldType::Timestamp,
            "timestamp without time zone" => FieldType::DateTime,
            "time without time zone" | "time with time zone" => FieldType::Time,
            "bytea" => FieldType::Binary,
            "json" | "jsonb" => FieldType::Json,
            "uuid" => FieldType::Uuid,
            "char" | "character" if length == Some(36) => FieldType::Uuid,
            "blob" | "binary" | "varbinary" => FieldType::Binary,
            "text" | "clob" | "tinytext" | "mediumtext" | "longtext" => FieldType::Text,
            b if b.contains("int") => FieldType::Integer,
            b if b.contains("char") || b.contains("string") => FieldType::String,
            b if b.contains("text") || b.contains("clob") => FieldType::Text,
            b if b.contains("real") || b.contains("floa") || b.contains("doub") => FieldType::Float,
            _ => FieldType::Unknown,
        };
        let length = if matches!(ty, FieldType::String | FieldType::Uuid) { length } else { None };
        (ty, length)
    }

    /// A Directus `special` flag that overrides the column's own type.
    pub fn from_special(special: &str) -> Option<FieldType> {
        Some(match special {
            "cast-csv" => FieldType::Csv,
            "hash" => FieldType::Hash,
            "uuid" => FieldType::Uuid,
            "cast-json" => FieldType::Json,
            "cast-boolean" => FieldType::Boolean,
            "o2m" | "m2m" | "m2a" | "alias" | "no-data" | "group" | "translations" | "files" => FieldType::Alias,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_declared_types() {
        assert_eq!(FieldType::from_decl("VARCHAR(255)"), (FieldType::String, Some(255)));
        assert_eq!(FieldType::from_decl("INTEGER"), (FieldType::Integer, None));
        assert_eq!(FieldType::from_decl("BIGINT"), (FieldType::BigInteger, None));
        assert_eq!(FieldType::from_decl("DECIMAL(10,2)"), (FieldType::Decimal, None));
        assert_eq!(FieldType::from_decl("CHAR(36)"), (FieldType::Uuid, Some(36)));
        assert_eq!(FieldType::from_decl("datetime"), (FieldType::DateTime, None));
        assert_eq!(FieldType::from_decl("tinyint(1)"), (FieldType::Boolean, None));
        assert_eq!(FieldType::from_decl("int(10) unsigned"), (FieldType::Integer, None));
        assert_eq!(FieldType::from_decl("varchar(64) COLLATE utf8mb4_bin"), (FieldType::String, Some(64)));
        assert_eq!(FieldType::from_decl(""), (FieldType::Unknown, None));
        assert_eq!(FieldType::from_decl("TEXT"), (FieldType::Text, None));
        assert_eq!(FieldType::from_decl("character varying(64)"), (FieldType::String, Some(64)));
        assert_eq!(FieldType::from_decl("timestamp with time zone"), (FieldType::Timestamp, None));
        assert_eq!(FieldType::from_decl("timestamp without time zone"), (FieldType::DateTime, None));
        assert_eq!(FieldType::from_decl("double precision"), (FieldType::Float, None));
    }
}
