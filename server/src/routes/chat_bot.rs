//! `POST /app-items/{itemId}/chat-bot?gptVersion=&temperature=`: Graasp's chat bot, a proxy to
//! the model backend of `[chat_bot]` ([`crate::chat_bot`]).
//!
//! Strict app-token auth; the token's item must be the URL's (403 `GERR1007`); read access is
//! enough. The body is `[{role, content}]` with at least one message, `temperature` is 0–2
//! (default 1), and a model the server does not allow falls back to its default. Answers
//! `200 {completion, model}`; no backend configured → 503 `AFERR034`. Bounded by `[chat_bot]`:
//! the body (413), the member's and the item's rates (429 `AFERR037`) and the member's daily
//! requests (429 `AFERR038`), both with `Retry-After`. Each answered request is recorded as an
//! app action of type `chat-bot` (model, message count, temperature, completion length; not
//! the text), so the analytics view shows the use.
//!
//! Served under `/api` and, because the official client resolves this one URL with
//! `new URL('app-items/…', apiHost)` (which drops `/api`), at the origin's root too.

use crate::{
    AppState,
    auth::AppToken,
    chat_bot::Refusal,
    error::{Error, Result},
    extract::{ApiJsonList, ApiPath, ApiQuery},
    ratelimit::retry_after_secs,
    routes::app_action,
    store::{AppActionRow, now},
};
use appframe_protocol::{
    ChatBotAnswer, ChatBotMessage, ChatBotQuery, JsonObject, Member, chat_bot::validate_messages,
    routes::PATH_CHAT_BOT,
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    routing::post,
};
use serde_json::json;
use uuid::Uuid;

/// The app action type that records a use.
pub const USAGE_ACTION: &str = "chat-bot";

/// Routes of this module.
pub fn router(state: AppState) -> Router {
    let server_max = state.config().server.max_body_bytes;
    let max = state
        .config()
        .chat_bot
        .as_ref()
        .map_or(server_max, |c| c.max_body_bytes.min(server_max));
    Router::new()
        .route(
            PATH_CHAT_BOT,
            post(chat_bot).layer(DefaultBodyLimit::max(max)),
        )
        .with_state(state)
}

/// Ask the chat bot
///
/// Sends the conversation to the configured model service and answers with its completion,
/// within the member's and the item's rates and the daily quota; the use is recorded as an app
/// action.
#[utoipa::path(post, path = "/api/app-items/{item_id}/chat-bot", tag = "chat-bot",
    params(("item_id" = Uuid, Path, description = "App item"),
        ("gptVersion" = Option<String>, Query, description = "Model; one not allowed by the server falls back to its default"),
        ("temperature" = Option<f64>, Query, description = "0–2, default 1")),
    request_body(content = Vec<appframe_protocol::ChatBotMessage>),
    responses((status = 200, body = appframe_protocol::ChatBotAnswer),
        (status = 400, description = "Validation (no message, unknown role, temperature out of 0–2)"),
        (status = 403, description = "GERR1007 the token's item is not this item; GERR016 no membership"),
        (status = 413, description = "Body over `[chat_bot] max_body_bytes`"),
        (status = 429, description = "AFERR037 member or item rate, AFERR038 daily quota (`Retry-After`)"),
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
    let access = token.access(&state, item_id, true).await?;
    let me = access.account()?.member();
    let bot = state.chat_bot().ok_or(Error::ChatBotNotConfigured)?;
    bot.bounds()
        .take(
            me.id.as_uuid(),
            item_id,
            std::time::Instant::now(),
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|r| match r {
            Refusal::Rate(wait) => Error::ChatBotRateLimited(retry_after_secs(wait)),
            Refusal::Daily(wait) => Error::ChatBotQuotaExceeded(retry_after_secs(wait)),
        })?;
    let model = bot.config().model_for(query.gpt_version.as_deref());
    let answer = bot.complete(model, temperature, &messages).await?;
    record_use(&state, item_id, me, &answer, temperature, messages.len()).await;
    Ok(Json(answer))
}

/// Records an answered request as an app action and publishes it like any other action. A
/// failure (the item's action quota is full, the database is down) is logged and the answer
/// still goes out: the model has already been paid for.
async fn record_use(
    state: &AppState,
    item_id: Uuid,
    me: Member,
    answer: &ChatBotAnswer,
    temperature: f64,
    messages: usize,
) {
    let mut data = JsonObject::new();
    data.insert("model".into(), json!(answer.model));
    data.insert("messages".into(), json!(messages));
    data.insert("temperature".into(), json!(temperature));
    data.insert(
        "completionChars".into(),
        json!(answer.completion.as_ref().map(|c| c.chars().count())),
    );
    let row = AppActionRow {
        id: Uuid::new_v4(),
        item_id,
        account: me,
        ty: USAGE_ACTION.into(),
        data,
        created_at: now(),
    };
    if let Err(e) = app_action::record(state, row).await {
        tracing::warn!(error = %e, %item_id, "cannot record a chat-bot use");
    }
}
