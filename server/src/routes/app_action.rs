//! `/app-items/{itemId}/app-action` (singular, as Graasp). Actions are append-only.
//!
//! A non-admin sees only their own actions and gets 403 `GAERR006` when filtering on another
//! account; an admin sees all, or filters with `?accountId=` (or the legacy `?memberId=`).

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery, PageQuery, paginate},
    routes::json_page,
    store::{AppActionRow, now},
};
use appframe_protocol::{
    AppAction, CreateAppAction,
    routes::PATH_APP_ACTION,
    ws::{Op, UpdateEntity},
};
use axum::{
    Router,
    extract::{OriginalUri, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_APP_ACTION, get(list).post(create))
        .with_state(state)
}

/// The wire form of an action.
pub fn to_wire(r: AppActionRow) -> AppAction {
    AppAction {
        id: r.id.into(),
        member: r.account.clone(),
        account: r.account,
        ty: r.ty,
        data: r.data,
        created_at: r.created_at,
    }
}

/// Query of the list route.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Only this account's actions.
    pub account_id: Option<Uuid>,
    /// Deprecated alias of `accountId`.
    pub member_id: Option<Uuid>,
    /// Page size (extension).
    pub limit: Option<i64>,
    /// Cursor (extension).
    pub cursor: Option<String>,
}

/// `GET /api/app-items/{itemId}/app-action?accountId=`
#[utoipa::path(get, path = "/api/app-items/{item_id}/app-action", tag = "app-action",
    params(("item_id" = Uuid, Path, description = "App item"), ("accountId" = Option<Uuid>, Query, description = "Filter (admins, or yourself)"),
        ("memberId" = Option<Uuid>, Query, description = "Deprecated alias"), ("limit" = Option<i64>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "Cursor")),
    responses((status = 200, body = Vec<appframe_protocol::AppAction>), (status = 403, description = "GAERR006")),
    security(("appToken" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let access = token.access(&state, item_id, true).await?;
    let me = access.account()?.id;
    let filter = q.account_id.or(q.member_id);
    let account = if access.is_admin() {
        filter
    } else {
        match filter {
            Some(other) if other != me => return Err(Error::CannotFilterOtherActions),
            _ => Some(me),
        }
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = state
        .store()
        .list_app_actions(item_id, account, page)
        .await?;
    let (rows, link) = paginate(rows, page, &state.config().server.public_url, &uri, |r| {
        (r.created_at, r.id)
    });
    let wire: Vec<AppAction> = rows.into_iter().map(to_wire).collect();
    Ok(json_page(wire, link))
}

/// `POST /api/app-items/{itemId}/app-action` → 204 with no body.
#[utoipa::path(post, path = "/api/app-items/{item_id}/app-action", tag = "app-action",
    params(("item_id" = Uuid, Path, description = "App item")),
    request_body(content = appframe_protocol::CreateAppAction),
    responses((status = 204, description = "Stored"), (status = 400, description = "Validation")),
    security(("appToken" = [])))]
pub async fn create(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateAppAction>,
) -> Result<Response> {
    body.validate()?;
    let access = token.access(&state, item_id, true).await?;
    let row = AppActionRow {
        id: Uuid::new_v4(),
        item_id,
        account: access.account()?.member(),
        ty: body.ty,
        data: body.data,
        created_at: now(),
    };
    state.store().insert_app_action(&row).await?;
    state.ws().publish(
        item_id,
        Op::Post,
        UpdateEntity::AppAction(Box::new(to_wire(row))),
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
