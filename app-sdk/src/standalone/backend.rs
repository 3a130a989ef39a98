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
        text::{concat, format_uuid},
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
    /// The UI language: the seed's, until the dev overlay switches it.
    lang: RefCell<String>,
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
            ns: concat(&["appframe:", key, ":", &format_uuid(item_id.0)]),
            lang: RefCell::new(seed.lang.clone()),
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
        concat(&[self.ns.as_str(), ":file:", &format_uuid(id.0)])
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

    /// Switches the UI language (the dev overlay's selector).
    pub(crate) fn set_lang(&self, lang: &str) {
        *self.lang.borrow_mut() = lang.to_owned();
    }

    /// The context the app sees (it follows `switch_account`, `reset` and other tabs' writes).
    pub(crate) fn context(&self) -> LocalContext {
        let caller = self.caller();
        let mut c = LocalContext::new(self.api_host.as_str(), self.item_id);
        c.account_id = caller.account;
        c.permission = caller.permission;
        c.context = self.seed.context;
        c.lang = self.lang.borrow().clone();
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

    /// The acting member's storage shim (`App::storage`).
    pub(crate) fn kv(&self) -> super::kv::Kv<'_> {
        super::kv::Kv::new(&self.store, &self.ns, self.caller().account)
    }

    /// The `localStorage` key of the database (`None` when kept in memory only).
    pub(crate) fn storage_key(&self) -> Option<String> {
        self.store.is_shared().then(|| self.ns.clone())
    }

    /// The app token's stand-in, `standalone <accountId>`: no server checks it.
    pub(crate) fn placeholder_token(&self) -> String {
        let account = self.caller().account.map(|a| format_uuid(a.0));
        concat(&["standalone ", &account.unwrap_or_default()])
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
        let members: Vec<AccountId> = self.db.borrow().members.iter().map(|m| m.id).collect();
        for account in members {
            self.store
                .remove(&super::kv::entry_of(&self.ns, Some(account)))?;
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
mod tests;
