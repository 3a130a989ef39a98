//! The `#[wasm_bindgen]` facade for plain JS apps (cargo feature `js`): an ES module with
//! TypeScript definitions, promises, and errors thrown as `Error` objects with a stable `code`.
//!
//! Values cross the boundary as JSON (`JSON.parse`/`JSON.stringify`), so JS sees exactly the
//! Graasp wire shapes (camelCase, ISO timestamps) and no extra conversion crate is needed.

use crate::wire::text::concat;
use crate::{App, AppConfig, Error, ListFilter, NewAppData, Permission, ResizeHandle, SeedAppData};
use appframe_protocol::{AccountId, Context, ItemId, JsonObject, Member, RowId};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{future::Future, time::Duration};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod capabilities;
mod lifecycle;
mod live;
mod storage;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** `{id, name}` of an account. */
export interface Member { id: string; name: string }
/** What the viewer may do. */
export type Permission = 'read' | 'write' | 'admin';
/** Who may see an app-data row besides its creator, addressee and admins. */
export type Visibility = 'member' | 'item';
/** The context sent by the host (Graasp's LocalContext). */
export interface LocalContext {
  apiHost: string; itemId: string; accountId?: string; memberId?: string;
  permission: Permission; context: string; lang: string; settings: Record<string, unknown>;
  offline: boolean; dev: boolean; mobile: boolean;
  /** appframe hosts: their extensions and the browser permissions granted to the frame. */
  appframe?: { version: number; features: string[]; granted?: string[] };
}
export interface AppData {
  id: string; item: { id: string }; account: Member; member: Member; creator: Member | null;
  type: string; visibility: Visibility; data: Record<string, unknown>; createdAt: string; updatedAt: string;
}
export interface AppAction {
  id: string; account: Member; member: Member; type: string; data: Record<string, unknown>; createdAt: string;
}
export interface AppSetting {
  id: string; name: string; data: Record<string, unknown>; creator?: Member | null; createdAt: string; updatedAt: string;
}
export interface AppContext {
  item: { id: string; name: string; description: string | null; path: string; lang: string;
    settings: Record<string, unknown>; type: 'app'; extra: { app: { url: string } }; createdAt: string; updatedAt: string };
  members: Member[];
}
/** One page of rows; pass `nextCursor` as `cursor` for the next one. */
export interface Page<T> { items: T[]; nextCursor: string | null }
export interface ListFilter { type?: string; limit?: number; cursor?: string }
export interface NewAppData { type: string; data: Record<string, unknown>; visibility?: Visibility; accountId?: string }
/** Seed and identity of the in-browser backend used when the page is opened alone. */
export interface StandaloneOptions {
  enabled?: boolean; itemId?: string; account?: Member; members?: Member[]; permission?: Permission;
  context?: string; lang?: string; settings?: Record<string, unknown>; itemName?: string;
  appSettings?: { name: string; data: Record<string, unknown> }[];
  appData?: NewAppData[]; persist?: boolean;
}
export interface ConnectOptions {
  /** The app key registered with the server. */
  key: string;
  /** Default 5000. */
  handshakeTimeoutMs?: number;
  /** Default 10000. */
  tokenTimeoutMs?: number;
  /** How long to wait for the host's answer to `requestDisplayMode`, `openLink`, `ping`.
   * Default 5000. */
  requestTimeoutMs?: number;
  standalone?: StandaloneOptions;
}
/** One message of a chat-bot conversation (Graasp's `ChatBotMessage`). */
export interface ChatBotMessage { role: 'system' | 'user' | 'assistant'; content: string }
/** `gptVersion`: the model (one the server does not allow falls back to its default);
 * `temperature`: 0–2, default 1. */
export interface ChatBotOptions { gptVersion?: string; temperature?: number }
/** The chat bot's answer: its text (`null` when the model gave none) and the model used. */
export interface ChatBotAnswer { completion: string | null; model?: string }
/** What every rejected promise carries. `code` is one of the SDK's stable codes
 * (`ContextTimeout`, `TokenRefused`, `Http`, `HostRefused`, ...); `status`/`serverCode` for
 * `Http`; `hostCode` for `HostRefused` (e.g. `LINK_REFUSED`, `USER_GESTURE_REQUIRED`). */
