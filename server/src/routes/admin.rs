//! The integration API under `/api/admin`, for platforms that embed apps from their own
//! backend. Authenticated by an API key (`api_key_layer.rs`): `Authorization: Bearer <key>`,
//! `?apiKey=<key>`, or an `apiKey` field of a form body. GET needs the `read` scope, everything
//! else `write`. Its JSON shapes are in `admin_dto.rs`, the export in `export.rs`, API keys in
//! `admin_keys.rs`.

use crate::{
    AppState,
    auth::{self, ApiKey},
    config::{AccountKind, is_origin, origin_of},
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery},
    routes::admin_dto::{AdminApp, AdminItem, AdminMember, AdminMembership, AdminPublisher},
    routes::{app_items::mint_token, files::delete_item_files},
    store::{Account, AppRecord, Entry, ItemRecord, MembershipRecord, Publisher, now},
};
use appframe_protocol::{JsonObject, TokenResponse};
use axum::{
    Extension, Json, Router,
    extract::State,
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Routes of this module, behind the API-key check.
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

// ---- members ----

/// Body of `POST /api/admin/members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Id (generated when absent).
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// `member` (default) or `guest`.
    #[serde(default)]
    pub kind: AccountKind,
}

/// Body of `PATCH /api/admin/members/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchMember {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<AccountKind>,
}

/// 409 for an entry the configuration deactivated: writing it here would leave it inert, and
/// only the file may bring it back.
async fn refuse_deactivated(state: &AppState, entry: Entry) -> Result<()> {
    if state.store().deactivated(&entry).await? {
        return Err(Error::Conflict(format!(
            "{entry} was deactivated because appframe.toml no longer declares it; declare it \
             there again to restore it (its data was kept)"
        )));
    }
    Ok(())
}

