//! The integration API's accounts (members and guests) and their memberships on items.

use crate::{
    AppState,
    config::AccountKind,
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery},
    routes::{
        admin_checks::{nonempty, refuse_deactivated},
        admin_dto::{AdminMember, AdminMembership},
    },
    store::{Account, Entry, MembershipRecord},
};
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

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
