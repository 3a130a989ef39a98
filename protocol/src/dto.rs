//! REST bodies of the `/api/app-items` routes, in Graasp's camelCase shapes.

use crate::{
    error::ProtocolError,
    ids::{AccountId, ItemId, RowId},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// A JSON object (`data` of app data, actions and settings).
pub type JsonObject = Map<String, Value>;

/// `{id, name}` of an account, as embedded in entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// Account id.
    pub id: AccountId,
    /// Display name.
    pub name: String,
}

/// Who may see an app-data row besides its creator, addressed account and admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Only the addressed account, the creator and admins.
    #[default]
    Member,
    /// Everyone who can read the item.
    Item,
}

impl Visibility {
    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Visibility::Member => "member",
            Visibility::Item => "item",
        }
    }
}

/// `{id}` of the item a row belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemRef {
    /// Item id.
    pub id: ItemId,
}

/// An app-data row as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppData {
    /// Row id.
    pub id: RowId,
    /// The item.
    pub item: ItemRef,
    /// The addressed account (owner).
    pub account: Member,
    /// Legacy copy of `account`.
    pub member: Member,
    /// Who created it (`null` when the creator was deleted).
    pub creator: Option<Member>,
    /// Application-defined type, 3–25 characters.
    #[serde(rename = "type")]
    pub ty: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Application data.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
    /// Creation time.
    #[serde(with = "crate::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "crate::timestamp")]
    pub updated_at: OffsetDateTime,
}

/// An app action as returned by the API (actions are append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppAction {
    /// Row id.
    pub id: RowId,
    /// Who acted.
    pub account: Member,
    /// Legacy copy of `account`.
    pub member: Member,
    /// Application-defined type, 3–25 characters.
    #[serde(rename = "type")]
    pub ty: String,
    /// Application data.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
    /// Creation time.
    #[serde(with = "crate::timestamp")]
    pub created_at: OffsetDateTime,
}

/// An app setting as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppSetting {
    /// Row id.
    pub id: RowId,
    /// Setting name.
    pub name: String,
    /// Setting value.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
    /// Who created it.
    #[serde(default)]
    pub creator: Option<Member>,
    /// Creation time.
    #[serde(with = "crate::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "crate::timestamp")]
    pub updated_at: OffsetDateTime,
}

/// `extra.app` of an app item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppExtraApp {
    /// The app URL.
    pub url: String,
}

/// `extra` of an app item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppExtra {
    /// The app part.
    pub app: AppExtraApp,
}

/// The app item in an [`AppContext`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppItem {
    /// Item id.
    pub id: ItemId,
    /// Item name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Materialized path (Graasp's ltree form of the id).
    pub path: String,
    /// Item language.
    pub lang: String,
    /// Item settings.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: JsonObject,
    /// Always `app`.
    #[serde(rename = "type")]
    pub ty: String,
    /// App URL.
    pub extra: AppExtra,
    /// Creation time.
    #[serde(with = "crate::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "crate::timestamp")]
    pub updated_at: OffsetDateTime,
}

/// `GET /app-items/:itemId/context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppContext {
    /// The app item.
    pub item: AppItem,
    /// Accounts with a membership on the item (empty for a token without account).
    pub members: Vec<Member>,
}

/// One entry of `GET /app-items/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppListEntry {
    /// App name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// App URL.
    pub url: String,
    /// Thumbnail URL.
    pub thumbnail: Option<String>,
}

/// Body of `POST /app-items/:itemId/api-access-token` (strict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// App key.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub key: uuid::Uuid,
    /// App origin.
    pub origin: String,
}

/// Response of the api-access-token route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// The app token.
    pub token: String,
}

/// Minimum length of an app-data or app-action `type`.
pub const TYPE_MIN_LEN: usize = 3;
/// Maximum length of an app-data or app-action `type`.
pub const TYPE_MAX_LEN: usize = 25;
/// Maximum length of a setting name.
pub const SETTING_NAME_MAX_LEN: usize = 500;

/// Checks an app-data/app-action `type` (3–25 characters).
pub fn validate_type(ty: &str) -> Result<(), ProtocolError> {
    let n = ty.chars().count();
    if !(TYPE_MIN_LEN..=TYPE_MAX_LEN).contains(&n) {
        return Err(ProtocolError::Invalid {
            field: "type",
            reason: format!("must be {TYPE_MIN_LEN}–{TYPE_MAX_LEN} characters, got {n}"),
        });
    }
    Ok(())
}

/// Checks a setting name (1–500 characters, no U+0000, which PostgreSQL cannot store).
///
/// A byte loop rather than `str::contains`, which would link a substring searcher into every
/// SDK app (the size probe's budget); one message for both reasons, for the same budget.
pub fn validate_setting_name(name: &str) -> Result<(), ProtocolError> {
    let n = name.chars().count();
    if n == 0 || n > SETTING_NAME_MAX_LEN || name.bytes().any(|b| b == 0) {
        return Err(ProtocolError::Invalid {
            field: "name",
            reason: format!("must be 1–{SETTING_NAME_MAX_LEN} characters, none U+0000; got {n}"),
        });
    }
    Ok(())
}

/// Body of `POST /app-items/:itemId/app-data` (strict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAppData {
    /// Application data.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
    /// Type, 3–25 characters.
    #[serde(rename = "type")]
    pub ty: String,
    /// Visibility, default `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Addressed account, default the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    /// Deprecated alias of `accountId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<AccountId>,
}

impl CreateAppData {
    /// Validates the field rules.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        validate_type(&self.ty)
    }

    /// The addressed account: `accountId`, else the legacy `memberId`.
    pub fn addressed(&self) -> Option<AccountId> {
        self.account_id.or(self.member_id)
    }
}

/// Body of `PATCH /app-items/:itemId/app-data/:id` and `.../app-settings/:id` (strict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchData {
    /// The new data (replaces the old).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
}

/// Body of `POST /app-items/:itemId/app-action` (strict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAppAction {
    /// Application data.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
    /// Type, 3–25 characters.
    #[serde(rename = "type")]
    pub ty: String,
}

impl CreateAppAction {
    /// Validates the field rules.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        validate_type(&self.ty)
    }
}

/// Body of `POST /app-items/:itemId/app-settings` (strict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAppSetting {
    /// Setting name.
    pub name: String,
    /// Setting value.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: JsonObject,
}

impl CreateAppSetting {
    /// Validates the field rules.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        validate_setting_name(&self.name)
    }
}
