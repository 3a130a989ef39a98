//! {{title}}: an appframe app in Rust without a UI framework (made by `cargo xtask new-app`).
//!
//! It shows its context (member, permission, language), posts one app-data row of type
//! [`ROW`] per click on `#add` and lists the rows it can see, read back from the server. In the
//! host it talks to the appframe server; opened alone it runs in standalone mode against the
//! SDK's in-browser mock backend.
//!
//! Element ids: `#status` (`loading`, `ready` or `error: <code>`), `#member`, `#permission`,
//! `#lang`, `#add`, `#rows` (one `li.row` per row).

use appframe_sdk::{App, AppConfig, AppData, JsonObject, ListFilter, NewAppData, Visibility};
use gloo_events::EventListener;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlButtonElement};

/// This app's key, registered for `{{name}}` in apps/dev.toml.
pub const APP_KEY: &str = "{{key}}";

/// The app-data type of the rows this app writes.
pub const ROW: &str = "row";

/// What can stop the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SDK failed (handshake, token, HTTP...).
    #[error(transparent)]
    Sdk(#[from] appframe_sdk::Error),
    /// The page lacks an element the app needs (a broken `index.html`).
    #[error("the page has no #{0} element")]
    MissingElement(&'static str),
}

impl Error {
    /// The code shown in `#status` as `error: <code>`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sdk(e) => e.code(),
            Error::MissingElement(_) => "MissingElement",
        }
    }
}

/// Entry point, run by the wasm-bindgen glue's `init()`.
#[wasm_bindgen(start)]
pub fn start() {
    spawn_local(async {
        if let Err(e) = run().await {
            show_error(&e);
        }
    });
}

fn document() -> Result<Document, Error> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or(Error::MissingElement("document"))
}

fn element(id: &'static str) -> Result<Element, Error> {
    document()?
        .get_element_by_id(id)
        .ok_or(Error::MissingElement(id))
}

fn set_text(id: &'static str, text: &str) -> Result<(), Error> {
    element(id)?.set_text_content(Some(text));
    Ok(())
}

fn show_error(e: &Error) {
    if let Ok(status) = element("status") {
        status.set_text_content(Some(&format!("error: {}", e.code())));
        status.set_attribute("title", &e.to_string()).ok();
    }
}

async fn run() -> Result<(), Error> {
    let app = App::connect(AppConfig::new(APP_KEY)).await?;
    // Kept for the page's lifetime (moved into the click handler): dropping it stops resizing.
    let resize = app.auto_resize()?;
    // `ready` means the whole start-up worked: context, token and data.
    app.auth_token().await?;
    let ctx = app.context();
    let name = match ctx.account_id {
        Some(id) => app
            .app_context()
            .await?
            .members
            .into_iter()
            .find(|m| m.id == id)
            .map_or_else(|| id.to_string(), |m| m.name),
        None => "anonymous".to_owned(),
    };
    set_text("member", &name)?;
    set_text("permission", ctx.permission.as_str())?;
    set_text("lang", &ctx.lang)?;
    show_rows(&list_rows(&app).await?)?;

    let button = element("add")?
        .dyn_into::<HtmlButtonElement>()
        .map_err(|_| Error::MissingElement("add"))?;
    button.set_disabled(false);
    set_text("status", "ready")?;
    let listener = EventListener::new(&button.clone(), "click", move |_| {
        let (app, name, button) = (app.clone(), name.clone(), button.clone());
        let _keep_resizing = &resize;
        button.set_disabled(true);
        spawn_local(async move {
            match add_row(&app, &name).await {
                Ok(()) => {
                    set_text("status", "ready").ok();
                }
                Err(e) => show_error(&e),
            }
            button.set_disabled(false);
        });
    });
    // The button lives as long as the page, and so does its handler.
    listener.forget();
    Ok(())
}

/// Posts one row, then shows the list as the server now has it.
async fn add_row(app: &App, name: &str) -> Result<(), Error> {
    let mut data = JsonObject::new();
    data.insert("text".into(), format!("added by {name}").into());
    app.create_app_data(NewAppData::new(ROW, data).with_visibility(Visibility::Item))
        .await?;
    show_rows(&list_rows(app).await?)
}

/// Every visible row of type [`ROW`], following the pages of the list.
async fn list_rows(app: &App) -> Result<Vec<AppData>, Error> {
    let mut filter = ListFilter::of_type(ROW);
    let mut rows = Vec::new();
    loop {
        let page = app.list_app_data(filter.clone()).await?;
        rows.extend(page.items);
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return Ok(rows),
        }
    }
}

fn show_rows(rows: &[AppData]) -> Result<(), Error> {
    let list = element("rows")?;
    list.set_text_content(None);
    let doc = document()?;
    for row in rows {
        let li = doc
            .create_element("li")
            .map_err(|_| Error::MissingElement("li"))?;
        li.set_class_name("row");
        li.set_text_content(Some(&row_text(row)));
        list.append_child(&li)
            .map_err(|_| Error::MissingElement("rows"))?;
    }
    Ok(())
}

/// What a row's line says: its `text`, or its id when it has none.
pub fn row_text(row: &AppData) -> String {
    row.data
        .get("text")
        .and_then(|t| t.as_str())
        .map_or_else(|| row.id.to_string(), str::to_owned)
}

/// Talc instead of Rust's default allocator (dlmalloc): smaller and faster on wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
