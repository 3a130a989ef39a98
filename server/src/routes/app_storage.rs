//! The storage shim, `/app-items/{itemId}/appframe/storage[/{key}]` (an appframe extension):
//! string values under keys, per member and item, for apps that would use `localStorage`
//! (which throws in sandboxed frames).
//!
//! Every route needs an app token with an account and a membership on the item (any
//! permission: a reader keeps their own state too), and reaches only the caller's own keys:
//! the member comes from the token, never from the request. Writes are bounded by the
//! `[server]` storage quotas (403 `AFERR043`–`AFERR046`); a missing key is 404 `AFERR047`.
//! Nothing here is app data: it is never listed, published on `/ws` or exported.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    store::now,
};
use appframe_protocol::{
    StorageEntry, StorageKeys, StorageValue,
    routes::{PATH_STORAGE, PATH_STORAGE_KEY},
    storage::validate_key,
};
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_STORAGE, get(keys))
        .route(PATH_STORAGE_KEY, get(read).put(write).delete(remove))
        .with_state(state)
}

/// The caller's account id after the token, item and membership checks.
async fn member(state: &AppState, token: &AppToken, item_id: Uuid) -> Result<Uuid> {
    let access = token.access(state, item_id, true).await?;
    Ok(access.account()?.id)
}

/// `GET /api/app-items/{itemId}/appframe/storage`
#[utoipa::path(get, path = "/api/app-items/{item_id}/appframe/storage", tag = "storage",
    summary = "List the caller's storage keys",
    description = "The keys the calling member stored in this item's storage shim, in byte order. Each member sees only their own keys.",
    params(("item_id" = Uuid, Path, description = "App item")),
    responses((status = 200, body = appframe_protocol::StorageKeys),
        (status = 401, description = "GERR027, GAERR003, AFERR019, AFERR020"),
        (status = 403, description = "GERR016: no membership on the item")),
    security(("appToken" = [])))]
pub async fn keys(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
) -> Result<Json<StorageKeys>> {
    let account = member(&state, &token, item_id).await?;
    let keys = state.store().storage_keys(item_id, account).await?;
    Ok(Json(StorageKeys { keys }))
}

/// `GET /api/app-items/{itemId}/appframe/storage/{key}`
#[utoipa::path(get, path = "/api/app-items/{item_id}/appframe/storage/{key}", tag = "storage",
    summary = "Read one storage key",
    description = "The value the calling member stored under `key` (percent-encoded as one path segment).",
    params(("item_id" = Uuid, Path, description = "App item"), ("key" = String, Path, description = "Key, 1–256 bytes, no control characters")),
    responses((status = 200, body = appframe_protocol::StorageEntry),
        (status = 400, description = "Invalid key"),
        (status = 403, description = "GERR016: no membership on the item"),
        (status = 404, description = "AFERR047: the key is not stored")),
    security(("appToken" = [])))]
pub async fn read(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, key)): ApiPath<(Uuid, String)>,
) -> Result<Json<StorageEntry>> {
    validate_key(&key)?;
    let account = member(&state, &token, item_id).await?;
    match state.store().storage_get(item_id, account, &key).await? {
        Some((value, updated_at)) => Ok(Json(StorageEntry {
            key,
            value,
            updated_at,
        })),
        None => Err(Error::StorageKeyNotFound),
    }
}

/// `PUT /api/app-items/{itemId}/appframe/storage/{key}` with `{value}`.
#[utoipa::path(put, path = "/api/app-items/{item_id}/appframe/storage/{key}", tag = "storage",
    summary = "Write one storage key",
    description = "Stores `value` under the calling member's `key`, replacing what was there. Bounded by the `[server]` quotas `item_storage_keys`, `item_storage_bytes`, `member_storage_keys` and `member_storage_bytes` (key and value bytes count).",
    params(("item_id" = Uuid, Path, description = "App item"), ("key" = String, Path, description = "Key, 1–256 bytes, no control characters")),
    request_body(content = appframe_protocol::StorageValue),
    responses((status = 200, body = appframe_protocol::StorageEntry),
        (status = 400, description = "Invalid key or body"),
        (status = 403, description = "GERR016: no membership; AFERR043–AFERR046: a storage quota would be passed")),
    security(("appToken" = [])))]
pub async fn write(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, key)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<StorageValue>,
) -> Result<Json<StorageEntry>> {
    validate_key(&key)?;
    let account = member(&state, &token, item_id).await?;
    let at = now();
    let limits = state.config().server.limits();
    state
        .store()
        .storage_set(item_id, account, &key, &body.value, at, &limits)
        .await?;
    Ok(Json(StorageEntry {
        key,
        value: body.value,
        updated_at: at,
    }))
}

/// `DELETE /api/app-items/{itemId}/appframe/storage/{key}` → 204, stored or not (as
/// `localStorage.removeItem`).
#[utoipa::path(delete, path = "/api/app-items/{item_id}/appframe/storage/{key}", tag = "storage",
    summary = "Remove one storage key",
    description = "Removes the calling member's `key`; 204 whether or not it was stored.",
    params(("item_id" = Uuid, Path, description = "App item"), ("key" = String, Path, description = "Key, 1–256 bytes, no control characters")),
    responses((status = 204, description = "Removed (or was not stored)"),
        (status = 400, description = "Invalid key"),
        (status = 403, description = "GERR016: no membership on the item")),
    security(("appToken" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, key)): ApiPath<(Uuid, String)>,
) -> Result<StatusCode> {
    validate_key(&key)?;
    let account = member(&state, &token, item_id).await?;
    state.store().storage_remove(item_id, account, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
