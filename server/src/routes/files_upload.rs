//! File uploads of app data and app settings.
//!
//! Uploads are multipart (one file, field `files`; settings take a `name` field first). The
//! item comes from the token (the `?id=` query is ignored, as in Graasp). Bytes go to object
//! storage under `apps/app-data/<itemId>/<rowId>` or `apps/app-setting/<itemId>/<rowId>`.
//!
//! Bytes are never held whole in memory: an upload is written to storage chunk by chunk as it
//! arrives (a multipart upload, at most a few parts buffered) and stopped at the first byte past
//! the file size limit or the item's or member's file quota. The row and the file record are
//! stored in one quota-checked transaction after the bytes, and the bytes are deleted again if
//! that is refused.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    quota::{Exceeded, Limits},
    routes::rows,
    store::{AppDataRow, AppSettingRow, FileOwner, FileRecord, now},
};
use appframe_protocol::{AppData, AppSetting, JsonObject, Visibility, rules, ws::Op};
use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use object_store::{WriteMultipart, path::Path as ObjectPath};
use serde_json::json;
use uuid::Uuid;

struct Upload {
    name: Option<String>,
    file_name: String,
    mimetype: String,
    size: i64,
}

/// Upload parts in flight to storage at once (each up to object_store's 5 MiB part size).
const PARTS_IN_FLIGHT: usize = 2;

/// How large the file of an upload may be, and what refuses more.
#[derive(Clone, Copy)]
struct Room {
    /// `max_file_bytes`.
    max_file: usize,
    /// Bytes left under the item's and the member's file quotas...
    quota: i64,
    /// ...and the quota a larger file would pass.
    passed: Exceeded,
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

/// Reads the multipart body: an optional `name` text field and exactly one file, whose bytes
/// are written to `path` in storage as they arrive. Past `room` the upload stops: 413 for the
/// file size limit, 403 for a quota. On any error nothing is left in storage.
async fn read_upload(
    state: &AppState,
    mp: std::result::Result<Multipart, MultipartRejection>,
    path: &ObjectPath,
    room: Room,
) -> Result<Upload> {
    let mut file: Option<Upload> = None;
    let r = read_fields(state, mp, path, room, &mut file).await;
    if r.is_err() && file.is_some() {
        // The bytes were stored before a later field turned out bad.
        let _ = state.files().delete(path).await;
    }
    let name = r?;
    let mut up =
        file.ok_or_else(|| Error::BadRequest("multipart: no file in the upload".into()))?;
    up.name = name;
    Ok(up)
}

/// The fields of [`read_upload`]; sets `file` once its bytes are stored; returns `name`.
async fn read_fields(
    state: &AppState,
    mp: std::result::Result<Multipart, MultipartRejection>,
    path: &ObjectPath,
    room: Room,
    file: &mut Option<Upload>,
) -> Result<Option<String>> {
    let mut mp = mp.map_err(multipart_err)?;
    let mut name = None;
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
                    // PostgreSQL cannot store U+0000 in text (a 500 there, stored on SQLite).
                    if v.contains('\0') {
                        return Err(Error::BadRequest(
                            "multipart: name must not contain the character U+0000".into(),
                        ));
                    }
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
                let upload = state.files().put_multipart(path).await?;
                let mut out = WriteMultipart::new(upload);
                match write_field(&mut field, &mut out, room).await {
                    Ok(size) => {
                        out.finish().await?;
                        *file = Some(Upload {
                            name: None,
                            file_name,
                            mimetype,
                            size,
                        });
                    }
                    Err(e) => {
                        let _ = out.abort().await;
                        return Err(e);
                    }
                }
            }
        }
    }
    Ok(name)
}

/// Copies a file field into storage, counting bytes against `room`; its size.
async fn write_field(
    field: &mut axum::extract::multipart::Field<'_>,
    out: &mut WriteMultipart,
    room: Room,
) -> Result<i64> {
    let mut size = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(multipart_err)? {
        size += chunk.len();
        if size > room.max_file {
            return Err(Error::PayloadTooLarge(format!(
                "the file is larger than {} bytes",
                room.max_file
            )));
        }
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        if size > room.quota {
            return Err(Error::Quota(room.passed));
        }
        out.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        out.write(&chunk);
    }
    Ok(i64::try_from(size).unwrap_or(i64::MAX))
}

/// The key Graasp wrote a file's metadata under while its files lived on S3
/// (`FILE_ITEM_TYPE = 's3File'`); apps built against those deployments, e.g. with
/// apps-query-client 3.7.x, read the name from there.
pub const LEGACY_FILE_KEY: &str = "s3File";

