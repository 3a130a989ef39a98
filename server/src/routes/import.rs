//! The integration API's import (`POST /api/admin/items/{id}/import`, mounted by
//! [`super::admin`] behind its key check), beside the export: it reads an item's app data,
//! settings or actions back, in the export's own JSON lines ([`super::export`]) or in the
//! `apps` file of a Graasp analytics export (`{"appData": [...], "appSettings": [...],
//! "appActions": [...]}`).
//!
//! Each row is checked on its own and either stored, found already there (same id, same
//! content: a re-import changes nothing), or refused with a stable [`Refusal`] code in the
//! report; the rows keep their ids and timestamps, so an export of the imported item is the
//! export that was imported. Rows are stored under the quotas like the app routes store them,
//! and are not published to live subscribers (a bulk load is not a change anyone watches).
//!
//! Memory stays bounded: JSON lines are read as they arrive, one line (at most
//! `max_body_bytes`) at a time; a Graasp file is one JSON document, read whole up to
//! `max_import_bytes` and walked row by row without building its values. Either body stops at
//! `max_import_bytes` (413, the rows before stay stored; a re-import skips them).

use crate::{
    AppState,
    error::{Error, Result},
    extract::{ApiPath, ApiQuery},
    quota::Limits,
    routes::export::ExportWhat,
    store::{AppActionRow, AppDataRow, AppSettingRow, from_micros, to_micros},
};
use appframe_protocol::{JsonObject, Member, Visibility, validate_setting_name, validate_type};
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, header},
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Why a row was refused (stable codes, for programs reading the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Refusal {
    /// Not JSON, or a field is missing or of the wrong type.
    InvalidRow,
    /// A field's value breaks a rule of the app routes (type length, setting name).
    InvalidField,
    /// Longer than `max_body_bytes`, which no row written through the API can be.
    RowTooLarge,
    /// The row names another item.
    OtherItem,
    /// Its account or creator is not an account of this server.
    UnknownAccount,
    /// A row with this id exists with other content or in another item.
    IdConflict,
    /// A file row: the export holds no file bytes, so it would point to nothing.
    FileRow,
    /// Storing it would pass a quota (the reason names it and its `AFERR` code).
    QuotaExceeded,
}

/// A refused row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefusedRow {
    /// `app-data`, `app-settings` or `app-actions`.
    pub what: String,
    /// Its line in JSON lines, or its position in the Graasp file's array (from 1).
    pub index: u64,
    /// Its id, when it could be read.
    pub id: Option<Uuid>,
    /// Why, as a stable code.
    pub code: Refusal,
    /// Why, in words.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Rows stored.
    pub imported: u64,
    /// Rows that were already there, the same.
    pub unchanged: u64,
    /// Rows refused, in the order they came.
    pub refused: Vec<RefusedRow>,
}

/// Query of the import route.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// For JSON lines: `app-data` (default), `app-settings` or `app-actions`.
    pub what: Option<String>,
}

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

/// The `apps` file of a Graasp analytics export; each row stays raw until its turn.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraaspApps<'a> {
    #[serde(borrow, default)]
    app_data: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    app_settings: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    app_actions: Vec<&'a RawValue>,
}

/// A row refused: its code and reason (the caller adds where it was).
struct Refused(Refusal, String, Option<Uuid>);

type RowResult = std::result::Result<bool, Refused>;

/// One import: the item, the limits, the accounts seen so far and the report.
struct Importer {
    state: AppState,
    item: Uuid,
    limits: Limits,
    max_row: usize,
    /// Accounts looked up so far (an import names few accounts many times).
    accounts: HashMap<Uuid, Option<Member>>,
    report: ImportReport,
}

/// Accounts remembered per import, so a file naming very many stays bounded in memory.
const ACCOUNT_CACHE: usize = 4096;