export interface AppframeError extends Error { code: string; status?: number; serverCode?: string; hostCode?: string }
"#;

/// Turns an SDK error into a thrown JS `Error` with `code` (and `status`, `serverCode` for HTTP).
fn throw(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let set = |k: &str, v: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &k.into(), &v);
    };
    set("code", e.code().into());
    match &e {
        Error::Http { status, code, .. } => {
            set("status", (*status).into());
            set("serverCode", code.as_str().into());
        }
        Error::HostRefused { code, .. } => set("hostCode", code.as_str().into()),
        _ => {}
    }
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    crate::wire::json::to_js_serde(v).map_err(|e| throw(Error::Decode(e)))
}

fn from_js<T: DeserializeOwned>(v: &JsValue) -> Result<T, JsValue> {
    // JSON semantics for arguments: `undefined` (an omitted argument) reads as `null`,
    // `undefined` properties vanish and `Date`s become strings, as through JSON text.
    let v = if v.is_undefined() {
        JsValue::NULL
    } else {
        js_sys::JSON::stringify(v)
            .and_then(|t| {
                // A function or symbol stringifies to `undefined`: read it as `null`.
                let text = JsValue::from(t).as_string();
                js_sys::JSON::parse(text.as_deref().unwrap_or("null"))
            })
            .map_err(|e| throw(Error::Decode(crate::error::js_text(&e))))?
    };
    crate::wire::json::from_js_serde(v)
        .map_err(|e| throw(Error::Decode(concat(&["bad argument: ", &e]))))
}

fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, JsValue> {
    s.parse()
        .map_err(|_| throw(Error::Decode(format!("not a UUID: {s:?}"))))
}

fn promise<T, F>(fut: F) -> js_sys::Promise
where
    T: Serialize,
    F: Future<Output = Result<T, Error>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(throw).and_then(|v| to_js(&v)) })
}

fn promise_unit<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<(), Error>> + 'static,
{
    future_to_promise(async move { fut.await.map(|()| JsValue::UNDEFINED).map_err(throw) })
}

