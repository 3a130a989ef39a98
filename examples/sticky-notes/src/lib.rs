//! Sticky notes on appframe (leptos 0.8, client-side rendering): notes as app data (type `note`,
//! `{text, color}`, member or item visibility), edited and deleted by their creator or an admin;
//! a colour palette in the app setting `colors`, editable by admins only; a file attachment per
//! note; and, for admins in the analytics view, the app actions as a live chart per day and
//! member above their table (`analytics.rs`, drawn by `chart.rs`).
//!
//! Run it: `cargo xtask serve`, then open the host at <http://127.0.0.1:8080/> and the
//! "Class notes" item (switch member and view there). Opened alone at
//! <http://127.0.0.1:8081/sticky-notes/> it runs in standalone mode against the SDK's mock
//! backend (an admin, data kept in `localStorage`).
//!
//! Attachments are uploaded with the SDK (`upload_app_data_file`), which creates a `file` row;
//! the note keeps `{attachment: {id, name}}`. In the Graasp protocol uploaded files are always
//! member-visibility, so only the uploader and admins can download them; others see the file
//! name without a link.
//!
//! Element ids and classes used by the end-to-end tests: `#status` (`loading`, `ready` or
//! `error: <code>`), `#who`, `#new-note-text`, `#new-note-visibility` (`member`|`item`),
//! `#new-note-color`, `#add-note`, `.note[data-id]` with `.note-text`, `.edit` (then
//! `textarea.edit-text`, `select.edit-color`, `.save`, `.cancel`), `.delete`, `#attach-<id>`,
//! `.download` and, once downloaded, `a.file-link`; `#settings-editor` (`#colors-input`,
//! `#save-colors`), `#action-log` (see [`analytics`]).

mod analytics;
mod chart;
mod model;
mod palette;

pub use model::*;

use appframe_sdk::{
    App, AppAction, AppConfig, AppData, BlobUrl, ListFilter, LiveAppData, LiveHandle, LocalContext,
    NewAppData, Op, Permission, ResizeHandle, RowId, StandaloneConfig, Visibility,
};
use leptos::{prelude::*, task::spawn_local};
use std::future::Future;
use wasm_bindgen::{JsCast, prelude::*};

/// The app key registered for `sticky-notes` in `server/demo.toml`.
pub const APP_KEY: &str = "1f995619-8cad-4d5e-8b1e-5f998eabdb39";

/// Everything that can go wrong in the app.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The SDK failed (handshake, token, HTTP...).
    #[error(transparent)]
    Sdk(#[from] appframe_sdk::Error),
    /// The user's input was refused before anything was sent.
    #[error("{0}")]
    Invalid(String),
    /// The app is not connected (an action ran before start-up finished).
    #[error("not connected")]
    NotConnected,
}

impl Error {
    /// The code shown in `#status` as `error: <code>` (the SDK's stable codes).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sdk(e) => e.code(),
            Error::Invalid(_) => "Invalid",
            Error::NotConnected => "NotConnected",
        }
    }
}

/// Entry point, run by the wasm-bindgen glue's `init()`.
#[wasm_bindgen(start)]
pub fn start() {
    // A panic traps the wasm (panic = abort): without the hook the app would just freeze,
    // with it the reason is in the browser console.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(StickyNotes);
}

/// Where start-up stands, shown in `#status`.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Loading,
    Ready,
    Failed { code: &'static str, message: String },
}

impl Status {
    fn text(&self) -> String {
        match self {
            Status::Loading => "loading".into(),
            Status::Ready => "ready".into(),
            Status::Failed { code, .. } => format!("error: {code}"),
        }
    }
}