/// A file row's `data`: the metadata under `file` (current Graasp) and the same object under
/// [`LEGACY_FILE_KEY`]. Written under both at upload rather than chosen per app: an app does
/// not say which client version it was built with (and may be rebuilt with another at any
/// time), Graasp chose the key per deployment, not per app, so old and new apps each find the
/// key they read, and it costs one copy of a few short strings per file row. Rows uploaded
/// before this change keep `file` only.
fn file_data(path: &str, up: &Upload) -> JsonObject {
    let meta =
        json!({ "path": path, "name": up.file_name, "mimetype": up.mimetype, "size": up.size });
    let mut m = JsonObject::new();
    m.insert(LEGACY_FILE_KEY.into(), meta.clone());
    m.insert("file".into(), meta);
    m
}

/// Refuses at once when the item or `account` has no file left, else the room for one more.
async fn room_for(state: &AppState, item: Uuid, account: Uuid, limits: &Limits) -> Result<Room> {
    let usage = state.store().file_usage(item, account).await?;
    let (quota, passed) = limits.file_room(usage).map_err(Error::Quota)?;
    Ok(Room {
        max_file: state.config().server.max_file_bytes,
        quota,
        passed,
    })
}

/// Stores the row and the file record (quota-checked, one transaction); deletes the bytes
/// again if that fails.
async fn record_file(
    state: &AppState,
    owner: FileOwner<'_>,
    rec: &FileRecord,
    account: Uuid,
    limits: &Limits,
) -> Result<()> {
    if let Err(e) = state.store().insert_file(owner, rec, account, limits).await {
        let _ = state
            .files()
            .delete(&ObjectPath::from(rec.path.as_str()))
            .await;
        return Err(e);
    }
    Ok(())
}

/// Upload a file as app data
///
/// Stores one file (multipart field `files`) and an app-data row of type `file` pointing to it,
/// within the file quotas.
#[utoipa::path(post, path = "/api/app-items/app-data/upload", tag = "files",
    params(("id" = Uuid, Query, description = "App item")),
    request_body(content_type = "multipart/form-data", content = Object, description = "Field `files`: one file"),
    responses((status = 200, body = appframe_protocol::AppData, description = "The new file row"), (status = 400, description = "FST_ERR_VALIDATION: no file"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR003 cannot write; AFERR015 a file quota is used up"), (status = 413, description = "FST_ERR_CTP_BODY_TOO_LARGE: file too large")),
    security(("appToken" = [])))]
pub async fn upload_app_data(
    State(state): State<AppState>,
    token: AppToken,
    mp: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<AppData>> {
    let item_id = token.item_id();
    let access = token.access(&state, item_id, true).await?;
    let me = access.account()?.member();
    let me_id = me.id.as_uuid();
    let limits = state.config().server.limits();
    let room = room_for(&state, item_id, me_id, &limits).await?;
    let id = Uuid::new_v4();
    let path = format!("apps/app-data/{item_id}/{id}");
    let up = read_upload(&state, mp, &ObjectPath::from(path.as_str()), room).await?;
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
    let rec = FileRecord {
        row_id: id,
        item_id,
        path,
        name: up.file_name.clone(),
        mimetype: up.mimetype.clone(),
        size: up.size,
    };
    record_file(&state, FileOwner::Data(&row), &rec, me_id, &limits).await?;
    let wire = row.into_wire();
    rows::publish_data(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}

/// Upload a file as an app setting
///
/// Stores one file and an app setting pointing to it (item admins only; field `name`, default
/// `file`, then `files`).
#[utoipa::path(post, path = "/api/app-items/app-settings/upload", tag = "files",
    params(("id" = Uuid, Query, description = "App item")),
    request_body(content_type = "multipart/form-data", content = Object, description = "Field `name` (default `file`), then `files`"),
    responses((status = 200, body = appframe_protocol::AppSetting, description = "The new file setting"), (status = 400, description = "FST_ERR_VALIDATION: no file"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR004: admins only"), (status = 413, description = "FST_ERR_CTP_BODY_TOO_LARGE: file too large")),
    security(("appToken" = [])))]
pub async fn upload_app_setting(
    State(state): State<AppState>,
    token: AppToken,
    mp: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<AppSetting>> {
    let item_id = token.item_id();
    let access = token.access(&state, item_id, true).await?;
    // Upstream forgets this check; settings are admin-only, uploads included.
    if !rules::can_write_settings(access.permission) {
        return Err(Error::CannotAdmin);
    }
    let me = access.account()?.member();
    let me_id = me.id.as_uuid();
    let limits = state.config().server.limits();
    let room = room_for(&state, item_id, me_id, &limits).await?;
    let id = Uuid::new_v4();
    let path = format!("apps/app-setting/{item_id}/{id}");
    let up = read_upload(&state, mp, &ObjectPath::from(path.as_str()), room).await?;
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
    let rec = FileRecord {
        row_id: id,
        item_id,
        path,
        name: up.file_name.clone(),
        mimetype: up.mimetype.clone(),
        size: up.size,
    };
    record_file(&state, FileOwner::Setting(&row), &rec, me_id, &limits).await?;
    let wire = rows::setting_to_wire(row);
    rows::publish_setting(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}
