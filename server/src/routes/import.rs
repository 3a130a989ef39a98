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
//!
//! The rows are checked and stored in [`super::import_rows`]; the report is
//! [`super::import_report`].

use crate::{
    AppState,
    error::{Error, Result},
    extract::{ApiPath, ApiQuery},
    routes::{export::ExportWhat, import_rows::Importer},
};
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, header},
};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

pub use super::import_report::{ImportReport, Refusal, RefusedRow};

/// Query of the import route.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// For JSON lines: `app-data` (default), `app-settings` or `app-actions`.
    pub what: Option<String>,
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
    fn media_types_are_read_without_parameters() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), "");
        h.insert(
            header::CONTENT_TYPE,
            "Application/X-NDJSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(media_type(&h), "application/x-ndjson");
    }
}
