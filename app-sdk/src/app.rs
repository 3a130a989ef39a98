//! [`App`]: the connected app. Each call is dispatched to its backend, the embedded one (a host
//! and the server) or the standalone one (the in-browser mock); in standalone mode the mock's
//! writes are also told to the page's live subscribers, as the server would.

pub(crate) mod capabilities;
mod lifecycle;
mod live;
pub(crate) mod storage;

use crate::ChatBotOptions;
use crate::{
    blob::{BlobUrl, blob_url},
    config::{AppConfig, LiveConfig},
    embedded::{
        backend::Embedded, channel::HostHook, handshake::handshake, http::Fetch,
        resize::ResizeHandle,
    },
    env::HostEnv,
    error::Error,
    listen::Listener,
    live::hub::LiveSlot,
    types::{ListFilter, NewAppData, Page},
};
#[cfg(feature = "standalone")]
use crate::{
    live::{LiveEvent, Op, Topic},
    standalone::{backend::Standalone, browser},
};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppSetting, ChatBotAnswer, ChatBotMessage, ItemId,
    JsonObject, LocalContext, Member, Permission, RowId, routes,
};
use std::{cell::RefCell, rc::Rc};
use web_sys::Blob;

/// A connected app: its context, and calls to the server (or to the standalone backend).
///
/// Cheap to clone (all clones share one connection); not `Send` (the browser is single-threaded).
#[derive(Clone)]
pub struct App {
    inner: Rc<Inner>,
}

struct Inner {
    backend: Backend,
    /// Re-handshake on the window `online` event; removed when the last clone drops.
    online: RefCell<Option<Listener>>,
    live_config: LiveConfig,
    /// Live updates: `None` until the first subscription. A trait object, so that apps that
    /// never subscribe link none of it (not even the hub's drop code).
    live: RefCell<Option<Rc<dyn LiveSlot>>>,
    /// Protocol v2 (`crate::lifecycle::Lifecycle`): `None` until the app first uses it. A
    /// trait object for the same reason as `live`.
    v2: RefCell<Option<Rc<dyn std::any::Any>>>,
}

/// Where the app's calls go. One per app, created once and never moved: the size difference of
/// the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Backend {
    /// In a host's iframe: the host and the server.
    Embedded(Embedded),
    /// Opened alone: the in-browser mock.
    #[cfg(feature = "standalone")]
    Standalone(Box<Standalone>),
}

impl Backend {
    fn context(&self) -> LocalContext {
        match self {
            Backend::Embedded(e) => e.context(),
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.context(),
        }
    }
}

impl App {
    #[inline(always)]
    fn new(backend: Backend, live_config: LiveConfig) -> App {
        App {
            inner: Rc::new(Inner {
                backend,
                online: RefCell::new(None),
                live_config,
                live: RefCell::new(None),
                v2: RefCell::new(None),
            }),
        }
    }

