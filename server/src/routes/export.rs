//! The body of the integration API's export (`GET /api/admin/items/{id}/export`): app data or
//! actions as JSON lines or CSV, streamed out line by line as the client reads, so exporting
//! an item never holds its rows (up to `item_data_bytes`, or unbounded actions) in memory.

use crate::{
    AppState,
    error::{Error, Result},
    routes::{app_action, rows},
    store::{AppActionRow, AppDataRow, DataQuery},
};
use axum::body::Body;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
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

fn data_line(r: AppDataRow, csv: bool) -> Result<Bytes> {
    let ts = appframe_protocol::timestamp::format;
    let line = if csv {
        let data = serde_json::to_string(&r.data)
            .map_err(|e| Error::Internal(format!("cannot serialize a row: {e}")))?;
        format!(
            "{},{},{},{},{},{},{},{},{}\n",
            r.id,
            csv_field(&r.ty),
            r.visibility.as_str(),
            r.account.id,
            csv_field(&r.account.name),
            r.creator
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            csv_field(&data),
            ts(&r.created_at),
            ts(&r.updated_at)
        )
    } else {
        let mut s = serde_json::to_string(&rows::data_to_wire(r))
            .map_err(|e| Error::Internal(format!("cannot serialize a row: {e}")))?;
        s.push('\n');
        s
    };
    Ok(line.into())
}

fn action_line(r: AppActionRow, csv: bool) -> Result<Bytes> {
    let line = if csv {
        let data = serde_json::to_string(&r.data)
            .map_err(|e| Error::Internal(format!("cannot serialize an action: {e}")))?;
        format!(
            "{},{},{},{},{},{}\n",
            r.id,
            csv_field(&r.ty),
            r.account.id,
            csv_field(&r.account.name),
            csv_field(&data),
            appframe_protocol::timestamp::format(&r.created_at)
        )
    } else {
        let mut s = serde_json::to_string(&app_action::to_wire(r))
            .map_err(|e| Error::Internal(format!("cannot serialize an action: {e}")))?;
        s.push('\n');
        s
    };
    Ok(line.into())
}

/// The export body of `what` (`app-data` or `app-actions`) of an item.
pub fn body(state: &AppState, item: Uuid, what: &str, csv: bool) -> Result<Body> {
    let (header, lines): (&'static str, stream::BoxStream<'static, Result<Bytes>>) = match what {
        "app-data" => (
            "id,type,visibility,accountId,accountName,creatorId,data,createdAt,updatedAt\n",
            // One query: the export is a consistent snapshot of the item.
            state
                .store()
                .stream_app_data(DataQuery::whole_item(item))
                .map(move |r| r.and_then(|r| data_line(r, csv)))
                .boxed(),
        ),
        "app-actions" => (
            "id,type,accountId,accountName,data,createdAt\n",
            app_action::stream(state.clone(), item, None, None, None)
                .map(move |r| r.and_then(|r| action_line(r, csv)))
                .boxed(),
        ),
        other => {
            return Err(Error::BadRequest(format!(
                "querystring/what must be app-data or app-actions, got {other:?}"
            )));
        }
    };
    let head = stream::iter(csv.then(|| Ok(Bytes::from_static(header.as_bytes()))));
    let lines = head.chain(lines).inspect_err(|e| {
        tracing::error!(error = %e, "export stream failed");
    });
    Ok(Body::from_stream(lines))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

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
