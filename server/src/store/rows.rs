//! How records map to SQL rows: the columns each query selects, the conversion of a decoded
//! row to its record, and what a failed write means to a client. Shared by both backends.

use super::*;
use crate::error::Error;
use sqlx::types::Json;

/// Maps constraint violations to 409 so bad admin input is not a 500.
pub(super) fn db(e: sqlx::Error) -> Error {
    if let Some(d) = e.as_database_error() {
        match d.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                return Error::Conflict("a record with this name, key or id already exists".into());
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return Error::Conflict("the record references an unknown record".into());
            }
            sqlx::error::ErrorKind::CheckViolation => {
                return Error::BadRequest("a value is out of range".into());
            }
            _ => {}
        }
    }
    Error::Db(e)
}

pub(super) fn kind(s: &str) -> AccountKind {
    AccountKind::parse(s).unwrap_or_default()
}
pub(super) fn perm(s: &str) -> Permission {
    Permission::parse(s).unwrap_or(Permission::Read)
}
pub(super) fn vis(s: &str) -> Visibility {
    if s == "item" {
        Visibility::Item
    } else {
        Visibility::Member
    }
}
pub(super) fn member(id: Uuid, name: String) -> Member {
    Member {
        id: id.into(),
        name,
    }
}
pub(super) fn opt_member(id: Option<Uuid>, name: Option<String>) -> Option<Member> {
    Some(member(id?, name.unwrap_or_default()))
}

/// A record read from one SQL row: the tuple sqlx decodes (its columns in `SELECT` order)
/// and the conversion to the record. One impl per entity, so every query of an entity maps
/// its rows the same way.
pub(super) trait FromTuple: Sized {
    /// The decoded columns.
    type Tuple;
    /// The record of a row.
    fn from_tuple(t: Self::Tuple) -> Self;
}

impl FromTuple for Publisher {
    type Tuple = (String, Json<Vec<String>>);
    fn from_tuple((name, origins): Self::Tuple) -> Self {
        Publisher {
            name,
            origins: origins.0,
        }
    }
}

/// Columns of [`AppRecord`].
pub(super) const APP_COLUMNS: &str = "name, key, url, publisher, description, thumbnail";

impl FromTuple for AppRecord {
    type Tuple = (String, Uuid, String, String, Option<String>, Option<String>);
    fn from_tuple(t: Self::Tuple) -> Self {
        AppRecord {
            name: t.0,
            key: t.1,
            url: t.2,
            publisher: t.3,
            description: t.4,
            thumbnail: t.5,
        }
    }
}

impl FromTuple for Account {
    /// `id, name, kind`.
    type Tuple = (Uuid, String, String);
    fn from_tuple((id, name, k): Self::Tuple) -> Self {
        Account {
            id,
            name,
            kind: kind(&k),
        }
    }
}

impl FromTuple for MembershipRecord {
    /// `account_id, item_id, permission`.
    type Tuple = (Uuid, Uuid, String);
    fn from_tuple((member, item, p): Self::Tuple) -> Self {
        MembershipRecord {
            member,
            item,
            permission: perm(&p),
        }
    }
}

/// Columns of [`ItemRecord`] (`i` is the `items` alias), of active items of active apps only:
/// what the configuration deactivated is invisible until it declares it again. Callers add
/// `AND ...` conditions.
pub(super) const ITEM_SELECT: &str = "SELECT i.id, i.name, i.app, i.description, i.lang, i.settings, i.created_at, i.updated_at \
     FROM items i JOIN apps p ON p.name = i.app WHERE i.active AND p.active";

impl FromTuple for ItemRecord {
    type Tuple = (
        Uuid,
        String,
        String,
        Option<String>,
        String,
        Json<JsonObject>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        ItemRecord {
            id: t.0,
            name: t.1,
            app: t.2,
            description: t.3,
            lang: t.4,
            settings: t.5.0,
            created_at: from_micros(t.6),
            updated_at: from_micros(t.7),
        }
    }
}

/// Everything the check of an app token needs, in one round trip (with several instances on
/// one Postgres nothing of it may be cached in process): the item, the account and its
/// permission, the app's key, its publisher's origins and the session of the handle
/// (`$1` item, `$2` account, `$3` session handle).
pub(super) const ITEM_ACCESS_SELECT: &str = "SELECT i.id, i.name, i.app, i.description, i.lang, \
     i.settings, i.created_at, i.updated_at, a.id, a.name, a.kind, m.permission, p.key, \
     pb.origins, s.account_id, s.expires_at FROM items i \
     JOIN apps p ON p.name = i.app AND p.active \
     LEFT JOIN publishers pb ON pb.name = p.publisher \
     LEFT JOIN accounts a ON a.id = $2 AND a.active \
     LEFT JOIN memberships m ON m.item_id = i.id AND m.account_id = a.id \
     LEFT JOIN sessions s ON s.handle = $3 \
     WHERE i.id = $1 AND i.active";