    fn backend(&self) -> &Backend {
        &self.inner.backend
    }

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
        let hook = HostHook::default();
        let (context, channel) =
            handshake(&env, item_id, &config.key, config.handshake_timeout, &hook).await?;
        let embedded = Embedded::new(&config, env, fetch, item_id, context, channel, hook);
        let own = embedded.window().clone();
        let app = App::new(Backend::Embedded(embedded), config.live);
        let weak = Rc::downgrade(&app.inner);
        // Back online: the host may have reloaded its side; take a fresh channel (as Graasp's
        // client does through react-query's refetchOnReconnect).
        let listener = Listener::new(&own, "online", move |_| {
            if let Some(inner) = weak.upgrade() {
                wasm_bindgen_futures::spawn_local(async move {
                    // A failed re-handshake keeps the old channel, which may still work.
                    #[allow(irrefutable_let_patterns)] // without the `standalone` feature
                    if let Backend::Embedded(e) = &inner.backend {
                        let _ = e.reconnect().await;
                    }
                });
            }
        });
        *app.inner.online.borrow_mut() = Some(listener);
        Ok(app)
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
        let backend = browser::open_in_page(&config.key, config.standalone)?;
        Ok(App::new(
            Backend::Standalone(Box::new(backend)),
            config.live,
        ))
    }

    /// The standalone backend on an explicit store, item and page (browser tests).
    #[cfg(all(test, target_arch = "wasm32", feature = "standalone"))]
    pub(crate) fn standalone_with(
        config: AppConfig,
        store: crate::standalone::storage::Backing,
        item_id: ItemId,
        origin: String,
        app_url: String,
    ) -> Result<App, Error> {
        let backend = browser::open_with(
            &config.key,
            config.standalone,
            store,
            item_id,
            &origin,
            app_url,
        )?;
        Ok(App::new(
            Backend::Standalone(Box::new(backend)),
            config.live,
        ))
    }

    /// The context from the host (or the standalone backend). A re-handshake may change it.
    pub fn context(&self) -> LocalContext {
        self.backend().context()
    }

    /// The app item's id.
    pub fn item_id(&self) -> ItemId {
        self.context().item_id
    }

    /// True when running against the in-browser standalone backend.
    pub fn is_standalone(&self) -> bool {
        !matches!(self.backend(), Backend::Embedded(_))
    }

    /// Handshakes again and switches to the new channel (the token is asked again). Requests
    /// in flight on the old channel still complete. A no-op in standalone mode.
    pub async fn reconnect(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.reconnect().await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(()),
        }
    }

    /// The app token (cached; asked from the host when missing). In standalone mode a
    /// placeholder `standalone <accountId>`, as no server checks it.
    pub async fn auth_token(&self) -> Result<String, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.token().await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => Ok(s.placeholder_token()),
        }
    }

    /// Lists app data visible to the user (`type` filter; pages with appframe servers).
    pub async fn list_app_data(&self, filter: ListFilter) -> Result<Page<AppData>, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.list_app_data(filter).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_data(&filter),
        }
    }

    /// Creates an app-data row.
    pub async fn create_app_data(&self, input: NewAppData) -> Result<AppData, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.create_app_data(input).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .create_app_data(&input)
                .inspect(|r| self.echo_app_data(Op::Post, r)),
        }
    }

    /// Replaces the `data` of an app-data row.
    pub async fn patch_app_data(&self, id: RowId, data: JsonObject) -> Result<AppData, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.patch_app_data(id, data).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .patch_app_data(id, data)
                .inspect(|r| self.echo_app_data(Op::Patch, r)),
        }
    }

    /// Deletes an app-data row (and its file).
    pub async fn delete_app_data(&self, id: RowId) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.delete_app_data(id).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let row = s.delete_app_data(id)?;
                self.echo_app_data(Op::Delete, &row);
                Ok(())
            }
        }
    }

    /// Uploads a file (a `Blob` or `File`) as an app-data row of type `file`.
    pub async fn upload_app_data_file(&self, file: &Blob, name: &str) -> Result<AppData, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.upload_app_data_file(file, name).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .upload_app_data_blob(file, name)
                .await
                .inspect(|r| self.echo_app_data(Op::Post, r)),
        }
    }

    /// Downloads the file of an app-data row.
    pub async fn download_app_data_file(&self, id: RowId) -> Result<Vec<u8>, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.download(routes::PATH_APP_DATA_DOWNLOAD, id).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.download_app_data_file(id).map(|(_, b)| b),
        }
    }

    /// Downloads the file of an app-data row as a `blob:` URL (for `<img src>`, links). The URL
    /// has the app's origin, so only inert types (raster images, text, audio, video) keep
    /// their type; anything else (HTML, SVG, XML, PDF, unknown) is `application/octet-stream`,
    /// which a browser downloads instead of running.
    pub async fn download_app_data_file_url(&self, id: RowId) -> Result<BlobUrl, Error> {
        let blob = match self.backend() {
            Backend::Embedded(e) => e.download_blob(routes::PATH_APP_DATA_DOWNLOAD, id).await?,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.app_data_file_blob(id)?,
        };
        blob_url(&blob)
    }

    /// Lists app actions: a non-admin gets their own; an admin gets all, or `account`'s.
    pub async fn list_app_actions(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.list_app_actions(account).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_actions(account),
        }
    }

    /// Records an app action (the server answers 204 with no body; nothing is returned).
    pub async fn create_app_action(&self, ty: &str, data: JsonObject) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.create_app_action(ty, data).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let action = s.create_app_action(ty, data)?;
                self.live_emit(Topic::AppActions, || LiveEvent::AppAction(Op::Post, action));
                Ok(())
            }
        }
    }

    /// Asks the chat bot to continue `messages` (at least one). `options` picks the model (one
    /// the server does not allow falls back to its default) and the temperature (0–2, default
    /// 1). Standalone, Graasp's mock answers (`biiip boop I am a chatbot`, model `fake-gpt`).
    pub async fn chat_bot(
        &self,
        messages: &[ChatBotMessage],
        options: ChatBotOptions,
    ) -> Result<ChatBotAnswer, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.chat_bot(messages, &options).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => crate::standalone::chat_bot::answer(messages, &options),
        }
    }

    /// Lists app settings, optionally only those named `name`.
    pub async fn list_app_settings(&self, name: Option<&str>) -> Result<Vec<AppSetting>, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.list_app_settings(name).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.list_app_settings(name),
        }
    }

    /// Creates an app setting (admin only).
    pub async fn create_app_setting(
        &self,
        name: &str,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.create_app_setting(name, data).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .create_app_setting(name, data)
                .inspect(|r| self.echo_app_setting(Op::Post, r)),
        }
    }

    /// Replaces the `data` of an app setting (admin only).
    pub async fn patch_app_setting(
        &self,
        id: RowId,
        data: JsonObject,
    ) -> Result<AppSetting, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.patch_app_setting(id, data).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .patch_app_setting(id, data)
                .inspect(|r| self.echo_app_setting(Op::Patch, r)),
        }
    }

    /// Deletes an app setting (admin only).
    pub async fn delete_app_setting(&self, id: RowId) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.delete_app_setting(id).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => {
                let row = s.delete_app_setting(id)?;
                self.echo_app_setting(Op::Delete, &row);
                Ok(())
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
        match self.backend() {
            Backend::Embedded(e) => e.upload_app_setting_file(file, file_name, name).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s
                .upload_app_setting_blob(file, file_name, name)
                .await
                .inspect(|r| self.echo_app_setting(Op::Post, r)),
        }
    }

    /// Downloads the file of an app setting.
    pub async fn download_app_setting_file(&self, id: RowId) -> Result<Vec<u8>, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.download(routes::PATH_APP_SETTINGS_DOWNLOAD, id).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.download_app_setting_file(id).map(|(_, b)| b),
        }
    }

    /// Downloads the file of an app setting as a `blob:` URL (types as in
    /// [`App::download_app_data_file_url`]).
    pub async fn download_app_setting_file_url(&self, id: RowId) -> Result<BlobUrl, Error> {
        let blob = match self.backend() {
            Backend::Embedded(e) => {
                e.download_blob(routes::PATH_APP_SETTINGS_DOWNLOAD, id)
                    .await?
            }
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.app_setting_file_blob(id)?,
        };
        blob_url(&blob)
    }

    /// The app item and its members (`GET .../context`).
    pub async fn app_context(&self) -> Result<AppContext, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.app_context().await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => Ok(s.app_context()),
        }
    }

    /// Starts sending the document height to the host (debounced, loop-guarded) until the
    /// handle is dropped. Inert in standalone mode.
    pub fn auto_resize(&self) -> Result<ResizeHandle, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.auto_resize(),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(ResizeHandle::inert()),
        }
    }

    /// Asks the host to make the iframe as tall as its viewport. A no-op in standalone mode.
    pub fn max_resize(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.max_resize(),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(()),
        }
    }

    #[cfg(feature = "standalone")]
    fn standalone_backend(&self) -> Result<&Standalone, Error> {
        match self.backend() {
            Backend::Standalone(s) => Ok(s.as_ref()),
            Backend::Embedded(_) => Err(Error::NotStandalone),
        }
    }

    /// Standalone only: deletes every row and file of this item and applies the seed again.
    pub fn reset(&self) -> Result<(), Error> {
        #[cfg(feature = "standalone")]
        {
            self.standalone_backend()?.reset()?;
            self.live_resync();
            Ok(())
        }
        #[cfg(not(feature = "standalone"))]
        Err(Error::NotStandalone)
    }

    /// Standalone only: act as another member of the item with `permission` (to try the
    /// visibility rules as a reader, say). Kept across reloads until [`App::reset`].
    pub fn switch_account(&self, account: AccountId, permission: Permission) -> Result<(), Error> {
        #[cfg(feature = "standalone")]
        {
            self.standalone_backend()?
                .switch_account(account, permission)?;
            self.live_resync();
            Ok(())
        }
        #[cfg(not(feature = "standalone"))]
        {
            let _ = (account, permission);
            Err(Error::NotStandalone)
        }
    }

    /// Standalone only: adds (or renames) a member of the item.
    pub fn add_member(&self, member: Member) -> Result<(), Error> {
        #[cfg(feature = "standalone")]
        return self.standalone_backend()?.add_member(member);
        #[cfg(not(feature = "standalone"))]
        {
            let _ = member;
            Err(Error::NotStandalone)
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
