//! The storage shim's wire format (an appframe extension, not Graasp's): a key-value store per
//! member and item under `/app-items/{itemId}/appframe/storage`, for apps that would use
//! `localStorage`, which throws in sandboxed frames. Values are strings, as in
//! `localStorage`; an app stores JSON by writing its text.
//!
//! It is kept apart from app data, so it never shows up in app-data lists, live updates or
//! exports that Graasp-style apps read.

use crate::error::ProtocolError;
use serde::{Deserialize, Serialize};

/// Longest key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 256;

/// Body of `PUT /app-items/{itemId}/appframe/storage/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StorageValue {
    /// The value to store under the key (any string, the empty one included).
    pub value: String,
}

/// One stored entry, as `GET` and `PUT` of a key answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageEntry {
    /// The key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// When it was last written.
    #[serde(with = "crate::timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: time::OffsetDateTime,
}

/// Answer of `GET /app-items/{itemId}/appframe/storage`: the member's keys, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageKeys {
    /// The keys, in byte order.
    pub keys: Vec<String>,
}

/// Checks a key: 1 to [`MAX_KEY_BYTES`] bytes, no control character (so it prints and logs
/// as it is).
pub fn validate_key(key: &str) -> Result<(), ProtocolError> {
    let reason = if key.is_empty() {
        "must not be empty"
    } else if key.len() > MAX_KEY_BYTES {
        "must be at most 256 bytes"
    } else if key.chars().any(char::is_control) {
        "must not hold control characters"
    } else {
        return Ok(());
    };
    Err(ProtocolError::Invalid {
        field: "key",
        reason: reason.into(),
    })
}

/// What an entry counts against the byte quotas: its key and its value.
pub fn entry_bytes(key: &str, value: &str) -> i64 {
    i64::try_from(key.len().saturating_add(value.len())).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_256_bytes_without_control_characters() {
        assert!(validate_key("a").is_ok());
        assert!(validate_key("draft/é:1").is_ok());
        assert!(validate_key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key(&"k".repeat(MAX_KEY_BYTES + 1)).is_err());
        // 129 two-byte characters: 258 bytes, over the limit though under 256 characters.
        assert!(validate_key(&"é".repeat(129)).is_err());
        assert!(validate_key("a\nb").is_err());
        assert!(validate_key("a\u{0}").is_err());
    }

    #[test]
    fn a_value_body_refuses_unknown_fields_and_non_strings() {
        let ok: StorageValue = serde_json::from_str(r#"{"value":""}"#).unwrap();
        assert_eq!(ok.value, "");
        assert!(serde_json::from_str::<StorageValue>(r#"{"value":1}"#).is_err());
        assert!(serde_json::from_str::<StorageValue>(r#"{"value":"a","x":1}"#).is_err());
        assert!(serde_json::from_str::<StorageValue>(r#"{}"#).is_err());
    }

    #[test]
    fn an_entry_is_written_in_camel_case_with_an_rfc3339_time() {
        let e = StorageEntry {
            key: "k".into(),
            value: "v".into(),
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"key":"k","value":"v","updatedAt":"1970-01-01T00:00:00Z"}"#
        );
    }
}