/// The app's state: signals for what is shown, local stores for browser-only values.
#[derive(Clone, Copy)]
struct State {
    /// The SDK connection (not `Send`: kept in a thread-local store).
    sdk: StoredValue<Option<App>, LocalStorage>,
    /// Keeps auto-resize running for the page's lifetime.
    resize: StoredValue<Option<ResizeHandle>, LocalStorage>,
    /// The notes kept live: changes by other members appear without a reload.
    live: StoredValue<Option<LiveAppData>, LocalStorage>,
    /// Downloaded attachments' object URLs, revoked when replaced.
    blobs: StoredValue<Vec<(RowId, BlobUrl)>, LocalStorage>,
    status: RwSignal<Status>,
    ctx: RwSignal<Option<LocalContext>>,
    me: RwSignal<String>,
    /// True against the SDK's standalone backend (whatever view `?context=` picked).
    standalone: RwSignal<bool>,
    notes: RwSignal<Vec<AppData>>,
    /// `file` rows the user can see (to know which attachments can be downloaded).
    files: RwSignal<Vec<RowId>>,
    colors: RwSignal<Vec<String>>,
    colors_id: RwSignal<Option<RowId>>,
    actions: RwSignal<Vec<AppAction>>,
    /// Keeps the analytics view's subscription to new app actions.
    actions_live: StoredValue<Option<LiveHandle>, LocalStorage>,
    /// Actions received live while the list is being fetched again (`None` when it is not).
    actions_arrived: StoredValue<Option<Vec<AppAction>>, LocalStorage>,
    /// File id → object URL of attachments downloaded in this session.
    links: RwSignal<Vec<(RowId, String)>>,
}

impl State {
    fn new() -> State {
        State {
            sdk: StoredValue::new_local(None),
            resize: StoredValue::new_local(None),
            live: StoredValue::new_local(None),
            blobs: StoredValue::new_local(Vec::new()),
            status: RwSignal::new(Status::Loading),
            ctx: RwSignal::new(None),
            me: RwSignal::new(String::new()),
            standalone: RwSignal::new(false),
            notes: RwSignal::new(Vec::new()),
            files: RwSignal::new(Vec::new()),
            colors: RwSignal::new(default_colors()),
            colors_id: RwSignal::new(None),
            actions: RwSignal::new(Vec::new()),
            actions_live: StoredValue::new_local(None),
            actions_arrived: StoredValue::new_local(None),
            links: RwSignal::new(Vec::new()),
        }
    }

    fn app(&self) -> Result<App, Error> {
        self.sdk.get_value().ok_or(Error::NotConnected)
    }

    fn fail(&self, e: &Error) {
        self.status.set(Status::Failed {
            code: e.code(),
            message: e.to_string(),
        });
    }

    /// Runs a user action; its failure shows in `#status`, its success clears an earlier one.
    fn run(&self, op: impl Future<Output = Result<(), Error>> + 'static) {
        let st = *self;
        spawn_local(async move {
            match op.await {
                Ok(()) => st.status.set(Status::Ready),
                Err(e) => st.fail(&e),
            }
        });
    }

    /// Records an app action about note `id` (called after the change it describes is shown,
    /// so a failure here is reported without undoing it).
    async fn log(&self, app: &App, ty: &str, id: RowId) -> Result<(), Error> {
        let mut data = appframe_sdk::JsonObject::new();
        data.insert("id".into(), id.to_string().into());
        Ok(app.create_app_action(ty, data).await?)
    }

    /// Shows a change the user made: through the live list (whose callback sets `notes`), or
    /// directly while there is none yet.
    fn note_changed(&self, op: Op, row: AppData) {
        let live = self
            .live
            .with_value(|l| l.as_ref().map(|l| l.apply(op, row.clone())).is_some());
        if !live {
            self.notes.update(|ns| {
                appframe_sdk::merge(ns, op, row);
            });
        }
    }

    fn replace_note(&self, row: AppData) {
        self.note_changed(Op::Patch, row);
    }
}

/// Lists every row of `ty`, following pages.
async fn list_all(app: &App, ty: &str) -> Result<Vec<AppData>, Error> {
    let mut filter = ListFilter::of_type(ty);
    let mut rows = Vec::new();
    loop {
        let page = app.list_app_data(filter.clone()).await?;
        rows.extend(page.items);
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => return Ok(rows),
        }
    }
}

