//! The mock server's app-data routes: list (the rules' row scope, cursor pages), create,
//! upload, patch, delete and download.

use super::{Caller, FileMeta, MockDb, Stamp, after, bad_request, file_data, file_meta, invalid};
use crate::{
    error::Error,
    types::{ListFilter, NewAppData, Page},
    wire::text::{format_uuid, parse_uuid},
};
use appframe_protocol::{
    AppData, ItemId, ItemRef, JsonObject, RowId, Visibility,
    rules::{self, RowParties},
    validate_type,
};
use time::OffsetDateTime;

fn not_found_data() -> Error {
    Error::http(404, "GAERR004", "APP_DATA_NOT_FOUND")
}

fn is_file(d: &AppData) -> bool {
    d.ty == "file" || d.data.contains_key("file")
}

/// Applies `limit`/`cursor` to rows in creation order; the cursor is the last row id returned.
fn paginate<T: Clone>(
    rows: Vec<&T>,
    id: impl Fn(&T) -> RowId,
    f: &ListFilter,
) -> Result<Page<T>, Error> {
    let start = match &f.cursor {
        None => 0,
        Some(c) => {
            let after = parse_uuid(c)
                .map(RowId)
                .ok_or_else(|| bad_request("invalid cursor"))?;
            rows.iter()
                .position(|r| id(r) == after)
                .map(|i| i + 1)
                .ok_or_else(|| bad_request("unknown cursor"))?
        }
    };
    let rest = rows.get(start..).unwrap_or_default();
    let take = f.limit.map_or(rest.len(), |l| (l as usize).min(rest.len()));
    // A plain loop rather than `take().map().collect()`: each adapter chain is its own
    // function in the wasm.
    let mut items: Vec<T> = Vec::with_capacity(take);
    for r in rest.get(..take).unwrap_or(rest) {
        items.push((*r).clone());
    }
    let next_cursor = if take < rest.len() {
        items.last().map(|r| format_uuid(id(r).0))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

impl MockDb {
    fn can_see(c: &Caller, d: &AppData) -> bool {
        rules::can_see_row(c.viewer(), RowParties::of(d))
    }

    fn can_modify(c: &Caller, d: &AppData) -> bool {
        rules::can_modify_row(c.viewer(), RowParties::of(d))
    }

    /// `GET .../app-data?type=`: visible rows of the type, in creation order.
    pub(crate) fn list_app_data(&self, c: &Caller, f: &ListFilter) -> Result<Page<AppData>, Error> {
        c.account()?;
        let mut rows: Vec<&AppData> = Vec::new();
        for d in &self.app_data {
            if f.ty.as_deref().is_none_or(|t| d.ty == t) && Self::can_see(c, d) {
                rows.push(d);
            }
        }
        paginate(rows, |d| d.id, f)
    }

    /// `POST .../app-data`.
    pub(crate) fn create_app_data(
        &mut self,
        c: &Caller,
        item: ItemId,
        input: &NewAppData,
        s: Stamp,
    ) -> Result<AppData, Error> {
        let me = c.account()?;
        validate_type(&input.ty).map_err(invalid)?;
        let creator = self.member(me)?;
        // As the server: a row is addressed only to a member of the item (400 AFERR025).
        let account = match input.account_id {
            Some(id) if id != me => self
                .member(id)
                .map_err(|_| Error::http(400, "AFERR025", "ACCOUNT_NOT_A_MEMBER"))?,
            _ => creator.clone(),
        };
        let row = AppData {
            id: s.id,
            item: ItemRef { id: item },
            member: account.clone(),
            account,
            creator: Some(creator),
            ty: input.ty.clone(),
            visibility: input.visibility.unwrap_or_default(),
            data: input.data.clone(),
            created_at: s.now,
            updated_at: s.now,
        };
        self.app_data.push(row.clone());
        Ok(row)
    }

    /// `POST .../app-data/upload`: a `file` row addressed to the caller.
    pub(crate) fn create_app_data_file(
        &mut self,
        c: &Caller,
        item: ItemId,
        meta: &FileMeta,
        s: Stamp,
    ) -> Result<AppData, Error> {
        let input = NewAppData::new("file", file_data("app-data", item, s.id, meta))
            .with_visibility(Visibility::Member);
        self.create_app_data(c, item, &input, s)
    }

    /// `PATCH .../app-data/:id`.
    pub(crate) fn patch_app_data(
        &mut self,
        c: &Caller,
        id: RowId,
        data: JsonObject,
        now: OffsetDateTime,
    ) -> Result<AppData, Error> {
        c.account()?;
        let row = self
            .app_data
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(not_found_data)?;
        if is_file(row) {
            return Err(Error::http(403, "GAERR008", "PREVENT_UPDATE_APP_DATA_FILE"));
        }
        if !Self::can_modify(c, row) {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        row.data = data;
        row.updated_at = after(row.updated_at, now);
        Ok(row.clone())
    }

    /// `DELETE .../app-data/:id`; returns the deleted row (the caller removes its file).
    pub(crate) fn delete_app_data(&mut self, c: &Caller, id: RowId) -> Result<AppData, Error> {
        c.account()?;
        let i = self
            .app_data
            .iter()
            .position(|d| d.id == id)
            .ok_or_else(not_found_data)?;
        if !Self::can_modify(c, &self.app_data[i]) {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        Ok(self.app_data.remove(i))
    }

    /// `GET .../app-data/:id/download`: the file row, if the caller may see it.
    pub(crate) fn app_data_file(&self, c: &Caller, id: RowId) -> Result<FileMeta, Error> {
        c.account()?;
        let row = self
            .app_data
            .iter()
            .find(|d| d.id == id && Self::can_see(c, d))
            .ok_or_else(not_found_data)?;
        file_meta(&row.data).ok_or_else(not_found_data)
    }
}
