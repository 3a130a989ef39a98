//! The item page: one item's app in an iframe through the bridge, with its loading and error
//! states, the close request, live theme and language (protocol v2), the fullscreen toggle and
//! the bridge log with its trace export.

use crate::{
    Lang, Me, Session, ThemeChoice, View, api,
    context::{effective_lang, view_context},
    log::{BridgeLog, LogPanel, download},
    theme::theme,
    trace::TraceApp,
};
use appframe_host::{AppEvent, Bridge, BridgeOptions, ContextProvider};
use appframe_protocol::{ContextChange, FailurePayload, HostConfig, HostItem};
use leptos::{callback::Callback, prelude::*, task::spawn_local};
use leptos_router::hooks::{use_params_map, use_query_map};

/// Lower bound of the app iframe height (px).
const MIN_FRAME_HEIGHT: f64 = 150.0;
/// Upper bound of the app iframe height (px).
const MAX_FRAME_HEIGHT: f64 = 4000.0;
/// What the app is told when the host closes it at its request.
const CLOSE_REASON: &str = "close-requested";

/// Where the attached app stands, as its events tell.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Not attached (no item or member yet, or the attach failed).
    Idle,
    /// Attached, not ready yet.
    Loading,
    /// The app said it is ready (a v1 app: its context was answered).
    Ready,
    /// POST_FAILURE or READY_TIMEOUT.
    Failed(FailurePayload),
    /// Torn down by the host; `acked`: the app answered TEARDOWN in time.
    Closed { acked: bool },
}

