//! Inputs and outputs of the client calls that are not plain protocol DTOs.

use appframe_protocol::{AccountId, CreateAppData, JsonObject, Visibility};
use serde::{Deserialize, Serialize};

/// Filter and page of `list_app_data`.
///
/// `limit`/`cursor` are an appframe extension: they are sent only when the host advertises
/// appframe capabilities (an appframe server); against a Graasp server every row comes back in
/// one page and `next_cursor` is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListFilter {
    /// Only rows of this exact `type`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// At most this many rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Continue after this cursor (from a previous [`Page::next_cursor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl ListFilter {
    /// All rows of one type.
    pub fn of_type(ty: impl Into<String>) -> Self {
        ListFilter {
            ty: Some(ty.into()),
            ..Default::default()
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The rows, oldest first.
    pub items: Vec<T>,
    /// Pass this as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A new app-data row (`POST .../app-data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAppData {
    /// Application-defined type, 3–25 characters.
    #[serde(rename = "type")]
    pub ty: String,
    /// The data.
    pub data: JsonObject,
    /// Visibility (server default: `member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Address the row to another account (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
}

impl NewAppData {
    /// A row of `ty` with `data`, default visibility, addressed to the caller.
    pub fn new(ty: impl Into<String>, data: JsonObject) -> Self {
        NewAppData {
            ty: ty.into(),
            data,
            visibility: None,
            account_id: None,
        }
    }

    /// The same row with a visibility.
    pub fn with_visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// The same row addressed to another account.
    pub fn for_account(mut self, account_id: AccountId) -> Self {
        self.account_id = Some(account_id);
        self
    }

    /// The wire body (only the fields a Graasp server knows).
    pub(crate) fn to_wire(&self) -> CreateAppData {
        CreateAppData {
            data: self.data.clone(),
            ty: self.ty.clone(),
            visibility: self.visibility,
            account_id: self.account_id,
            member_id: None,
        }
    }
}