/// The standalone backend starts with the default palette stored, as an admin would leave it.
/// Opened alone, `?context=analytics` (or `builder`, `player`) and `?permission=read|write|admin`
/// choose the view and role, so an author can try the action log or the reader's UI.
fn config() -> AppConfig {
    let mut config = AppConfig::new(APP_KEY);
    let mut standalone = StandaloneConfig {
        item_name: "Sticky notes (standalone)".into(),
        app_settings: vec![(COLORS_SETTING.into(), colors_data(&default_colors()))],
        ..StandaloneConfig::default()
    };
    if let Some(c) = query_param("context").and_then(|c| parse_context(&c)) {
        standalone.context = c;
    }
    if let Some(p) = query_param("permission").and_then(|p| Permission::parse(&p)) {
        standalone.permission = p;
    }
    config.standalone = standalone;
    config
}

/// A parameter of the page's query string.
fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Start-up: handshake, token, names, notes, files, palette and (for admins in analytics) actions.
async fn load(st: State) -> Result<(), Error> {
    let app = App::connect(config()).await?;
    st.sdk.set_value(Some(app.clone()));
    st.resize.set_value(Some(app.auto_resize()?));
    app.auth_token().await?;
    let ctx = app.context();
    let members = app.app_context().await?.members;
    let me = ctx
        .account_id
        .and_then(|id| members.into_iter().find(|m| m.id == id))
        .map_or_else(|| "anonymous".to_owned(), |m| m.name);
    st.me.set(me);
    st.standalone.set(app.is_standalone());
    st.notes.set(list_all(&app, NOTE).await?);
    // From now on the notes follow the server: other members' notes appear, change and vanish
    // live (and the list is refetched after a reconnect).
    let live = app.live_app_data(Some(NOTE), move |r| match r {
        Ok(rows) => st.notes.set(rows.to_vec()),
        Err(e) => st.fail(&Error::Sdk(e.clone())),
    });
    st.live.set_value(Some(live));
    st.files.set(
        list_all(&app, FILE)
            .await?
            .into_iter()
            .map(|f| f.id)
            .collect(),
    );
    let setting = app
        .list_app_settings(Some(COLORS_SETTING))
        .await?
        .into_iter()
        .next();
    if let Some(s) = setting {
        if let Some(colors) = colors_of(&s.data) {
            st.colors.set(colors);
        }
        st.colors_id.set(Some(s.id));
    }
    if shows_action_log(&ctx) {
        analytics::start(st, &app).await?;
    }
    st.ctx.set(Some(ctx));
    Ok(())
}

/// The whole app.
#[component]
fn StickyNotes() -> impl IntoView {
    let st = State::new();
    spawn_local(async move {
        match load(st).await {
            Ok(()) => st.status.set(Status::Ready),
            Err(e) => st.fail(&e),
        }
    });
    let title = move || match st.status.get() {
        Status::Failed { message, .. } => message,
        _ => String::new(),
    };
    let who = move || {
        st.ctx.get().map(|c| {
            let standalone = if st.standalone.get() {
                " · standalone mode"
            } else {
                ""
            };
            format!(
                "{} ({}, {}){standalone}",
                st.me.get(),
                c.permission.as_str(),
                context_name(c.context)
            )
        })
    };
    view! {
        <main>
            <header>
                <h1>"Sticky notes"</h1>
                <p class="muted"><span id="who">{who}</span>" · status: "
                    <span id="status" title=title>{move || st.status.get().text()}</span></p>
            </header>
            <Show when=move || st.ctx.get().is_some()>
                <NewNote st=st/>
                <ul class="notes">
                    <For
                        each=move || st.notes.get()
                        key=|n| n.id
                        children=move |row| view! { <NoteCard st=st id=row.id/> }
                    />
                </ul>
                <Show when=move || st.ctx.get().as_ref().is_some_and(can_edit_settings)>
                    <palette::SettingsEditor st=st/>
                </Show>
                <Show when=move || st.ctx.get().as_ref().is_some_and(shows_action_log)>
                    <analytics::ActionLog st=st/>
                </Show>
            </Show>
        </main>
    }
}

