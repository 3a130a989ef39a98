//! The import's rows: each one read, checked on its own (type, setting name, item, accounts,
//! file rows) and stored through the quota-checked `Store` inserts, or found already there, or
//! refused; the outcome goes to the report.

use crate::{
    AppState,
    error::{Error, Result},
    quota::Limits,
    routes::{
        export::ExportWhat,
        import_report::{ImportReport, Refusal, Refused, RefusedRow, RowResult},
    },
    store::{AppActionRow, AppDataRow, AppSettingRow, from_micros, to_micros},
};
use appframe_protocol::{JsonObject, Member, Visibility, validate_setting_name, validate_type};
use serde::Deserialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// `{id}` of an item, account or creator, as rows embed them (Graasp's carry more fields).
#[derive(Debug, Deserialize)]
struct Ref {
    id: Uuid,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataIn {
    id: Uuid,
    item: Option<Ref>,
    account: Option<Ref>,
    /// Graasp's older name of `account`.
    member: Option<Ref>,
    creator: Option<Ref>,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    visibility: Visibility,
    data: JsonObject,
    #[serde(with = "appframe_protocol::timestamp")]
    created_at: OffsetDateTime,
    #[serde(with = "appframe_protocol::timestamp")]
    updated_at: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingIn {
    id: Uuid,
    item: Option<Ref>,
    name: String,
    data: JsonObject,
    creator: Option<Ref>,
    #[serde(with = "appframe_protocol::timestamp")]
    created_at: OffsetDateTime,
    #[serde(with = "appframe_protocol::timestamp")]
    updated_at: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionIn {
    id: Uuid,
    item: Option<Ref>,
    account: Option<Ref>,
    member: Option<Ref>,
    #[serde(rename = "type")]
    ty: String,
    data: JsonObject,
    #[serde(with = "appframe_protocol::timestamp")]
    created_at: OffsetDateTime,
}

/// One import: the item, the limits, the accounts seen so far and the report.
pub(super) struct Importer {
    state: AppState,
    item: Uuid,
    limits: Limits,
    pub(super) max_row: usize,
    /// Accounts looked up so far (an import names few accounts many times).
    accounts: HashMap<Uuid, Option<Member>>,
    pub(super) report: ImportReport,
}

/// Accounts remembered per import, so a file naming very many stays bounded in memory.
const ACCOUNT_CACHE: usize = 4096;

impl Importer {
    pub(super) fn new(state: AppState, item: Uuid) -> Importer {
        let limits = state.config().server.limits();
        let max_row = state.config().server.max_body_bytes;
        Importer {
            state,
            item,
            limits,
            max_row,
            accounts: HashMap::new(),
            report: ImportReport::default(),
        }
    }

    /// Reads, checks and stores one row, and records the outcome in the report.
    pub(super) async fn row(&mut self, what: ExportWhat, index: u64, bytes: &[u8]) -> Result<()> {
        let outcome = if bytes.len() > self.max_row {
            Err(self.too_large())
        } else {
            match what {
                ExportWhat::AppData => self.data(bytes).await?,
                ExportWhat::AppSettings => self.setting(bytes).await?,
                ExportWhat::AppActions => self.action(bytes).await?,
            }
        };
        self.record(what, index, outcome);
        Ok(())
    }

    pub(super) fn too_large(&self) -> Refused {
        Refused(
            Refusal::RowTooLarge,
            format!("the row is over max_body_bytes ({} bytes)", self.max_row),
            None,
        )
    }

    pub(super) fn record(&mut self, what: ExportWhat, index: u64, outcome: RowResult) {
        match outcome {
            Ok(true) => self.report.imported += 1,
            Ok(false) => self.report.unchanged += 1,
            Err(Refused(code, reason, id)) => self.report.refused.push(RefusedRow {
                what: what.as_str().to_owned(),
                index,
                id,
                code,
                reason,
            }),
        }
    }

    /// The row's `account` (or Graasp's older `member`) as rows show it, or a refusal when it
    /// is missing or unknown.
    async fn row_account(
        &mut self,
        account: Option<&Ref>,
        row: Uuid,
    ) -> Result<std::result::Result<Member, Refused>> {
        let Some(id) = account.map(|a| a.id) else {
            return Ok(Err(Refused(
                Refusal::InvalidRow,
                "missing field `account`".into(),
                Some(row),
            )));
        };
        self.account(id, "account", row).await
    }

    /// The account `id` as rows show it, or a refusal naming `role`.
    async fn account(
        &mut self,
        id: Uuid,
        role: &str,
        row: Uuid,
    ) -> Result<std::result::Result<Member, Refused>> {
        if !self.accounts.contains_key(&id) {
            if self.accounts.len() >= ACCOUNT_CACHE {
                self.accounts.clear();
            }
            let found = self.state.store().get_account(id).await?;
            self.accounts.insert(id, found.map(|a| a.member()));
        }
        Ok(match self.accounts.get(&id).cloned().flatten() {
            Some(m) => Ok(m),
            None => Err(Refused(
                Refusal::UnknownAccount,
                format!("{role} {id} is not an account of this server"),
                Some(row),
            )),
        })
    }

    fn same_item(&self, item: Option<&Ref>, row: Uuid) -> std::result::Result<(), Refused> {
        match item {
            Some(r) if r.id != self.item => Err(Refused(
                Refusal::OtherItem,
                format!("the row belongs to item {}, not {}", r.id, self.item),
                Some(row),
            )),
            _ => Ok(()),
        }
    }

    async fn data(&mut self, bytes: &[u8]) -> Result<RowResult> {
        let r: DataIn = match parse(bytes) {
            Ok(r) => r,
            Err(refused) => return Ok(Err(refused)),
        };
        if let Err(e) = validate_type(&r.ty) {
            return Ok(Err(Refused(
                Refusal::InvalidField,
                e.to_string(),
                Some(r.id),
            )));
        }
        if r.ty == "file" {
            return Ok(Err(Refused(
                Refusal::FileRow,
                "file rows are not imported: the export holds no file bytes".into(),
                Some(r.id),
            )));
        }
        if let Err(refused) = self.same_item(r.item.as_ref(), r.id) {
            return Ok(Err(refused));
        }
        let account = match self
            .row_account(r.account.as_ref().or(r.member.as_ref()), r.id)
            .await?
        {
            Ok(a) => a,
            Err(refused) => return Ok(Err(refused)),
        };
        let creator = match &r.creator {
            Some(c) => match self.account(c.id, "creator", r.id).await? {
                Ok(m) => Some(m),
                Err(refused) => return Ok(Err(refused)),
            },
            None => None,
        };
        let row = AppDataRow {
            id: r.id,
            item_id: self.item,
            account,
            creator,
            ty: r.ty,
            visibility: r.visibility,
            data: r.data,
            created_at: stored_time(r.created_at),
            updated_at: stored_time(r.updated_at),
        };
        if let Some(existing) = self.state.store().get_app_data(row.id).await? {
            return Ok(same(existing == row, row.id));
        }
        let stored = self.state.store().insert_app_data(&row, &self.limits).await;
        quota_refusal(stored, row.id)
    }

    async fn setting(&mut self, bytes: &[u8]) -> Result<RowResult> {
        let r: SettingIn = match parse(bytes) {
            Ok(r) => r,
            Err(refused) => return Ok(Err(refused)),
        };
        if let Err(e) = validate_setting_name(&r.name) {
            return Ok(Err(Refused(
                Refusal::InvalidField,
                e.to_string(),
                Some(r.id),
            )));
        }
        if r.data.contains_key("file") {
            return Ok(Err(Refused(
                Refusal::FileRow,
                "file settings are not imported: the export holds no file bytes".into(),
                Some(r.id),
            )));
        }
        if let Err(refused) = self.same_item(r.item.as_ref(), r.id) {
            return Ok(Err(refused));
        }
        let creator = match &r.creator {
            Some(c) => match self.account(c.id, "creator", r.id).await? {
                Ok(m) => Some(m),
                Err(refused) => return Ok(Err(refused)),
            },
            None => None,
        };
        let row = AppSettingRow {
            id: r.id,
            item_id: self.item,
            name: r.name,
            data: r.data,
            creator,
            created_at: stored_time(r.created_at),
            updated_at: stored_time(r.updated_at),
        };
        if let Some(existing) = self.state.store().get_app_setting(row.id).await? {
            return Ok(same(existing == row, row.id));
        }
        self.state.store().insert_app_setting(&row).await?;
        Ok(Ok(true))
    }

    async fn action(&mut self, bytes: &[u8]) -> Result<RowResult> {
        let r: ActionIn = match parse(bytes) {
            Ok(r) => r,
            Err(refused) => return Ok(Err(refused)),
        };
        if let Err(e) = validate_type(&r.ty) {
            return Ok(Err(Refused(
                Refusal::InvalidField,
                e.to_string(),
                Some(r.id),
            )));
        }
        if let Err(refused) = self.same_item(r.item.as_ref(), r.id) {
            return Ok(Err(refused));
        }
        let account = match self
            .row_account(r.account.as_ref().or(r.member.as_ref()), r.id)
            .await?
        {
            Ok(a) => a,
            Err(refused) => return Ok(Err(refused)),
        };
        let row = AppActionRow {
            id: r.id,
            item_id: self.item,
            account,
            ty: r.ty,
            data: r.data,
            created_at: stored_time(r.created_at),
        };
        if let Some(existing) = self.state.store().get_app_action(row.id).await? {
            return Ok(same(existing == row, row.id));
        }
        let stored = self
            .state
            .store()
            .insert_app_action(&row, &self.limits)
            .await;
        quota_refusal(stored, row.id)
    }
}

/// `t` as the store keeps it (microseconds), so a row read back compares equal.
fn stored_time(t: OffsetDateTime) -> OffsetDateTime {
    from_micros(to_micros(t))
}

/// A row read from JSON, or the refusal saying what is wrong with it.
fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> std::result::Result<T, Refused> {
    serde_json::from_slice(bytes).map_err(|e| {
        // The id, when the rest is wrong, tells the caller which row to fix.
        let id = serde_json::from_slice::<Ref>(bytes).ok().map(|r| r.id);
        Refused(Refusal::InvalidRow, e.to_string(), id)
    })
}

/// An existing row with the same id: unchanged when equal, else a conflict.
fn same(equal: bool, id: Uuid) -> RowResult {
    if equal {
        Ok(false)
    } else {
        Err(Refused(
            Refusal::IdConflict,
            format!("a row {id} exists with other content or in another item"),
            Some(id),
        ))
    }
}

/// A quota refusal becomes the row's refusal; any other error stops the import.
fn quota_refusal(stored: Result<()>, id: Uuid) -> Result<RowResult> {
    match stored {
        Ok(()) => Ok(Ok(true)),
        Err(Error::Quota(e)) => {
            let (_, code, _) = e.limit.parts();
            Ok(Err(Refused(
                Refusal::QuotaExceeded,
                format!("{code}: {e}"),
                Some(id),
            )))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_is_refused_with_its_id_when_that_can_be_read() {
        let id = Uuid::new_v4();
        let Err(Refused(code, reason, got)) =
            parse::<DataIn>(format!(r#"{{"id": "{id}", "type": 3}}"#).as_bytes())
        else {
            panic!("parsed");
        };
        assert_eq!((code, got), (Refusal::InvalidRow, Some(id)));
        assert!(reason.contains("invalid type"), "{reason}");
        let Err(Refused(_, _, got)) = parse::<DataIn>(b"not json") else {
            panic!("parsed");
        };
        assert_eq!(got, None);
    }
}
