//! The standalone backend: [`MockDb`] persisted in a [`Store`] (browser `localStorage`, or memory),
//! namespaced per app key and item id, seeded from [`StandaloneConfig`].

use super::{
    db::{Acting, Caller, DB_VERSION, FileMeta, MockDb, Stamp, standalone_item, stored_id},
    storage::{Backing, Store},
};
use crate::{
    config::StandaloneConfig,
    error::Error,
    types::{ListFilter, NewAppData, Page},
    wire::{
        base64::{b64_decode, b64_encode},
        text::format_uuid,
    },
};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppSetting, ItemId, JsonObject, LocalContext,
    Member, Permission, RowId,
};
use std::cell::RefCell;
use time::OffsetDateTime;

/// Where the mock backend takes the time and new row ids from (the browser, or a test).
pub(crate) struct Sources {
    /// Now.
    pub clock: Box<dyn Fn() -> OffsetDateTime>,
    /// A new row id.
    pub ids: Box<dyn Fn() -> RowId>,
}

/// The mock backend of one app instance.
pub(crate) struct Standalone {
    store: Backing,
    ns: String,
    seed: StandaloneConfig,
    item_id: ItemId,
    app_url: String,
    /// The `apiHost` of the context (the page's origin + `/api`; nothing listens there).
    api_host: String,
    db: RefCell<MockDb>,
    clock: Box<dyn Fn() -> OffsetDateTime>,
    ids: Box<dyn Fn() -> RowId>,
}

impl Standalone {
    /// Loads the stored database of `key` + `item_id`, or seeds a new one.
    pub(crate) fn open(
        store: Backing,
        key: &str,
        item_id: ItemId,
        seed: StandaloneConfig,
        app_url: String,
        api_host: String,
        sources: Sources,
    ) -> Result<Standalone, Error> {
        let s = Standalone {
            store,
            ns: ["appframe:", key, ":", &format_uuid(item_id.0)].concat(),
            seed,
            item_id,
            app_url,
            api_host,
            db: RefCell::new(MockDb::default()),
            clock: sources.clock,
            ids: sources.ids,
        };
        let stored = s
            .store
            .get(&s.ns)?
            .and_then(|json| crate::wire::json::parse::<MockDb>(&json).ok())
            .filter(|db| db.version == DB_VERSION);
        match stored {
            Some(db) => *s.db.borrow_mut() = db,
            // Missing, unreadable or from another schema version: start from the seed.
            None => s.reseed()?,
        }
        Ok(s)
    }

    fn file_key(&self, id: RowId) -> String {
        [self.ns.as_str(), ":file:", &format_uuid(id.0)].concat()
    }

    fn stamp(&self) -> Stamp {
        Stamp {
            id: (self.ids)(),
            now: (self.clock)(),
        }
    }

    fn seed_db(&self) -> Result<MockDb, Error> {
        let mut members = vec![self.seed.account.clone()];
        for m in &self.seed.members {
            if !members.iter().any(|x| x.id == m.id) {
                members.push(m.clone());
            }
        }
        let mut db = MockDb {
            version: DB_VERSION,
            members,
            ..Default::default()
        };
        db.seed(
            &self.seed.account,
            self.item_id,
            &self.seed.app_settings,
            &self.seed.app_data,
            || self.stamp(),
        )?;
        Ok(db)
    }

    fn reseed(&self) -> Result<(), Error> {
        let db = self.seed_db()?;
        self.store.set(&self.ns, &to_json(&db)?)?;
        *self.db.borrow_mut() = db;
        Ok(())
    }

    /// Who is acting: the account chosen with `switch_account`, else the configured one.
    pub(crate) fn caller(&self) -> Caller {
        match self.db.borrow().acting {
            Some(a) => Caller {
                account: Some(a.account),
                permission: a.permission,
            },
            None => Caller {
                account: Some(self.seed.account.id),
                permission: self.seed.permission,
            },
        }
    }