impl FromTuple for ItemAccess {
    type Tuple = (
        Uuid,
        String,
        String,
        Option<String>,
        String,
        Json<JsonObject>,
        i64,
        i64,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<String>,
        Uuid,
        Option<Json<Vec<String>>>,
        Option<Uuid>,
        Option<i64>,
    );
    fn from_tuple(r: Self::Tuple) -> Self {
        let account = match (r.8, r.9, r.10) {
            (Some(id), Some(name), Some(k)) => Some(Account::from_tuple((id, name, k))),
            _ => None,
        };
        ItemAccess {
            item: ItemRecord::from_tuple((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7)),
            account,
            permission: r.11.as_deref().map(perm),
            app_key: r.12,
            origins: r.13.map(|o| o.0).unwrap_or_default(),
            session: r.14.zip(r.15).map(|(a, at)| (a, from_micros(at))),
        }
    }
}

/// Columns of [`AppDataRow`] (`d` is the `app_data` alias).
pub(super) const DATA_SELECT: &str = "SELECT d.id, d.item_id, d.account_id, a.name, d.creator_id, c.name, \
     d.type, d.visibility, d.data, d.created_at, d.updated_at FROM app_data d \
     JOIN accounts a ON a.id = d.account_id LEFT JOIN accounts c ON c.id = d.creator_id";

impl FromTuple for AppDataRow {
    type Tuple = (
        Uuid,
        Uuid,
        Uuid,
        String,
        Option<Uuid>,
        Option<String>,
        String,
        String,
        Json<JsonObject>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        AppDataRow {
            id: t.0,
            item_id: t.1,
            account: member(t.2, t.3),
            creator: opt_member(t.4, t.5),
            ty: t.6,
            visibility: vis(&t.7),
            data: t.8.0,
            created_at: from_micros(t.9),
            updated_at: from_micros(t.10),
        }
    }
}

/// Columns of [`AppActionRow`] (`x` is the `app_action` alias).
pub(super) const ACTION_SELECT: &str = "SELECT x.id, x.item_id, x.account_id, a.name, x.type, x.data, \
     x.created_at FROM app_action x JOIN accounts a ON a.id = x.account_id";

impl FromTuple for AppActionRow {
    type Tuple = (Uuid, Uuid, Uuid, String, String, Json<JsonObject>, i64);
    fn from_tuple(t: Self::Tuple) -> Self {
        AppActionRow {
            id: t.0,
            item_id: t.1,
            account: member(t.2, t.3),
            ty: t.4,
            data: t.5.0,
            created_at: from_micros(t.6),
        }
    }
}

/// Columns of [`AppSettingRow`] (`s` is the `app_setting` alias).
pub(super) const SETTING_SELECT: &str = "SELECT s.id, s.item_id, s.name, s.data, s.creator_id, c.name, \
     s.created_at, s.updated_at FROM app_setting s LEFT JOIN accounts c ON c.id = s.creator_id";

impl FromTuple for AppSettingRow {
    type Tuple = (
        Uuid,
        Uuid,
        String,
        Json<JsonObject>,
        Option<Uuid>,
        Option<String>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        AppSettingRow {
            id: t.0,
            item_id: t.1,
            name: t.2,
            data: t.3.0,
            creator: opt_member(t.4, t.5),
            created_at: from_micros(t.6),
            updated_at: from_micros(t.7),
        }
    }
}

/// Columns of [`FileRecord`].
pub(super) const FILE_SELECT: &str =
    "SELECT row_id, item_id, path, name, mimetype, size FROM files";

impl FromTuple for FileRecord {
    type Tuple = (Uuid, Uuid, String, String, String, i64);
    fn from_tuple(t: Self::Tuple) -> Self {
        FileRecord {
            row_id: t.0,
            item_id: t.1,
            path: t.2,
            name: t.3,
            mimetype: t.4,
            size: t.5,
        }
    }
}

/// `FROM` and `WHERE` of the memberships that grant something: of active members on active
/// items of active apps (`m` is the `memberships` alias). Callers add `AND ...` conditions.
pub(super) const LIVE_MEMBERSHIPS: &str = "FROM memberships m JOIN accounts a ON a.id = m.account_id \
     JOIN items i ON i.id = m.item_id JOIN apps p ON p.name = i.app \
     WHERE a.active AND i.active AND p.active";
