//! Counter: the smallest appframe app (web-sys only, no UI framework). It counts clicks stored
//! as app data and posts an app action `click` for every click.
//!
//! Run it: `cargo xtask serve`, then open the host at <http://127.0.0.1:8080/> and the
//! "Counter" item (builder, player or analytics view). Opened alone at
//! <http://127.0.0.1:8081/counter/> it runs in standalone mode against the SDK's in-browser mock
//! backend (data kept in `localStorage`).
//!
//! Data model: **one app-data row per click** (type `click`, visibility `item`), not one counter
//! row that every click patches. With a patched row, two members clicking at the same time would
//! both read `n` and both write `n + 1` (a lost update), and a member with `read` permission may
//! not patch a row someone else created; with one row per click each click is an independent
//! insert, nothing is lost, every row records who clicked, and the count is simply the number of
//! visible `click` rows (all pages of the list).
//!
//! Element ids (used by the end-to-end tests): `#count`, `#increment`, `#status` (`loading`,
//! then `ready` once context, token and data are loaded, or `error: <code>`), `#who`.
//!
//! Protocol v2 (docs/protocol-v2.md): the host's theme is applied as CSS variables (the page's
//! style reads `--af-bg`, `--af-fg`, `--af-accent`), `#who` follows the host's permission and view
//! changes without a reload, and the host is told when the app is ready or why it failed.

use appframe_sdk::{
    App, AppConfig, AppData, JsonObject, ListFilter, LocalContext, NewAppData, Op, Visibility,
};
use gloo_events::EventListener;
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, HtmlButtonElement};

/// The app key registered for `counter` in `server/demo.toml`.
pub const APP_KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";

/// The app-data type of one click, and the app-action type posted per click.
pub const CLICK: &str = "click";

/// What can stop the counter.
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
    /// The code shown in `#status` as `error: <code>` (the SDK's stable codes).
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

/// The page's elements the app writes to.
struct Page {
    count: web_sys::Element,
    status: web_sys::Element,
    who: web_sys::Element,
    button: HtmlButtonElement,
}

