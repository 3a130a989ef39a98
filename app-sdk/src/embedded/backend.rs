//! [`Embedded`]: the backend of an app in a host's iframe. The context and channel come from
//! the handshake; every app route is an HTTP request with the app token, which is asked again
//! once when the server answers 401.

use super::{
    channel::{Channel, HostHook},
    handshake::handshake,
    http::{self, Body, Fetch, Request},
    resize::ResizeHandle,
    token::TokenCache,
};
use crate::inert::inert_type;
use crate::{
    config::AppConfig,
    env::HostEnv,
    error::{Error, js_text},
    types::{ListFilter, NewAppData, Page},
    wire::{
        codec::FromJson,
        json, message,
        text::{concat, format_uuid, int_text},
        url::{next_cursor, route, upload_route, with_query},
    },
};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppSetting, ChatBotAnswer, ChatBotMessage,
    ChatBotQuery, CreateAppAction, CreateAppSetting, ItemId, JsonObject, KeyOrigin, LocalContext,
    PatchData, RowId, routes,
};
use std::{cell::RefCell, rc::Rc, time::Duration};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FormData, Response};

/// The embedded backend: the host's context, the channel to it, the token and `fetch`.
pub(crate) struct Embedded {
    key: String,
    handshake_timeout: Duration,
    token_timeout: Duration,
    pub(crate) request_timeout: Duration,
    env: HostEnv,
    item_id: ItemId,
    /// Shared with protocol v2's listener, which applies the host's context changes.
    pub(crate) context: Rc<RefCell<LocalContext>>,
    /// Shared with the resize callback and protocol v2, so both follow a re-handshake.
    pub(crate) channel: Rc<RefCell<Rc<Channel>>>,
    /// The app's listener of the host's protocol-v2 messages, shared by every channel.
    pub(crate) hook: HostHook,
    token: TokenCache,
    fetch: Fetch,
}

/// Reads one entity where a server may answer `{...}` or `[{...}]` (uploads).
async fn one<T: FromJson>(resp: &Response) -> Result<T, Error> {
    let v = http::json_value(resp).await?;
    let v = match v.dyn_into::<js_sys::Array>() {
        Ok(a) if a.length() == 1 => a.get(0),
        Ok(a) => a.into(),
        Err(v) => v,
    };
    http::from_value(&v)
}

fn req(method: &'static str, url: String, body: Body) -> Request {
    Request { method, url, body }
}

/// A multipart form with `fields` (text) before the file part `files`.
fn upload_form(fields: &[(&str, &str)], file: &Blob, file_name: &str) -> Result<FormData, Error> {
    let form = FormData::new().map_err(|e| Error::Browser(js_text(&e)))?;
    for (name, value) in fields {
        form.append_with_str(name, value)
            .map_err(|e| Error::Browser(js_text(&e)))?;
    }
    form.append_with_blob_and_filename("files", file, file_name)
        .map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(form)
}

impl Embedded {
    /// The backend after the first handshake with the host of `env` (which the app awaits
    /// itself: one future to connect rather than two nested ones).
    pub(crate) fn new(
        config: &AppConfig,
        env: HostEnv,
        fetch: Fetch,
        item_id: ItemId,
        context: LocalContext,
        channel: Channel,
        hook: HostHook,
    ) -> Embedded {
        Embedded {
            key: config.key.clone(),
            handshake_timeout: config.handshake_timeout,
            token_timeout: config.token_timeout,
            request_timeout: config.request_timeout,
            env,
            item_id,
            context: Rc::new(RefCell::new(context)),
            channel: Rc::new(RefCell::new(Rc::new(channel))),
            hook,
            token: TokenCache::new(),
            fetch,
        }
    }

    /// The context of the last handshake.
    pub(crate) fn context(&self) -> LocalContext {
        self.context.borrow().clone()
    }

    /// The app's own window (for its `online` event).
    pub(crate) fn window(&self) -> &web_sys::Window {
        &self.env.own
    }

    /// Handshakes again and switches to the new channel and context; the token is asked again.
    pub(crate) async fn reconnect(&self) -> Result<(), Error> {
        let (context, channel) = handshake(
            &self.env,
            self.item_id,
            &self.key,
            self.handshake_timeout,
            &self.hook,
        )
        .await?;
        *self.channel.borrow_mut() = Rc::new(channel);
        *self.context.borrow_mut() = context;
        self.token.clear();
        Ok(())
    }

    /// The app token (cached; asked from the host when missing).
    pub(crate) async fn token(&self) -> Result<String, Error> {
        let channel = self.channel.borrow().clone();
        let payload = KeyOrigin {
            key: self.key.clone(),
            origin: self.env.own_origin.clone(),
        };
        self.token.get(channel, payload, self.token_timeout).await
    }

