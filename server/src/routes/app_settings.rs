//! `/app-items/{itemId}/app-settings[/{id}]`.
//!
//! Reading needs access to the item; creating, patching and deleting need **admin** (403
//! `GERR004`). A file setting cannot be patched (403 `GAERR008`); deleting it deletes the bytes.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery, PageQuery, paginate},
    routes::{
        files::delete_row_file,
        json_page,
        rows::{publish_setting, setting_to_wire},
        text,
    },
    store::{AppSettingRow, now},
};
use appframe_protocol::{
    AppSetting, CreateAppSetting, PatchData,
    routes::{PATH_APP_SETTINGS, PATH_APP_SETTINGS_ONE},
    rules,
    ws::Op,
};
use axum::{
    Json, Router,
    extract::{OriginalUri, State},
    response::Response,
    routing::{get, patch},
};
use serde::Deserialize;
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_APP_SETTINGS, get(list).post(create))
        .route(PATH_APP_SETTINGS_ONE, patch(update).delete(delete))
        .with_state(state)
}

/// Query of the list route.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Exact name.
    pub name: Option<String>,
    /// Page size (extension).
    pub limit: Option<i64>,
    /// Cursor (extension).
    pub cursor: Option<String>,
}

/// List app settings
///
/// The item's settings, optionally with an exact name.
#[utoipa::path(get, path = "/api/app-items/{item_id}/app-settings", tag = "app-settings",
    params(("item_id" = Uuid, Path, description = "App item"), ("name" = Option<String>, Query, description = "Exact name"),
        ("limit" = Option<i64>, Query, description = "Page size (extension)"), ("cursor" = Option<String>, Query, description = "From the Link header")),
    responses((status = 200, body = Vec<appframe_protocol::AppSetting>, description = "The settings"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"), (status = 403, description = "GERR016: the token's member cannot access this item")),
    security(("appToken" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    token.access(&state, item_id, false).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = state
        .store()
        .list_app_settings(item_id, q.name.as_deref(), page)
        .await?;
    let (rows, link) = paginate(rows, page, &state.config().server.public_url, &uri, |r| {
        (r.created_at, r.id)
    });
    let wire: Vec<AppSetting> = rows.into_iter().map(setting_to_wire).collect();
    Ok(json_page(wire, link))
}

/// Create an app setting
///
/// Stores a setting (item admins only) and publishes it.
#[utoipa::path(post, path = "/api/app-items/{item_id}/app-settings", tag = "app-settings",
    params(("item_id" = Uuid, Path, description = "App item")),
    request_body(content = appframe_protocol::CreateAppSetting),
    responses((status = 200, body = appframe_protocol::AppSetting, description = "The new setting"), (status = 400, description = "FST_ERR_VALIDATION"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR004: admins only")),
    security(("appToken" = [])))]
pub async fn create(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateAppSetting>,
) -> Result<Json<AppSetting>> {
    body.validate()?;
    let access = token.access(&state, item_id, true).await?;
    if !rules::can_write_settings(access.permission) {
        return Err(Error::CannotAdmin);
    }
    let at = now();
    let row = AppSettingRow {
        id: Uuid::new_v4(),
        item_id,
        name: body.name,
        data: body.data,
        creator: Some(access.account()?.member()),
        created_at: at,
        updated_at: at,
    };
    state.store().insert_app_setting(&row).await?;
    let wire = setting_to_wire(row);
    publish_setting(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}

async fn row_of_item(state: &AppState, item_id: Uuid, id: Uuid) -> Result<AppSettingRow> {
    match state.store().get_app_setting(id).await? {
        Some(r) if r.item_id == item_id => Ok(r),
        _ => Err(Error::AppSettingNotFound),
    }
}

/// Change an app setting
///
/// Replaces a setting's `data` (item admins only; a file setting cannot be changed).
#[utoipa::path(patch, path = "/api/app-items/{item_id}/app-settings/{id}", tag = "app-settings",
    params(("item_id" = Uuid, Path, description = "App item"), ("id" = Uuid, Path, description = "Setting")),
    request_body(content = appframe_protocol::PatchData),
    responses((status = 200, body = appframe_protocol::AppSetting, description = "The changed setting"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR004 admins only; GAERR008 file"), (status = 404, description = "GAERR005: unknown setting")),
    security(("appToken" = [])))]
pub async fn update(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<PatchData>,
) -> Result<Json<AppSetting>> {
    let access = token.access(&state, item_id, true).await?;
    if !rules::can_write_settings(access.permission) {
        return Err(Error::CannotAdmin);
    }
    let mut row = row_of_item(&state, item_id, id).await?;
    if row.data.contains_key("file") {
        return Err(Error::CannotPatchFile);
    }
    let at = now();
    if !state.store().update_app_setting(id, &body.data, at).await? {
        return Err(Error::AppSettingNotFound);
    }
    row.data = body.data;
    row.updated_at = at;
    let wire = setting_to_wire(row);
    publish_setting(&state, item_id, Op::Patch, &wire);
    Ok(Json(wire))
}

/// Delete an app setting
///
/// Deletes a setting (item admins only); answers with the deleted id as text.
#[utoipa::path(delete, path = "/api/app-items/{item_id}/app-settings/{id}", tag = "app-settings",
    params(("item_id" = Uuid, Path, description = "App item"), ("id" = Uuid, Path, description = "Setting")),
    responses((status = 200, body = String, content_type = "text/plain", description = "The deleted id"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR004: admins only"), (status = 404, description = "GAERR005: unknown setting")),
    security(("appToken" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Response> {
    let access = token.access(&state, item_id, true).await?;
    if !rules::can_write_settings(access.permission) {
        return Err(Error::CannotAdmin);
    }
    let row = row_of_item(&state, item_id, id).await?;
    if !state.store().delete_app_setting(id).await? {
        return Err(Error::AppSettingNotFound);
    }
    publish_setting(&state, item_id, Op::Delete, &setting_to_wire(row));
    delete_row_file(&state, id).await;
    Ok(text(id.hyphenated().to_string()))
}
