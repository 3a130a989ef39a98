//! The integration API's export (`GET /api/admin/items/{id}/export`, mounted by
//! [`super::admin`] behind its key check): app data, settings or actions as JSON lines or CSV
//! (the JSON lines are what [`super::import`] reads back), streamed
//! out line by line as the client reads, so exporting an item never holds its rows (up to
//! `item_data_bytes`, or unbounded actions) in memory.

use crate::{
    AppState,
    error::{Error, Result},
    extract::{ApiPath, ApiQuery},
    routes::{app_action, rows::setting_to_wire},
    store::{AppActionRow, AppDataRow, AppSettingRow, DataQuery, Page, to_micros},
};
use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use uuid::Uuid;

/// A CSV field, quoted when needed (RFC 4180). A spreadsheet runs a cell that starts with
/// `=`, `+`, `-`, `@`, tab or carriage return as a formula (which can fetch URLs or run
/// commands), so such a cell gets a leading `'` (OWASP's CSV injection advice); the `'` shows
/// as text and the value stays readable.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `?format=`: how an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, as the app routes show it (the default).
    Jsonl,
    /// RFC 4180 CSV with a header line.
    Csv,
}

impl ExportFormat {
    /// Reads `?format=` (absent: JSON lines).
    pub fn parse(s: Option<&str>) -> Result<ExportFormat> {
        match s.unwrap_or("jsonl") {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(Error::BadRequest(format!(
                "querystring/format must be jsonl or csv, got {other:?}"
            ))),
        }
    }

    /// The response's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The extension of the download's file name.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

/// `?what=`: which rows an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportWhat {
    /// App data (the default).
    AppData,
    /// App settings.
    AppSettings,
    /// App actions.
    AppActions,
}

impl ExportWhat {
    /// Reads `?what=` (absent: app data).
    pub fn parse(s: Option<&str>) -> Result<ExportWhat> {
        match s.unwrap_or("app-data") {
            "app-data" => Ok(ExportWhat::AppData),
            "app-settings" => Ok(ExportWhat::AppSettings),
            "app-actions" => Ok(ExportWhat::AppActions),
            other => Err(Error::BadRequest(format!(
                "querystring/what must be app-data, app-settings or app-actions, got {other:?}"
            ))),
        }
    }

    /// The query value (also in the download's file name).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportWhat::AppData => "app-data",
            ExportWhat::AppSettings => "app-settings",
            ExportWhat::AppActions => "app-actions",
        }
    }
}

/// One exported row: its CSV line and its JSON line.
trait ExportRow: Send + 'static {
    /// The CSV header line.
    const CSV_HEADER: &'static str;
    /// The row as a CSV line (with its newline).
    fn csv_line(&self) -> Result<String>;
    /// The row as the app routes show it, one JSON line (with its newline).
    fn json_line(self) -> Result<String>;
}

fn serialize_error(e: serde_json::Error) -> Error {
    Error::Internal(format!("cannot serialize a row: {e}"))
}

impl ExportRow for AppDataRow {
    const CSV_HEADER: &'static str =
        "id,type,visibility,accountId,accountName,creatorId,data,createdAt,updatedAt\n";

    fn csv_line(&self) -> Result<String> {
        let ts = appframe_protocol::timestamp::format;
        let data = serde_json::to_string(&self.data).map_err(serialize_error)?;
        Ok(format!(
            "{},{},{},{},{},{},{},{},{}\n",
            self.id,
            csv_field(&self.ty),
            self.visibility.as_str(),
            self.account.id,
            csv_field(&self.account.name),
            self.creator
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            csv_field(&data),
            ts(&self.created_at),
            ts(&self.updated_at)
        ))
    }

    fn json_line(self) -> Result<String> {
        let mut s = serde_json::to_string(&self.into_wire()).map_err(serialize_error)?;
        s.push('\n');
        Ok(s)
    }
}

impl ExportRow for AppActionRow {
    const CSV_HEADER: &'static str = "id,type,accountId,accountName,data,createdAt\n";

    fn csv_line(&self) -> Result<String> {
        let data = serde_json::to_string(&self.data).map_err(serialize_error)?;
        Ok(format!(
            "{},{},{},{},{},{}\n",
            self.id,
            csv_field(&self.ty),
            self.account.id,
            csv_field(&self.account.name),
            csv_field(&data),
            appframe_protocol::timestamp::format(&self.created_at)
        ))
    }

    fn json_line(self) -> Result<String> {
        let mut s = serde_json::to_string(&app_action::to_wire(self)).map_err(serialize_error)?;
        s.push('\n');
        Ok(s)
    }
}

impl ExportRow for AppSettingRow {
    const CSV_HEADER: &'static str = "id,name,creatorId,data,createdAt,updatedAt\n";

    fn csv_line(&self) -> Result<String> {
        let ts = appframe_protocol::timestamp::format;
        let data = serde_json::to_string(&self.data).map_err(serialize_error)?;
        Ok(format!(
            "{},{},{},{},{},{}\n",
            self.id,
            csv_field(&self.name),
            self.creator
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            csv_field(&data),
            ts(&self.created_at),
            ts(&self.updated_at)
        ))
    }

