//! The integration API's publishers (the origins their apps are served from) and apps.

use crate::{
    AppState,
    config::{is_origin, origin_of},
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    routes::{
        admin_checks::{nonempty, refuse_deactivated},
        admin_dto::{AdminApp, AdminPublisher},
    },
    store::{AppRecord, Entry, Publisher},
};
use axum::{Json, extract::State, http::StatusCode};

/// List publishers
///
/// Every publisher with the origins its apps are served from.
#[utoipa::path(get, path = "/api/admin/publishers", tag = "admin",
    responses((status = 200, description = "Every publisher", body = [AdminPublisher]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_publishers(State(state): State<AppState>) -> Result<Json<Vec<AdminPublisher>>> {
    let publishers = state.store().list_publishers().await?;
    Ok(Json(
        publishers.into_iter().map(AdminPublisher::from).collect(),
    ))
}

/// Put a publisher
///
/// Inserts or replaces a publisher by name. Its origins are where its apps may call the apps API
/// from (CORS) and what app tokens are bound to.
#[utoipa::path(post, path = "/api/admin/publishers", tag = "admin",
    request_body = AdminPublisher,
    responses((status = 200, description = "The publisher", body = AdminPublisher),
        (status = 400, description = "FST_ERR_VALIDATION: empty name, an origin that is not `scheme://host[:port]`"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn put_publisher(
    State(state): State<AppState>,
    ApiJson(p): ApiJson<AdminPublisher>,
) -> Result<Json<AdminPublisher>> {
    nonempty("name", &p.name)?;
    if let Some(o) = p.origins.iter().find(|o| !is_origin(o)) {
        return Err(Error::BadRequest(format!(
            "body/origins: {o:?} must be scheme://host[:port]"
        )));
    }
    let p = Publisher::from(p);
    state.store().upsert_publisher(&p).await?;
    state.refresh_origins().await?;
    Ok(Json(p.into()))
}

/// Delete a publisher
///
/// Deletes a publisher, its apps and their items.
#[utoipa::path(delete, path = "/api/admin/publishers/{name}", tag = "admin",
    params(("name" = String, Path, description = "Publisher name")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "FST_ERR_NOT_FOUND: unknown publisher")))]
pub async fn delete_publisher(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode> {
    let found = state.store().delete_publisher(&name).await?;
    state.refresh_origins().await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no publisher {name:?}")))
    }
}

/// List apps
///
/// Every registered app, with its key.
#[utoipa::path(get, path = "/api/admin/apps", tag = "admin",
    responses((status = 200, description = "Every app", body = [AdminApp]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_apps(State(state): State<AppState>) -> Result<Json<Vec<AdminApp>>> {
    let apps = state.store().list_apps().await?;
    Ok(Json(apps.into_iter().map(AdminApp::from).collect()))
}

/// Get an app
///
/// One registered app by name, with its key.
#[utoipa::path(get, path = "/api/admin/apps/{name}", tag = "admin",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, description = "The app", body = AdminApp), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "FST_ERR_NOT_FOUND: unknown app")))]
pub async fn get_app(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<AdminApp>> {
    state
        .store()
        .get_app(&name)
        .await?
        .map(|a| Json(a.into()))
        .ok_or_else(|| Error::NotFound(format!("no app {name:?}")))
}

/// Put an app
///
/// Inserts or replaces an app by name: its key, URL (on one of its publisher's origins), and
/// what the app list shows.
#[utoipa::path(post, path = "/api/admin/apps", tag = "admin",
    request_body = AdminApp,
    responses((status = 200, description = "The app", body = AdminApp),
        (status = 400, description = "FST_ERR_VALIDATION: unknown publisher, URL not on its origins"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 409, description = "AFERR009: appframe.toml deactivated this app")))]
pub async fn put_app(
    State(state): State<AppState>,
    ApiJson(a): ApiJson<AdminApp>,
) -> Result<Json<AdminApp>> {
    nonempty("name", &a.name)?;
    if origin_of(&a.url).is_none() {
        return Err(Error::BadRequest(
            "body/url must be an absolute http(s) URL".into(),
        ));
    }
    let publishers = state.store().list_publishers().await?;
    if !publishers.iter().any(|p| p.name == a.publisher) {
        return Err(Error::BadRequest(format!(
            "body/publisher: unknown publisher {:?}",
            a.publisher
        )));
    }
    refuse_deactivated(&state, Entry::App(a.name.clone())).await?;
    let a = AppRecord::from(a);
    state.store().upsert_app(&a).await?;
    Ok(Json(a.into()))
}

/// Delete an app
///
/// Deletes an app and its items.
#[utoipa::path(delete, path = "/api/admin/apps/{name}", tag = "admin",
    params(("name" = String, Path, description = "App name")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "FST_ERR_NOT_FOUND: unknown app")))]
pub async fn delete_app(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode> {
    if state.store().delete_app(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no app {name:?}")))
    }
}