impl Importer {
    fn new(state: AppState, item: Uuid) -> Importer {
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
    async fn row(&mut self, what: ExportWhat, index: u64, bytes: &[u8]) -> Result<()> {
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

    fn too_large(&self) -> Refused {
        Refused(
            Refusal::RowTooLarge,
            format!("the row is over max_body_bytes ({} bytes)", self.max_row),
            None,
        )
    }

    fn record(&mut self, what: ExportWhat, index: u64, outcome: RowResult) {
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

fn too_large(max: usize) -> Error {
    Error::PayloadTooLarge(format!(
        "the import is larger than max_import_bytes ({max} bytes)"
    ))
}

/// The media type of the body, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads JSON lines as they arrive and imports each line (empty lines are skipped). A line
/// longer than `max_body_bytes` is refused without being held: what follows it up to the next
/// newline is dropped as it comes.
async fn json_lines(imp: &mut Importer, what: ExportWhat, body: Body, max: usize) -> Result<()> {
    let mut stream = body.into_data_stream();
    let mut line: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut index = 0u64;
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("cannot read the body: {e}")))?;
        total += chunk.len();
        if total > max {
            return Err(too_large(max));
        }
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            let (part, ended) = match rest.iter().position(|b| *b == b'\n') {
                Some(i) => (&rest[..i], Some(i + 1)),
                None => (rest, None),
            };
            if !overlong {
                line.extend_from_slice(part);
                if line.len() > imp.max_row {
                    overlong = true;
                    line = Vec::new();
                }
            }
            match ended {
                Some(n) => {
                    index += 1;
                    end_line(imp, what, index, &mut line, &mut overlong).await?;
                    rest = &rest[n..];
                }
                None => rest = &[],
            }
        }
    }
    if !line.is_empty() || overlong {
        index += 1;
        end_line(imp, what, index, &mut line, &mut overlong).await?;
    }
    Ok(())
}

async fn end_line(
    imp: &mut Importer,
    what: ExportWhat,
    index: u64,
    line: &mut Vec<u8>,
    overlong: &mut bool,
) -> Result<()> {
    if *overlong {
        let refused = imp.too_large();
        imp.record(what, index, Err(refused));
    } else if line.iter().any(|b| !b.is_ascii_whitespace()) {
        imp.row(what, index, line).await?;
    }
    line.clear();
    *overlong = false;
    Ok(())
}

/// Reads a Graasp `apps` file (up to `max` bytes) and imports its data, settings and actions.
async fn graasp_file(imp: &mut Importer, body: Body, max: usize) -> Result<()> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("cannot read the body: {e}")))?;
        if bytes.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        bytes.extend_from_slice(&chunk);
    }
    let file: GraaspApps = serde_json::from_slice(&bytes).map_err(|e| {
        Error::BadRequest(format!(
            "body must be a Graasp apps export {{appData, appSettings, appActions}}: {e}"
        ))
    })?;
    for (what, rows) in [
        (ExportWhat::AppData, &file.app_data),
        (ExportWhat::AppSettings, &file.app_settings),
        (ExportWhat::AppActions, &file.app_actions),
    ] {
        for (i, raw) in rows.iter().enumerate() {
            let index = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
            imp.row(what, index, raw.get().as_bytes()).await?;
        }
    }
    Ok(())
}

