//! Protocol v2 (appframe's extension of the Graasp wire format): negotiation, the payloads of the
//! live-context, lifecycle, display-mode, link and liveness messages, feature names and failure
//! codes. `docs/protocol-v2.md` describes the exchange; `Message` carries these payloads.

use crate::context::{Context, HostCapabilities, Permission};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The protocol version a v2 peer announces in `appframe.version`.
pub const PROTOCOL_VERSION: u32 = 2;

/// Feature names a peer lists in `appframe.features`.
pub mod feature {
    /// App: handles CONTEXT_CHANGED, TEARDOWN and PING. Host: sends TEARDOWN and reads
    /// POST_READY, POST_FAILURE, TEARDOWN_ACK and REQUEST_CLOSE.
    pub const LIFECYCLE: &str = "lifecycle";
    /// Host: sends CONTEXT_CHANGED.
    pub const CONTEXT_CHANGED: &str = "context-changed";
    /// Host: answers REQUEST_DISPLAY_MODE.
    pub const DISPLAY_MODE: &str = "display-mode";
    /// Host: answers OPEN_LINK.
    pub const OPEN_LINK: &str = "open-link";
    /// Host: answers PING with PONG.
    pub const PING: &str = "ping";
    /// App: will not send GET_AUTH_TOKEN after this GET_CONTEXT; it takes the token the host
    /// pushes. Host: pushes `GET_AUTH_TOKEN_SUCCESS` (or `_FAILURE`) on the new port right after
    /// `GET_CONTEXT_SUCCESS` when the app announced it, which saves the app a round trip at
    /// start-up.
    pub const PUSH_TOKEN: &str = "push-token";
}

/// Failure codes of the v2 answers (`FailurePayload::code`).
pub mod code {
    /// Fullscreen was asked for without a user gesture in the app.
    pub const USER_GESTURE_REQUIRED: &str = "USER_GESTURE_REQUIRED";
    /// The host does not offer the asked display mode.
    pub const DISPLAY_MODE_UNSUPPORTED: &str = "DISPLAY_MODE_UNSUPPORTED";
    /// The link is not http(s), or the host refused to open it.
    pub const LINK_REFUSED: &str = "LINK_REFUSED";
}

impl HostCapabilities {
    /// Whether the peer announced version 2 or later, so it may be sent v2 messages.
    pub fn speaks_v2(&self) -> bool {
        self.version >= PROTOCOL_VERSION
    }
}

/// The payload of `GET_CONTEXT_<itemId>`: Graasp's `{key, origin}`, plus what a v2 app announces
/// (Graasp hosts ignore the extra field; Graasp apps never send it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextRequest {
    /// The app key as configured in the app.
    pub key: String,
    /// `window.location.origin` of the app.
    pub origin: String,
    /// The app's protocol version and features; absent for v1 apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appframe: Option<HostCapabilities>,
}

/// How the host shows the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DisplayMode {
    /// In the page's flow.
    #[default]
    Inline,
    /// Over the whole viewport.
    Fullscreen,
}

impl DisplayMode {
    /// The wire name (`inline`, `fullscreen`).
    pub fn as_str(&self) -> &'static str {
        match self {
            DisplayMode::Inline => "inline",
            DisplayMode::Fullscreen => "fullscreen",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inline" => Some(DisplayMode::Inline),
            "fullscreen" => Some(DisplayMode::Fullscreen),
            _ => None,
        }
    }
}

/// Light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ThemeMode {
    /// Light background.
    #[default]
    Light,
    /// Dark background.
    Dark,
}

impl ThemeMode {
    /// The wire name (`light`, `dark`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ThemeMode::Light => "light",
            ThemeMode::Dark => "dark",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "light" => Some(ThemeMode::Light),
            "dark" => Some(ThemeMode::Dark),
            _ => None,
        }
    }
}

/// The host's theme: its mode and CSS custom properties (`"--accent": "#0a6"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Theme {
    /// Light or dark.
    pub mode: ThemeMode,
    /// Custom properties by name (with their `--`), in name order on the wire.
    #[serde(default, deserialize_with = "null_default")]
    pub vars: BTreeMap<String, String>,
}

impl Theme {
    /// A theme of `mode` with the custom properties `vars` (`("--af-bg", "#fff")`, ...).
    pub fn with_vars(mode: ThemeMode, vars: &[(&str, &str)]) -> Theme {
        Theme {
            mode,
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
}

/// The frame's container as the host lays it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Width in CSS px.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "px_opt"
    )]
    pub width: Option<f64>,
    /// Largest height in CSS px the host will give.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "px_opt"
    )]
    pub max_height: Option<f64>,
    /// Inline or fullscreen.
    #[serde(default, deserialize_with = "null_default")]
    pub display_mode: DisplayMode,
}

/// A field that may be missing or `null` reads as its default, as the SDK's readers read it.
fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Whole pixels go out as integers, as a JS host's `JSON.stringify` writes them.
fn px_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => s.serialize_i64(*x as i64),
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

/// The payload of `CONTEXT_CHANGED_<itemId>`: only the fields that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContextChange {
    /// New UI language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// New theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    /// New permission (as in the context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<Permission>,
    /// New view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// New container layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
}

/// `{reason}`: the payload of `TEARDOWN_<itemId>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TeardownPayload {
    /// Why the host removes the app (free text, e.g. `navigation`).
    #[serde(default, deserialize_with = "null_default")]
    pub reason: String,
}

/// `{mode}`: the payload of `REQUEST_DISPLAY_MODE_<itemId>` and its `_SUCCESS_` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModePayload {
    /// The asked (or granted) mode.
    pub mode: DisplayMode,
}

/// `{url}`: the payload of `OPEN_LINK_<itemId>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlPayload {
    /// The link to open.
    pub url: String,
}