    /// Drops `token` from the cache.
    pub(crate) fn invalidate_token(&self, token: &str) {
        self.token.invalidate(token);
    }

    /// Sends with the token; on 401 gets one fresh token and retries once.
    pub(super) async fn send(&self, req: Request) -> Result<Response, Error> {
        let token = self.token().await?;
        let mut resp = self.fetch.send(&req, Some(&token)).await?;
        if resp.status() == 401 {
            self.token.invalidate(&token);
            let fresh = self.token().await?;
            resp = self.fetch.send(&req, Some(&fresh)).await?;
        }
        if !resp.ok() {
            return Err(http::error_of(&resp).await);
        }
        Ok(resp)
    }

    /// The API host and the item; whether lists are paged (an appframe extension: only with
    /// a host that says it is appframe).
    fn api(&self) -> (String, ItemId, bool) {
        let c = self.context.borrow();
        (c.api_host.clone(), c.item_id, c.appframe.is_some())
    }

    /// The URL of `template` for this item (and row `id`).
    pub(super) fn route(&self, template: &str, id: Option<&RowId>) -> String {
        let (host, item, _) = self.api();
        route(&host, template, Some(&item), id)
    }

    pub(crate) async fn list_app_data(&self, filter: ListFilter) -> Result<Page<AppData>, Error> {
        let (host, item, paged) = self.api();
        // Parameters that are `None` are left out of the query.
        let (limit, cursor) = if paged {
            (filter.limit.map(|l| int_text(i64::from(l))), filter.cursor)
        } else {
            (None, None)
        };
        let url = with_query(
            route(&host, routes::PATH_APP_DATA, Some(&item), None),
            &[("type", filter.ty), ("limit", limit), ("cursor", cursor)],
        );
        let resp = self.send(req("GET", url, Body::None)).await?;
        let link = resp.headers().get("link").ok().flatten();
        let items = http::json(&resp).await?;
        Ok(Page {
            items,
            next_cursor: link.as_deref().and_then(next_cursor),
        })
    }

    pub(crate) async fn create_app_data(&self, input: NewAppData) -> Result<AppData, Error> {
        let body = Body::Json(json::body(&input.to_wire())?);
        let url = self.route(routes::PATH_APP_DATA, None);
        http::json(&self.send(req("POST", url, body)).await?).await
    }

    pub(crate) async fn patch_app_data(
        &self,
        id: RowId,
        data: JsonObject,
    ) -> Result<AppData, Error> {
        let body = Body::Json(json::body(&PatchData { data })?);
        let url = self.route(routes::PATH_APP_DATA_ONE, Some(&id));
        http::json(&self.send(req("PATCH", url, body)).await?).await
    }

    pub(crate) async fn delete_app_data(&self, id: RowId) -> Result<(), Error> {
        let url = self.route(routes::PATH_APP_DATA_ONE, Some(&id));
        // The body is the deleted id as text/plain; nothing more to read.
        self.send(req("DELETE", url, Body::None)).await.map(|_| ())
    }

    pub(crate) async fn upload_app_data_file(
        &self,
        file: &Blob,
        name: &str,
    ) -> Result<AppData, Error> {
        let (host, item, _) = self.api();
        let form = upload_form(&[], file, name)?;
        let url = upload_route(&host, routes::PATH_APP_DATA_UPLOAD, &item);
        one(&self.send(req("POST", url, Body::Form(form))).await?).await
    }

    pub(crate) async fn list_app_actions(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        let url = with_query(
            self.route(routes::PATH_APP_ACTION, None),
            &[("accountId", account.map(|a| format_uuid(a.0)))],
        );
        http::json(&self.send(req("GET", url, Body::None)).await?).await
    }

    pub(crate) async fn create_app_action(&self, ty: &str, data: JsonObject) -> Result<(), Error> {
        let body = Body::Json(json::body(&CreateAppAction {
            data,
            ty: ty.to_owned(),
        })?);
        let url = self.route(routes::PATH_APP_ACTION, None);
        // The server answers 204 with no body.
        self.send(req("POST", url, body)).await.map(|_| ())
    }

    /// Asks the server's chat bot (under `apiHost`, where this SDK always calls).
    pub(crate) async fn chat_bot(
        &self,
        messages: &[ChatBotMessage],
        options: &ChatBotQuery,
    ) -> Result<ChatBotAnswer, Error> {
        // The browser's number printing, so no float formatter is linked into the wasm.
        let temperature = options.temperature.map(|t| {
            js_sys::Number::from(t)
                .to_string_with_radix(10)
                .map(String::from)
                .unwrap_or_default()
        });
        let url = with_query(
            self.route(routes::PATH_CHAT_BOT, None),
            &[
                ("gptVersion", options.gpt_version.clone()),
                ("temperature", temperature),
            ],
        );
        let body = Body::Json(json::body(&messages.to_vec())?);
        http::json(&self.send(req("POST", url, body)).await?).await
    }