fn promise_bytes<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<Vec<u8>, Error>> + 'static,
{
    future_to_promise(async move {
        fut.await
            .map(|b| js_sys::Uint8Array::from(&b[..]).into())
            .map_err(throw)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectOptions {
    key: String,
    #[serde(default)]
    handshake_timeout_ms: Option<u64>,
    #[serde(default)]
    token_timeout_ms: Option<u64>,
    #[serde(default)]
    request_timeout_ms: Option<u64>,
    #[serde(default)]
    standalone: Option<StandaloneOptions>,
}

#[derive(Deserialize)]
struct SeedSetting {
    name: String,
    #[serde(default)]
    data: JsonObject,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StandaloneOptions {
    enabled: Option<bool>,
    item_id: Option<ItemId>,
    account: Option<Member>,
    members: Vec<Member>,
    permission: Option<Permission>,
    context: Option<Context>,
    lang: Option<String>,
    settings: Option<JsonObject>,
    item_name: Option<String>,
    app_settings: Vec<SeedSetting>,
    app_data: Vec<NewAppData>,
    persist: Option<bool>,
}

impl ConnectOptions {
    fn into_config(self) -> AppConfig {
        let mut c = AppConfig::new(self.key);
        if let Some(ms) = self.handshake_timeout_ms {
            c.handshake_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.token_timeout_ms {
            c.token_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.request_timeout_ms {
            c.request_timeout = Duration::from_millis(ms);
        }
        let s = self.standalone.unwrap_or_default();
        let sc = &mut c.standalone;
        if let Some(v) = s.enabled {
            sc.enabled = v;
        }
        sc.item_id = s.item_id;
        if let Some(v) = s.account {
            sc.account = v;
        }
        sc.members = s.members;
        if let Some(v) = s.permission {
            sc.permission = v;
        }
        if let Some(v) = s.context {
            sc.context = v;
        }
        if let Some(v) = s.lang {
            sc.lang = v;
        }
        if let Some(v) = s.settings {
            sc.settings = v;
        }
        if let Some(v) = s.item_name {
            sc.item_name = v;
        }
        sc.app_settings = s
            .app_settings
            .into_iter()
            .map(|x| (x.name, x.data))
            .collect();
        sc.app_data = s
            .app_data
            .into_iter()
            .map(|d| SeedAppData {
                account_id: d.account_id,
                ty: d.ty,
                visibility: d.visibility.unwrap_or_default(),
                data: d.data,
            })
            .collect();
        if let Some(v) = s.persist {
            sc.persist = v;
        }
        c
    }
}

/// Connects to the host, or opens the standalone backend when the page is opened alone.
#[wasm_bindgen(js_name = connect)]
pub async fn js_connect(
    #[wasm_bindgen(unchecked_param_type = "ConnectOptions")] options: JsValue,
) -> Result<AppframeApp, JsValue> {
    let opts: ConnectOptions = from_js(&options)?;
    let app = App::connect(opts.into_config()).await.map_err(throw)?;
    Ok(AppframeApp { app })
}

/// Opens the standalone backend even when embedded (demos, tests).
#[wasm_bindgen(js_name = openStandalone)]
pub fn js_open_standalone(
    #[wasm_bindgen(unchecked_param_type = "ConnectOptions")] options: JsValue,
) -> Result<AppframeApp, JsValue> {
    let opts: ConnectOptions = from_js(&options)?;
    let app = App::standalone(opts.into_config()).map_err(throw)?;
    Ok(AppframeApp { app })
}

/// A connected app (see the Rust [`App`] for the semantics of each call).
#[wasm_bindgen]
pub struct AppframeApp {
    app: App,
}

/// Sends the document height to the host until `stop()` (or `free()`) is called.
#[wasm_bindgen]
pub struct AppframeResizeHandle {
    handle: Option<ResizeHandle>,
}

#[wasm_bindgen]
impl AppframeResizeHandle {
    /// Stops resizing.
    pub fn stop(&mut self) {
        self.handle = None;
    }
}

#[wasm_bindgen]
impl AppframeApp {
    /// The context from the host (or the standalone backend).
    #[wasm_bindgen(unchecked_return_type = "LocalContext")]
    pub fn context(&self) -> Result<JsValue, JsValue> {
        to_js(&self.app.context())
    }

    /// The app item's id.
    #[wasm_bindgen(js_name = itemId)]
    pub fn item_id(&self) -> String {
        self.app.item_id().to_string()
    }

    /// True in standalone mode.
    #[wasm_bindgen(js_name = isStandalone)]
    pub fn is_standalone(&self) -> bool {
        self.app.is_standalone()
    }

    /// Handshakes again and switches to the new port.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn reconnect(&self) -> js_sys::Promise {
        let app = self.app.clone();
        promise_unit(async move { app.reconnect().await })
    }

    /// The app token (for calls the SDK does not wrap).
    #[wasm_bindgen(js_name = authToken, unchecked_return_type = "Promise<string>")]
    pub fn auth_token(&self) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move { app.auth_token().await })
    }

    /// Lists visible app data.
    #[wasm_bindgen(js_name = listAppData, unchecked_return_type = "Promise<Page<AppData>>")]
    pub fn list_app_data(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListFilter")] filter: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let filter: Option<ListFilter> = from_js(&filter)?;
        let app = self.app.clone();
        Ok(promise(async move {
            app.list_app_data(filter.unwrap_or_default()).await
        }))
    }

    /// Creates an app-data row.
    #[wasm_bindgen(js_name = createAppData, unchecked_return_type = "Promise<AppData>")]
    pub fn create_app_data(
        &self,
        #[wasm_bindgen(unchecked_param_type = "NewAppData")] input: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let input: NewAppData = from_js(&input)?;
        let app = self.app.clone();
        Ok(promise(async move { app.create_app_data(input).await }))
    }

    /// Replaces the data of an app-data row.
    #[wasm_bindgen(js_name = patchAppData, unchecked_return_type = "Promise<AppData>")]
    pub fn patch_app_data(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] data: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let data: JsonObject = from_js(&data)?;
        let app = self.app.clone();
        Ok(promise(async move { app.patch_app_data(id, data).await }))
    }

    /// Deletes an app-data row.
    #[wasm_bindgen(js_name = deleteAppData, unchecked_return_type = "Promise<void>")]
    pub fn delete_app_data(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise_unit(async move { app.delete_app_data(id).await }))
    }

    /// Uploads a file (Blob or File) as app data of type `file`.
    #[wasm_bindgen(js_name = uploadAppDataFile, unchecked_return_type = "Promise<AppData>")]
    pub fn upload_app_data_file(&self, file: web_sys::Blob, name: String) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move { app.upload_app_data_file(&file, &name).await })
    }

    /// Downloads the file of an app-data row.
    #[wasm_bindgen(js_name = downloadAppDataFile, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn download_app_data_file(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise_bytes(async move {
            app.download_app_data_file(id).await
        }))
    }

    /// Downloads the file of an app-data row as a `blob:` URL (revoke it with `URL.revokeObjectURL`).
    /// Only inert types (raster images, text, audio, video) keep their type; HTML, SVG, XML,
    /// PDF and unknown types are `application/octet-stream`, so opening the URL downloads them.
    #[wasm_bindgen(js_name = downloadAppDataFileUrl, unchecked_return_type = "Promise<string>")]
    pub fn download_app_data_file_url(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise(async move {
            app.download_app_data_file_url(id).await.map(|u| u.keep())
        }))
    }

    /// Lists app actions (own for non-admins; all or `accountId`'s for admins).
    #[wasm_bindgen(js_name = listAppActions, unchecked_return_type = "Promise<AppAction[]>")]
    pub fn list_app_actions(
        &self,
        #[wasm_bindgen(js_name = accountId)] account_id: Option<String>,
    ) -> Result<js_sys::Promise, JsValue> {
        let account: Option<AccountId> = account_id.as_deref().map(parse_id).transpose()?;
        let app = self.app.clone();
        Ok(promise(async move { app.list_app_actions(account).await }))
    }

    /// Records an app action.
    #[wasm_bindgen(js_name = createAppAction, unchecked_return_type = "Promise<void>")]
    pub fn create_app_action(
        &self,
        #[wasm_bindgen(js_name = type)] ty: String,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] data: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let data: JsonObject = from_js(&data)?;
        let app = self.app.clone();
        Ok(promise_unit(async move {
            app.create_app_action(&ty, data).await
        }))
    }

    /// Asks the chat bot to continue `messages` (standalone: Graasp's mock answer).
    #[wasm_bindgen(js_name = chatBot, unchecked_return_type = "Promise<ChatBotAnswer>")]
    pub fn chat_bot(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChatBotMessage[]")] messages: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChatBotOptions | undefined")] options: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let messages: Vec<appframe_protocol::ChatBotMessage> = from_js(&messages)?;
        let options: Option<crate::ChatBotOptions> = from_js(&options)?;
        let app = self.app.clone();
        Ok(promise(async move {
            app.chat_bot(&messages, options.unwrap_or_default()).await
        }))
    }

    /// Lists app settings, optionally by name.
    #[wasm_bindgen(js_name = listAppSettings, unchecked_return_type = "Promise<AppSetting[]>")]
    pub fn list_app_settings(&self, name: Option<String>) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move { app.list_app_settings(name.as_deref()).await })
    }

    /// Creates an app setting (admin only).
    #[wasm_bindgen(js_name = createAppSetting, unchecked_return_type = "Promise<AppSetting>")]
    pub fn create_app_setting(
        &self,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] data: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let data: JsonObject = from_js(&data)?;
        let app = self.app.clone();
        Ok(promise(
            async move { app.create_app_setting(&name, data).await },
        ))
    }

    /// Replaces the data of an app setting (admin only).
    #[wasm_bindgen(js_name = patchAppSetting, unchecked_return_type = "Promise<AppSetting>")]
    pub fn patch_app_setting(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] data: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let data: JsonObject = from_js(&data)?;
        let app = self.app.clone();
        Ok(promise(
            async move { app.patch_app_setting(id, data).await },
        ))
    }

    /// Deletes an app setting (admin only).
    #[wasm_bindgen(js_name = deleteAppSetting, unchecked_return_type = "Promise<void>")]
    pub fn delete_app_setting(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise_unit(
            async move { app.delete_app_setting(id).await },
        ))
    }

    /// Uploads a file as an app setting named `name` (default `file`; admin only).
    #[wasm_bindgen(js_name = uploadAppSettingFile, unchecked_return_type = "Promise<AppSetting>")]
    pub fn upload_app_setting_file(
        &self,
        file: web_sys::Blob,
        #[wasm_bindgen(js_name = fileName)] file_name: String,
        name: Option<String>,
    ) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move {
            app.upload_app_setting_file(&file, &file_name, name.as_deref())
                .await
        })
    }

    /// Downloads the file of an app setting.
    #[wasm_bindgen(js_name = downloadAppSettingFile, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn download_app_setting_file(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise_bytes(async move {
            app.download_app_setting_file(id).await
        }))
    }

    /// Downloads the file of an app setting as a `blob:` URL.
    #[wasm_bindgen(js_name = downloadAppSettingFileUrl, unchecked_return_type = "Promise<string>")]
    pub fn download_app_setting_file_url(&self, id: &str) -> Result<js_sys::Promise, JsValue> {
        let id: RowId = parse_id(id)?;
        let app = self.app.clone();
        Ok(promise(async move {
            app.download_app_setting_file_url(id)
                .await
                .map(|u| u.keep())
        }))
    }

    /// The app item and its members.
    #[wasm_bindgen(js_name = appContext, unchecked_return_type = "Promise<AppContext>")]
    pub fn app_context(&self) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move { app.app_context().await })
    }

    /// Starts auto-resize; keep the handle, call `stop()` to end.
    #[wasm_bindgen(js_name = autoResize)]
    pub fn auto_resize(&self) -> Result<AppframeResizeHandle, JsValue> {
        let handle = self.app.auto_resize().map_err(throw)?;
        Ok(AppframeResizeHandle {
            handle: Some(handle),
        })
    }

    /// Asks the host for a full-viewport iframe.
    #[wasm_bindgen(js_name = maxResize)]
    pub fn max_resize(&self) -> Result<(), JsValue> {
        self.app.max_resize().map_err(throw)
    }

    /// Standalone only: wipes and reseeds the mock backend.
    pub fn reset(&self) -> Result<(), JsValue> {
        self.app.reset().map_err(throw)
    }

    /// Standalone only: act as another member with a permission.
    #[wasm_bindgen(js_name = switchAccount)]
    pub fn switch_account(
        &self,
        #[wasm_bindgen(js_name = accountId)] account_id: &str,
        #[wasm_bindgen(unchecked_param_type = "Permission")] permission: JsValue,
    ) -> Result<(), JsValue> {
        let account: AccountId = parse_id(account_id)?;
        let permission: Permission = from_js(&permission)?;
        self.app.switch_account(account, permission).map_err(throw)
    }

    /// Standalone only: adds a member to the item.
    #[wasm_bindgen(js_name = addMember)]
    pub fn add_member(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Member")] member: JsValue,
    ) -> Result<(), JsValue> {
        let member: Member = from_js(&member)?;
        self.app.add_member(member).map_err(throw)
    }
}
