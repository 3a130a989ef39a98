//! `/app-items/{itemId}/api-access-token`, `/app-items/{itemId}/context`, `/app-items/list`.

use crate::{
    AppState,
    auth::{AppToken, MintKey, Session, TokenSubject, limit_mint},
    error::{Error, Result},
    extract::{ApiJson, ApiPath},
    store::ItemRecord,
};
use appframe_protocol::{
    AppContext, AppExtra, AppExtraApp, AppItem, AppListEntry, TokenRequest, TokenResponse,
    routes::{PATH_APP_LIST, PATH_CONTEXT, PATH_TOKEN},
};
use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_TOKEN, post(token))
        .route(PATH_CONTEXT, get(context))
        .route(PATH_APP_LIST, get(list))
        .with_state(state)
}

/// Checks that `key` is the key of `item`'s app and `origin` one of its publisher's origins
/// (Graasp's intended `isValidAppOrigin`, which upstream never enforces): 403 GAERR002.
pub async fn check_key_origin(
    state: &AppState,
    item: &ItemRecord,
    key: Uuid,
    origin: &str,
) -> Result<()> {
    // What browsers send from sandboxed or opaque contexts; never an app's origin.
    if origin == "null" {
        return Err(Error::InvalidAppOrigin);
    }
    let store = state.store();
    let app = store
        .get_app(&item.app)
        .await?
        .ok_or(Error::InvalidAppOrigin)?;
    if app.key != key {
        return Err(Error::InvalidAppOrigin);
    }
    let publishers = store.list_publishers().await?;
    let ok = publishers
        .iter()
        .any(|p| p.name == app.publisher && p.origins.iter().any(|o| o == origin));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidAppOrigin)
    }
}

/// Mints an app token for `account` on `item` after the key/origin and membership checks,
/// bound to the host session of handle `sid` when there is one.
pub async fn mint_token(
    state: &AppState,
    account: Uuid,
    item_id: Uuid,
    key: Uuid,
    origin: &str,
    sid: Option<&str>,
) -> Result<String> {
    let store = state.store();
    let item = store.get_item(item_id).await?.ok_or(Error::ItemNotFound)?;
    check_key_origin(state, &item, key, origin).await?;
    store
        .permission(account, item.id)
        .await?
        .ok_or(Error::CannotAccess)?;
    let sub = TokenSubject {
        account_id: Some(account),
        item_id: item.id,
        key,
        origin: origin.to_owned(),
    };
    state.jwt().sign(sub, sid)
}

/// Get an app token
///
/// The host page asks for an app token for the item it embeds, with its session cookie and the
/// app's key and origin. The token is bound to the session, the item and the app's origin.
#[utoipa::path(post, path = "/api/app-items/{item_id}/api-access-token", tag = "app-items",
    params(("item_id" = Uuid, Path, description = "App item")),
    request_body(content = appframe_protocol::TokenRequest),
    responses((status = 200, body = appframe_protocol::TokenResponse, description = "The token"),
        (status = 401, description = "GERR027: no host session"),
        (status = 403, description = "GAERR002 bad key or origin; GERR016 no membership"), (status = 404, description = "GERR002: unknown item"),
        (status = 429, description = "AFERR021: too many tokens for this session and item (`Retry-After`)")),
    security(("hostSession" = [])))]
pub async fn token(
    State(state): State<AppState>,
    Session(account, handle): Session,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>> {
    // Counted before the checks: refused attempts cost the server as much as granted ones.
    limit_mint(&state, &MintKey::Session(handle.as_str().into(), item_id))?;
    let token = mint_token(
        &state,
        account.id,
        item_id,
        body.key,
        &body.origin,
        Some(&handle),
    )
    .await?;
    Ok(Json(TokenResponse { token }))
}

/// Graasp's ltree path of an item (`-` becomes `_`).
pub fn item_path(id: Uuid) -> String {
    id.hyphenated().to_string().replace('-', "_")
}

/// The app item as in an [`AppContext`].
pub async fn app_item(state: &AppState, item: &ItemRecord) -> Result<AppItem> {
    let url = state
        .store()
        .get_app(&item.app)
        .await?
        .map(|a| a.url)
        .unwrap_or_default();
    Ok(AppItem {
        id: item.id.into(),
        name: item.name.clone(),
        description: item.description.clone(),
        path: item_path(item.id),
        lang: item.lang.clone(),
        settings: item.settings.clone(),
        ty: "app".into(),
        extra: AppExtra {
            app: AppExtraApp { url },
        },
        created_at: item.created_at,
        updated_at: item.updated_at,
    })
}

/// Get the app context
///
/// The item an app is embedded in and the members of the item (Graasp's context route).
#[utoipa::path(get, path = "/api/app-items/{item_id}/context", tag = "app-items",
    params(("item_id" = Uuid, Path, description = "App item")),
    responses((status = 200, body = appframe_protocol::AppContext, description = "The item and its members"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"), (status = 403, description = "GERR016: the token's member cannot access this item")),
    security(("appToken" = [])))]
pub async fn context(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
) -> Result<Json<AppContext>> {
    let access = token.access(&state, item_id, false).await?;
    let item = app_item(&state, &access.item).await?;
    let members = if access.account.is_some() {
        state.store().item_members(access.item.id).await?
    } else {
        vec![]
    };
    Ok(Json(AppContext { item, members }))
}

/// List registered apps
///
/// The registered apps, for a host's app picker (public; keys are never shown).
#[utoipa::path(get, path = "/api/app-items/list", tag = "app-items",
    responses((status = 200, body = Vec<appframe_protocol::AppListEntry>, description = "The apps"),
        (status = 500, description = "GERR998: the store failed")),
    security(()))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AppListEntry>>> {
    let apps = state.store().list_apps().await?;
    Ok(Json(
        apps.into_iter()
            .map(|a| AppListEntry {
                name: a.name,
                description: a.description,
                url: a.url,
                thumbnail: a.thumbnail,
            })
            .collect(),
    ))
}
