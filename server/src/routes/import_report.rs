//! The import's report: what happened to each row, with the stable [`Refusal`] codes programs
//! read (the JSON the import route answers).

use serde::Serialize;
use uuid::Uuid;

/// Why a row was refused (stable codes, for programs reading the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Refusal {
    /// Not JSON, or a field is missing or of the wrong type.
    InvalidRow,
    /// A field's value breaks a rule of the app routes (type length, setting name).
    InvalidField,
    /// Longer than `max_body_bytes`, which no row written through the API can be.
    RowTooLarge,
    /// The row names another item.
    OtherItem,
    /// Its account or creator is not an account of this server.
    UnknownAccount,
    /// A row with this id exists with other content or in another item.
    IdConflict,
    /// A file row: the export holds no file bytes, so it would point to nothing.
    FileRow,
    /// Storing it would pass a quota (the reason names it and its `AFERR` code).
    QuotaExceeded,
}

/// A refused row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefusedRow {
    /// `app-data`, `app-settings` or `app-actions`.
    pub what: String,
    /// Its line in JSON lines, or its position in the Graasp file's array (from 1).
    pub index: u64,
    /// Its id, when it could be read.
    pub id: Option<Uuid>,
    /// Why, as a stable code.
    pub code: Refusal,
    /// Why, in words.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Rows stored.
    pub imported: u64,
    /// Rows that were already there, the same.
    pub unchanged: u64,
    /// Rows refused, in the order they came.
    pub refused: Vec<RefusedRow>,
}

/// A row refused: its code and reason (the caller adds where it was).
pub(super) struct Refused(
    pub(super) Refusal,
    pub(super) String,
    pub(super) Option<Uuid>,
);

/// A row's outcome: stored (`true`), already there (`false`), or refused.
pub(super) type RowResult = std::result::Result<bool, Refused>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refusal_codes_are_stable_screaming_snake_case() {
        assert_eq!(
            serde_json::to_value(Refusal::UnknownAccount).unwrap(),
            "UNKNOWN_ACCOUNT"
        );
        assert_eq!(
            serde_json::to_value(Refusal::QuotaExceeded).unwrap(),
            "QUOTA_EXCEEDED"
        );
    }
}
