//! `/app-items/{itemId}/app-data[/{id}]`.
//!
//! Permissions follow Graasp's *documented* visibility matrix (docs `8-permissions.md`), not
//! its code:
//! - **list**: an admin gets every row; anyone else gets `visibility=item` rows plus the
//!   `visibility=member` rows addressed to them **or created by them** (upstream forgets the
//!   latter).
//! - **post**: any member of the item (read is enough), and may address the row to another
//!   member of the item (`accountId`, or the legacy `memberId`; anyone else: 400 `AFERR025`,
//!   a check Graasp does not make).
//! - **patch** and **delete**: the creator, the addressed account, or an admin of the item.
//!   The docs say read and write are the same for apps, so `write` grants nothing more; other
//!   callers get 403 `GAERR009`. File rows cannot be patched (403 `GAERR008`); deleting a file
//!   row deletes its bytes.
//! - Every route checks that the token's item is the URL's item (401 `GAERR003`) and that the
//!   row belongs to that item (404 `GAERR004` otherwise).

use crate::{
    AppState,
    access::Access,
    auth::AppToken,
    cache::MAX_ITEM_ROWS,
    error::{Error, Result},
    extract::{ApiJson, ApiPath, ApiQuery, MAX_UNPAGED, PageQuery, next_link, paginate},
    routes::{
        files::delete_row_file, json_array, json_array_stream, json_response, rows::publish_data,
        text,
    },
    store::{AppDataRow, DataQuery, from_micros, now},
};
use appframe_protocol::{
    AppData, CreateAppData, PatchData,
    routes::{PATH_APP_DATA, PATH_APP_DATA_ONE},
    rules,
    ws::Op,
};
use axum::{
    Json, Router,
    extract::{OriginalUri, State},
    http::header,
    response::Response,
    routing::{get, patch},
};
use bytes::Bytes;
use futures::StreamExt;
use serde::Deserialize;
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_APP_DATA, get(list).post(create))
        .route(PATH_APP_DATA_ONE, patch(update).delete(delete))
        .with_state(state)
}

/// Whether a row holds a file (its data cannot be patched).
pub fn is_file(r: &AppDataRow) -> bool {
    r.ty == "file" || r.data.contains_key("file")
}

/// Whether the caller may patch or delete a row: creator, addressed account, or admin.
pub fn can_modify(access: &Access, r: &AppDataRow) -> bool {
    rules::can_modify_row(access.viewer(), r.parties())
}

/// Query of the list route.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Exact type filter.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Page size (extension).
    pub limit: Option<i64>,
    /// Cursor (extension).
    pub cursor: Option<String>,
}