    /// The context the app sees (it follows `switch_account`, `reset` and other tabs' writes).
    pub(crate) fn context(&self) -> LocalContext {
        let caller = self.caller();
        let mut c = LocalContext::new(self.api_host.as_str(), self.item_id);
        c.account_id = caller.account;
        c.permission = caller.permission;
        c.context = self.seed.context;
        c.lang = self.seed.lang.clone();
        c.settings = self.seed.settings.clone();
        c.dev = true;
        c
    }

    /// Runs a change on a copy of the database and stores it; memory changes only if storing worked.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut MockDb, &Caller) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let caller = self.caller();
        let mut next = self.db.borrow().clone();
        let out = f(&mut next, &caller)?;
        self.store.set(&self.ns, &to_json(&next)?)?;
        *self.db.borrow_mut() = next;
        Ok(out)
    }

    /// The `localStorage` key of the database (`None` when kept in memory only).
    pub(crate) fn storage_key(&self) -> Option<String> {
        self.store.is_shared().then(|| self.ns.clone())
    }

    /// The app token's stand-in, `standalone <accountId>`: no server checks it.
    pub(crate) fn placeholder_token(&self) -> String {
        let account = self.caller().account.map(|a| format_uuid(a.0));
        ["standalone ", &account.unwrap_or_default()].concat()
    }

    /// Reads the stored database again (another tab changed it).
    pub(crate) fn reload(&self) -> Result<(), Error> {
        let stored = self
            .store
            .get(&self.ns)?
            .and_then(|json| crate::wire::json::parse::<MockDb>(&json).ok())
            .filter(|db| db.version == DB_VERSION);
        match stored {
            Some(db) => *self.db.borrow_mut() = db,
            // Another tab reset it (removed the key): start from the seed, as it did.
            None => self.reseed()?,
        }
        Ok(())
    }

    /// Deletes everything of this item and applies the seed again.
    pub(crate) fn reset(&self) -> Result<(), Error> {
        let files: Vec<RowId> = {
            let db = self.db.borrow();
            db.app_data
                .iter()
                .map(|d| d.id)
                .chain(db.app_settings.iter().filter_map(stored_id))
                .collect()
        };
        for id in files {
            self.store.remove(&self.file_key(id))?;
        }
        self.store.remove(&self.ns)?;
        self.reseed()
    }

    /// Acts as another known account with the given permission (persisted until `reset`).
    pub(crate) fn switch_account(
        &self,
        account: AccountId,
        permission: Permission,
    ) -> Result<(), Error> {
        self.write(|db, _| {
            db.member(account)?;
            db.acting = Some(Acting {
                account,
                permission,
            });
            Ok(())
        })
    }

    /// Adds a member to the item (so it can be addressed or switched to).
    pub(crate) fn add_member(&self, member: Member) -> Result<(), Error> {
        self.write(|db, _| {
            db.members.retain(|m| m.id != member.id);
            db.members.push(member);
            Ok(())
        })
    }

    pub(crate) fn list_app_data(&self, f: &ListFilter) -> Result<Page<AppData>, Error> {
        self.db.borrow().list_app_data(&self.caller(), f)
    }

    pub(crate) fn create_app_data(&self, input: &NewAppData) -> Result<AppData, Error> {
        let s = self.stamp();
        self.write(|db, c| db.create_app_data(c, self.item_id, input, s))
    }

    pub(crate) fn patch_app_data(&self, id: RowId, data: JsonObject) -> Result<AppData, Error> {
        let now = (self.clock)();
        self.write(|db, c| db.patch_app_data(c, id, data, now))
    }

    /// Deletes an app-data row and its file; returns the row (for the live delete event).
    pub(crate) fn delete_app_data(&self, id: RowId) -> Result<AppData, Error> {
        let row = self.write(|db, c| db.delete_app_data(c, id))?;
        self.store.remove(&self.file_key(id))?;
        Ok(row)
    }

    pub(crate) fn upload_app_data_file(
        &self,
        meta: &FileMeta,
        bytes: &[u8],
    ) -> Result<AppData, Error> {
        let s = self.stamp();
        let row = self.write(|db, c| db.create_app_data_file(c, self.item_id, meta, s))?;
        if let Err(e) = self.store.set(&self.file_key(s.id), &b64_encode(bytes)) {
            // No row without its bytes: undo the insert (best effort; the error is what matters).
            let _ = self.write(|db, _| {
                db.app_data.retain(|d| d.id != s.id);
                Ok(())
            });
            return Err(e);
        }
        Ok(row)
    }

    fn read_file(&self, id: RowId, meta: FileMeta) -> Result<(FileMeta, Vec<u8>), Error> {
        let raw = self
            .store
            .get(&self.file_key(id))?
            .ok_or_else(|| Error::http(404, "FST_ERR_NOT_FOUND", "FILE_NOT_FOUND"))?;
        let bytes = b64_decode(&raw).ok_or_else(|| Error::Storage("corrupt stored file".into()))?;
        Ok((meta, bytes))
    }

    pub(crate) fn download_app_data_file(&self, id: RowId) -> Result<(FileMeta, Vec<u8>), Error> {
        let meta = self.db.borrow().app_data_file(&self.caller(), id)?;
        self.read_file(id, meta)
    }

    pub(crate) fn list_app_actions(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        self.db.borrow().list_app_actions(&self.caller(), account)
    }

    /// Records an app action; returns it (for the live event).
    pub(crate) fn create_app_action(&self, ty: &str, data: JsonObject) -> Result<AppAction, Error> {
        let s = self.stamp();
        self.write(|db, c| db.create_app_action(c, ty, data, s))
    }

    pub(crate) fn list_app_settings(&self, name: Option<&str>) -> Result<Vec<AppSetting>, Error> {
        self.db.borrow().list_app_settings(name)
    }

    pub(crate) fn create_app_setting(
        &self,
        name: &str,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        let s = self.stamp();
        self.write(|db, c| db.create_app_setting(c, name, data, s))
    }

    pub(crate) fn patch_app_setting(
        &self,
        id: RowId,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        let now = (self.clock)();
        self.write(|db, c| db.patch_app_setting(c, id, data, now))
    }

    /// Deletes an app setting and its file; returns the setting (for the live delete event).
    pub(crate) fn delete_app_setting(&self, id: RowId) -> Result<AppSetting, Error> {
        let row = self.write(|db, c| db.delete_app_setting(c, id))?;
        self.store.remove(&self.file_key(id))?;
        Ok(row)
    }

    pub(crate) fn upload_app_setting_file(
        &self,
        name: Option<&str>,
        meta: &FileMeta,
        bytes: &[u8],
    ) -> Result<AppSetting, Error> {
        let s = self.stamp();
        let row = self.write(|db, c| db.create_app_setting_file(c, self.item_id, name, meta, s))?;
        if let Err(e) = self.store.set(&self.file_key(s.id), &b64_encode(bytes)) {
            // No setting without its bytes: undo the insert (best effort; the error is what matters).
            let _ = self.write(|db, _| {
                db.app_settings.retain(|x| stored_id(x) != Some(s.id));
                Ok(())
            });
            return Err(e);
        }
        Ok(row)
    }

    pub(crate) fn download_app_setting_file(
        &self,
        id: RowId,
    ) -> Result<(FileMeta, Vec<u8>), Error> {
        let meta = self.db.borrow().app_setting_file(&self.caller(), id)?;
        self.read_file(id, meta)
    }

    pub(crate) fn app_context(&self) -> AppContext {
        let item = standalone_item(
            self.item_id,
            &self.seed.item_name,
            &self.seed.lang,
            self.seed.settings.clone(),
            self.app_url.clone(),
            (self.clock)(),
        );
        self.db.borrow().app_context(&self.caller(), item)
    }
}

fn to_json(db: &MockDb) -> Result<String, Error> {
    crate::wire::json::stringify(db).map_err(Error::Storage)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
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
}
