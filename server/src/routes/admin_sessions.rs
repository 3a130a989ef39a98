//! The integration API's credentials for a platform's own users: host sessions and app
//! tokens.

use crate::{
    AppState,
    auth::{self, ApiKey},
    error::{Error, Result},
    extract::ApiJson,
    routes::app_items::mint_token,
};
use appframe_protocol::TokenResponse;
use axum::{Extension, Json, extract::State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

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
