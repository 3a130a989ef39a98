//! `/app-items/{itemId}/app-action` (singular, as Graasp). Actions are append-only.
//!
//! A non-admin sees only their own actions and gets 403 `GAERR006` when filtering on another
//! account; an admin sees all, or filters with `?accountId=` (or the legacy `?memberId=`).

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery, PageQuery, next_link},
    routes::json_array_stream,
    store::{AppActionRow, Page, from_micros, now, to_micros},
};
use appframe_protocol::{
    AccountId, AppAction, CreateAppAction,
    routes::PATH_APP_ACTION,
    rules::{self, ActionScope},
    ws::{Op, UpdateEntity},
};
use axum::{
    Router,
    body::Bytes,
    extract::{OriginalUri, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use futures::{Stream, StreamExt, TryStreamExt, stream};
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

/// List app actions
///
/// The item's actions, oldest first: a reader sees its own, an admin everyone's (or one
/// member's with `accountId`).
#[utoipa::path(get, path = "/api/app-items/{item_id}/app-action", tag = "app-action",
    params(("item_id" = Uuid, Path, description = "App item"), ("accountId" = Option<Uuid>, Query, description = "Filter (admins, or yourself)"),
        ("memberId" = Option<Uuid>, Query, description = "Deprecated alias of accountId"), ("limit" = Option<i64>, Query, description = "Page size (extension)"), ("cursor" = Option<String>, Query, description = "From the Link header")),
    responses((status = 200, body = Vec<appframe_protocol::AppAction>, description = "The actions; `Link: rel=next` when more"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GAERR006: another member's actions need admin")),
    security(("appToken" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let access = token.access(&state, item_id, true).await?;
    let me = AccountId(access.account()?.id);
    let filter = q.account_id.or(q.member_id).map(AccountId);
    let account = match rules::actions_of(me, access.permission, filter) {
        Some(ActionScope::All) => None,
        Some(ActionScope::Of(a)) => Some(a.as_uuid()),
        None => return Err(Error::CannotFilterOtherActions),
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    // Where the page ends is read from the index first (the `Link` header goes out before
    // the body); the rows then stream a few at a time, so a full item costs a few rows of
    // memory per request, not the list.
    let end = state
        .store()
        .app_action_page_end(item_id, account, page)
        .await?;
    let link = end.and_then(|(at, id)| {
        next_link(&state.config().server.public_url, &uri, from_micros(at), id)
    });
    let size = usize::try_from(page.limit - 1).unwrap_or(usize::MAX);
    let elements = stream(state, item_id, account, page.after, end)
        .take(size)
        .map(|r| {
            r.and_then(|row| {
                serde_json::to_vec(&to_wire(row))
                    .map(Bytes::from)
                    .map_err(|e| Error::Internal(format!("cannot serialize an action: {e}")))
            })
        });
    Ok(json_array_stream(elements, link))
}

/// Actions read per query while a list or an export streams: an action may be up to
/// `max_body_bytes`, so few at a time.
const CHUNK: i64 = 8;

/// The actions of `item` (of `account` only, when given) after `after` and up to `upto`
/// included (to the last when `None`), in `(created_at, id)` order, read a few rows per query.
pub fn stream(
    state: AppState,
    item: Uuid,
    account: Option<Uuid>,
    after: Option<(i64, Uuid)>,
    upto: Option<(i64, Uuid)>,
) -> impl Stream<Item = Result<AppActionRow>> + Send {
    stream::try_unfold(Some(after), move |cursor| {
        let state = state.clone();
        async move {
            let Some(after) = cursor else {
                return Ok(None);
            };
            let page = Page {
                after,
                limit: CHUNK,
            };
            let mut rows = state.store().list_app_actions(item, account, page).await?;
            let full = i64::try_from(rows.len()).unwrap_or(0) >= CHUNK;
            let read = rows.len();
            if let Some(end) = upto {
                rows.retain(|r| (to_micros(r.created_at), r.id) <= end);
            }
            let next = match rows.last() {
                Some(last) if full && rows.len() == read => {
                    Some(Some((to_micros(last.created_at), last.id)))
                }
                _ => None,
            };
            Ok::<_, Error>(Some((stream::iter(rows.into_iter().map(Ok)), next)))
        }
    })
    .try_flatten()
}

/// Record an app action
///
/// Stores an action of the token's member within the item's quotas and publishes it.
#[utoipa::path(post, path = "/api/app-items/{item_id}/app-action", tag = "app-action",
    params(("item_id" = Uuid, Path, description = "App item")),
    request_body(content = appframe_protocol::CreateAppAction),
    responses((status = 204, description = "Stored"), (status = 400, description = "FST_ERR_VALIDATION"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR016 cannot access; AFERR030 a quota is used up")),
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
    record(&state, row).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Stores an action within the quotas and publishes it to live subscribers: how every action
/// is written (this route, and the chat bot's record of its use).
pub async fn record(state: &AppState, row: AppActionRow) -> Result<()> {
    let limits = state.config().server.limits();
    state.store().insert_app_action(&row, &limits).await?;
    let item_id = row.item_id;
    state.ws().publish(
        item_id,
        Op::Post,
        UpdateEntity::AppAction(Box::new(to_wire(row))),
    );
    Ok(())
}
