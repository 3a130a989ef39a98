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

/// Log in (dev mode)
///
/// Sets the host session cookie for a member (only on a server in dev mode).
#[utoipa::path(post, path = "/api/login", tag = "host", request_body = LoginRequest,
    responses((status = 200, description = "The member; `Set-Cookie` carries the session", body = appframe_protocol::Member), (status = 404, description = "GERR005 unknown member; FST_ERR_NOT_FOUND the server is not in dev mode")),
    security(()))]
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

/// Log out
///
/// Ends the host session and clears the cookie. The body must be a JSON object (`{}`) sent as
/// `application/json`: a cross-site form can post only form or plain-text bodies, and a
/// cross-site `fetch` with JSON needs a CORS preflight, which host routes never grant; so only
/// the host page can log its user out.
#[utoipa::path(post, path = "/api/logout", tag = "host", request_body(content = Object, description = "`{}`", content_type = "application/json"),
    responses((status = 204, description = "Logged out"), (status = 400, description = "FST_ERR_VALIDATION: the body is not a JSON object; the session is kept"), (status = 415, description = "FST_ERR_CTP_INVALID_MEDIA_TYPE: not `Content-Type: application/json`; the session is kept")),
    security(("hostSession" = [])))]
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

/// Get the session's member
///
/// The member of the host session.
#[utoipa::path(get, path = "/api/me", tag = "host", responses((status = 200, description = "The member", body = appframe_protocol::Member), (status = 401, description = "GERR027: no session")),
    security(("hostSession" = [])))]
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
            key: app.map(|a| a.key.to_string()),
            manifest: app.and_then(|a| {
                state
                    .manifests()
                    .for_app_url(&a.url, state.config().server.apps_addr.as_deref())
                    .cloned()
            }),
        },
    }
}

/// List the member's items
///
/// The items the session's member has a membership on, with their app and permission.
#[utoipa::path(get, path = "/api/items", tag = "host", responses((status = 200, description = "The items", body = [HostItem]), (status = 401, description = "GERR027: no session")),
    security(("hostSession" = [])))]
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

/// Get one of the member's items
///
/// One item with its app and the member's permission.
#[utoipa::path(get, path = "/api/items/{id}", tag = "host", params(("id" = Uuid, Path, description = "Item")),
    responses((status = 200, description = "The item", body = HostItem), (status = 401, description = "GERR027: no session"), (status = 403, description = "GERR016: no membership"), (status = 404, description = "GERR002: unknown item")),
    security(("hostSession" = [])))]
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

/// Get the host configuration
///
/// What the host page needs to start: the `apiHost` apps call and whether the server is in dev mode.
#[utoipa::path(get, path = "/api/host-config", tag = "host", responses((status = 200, description = "The configuration", body = HostConfig)),
    security(()))]
pub async fn host_config(State(state): State<AppState>) -> Json<HostConfig> {
    Json(HostConfig {
        api_host: state.config().api_host(),
        dev: state.config().server.dev,
    })
}

/// List members (dev mode)
///
/// Every member, for the demo host's member switcher (only on a server in dev mode).
#[utoipa::path(get, path = "/api/members", tag = "host", responses((status = 200, description = "The members", body = [appframe_protocol::Member]), (status = 404, description = "FST_ERR_NOT_FOUND: the server is not in dev mode"), (status = 500, description = "GERR998: the store failed")),
    security(()))]
pub async fn members(State(state): State<AppState>) -> Result<Json<Vec<Member>>> {
    let accounts = state.store().list_accounts().await?;
    Ok(Json(accounts.iter().map(|a| a.member()).collect()))
}
