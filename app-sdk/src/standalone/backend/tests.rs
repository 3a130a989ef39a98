//! Tests of the standalone backend: seeding, persistence across reloads and versions, resets,
//! switching accounts and failed writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::{config::SeedAppData, standalone::storage::MemoryStore};
use appframe_protocol::Visibility;
use std::{cell::Cell, rc::Rc};
use uuid::Uuid;

/// A store whose contents outlive the backend (like localStorage across reloads).
#[derive(Clone, Default)]
struct Shared(Rc<MemoryStore>, Rc<Cell<bool>>);
impl Store for Shared {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        if self.1.get() {
            return Err(Error::Storage("quota".into()));
        }
        self.0.set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), Error> {
        self.0.remove(key)
    }
}

const ITEM: ItemId = ItemId(Uuid::from_u128(0x100));
const BOB: AccountId = AccountId(Uuid::from_u128(2));

fn open(store: &Shared, seed: StandaloneConfig) -> Standalone {
    let counter = Rc::new(Cell::new(0u128));
    Standalone::open(
        Backing::Other(Box::new(store.clone())),
        "key",
        ITEM,
        seed,
        "http://app/".into(),
        "http://h/api".into(),
        Sources {
            clock: Box::new(|| OffsetDateTime::UNIX_EPOCH),
            ids: Box::new(move || {
                counter.set(counter.get() + 1);
                // Distinct per backend instance and call: random high bits, counter low bits.
                RowId(Uuid::from_u128((uuid_seed() << 64) | counter.get()))
            }),
        },
    )
    .unwrap()
}

fn uuid_seed() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    u128::from(N.fetch_add(1, Ordering::Relaxed))
}

fn seed() -> StandaloneConfig {
    let mut s = StandaloneConfig::default();
    s.members.push(Member {
        id: BOB,
        name: "Bob".into(),
    });
    s.app_settings.push(("config".into(), JsonObject::new()));
    s.app_data.push(SeedAppData {
        account_id: None,
        ty: "note".into(),
        visibility: Visibility::Item,
        data: JsonObject::new(),
    });
    s
}

#[test]
fn the_seed_is_applied_once_and_data_survives_a_reload() {
    let store = Shared::default();
    let a = open(&store, seed());
    assert_eq!(a.list_app_settings(None).unwrap().len(), 1);
    assert_eq!(
        a.list_app_data(&ListFilter::default()).unwrap().items.len(),
        1
    );
    a.create_app_data(&NewAppData::new("note", JsonObject::new()))
        .unwrap();
    let b = open(&store, seed());
    assert_eq!(
        b.list_app_data(&ListFilter::default()).unwrap().items.len(),
        2
    );
    assert_eq!(b.list_app_settings(None).unwrap().len(), 1);
}

#[test]
fn a_database_stored_by_earlier_versions_keeps_loading_and_keeps_its_format() {
    let store = Shared::default();
    let me = seed().account.id.0.to_string();
    let member = serde_json::json!({ "id": me, "name": "Standalone user" });
    let setting = serde_json::json!({
        "id": "00000000-0000-0000-0000-00000000000a",
        "name": "config",
        "data": { "theme": "dark" },
        "creator": member,
        "createdAt": "2025-04-17T11:07:30.123Z",
        "updatedAt": "2025-04-17T11:07:30.123Z",
    });
    let action = serde_json::json!({
        "id": "00000000-0000-0000-0000-00000000000b",
        "account": member,
        "member": member,
        "type": "click",
        "data": { "n": 1 },
        "createdAt": "2025-04-17T11:07:31Z",
    });
    // The text the typed writers stored before actions and settings were kept as JSON.
    let stored = serde_json::json!({
        "version": DB_VERSION,
        "members": [member],
        "acting": null,
        "appData": [],
        "appActions": [action],
        "appSettings": [setting],
    });
    let ns = ["appframe:key:", &ITEM.0.to_string()].concat();
    store.0.set(&ns, &stored.to_string()).unwrap();

    let a = open(&store, seed());
    let settings = a.list_app_settings(None).unwrap();
    assert_eq!(settings.len(), 1);
    assert_eq!(settings[0].id, RowId(Uuid::from_u128(0xa)));
    assert_eq!(settings[0].data.get("theme"), Some(&"dark".into()));
    assert_eq!(
        settings[0].creator.as_ref().map(|m| m.id),
        Some(seed().account.id)
    );
    let actions = a.list_app_actions(None).unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].ty, "click");
    assert_eq!(
        actions[0].created_at,
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_744_888_051)
    );

    // A write stores the untouched rows as they were and the new one in the same shape.
    let recorded = a.create_app_action("click", JsonObject::new()).unwrap();
    let text = store.0.get(&ns).unwrap().unwrap();
    let after: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(after["appSettings"], serde_json::json!([setting]));
    assert_eq!(after["appActions"][0], action);
    let new = &after["appActions"][1];
    assert_eq!(new["type"], "click");
    assert_eq!(new["account"], member);
    assert_eq!(new["createdAt"], "1970-01-01T00:00:00Z");
    assert_eq!(a.list_app_actions(None).unwrap().len(), 2);
    // The action returned (for the live event) is the one stored.
    assert_eq!(
        recorded.id,
        RowId(crate::wire::text::parse_uuid(new["id"].as_str().unwrap()).unwrap())
    );
    assert_eq!(a.list_app_actions(None).unwrap()[1], recorded);
}

