//! The records the store reads and writes: the registry's entries, app data, actions,
//! settings and files as stored, and the queries that list them.

use crate::{
    config::{AccountKind, Scope},
    error::Result,
};
use appframe_protocol::{
    AppData, ItemRef, JsonObject, Member, Permission, Visibility,
    rules::{RowParties, RowScope},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A publisher and the origins its apps are served from.
#[derive(Debug, Clone, PartialEq)]
pub struct Publisher {
    /// Unique name.
    pub name: String,
    /// Origins, `scheme://host[:port]`.
    pub origins: Vec<String>,
}

/// A registered app.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    /// Unique name.
    pub name: String,
    /// The app key.
    pub key: Uuid,
    /// Where it is served.
    pub url: String,
    /// Publisher name.
    pub publisher: String,
    /// Description.
    pub description: Option<String>,
    /// Thumbnail URL.
    pub thumbnail: Option<String>,
}

/// A member or guest account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `member` or `guest`.
    pub kind: AccountKind,
}

impl Account {
    /// As the wire `{id, name}`.
    pub fn member(&self) -> Member {
        Member {
            id: self.id.into(),
            name: self.name.clone(),
        }
    }
}

/// An app item (one instance of an app).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
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
    pub settings: JsonObject,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update.
    pub updated_at: OffsetDateTime,
}

/// What [`Store::item_access`] reads in one query for the per-request check of app routes.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemAccess {
    /// The item.
    pub item: ItemRecord,
    /// The account, when given, existing and active.
    pub account: Option<Account>,
    /// The account's permission on the item.
    pub permission: Option<Permission>,
    /// The key of the item's app now (a token minted with an older key is revoked).
    pub app_key: Uuid,
    /// The origins of the app's publisher now.
    pub origins: Vec<String>,
    /// The session named by the handle, when given and still stored: its account and expiry.
    pub session: Option<(Uuid, OffsetDateTime)>,
}

/// A live host session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    /// Its account.
    pub account: Account,
    /// The random handle app tokens minted from it carry (not the id, not its digest).
    pub handle: String,
}

/// A membership row.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRecord {
    /// Account id.
    pub member: Uuid,
    /// Item id.
    pub item: Uuid,
    /// Permission.
    pub permission: Permission,
}

/// An integration API key.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

/// An integration API key as listed: everything but the secret (which is not stored).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyEntry {
    /// Id (what revocation names).
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Whether `appframe.toml` declares it (it is then re-created at the next start).
    pub from_config: bool,
    /// Creation time (RFC 3339).
    pub created_at: OffsetDateTime,
}

/// Prefix of the marker the hashing migration stored instead of a digest: the old rows held
/// plaintext keys, which SQLite cannot hash in SQL. Such a row matches no key (a digest is hex)
/// until the configuration declares the key again, at the start that ran the migration.
pub const UNHASHED_PREFIX: &str = "unhashed:";

/// One entry of the registry that `appframe.toml` can declare.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// An integration API key, by name.
    ApiKey(String),
    /// A publisher, by name.
    Publisher(String),
    /// An app, by name.
    App(String),
    /// A member or guest account.
    Member(Uuid),
    /// An app item.
    Item(Uuid),
    /// A membership of a member on an item.
    Membership {
        /// The account.
        member: Uuid,
        /// The item.
        item: Uuid,
    },
}

/// What the store holds about one registry entry, for comparing it with the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryState {
    /// The entry.
    pub entry: Entry,
    /// Declared by the configuration file (as opposed to created through the integration API).
    pub managed: bool,
    /// False once the configuration stopped declaring it (apps, members, items; the others
    /// are removed instead).
    pub active: bool,
    /// Publishers: their origins. Memberships: the permission. API keys: the secret's digest.
    pub detail: Vec<String>,
}

/// Every registry entry with its ownership, as read at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryState {
    /// The entries.
    pub entries: Vec<EntryState>,
}

/// An app-data row with its item and account names.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDataRow {
    /// Row id.
    pub id: Uuid,
    /// Item id.
    pub item_id: Uuid,
    /// Addressed account.
    pub account: Member,
    /// Creator (None once the creator is deleted).
    pub creator: Option<Member>,
    /// Type.
    pub ty: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Data.
    pub data: JsonObject,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update.
    pub updated_at: OffsetDateTime,
}

impl AppDataRow {
    /// The wire form of the row, as every API answer shows it.
    pub fn into_wire(self) -> AppData {
        AppData {
            id: self.id.into(),
            item: ItemRef {
                id: self.item_id.into(),
            },
            member: self.account.clone(),
            account: self.account,
            creator: self.creator,
            ty: self.ty,
            visibility: self.visibility,
            data: self.data,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// What the access rules read of the row.
    pub fn parties(&self) -> RowParties {
        RowParties {
            visibility: self.visibility,
            account: self.account.id,
            creator: self.creator.as_ref().map(|c| c.id),
        }
    }
}

/// An app-action row.
#[derive(Debug, Clone, PartialEq)]
pub struct AppActionRow {
    /// Row id.
    pub id: Uuid,
    /// Item id.
    pub item_id: Uuid,
    /// Who acted.
    pub account: Member,
    /// Type.
    pub ty: String,
    /// Data.
    pub data: JsonObject,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// An app-setting row.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSettingRow {
    /// Row id.
    pub id: Uuid,
    /// Item id.
    pub item_id: Uuid,
    /// Name.
    pub name: String,
    /// Data.
    pub data: JsonObject,
    /// Creator.
    pub creator: Option<Member>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update.
    pub updated_at: OffsetDateTime,
}

/// Metadata of an uploaded file (the bytes are in object storage).
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    /// The app-data or app-setting row it belongs to.
    pub row_id: Uuid,
    /// Item id.
    pub item_id: Uuid,
    /// Object storage path.
    pub path: String,
    /// Original file name.
    pub name: String,
    /// MIME type.
    pub mimetype: String,
    /// Size in bytes.
    pub size: i64,
}

/// A keyset page: rows strictly after `after` in `(created_at, id)` order, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Page {
    /// `(created_at in µs, id)` of the last row of the previous page.
    pub after: Option<(i64, Uuid)>,
    /// Maximum number of rows.
    pub limit: i64,
}

/// An app-data list to stream: an item's rows in `(created_at, id)` order, strictly after
/// `after` and up to `upto` included.
#[derive(Debug, Clone, PartialEq)]
pub struct DataQuery {
    /// Item id.
    pub item: Uuid,
    /// Exact type filter.
    pub ty: Option<String>,
    /// Which rows the viewer sees (`appframe_protocol::rules`, written as SQL by the store).
    pub scope: RowScope,
    /// `(created_at in µs, id)` the list starts after.
    pub after: Option<(i64, Uuid)>,
    /// `(created_at in µs, id)` of the last row of the list.
    pub upto: Option<(i64, Uuid)>,
}

impl DataQuery {
    /// Every row of an item.
    pub fn whole_item(item: Uuid) -> DataQuery {
        DataQuery {
            item,
            ty: None,
            scope: RowScope::All,
            after: None,
            upto: None,
        }
    }
}

/// Rows read one at a time, so a list of large rows is never held whole in memory.
pub type RowStream = futures::stream::BoxStream<'static, Result<AppDataRow>>;

/// The row an uploaded file belongs to, stored with it in one transaction.
#[derive(Debug, Clone, Copy)]
pub enum FileOwner<'a> {
    /// An app-data row (`type: file`).
    Data(&'a AppDataRow),
    /// An app setting.
    Setting(&'a AppSettingRow),
}