/// The form that adds a note.
#[component]
fn NewNote(st: State) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let visibility = RwSignal::new("member".to_owned());
    let color = RwSignal::new(String::new());
    // The chosen colour, or the palette's first when none is chosen (or it left the palette).
    let chosen = move || pick_color(&color.get(), &st.colors.get());
    let add = move |_| {
        st.run(async move {
            let vis = if visibility.get_untracked() == "item" {
                Visibility::Item
            } else {
                Visibility::Member
            };
            let color = pick_color(&color.get_untracked(), &st.colors.get_untracked());
            let data = note_data(&text.get_untracked(), &color)?;
            let app = st.app()?;
            let row = app
                .create_app_data(NewAppData::new(NOTE, data).with_visibility(vis))
                .await?;
            let id = row.id;
            st.note_changed(Op::Post, row);
            text.set(String::new());
            st.log(&app, "create-note", id).await
        });
    };
    view! {
        <section class="new-note">
            <textarea id="new-note-text" rows="2" placeholder="Write a note…"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="row">
                <select id="new-note-visibility" on:change=move |ev| visibility.set(event_target_value(&ev))>
                    <option value="member" selected=true>"Only me (and admins)"</option>
                    <option value="item">"Everyone on the item"</option>
                </select>
                <select id="new-note-color" on:change=move |ev| color.set(event_target_value(&ev))>
                    {palette::color_options(st, chosen)}
                </select>
                <button id="add-note" type="button" on:click=add>"Add note"</button>
            </div>
        </section>
    }
}

/// One note, with its buttons when the user may change it.
///
/// The card lives as long as its note is in the list (the list is keyed by id): live updates of
/// this note or of others change what it shows, never its state, so an open editor, its draft
/// and a click in flight survive an echo or a refetch. What it shows is memoised, so an update
/// that changes nothing visible touches nothing in the page.
#[component]
fn NoteCard(st: State, id: RowId) -> impl IntoView {
    let row = Memo::new(move |_| st.notes.with(|ns| ns.iter().find(|n| n.id == id).cloned()));
    let note = Memo::new(move |_| row.with(|r| r.as_ref().map(Note::from_row)));
    let may_modify = Memo::new(move |_| {
        let ctx = st.ctx.get();
        row.with(|r| {
            r.as_ref()
                .zip(ctx)
                .is_some_and(|(r, c)| can_modify(r, c.account_id, c.permission))
        })
    });
    let attachment =
        Memo::new(move |_| note.with(|n| n.as_ref().and_then(|n| n.attachment.clone())));
    let shown = move |f: fn(&Note) -> String| move || note.with(|n| n.as_ref().map(f));
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    // The colour the user picked in the editor; until they pick one, the note's own (which
    // another member may change while the editor is open).
    let draft_color = RwSignal::new(None::<String>);
    let shown_color = move || {
        draft_color
            .get()
            .or_else(|| note.with(|n| n.as_ref().map(|n| n.color.clone())))
            .unwrap_or_default()
    };

    let edit = move |_| {
        // The draft starts from the note as it is now, not as it was when the card was built.
        if let Some(n) = note.get_untracked() {
            draft.set(n.text);
        }
        draft_color.set(None);
        editing.set(true);
    };
    let save = move |_| {
        let text = draft.get_untracked();
        let color = draft_color.get_untracked();
        st.run(async move {
            // The row's latest data, so that fields changed meanwhile (an attachment added or the
            // colour changed in another tab) are kept: a PATCH replaces the whole `data`.
            let data = current_data(st, id)?;
            let color = color.unwrap_or_else(|| color_of(&data));
            let new = edited(&data, &text, &color)?;
            let app = st.app()?;
            let row = app.patch_app_data(id, new).await?;
            // The card is gone when the note was deleted meanwhile: nothing left to close.
            let _ = editing.try_set(false);
            st.replace_note(row);
            st.log(&app, "edit-note", id).await
        });
    };
    let delete = move |_| {
        let attachment = attachment.get_untracked();
        st.run(async move {
            let app = st.app()?;
            app.delete_app_data(id).await?;
            let gone = st.notes.get_untracked().into_iter().find(|n| n.id == id);
            if let Some(row) = gone {
                st.note_changed(Op::Delete, row);
            }
            // Deleting the note also deletes its file row when the user can see it; a file
            // they cannot see is not theirs to delete.
            if let Some(a) = attachment
                && st.files.get_untracked().contains(&a.id)
            {
                app.delete_app_data(a.id).await?;
                st.files.update(|fs| fs.retain(|f| *f != a.id));
            }
            st.log(&app, "delete-note", id).await
        });
    };
    let attach = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        st.run(async move {
            let app = st.app()?;
            let uploaded = app.upload_app_data_file(&file, &file.name()).await?;
            let attachment = Attachment {
                id: uploaded.id,
                name: file.name(),
            };
            st.files.update(|fs| fs.push(uploaded.id));
            // Read after the upload, which may take a while: the note as it is now.
            let data = current_data(st, id)?;
            let previous = attachment_of(&data);
            let row = app
                .patch_app_data(id, with_attachment(&data, &attachment))
                .await?;
            st.replace_note(row);
            if let Some(old) = previous
                && st.files.get_untracked().contains(&old.id)
            {
                app.delete_app_data(old.id).await?;
                st.files.update(|fs| fs.retain(|f| *f != old.id));
            }
            st.log(&app, "attach-file", id).await
        });
    };

    let color = shown(|n| format!("background:{}", n.color));
    view! {
        <li class="note" data-id=id.to_string() style=color>
            <Show
                when=move || editing.get()
                fallback=move || view! { <p class="note-text">{shown(|n| n.text.clone())}</p> }
            >
                <textarea class="edit-text" rows="3"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                <select class="edit-color" on:change=move |ev| draft_color.set(Some(event_target_value(&ev)))>
                    {palette::color_options(st, shown_color)}
                </select>
                <button class="save" type="button" on:click=save>"Save"</button>
                <button class="cancel" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </Show>
            {move || attachment.get().map(|a| view! { <FileChip st=st file=a/> })}
            <p class="meta muted">{shown(|n| n.author.clone())}" · "{shown(|n| n.visibility.to_owned())}</p>
            <Show when=move || may_modify.get()>
                <div class="row">
                    <button class="edit" type="button" on:click=edit>"Edit"</button>
                    <button class="delete" type="button" on:click=delete>"Delete"</button>
                    <label class="attach">"Attach file "
                        <input type="file" id=format!("attach-{id}") on:change=attach/>
                    </label>
                </div>
            </Show>
        </li>
    }
}