#[test]
fn an_unreadable_stored_setting_is_a_storage_error_not_a_panic() {
    let store = Shared::default();
    let a = open(&store, seed());
    let ns = ["appframe:key:", &ITEM.0.to_string()].concat();
    let mut db: serde_json::Value =
        serde_json::from_str(&store.0.get(&ns).unwrap().unwrap()).unwrap();
    db["appSettings"][0]["createdAt"] = "yesterday".into();
    store.0.set(&ns, &db.to_string()).unwrap();
    a.reload().unwrap();
    assert!(matches!(a.list_app_settings(None), Err(Error::Storage(_))));
    // Data in the other tables is unaffected.
    assert_eq!(
        a.list_app_data(&ListFilter::default()).unwrap().items.len(),
        1
    );
}

#[test]
fn another_item_or_app_key_has_its_own_data() {
    let store = Shared::default();
    let a = open(&store, seed());
    a.create_app_data(&NewAppData::new("note", JsonObject::new()))
        .unwrap();
    let other = Standalone::open(
        Backing::Other(Box::new(store.clone())),
        "other-key",
        ITEM,
        seed(),
        String::new(),
        String::new(),
        Sources {
            clock: Box::new(|| OffsetDateTime::UNIX_EPOCH),
            ids: Box::new(|| RowId(Uuid::from_u128(uuid_seed() << 64))),
        },
    )
    .unwrap();
    assert_eq!(
        other
            .list_app_data(&ListFilter::default())
            .unwrap()
            .items
            .len(),
        1
    );
}

#[test]
fn reset_removes_data_and_files_and_reseeds() {
    let store = Shared::default();
    let a = open(&store, seed());
    let meta = FileMeta {
        name: "a.bin".into(),
        mimetype: "application/octet-stream".into(),
    };
    let f = a.upload_app_data_file(&meta, &[1, 2, 3]).unwrap();
    assert_eq!(
        a.download_app_data_file(f.id).unwrap(),
        (meta, vec![1, 2, 3])
    );
    a.switch_account(BOB, Permission::Read).unwrap();
    assert_eq!(a.caller().account, Some(BOB));
    a.reset().unwrap();
    assert_eq!(a.caller().account, Some(seed().account.id));
    assert_eq!(
        a.list_app_data(&ListFilter::default()).unwrap().items.len(),
        1
    );
    assert_eq!(store.0.get(&a.file_key(f.id)).unwrap(), None);
}

#[test]
fn switching_to_a_reader_applies_the_rules_and_the_context_follows() {
    let store = Shared::default();
    let a = open(&store, seed());
    a.create_app_data(&NewAppData::new("secret", JsonObject::new()))
        .unwrap();
    a.switch_account(BOB, Permission::Read).unwrap();
    let ctx = a.context();
    assert_eq!(ctx.account_id, Some(BOB));
    assert_eq!(ctx.permission, Permission::Read);
    // Bob sees the seeded item-visibility note, not the admin's member row.
    let rows = a.list_app_data(&ListFilter::default()).unwrap().items;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].ty, "note");
    assert_eq!(
        a.create_app_setting("x", JsonObject::new())
            .unwrap_err()
            .status(),
        Some(403)
    );
    let meta = FileMeta {
        name: "a".into(),
        mimetype: "text/plain".into(),
    };
    assert_eq!(
        a.upload_app_setting_file(None, &meta, b"x")
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert!(
        a.switch_account(AccountId(Uuid::from_u128(77)), Permission::Admin)
            .is_err()
    );
}

#[test]
fn a_failed_write_changes_nothing() {
    let store = Shared::default();
    let a = open(&store, seed());
    store.1.set(true);
    assert_eq!(
        a.create_app_data(&NewAppData::new("note", JsonObject::new()))
            .unwrap_err()
            .code(),
        "Storage"
    );
    store.1.set(false);
    assert_eq!(
        a.list_app_data(&ListFilter::default()).unwrap().items.len(),
        1
    );
}
