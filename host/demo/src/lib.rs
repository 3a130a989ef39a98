//! The demo host page (leptos, client-side rendering): lists the member's items and shows each
//! item's app in an iframe through the appframe host bridge, in the builder, player or analytics
//! view, with a member switcher (dev mode), a language selector and a log of the bridge's messages.
//!
//! Built with `cargo build --target wasm32-unknown-unknown -p appframe-host-demo` and
//! `wasm-bindgen --target web`; `index.html` loads `/appframe_host_demo.js`. The server serves it
//! at `/` with a fallback to `index.html`, so `/items/{itemId}?view=player` loads the page too.

mod api;
mod context;

pub use api::ApiError;
pub use appframe_protocol::{HostApp, HostConfig, HostItem, Member};
pub use context::{View, view_context};

use appframe_host::{Bridge, BridgeOptions, Direction, LogEntry};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::{use_params_map, use_query_map},
    path,
};
use wasm_bindgen::prelude::*;

/// Lower bound of the app iframe height (px).
const MIN_FRAME_HEIGHT: f64 = 150.0;
/// Upper bound of the app iframe height (px).
const MAX_FRAME_HEIGHT: f64 = 4000.0;
/// Log lines kept in the panel; older ones scroll out.
const MAX_LOG_LINES: usize = 300;
/// Languages offered by the selector (empty: the item's own language).
const LANGUAGES: [(&str, &str); 6] = [
    ("", "Item default"),
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
];

/// Entry point: mounts the page.
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}

/// Bumped after login and logout: everything that depends on the session refetches.
#[derive(Clone, Copy)]
struct Session(RwSignal<u32>);

/// The logged-in member (`None` inside when logged out).
#[derive(Clone, Copy)]
struct Me(LocalResource<Option<Member>>);

/// The selected language (empty: the item's).
#[derive(Clone, Copy)]
struct Lang(RwSignal<String>);

/// The bridge log panel's lines.
#[derive(Clone, Copy)]
struct BridgeLog(RwSignal<Vec<LogLine>>, StoredValue<u64>);

/// One line of the log panel.
#[derive(Debug, Clone, PartialEq)]
struct LogLine {
    seq: u64,
    direction: &'static str,
    channel: String,
    message_type: String,
    outcome: &'static str,
    reason: Option<String>,
    data: String,
}

impl BridgeLog {
    fn push(&self, e: &LogEntry) {
        let seq = self.1.get_value() + 1;
        self.1.set_value(seq);
        let line = LogLine {
            seq,
            direction: match e.direction {
                Direction::In => "in",
                Direction::Out => "out",
            },
            channel: e.channel.to_string(),
            message_type: e.message_type.clone(),
            outcome: e.outcome.as_str(),
            reason: e.outcome.reason().map(str::to_owned),
            data: e.data.clone(),
        };
        self.0.update(|lines| {
            lines.push(line);
            if lines.len() > MAX_LOG_LINES {
                let extra = lines.len() - MAX_LOG_LINES;
                lines.drain(..extra);
            }
        });
    }
}

/// Reads the host config and, in dev mode, honours `?as={memberId}` (then removes it from the
/// address bar before the router reads it).
async fn init() -> Result<HostConfig, String> {
    let config: HostConfig = api::get("/api/host-config")
        .await
        .map_err(|e| format!("Cannot load the host configuration: {e}"))?;
    if config.dev
        && let Some(member) = take_as_param()
    {
        api::login(&member)
            .await
            .map_err(|e| format!("Cannot log in as {member}: {e}"))?;
    }
    Ok(config)
}

fn take_as_param() -> Option<String> {
    let window = web_sys::window()?;
    let url = web_sys::Url::new(&window.location().href().ok()?).ok()?;
    let member = url.search_params().get("as")?;
    url.search_params().delete("as");
    // If the history API refuses, the parameter only stays visible; the login still happens.
    let _ = window
        .history()
        .and_then(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(&url.href())));
    Some(member)
}

