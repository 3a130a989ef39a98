//! The `/api` routes, one module per URL segment.

pub mod admin;
pub mod app_action;
pub mod app_data;
pub mod app_items;
pub mod app_settings;
pub mod files;
pub mod host;
pub mod openapi;

use crate::{AppState, error::Error};
use axum::{
    Router,
    http::{HeaderValue, Method, header, request::Parts},
    response::{IntoResponse, Response},
};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// CORS of `/api/app-items/*`: exactly the registered publisher origins, with credentials
/// (the Graasp client sends `withCredentials`). The token route is excluded: only the host page
/// (same origin) calls it with its session cookie, and an app origin must never use that cookie.
fn app_cors(state: AppState) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, parts: &Parts| {
                !parts.uri.path().ends_with("/api-access-token")
                    && origin
                        .to_str()
                        .is_ok_and(|o| state.is_registered_origin(o))
            },
        ))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

/// Everything under `/api`.
pub fn api_router(state: AppState) -> Router {
    let app_items = app_items::router(state.clone())
        .merge(app_data::router(state.clone()))
        .merge(app_action::router(state.clone()))
        .merge(app_settings::router(state.clone()))
        .merge(files::app_router(state.clone()))
        .layer(app_cors(state.clone()));
    Router::new()
        .merge(app_items)
        .merge(files::public_router(state.clone()))
        .merge(host::router(state.clone()))
        .nest("/admin", admin::router(state.clone()))
        .merge(openapi::router())
        .fallback(not_found)
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
