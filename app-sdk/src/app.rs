//! [`App`]: the connected app, with the typed client over every app route.

use crate::inert::inert_type;
use crate::listen::Listener;
use crate::{
    config::AppConfig,
    embedded::channel::Channel,
    embedded::handshake::handshake,
    embedded::http::{self, Body, Fetch, Request},
    embedded::resize::ResizeHandle,
    embedded::token::TokenCache,
    env::HostEnv,
    error::{Error, js_text},
    live::hub::{Hub, LiveConfig, LiveSlot},
    types::{ListFilter, NewAppData, Page},
    wire::codec::{FromJson, format_uuid, int_text},
    wire::json,
    wire::message as wire,
};
#[cfg(feature = "standalone")]
use crate::{
    config::DEFAULT_STANDALONE_ITEM_ID,
    env::{item_id_from_search, window},
    live::hub::{LiveEvent, Op, Topic},
    standalone::backend::{Backing, LocalStore, MemoryStore, Standalone},
    standalone::db::FileMeta,
};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppSetting, CreateAppAction, CreateAppSetting,
    ItemId, JsonObject, KeyOrigin, LocalContext, Member, PatchData, Permission, RowId, routes,
};
use std::{
    cell::RefCell,
    rc::{Rc, Weak},
    time::Duration,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FormData, Response};

/// A connected app: its context, and calls to the server (or to the standalone backend).
///
/// Cheap to clone (all clones share one connection); not `Send` (the browser is single-threaded).
#[derive(Clone)]
pub struct App {
    inner: Rc<Inner>,
}

struct Inner {
    key: String,
    handshake_timeout: Duration,
    token_timeout: Duration,
    context: RefCell<LocalContext>,
    backend: Backend,
    /// Re-handshake on the window `online` event; removed when the last clone drops.
    online: RefCell<Option<Listener>>,
    live_config: LiveConfig,
    /// Live updates (`live.rs`): `None` until the first subscription. A trait object, so
    /// that apps that never subscribe link none of it (not even the hub's drop code).
    live: RefCell<Option<Rc<dyn LiveSlot>>>,
}

/// An [`App`] that does not keep it alive (for callbacks the app itself owns).
pub(crate) struct WeakApp(Weak<Inner>);

impl WeakApp {
    /// The app, if a clone is still alive.
    pub(crate) fn upgrade(&self) -> Option<App> {
        self.0.upgrade().map(|inner| App { inner })
    }
}

enum Backend {
    Remote(Remote),
    #[cfg(feature = "standalone")]
    Standalone(Box<Standalone>),
}

struct Remote {
    env: HostEnv,
    item_id: ItemId,
    channel: RefCell<Rc<Channel>>,
    token: TokenCache,
    fetch: Fetch,
}

/// An object URL for downloaded bytes; revoked when dropped (call [`BlobUrl::keep`] to keep it).
#[derive(Debug)]
pub struct BlobUrl {
    url: String,
    revoke: bool,
}

impl BlobUrl {
    /// The `blob:` URL (valid while this value lives).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Keeps the URL valid for the page's lifetime and returns it.
    pub fn keep(mut self) -> String {
        self.revoke = false;
        std::mem::take(&mut self.url)
    }
}

