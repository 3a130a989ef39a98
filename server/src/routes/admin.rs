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

// ---- members ----

/// Body of `POST /api/admin/members`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

/// List accounts
///
/// Every member and guest account, in creation order.
#[utoipa::path(get, path = "/api/admin/members", tag = "admin",
    responses((status = 200, description = "Every account", body = [AdminMember]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_members(State(state): State<AppState>) -> Result<Json<Vec<AdminMember>>> {
    let accounts = state.store().list_accounts().await?;
    Ok(Json(accounts.into_iter().map(AdminMember::from).collect()))
}

/// Create an account
///
/// Creates a member (or a guest, `kind: guest`) with the given `id`, or a new id when it is absent.
/// The account exists for the host and the app routes at once.
#[utoipa::path(post, path = "/api/admin/members", tag = "admin",
    request_body = NewMember,
    responses((status = 201, description = "The new account", body = AdminMember),
        (status = 400, description = "FST_ERR_VALIDATION: name empty or over 300 characters, unknown field"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 409, description = "AFERR009: the id exists, or appframe.toml deactivated it")))]
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

/// Get an account
///
/// One account by id.
#[utoipa::path(get, path = "/api/admin/members/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, description = "The account", body = AdminMember), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR005: unknown account")))]
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

/// Change an account
///
/// Renames an account or changes its kind; absent fields are kept.
#[utoipa::path(patch, path = "/api/admin/members/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = PatchMember,
    responses((status = 200, description = "The changed account", body = AdminMember),
        (status = 400, description = "FST_ERR_VALIDATION: name empty or over 300 characters"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR005: unknown account")))]
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

/// Delete an account
///
/// Deletes an account with its memberships, sessions and the rows addressed to it.
#[utoipa::path(delete, path = "/api/admin/members/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR005: unknown account")))]
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = Option<Object>)]
    pub settings: Option<JsonObject>,
}

/// Body of `PATCH /api/admin/items/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = Option<Object>)]
    pub settings: Option<JsonObject>,
}

async fn require_app(state: &AppState, name: &str) -> Result<()> {
    match state.store().get_app(name).await? {
        Some(_) => Ok(()),
        None => Err(Error::BadRequest(format!("body/app: unknown app {name:?}"))),
    }
}

/// List items
///
/// Every app item, in creation order.
#[utoipa::path(get, path = "/api/admin/items", tag = "admin",
    responses((status = 200, description = "Every item", body = [AdminItem]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_items(State(state): State<AppState>) -> Result<Json<Vec<AdminItem>>> {
    let items = state.store().list_items().await?;
    Ok(Json(items.into_iter().map(AdminItem::from).collect()))
}

/// Create an item
///
/// Creates an app item of a registered app, with the given `id` or a new one.
#[utoipa::path(post, path = "/api/admin/items", tag = "admin",
    request_body = NewItem,
    responses((status = 201, description = "The new item", body = AdminItem),
        (status = 400, description = "FST_ERR_VALIDATION: unknown app, empty name"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 409, description = "AFERR009: the id exists, or appframe.toml deactivated it")))]
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

/// Get an item
///
/// One app item by id.
#[utoipa::path(get, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 200, description = "The item", body = AdminItem), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
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

/// Change an item
///
/// Changes an item's name, app, description, language or settings; absent fields are kept.
#[utoipa::path(patch, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    request_body = PatchItem,
    responses((status = 200, description = "The changed item", body = AdminItem),
        (status = 400, description = "FST_ERR_VALIDATION: unknown app, empty name or language"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
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

/// Delete an item
///
/// Deletes an item with its memberships, app data, actions, settings and files.
#[utoipa::path(delete, path = "/api/admin/items/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Item id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR002: unknown item")))]
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

/// List memberships
///
/// Memberships, optionally of one item and/or one member.
#[utoipa::path(get, path = "/api/admin/memberships", tag = "admin",
    params(("item" = Option<Uuid>, Query, description = "Only this item's"), ("member" = Option<Uuid>, Query, description = "Only this member's")),
    responses((status = 200, description = "The memberships", body = [AdminMembership]), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)")))]
pub async fn list_memberships(
    State(state): State<AppState>,
    ApiQuery(f): ApiQuery<MembershipFilter>,
) -> Result<Json<Vec<AdminMembership>>> {
    let memberships = state.store().list_memberships(f.item, f.member).await?;
    Ok(Json(
        memberships.into_iter().map(AdminMembership::from).collect(),
    ))
}

/// Set a membership
///
/// Gives a member a permission (`read`, `write` or `admin`) on an item, replacing the one it had.
#[utoipa::path(post, path = "/api/admin/memberships", tag = "admin",
    request_body = AdminMembership,
    responses((status = 200, description = "The membership", body = AdminMembership),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR005 unknown member; GERR002 unknown item")))]
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

/// Remove a membership
///
/// Removes a member's membership on an item; the member's rows stay.
#[utoipa::path(delete, path = "/api/admin/memberships/{item}/{member}", tag = "admin",
    params(("item" = Uuid, Path, description = "Item id"), ("member" = Uuid, Path, description = "Account id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "FST_ERR_NOT_FOUND: no such membership")))]
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

// ---- sessions and tokens ----

/// Body of `POST /api/admin/sessions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

/// Mint a host session
///
/// Creates a host session for a member, for a platform that logs its users in itself: set the
/// returned cookie on the host page's origin.
#[utoipa::path(post, path = "/api/admin/sessions", tag = "admin",
    request_body = NewSession,
    responses((status = 200, description = "The session cookie", body = SessionResponse),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"), (status = 403, description = "AFERR002: the key lacks the scope (`read` for GET, `write` otherwise)"), (status = 404, description = "GERR005: unknown member")))]
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

/// Mint an app token
///
/// Mints an app token for a member on an item, for an app embedded by a platform's own host
/// page. The token is bound to the app's origin and to no host session.
#[utoipa::path(post, path = "/api/admin/app-tokens", tag = "admin",
    request_body = NewAppToken,
    responses((status = 200, description = "The token", body = appframe_protocol::TokenResponse),
        (status = 403, description = "GAERR002 key or origin not the app's; GERR016 no membership"),
        (status = 401, description = "AFERR001: no API key, or an unknown or revoked one"),
        (status = 404, description = "GERR005 unknown member; GERR002 unknown item"),
        (status = 429, description = "AFERR021: too many tokens for this key and item (`Retry-After`)")))]
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
