//! The `/api` routes, one module per URL segment.

pub mod admin;
pub mod admin_apps;
mod admin_checks;
pub mod admin_dto;
pub mod admin_items;
pub mod admin_keys;
pub mod admin_members;
pub mod admin_sessions;
mod api_key_layer;
pub mod app_action;
pub mod app_data;
pub mod app_items;
pub mod app_settings;
pub mod app_storage;
pub mod chat_bot;
pub mod export;
pub mod files;
pub mod files_download;
pub mod files_upload;
pub mod health;
pub mod host;
pub mod import;
mod import_report;
mod import_rows;
pub mod openapi;
pub mod rows;

use crate::{AppState, error::Error};
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};

/// Seconds a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: &str = "600";

/// CORS of `/api/app-items/*`: exactly the registered publisher origins (read from the state
/// at each request, so publisher changes apply at once), with credentials (the Graasp client
/// sends `withCredentials`). An origin that is not registered gets no CORS header at all, not
/// even `Allow-Credentials`. The token route is excluded: only the host page (same origin) calls
/// it with its session cookie, and an app origin must never use that cookie.
///
/// Hand-written because tower-http's `CorsLayer` sends `Allow-Credentials: true` to every
/// origin, allowed or not.
async fn app_cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Exactly one Origin header; a request carrying several is not trusted with any.
    let mut origins = req.headers().get_all(header::ORIGIN).iter();
    let single = match (origins.next(), origins.next()) {
        (Some(o), None) => Some(o),
        _ => None,
    };
    let origin = single
        .and_then(|o| o.to_str().ok())
        .filter(|o| {
            !req.uri().path().ends_with("/api-access-token") && state.is_registered_origin(o)
        })
        .and_then(|o| HeaderValue::from_str(o).ok());
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut res = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if !preflight {
            // The cursor-pagination extension puts the next page in `Link`; an app on another
            // origin can read it only when it is exposed.
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("link"),
            );
        } else {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET,POST,PUT,PATCH,DELETE,OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization,content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        }
    }
    res
}

/// Everything under `/api`.
pub fn api_router(state: AppState) -> Router {
    let app_items = app_items::router(state.clone())
        .merge(app_data::router(state.clone()))
        .merge(app_action::router(state.clone()))
        .merge(app_settings::router(state.clone()))
        .merge(app_storage::router(state.clone()))
        .merge(files::app_router(state.clone()))
        .merge(chat_bot::router(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), app_cors));
    Router::new()
        .merge(app_items)
        .merge(files::public_router(state.clone()))
        .merge(health::router())
        .merge(host::router(state.clone()))
        .nest("/admin", admin::router(state.clone()))
        .merge(crate::ws::router(state.clone()))
        .fallback(not_found)
}

/// What the official Graasp client calls outside `apiHost`'s path, served at the origin's
/// root: the websocket (`new URL('/ws', API_HOST)`) and the chat bot (`new URL('app-items/…',
/// apiHost)`, which drops `apiHost`'s last segment). Same handlers, auth and CORS as under
/// `/api`.
pub fn root_router(state: AppState) -> Router {
    Router::new()
        .merge(chat_bot::router(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), app_cors))
        .merge(crate::ws::router(state))
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    Error::NotFound(format!("Route {method}:{} not found", uri.path())).into_response()
}

/// A `200 text/plain` response (DELETE answers with the id; downloads with the URL).
pub(crate) fn text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// JSON with an optional `Link: rel="next"` header.
pub(crate) fn json_page<T: serde::Serialize>(rows: T, link: Option<HeaderValue>) -> Response {
    let mut res = axum::Json(rows).into_response();
    if let Some(l) = link {
        res.headers_mut().insert(header::LINK, l);
    }
    res
}

/// A JSON array assembled from already serialized elements. The bytes equal what serializing
/// the elements as a `Vec` gives (serde_json's compact form joins them with `,`), without
/// serializing them again.
pub(crate) fn json_array<'a>(elements: impl Iterator<Item = &'a [u8]> + Clone) -> bytes::Bytes {
    // Sized first: one allocation, no copies while growing.
    let len = elements.clone().fold(1, |n, e| n + e.len() + 1);
    let mut body = Vec::with_capacity(len.max(2));
    body.push(b'[');
    for (i, e) in elements.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e);
    }
    body.push(b']');
    body.into()
}

/// A `200 application/json` response with a prepared body (as `axum::Json` would send it).
pub(crate) fn json_response(body: bytes::Bytes) -> Response {
    let mut res = Response::new(axum::body::Body::from(body));
    // Room for every header the layers add (content type and length, CORS, vary, request id, CSP)
    // so the map is not rehashed while they are inserted.
    *res.headers_mut() = axum::http::HeaderMap::with_capacity(8);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// A `200 application/json` response whose body is a JSON array streamed element by element
/// (each element already serialized), so a list is never assembled in memory. An error while
/// streaming ends the body early (the client sees a truncated response, and it is logged).
pub(crate) fn json_array_stream<S>(elements: S, link: Option<HeaderValue>) -> Response
where
    S: futures::Stream<Item = Result<bytes::Bytes, Error>> + Send + 'static,
{
    use futures::StreamExt;
    const COMMA: bytes::Bytes = bytes::Bytes::from_static(b",");
    let open = futures::stream::once(async { Ok(bytes::Bytes::from_static(b"[")) });
    let close = futures::stream::once(async { Ok(bytes::Bytes::from_static(b"]")) });
    let body = elements.enumerate().flat_map(|(i, e)| {
        let e = e.inspect_err(|err| tracing::error!(error = %err, "list stream failed"));
        futures::stream::iter(match e {
            Ok(b) if i > 0 => vec![Ok(COMMA), Ok(b)],
            other => vec![other],
        })
    });
    let mut res = Response::new(axum::body::Body::from_stream(open.chain(body).chain(close)));
    *res.headers_mut() = axum::http::HeaderMap::with_capacity(8);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(l) = link {
        res.headers_mut().insert(header::LINK, l);
    }
    res
}