/// List app data
///
/// The item's app data the token's member may see (its own rows and the item-visible ones;
/// everything for an admin), optionally of one type, oldest first. With `limit`, a page, and the
/// next page in `Link: rel="next"` (extension).
#[utoipa::path(get, path = "/api/app-items/{item_id}/app-data", tag = "app-data",
    params(("item_id" = Uuid, Path, description = "App item"), ("type" = Option<String>, Query, description = "Exact type"),
        ("limit" = Option<i64>, Query, description = "Page size (extension)"), ("cursor" = Option<String>, Query, description = "From the Link header")),
    responses((status = 200, body = Vec<appframe_protocol::AppData>, description = "The rows; `Link: rel=next` when more"),
        (status = 400, description = "FST_ERR_VALIDATION: bad limit or cursor"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"), (status = 403, description = "GERR016: the token's member cannot access this item")),
    security(("appToken" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let access = token.access(&state, item_id, true).await?;
    let unpaged = q.limit.is_none() && q.cursor.is_none();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    // A non-admin lists with an account (401 otherwise, as before).
    if !access.is_admin() {
        access.account()?;
    }
    let scope = access.viewer().row_scope();
    // Every member of an item reads the same rows: serve lists and keyset pages from the
    // per-item cache of serialized rows, the SQL path's bytes without a query
    // or a row serialized again.
    if let Some(snapshot) = state.store().item_rows(item_id).await?
        && let Some(all) = snapshot.rows.as_deref()
    {
        let ty = q.ty.as_deref();
        if unpaged {
            // A cached item has at most MAX_ITEM_ROWS ≤ MAX_UNPAGED rows, so an unpaged list
            // of it is always complete: no `Link` header, and the body depends only on the
            // filters.
            const _: () = assert!(MAX_ITEM_ROWS as i64 <= MAX_UNPAGED);
            if snapshot.assembled() {
                let body = snapshot.body(ty, scope, || {
                    json_array(
                        all.iter()
                            .filter(|r| r.listed(ty, scope))
                            .map(|r| &r.json[..]),
                    )
                });
                return Ok(json_response(body));
            }
            // A large list goes out row by row from the shared rows: each request only holds
            // the snapshot's `Arc`, never a copy of the list.
            let rows = snapshot.clone();
            let ty = q.ty.clone();
            let elements = futures::stream::iter((0..all.len()).filter_map(move |i| {
                let r = rows.rows.as_ref()?.get(i)?;
                r.listed(ty.as_deref(), scope).then(|| Ok(r.json.clone()))
            }));
            return Ok(json_array_stream(elements, None));
        }
        let size = usize::try_from(page.limit - 1).unwrap_or(usize::MAX);
        let p = snapshot.page_body(ty, scope, page.after, size, |p| {
            json_array(p.rows.iter().map(|r| &r.json[..]))
        });
        let link = p.next.and_then(|(at, id)| {
            next_link(&state.config().server.public_url, &uri, from_micros(at), id)
        });
        let mut res = json_response(p.body);
        if let Some(l) = link {
            res.headers_mut().insert(header::LINK, l);
        }
        return Ok(res);
    }
    // From the store: first where the page ends (positions only, no data), then the rows up
    // to there in one streamed query, serialized one at a time as the client reads.
    let mut dq = DataQuery {
        item: item_id,
        ty: q.ty,
        scope,
        after: page.after,
        upto: None,
    };
    let positions = state.store().app_data_positions(&dq, page.limit).await?;
    if positions.is_empty() {
        return Ok(json_response(Bytes::from_static(b"[]")));
    }
    let (positions, link) = paginate(
        positions,
        page,
        &state.config().server.public_url,
        &uri,
        |&(at, id)| (from_micros(at), id),
    );
    if link.is_some() {
        dq.upto = positions.last().copied();
    }
    let elements = state.store().stream_app_data(dq).map(|r| {
        r.and_then(|row| {
            serde_json::to_vec(&row.into_wire())
                .map(Bytes::from)
                .map_err(|e| Error::Internal(format!("cannot serialize a row: {e}")))
        })
    });
    Ok(json_array_stream(elements, link))
}

/// Create app data
///
/// Stores a row for the token's member (or addressed to `accountId`, a member of the item),
/// within the item's and the member's quotas, and publishes it to the item's subscribers.
#[utoipa::path(post, path = "/api/app-items/{item_id}/app-data", tag = "app-data",
    params(("item_id" = Uuid, Path, description = "App item")),
    request_body(content = appframe_protocol::CreateAppData),
    responses((status = 200, body = appframe_protocol::AppData, description = "The new row"),
        (status = 400, description = "FST_ERR_VALIDATION; AFERR025 `accountId` is not a member of the item"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GERR003 cannot write; AFERR011 a quota is used up"),
        (status = 413, description = "FST_ERR_CTP_BODY_TOO_LARGE: body too large")),
    security(("appToken" = [])))]
pub async fn create(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateAppData>,
) -> Result<Json<AppData>> {
    body.validate()?;
    let access = token.access(&state, item_id, true).await?;
    let me = access.account()?.clone();
    let account = match body.addressed() {
        Some(id) if id.as_uuid() != me.id => addressee(&state, item_id, id.as_uuid()).await?,
        _ => me.member(),
    };
    let at = now();
    let row = AppDataRow {
        id: Uuid::new_v4(),
        item_id,
        account,
        creator: Some(me.member()),
        ty: body.ty,
        visibility: body.visibility.unwrap_or_default(),
        data: body.data,
        created_at: at,
        updated_at: at,
    };
    let limits = state.config().server.limits();
    state.store().insert_app_data(&row, &limits).await?;
    let wire = row.into_wire();
    publish_data(&state, item_id, Op::Post, &wire);
    Ok(Json(wire))
}

/// The account a row is addressed to, which must hold a membership on the item (as the app
/// context's `members` list shows them): otherwise any reader could push rows, and their
/// quota use, onto any account of the server, and learn from the answer which ids exist.
async fn addressee(state: &AppState, item_id: Uuid, id: Uuid) -> Result<appframe_protocol::Member> {
    let store = state.store();
    if store.permission(id, item_id).await?.is_none() {
        return Err(Error::AccountNotMember);
    }
    Ok(store
        .get_account(id)
        .await?
        .ok_or(Error::AccountNotMember)?
        .member())
}

/// Loads a row of the item, or 404 (also for a row of another item).
async fn row_of_item(state: &AppState, item_id: Uuid, id: Uuid) -> Result<AppDataRow> {
    match state.store().get_app_data(id).await? {
        Some(r) if r.item_id == item_id => Ok(r),
        _ => Err(Error::AppDataNotFound),
    }
}

/// Change app data
///
/// Replaces a row's `data` (a file row cannot be changed; a member changes only its own rows,
/// an admin any).
#[utoipa::path(patch, path = "/api/app-items/{item_id}/app-data/{id}", tag = "app-data",
    params(("item_id" = Uuid, Path, description = "App item"), ("id" = Uuid, Path, description = "Row")),
    request_body(content = appframe_protocol::PatchData),
    responses((status = 200, body = appframe_protocol::AppData, description = "The changed row"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GAERR008 file; GAERR009 not yours"), (status = 404, description = "GAERR004: unknown row")),
    security(("appToken" = [])))]
pub async fn update(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<PatchData>,
) -> Result<Json<AppData>> {
    let access = token.access(&state, item_id, true).await?;
    let mut row = row_of_item(&state, item_id, id).await?;
    if !can_modify(&access, &row) {
        return Err(Error::CannotModifyOthers);
    }
    if is_file(&row) {
        return Err(Error::CannotPatchFile);
    }
    let at = now();
    let limits = state.config().server.limits();
    if !state
        .store()
        .update_app_data(id, &body.data, at, &limits)
        .await?
    {
        return Err(Error::AppDataNotFound);
    }
    row.data = body.data;
    row.updated_at = at;
    let wire = row.into_wire();
    publish_data(&state, item_id, Op::Patch, &wire);
    Ok(Json(wire))
}

/// Delete app data
///
/// Deletes a row (and its file); answers with the deleted id as text.
#[utoipa::path(delete, path = "/api/app-items/{item_id}/app-data/{id}", tag = "app-data",
    params(("item_id" = Uuid, Path, description = "App item"), ("id" = Uuid, Path, description = "Row")),
    responses((status = 200, body = String, content_type = "text/plain", description = "The deleted id"), (status = 401, description = "GERR027 invalid or expired app token; AFERR020 token revoked"),
        (status = 403, description = "GAERR009: not yours"), (status = 404, description = "GAERR004: unknown row")),
    security(("appToken" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath((item_id, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Response> {
    let access = token.access(&state, item_id, true).await?;
    let row = row_of_item(&state, item_id, id).await?;
    if !can_modify(&access, &row) {
        return Err(Error::CannotModifyOthers);
    }
    if !state.store().delete_app_data(id).await? {
        return Err(Error::AppDataNotFound);
    }
    publish_data(&state, item_id, Op::Delete, &row.into_wire());
    delete_row_file(&state, id).await;
    Ok(text(id.hyphenated().to_string()))
}