#[component]
fn App() -> impl IntoView {
    let config = RwSignal::new(None::<Result<HostConfig, String>>);
    spawn_local(async move { config.set(Some(init().await)) });
    move || match config.get() {
        None => view! { <p class="status">"Loading…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
        Some(Ok(cfg)) => view! { <Shell config=cfg /> }.into_any(),
    }
}

#[component]
fn Shell(config: HostConfig) -> impl IntoView {
    let session = RwSignal::new(0u32);
    let me = LocalResource::new(move || {
        session.track();
        async move { api::get::<Member>("/api/me").await.ok() }
    });
    let lang = RwSignal::new(String::new());
    provide_context(config.clone());
    provide_context(Session(session));
    provide_context(Me(me));
    provide_context(Lang(lang));
    provide_context(BridgeLog(RwSignal::new(Vec::new()), StoredValue::new(0)));
    let dev = config.dev;
    view! {
        <Router>
            <header>
                <a href="/" class="brand">"appframe"</a>
                <span class="tag">"demo host"</span>
                <span class="spacer"></span>
                {dev.then(|| view! { <MemberSwitcher /> })}
                <label>
                    "Language "
                    <select id="lang" on:change=move |ev| lang.set(event_target_value(&ev))>
                        {LANGUAGES
                            .iter()
                            .map(|(code, name)| {
                                let code = *code;
                                view! {
                                    <option value=code prop:selected=move || lang.get() == code>
                                        {*name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="status">"Page not found."</p> }>
                    <Route path=path!("/") view=ItemsPage />
                    <Route path=path!("/items/:id") view=ItemPage />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn MemberSwitcher() -> impl IntoView {
    let Session(session) = expect_context();
    let Me(me) = expect_context();
    let members = LocalResource::new(|| async {
        api::get::<Vec<Member>>("/api/members")
            .await
            .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    let current = move || {
        me.get()
            .flatten()
            .map(|m| m.id.to_string())
            .unwrap_or_default()
    };
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        spawn_local(async move {
            let result = if id.is_empty() {
                api::logout().await
            } else {
                api::login(&id).await
            };
            error.set(result.err().map(|e| e.to_string()));
            session.update(|n| *n += 1);
        });
    };
    view! {
        <label>
            "Member "
            <select id="member-switcher" on:change=on_change>
                <option value="" prop:selected=move || current().is_empty()>
                    "(logged out)"
                </option>
                <For each=move || members.get().unwrap_or_default() key=|m| m.id let:m>
                    <option
                        value=m.id.to_string()
                        prop:selected={
                            let id = m.id.to_string();
                            move || current() == id
                        }
                    >
                        {m.name.clone()}
                    </option>
                </For>
            </select>
        </label>
        {move || error.get().map(|e| view! { <span class="error">{e}</span> })}
    }
}

#[component]
fn ItemsPage() -> impl IntoView {
    let Session(session) = expect_context();
    let config: HostConfig = expect_context();
    let items = LocalResource::new(move || {
        session.track();
        async move { api::get::<Vec<HostItem>>("/api/items").await }
    });
    let dev = config.dev;
    view! {
        <h1>"Items"</h1>
        {move || match items.get() {
            None => view! { <p class="status">"Loading…"</p> }.into_any(),
            Some(Err(e)) if e.status == 401 => {
                let hint = if dev {
                    "Choose a member in the switcher above."
                } else {
                    "Log in through your platform."
                };
                view! { <p class="status">"Not logged in. " {hint}</p> }.into_any()
            }
            Some(Err(e)) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="status">"No items for this member."</p> }.into_any()
            }
            Some(Ok(list)) => {
                view! {
                    <ul id="items">
                        {list
                            .into_iter()
                            .map(|it| {
                                view! {
                                    <li>
                                        <a
                                            data-item-id=it.id.to_string()
                                            href=format!("/items/{}?view=builder", it.id)
                                        >
                                            {it.name.clone()}
                                        </a>
                                        <span class="meta">
                                            {it.app.name.clone()}
                                            " · "
                                            {it.permission.as_str()}
                                        </span>
                                        {it.description.clone().map(|d| view! { <p>{d}</p> })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn ItemPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let Session(session) = expect_context();
    let Me(me) = expect_context();
    let Lang(lang) = expect_context();
    let log: BridgeLog = expect_context();
    let config: HostConfig = expect_context();

    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let view_sel = Memo::new(move |_| View::parse(query.read().get("view").as_deref()));
    let item = LocalResource::new(move || {
        session.track();
        let id = id.get();
        async move { api::get::<HostItem>(&format!("/api/items/{id}")).await }
    });
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let bridge = StoredValue::new_local(None::<Bridge>);
    let attach_error = RwSignal::new(None::<String>);

    // (Re-)attach whenever the item, the member, the view or the language changes: the app is
    // reloaded with the new context, as a Graasp host does when one of them changes.
    Effect::new(move |_| {
        let Some(iframe) = frame.get() else { return };
        let (Some(Ok(item)), Some(me)) = (item.get(), me.get()) else {
            bridge.set_value(None);
            return;
        };
        let ctx = view_context(view_sel.get(), &item, me.as_ref(), &config, &lang.get());
        // The old bridge goes first, so its listener never sees the reloaded app.
        bridge.set_value(None);
        let mut opts =
            BridgeOptions::new(item.id, item.app.url.clone(), item.app.origins.clone(), ctx)
                .height_bounds(MIN_FRAME_HEIGHT, MAX_FRAME_HEIGHT)
                // The demo's apps talk to our server: its `/api/ws` takes the app token.
                .server_features(["ws"])
                .on_log(move |e| log.push(e));
        // The server tells the host each app's key: the first token is asked for at attach.
        if let Some(key) = &item.app.key {
            opts = opts.app_key(key.clone());
        }
        // The demo host grants everything an app's manifest asks for; a platform would leave
        // out what its policy refuses. Without a manifest the bridge's defaults apply.
        if let Some(m) = &item.app.manifest {
            opts = opts.permissions(m.permissions.iter().cloned());
        }
        match Bridge::attach(iframe, opts) {
            Ok(b) => {
                attach_error.set(None);
                bridge.set_value(Some(b));
            }
            Err(e) => attach_error.set(Some(e.to_string())),
        }
    });
    on_cleanup(move || bridge.set_value(None));

    let header = move || match item.get() {
        None => view! { <p class="status">"Loading…"</p> }.into_any(),
        Some(Err(e)) if e.status == 401 => {
            view! { <p class="status">"Not logged in: choose a member to see this item."</p> }
                .into_any()
        }
        Some(Err(e)) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
        Some(Ok(it)) => view! {
            <h1>{it.name.clone()}</h1>
            <p class="meta">
                {it.app.name.clone()}
                " · your permission: "
                <strong id="permission">{it.permission.as_str()}</strong>
            </p>
            {it.description.clone().map(|d| view! { <p>{d}</p> })}
        }
        .into_any(),
    };
    view! {
        <p>
            <a href="/">"← All items"</a>
        </p>
        {header}
        <nav class="views">
            {View::ALL
                .iter()
                .map(|v| {
                    let v = *v;
                    view! {
                        <a
                            id=format!("view-{}", v.as_str())
                            href=move || format!("/items/{}?view={}", id.get(), v.as_str())
                            class:active=move || view_sel.get() == v
                        >
                            {v.label()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        {move || attach_error.get().map(|e| view! { <p class="error">{e}</p> })}
        <iframe id="app-frame" title="App" node_ref=frame></iframe>
        <LogPanel />
    }
}

#[component]
fn LogPanel() -> impl IntoView {
    let BridgeLog(lines, _) = expect_context();
    view! {
        <section class="log">
            <h2>
                "Bridge log "
                <button id="clear-log" on:click=move |_| lines.set(Vec::new())>
                    "Clear"
                </button>
            </h2>
            <ul id="bridge-log">
                <For each=move || lines.get() key=|l| l.seq let:l>
                    <li
                        class=format!("{} {}", l.direction, l.outcome)
                        data-type=l.message_type.clone()
                        title=l.data.clone()
                    >
                        <span class="dir">
                            {if l.direction == "in" { "→ host" } else { "← app" }}
                        </span>
                        <span class="chan">{l.channel.clone()}</span>
                        <code class="type">{l.message_type.clone()}</code>
                        <span class="outcome">{l.outcome}</span>
                        {l.reason.clone().map(|r| view! { <span class="reason">{r}</span> })}
                    </li>
                </For>
            </ul>
        </section>
    }
}
