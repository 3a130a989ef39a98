//! The integration API under `/api/admin`, for platforms that embed apps from their own
//! backend. Authenticated by an API key (`api_key_layer.rs`): `Authorization: Bearer <key>`,
//! `?apiKey=<key>`, or an `apiKey` field of a form body. GET needs the `read` scope, everything
//! else `write`. This module is its router; the routes are in `admin_members.rs` (accounts and
//! memberships), `admin_items.rs`, `admin_apps.rs` (publishers and apps), `admin_sessions.rs`
//! (host sessions and app tokens), `admin_keys.rs` (API keys), `export.rs` and `import.rs`;
//! their JSON shapes in `admin_dto.rs`, the checks they share in `admin_checks.rs`.

use crate::{
    AppState,
    routes::{
        admin_apps::{
            delete_app, delete_publisher, get_app, list_apps, list_publishers, put_app,
            put_publisher,
        },
        admin_items::{create_item, delete_item, get_item, list_items, patch_item},
        admin_members::{
            create_member, delete_member, delete_membership, get_member, list_members,
            list_memberships, patch_member, set_membership,
        },
        admin_sessions::{create_app_token, create_session},
    },
};
use axum::{
    Router, middleware,
    routing::{delete, get, post},
};

/// The integration API's routes, behind the API-key check.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/members", get(list_members).post(create_member))
        .route(
            "/members/{id}",
            get(get_member).patch(patch_member).delete(delete_member),
        )
        .route("/items", get(list_items).post(create_item))
        .route(
            "/items/{id}",
            get(get_item).patch(patch_item).delete(delete_item),
        )
        .route("/items/{id}/export", get(super::export::export))
        .route("/items/{id}/import", post(super::import::import))
        .route("/memberships", get(list_memberships).post(set_membership))
        .route("/memberships/{item}/{member}", delete(delete_membership))
        .route("/publishers", get(list_publishers).post(put_publisher))
        .route("/publishers/{name}", delete(delete_publisher))
        .route("/apps", get(list_apps).post(put_app))
        .route("/apps/{name}", get(get_app).delete(delete_app))
        .route("/sessions", post(create_session))
        .route("/app-tokens", post(create_app_token))
        .route(
            "/api-keys",
            get(super::admin_keys::list).post(super::admin_keys::create),
        )
        .route("/api-keys/{id}", delete(super::admin_keys::revoke))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            super::api_key_layer::require_api_key,
        ))
        .with_state(state)
}