fn nonempty(field: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() || s.chars().count() > 300 {
        return Err(Error::BadRequest(format!(
            "body/{field} must be 1–300 characters"
        )));
    }
    Ok(())
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/members", tag = "admin", responses((status = 200, description = "Every account"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn list_members(State(state): State<AppState>) -> Result<Json<Vec<AdminMember>>> {
    let accounts = state.store().list_accounts().await?;
    Ok(Json(accounts.into_iter().map(AdminMember::from).collect()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/members", tag = "admin", responses((status = 200, description = "Create a member `{id?, name, kind?}` → 201"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn create_member(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewMember>,
) -> Result<Response> {
    nonempty("name", &b.name)?;
    let id = b.id.unwrap_or_else(Uuid::new_v4);
    refuse_deactivated(&state, Entry::Member(id)).await?;
    if state.store().get_account(id).await?.is_some() {
        return Err(Error::Conflict(format!("member {id} already exists")));
    }
    let a = Account {
        id,
        name: b.name,
        kind: b.kind,
    };
    state.store().upsert_account(&a).await?;
    Ok((StatusCode::CREATED, Json(AdminMember::from(a))).into_response())
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/members/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "One account"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn get_member(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AdminMember>> {
    Ok(Json(
        state
            .store()
            .get_account(id)
            .await?
            .ok_or(Error::MemberNotFound)?
            .into(),
    ))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(patch, path = "/api/admin/members/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "Rename or change kind"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn patch_member(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<PatchMember>,
) -> Result<Json<AdminMember>> {
    let mut a = state
        .store()
        .get_account(id)
        .await?
        .ok_or(Error::MemberNotFound)?;
    if let Some(n) = b.name {
        nonempty("name", &n)?;
        a.name = n;
    }
    if let Some(k) = b.kind {
        a.kind = k;
    }
    state.store().upsert_account(&a).await?;
    Ok(Json(a.into()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(delete, path = "/api/admin/members/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "Delete an account and its rows → 204"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn delete_member(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    if state.store().delete_account(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::MemberNotFound)
    }
}

// ---- items ----

/// Body of `POST /api/admin/items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Id (generated when absent).
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// App name.
    pub app: String,
    /// Description.
    pub description: Option<String>,
    /// Language (default `en`).
    pub lang: Option<String>,
    /// Item settings.
    pub settings: Option<JsonObject>,
}

/// Body of `PATCH /api/admin/items/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchItem {
    /// New name.
    pub name: Option<String>,
    /// New app.
    pub app: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New language.
    pub lang: Option<String>,
    /// New settings (replace).
    pub settings: Option<JsonObject>,
}

async fn require_app(state: &AppState, name: &str) -> Result<()> {
    match state.store().get_app(name).await? {
        Some(_) => Ok(()),
        None => Err(Error::BadRequest(format!("body/app: unknown app {name:?}"))),
    }
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/items", tag = "admin", responses((status = 200, description = "Every item"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn list_items(State(state): State<AppState>) -> Result<Json<Vec<AdminItem>>> {
    let items = state.store().list_items().await?;
    Ok(Json(items.into_iter().map(AdminItem::from).collect()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/items", tag = "admin", responses((status = 200, description = "Create an item `{id?, name, app, description?, lang?, settings?}` → 201"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn create_item(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewItem>,
) -> Result<Response> {
    nonempty("name", &b.name)?;
    require_app(&state, &b.app).await?;
    let id = b.id.unwrap_or_else(Uuid::new_v4);
    refuse_deactivated(&state, Entry::Item(id)).await?;
    if state.store().get_item(id).await?.is_some() {
        return Err(Error::Conflict(format!("item {id} already exists")));
    }
    let at = now();
    let item = ItemRecord {
        id,
        name: b.name,
        app: b.app,
        description: b.description,
        lang: b.lang.unwrap_or_else(|| "en".into()),
        settings: b.settings.unwrap_or_default(),
        created_at: at,
        updated_at: at,
    };
    state.store().upsert_item(&item).await?;
    Ok((StatusCode::CREATED, Json(AdminItem::from(item))).into_response())
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/items/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "One item"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn get_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AdminItem>> {
    let item = state
        .store()
        .get_item(id)
        .await?
        .ok_or(Error::ItemNotFound)?;
    Ok(Json(item.into()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(patch, path = "/api/admin/items/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "Change an item"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn patch_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<PatchItem>,
) -> Result<Json<AdminItem>> {
    let mut item = state
        .store()
        .get_item(id)
        .await?
        .ok_or(Error::ItemNotFound)?;
    if let Some(n) = b.name {
        nonempty("name", &n)?;
        item.name = n;
    }
    if let Some(a) = b.app {
        require_app(&state, &a).await?;
        item.app = a;
    }
    if let Some(d) = b.description {
        item.description = Some(d);
    }
    if let Some(l) = b.lang {
        nonempty("lang", &l)?;
        item.lang = l;
    }
    if let Some(s) = b.settings {
        item.settings = s;
    }
    item.updated_at = now();
    state.store().upsert_item(&item).await?;
    Ok(Json(item.into()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(delete, path = "/api/admin/items/{id}", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "Delete an item, its rows and files → 204"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn delete_item(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    if state.store().get_item(id).await?.is_none() {
        return Err(Error::ItemNotFound);
    }
    delete_item_files(&state, id).await?;
    state.store().delete_item(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- memberships ----

/// Filters of `GET /api/admin/memberships`.
#[derive(Debug, Deserialize)]
pub struct MembershipFilter {
    /// Item id.
    pub item: Option<Uuid>,
    /// Member id.
    pub member: Option<Uuid>,
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/memberships", tag = "admin", responses((status = 200, description = "Memberships, `?item=&member=`"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn list_memberships(
    State(state): State<AppState>,
    ApiQuery(f): ApiQuery<MembershipFilter>,
) -> Result<Json<Vec<AdminMembership>>> {
    let memberships = state.store().list_memberships(f.item, f.member).await?;
    Ok(Json(
        memberships.into_iter().map(AdminMembership::from).collect(),
    ))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/memberships", tag = "admin", responses((status = 200, description = "Set `{member, item, permission}`"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn set_membership(
    State(state): State<AppState>,
    ApiJson(m): ApiJson<AdminMembership>,
) -> Result<Json<AdminMembership>> {
    if state.store().get_account(m.member).await?.is_none() {
        return Err(Error::MemberNotFound);
    }
    if state.store().get_item(m.item).await?.is_none() {
        return Err(Error::ItemNotFound);
    }
    let record = MembershipRecord::from(m);
    state.store().set_membership(&record).await?;
    Ok(Json(record.into()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(delete, path = "/api/admin/memberships/{item}/{member}", tag = "admin", params(("item" = String, Path, description = "item"), ("member" = String, Path, description = "member")), responses((status = 200, description = "Remove a membership → 204"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn delete_membership(
    State(state): State<AppState>,
    ApiPath((item, member)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    if state.store().delete_membership(member, item).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound("no such membership".into()))
    }
}

// ---- publishers and apps ----

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/publishers", tag = "admin", responses((status = 200, description = "Every publisher"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn list_publishers(State(state): State<AppState>) -> Result<Json<Vec<AdminPublisher>>> {
    let publishers = state.store().list_publishers().await?;
    Ok(Json(
        publishers.into_iter().map(AdminPublisher::from).collect(),
    ))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/publishers", tag = "admin", responses((status = 200, description = "Insert or replace `{name, origins}`"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
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

/// Integration API route (see the OpenAPI description).
#[utoipa::path(delete, path = "/api/admin/publishers/{name}", tag = "admin", params(("name" = String, Path, description = "name")), responses((status = 200, description = "Delete a publisher, its apps and their items → 204"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
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

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/apps", tag = "admin", responses((status = 200, description = "Every app (with keys)"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn list_apps(State(state): State<AppState>) -> Result<Json<Vec<AdminApp>>> {
    let apps = state.store().list_apps().await?;
    Ok(Json(apps.into_iter().map(AdminApp::from).collect()))
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(get, path = "/api/admin/apps/{name}", tag = "admin", params(("name" = String, Path, description = "name")), responses((status = 200, description = "One app"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
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

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/apps", tag = "admin", responses((status = 200, description = "Insert or replace `{name, key, url, publisher, description?, thumbnail?}`"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
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

/// Integration API route (see the OpenAPI description).
#[utoipa::path(delete, path = "/api/admin/apps/{name}", tag = "admin", params(("name" = String, Path, description = "name")), responses((status = 200, description = "Delete an app and its items → 204"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
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

// ---- sessions and tokens ----

/// Body of `POST /api/admin/sessions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSession {
    /// The member.
    pub member_id: Uuid,
}

/// A minted host session: set `cookieName=value` on the host's requests.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// `appframe_session`, or `__Host-appframe_session` when `public_url` is https.
    pub cookie_name: String,
    /// Cookie value.
    pub value: String,
    /// Expiry (RFC 3339).
    #[serde(with = "appframe_protocol::timestamp")]
    #[schema(value_type = String)]
    pub expires_at: OffsetDateTime,
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/sessions", tag = "admin", responses((status = 200, description = "Mint a host session `{memberId}` → `{cookieName, value, expiresAt}`"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope")), security(("apiKey" = [])))]
pub async fn create_session(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewSession>,
) -> Result<Json<SessionResponse>> {
    if state.store().get_account(b.member_id).await?.is_none() {
        return Err(Error::MemberNotFound);
    }
    let (value, expires_at) = auth::create_session(&state, b.member_id).await?;
    Ok(Json(SessionResponse {
        cookie_name: state.config().session_cookie_name().into(),
        value,
        expires_at,
    }))
}

/// Body of `POST /api/admin/app-tokens`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAppToken {
    /// The member.
    pub member_id: Uuid,
    /// The item.
    pub item_id: Uuid,
    /// The app key.
    pub key: Uuid,
    /// The app origin.
    pub origin: String,
}

/// Integration API route (see the OpenAPI description).
#[utoipa::path(post, path = "/api/admin/app-tokens", tag = "admin", responses((status = 200, description = "Mint an app token `{memberId, itemId, key, origin}` → `{token}` (bound to no host session)"), (status = 401, description = "No or unknown API key"), (status = 403, description = "Missing scope"), (status = 429, description = "AFERR021 too many tokens for this API key and item (`Retry-After`)")), security(("apiKey" = [])))]
pub async fn create_app_token(
    State(state): State<AppState>,
    Extension(api_key): Extension<ApiKey>,
    ApiJson(b): ApiJson<NewAppToken>,
) -> Result<Json<TokenResponse>> {
    auth::limit_mint(
        &state,
        &auth::MintKey::ApiKey(api_key.name.as_str().into(), b.item_id),
    )?;
    if state.store().get_account(b.member_id).await?.is_none() {
        return Err(Error::MemberNotFound);
    }
    let token = mint_token(&state, b.member_id, b.item_id, b.key, &b.origin, None).await?;
    Ok(Json(TokenResponse { token }))
}
