//! File uploads and downloads of app data and app settings.
//!
//! Uploads are multipart (one file, field `files`; settings take a `name` field first). The
//! item comes from the token (the `?id=` query is ignored, as in Graasp). Bytes go to object
//! storage under `apps/app-data/<itemId>/<rowId>` or `apps/app-setting/<itemId>/<rowId>`.
//! Downloads answer with a signed, expiring URL as text (never a redirect), and that URL
//! serves the bytes without credentials.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::ApiPath,
    routes::{app_data, app_settings, text},
    store::{AppDataRow, AppSettingRow, FileRecord, now},
};
use appframe_protocol::{
    AppData, AppSetting, JsonObject, Visibility,
    routes::{
        PATH_APP_DATA_DOWNLOAD, PATH_APP_DATA_UPLOAD, PATH_APP_SETTINGS_DOWNLOAD,
        PATH_APP_SETTINGS_UPLOAD,
    },
    ws::Op,
};
use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State, multipart::MultipartRejection},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use object_store::{PutPayload, path::Path as ObjectPath};
use serde_json::json;
use uuid::Uuid;

/// Multipart overhead allowed on top of the file limit (boundaries, headers, `name` field).
const MULTIPART_SLACK: usize = 64 * 1024;

/// Upload and download routes under `/app-items` (CORS applies).
pub fn app_router(state: AppState) -> Router {
    let limit = state
        .config()
        .server
        .max_file_bytes
        .saturating_add(MULTIPART_SLACK);
    Router::new()
        .route(
            PATH_APP_DATA_UPLOAD,
            post(upload_app_data).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            PATH_APP_SETTINGS_UPLOAD,
            post(upload_app_setting).layer(DefaultBodyLimit::max(limit)),
        )
        .route(PATH_APP_DATA_DOWNLOAD, get(download_app_data))
        .route(PATH_APP_SETTINGS_DOWNLOAD, get(download_app_setting))
        .with_state(state)
}

/// The credential-less signed file route `/files/{token}`.
pub fn public_router(state: AppState) -> Router {
    Router::new()
        .route("/files/{token}", get(serve_file))
        .with_state(state)
}

struct Upload {
    name: Option<String>,
    file_name: String,
    mimetype: String,
    bytes: Vec<u8>,
}

fn multipart_err(e: impl std::fmt::Display + HasStatus) -> Error {
    if e.status_code() == 413 {
        Error::PayloadTooLarge("the file is larger than allowed".into())
    } else {
        Error::BadRequest(format!("multipart: {e}"))
    }
}

