//! The server's one error enum, rendered as the Graasp error body `{name, code, message, statusCode}`.

use appframe_protocol::ErrorBody;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Every failure a request or the server can meet.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Validation failure of a body, path or query (400).
    #[error("{0}")]
    BadRequest(String),
    /// Body over the limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Body without the expected content type (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No valid session cookie, or a strict app route without an account (401 GERR027).
    #[error("not authenticated")]
    NotAuthenticated,
    /// Missing, forged or expired app token (401 GERR027).
    #[error("invalid app token: {0}")]
    InvalidToken(String),
    /// The token's item is not the URL's item (401 GAERR003).
    #[error("the token's item does not match the requested item")]
    TokenItemMismatch,
    /// A request whose `Origin` is not the origin its app token was minted for (401 AFERR019);
    /// on REST and at the websocket upgrade alike.
    #[error("{0}")]
    TokenOriginMismatch(String),
    /// The token was valid but what it was minted from is gone: its host session ended, the
    /// app's key changed, or its origin is no longer registered (401 AFERR020).
    #[error("the app token was revoked: {0}")]
    TokenRevoked(String),
    /// Too many tokens asked for one (session, item) or (API key, item) (429 AFERR021, with
    /// `Retry-After` in whole seconds).
    #[error("too many app tokens requested; retry in {0} s")]
    TokenRateLimited(u64),
    /// On the chat-bot route, the token's item is not the URL's item (403 GERR1007, as Graasp
    /// answers there; the other app routes answer 401 GAERR003).
    #[error("the token's item does not match the requested item")]
    ChatBotItemMismatch,
    /// No `[chat_bot]` backend is configured (503 AFERR034).
    #[error("no chat bot is configured on this server")]
    ChatBotNotConfigured,
    /// The chat bot's model service failed or gave an unreadable answer (502 AFERR035). Its
    /// body and the key never reach the app.
    #[error("the chat bot's model service failed")]
    ChatBotUpstream,
    /// The chat bot's model service did not answer in `timeout_secs` (504 AFERR036).
    #[error("the chat bot's model service did not answer in time")]
    ChatBotTimeout,
    /// The chat bot's rate per member or per item is passed (429 AFERR037, `Retry-After`).
    #[error("too many chat-bot requests; retry in {0} s")]
    ChatBotRateLimited(u64),
    /// The member's chat-bot requests of the day are used up (429 AFERR038, `Retry-After`
    /// until midnight UTC).
    #[error("the daily chat-bot quota is used up; retry in {0} s")]
    ChatBotQuotaExceeded(u64),
    /// The app key/origin pair is not registered for this item's app (403 GAERR002).
    #[error("invalid app origin or key")]
    InvalidAppOrigin,
    /// A WebSocket upgrade with the session cookie from an origin that is neither the host page
    /// nor a registered publisher (403 AFERR010).
    #[error("{0}")]
    OriginNotAllowed(String),
    /// No membership on the item (403 GERR016).
    #[error("the member cannot access this item")]
    CannotAccess,
    /// Write permission needed (403 GERR003).
    #[error("the member cannot write this item")]
    CannotWrite,
    /// Admin permission needed (403 GERR004).
    #[error("the member cannot administer this item")]
    CannotAdmin,
    /// A non-admin filtered actions of another account (403 GAERR006).
    #[error("cannot get the actions of another member")]
    CannotFilterOtherActions,
    /// Files cannot be patched (403 GAERR008).
    #[error("a file cannot be updated")]
    CannotPatchFile,
    /// Not the creator, addressed account or an admin (403 GAERR009).
    #[error("cannot modify the data of other members")]
    CannotModifyOthers,
    /// Missing or insufficient API key (401/403).
    #[error("{0}")]
    ApiKey(String),
    /// Item not found (404 GERR002).
    #[error("item not found")]
    ItemNotFound,
    /// Account not found (404 GERR005).
    #[error("member not found")]
    MemberNotFound,
    /// A row addressed (`accountId`) to an account without a membership on the item (400
    /// AFERR025). The same answer for an unknown account, so it reveals nothing about accounts.
    #[error("accountId must be a member of the item")]
    AccountNotMember,
    /// App data not found (404 GAERR004).
    #[error("app data not found")]
    AppDataNotFound,
    /// App setting not found (404 GAERR005).
    #[error("app setting not found")]
    AppSettingNotFound,
    /// No such key in the member's storage shim (404 AFERR047).
    #[error("no such key in this member's storage")]
    StorageKeyNotFound,
    /// Anything else not found (404).
    #[error("{0}")]
    NotFound(String),
    /// A quota of `[server]` would be passed (403, the code names the limit: AFERR011–018,
    /// AFERR030–033, AFERR043–046).
    #[error("{0}")]
    Quota(crate::quota::Exceeded),
    /// Uniqueness or reference conflict (409).
    #[error("{0}")]
    Conflict(String),
    /// Database failure (500, logged, not leaked).
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migration failure (start-up only).
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// File storage failure (500).
    #[error("file storage error: {0}")]
    Files(#[from] object_store::Error),
    /// Configuration error (start-up only).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// I/O error (start-up, files).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other internal failure (500).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// HTTP status, Graasp name and code, and the `origin` for this error.
    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<&'static str>) {
        use Error::*;
        const APPS: Option<&str> = Some("graasp-plugin-apps");
        match self {
            BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "FST_ERR_VALIDATION",
                None,
            ),
            PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "FST_ERR_CTP_BODY_TOO_LARGE",
                None,
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "FST_ERR_CTP_INVALID_MEDIA_TYPE",
                None,
            ),
            NotAuthenticated => (
                StatusCode::UNAUTHORIZED,
                "NOT_AUTHENTICATED",
                "GERR027",
                None,
            ),
            InvalidToken(_) => (StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "GERR027", None),
            TokenItemMismatch => (
                StatusCode::UNAUTHORIZED,
                "TOKEN_ITEM_ID_MISMATCH",
                "GAERR003",
                APPS,
            ),
            TokenOriginMismatch(_) => (
                StatusCode::UNAUTHORIZED,
                "TOKEN_ORIGIN_MISMATCH",
                "AFERR019",
                None,
            ),
            TokenRevoked(_) => (StatusCode::UNAUTHORIZED, "TOKEN_REVOKED", "AFERR020", None),
            TokenRateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "TOKEN_RATE_LIMITED",
                "AFERR021",
                None,
            ),
            InvalidAppOrigin => (
                StatusCode::FORBIDDEN,
                "INVALID_APP_ORIGIN",
                "GAERR002",
                APPS,
            ),
            ChatBotItemMismatch => (
                StatusCode::FORBIDDEN,
                "TOKEN_ITEM_ID_MISMATCH",
                "GERR1007",
                None,
            ),
            ChatBotNotConfigured => (
                StatusCode::SERVICE_UNAVAILABLE,
                "CHAT_BOT_NOT_CONFIGURED",
                "AFERR034",
                None,
            ),
            ChatBotUpstream => (
                StatusCode::BAD_GATEWAY,
                "CHAT_BOT_UPSTREAM_FAILED",
                "AFERR035",
                None,
            ),
            ChatBotTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "CHAT_BOT_UPSTREAM_TIMEOUT",
                "AFERR036",
                None,
            ),
            ChatBotRateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "CHAT_BOT_RATE_LIMITED",
                "AFERR037",
                None,
            ),
            ChatBotQuotaExceeded(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "CHAT_BOT_DAILY_QUOTA_EXCEEDED",
                "AFERR038",
                None,
            ),
            OriginNotAllowed(_) => (
                StatusCode::FORBIDDEN,
                "ORIGIN_NOT_ALLOWED",
                "AFERR010",
                None,
            ),
            CannotAccess => (
                StatusCode::FORBIDDEN,
                "MEMBER_CANNOT_ACCESS",
                "GERR016",
                None,
            ),
            CannotWrite => (
                StatusCode::FORBIDDEN,
                "MEMBER_CANNOT_WRITE_ITEM",
                "GERR003",
                None,
            ),
            CannotAdmin => (
                StatusCode::FORBIDDEN,
                "MEMBER_CANNOT_ADMIN_ITEM",
                "GERR004",
                None,
            ),
            CannotFilterOtherActions => (
                StatusCode::FORBIDDEN,
                "MEMBER_CANNOT_ADMIN_ITEM",
                "GAERR006",
                Some("graasp-plugin-apps/app-action"),
            ),
            CannotPatchFile => (
                StatusCode::FORBIDDEN,
                "PREVENT_UPDATE_APP_DATA_FILE",
                "GAERR008",
                APPS,
            ),
            CannotModifyOthers => (
                StatusCode::FORBIDDEN,
                "CANNOT_MODIFY_OTHER_MEMBERS",
                "GAERR009",
                APPS,
            ),
            ApiKey(m) if m.contains("scope") => {
                (StatusCode::FORBIDDEN, "FORBIDDEN", "AFERR002", None)
            }
            ApiKey(_) => (
                StatusCode::UNAUTHORIZED,
                "INVALID_API_KEY",
                "AFERR001",
                None,
            ),
            ItemNotFound => (StatusCode::NOT_FOUND, "ITEM_NOT_FOUND", "GERR002", None),
            MemberNotFound => (StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", "GERR005", None),
            AccountNotMember => (
                StatusCode::BAD_REQUEST,
                "ACCOUNT_NOT_A_MEMBER",
                "AFERR025",
                APPS,
            ),
            AppDataNotFound => (
                StatusCode::NOT_FOUND,
                "APP_DATA_NOT_FOUND",
                "GAERR004",
                Some("graasp-plugin-apps/app-data"),
            ),
            AppSettingNotFound => (
                StatusCode::NOT_FOUND,
                "APP_SETTING_NOT_FOUND",
                "GAERR005",
                Some("graasp-plugin-apps/app-setting"),
            ),
            StorageKeyNotFound => (
                StatusCode::NOT_FOUND,
                "STORAGE_KEY_NOT_FOUND",
                "AFERR047",
                None,
            ),
            NotFound(_) => (
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "FST_ERR_NOT_FOUND",
                None,
            ),
            // 403, not 413 or 409: the request is well-formed and no smaller body or retry
            // after a refetch gets it stored; the item (or the member's share of it) is full
            // until something is deleted, a refusal like GERR003's "cannot write".
            Quota(e) => {
                let (name, code, _) = e.limit.parts();
                (StatusCode::FORBIDDEN, name, code, None)
            }
            Conflict(_) => (StatusCode::CONFLICT, "CONFLICT", "AFERR009", None),
            Db(_) | Migrate(_) | Files(_) | Config(_) | Io(_) | Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "GERR998",
                None,
            ),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The Graasp error body of this error (500 bodies never carry the internal cause; the
    /// chat bot's 502–504 messages are fixed texts that carry none either).
    pub fn body(&self) -> ErrorBody {
        let (status, name, code, origin) = self.parts();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        ErrorBody {
            name: name.to_owned(),
            code: code.to_owned(),
            message,
            status_code: status.as_u16(),
            data: None,
            origin: origin.map(str::to_owned),
        }
    }
}

impl From<appframe_protocol::ProtocolError> for Error {
    fn from(e: appframe_protocol::ProtocolError) -> Self {
        Error::BadRequest(e.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut res = (status, body).into_response();
        if let Error::TokenRateLimited(secs)
        | Error::ChatBotRateLimited(secs)
        | Error::ChatBotQuotaExceeded(secs) = self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        res
    }
}