impl Drop for BlobUrl {
    fn drop(&mut self) {
        if self.revoke {
            // Revoking an unknown URL is a no-op; nothing to report.
            let _ = web_sys::Url::revoke_object_url(&self.url);
        }
    }
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

#[cfg(feature = "standalone")]
async fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, Error> {
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

#[cfg(feature = "standalone")]
fn bytes_blob(bytes: &[u8], mimetype: &str) -> Result<Blob, Error> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(&inert_type(mimetype));
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        .map_err(|e| Error::Browser(js_text(&e)))
}

fn blob_url(blob: &Blob) -> Result<BlobUrl, Error> {
    let url =
        web_sys::Url::create_object_url_with_blob(blob).map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(BlobUrl { url, revoke: true })
}

#[cfg(feature = "standalone")]
fn file_meta_of(blob: &Blob, name: &str) -> FileMeta {
    let ty = blob.type_();
    FileMeta {
        name: name.to_owned(),
        mimetype: if ty.is_empty() {
            "application/octet-stream".into()
        } else {
            ty
        },
    }
}

#[cfg(feature = "standalone")]
/// Now, from the browser clock (the `time` crate has no clock on wasm32-unknown-unknown).
fn browser_now() -> time::OffsetDateTime {
    // Whole milliseconds, as `Date.now()` gives them; seconds and a remainder rather than i128
    // nanoseconds, whose division links a 128-bit division routine.
    let ms = js_sys::Date::now() as i64;
    crate::wire::codec::time_of(
        ms.div_euclid(1000),
        (ms.rem_euclid(1000) * 1_000_000) as u32,
    )
    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(feature = "standalone")]
/// A random v4 id for a standalone row from `Math.random` (52 random bits per call): the ids
/// only need to be unique within one browser's mock database, not unguessable.
fn browser_id() -> RowId {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(4) {
        let n = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        chunk.copy_from_slice(&n.to_le_bytes());
    }
    RowId(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

impl App {
    /// Connects to the host (handshake), or opens the standalone backend when the page is not
    /// embedded (`window.parent === window`) and standalone mode is enabled.
    pub async fn connect(config: AppConfig) -> Result<App, Error> {
        match HostEnv::detect()? {
            Some(env) => {
                let fetch = Fetch::from_window(&env.own)?;
                App::connect_embedded(config, env, fetch).await
            }
            #[cfg(feature = "standalone")]
            None if config.standalone.enabled => App::standalone(config),
            None => Err(Error::NotEmbedded),
        }
    }

    /// Connects through an explicit environment (tests put a fake host there).
    pub(crate) async fn connect_embedded(
        config: AppConfig,
        env: HostEnv,
        fetch: Fetch,
    ) -> Result<App, Error> {
        let item_id = env.item_id.ok_or(Error::MissingItemId)?;
        let (context, channel) =
            handshake(&env, item_id, &config.key, config.handshake_timeout).await?;
        let own = env.own.clone();
        let inner = Rc::new(Inner {
            key: config.key,
            handshake_timeout: config.handshake_timeout,
            token_timeout: config.token_timeout,
            context: RefCell::new(context),
            backend: Backend::Remote(Remote {
                env,
                item_id,
                channel: RefCell::new(Rc::new(channel)),
                token: TokenCache::new(),
                fetch,
            }),
            online: RefCell::new(None),
            live_config: config.live,
            live: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        // Back online: the host may have reloaded its side; take a fresh channel (as Graasp's
        // client does through react-query's refetchOnReconnect).
        let listener = Listener::new(&own, "online", move |_| {
            if let Some(inner) = weak.upgrade() {
                wasm_bindgen_futures::spawn_local(async move {
                    // A failed re-handshake keeps the old channel, which may still work.
                    let _ = App { inner }.reconnect().await;
                });
            }
        });
        *inner.online.borrow_mut() = Some(listener);
        Ok(App { inner })
    }

    /// Opens the standalone backend even when embedded (for demos and tests).
    /// Without the `standalone` feature this fails with `NotEmbedded`.
    #[cfg(not(feature = "standalone"))]
    pub fn standalone(_config: AppConfig) -> Result<App, Error> {
        Err(Error::NotEmbedded)
    }

    /// Opens the standalone backend even when embedded (for demos and tests).
    #[cfg(feature = "standalone")]
    pub fn standalone(config: AppConfig) -> Result<App, Error> {
        let w = window()?;
        let loc = w.location();
        let item_id = item_id_from_search(&loc.search().unwrap_or_default())
            .or(config.standalone.item_id)
            .unwrap_or(DEFAULT_STANDALONE_ITEM_ID);
        let origin = loc.origin().unwrap_or_default();
        let app_url = [origin.as_str(), &loc.pathname().unwrap_or_default()].concat();
        let local = if config.standalone.persist {
            // Opaque origins (sandboxed iframes, some file:// pages) have no localStorage:
            // fall back to memory so the page still works.
            w.local_storage().ok().flatten()
        } else {
            None
        };
        let store = match local {
            Some(s) => Backing::Local(LocalStore(s)),
            None => Backing::Memory(MemoryStore::default()),
        };
        App::standalone_with(config, store, item_id, origin, app_url)
    }

    #[cfg(feature = "standalone")]
    pub(crate) fn standalone_with(
        config: AppConfig,
        store: Backing,
        item_id: ItemId,
        origin: String,
        app_url: String,
    ) -> Result<App, Error> {
        let backend = Standalone::open(
            store,
            &config.key,
            item_id,
            config.standalone,
            app_url,
            Box::new(browser_now),
            Box::new(browser_id),
        )?;
        let context = backend.context(&[origin.as_str(), "/api"].concat());
        Ok(App {
            inner: Rc::new(Inner {
                key: config.key,
                handshake_timeout: config.handshake_timeout,
                token_timeout: config.token_timeout,
                context: RefCell::new(context),
                backend: Backend::Standalone(Box::new(backend)),
                online: RefCell::new(None),
                live_config: config.live,
                live: RefCell::new(None),
            }),
        })
    }

    pub(crate) fn downgrade(&self) -> WeakApp {
        WeakApp(Rc::downgrade(&self.inner))
    }

    /// The live-update hub, created by the first subscription.
    pub(crate) fn live_hub(&self) -> Rc<Hub> {
        if let Some(h) = self.live_slot() {
            return h.hub();
        }
        let hub = Hub::new(self, self.inner.live_config);
        *self.inner.live.borrow_mut() = Some(Rc::new(hub.clone()));
        hub
    }

    /// The live-update hub, if something subscribed.
    pub(crate) fn live_slot(&self) -> Option<Rc<dyn LiveSlot>> {
        self.inner.live.borrow().clone()
    }

    /// Drops `token` from the cache (the socket was closed for an expired token).
    pub(crate) fn invalidate_token(&self, token: &str) {
        #[allow(irrefutable_let_patterns)] // without the `standalone` feature
        if let Backend::Remote(r) = &self.inner.backend {
            r.token.invalidate(token);
        }
    }

    /// Standalone: the `localStorage` key of the database (`None` when remote or in memory).
    pub(crate) fn standalone_storage_key(&self) -> Option<String> {
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = &self.inner.backend {
            return s.storage_key();
        }
        None
    }

    /// Standalone: reads the stored database again (another tab wrote it).
    pub(crate) fn standalone_reload(&self) -> Result<(), Error> {
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = &self.inner.backend {
            s.reload()?;
            self.refresh_standalone_context(s);
        }
        Ok(())
    }

    /// The context from the host (or the standalone backend). A re-handshake may change it.
    pub fn context(&self) -> LocalContext {
        self.inner.context.borrow().clone()
    }

    /// The app item's id.
    pub fn item_id(&self) -> ItemId {
        self.inner.context.borrow().item_id
    }

    /// True when running against the in-browser standalone backend.
    pub fn is_standalone(&self) -> bool {
        #[cfg(feature = "standalone")]
        return matches!(self.inner.backend, Backend::Standalone(_));
        #[cfg(not(feature = "standalone"))]
        false
    }

    /// Handshakes again and switches to the new channel (the token is asked again). Requests
    /// in flight on the old channel still complete. A no-op in standalone mode.
    pub async fn reconnect(&self) -> Result<(), Error> {
        #[allow(irrefutable_let_patterns)] // without the `standalone` feature
        let Backend::Remote(r) = &self.inner.backend else {
            return Ok(());
        };
        let (context, channel) = handshake(
            &r.env,
            r.item_id,
            &self.inner.key,
            self.inner.handshake_timeout,
        )
        .await?;
        *r.channel.borrow_mut() = Rc::new(channel);
        *self.inner.context.borrow_mut() = context;
        r.token.clear();
        Ok(())
    }

    /// The app token (cached; asked from the host when missing). In standalone mode a
    /// placeholder `standalone <accountId>`, as no server checks it.
    pub async fn auth_token(&self) -> Result<String, Error> {
        match &self.inner.backend {
            Backend::Remote(r) => self.token(r).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => Ok([
                "standalone ",
                &s.caller()
                    .account
                    .map(|a| format_uuid(a.0))
                    .unwrap_or_default(),
            ]
            .concat()),
        }
    }

    async fn token(&self, r: &Remote) -> Result<String, Error> {
        let channel = r.channel.borrow().clone();
        let payload = KeyOrigin {
            key: self.inner.key.clone(),
            origin: r.env.own_origin.clone(),
        };
        r.token
            .get(channel, payload, self.inner.token_timeout)
            .await
    }

    /// Sends with the token; on 401 gets one fresh token and retries once.
    async fn send(&self, r: &Remote, req: Request) -> Result<Response, Error> {
        let token = self.token(r).await?;
        let mut resp = r.fetch.send(&req, Some(&token)).await?;
        if resp.status() == 401 {
            r.token.invalidate(&token);
            let fresh = self.token(r).await?;
            resp = r.fetch.send(&req, Some(&fresh)).await?;
        }
        if !resp.ok() {
            return Err(http::error_of(&resp).await);
        }
        Ok(resp)
    }

    fn api(&self) -> (String, ItemId, bool) {
        let c = self.inner.context.borrow();
        // Pagination is an appframe extension: only with a host that says it is appframe.
        (c.api_host.clone(), c.item_id, c.appframe.is_some())
    }

    fn req(method: &'static str, url: String, body: Body) -> Request {
        Request { method, url, body }
    }

    /// Lists app data visible to the user (`type` filter; pages with appframe servers).
    pub async fn list_app_data(&self, filter: ListFilter) -> Result<Page<AppData>, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_data(&filter),
            Backend::Remote(r) => {
                let (host, item, paged) = self.api();
                let mut params = vec![("type", filter.ty.clone())];
                if paged {
                    params.push(("limit", filter.limit.map(|l| int_text(i64::from(l)))));
                    params.push(("cursor", filter.cursor.clone()));
                }
                let url = http::with_query(
                    http::route(&host, routes::PATH_APP_DATA, Some(&item), None),
                    &params,
                );
                let resp = self.send(r, Self::req("GET", url, Body::None)).await?;
                let link = resp.headers().get("link").ok().flatten();
                let items = http::json(&resp).await?;
                Ok(Page {
                    items,
                    next_cursor: link.as_deref().and_then(http::next_cursor),
                })
            }
        }
    }

    /// Creates an app-data row.
    pub async fn create_app_data(&self, input: NewAppData) -> Result<AppData, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.create_app_data(&input).inspect(|r| {
                self.live_emit(Topic::AppData, || LiveEvent::AppData(Op::Post, r.clone()))
            }),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let body = Body::Json(json::body(&input.to_wire())?);
                let req = Self::req(
                    "POST",
                    http::route(&host, routes::PATH_APP_DATA, Some(&item), None),
                    body,
                );
                http::json(&self.send(r, req).await?).await
            }
        }
    }

