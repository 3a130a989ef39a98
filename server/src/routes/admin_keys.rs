//! Integration API keys through the integration API: list (never the secret, which is not
//! stored), create (the secret is shown once) and revoke by id. Mounted by [`super::admin`]
//! behind its API-key check.

use crate::{
    AppState,
    config::Scope,
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    routes::admin_dto::ApiKeyInfo,
    secret,
};
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Body of `POST /api/admin/api-keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Unique name.
    pub name: String,
    /// Scopes (`read`, `write`).
    pub scopes: Vec<Scope>,
}

/// A created key: its listing plus the secret, which cannot be read again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    /// What the list shows.
    #[serde(flatten)]
    pub info: ApiKeyInfo,
    /// The secret (only the SHA-256 digest is stored).
    pub key: String,
}

/// List API keys
///
/// Every integration API key; secrets are never returned (only their digests are stored).
#[utoipa::path(get, path = "/api/admin/api-keys", tag = "admin",
    responses((status = 200, description = "Every key", body = [ApiKeyInfo]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ApiKeyInfo>>> {
    let keys = state.store().list_api_keys().await?;
    Ok(Json(keys.into_iter().map(ApiKeyInfo::from).collect()))
}

/// Create an API key
///
/// Creates a key with scopes; the secret `key` is in this answer only.
#[utoipa::path(post, path = "/api/admin/api-keys", tag = "admin",
    request_body = NewApiKey,
    responses((status = 201, description = "The key and its secret", body = CreatedApiKey),
        (status = 400, description = "FST_ERR_VALIDATION: empty name, unknown scope"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 409, description = "AFERR009: the name is taken")))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewApiKey>,
) -> Result<Response> {
    if b.name.trim().is_empty() || b.name.chars().count() > 300 {
        return Err(Error::BadRequest(
            "body/name must be 1–300 characters".into(),
        ));
    }
    let key = secret::random();
    let info: ApiKeyInfo = state
        .store()
        .create_api_key(&b.name, &key, &b.scopes)
        .await?
        .into();
    tracing::info!(
        "integration API: created api key {:?} ({})",
        info.name,
        info.id
    );
    Ok((StatusCode::CREATED, Json(CreatedApiKey { info, key })).into_response())
}

/// Revoke an API key
///
/// Revokes a key at once (a key declared in appframe.toml comes back at the next start unless
/// removed there).
#[utoipa::path(delete, path = "/api/admin/api-keys/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "FST_ERR_NOT_FOUND: unknown key")))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    if state.store().delete_api_key(id).await? {
        tracing::info!("integration API: revoked api key {id}");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no API key {id}")))
    }
}