    pub(crate) async fn list_app_settings(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<AppSetting>, Error> {
        let url = with_query(
            self.route(routes::PATH_APP_SETTINGS, None),
            &[("name", name.map(str::to_owned))],
        );
        http::json(&self.send(req("GET", url, Body::None)).await?).await
    }

    pub(crate) async fn create_app_setting(
        &self,
        name: &str,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        let body = Body::Json(json::body(&CreateAppSetting {
            name: name.to_owned(),
            data,
        })?);
        let url = self.route(routes::PATH_APP_SETTINGS, None);
        http::json(&self.send(req("POST", url, body)).await?).await
    }

    pub(crate) async fn patch_app_setting(
        &self,
        id: RowId,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        let body = Body::Json(json::body(&PatchData { data })?);
        let url = self.route(routes::PATH_APP_SETTINGS_ONE, Some(&id));
        http::json(&self.send(req("PATCH", url, body)).await?).await
    }

    pub(crate) async fn delete_app_setting(&self, id: RowId) -> Result<(), Error> {
        let url = self.route(routes::PATH_APP_SETTINGS_ONE, Some(&id));
        self.send(req("DELETE", url, Body::None)).await.map(|_| ())
    }

    pub(crate) async fn upload_app_setting_file(
        &self,
        file: &Blob,
        file_name: &str,
        name: Option<&str>,
    ) -> Result<AppSetting, Error> {
        let (host, item, _) = self.api();
        // The server reads `name` only when it comes before the file part.
        let form = match name {
            Some(n) => upload_form(&[("name", n)], file, file_name)?,
            None => upload_form(&[], file, file_name)?,
        };
        let url = upload_route(&host, routes::PATH_APP_SETTINGS_UPLOAD, &item);
        one(&self.send(req("POST", url, Body::Form(form))).await?).await
    }

    pub(crate) async fn app_context(&self) -> Result<AppContext, Error> {
        let url = self.route(routes::PATH_CONTEXT, None);
        http::json(&self.send(req("GET", url, Body::None)).await?).await
    }

    /// The file of row `id` behind the download route `template`.
    pub(crate) async fn download(&self, template: &str, id: RowId) -> Result<Vec<u8>, Error> {
        let resp = self.fetch_file(template, id).await?;
        http::bytes(&resp).await
    }

    /// The file of row `id` as a blob whose type is the server's `Content-Type` made inert.
    pub(crate) async fn download_blob(&self, template: &str, id: RowId) -> Result<Blob, Error> {
        let resp = self.fetch_file(template, id).await?;
        let p = resp.blob().map_err(|e| Error::Decode(js_text(&e)))?;
        let blob = JsFuture::from(p)
            .await
            .map_err(|e| Error::Network(js_text(&e)))?
            .dyn_into::<Blob>()
            .map_err(|_| Error::Decode("not a Blob".into()))?;
        blob.slice_with_f64_and_f64_and_content_type(0.0, blob.size(), &inert_type(&blob.type_()))
            .map_err(|e| Error::Browser(js_text(&e)))
    }

    /// Follows a download route: the server answers with a (signed) URL, fetched without credentials.
    async fn fetch_file(&self, template: &str, id: RowId) -> Result<Response, Error> {
        let (host, _, _) = self.api();
        let route = route(&host, template, None, Some(&id));
        let resp = self.send(req("GET", route.clone(), Body::None)).await?;
        let text = http::text(&resp).await?;
        // Graasp answers text/plain; tolerate a JSON string too.
        let raw = json::parse::<String>(&text).unwrap_or(text);
        let url = web_sys::Url::new_with_base(raw.trim_ascii(), &route)
            .map_err(|_| Error::Decode(concat(&["bad file URL ", raw.trim_ascii()])))?
            .href();
        let file = self.fetch.get_plain(&url).await?;
        if !file.ok() {
            return Err(http::error_of(&file).await);
        }
        Ok(file)
    }

    /// Starts sending the document height to the host until the handle is dropped.
    pub(crate) fn auto_resize(&self) -> Result<ResizeHandle, Error> {
        let channel = Rc::downgrade(&self.channel);
        let send = Rc::new(move |height: i32| {
            // Always the current channel, so resizes follow a re-handshake.
            if let Some(cell) = channel.upgrade() {
                let channel = cell.borrow().clone();
                let _ = channel.post(&message::auto_resize(channel.item_id(), height));
            }
        });
        ResizeHandle::start(self.env.own.clone(), send)
    }

    /// Asks the host to make the iframe as tall as its viewport.
    pub(crate) fn max_resize(&self) -> Result<(), Error> {
        let channel = self.channel.borrow().clone();
        channel.post(&message::max_resize(self.item_id))
    }
}