    fn json_line(self) -> Result<String> {
        let mut s = serde_json::to_string(&setting_to_wire(self)).map_err(serialize_error)?;
        s.push('\n');
        Ok(s)
    }
}

/// Settings read per query while an export streams (a setting may be up to
/// `max_body_bytes`, so few at a time).
const SETTINGS_CHUNK: i64 = 8;

/// The settings of `item` in `(created_at, id)` order, read a few rows per query.
fn settings(state: AppState, item: Uuid) -> impl Stream<Item = Result<AppSettingRow>> + Send {
    stream::try_unfold(Some(None), move |cursor| {
        let state = state.clone();
        async move {
            let Some(after) = cursor else {
                return Ok(None);
            };
            let page = Page {
                after,
                limit: SETTINGS_CHUNK,
            };
            let rows = state.store().list_app_settings(item, None, page).await?;
            let next = match rows.last() {
                Some(last) if i64::try_from(rows.len()).unwrap_or(0) >= SETTINGS_CHUNK => {
                    Some(Some((to_micros(last.created_at), last.id)))
                }
                _ => None,
            };
            Ok::<_, Error>(Some((stream::iter(rows.into_iter().map(Ok)), next)))
        }
    })
    .try_flatten()
}

/// The one export loop: the CSV header, then each row as a line as the client reads.
fn lines<R: ExportRow>(
    rows: impl Stream<Item = Result<R>> + Send + 'static,
    format: ExportFormat,
) -> Body {
    let head = stream::iter(
        (format == ExportFormat::Csv).then(|| Ok(Bytes::from_static(R::CSV_HEADER.as_bytes()))),
    );
    let lines = rows.map(move |r| {
        r.and_then(|r| match format {
            ExportFormat::Csv => r.csv_line(),
            ExportFormat::Jsonl => r.json_line(),
        })
        .map(Bytes::from)
    });
    Body::from_stream(head.chain(lines).inspect_err(|e| {
        tracing::error!(error = %e, "export stream failed");
    }))
}

/// The export body of `what` of an item.
pub fn body(state: &AppState, item: Uuid, what: ExportWhat, format: ExportFormat) -> Body {
    match what {
        // One query: the export is a consistent snapshot of the item.
        ExportWhat::AppData => lines(
            state.store().stream_app_data(DataQuery::whole_item(item)),
            format,
        ),
        ExportWhat::AppSettings => lines(settings(state.clone(), item), format),
        ExportWhat::AppActions => lines(
            app_action::stream(state.clone(), item, None, None, None),
            format,
        ),
    }
}

/// Query of the export route.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
    /// `app-data` (default), `app-settings` or `app-actions`.
    pub what: Option<String>,
}

/// Export an item
///
/// Streams an item's app data, app settings or app actions as JSON lines (one row per line, as the
/// app routes show it; what `import` reads) or as CSV (RFC 4180, formula cells neutralised).
#[utoipa::path(get, path = "/api/admin/items/{id}/export", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id"),
        ("format" = Option<String>, Query, description = "`jsonl` (default) or `csv`"),
        ("what" = Option<String>, Query, description = "`app-data` (default), `app-settings` or `app-actions`")),
    responses((status = 200, description = "The rows, as a download (`Content-Disposition`)",
            content((String = "application/x-ndjson", example = json!("{\"id\":\"…\",\"type\":\"note\",…}\n")), (String = "text/csv"))),
        (status = 400, description = "FST_ERR_VALIDATION: unknown format or what"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
pub async fn export(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response> {
    // Checked in this order (format, item, what), as the answers always were.
    let format = ExportFormat::parse(q.format.as_deref())?;
    if state.store().get_item(id).await?.is_none() {
        return Err(Error::ItemNotFound);
    }
    let what = ExportWhat::parse(q.what.as_deref())?;
    // Streamed row by row (`routes/export.rs`): an export never holds the item in memory.
    let body = body(&state, id, what, format);
    let disposition = format!(
        "attachment; filename=\"{id}-{}.{}\"",
        what.as_str(),
        format.extension()
    );
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn format_and_what_read_their_query_values_and_name_a_bad_one() {
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Jsonl);
        assert_eq!(ExportFormat::parse(Some("csv")).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::parse(Some("xml")).unwrap_err().to_string(),
            Error::BadRequest("querystring/format must be jsonl or csv, got \"xml\"".into())
                .to_string()
        );
        assert_eq!(ExportWhat::parse(None).unwrap(), ExportWhat::AppData);
        for w in [
            ExportWhat::AppData,
            ExportWhat::AppSettings,
            ExportWhat::AppActions,
        ] {
            assert_eq!(ExportWhat::parse(Some(w.as_str())).unwrap(), w);
        }
        assert!(ExportWhat::parse(Some("files")).is_err());
        assert_eq!(ExportFormat::Csv.content_type(), "text/csv; charset=utf-8");
        assert_eq!(ExportFormat::Jsonl.extension(), "jsonl");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn formula_cells_are_neutralised_and_still_quoted() {
        for (cell, out) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("a=1", "a=1"),
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("", ""),
        ] {
            assert_eq!(csv_field(cell), out, "{cell:?}");
        }
    }
}
