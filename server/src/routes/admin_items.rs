//! The integration API's app items.

use crate::{
    AppState,
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    routes::{
        admin_checks::{nonempty, refuse_deactivated},
        admin_dto::AdminItem,
        files::delete_item_files,
    },
    store::{Entry, ItemRecord, now},
};
use appframe_protocol::JsonObject;
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

/// Body of `POST /api/admin/items`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Id (generated when absent).
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// App name.
    pub app: String,
    /// Description.
    pub description: Option<String>,
    /// Language (default `en`).
    pub lang: Option<String>,
    /// Item settings.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<JsonObject>,
}

/// Body of `PATCH /api/admin/items/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchItem {
    /// New name.
    pub name: Option<String>,
    /// New app.
    pub app: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New language.
    pub lang: Option<String>,
    /// New settings (replace).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<JsonObject>,
}

async fn require_app(state: &AppState, name: &str) -> Result<()> {
    match state.store().get_app(name).await? {
        Some(_) => Ok(()),
        None => Err(Error::BadRequest(format!("body/app: unknown app {name:?}"))),
    }
}

/// List items
///
/// Every app item, in creation order.
#[utoipa::path(get, path = "/api/admin/items", tag = "admin",
    responses((status = 200, description = "Every item", body = [AdminItem]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_items(State(state): State<AppState>) -> Result<Json<Vec<AdminItem>>> {
    let items = state.store().list_items().await?;
    Ok(Json(items.into_iter().map(AdminItem::from).collect()))
}

/// Create an item
///
/// Creates an app item of a registered app, with the given `id` or a new one.
#[utoipa::path(post, path = "/api/admin/items", tag = "admin",
    request_body = NewItem,
    responses((status = 201, description = "The new item", body = AdminItem),
        (status = 400, description = "FST_ERR_VALIDATION: unknown app, empty name"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 409, description = "AFERR009: the id exists, or appframe.toml deactivated it")))]
pub async fn create_item(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewItem>,
) -> Result<Response> {
    nonempty("name", &b.name)?;
    require_app(&state, &b.app).await?;
    let id = b.id.unwrap_or_else(Uuid::new_v4);
    refuse_deactivated(&state, Entry::Item(id)).await?;
    if state.store().get_item(id).await?.is_some() {
        return Err(Error::Conflict(format!("item {id} already exists")));
    }
    let at = now();
    let item = ItemRecord {
        id,
        name: b.name,
        app: b.app,
        description: b.description,
        lang: b.lang.unwrap_or_else(|| "en".into()),
        settings: b.settings.unwrap_or_default(),
        created_at: at,
        updated_at: at,
    };
    state.store().upsert_item(&item).await?;
    Ok((StatusCode::CREATED, Json(AdminItem::from(item))).into_response())
}

/// Get an item
///
/// One app item by id.
#[utoipa::path(get, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 200, description = "The item", body = AdminItem), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
pub async fn get_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AdminItem>> {
    let item = state
        .store()
        .get_item(id)
        .await?
        .ok_or(Error::ItemNotFound)?;
    Ok(Json(item.into()))
}

/// Change an item
///
/// Changes an item's name, app, description, language or settings; absent fields are kept.
#[utoipa::path(patch, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    request_body = PatchItem,
    responses((status = 200, description = "The changed item", body = AdminItem),
        (status = 400, description = "FST_ERR_VALIDATION: unknown app, empty name or language"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
pub async fn patch_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<PatchItem>,
) -> Result<Json<AdminItem>> {
    let mut item = state
        .store()
        .get_item(id)
        .await?
        .ok_or(Error::ItemNotFound)?;
    if let Some(n) = b.name {
        nonempty("name", &n)?;
        item.name = n;
    }
    if let Some(a) = b.app {
        require_app(&state, &a).await?;
        item.app = a;
    }
    if let Some(d) = b.description {
        item.description = Some(d);
    }
    if let Some(l) = b.lang {
        nonempty("lang", &l)?;
        item.lang = l;
    }
    if let Some(s) = b.settings {
        item.settings = s;
    }
    item.updated_at = now();
    state.store().upsert_item(&item).await?;
    Ok(Json(item.into()))
}

/// Delete an item
///
/// Deletes an item with its memberships, app data, actions, settings and files.
#[utoipa::path(delete, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
pub async fn delete_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    if state.store().get_item(id).await?.is_none() {
        return Err(Error::ItemNotFound);
    }
    delete_item_files(&state, id).await?;
    state.store().delete_item(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