trait HasStatus {
    fn status_code(&self) -> u16;
}
impl HasStatus for MultipartRejection {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
impl HasStatus for axum::extract::multipart::MultipartError {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Reads the multipart body: an optional `name` text field and exactly one file, counting
/// bytes as they arrive so an oversized file is refused (413) without being buffered whole.
async fn read_upload(
    mp: std::result::Result<Multipart, MultipartRejection>,
    max: usize,
) -> Result<Upload> {
    let mut mp = mp.map_err(multipart_err)?;
    let mut name = None;
    let mut file: Option<Upload> = None;
    let mut fields = 0;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_err)? {
        fields += 1;
        if fields > 6 {
            return Err(Error::BadRequest("multipart: too many fields".into()));
        }
        match field.file_name().map(str::to_owned) {
            None => {
                if field.name() == Some("name") {
                    let v = field.text().await.map_err(multipart_err)?;
                    name = Some(v.chars().take(500).collect());
                }
            }
            Some(file_name) => {
                if file.is_some() {
                    return Err(Error::BadRequest(
                        "multipart: only one file per upload".into(),
                    ));
                }
                let mimetype = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_err)? {
                    if bytes.len() + chunk.len() > max {
                        return Err(Error::PayloadTooLarge(format!(
                            "the file is larger than {max} bytes"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(Upload {
                    name: None,
                    file_name,
                    mimetype,
                    bytes,
                });
            }
        }
    }
    let mut up =
        file.ok_or_else(|| Error::BadRequest("multipart: no file in the upload".into()))?;
    up.name = name;
    Ok(up)
}

fn file_data(path: &str, up: &Upload) -> JsonObject {
    let mut m = JsonObject::new();
    m.insert(
        "file".into(),
        json!({ "path": path, "name": up.file_name, "mimetype": up.mimetype, "size": up.bytes.len() }),
    );
    m
}

/// Stores the bytes and their metadata; removes the bytes again if the metadata fails.
async fn store_file(state: &AppState, rec: &FileRecord, bytes: Vec<u8>) -> Result<()> {
    let path = ObjectPath::from(rec.path.as_str());
    state.files().put(&path, PutPayload::from(bytes)).await?;
    if let Err(e) = state.store().insert_file(rec).await {
        let _ = state.files().delete(&path).await;
        return Err(e);
    }
    Ok(())
}

/// `POST /api/app-items/app-data/upload?id=` → 200 with the new app data (`type: file`).
#[utoipa::path(post, path = "/api/app-items/app-data/upload", tag = "files",
    request_body(content_type = "multipart/form-data", description = "Field `files`: one file"),
    responses((status = 200, body = appframe_protocol::AppData), (status = 413, description = "Too large")),
    security(("appToken" = [])))]
pub async fn upload_app_data(
    State(state): State<AppState>,
    token: AppToken,
    mp: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<AppData>> {
    let item_id = token.item_id();
    let access = token.access(&state, item_id, true).await?;
    let me = access.account()?.member();
    let up = read_upload(mp, state.config().server.max_file_bytes).await?;
    let id = Uuid::new_v4();
    let path = format!("apps/app-data/{item_id}/{id}");
    let at = now();
    let row = AppDataRow {
        id,
        item_id,
        account: me.clone(),
        creator: Some(me),
        ty: "file".into(),
        visibility: Visibility::Member,
        data: file_data(&path, &up),
        created_at: at,
        updated_at: at,
    };
    // The row first (it is what the file belongs to), then the bytes; undo the row if they fail.
    state.store().insert_app_data(&row).await?;
    let rec = FileRecord {
        row_id: id,
        item_id,
        path,
        name: up.file_name.clone(),
        mimetype: up.mimetype.clone(),
        size: i64::try_from(up.bytes.len()).unwrap_or(i64::MAX),
    };
    if let Err(e) = store_file(&state, &rec, up.bytes).await {
        let _ = state.store().delete_app_data(id).await;
        return Err(e);
    }
    let wire = app_data::to_wire(row);
    app_data::publish(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}

/// `POST /api/app-items/app-settings/upload?id=` (admin; field `name` then `files`).
#[utoipa::path(post, path = "/api/app-items/app-settings/upload", tag = "files",
    request_body(content_type = "multipart/form-data", description = "Field `name` (default `file`), then `files`"),
    responses((status = 200, body = appframe_protocol::AppSetting), (status = 403, description = "GERR004")),
    security(("appToken" = [])))]
pub async fn upload_app_setting(
    State(state): State<AppState>,
    token: AppToken,
    mp: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<AppSetting>> {
    let item_id = token.item_id();
    let access = token.access(&state, item_id, true).await?;
    // Upstream forgets this check; settings are admin-only, uploads included.
    if !access.is_admin() {
        return Err(Error::CannotAdmin);
    }
    let me = access.account()?.member();
    let up = read_upload(mp, state.config().server.max_file_bytes).await?;
    let id = Uuid::new_v4();
    let path = format!("apps/app-setting/{item_id}/{id}");
    let at = now();
    let name = up
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "file".into());
    let row = AppSettingRow {
        id,
        item_id,
        name,
        data: file_data(&path, &up),
        creator: Some(me),
        created_at: at,
        updated_at: at,
    };
    state.store().insert_app_setting(&row).await?;
    let rec = FileRecord {
        row_id: id,
        item_id,
        path,
        name: up.file_name.clone(),
        mimetype: up.mimetype.clone(),
        size: i64::try_from(up.bytes.len()).unwrap_or(i64::MAX),
    };
    if let Err(e) = store_file(&state, &rec, up.bytes).await {
        let _ = state.store().delete_app_setting(id).await;
        return Err(e);
    }
    let wire = app_settings::to_wire(row);
    app_settings::publish(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}

fn signed_url(state: &AppState, row: Uuid) -> Result<Response> {
    let t = state.jwt().sign_file(row)?;
    Ok(text(format!(
        "{}/api/files/{t}",
        state.config().server.public_url.trim_end_matches('/')
    )))
}

/// `GET /api/app-items/app-data/{id}/download` → the signed URL as text/plain.
#[utoipa::path(get, path = "/api/app-items/app-data/{id}/download", tag = "files",
    params(("id" = Uuid, Path, description = "App-data row")),
    responses((status = 200, description = "Signed URL, text/plain"), (status = 404, description = "GAERR004")),
    security(("appToken" = [])))]
pub async fn download_app_data(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response> {
    let access = token.access(&state, token.item_id(), true).await?;
    let row = match state.store().get_app_data(id).await? {
        Some(r) if r.item_id == access.item.id && app_data::can_see(&access, &r) => r,
        _ => return Err(Error::AppDataNotFound),
    };
    if state.store().get_file(row.id).await?.is_none() {
        return Err(Error::NotFound("this app data has no file".into()));
    }
    signed_url(&state, row.id)
}

/// `GET /api/app-items/app-settings/{id}/download` → the signed URL as text/plain.
#[utoipa::path(get, path = "/api/app-items/app-settings/{id}/download", tag = "files",
    params(("id" = Uuid, Path, description = "App-setting row")),
    responses((status = 200, description = "Signed URL, text/plain"), (status = 404, description = "GAERR005")),
    security(("appToken" = [])))]
pub async fn download_app_setting(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response> {
    let access = token.access(&state, token.item_id(), true).await?;
    match state.store().get_app_setting(id).await? {
        Some(r) if r.item_id == access.item.id => {}
        _ => return Err(Error::AppSettingNotFound),
    }
    if state.store().get_file(id).await?.is_none() {
        return Err(Error::NotFound("this app setting has no file".into()));
    }
    signed_url(&state, id)
}

/// `Content-Disposition: attachment` with an ASCII fallback and the RFC 5987 UTF-8 name.
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /api/files/{token}`: the bytes, with the stored type, no credentials needed.
#[utoipa::path(get, path = "/api/files/{token}", tag = "files",
    params(("token" = String, Path, description = "From a download URL")),
    responses((status = 200, description = "The file"), (status = 404, description = "Invalid, expired or deleted")))]
pub async fn serve_file(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response> {
    let claims = state.jwt().verify_file(&token)?;
    let rec = state
        .store()
        .get_file(claims.row)
        .await?
        .ok_or_else(|| Error::NotFound("the file was deleted".into()))?;
    let got = match state
        .files()
        .get(&ObjectPath::from(rec.path.as_str()))
        .await
    {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(Error::NotFound("the file was deleted".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let bytes = got.bytes().await?;
    let mime = HeaderValue::from_str(&rec.mimetype)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, disposition(&rec.name)),
            // The URL carries no credentials, so any origin may fetch it.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // Uploaded HTML must never run on the API origin.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// Deletes the file of a deleted row, if any (errors are logged: the row is already gone).
pub async fn delete_row_file(state: &AppState, row: Uuid) {
    let rec = match state.store().get_file(row).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, %row, "cannot look up the file of a deleted row");
            return;
        }
    };
    if let Err(e) = state
        .files()
        .delete(&ObjectPath::from(rec.path.as_str()))
        .await
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        tracing::error!(error = %e, path = %rec.path, "cannot delete a file");
    }
    if let Err(e) = state.store().delete_file(row).await {
        tracing::error!(error = %e, %row, "cannot delete file metadata");
    }
}

/// Deletes the bytes of every file of an item (before the item itself is deleted).
pub async fn delete_item_files(state: &AppState, item: Uuid) -> Result<()> {
    for rec in state.store().item_files(item).await? {
        match state
            .files()
            .delete(&ObjectPath::from(rec.path.as_str()))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
