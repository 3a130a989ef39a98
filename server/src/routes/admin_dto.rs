//! The JSON the integration API (`/api/admin`) reads and answers, apart from the store's
//! records: a column added to a table does not appear in the API by accident, and the API's
//! field names and `#[serde]` rules stay here.

use crate::{
    config::{AccountKind, Scope},
    store::{Account, ApiKeyEntry, AppRecord, ItemRecord, MembershipRecord, Publisher},
};
use appframe_protocol::{JsonObject, Permission};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// An account (`member` or `guest`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminMember {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `member` or `guest`.
    pub kind: AccountKind,
}

impl From<Account> for AdminMember {
    fn from(a: Account) -> Self {
        AdminMember {
            id: a.id,
            name: a.name,
            kind: a.kind,
        }
    }
}

/// An item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminItem {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// App name.
    pub app: String,
    /// Description.
    pub description: Option<String>,
    /// Language.
    pub lang: String,
    /// Item settings.
    #[schema(value_type = Object)]
    pub settings: JsonObject,
    /// Creation time (RFC 3339).
    #[serde(with = "appframe_protocol::timestamp")]
    pub created_at: OffsetDateTime,
    /// Last update (RFC 3339).
    #[serde(with = "appframe_protocol::timestamp")]
    pub updated_at: OffsetDateTime,
}

impl From<ItemRecord> for AdminItem {
    fn from(i: ItemRecord) -> Self {
        AdminItem {
            id: i.id,
            name: i.name,
            app: i.app,
            description: i.description,
            lang: i.lang,
            settings: i.settings,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A membership, as listed and as set (`POST /api/admin/memberships`).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminMembership {
    /// Account id.
    pub member: Uuid,
    /// Item id.
    pub item: Uuid,
    /// Permission.
    pub permission: Permission,
}

impl From<MembershipRecord> for AdminMembership {
    fn from(m: MembershipRecord) -> Self {
        AdminMembership {
            member: m.member,
            item: m.item,
            permission: m.permission,
        }
    }
}

impl From<AdminMembership> for MembershipRecord {
    fn from(m: AdminMembership) -> Self {
        MembershipRecord {
            member: m.member,
            item: m.item,
            permission: m.permission,
        }
    }
}

/// A publisher, as listed and as put (`POST /api/admin/publishers`, by name).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPublisher {
    /// Unique name.
    pub name: String,
    /// Origins, `scheme://host[:port]`.
    pub origins: Vec<String>,
}

impl From<Publisher> for AdminPublisher {
    fn from(p: Publisher) -> Self {
        AdminPublisher {
            name: p.name,
            origins: p.origins,
        }
    }
}

impl From<AdminPublisher> for Publisher {
    fn from(p: AdminPublisher) -> Self {
        Publisher {
            name: p.name,
            origins: p.origins,
        }
    }
}

/// An app, as listed (with its key) and as put (`POST /api/admin/apps`, by name).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminApp {
    /// Unique name.
    pub name: String,
    /// The app key.
    pub key: Uuid,
    /// Where it is served.
    pub url: String,
    /// Publisher name.
    pub publisher: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Thumbnail URL.
    #[serde(default)]
    pub thumbnail: Option<String>,
}

impl From<AppRecord> for AdminApp {
    fn from(a: AppRecord) -> Self {
        AdminApp {
            name: a.name,
            key: a.key,
            url: a.url,
            publisher: a.publisher,
            description: a.description,
            thumbnail: a.thumbnail,
        }
    }
}

impl From<AdminApp> for AppRecord {
    fn from(a: AdminApp) -> Self {
        AppRecord {
            name: a.name,
            key: a.key,
            url: a.url,
            publisher: a.publisher,
            description: a.description,
            thumbnail: a.thumbnail,
        }
    }
}

/// An integration API key as listed: everything but the secret (which is not stored).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// Id (what revocation names).
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Whether `appframe.toml` declares it (it is then re-created at the next start).
    pub from_config: bool,
    /// Creation time (RFC 3339).
    #[serde(with = "appframe_protocol::timestamp")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
}

impl From<ApiKeyEntry> for ApiKeyInfo {
    fn from(k: ApiKeyEntry) -> Self {
        ApiKeyInfo {
            id: k.id,
            name: k.name,
            scopes: k.scopes,
            from_config: k.from_config,
            created_at: k.created_at,
        }
    }
}
