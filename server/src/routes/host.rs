//! Routes of the host page (same origin, session cookie, no CORS for app origins):
//! `/login` and `/members` (dev mode only), `/logout`, `/me`, `/items`, `/items/{id}`,
//! `/host-config`.

use crate::{
    AppState,
    auth::{self, Session},
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    store::{ItemRecord, Publisher},
};
use appframe_protocol::{HostApp, HostConfig, HostItem, LoginRequest, Member, Permission};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    let mut r = Router::new()
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/items", get(items))
        .route("/items/{id}", get(item))
        .route("/host-config", get(host_config));
    // Outside dev mode these routes do not exist (404 from the fallback).
    if state.config().server.dev {
        r = r
            .route("/login", post(login))
            .route("/members", get(members));
    }
    r.with_state(state)
}

fn secure(state: &AppState) -> bool {
    state.config().https()
}

/// `POST /api/login {"memberId"}` (dev mode): sets the session cookie.
#[utoipa::path(post, path = "/api/login", tag = "host", request_body = LoginRequest,
    responses((status = 200, description = "`{id, name}` and Set-Cookie"), (status = 404, description = "Unknown member")))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response> {
    let account = state
        .store()
        .get_account(body.member_id.as_uuid())
        .await?
        .ok_or(Error::MemberNotFound)?;
    let (id, _) = auth::create_session(&state, account.id).await?;
    let cookie = auth::session_cookie(&id, auth::SESSION_TTL.whole_seconds(), secure(&state));
    let mut res = Json(account.member()).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /api/logout` with `Content-Type: application/json` and a JSON object body (`{}`):
/// ends the session and clears the cookie. A cross-site form can post only form or plain-text
/// bodies, and a cross-site `fetch` with JSON needs a CORS preflight, which host routes never
/// grant; so only the host page can log its user out.
#[utoipa::path(post, path = "/api/logout", tag = "host", request_body(content = Object, description = "`{}`", content_type = "application/json"),
    responses((status = 204, description = "Logged out"), (status = 400, description = "The body is not a JSON object; the session is kept"), (status = 415, description = "Not `Content-Type: application/json`; the session is kept")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    proof: std::result::Result<ApiJson<serde_json::Map<String, serde_json::Value>>, Error>,
) -> Result<Response> {
    proof.map_err(|e| match e {
        Error::UnsupportedMediaType(_) => Error::UnsupportedMediaType(
            "logout needs Content-Type: application/json and a JSON object body such as {}".into(),
        ),
        Error::BadRequest(m) => Error::BadRequest(format!("logout needs a JSON object body: {m}")),
        e => e,
    })?;
    if let Some(id) = auth::cookie(&headers, state.config().session_cookie_name()) {
        state.store().delete_session(id).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie("", 0, secure(&state))) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /api/me` → `{id, name}` or 401.
#[utoipa::path(get, path = "/api/me", tag = "host", responses((status = 200, description = "`{id, name}`"), (status = 401, description = "No session")))]
pub async fn me(session: Session) -> Json<Member> {
    Json(session.0.member())
}

/// Builds a host item from the registry (apps and publishers loaded once per request).
fn host_item(
    state: &AppState,
    item: ItemRecord,
    permission: Permission,
    apps: &[crate::store::AppRecord],
    publishers: &[Publisher],
) -> HostItem {
    let app = apps.iter().find(|a| a.name == item.app);
    let origins = app
        .and_then(|a| publishers.iter().find(|p| p.name == a.publisher))
        .map(|p| p.origins.clone())
        .unwrap_or_default();
    HostItem {
        id: item.id.into(),
        name: item.name,
        description: item.description,
        lang: item.lang,
        settings: item.settings,
        permission,
        app: HostApp {
            name: item.app,
            url: app.map(|a| a.url.clone()).unwrap_or_default(),
            origins,
            manifest: app.and_then(|a| {
                state
                    .manifests()
                    .for_app_url(&a.url, state.config().server.apps_addr.as_deref())
                    .cloned()
            }),
        },
    }
}

/// `GET /api/items`: the items the session member has a membership on.
#[utoipa::path(get, path = "/api/items", tag = "host", responses((status = 200, description = "`[HostItem]`", body = [HostItem]), (status = 401, description = "No session")))]
pub async fn items(State(state): State<AppState>, session: Session) -> Result<Json<Vec<HostItem>>> {
    let store = state.store();
    let memberships = store.list_memberships(None, Some(session.0.id)).await?;
    let apps = store.list_apps().await?;
    let publishers = store.list_publishers().await?;
    let mut out = Vec::with_capacity(memberships.len());
    for m in memberships {
        if let Some(item) = store.get_item(m.item).await? {
            out.push(host_item(&state, item, m.permission, &apps, &publishers));
        }
    }
    Ok(Json(out))
}

/// `GET /api/items/{id}`: one item (404 unknown, 403 GERR016 without membership).
#[utoipa::path(get, path = "/api/items/{id}", tag = "host", params(("id" = Uuid, Path, description = "Item")),
    responses((status = 200, description = "HostItem", body = HostItem), (status = 403, description = "GERR016"), (status = 404, description = "GERR002")))]
pub async fn item(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<HostItem>> {
    let store = state.store();
    let item = store.get_item(id).await?.ok_or(Error::ItemNotFound)?;
    let permission = store
        .permission(session.0.id, id)
        .await?
        .ok_or(Error::CannotAccess)?;
    let apps = store.list_apps().await?;
    let publishers = store.list_publishers().await?;
    Ok(Json(host_item(
        &state,
        item,
        permission,
        &apps,
        &publishers,
    )))
}

/// `GET /api/host-config` → `{apiHost, dev}`.
#[utoipa::path(get, path = "/api/host-config", tag = "host", responses((status = 200, description = "`{apiHost, dev}`", body = HostConfig)))]
pub async fn host_config(State(state): State<AppState>) -> Json<HostConfig> {
    Json(HostConfig {
        api_host: state.config().api_host(),
        dev: state.config().server.dev,
    })
}

/// `GET /api/members` (dev mode): every member, for the demo member switcher.
#[utoipa::path(get, path = "/api/members", tag = "host", responses((status = 200, description = "`[{id, name}]`")))]
pub async fn members(State(state): State<AppState>) -> Result<Json<Vec<Member>>> {
    let accounts = state.store().list_accounts().await?;
    Ok(Json(accounts.iter().map(|a| a.member()).collect()))
}