    /// Replaces the `data` of an app-data row.
    pub async fn patch_app_data(&self, id: RowId, data: JsonObject) -> Result<AppData, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.patch_app_data(id, data).inspect(|r| {
                self.live_emit(Topic::AppData, || LiveEvent::AppData(Op::Patch, r.clone()))
            }),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let body = Body::Json(json::body(&PatchData { data })?);
                let req = Self::req(
                    "PATCH",
                    http::route(&host, routes::PATH_APP_DATA_ONE, Some(&item), Some(&id)),
                    body,
                );
                http::json(&self.send(r, req).await?).await
            }
        }
    }

    /// Deletes an app-data row (and its file).
    pub async fn delete_app_data(&self, id: RowId) -> Result<(), Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let row = s.app_data_row(id);
                s.delete_app_data(id)?;
                if let Some(r) = row {
                    self.live_emit(Topic::AppData, || LiveEvent::AppData(Op::Delete, r));
                }
                Ok(())
            }
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let req = Self::req(
                    "DELETE",
                    http::route(&host, routes::PATH_APP_DATA_ONE, Some(&item), Some(&id)),
                    Body::None,
                );
                // The body is the deleted id as text/plain; nothing more to read.
                self.send(r, req).await.map(|_| ())
            }
        }
    }

    /// Uploads a file (a `Blob` or `File`) as an app-data row of type `file`.
    pub async fn upload_app_data_file(&self, file: &Blob, name: &str) -> Result<AppData, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let bytes = blob_bytes(file).await?;
                s.upload_app_data_file(&file_meta_of(file, name), &bytes)
                    .inspect(|r| {
                        self.live_emit(Topic::AppData, || LiveEvent::AppData(Op::Post, r.clone()))
                    })
            }
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let form = FormData::new().map_err(|e| Error::Browser(js_text(&e)))?;
                form.append_with_blob_and_filename("files", file, name)
                    .map_err(|e| Error::Browser(js_text(&e)))?;
                let req = Self::req(
                    "POST",
                    http::upload_route(&host, routes::PATH_APP_DATA_UPLOAD, &item),
                    Body::Form(form),
                );
                one(&self.send(r, req).await?).await
            }
        }
    }

    /// Follows a download route: the server answers with a (signed) URL, fetched without credentials.
    async fn fetch_file(&self, r: &Remote, route: String) -> Result<Response, Error> {
        let resp = self
            .send(r, Self::req("GET", route.clone(), Body::None))
            .await?;
        let text = http::text(&resp).await?;
        // Graasp answers text/plain; tolerate a JSON string too.
        let raw = json::parse::<String>(&text).unwrap_or(text);
        let url = web_sys::Url::new_with_base(raw.trim_ascii(), &route)
            .map_err(|_| Error::Decode(["bad file URL ", raw.trim_ascii()].concat()))?
            .href();
        let file = r.fetch.get_plain(&url).await?;
        if !file.ok() {
            return Err(http::error_of(&file).await);
        }
        Ok(file)
    }

    /// The downloaded file as a blob whose type is the server's `Content-Type` made inert.
    async fn file_blob(&self, r: &Remote, route: String) -> Result<Blob, Error> {
        let resp = self.fetch_file(r, route).await?;
        let p = resp.blob().map_err(|e| Error::Decode(js_text(&e)))?;
        let blob = JsFuture::from(p)
            .await
            .map_err(|e| Error::Network(js_text(&e)))?
            .dyn_into::<Blob>()
            .map_err(|_| Error::Decode("not a Blob".into()))?;
        blob.slice_with_f64_and_f64_and_content_type(0.0, blob.size(), &inert_type(&blob.type_()))
            .map_err(|e| Error::Browser(js_text(&e)))
    }

    /// Downloads the file of an app-data row.
    pub async fn download_app_data_file(&self, id: RowId) -> Result<Vec<u8>, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.download_app_data_file(id).map(|(_, b)| b),
            Backend::Remote(r) => {
                let (host, _, _) = self.api();
                let resp = self
                    .fetch_file(
                        r,
                        http::route(&host, routes::PATH_APP_DATA_DOWNLOAD, None, Some(&id)),
                    )
                    .await?;
                http::bytes(&resp).await
            }
        }
    }

    /// Downloads the file of an app-data row as a `blob:` URL (for `<img src>`, links). The URL
    /// has the app's origin, so only inert types (raster images, text, audio, video) keep
    /// their type; anything else (HTML, SVG, XML, PDF, unknown) is `application/octet-stream`,
    /// which a browser downloads instead of running.
    pub async fn download_app_data_file_url(&self, id: RowId) -> Result<BlobUrl, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let (meta, bytes) = s.download_app_data_file(id)?;
                blob_url(&bytes_blob(&bytes, &meta.mimetype)?)
            }
            Backend::Remote(r) => {
                let (host, _, _) = self.api();
                blob_url(
                    &self
                        .file_blob(
                            r,
                            http::route(&host, routes::PATH_APP_DATA_DOWNLOAD, None, Some(&id)),
                        )
                        .await?,
                )
            }
        }
    }

    /// Lists app actions: a non-admin gets their own; an admin gets all, or `account`'s.
    pub async fn list_app_actions(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_actions(account),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let url = http::with_query(
                    http::route(&host, routes::PATH_APP_ACTION, Some(&item), None),
                    &[("accountId", account.map(|a| format_uuid(a.0)))],
                );
                http::json(&self.send(r, Self::req("GET", url, Body::None)).await?).await
            }
        }
    }

    /// Records an app action (the server answers 204 with no body; nothing is returned).
    pub async fn create_app_action(&self, ty: &str, data: JsonObject) -> Result<(), Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                s.create_app_action(ty, data)?;
                if let Some(a) = s.last_app_action() {
                    self.live_emit(Topic::AppActions, || LiveEvent::AppAction(Op::Post, a));
                }
                Ok(())
            }
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let body = Body::Json(json::body(&CreateAppAction {
                    data,
                    ty: ty.to_owned(),
                })?);
                let req = Self::req(
                    "POST",
                    http::route(&host, routes::PATH_APP_ACTION, Some(&item), None),
                    body,
                );
                self.send(r, req).await.map(|_| ())
            }
        }
    }

    /// Lists app settings, optionally only those named `name`.
    pub async fn list_app_settings(&self, name: Option<&str>) -> Result<Vec<AppSetting>, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_settings(name),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let url = http::with_query(
                    http::route(&host, routes::PATH_APP_SETTINGS, Some(&item), None),
                    &[("name", name.map(str::to_owned))],
                );
                http::json(&self.send(r, Self::req("GET", url, Body::None)).await?).await
            }
        }
    }

    /// Creates an app setting (admin only).
    pub async fn create_app_setting(
        &self,
        name: &str,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.create_app_setting(name, data).inspect(|r| {
                self.live_emit(Topic::AppSettings, || {
                    LiveEvent::AppSetting(Op::Post, r.clone())
                })
            }),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let body = Body::Json(json::body(&CreateAppSetting {
                    name: name.to_owned(),
                    data,
                })?);
                let req = Self::req(
                    "POST",
                    http::route(&host, routes::PATH_APP_SETTINGS, Some(&item), None),
                    body,
                );
                http::json(&self.send(r, req).await?).await
            }
        }
    }

    /// Replaces the `data` of an app setting (admin only).
    pub async fn patch_app_setting(
        &self,
        id: RowId,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.patch_app_setting(id, data).inspect(|r| {
                self.live_emit(Topic::AppSettings, || {
                    LiveEvent::AppSetting(Op::Patch, r.clone())
                })
            }),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let body = Body::Json(json::body(&PatchData { data })?);
                let url = http::route(&host, routes::PATH_APP_SETTINGS_ONE, Some(&item), Some(&id));
                http::json(&self.send(r, Self::req("PATCH", url, body)).await?).await
            }
        }
    }

    /// Deletes an app setting (admin only).
    pub async fn delete_app_setting(&self, id: RowId) -> Result<(), Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let row = s.app_setting_row(id);
                s.delete_app_setting(id)?;
                if let Some(r) = row {
                    self.live_emit(Topic::AppSettings, || LiveEvent::AppSetting(Op::Delete, r));
                }
                Ok(())
            }
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let url = http::route(&host, routes::PATH_APP_SETTINGS_ONE, Some(&item), Some(&id));
                self.send(r, Self::req("DELETE", url, Body::None))
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Uploads a file as an app setting named `name` (default `file`; admin only).
    pub async fn upload_app_setting_file(
        &self,
        file: &Blob,
        file_name: &str,
        name: Option<&str>,
    ) -> Result<AppSetting, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let bytes = blob_bytes(file).await?;
                s.upload_app_setting_file(name, &file_meta_of(file, file_name), &bytes)
                    .inspect(|r| {
                        self.live_emit(Topic::AppSettings, || {
                            LiveEvent::AppSetting(Op::Post, r.clone())
                        })
                    })
            }
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let form = FormData::new().map_err(|e| Error::Browser(js_text(&e)))?;
                // The server reads `name` only when it comes before the file part.
                if let Some(n) = name {
                    form.append_with_str("name", n)
                        .map_err(|e| Error::Browser(js_text(&e)))?;
                }
                form.append_with_blob_and_filename("files", file, file_name)
                    .map_err(|e| Error::Browser(js_text(&e)))?;
                let url = http::upload_route(&host, routes::PATH_APP_SETTINGS_UPLOAD, &item);
                one(&self
                    .send(r, Self::req("POST", url, Body::Form(form)))
                    .await?)
                .await
            }
        }
    }

    /// Downloads the file of an app setting.
    pub async fn download_app_setting_file(&self, id: RowId) -> Result<Vec<u8>, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.download_app_setting_file(id).map(|(_, b)| b),
            Backend::Remote(r) => {
                let (host, _, _) = self.api();
                let resp = self
                    .fetch_file(
                        r,
                        http::route(&host, routes::PATH_APP_SETTINGS_DOWNLOAD, None, Some(&id)),
                    )
                    .await?;
                http::bytes(&resp).await
            }
        }
    }

    /// Downloads the file of an app setting as a `blob:` URL (types as in
    /// [`App::download_app_data_file_url`]).
    pub async fn download_app_setting_file_url(&self, id: RowId) -> Result<BlobUrl, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let (meta, bytes) = s.download_app_setting_file(id)?;
                blob_url(&bytes_blob(&bytes, &meta.mimetype)?)
            }
            Backend::Remote(r) => {
                let (host, _, _) = self.api();
                blob_url(
                    &self
                        .file_blob(
                            r,
                            http::route(&host, routes::PATH_APP_SETTINGS_DOWNLOAD, None, Some(&id)),
                        )
                        .await?,
                )
            }
        }
    }

    /// The app item and its members (`GET .../context`).
    pub async fn app_context(&self) -> Result<AppContext, Error> {
        match &self.inner.backend {
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => Ok(s.app_context()),
            Backend::Remote(r) => {
                let (host, item, _) = self.api();
                let req = Self::req(
                    "GET",
                    http::route(&host, routes::PATH_CONTEXT, Some(&item), None),
                    Body::None,
                );
                http::json(&self.send(r, req).await?).await
            }
        }
    }

    /// Starts sending the document height to the host (debounced, loop-guarded) until the
    /// handle is dropped. Inert in standalone mode.
    pub fn auto_resize(&self) -> Result<ResizeHandle, Error> {
        #[allow(irrefutable_let_patterns)] // without the `standalone` feature
        let Backend::Remote(r) = &self.inner.backend else {
            return Ok(ResizeHandle::inert());
        };
        let weak = Rc::downgrade(&self.inner);
        let send = Rc::new(move |height: i32| {
            let Some(inner) = weak.upgrade() else { return };
            #[allow(irrefutable_let_patterns)] // without the `standalone` feature
            if let Backend::Remote(r) = &inner.backend {
                // Always the current channel, so resizes follow a re-handshake.
                let channel = r.channel.borrow().clone();
                let _ = channel.post(&wire::auto_resize(channel.item_id(), height));
            }
        });
        ResizeHandle::start(r.env.own.clone(), send)
    }

    /// Asks the host to make the iframe as tall as its viewport. A no-op in standalone mode.
    pub fn max_resize(&self) -> Result<(), Error> {
        #[allow(irrefutable_let_patterns)] // without the `standalone` feature
        let Backend::Remote(r) = &self.inner.backend else {
            return Ok(());
        };
        let channel = r.channel.borrow().clone();
        channel.post(&wire::max_resize(r.item_id))
    }

    #[cfg(feature = "standalone")]
    fn standalone_backend(&self) -> Result<&Standalone, Error> {
        match &self.inner.backend {
            Backend::Standalone(s) => Ok(s.as_ref()),
            Backend::Remote(_) => Err(Error::NotStandalone),
        }
    }

    #[cfg(not(feature = "standalone"))]
    fn standalone_backend(&self) -> Result<&std::convert::Infallible, Error> {
        Err(Error::NotStandalone)
    }

    #[cfg(feature = "standalone")]
    fn refresh_standalone_context(&self, s: &Standalone) {
        let api_host = self.inner.context.borrow().api_host.clone();
        *self.inner.context.borrow_mut() = s.context(&api_host);
    }

    /// Standalone only: deletes every row and file of this item and applies the seed again.
    pub fn reset(&self) -> Result<(), Error> {
        let s = self.standalone_backend()?;
        #[cfg(feature = "standalone")]
        {
            s.reset()?;
            self.refresh_standalone_context(s);
            self.live_resync();
        }
        #[cfg(not(feature = "standalone"))]
        match *s {}
        #[cfg(feature = "standalone")]
        Ok(())
    }

    /// Standalone only: act as another member of the item with `permission` (to try the
    /// visibility rules as a reader, say). Kept across reloads until [`App::reset`].
    pub fn switch_account(&self, account: AccountId, permission: Permission) -> Result<(), Error> {
        let s = self.standalone_backend()?;
        #[cfg(feature = "standalone")]
        {
            s.switch_account(account, permission)?;
            self.refresh_standalone_context(s);
            self.live_resync();
            Ok(())
        }
        #[cfg(not(feature = "standalone"))]
        {
            let _ = (account, permission);
            match *s {}
        }
    }

    /// Standalone only: adds (or renames) a member of the item.
    pub fn add_member(&self, member: Member) -> Result<(), Error> {
        let s = self.standalone_backend()?;
        #[cfg(feature = "standalone")]
        return s.add_member(member);
        #[cfg(not(feature = "standalone"))]
        {
            let _ = member;
            match *s {}
        }
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("item_id", &self.item_id())
            .field("standalone", &self.is_standalone())
            .finish()
    }
}
