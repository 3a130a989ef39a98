//! `POST /app-items/{itemId}/chat-bot?gptVersion=&temperature=`: Graasp's chat bot, a proxy to
//! the model backend of `[chat_bot]` ([`crate::chat_bot`]).
//!
//! Strict app-token auth; the token's item must be the URL's (403 `GERR1007`); read access is
//! enough. The body is `[{role, content}]` with at least one message, `temperature` is 0–2
//! (default 1), and a model the server does not allow falls back to its default. Answers
//! `200 {completion, model}`; no backend configured → 503 `AFERR034`.
//!
//! Served under `/api` and, because the official client resolves this one URL with
//! `new URL('app-items/…', apiHost)` (which drops `/api`), at the origin's root too.

use crate::{
    AppState,
    auth::AppToken,
    error::{Error, Result},
    extract::{ApiJsonList, ApiPath, ApiQuery},
};
use appframe_protocol::{
    ChatBotAnswer, ChatBotMessage, ChatBotQuery, chat_bot::validate_messages, routes::PATH_CHAT_BOT,
};
use axum::{Json, Router, extract::State, routing::post};
use uuid::Uuid;

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH_CHAT_BOT, post(chat_bot))
        .with_state(state)
}

/// `POST /api/app-items/{itemId}/chat-bot` (also `/app-items/{itemId}/chat-bot`).
#[utoipa::path(post, path = "/api/app-items/{item_id}/chat-bot", tag = "chat-bot",
    params(("item_id" = Uuid, Path, description = "App item"),
        ("gptVersion" = Option<String>, Query, description = "Model; one not allowed by the server falls back to its default"),
        ("temperature" = Option<f64>, Query, description = "0–2, default 1")),
    request_body(content = Vec<appframe_protocol::ChatBotMessage>),
    responses((status = 200, body = appframe_protocol::ChatBotAnswer),
        (status = 400, description = "Validation (no message, unknown role, temperature out of 0–2)"),
        (status = 403, description = "GERR1007 the token's item is not this item; GERR016 no membership"),
        (status = 502, description = "AFERR035 the model service failed"),
        (status = 503, description = "AFERR034 no chat bot configured"),
        (status = 504, description = "AFERR036 the model service timed out")),
    security(("appToken" = [])))]
pub async fn chat_bot(
    State(state): State<AppState>,
    token: AppToken,
    ApiPath(item_id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ChatBotQuery>,
    ApiJsonList(messages): ApiJsonList<ChatBotMessage>,
) -> Result<Json<ChatBotAnswer>> {
    if token.item_id() != item_id {
        return Err(Error::ChatBotItemMismatch);
    }
    let temperature = query.temperature()?;
    validate_messages(&messages)?;
    token.access(&state, item_id, true).await?.account()?;
    let bot = state.chat_bot().ok_or(Error::ChatBotNotConfigured)?;
    let model = bot.config().model_for(query.gpt_version.as_deref());
    Ok(Json(bot.complete(model, temperature, &messages).await?))
}
