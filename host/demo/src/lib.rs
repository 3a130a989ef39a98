//! The demo host page (leptos, client-side rendering): lists the member's items and shows each
//! item's app in an iframe through the appframe host bridge, in the builder, player or analytics
//! view, with a member switcher (dev mode), a language selector, a light/dark theme switch and a
//! log of the bridge's messages that can be exported as a trace and replayed at `/replay`.
//!
//! Built with `cargo build --target wasm32-unknown-unknown -p appframe-host-demo` and
//! `wasm-bindgen --target web`; `index.html` loads `/appframe_host_demo.js`. The server serves it
//! at `/` with a fallback to `index.html`, so `/items/{itemId}?view=player` loads the page too.

mod api;
mod context;
mod item;
mod log;
mod replay;
mod theme;
pub mod trace;

pub use api::ApiError;
pub use appframe_protocol::{HostApp, HostConfig, HostItem, Member};
pub use context::{View, effective_lang, view_context};
pub use replay::NO_SERVER;
pub use theme::theme;

use appframe_protocol::ThemeMode;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};
use wasm_bindgen::prelude::*;

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

/// The selected theme mode.
#[derive(Clone, Copy)]
struct ThemeChoice(RwSignal<ThemeMode>);

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
    provide_context(log::BridgeLog::new());
    let theme_mode = RwSignal::new(ThemeMode::Light);
    provide_context(ThemeChoice(theme_mode));
    Effect::new(move |_| theme::apply_to_page(&theme(theme_mode.get())));
    let dev = config.dev;
    view! {
        <Router>
            <header>
                <a href="/" class="brand">"appframe"</a>
                <span class="tag">"demo host"</span>
                <span class="spacer"></span>
                <a href="/replay" id="replay-link">
                    "Replay a trace"
                </a>
                {dev.then(|| view! { <MemberSwitcher /> })}
                <label>
                    "Theme "
                    <select
                        id="theme"
                        on:change=move |ev| {
                            let mode = ThemeMode::parse(&event_target_value(&ev));
                            theme_mode.set(mode.unwrap_or_default());
                        }
                    >
                        {[ThemeMode::Light, ThemeMode::Dark]
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <option value=m.as_str() prop:selected=move || theme_mode.get() == m>
                                        {if m == ThemeMode::Light { "Light" } else { "Dark" }}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
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
                    <Route path=path!("/items/:id") view=item::ItemPage />
                    <Route path=path!("/replay") view=replay::ReplayPage />
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
