//! The mock server's app-setting routes: list (open to every viewer), and create, upload,
//! patch and delete (admins only), and download.

use super::{
    Caller, FileMeta, MockDb, Stamp, after, file_data, file_meta, invalid, row, rows, stored_id,
};
use crate::{error::Error, wire::codec::ToJson};
use appframe_protocol::{AppSetting, ItemId, JsonObject, RowId, validate_setting_name};
use time::OffsetDateTime;

fn not_found_setting() -> Error {
    Error::http(404, "GAERR005", "APP_SETTING_NOT_FOUND")
}

impl MockDb {
    /// `GET .../app-settings?name=` (optional auth: readers and anonymous viewers alike).
    pub(crate) fn list_app_settings(&self, name: Option<&str>) -> Result<Vec<AppSetting>, Error> {
        let mut all: Vec<AppSetting> = rows(&self.app_settings)?;
        all.retain(|s| name.is_none_or(|n| s.name == n));
        Ok(all)
    }

    /// The index of the stored setting `id`.
    fn setting_index(&self, id: RowId) -> Result<usize, Error> {
        self.app_settings
            .iter()
            .position(|s| stored_id(s) == Some(id))
            .ok_or_else(not_found_setting)
    }

    /// The stored setting `id`, read.
    pub(crate) fn app_setting(&self, id: RowId) -> Result<AppSetting, Error> {
        row(&self.app_settings[self.setting_index(id)?])
    }

    /// `POST .../app-settings` (admin only).
    pub(crate) fn create_app_setting(
        &mut self,
        c: &Caller,
        name: &str,
        data: JsonObject,
        s: Stamp,
    ) -> Result<AppSetting, Error> {
        let me = c.require_admin()?;
        validate_setting_name(name).map_err(invalid)?;
        let row = AppSetting {
            id: s.id,
            name: name.to_owned(),
            data,
            creator: Some(self.member(me)?),
            created_at: s.now,
            updated_at: s.now,
        };
        self.app_settings.push(row.to_json());
        Ok(row)
    }

    /// `POST .../app-settings/upload` (admin only; the name defaults to `file`).
    pub(crate) fn create_app_setting_file(
        &mut self,
        c: &Caller,
        item: ItemId,
        name: Option<&str>,
        meta: &FileMeta,
        s: Stamp,
    ) -> Result<AppSetting, Error> {
        let name: String = name.unwrap_or("file").chars().take(500).collect();
        let data = file_data("app-setting", item, s.id, meta);
        self.create_app_setting(c, &name, data, s)
    }

    /// `PATCH .../app-settings/:id` (admin only; file settings are documented as immutable).
    pub(crate) fn patch_app_setting(
        &mut self,
        c: &Caller,
        id: RowId,
        data: JsonObject,
        now: OffsetDateTime,
    ) -> Result<AppSetting, Error> {
        c.require_admin()?;
        let i = self.setting_index(id)?;
        let mut row: AppSetting = row(&self.app_settings[i])?;
        if row.data.contains_key("file") {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        row.data = data;
        row.updated_at = after(row.updated_at, now);
        self.app_settings[i] = row.to_json();
        Ok(row)
    }

    /// `DELETE .../app-settings/:id` (admin only); returns the deleted setting.
    pub(crate) fn delete_app_setting(
        &mut self,
        c: &Caller,
        id: RowId,
    ) -> Result<AppSetting, Error> {
        c.require_admin()?;
        let i = self.setting_index(id)?;
        let row = row(&self.app_settings[i])?;
        self.app_settings.remove(i);
        Ok(row)
    }

    /// `GET .../app-settings/:id/download`.
    pub(crate) fn app_setting_file(&self, c: &Caller, id: RowId) -> Result<FileMeta, Error> {
        c.account()?;
        let row = self.app_setting(id)?;
        file_meta(&row.data).ok_or_else(not_found_setting)
    }
}
