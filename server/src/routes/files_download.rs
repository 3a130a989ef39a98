//! File downloads of app data and app settings: a signed, expiring URL as text (never a
//! redirect), and the credential-less route behind that URL, which streams the bytes from
//! storage.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::ApiPath,
    routes::{rows, text},
};
use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use uuid::Uuid;

fn signed_url(state: &AppState, row: Uuid) -> Result<Response> {
    let t = state.jwt().sign_file(row)?;
    Ok(text(format!(
        "{}/api/files/{t}",
        state.config().server.public_url.trim_end_matches('/')
    )))
}

/// Get an app-data file's URL
///
/// A short-lived signed URL of a file row's bytes, as text.
#[utoipa::path(get, path = "/api/app-items/app-data/{id}/download", tag = "files",
    params(("id" = Uuid, Path, description = "App-data row")),
    responses((status = 200, body = String, content_type = "text/plain", description = "The signed URL"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"), (status = 404, description = "GAERR004: unknown row or not a file")),
    security(("appToken" = [])))]
pub async fn download_app_data(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response> {
    let access = token.access(&state, token.item_id(), true).await?;
    let row = match state.store().get_app_data(id).await? {
        Some(r) if r.item_id == access.item.id && rows::can_see(&access, &r) => r,
        _ => return Err(Error::AppDataNotFound),
    };
    if state.store().get_file(row.id).await?.is_none() {
        return Err(Error::NotFound("this app data has no file".into()));
    }
    signed_url(&state, row.id)
}

/// Get an app-setting file's URL
///
/// A short-lived signed URL of a file setting's bytes, as text.
#[utoipa::path(get, path = "/api/app-items/app-settings/{id}/download", tag = "files",
    params(("id" = Uuid, Path, description = "App-setting row")),
    responses((status = 200, body = String, content_type = "text/plain", description = "The signed URL"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"), (status = 404, description = "GAERR005: unknown setting or not a file")),
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

/// The single `Origin` of a request when a publisher registered it.
fn registered_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    match (all.next(), all.next()) {
        (Some(o), None) => o
            .to_str()
            .ok()
            .filter(|o| state.is_registered_origin(o))
            .map(|_| o.clone()),
        _ => None,
    }
}

/// Preflight of `GET /api/files/{token}`. Older Graasp clients (apps-query-client before
/// 3.7.5) fetch the signed URL with credentials, which makes the browser ask first: a
/// registered app origin gets its exact origin back with credentials allowed, for `GET` and
/// the `authorization` header only; any other origin gets 405 with no CORS header, as before.
pub async fn file_preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let asks = headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    match registered_origin(&state, &headers) {
        Some(origin) if asks => (
            StatusCode::NO_CONTENT,
            [
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
                (
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                ),
                (
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET"),
                ),
                (
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("authorization"),
                ),
                (
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("600"),
                ),
                (header::VARY, HeaderValue::from_static("origin")),
            ],
        )
            .into_response(),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [
                (header::ALLOW, HeaderValue::from_static("GET,HEAD")),
                (header::VARY, HeaderValue::from_static("origin")),
            ],
        )
            .into_response(),
    }
}

/// Download a file
///
/// The bytes behind a signed URL, with the stored type; the URL is the credential.
#[utoipa::path(get, path = "/api/files/{token}", tag = "files",
    params(("token" = String, Path, description = "From a download URL")),
    responses((status = 200, content_type = "application/octet-stream", body = String, description = "The file's bytes, with the stored type"), (status = 404, description = "FST_ERR_NOT_FOUND: invalid, expired or deleted")),
    security(()))]
pub async fn serve_file(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    headers: HeaderMap,
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
    let size = got.meta.size;
    // Streamed from storage as the client reads; never read whole into memory.
    let body = Body::from_stream(got.into_stream().map_err(Error::from));
    let mime = HeaderValue::from_str(&rec.mimetype)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let app_origin = registered_origin(&state, &headers);
    let allow_origin = app_origin
        .clone()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    let mut res = (
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, disposition(&rec.name)),
            // The URL is the credential, so any origin may fetch it without credentials; a
            // registered app origin also with them (older Graasp clients send them), which
            // needs its exact origin instead of `*`.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin),
            (header::VARY, HeaderValue::from_static("origin")),
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
        [(header::CONTENT_LENGTH, HeaderValue::from(size))],
        body,
    )
        .into_response();
    if app_origin.is_some() {
        res.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    Ok(res)
}