/// Import into an item
///
/// Imports app data, settings or actions into an item, from the export's own JSON lines
/// (`Content-Type: application/x-ndjson`, one kind per request chosen by `what`) or from the
/// `apps` file of a Graasp analytics export (`Content-Type: application/json`,
/// `{"appData": [...], "appSettings": [...], "appActions": [...]}`). Rows keep their ids and
/// timestamps; a row already there with the same content is counted as unchanged, so
/// importing twice is harmless. Each row is checked on its own: refused rows are listed in
/// the report with a stable code, the others are stored under the item's and members' quotas.
/// Accounts must exist on this server; file rows are refused (an export holds no bytes).
#[utoipa::path(post, path = "/api/admin/items/{id}/import", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id"),
        ("what" = Option<String>, Query, description = "For JSON lines: `app-data` (default), `app-settings` or `app-actions`")),
    request_body(description = "JSON lines as the export writes them, or a Graasp `apps` export file",
        content(
            (String = "application/x-ndjson", example = json!("{\"id\":\"8f6c0a52-5c38-4c55-9b8e-3a0f4bd0e8f1\",\"item\":{\"id\":\"1f0e…\"},\"account\":{\"id\":\"…\",\"name\":\"Ana\"},\"type\":\"note\",\"visibility\":\"member\",\"data\":{\"text\":\"hi\"},\"createdAt\":\"2026-01-01T10:00:00Z\",\"updatedAt\":\"2026-01-01T10:00:00Z\"}\n")),
            (Object = "application/json", example = json!({"appData": [], "appSettings": [], "appActions": []})),
        )),
    responses((status = 200, description = "What was imported, unchanged and refused", body = ImportReport,
            example = json!({"imported": 2, "unchanged": 1, "refused": [{"what": "app-data", "index": 4, "id": "8f6c0a52-5c38-4c55-9b8e-3a0f4bd0e8f1", "code": "UNKNOWN_ACCOUNT", "reason": "account 0b6f9a9e-8f0e-4f43-9a55-2c1f8d1d0c11 is not an account of this server"}]})),
        (status = 400, description = "FST_ERR_VALIDATION: unknown `what`, or not a Graasp apps file"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"),
        (status = 403, description = "AFERR002: the key lacks the `write` scope"),
        (status = 404, description = "GERR002: unknown item"),
        (status = 413, description = "FST_ERR_CTP_BODY_TOO_LARGE: over `max_import_bytes` (the rows before it stay stored)"),
        (status = 415, description = "FST_ERR_CTP_INVALID_MEDIA_TYPE: neither JSON lines nor JSON")))]
pub async fn import(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>> {
    if state.store().get_item(id).await?.is_none() {
        return Err(Error::ItemNotFound);
    }
    let max = state.config().server.max_import_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let mut imp = Importer::new(state, id);
    match media_type(&headers).as_str() {
        "application/x-ndjson" | "application/jsonl" => {
            let what = ExportWhat::parse(q.what.as_deref())?;
            json_lines(&mut imp, what, body, max).await?;
        }
        "application/json" => graasp_file(&mut imp, body, max).await?,
        other => {
            return Err(Error::UnsupportedMediaType(format!(
                "an import is application/x-ndjson (the export's JSON lines) or \
                 application/json (a Graasp apps export), not {other:?}"
            )));
        }
    }
    let r = &imp.report;
    tracing::info!(
        item = %id,
        imported = r.imported,
        unchanged = r.unchanged,
        refused = r.refused.len(),
        "integration API: import"
    );
    Ok(Json(imp.report))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_graasp_apps_file_is_read_row_by_row_with_missing_arrays_empty() {
        let body = br#"{"appData": [{"id": 1}, {"x": [1, 2]}], "appActions": []}"#;
        let f: GraaspApps = serde_json::from_slice(body).unwrap();
        assert_eq!(f.app_data.len(), 2);
        assert_eq!(f.app_data[1].get(), r#"{"x": [1, 2]}"#);
        assert!(f.app_settings.is_empty() && f.app_actions.is_empty());
    }

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

    #[test]
    fn media_types_are_read_without_parameters() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), "");
        h.insert(
            header::CONTENT_TYPE,
            "Application/X-NDJSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(media_type(&h), "application/x-ndjson");
    }

    #[test]
    fn refusal_codes_are_stable_screaming_snake_case() {
        assert_eq!(
            serde_json::to_value(Refusal::UnknownAccount).unwrap(),
            "UNKNOWN_ACCOUNT"
        );
        assert_eq!(
            serde_json::to_value(Refusal::QuotaExceeded).unwrap(),
            "QUOTA_EXCEEDED"
        );
    }
}
