//! {{title}}: an appframe app with leptos (client-side rendering), made by `cargo xtask new-app`.
//!
//! It shows its context (member, permission, language), posts one app-data row of type
//! [`ROW`] per click on `#add` and lists the rows it can see, read back from the server. In the
//! host it talks to the appframe server; opened alone it runs in standalone mode against the
//! SDK's in-browser mock backend.
//!
//! Element ids: `#status` (`loading`, `ready` or `error: <code>`), `#member`, `#permission`,
//! `#lang`, `#add`, `#rows` (one `li.row` per row).

use appframe_sdk::{
    App, AppConfig, AppData, JsonObject, ListFilter, NewAppData, ResizeHandle, Visibility,
};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::prelude::*;

/// This app's key, registered for `{{name}}` in apps/dev.toml.
pub const APP_KEY: &str = "{{key}}";

/// The app-data type of the rows this app writes.
pub const ROW: &str = "row";

/// Entry point, run by the wasm-bindgen glue's `init()`.
#[wasm_bindgen(start)]
pub fn start() {
    // A panic traps the wasm (panic = abort): with the hook its reason is in the console.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(Main);
}

/// The member's name, permission and language, once connected.
#[derive(Debug, Clone, Default, PartialEq)]
struct Who {
    member: String,
    permission: String,
    lang: String,
}

#[component]
fn Main() -> impl IntoView {
    let sdk = StoredValue::new_local(None::<App>);
    // Keeps auto-resize running for the page's lifetime.
    let resize = StoredValue::new_local(None::<ResizeHandle>);
    let status = RwSignal::new("loading".to_owned());
    let who = RwSignal::new(Who::default());
    let rows = RwSignal::new(Vec::<AppData>::new());
    let busy = RwSignal::new(true);
    let fail = move |e: appframe_sdk::Error| status.set(format!("error: {}", e.code()));

    spawn_local(async move {
        match connect().await {
            Ok((app, me, listed)) => {
                match app.auto_resize() {
                    Ok(handle) => resize.set_value(Some(handle)),
                    Err(e) => return fail(e),
                }
                sdk.set_value(Some(app));
                who.set(me);
                rows.set(listed);
                busy.set(false);
                status.set("ready".into());
            }
            Err(e) => fail(e),
        }
    });

    let add = move |_| {
        let Some(app) = sdk.get_value() else { return };
        let name = who.get_untracked().member;
        busy.set(true);
        spawn_local(async move {
            match add_row(&app, &name).await {
                Ok(listed) => {
                    rows.set(listed);
                    status.set("ready".into());
                }
                Err(e) => fail(e),
            }
            busy.set(false);
        });
    };

    view! {
        <main>
            <h1>"{{title}}"</h1>
            <p class="muted">"Status: " <span id="status">{move || status.get()}</span></p>
            <dl>
                <dt>"Member"</dt><dd id="member">{move || who.get().member}</dd>
                <dt>"Permission"</dt><dd id="permission">{move || who.get().permission}</dd>
                <dt>"Language"</dt><dd id="lang">{move || who.get().lang}</dd>
            </dl>
            <button id="add" type="button" disabled=move || busy.get() on:click=add>"Add a row"</button>
            <ul id="rows">
                {move || rows.get().iter().map(|r| view! { <li class="row">{row_text(r)}</li> }).collect_view()}
            </ul>
        </main>
    }
}

/// Connects, then reads who is looking and the rows: `ready` means the whole start-up worked.
async fn connect() -> Result<(App, Who, Vec<AppData>), appframe_sdk::Error> {
    let app = App::connect(AppConfig::new(APP_KEY)).await?;
    app.auth_token().await?;
    let ctx = app.context();
    let member = match ctx.account_id {
        Some(id) => app
            .app_context()
            .await?
            .members
            .into_iter()
            .find(|m| m.id == id)
            .map_or_else(|| id.to_string(), |m| m.name),
        None => "anonymous".to_owned(),
    };
    let who = Who {
        member,
        permission: ctx.permission.as_str().to_owned(),
        lang: ctx.lang.clone(),
    };
    let rows = list_rows(&app).await?;
    Ok((app, who, rows))
}

/// Posts one row, then lists the rows as the server now has them.
async fn add_row(app: &App, name: &str) -> Result<Vec<AppData>, appframe_sdk::Error> {
    let mut data = JsonObject::new();
    data.insert("text".into(), format!("added by {name}").into());
    app.create_app_data(NewAppData::new(ROW, data).with_visibility(Visibility::Item))
        .await?;
    list_rows(app).await
}

/// Every visible row of type [`ROW`], following the pages of the list.
async fn list_rows(app: &App) -> Result<Vec<AppData>, appframe_sdk::Error> {
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

/// What a row's line says: its `text`, or its id when it has none.
fn row_text(row: &AppData) -> String {
    row.data
        .get("text")
        .and_then(|t| t.as_str())
        .map_or_else(|| row.id.to_string(), str::to_owned)
}

/// Talc instead of Rust's default allocator (dlmalloc): smaller and faster on wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
