//! Decoding errors and the Graasp error body.

use serde::{Deserialize, Serialize};

/// A message or value that does not follow the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Not valid JSON, or not an object with a string `type`.
    #[error("bad JSON: {0}")]
    BadJson(String),
    /// The `type` is not one of the protocol's, or has no valid `_<itemId>` suffix.
    #[error("unrecognized message type {0:?}")]
    UnknownType(String),
    /// The payload does not have the shape its type requires.
    #[error("bad payload for {kind}: {reason}")]
    BadPayload {
        /// The message kind.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A request body breaks a validation rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The error body of every Graasp API error: `{name, code, message, statusCode, data?, origin?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Error name, e.g. `APP_DATA_NOT_FOUND`.
    pub name: String,
    /// Stable code, e.g. `GAERR004`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// HTTP status.
    pub status_code: u16,
    /// Extra data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<serde_json::Value>,
    /// Where it came from, e.g. `graasp-plugin-apps/app-data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}