/// The `data` of note `id` as the list holds it now (the note may have been deleted meanwhile).
fn current_data(st: State, id: RowId) -> Result<appframe_sdk::JsonObject, Error> {
    st.notes
        .with_untracked(|ns| ns.iter().find(|n| n.id == id).map(|n| n.data.clone()))
        .ok_or_else(|| Error::Invalid("the note was deleted meanwhile".into()))
}

/// A note's attached file: its name, a button that downloads it when the user can see the file
/// row, then a link to the downloaded copy.
#[component]
fn FileChip(st: State, file: Attachment) -> impl IntoView {
    let Attachment { id, name } = file;
    let visible = move || st.files.get().contains(&id);
    let link = move || {
        st.links
            .get()
            .into_iter()
            .find(|(f, _)| *f == id)
            .map(|(_, url)| url)
    };
    let download = move |_| {
        st.run(async move {
            let app = st.app()?;
            let blob = app.download_app_data_file_url(id).await?;
            let url = blob.url().to_owned();
            st.blobs.update_value(|b| {
                // Drops (revokes) the previous URL of this file.
                b.retain(|(f, _)| *f != id);
                b.push((id, blob));
            });
            st.links.update(|l| {
                l.retain(|(f, _)| *f != id);
                l.push((id, url));
            });
            Ok(())
        });
    };
    view! {
        <p class="attachment">
            {move || {
                let name = name.clone();
                if !visible() {
                    view! { <span class="muted" title="Files are visible to their uploader and admins"><i class="icon icon-clip"></i>{name}</span> }.into_any()
                } else if let Some(url) = link() {
                    let label = format!("Save {name}");
                    view! { <a class="file-link" href=url download=name><i class="icon icon-save"></i>{label}</a> }.into_any()
                } else {
                    view! { <button class="download" type="button" on:click=download><i class="icon icon-clip"></i>{name}</button> }.into_any()
                }
            }}
        </p>
    }
}

/// Talc instead of Rust's default allocator (dlmalloc): smaller and faster on wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