#[component]
pub fn ItemPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let Session(session) = expect_context();
    let Me(me) = expect_context();
    let Lang(lang) = expect_context();
    let ThemeChoice(theme_mode) = expect_context();
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
    let status = RwSignal::new(Status::Idle);
    let close_requested = RwSignal::new(false);
    // Bumped to attach the app again: retry, reopen, a language change for a v1 app.
    let attempt = RwSignal::new(0u32);

    // A v2 app learns the theme from CONTEXT_CHANGED only (the context has no theme field), so
    // it gets the current one whenever it (re)announces itself ready.
    let send_theme = move || {
        let change = ContextChange {
            theme: Some(theme(theme_mode.get_untracked())),
            ..ContextChange::default()
        };
        bridge.with_value(|b| b.as_ref().map(|b| b.change_context(&change)));
    };
    let on_event = move |e: &AppEvent| match e {
        AppEvent::Ready => {
            status.try_set(Status::Ready);
            // Not from inside the bridge's own callback: its message is posted right after.
            spawn_local(async move { send_theme() });
        }
        AppEvent::Failed(f) => {
            status.try_set(Status::Failed(f.clone()));
        }
        AppEvent::CloseRequested => {
            close_requested.try_set(true);
        }
        AppEvent::DisplayMode(_) => {}
    };

    let export_config = config.clone();
    // (Re-)attach whenever the item, the member or the view changes: the app is reloaded with
    // the new context, as a Graasp host does when one of them changes.
    Effect::new(move |_| {
        attempt.track();
        let Some(iframe) = frame.get() else { return };
        let (Some(Ok(item)), Some(me)) = (item.get(), me.get()) else {
            bridge.set_value(None);
            status.set(Status::Idle);
            return;
        };
        let view = view_sel.get();
        // The old bridge goes first, so its listener never sees the reloaded app.
        bridge.set_value(None);
        close_requested.set(false);
        let item_id = item.id;
        let app = item.app.clone();
        let config = config.clone();
        // Read at every GET_CONTEXT: an app that reloads gets the current language.
        let provider = ContextProvider::from_fn(move || {
            let lang = lang.try_get_untracked().unwrap_or_default();
            Ok(view_context(view, &item, me.as_ref(), &config, &lang))
        });
        let mut opts = BridgeOptions::new(item_id, app.url.clone(), app.origins.clone(), provider)
            .height_bounds(MIN_FRAME_HEIGHT, MAX_FRAME_HEIGHT)
            // The demo's apps talk to our server: its `/api/ws` takes the app token.
            .server_features(["ws"])
            .on_log(move |e| log.push(item_id, e))
            .on_event(on_event);
        // The server tells the host each app's key: the first token is asked for at attach.
        if let Some(key) = &app.key {
            opts = opts.app_key(key.clone());
        }
        // The demo host grants everything an app's manifest asks for; a platform would leave
        // out what its policy refuses. Without a manifest the bridge's defaults apply.
        if let Some(m) = &app.manifest {
            opts = opts.permissions(m.permissions.iter().cloned());
        }
        match Bridge::attach(iframe, opts) {
            Ok(b) => {
                attach_error.set(None);
                status.set(Status::Loading);
                bridge.set_value(Some(b));
            }
            Err(e) => {
                attach_error.set(Some(e.to_string()));
                status.set(Status::Idle);
            }
        }
    });
    on_cleanup(move || bridge.set_value(None));

    // A language change reaches a v2 app without a reload; a v1 app is attached again.
    Effect::new(move |prev: Option<String>| {
        let chosen = lang.get();
        if prev.is_some_and(|p| p != chosen) {
            let sent = item.get_untracked().and_then(Result::ok).is_some_and(|it| {
                let change = ContextChange {
                    lang: Some(effective_lang(&it, &chosen)),
                    ..ContextChange::default()
                };
                bridge.with_value(|b| {
                    b.as_ref()
                        .is_some_and(|b| b.app_speaks_v2() && b.change_context(&change))
                })
            });
            if !sent {
                attempt.update(|n| *n += 1);
            }
        }
        chosen
    });
    // A theme change reaches a v2 app; a v1 app has no theme in its context and sees nothing.
    Effect::new(move |prev: Option<_>| {
        let mode = theme_mode.get();
        if prev.is_some_and(|p| p != mode) {
            send_theme();
        }
        mode
    });

    let close = move |_| {
        let mut taken = None;
        bridge.update_value(|b| taken = b.take());
        close_requested.set(false);
        let Some(b) = taken else { return };
        spawn_local(async move {
            let acked = b.teardown(CLOSE_REASON).await;
            // The frame goes once the app acknowledged, or at the bound.
            if let Some(f) = frame.get_untracked() {
                f.set_src("about:blank");
            }
            status.try_set(Status::Closed { acked });
        });
    };
    let retry = move |_| attempt.update(|n| *n += 1);
    let fullscreen = move |_| toggle_fullscreen(frame.get_untracked());
    let export = Callback::new(move |()| {
        let Some(Ok(item)) = item.get_untracked() else {
            return;
        };
        let app = TraceApp {
            url: item.app.url.clone(),
            origins: item.app.origins.clone(),
            item_id: item.id,
        };
        let me = me.get_untracked().flatten();
        let lang = lang.get_untracked();
        let fallback = view_context(
            view_sel.get_untracked(),
            &item,
            me.as_ref(),
            &export_config,
            &lang,
        );
        let trace = log.trace(app, fallback);
        let name = format!("appframe-trace-{}.json", item.id);
        if let Err(e) = download(&name, &trace.to_json()) {
            attach_error.set(Some(format!("Cannot export the trace: {e:?}")));
        }
    });

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
    let state = move || match status.get() {
        Status::Idle | Status::Ready => None,
        Status::Loading => Some(
            view! {
                <p id="app-loading" class="notice" role="status">
                    <span class="spinner"></span>
                    "Loading the app…"
                </p>
            }
            .into_any(),
        ),
        Status::Failed(f) => Some(
            view! {
                <div id="app-error" class="notice bad" role="alert">
                    <strong class="code">{f.code}</strong>
                    <span class="message">{f.message}</span>
                    <button id="app-retry" on:click=retry>
                        "Retry"
                    </button>
                </div>
            }
            .into_any(),
        ),
        Status::Closed { acked } => Some(
            view! {
                <p id="app-closed" class="notice">
                    {if acked {
                        "The app was closed (it saved its work)."
                    } else {
                        "The app was closed (it did not acknowledge in time)."
                    }}
                    <button id="app-reopen" on:click=retry>
                        "Reopen"
                    </button>
                </p>
            }
            .into_any(),
        ),
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
            <span class="spacer"></span>
            <button id="fullscreen" title="Show the app full screen (Esc to leave)" on:click=fullscreen>
                "Fullscreen"
            </button>
            <button
                id="app-close-now"
                title="Tear the app down as a platform does before it removes the frame"
                on:click=close
            >
                "Close app"
            </button>
        </nav>
        {move || attach_error.get().map(|e| view! { <p class="error">{e}</p> })}
        {state}
        {move || {
            close_requested
                .get()
                .then(|| {
                    view! {
                        <div id="app-close-request" class="notice" role="alert">
                            "The app asks to be closed."
                            <button id="app-close" on:click=close>
                                "Close"
                            </button>
                            <button id="app-keep" on:click=move |_| close_requested.set(false)>
                                "Keep open"
                            </button>
                        </div>
                    }
                })
        }}
        <iframe id="app-frame" title="App" node_ref=frame></iframe>
        <LogPanel log=log export=export />
    }
}

/// Puts the app frame in fullscreen, or leaves it. Called from the click, whose user
/// activation `requestFullscreen` needs.
fn toggle_fullscreen(frame: Option<web_sys::HtmlIFrameElement>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(f) = frame {
        // The browser refuses (no activation, fullscreen disabled) with a rejected promise that
        // changes nothing on the page: there is nothing to undo.
        let _ = f.request_fullscreen();
    }
}
