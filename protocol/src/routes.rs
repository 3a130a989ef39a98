//! Route paths of the app API.
//!
//! `*_url` functions build what an app calls: `apiHost` (absolute, ending at `/api`, no trailing
//! slash) + `/app-items/...`. The `PATH_*` constants are the server's axum templates under `/api`.

use crate::ids::{ItemId, RowId};

/// Axum template: token route.
pub const PATH_TOKEN: &str = "/app-items/{item_id}/api-access-token";
/// Axum template: app context.
pub const PATH_CONTEXT: &str = "/app-items/{item_id}/context";
/// Axum template: app-data collection.
pub const PATH_APP_DATA: &str = "/app-items/{item_id}/app-data";
/// Axum template: one app-data row.
pub const PATH_APP_DATA_ONE: &str = "/app-items/{item_id}/app-data/{id}";
/// Axum template: app actions (singular `app-action`, as Graasp).
pub const PATH_APP_ACTION: &str = "/app-items/{item_id}/app-action";
/// Axum template: app-settings collection.
pub const PATH_APP_SETTINGS: &str = "/app-items/{item_id}/app-settings";
/// Axum template: one app setting.
pub const PATH_APP_SETTINGS_ONE: &str = "/app-items/{item_id}/app-settings/{id}";
/// Axum template: app-data file upload (`?id=<itemId>`, the item comes from the token).
pub const PATH_APP_DATA_UPLOAD: &str = "/app-items/app-data/upload";
/// Axum template: app-data file download (returns a signed URL as text).
pub const PATH_APP_DATA_DOWNLOAD: &str = "/app-items/app-data/{id}/download";
/// Axum template: app-setting file upload.
pub const PATH_APP_SETTINGS_UPLOAD: &str = "/app-items/app-settings/upload";
/// Axum template: app-setting file download.
pub const PATH_APP_SETTINGS_DOWNLOAD: &str = "/app-items/app-settings/{id}/download";
/// Axum template: the public list of registered apps.
pub const PATH_APP_LIST: &str = "/app-items/list";
/// Axum template: the chat bot (also served at the origin's root, see [`chat_bot_url`]).
pub const PATH_CHAT_BOT: &str = "/app-items/{item_id}/chat-bot";
/// Axum template: the member's keys in the storage shim (an appframe extension).
pub const PATH_STORAGE: &str = "/app-items/{item_id}/appframe/storage";
/// Axum template: one key of the storage shim (the key percent-encoded as one segment).
pub const PATH_STORAGE_KEY: &str = "/app-items/{item_id}/appframe/storage/{key}";
/// Axum template: the websocket endpoint.
pub const PATH_WS: &str = "/ws";

fn base(api_host: &str) -> &str {
    api_host.trim_end_matches('/')
}

/// `{apiHost}/app-items/{itemId}/api-access-token`
pub fn token_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/api-access-token", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/context`
pub fn context_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/context", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/app-data`
pub fn app_data_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/app-data", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/app-data/{id}`
pub fn app_data_one_url(api_host: &str, item: &ItemId, id: &RowId) -> String {
    format!("{}/app-items/{item}/app-data/{id}", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/app-action`
pub fn app_action_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/app-action", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/app-settings`
pub fn app_settings_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/app-settings", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/app-settings/{id}`
pub fn app_settings_one_url(api_host: &str, item: &ItemId, id: &RowId) -> String {
    format!("{}/app-items/{item}/app-settings/{id}", base(api_host))
}
/// `{apiHost}/app-items/app-data/upload?id={itemId}`
pub fn app_data_upload_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/app-data/upload?id={item}", base(api_host))
}
/// `{apiHost}/app-items/app-data/{id}/download`
pub fn app_data_download_url(api_host: &str, id: &RowId) -> String {
    format!("{}/app-items/app-data/{id}/download", base(api_host))
}
/// `{apiHost}/app-items/app-settings/upload?id={itemId}`
pub fn app_settings_upload_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/app-settings/upload?id={item}", base(api_host))
}
/// `{apiHost}/app-items/app-settings/{id}/download`
pub fn app_settings_download_url(api_host: &str, id: &RowId) -> String {
    format!("{}/app-items/app-settings/{id}/download", base(api_host))
}
/// `{apiHost}/app-items/{itemId}/chat-bot`. The official client resolves
/// `app-items/<id>/chat-bot` against `apiHost` instead (`new URL`), which drops `apiHost`'s last
/// path segment; the server answers at both places.
pub fn chat_bot_url(api_host: &str, item: &ItemId) -> String {
    format!("{}/app-items/{item}/chat-bot", base(api_host))
}
/// `{apiHost}/ws` with the scheme switched to `ws:`/`wss:` (unlike Graasp, keeps `/api` and TLS).
pub fn ws_url(api_host: &str) -> String {
    let b = base(api_host);
    let b = if let Some(rest) = b.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = b.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        b.to_owned()
    };
    format!("{b}/ws")
}