impl Page {
    fn find() -> Result<Page, Error> {
        let doc = document().ok_or(Error::MissingElement("document"))?;
        let by_id = |id: &'static str| doc.get_element_by_id(id).ok_or(Error::MissingElement(id));
        Ok(Page {
            count: by_id("count")?,
            status: by_id("status")?,
            who: by_id("who")?,
            button: by_id("increment")?
                .dyn_into::<HtmlButtonElement>()
                .map_err(|_| Error::MissingElement("increment"))?,
        })
    }
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn show_error(e: &Error) {
    let status = document().and_then(|d| d.get_element_by_id("status"));
    if let Some(status) = status {
        status.set_text_content(Some(&format!("error: {}", e.code())));
        status.set_attribute("title", &e.to_string()).ok();
    }
}

async fn run() -> Result<(), Error> {
    let page = Page::find()?;
    let app = App::connect(AppConfig::new(APP_KEY)).await?;
    app.apply_theme();
    let started = start_up(&app, page).await;
    match &started {
        // Nothing is sent to a host without protocol v2; an error telling it is not worth more.
        Ok(()) => drop(app.ready()),
        Err(e) => drop(app.fail(e.code(), &e.to_string())),
    }
    started
}

async fn start_up(app: &App, page: Page) -> Result<(), Error> {
    let app = app.clone();
    // Kept for the page's lifetime (moved into the click handler below): dropping it would
    // stop resizing.
    let resize = app.auto_resize()?;
    // Ask for the token up front so `ready` means the whole start-up worked, not just the
    // handshake (listing would ask for it too).
    app.auth_token().await?;
    let name = name_of(&app).await?;
    page.who
        .set_text_content(Some(&describe(&name, &app.context(), app.is_standalone())));
    // The host may change the permission or the view while the app runs.
    let (who_el, watched) = (page.who.clone(), app.clone());
    app.on_context_change(move |_| {
        let line = describe(&name, &watched.context(), watched.is_standalone());
        who_el.set_text_content(Some(&line));
    });
    let count = Rc::new(Cell::new(count_clicks(&app).await?));
    page.count.set_text_content(Some(&count.get().to_string()));
    page.button.set_disabled(false);
    page.status.set_text_content(Some("ready"));

    // Live: every member's clicks arrive as app-data updates on one shared socket; the SDK's
    // merged list is the count (refetched by the SDK after a reconnect). Kept for the page's
    // lifetime, like the click handler below.
    let (live_count, live_page_count) = (count.clone(), page.count.clone());
    let live = Rc::new(app.live_app_data(Some(CLICK), move |r| match r {
        Ok(rows) => {
            live_count.set(rows.len() as u64);
            live_page_count.set_text_content(Some(&rows.len().to_string()));
        }
        Err(e) => show_error(&Error::Sdk(e.clone())),
    }));

    let button = page.button.clone();
    let listener = EventListener::new(&button, "click", move |_| {
        let (app, count, page_count, status, live) = (
            app.clone(),
            count.clone(),
            page.count.clone(),
            page.status.clone(),
            live.clone(),
        );
        let _keep_resizing = &resize;
        spawn_local(async move {
            match click(&app, count.get() + 1).await {
                Ok(row) => {
                    // Our own row counts at once (its echo from the server is then a no-op);
                    // until the live list has loaded, count locally.
                    let loaded = live.is_loaded();
                    live.apply(Op::Post, row);
                    if !loaded {
                        count.set(count.get() + 1);
                        page_count.set_text_content(Some(&count.get().to_string()));
                    }
                    status.set_text_content(Some("ready"));
                }
                Err(e) => show_error(&e),
            }
        });
    });
    // The button lives as long as the page, so its handler does too; forgetting the listener
    // is the intended lifetime, not a leak.
    listener.forget();
    Ok(())
}

/// Stores one click (a row visible to everyone on the item), posts the `click` action and
/// returns the row.
async fn click(app: &App, new_count: u64) -> Result<AppData, Error> {
    let row = app
        .create_app_data(
            NewAppData::new(CLICK, JsonObject::new()).with_visibility(Visibility::Item),
        )
        .await?;
    let mut action = JsonObject::new();
    action.insert("count".into(), new_count.into());
    app.create_app_action(CLICK, action).await?;
    Ok(row)
}

/// Counts every visible `click` row, following the pages of the list.
async fn count_clicks(app: &App) -> Result<u64, Error> {
    let mut filter = ListFilter::of_type(CLICK);
    let mut total = 0u64;
    loop {
        let page = app.list_app_data(filter.clone()).await?;
        total += page.items.len() as u64;
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return Ok(total),
        }
    }
}

/// The user's name, from the item's member list.
async fn name_of(app: &App) -> Result<String, Error> {
    Ok(match app.context().account_id {
        Some(id) => app
            .app_context()
            .await?
            .members
            .into_iter()
            .find(|m| m.id == id)
            .map_or_else(|| id.to_string(), |m| m.name),
        None => "anonymous".to_owned(),
    })
}

/// The text of `#who`.
pub fn describe(name: &str, ctx: &LocalContext, standalone: bool) -> String {
    let view = serde_json::to_value(ctx.context)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mode = if standalone {
        " · standalone mode"
    } else {
        ""
    };
    format!("{name} ({}, {view}){mode}", ctx.permission.as_str())
}

/// Talc instead of Rust's default allocator (dlmalloc): smaller and faster on wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(test)]
mod tests {
    use super::*;
    use appframe_sdk::{Context, ItemId, Permission};

    #[test]
    fn who_line_names_the_user_their_permission_and_the_view() {
        let mut ctx = LocalContext::new("http://127.0.0.1:8080/api", ItemId(Default::default()));
        ctx.permission = Permission::Admin;
        ctx.context = Context::Builder;
        assert_eq!(describe("Alice", &ctx, false), "Alice (admin, builder)");
    }

    #[test]
    fn who_line_says_when_the_app_runs_standalone() {
        let ctx = LocalContext::new("http://127.0.0.1:8081/api", ItemId(Default::default()));
        assert_eq!(
            describe("Standalone user", &ctx, true),
            "Standalone user (read, standalone) · standalone mode"
        );
    }
}
