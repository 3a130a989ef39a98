//! `LocalContext`: what the host tells an app about who is looking, where and how.

use crate::ids::{AccountId, ItemId};
use serde::{Deserialize, Serialize};

/// What an account may do on an item. Ordered: `Read < Write < Admin`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// See the item and its data; post own data and actions.
    #[default]
    Read,
    /// For apps, the same as read (Graasp documents them as equal; see `rules`).
    Write,
    /// Everything, including settings and other members' data.
    Admin,
}

impl Permission {
    /// The wire name (`read`, `write`, `admin`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Admin => "admin",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Permission::Read),
            "write" => Some(Permission::Write),
            "admin" => Some(Permission::Admin),
            _ => None,
        }
    }
}

/// The view the app is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// Editing view: the member's real permission.
    Builder,
    /// Viewing: always `read` in the context.
    Player,
    /// The public library.
    Library,
    /// Analytics dashboards.
    Analytics,
    /// Account pages.
    Account,
    /// Authentication pages.
    Auth,
    /// Home page.
    Home,
    /// Not embedded: the app runs against a mock backend.
    #[default]
    Standalone,
    /// Anything else, including the legacy `explorer`.
    #[serde(other)]
    Unknown,
}

/// Extensions a host supports, advertised in the context payload (Graasp hosts never send it,
/// so an app uses an extension only when this is present and names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HostCapabilities {
    /// Version of the appframe bridge protocol.
    pub version: u32,
    /// Extension names, e.g. `"failure"` (the host sends `*_FAILURE_*` messages).
    #[serde(default)]
    pub features: Vec<String>,
    /// The browser permissions the host granted the frame (`allow` and `sandbox`, from the
    /// app's manifest: `appframe_protocol::manifest`); `None` when the host does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
}

impl HostCapabilities {
    /// Whether the host advertises the given extension.
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// The payload of `GET_CONTEXT_SUCCESS_<itemId>`.
///
/// On the wire the account id is sent twice, as `accountId` and the legacy `memberId`; either is
/// accepted on input. Unknown fields are ignored: hosts may send more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "LocalContextWire", into = "LocalContextWire")]
pub struct LocalContext {
    /// Absolute base URL of the API, ending at `/api`, no trailing slash.
    pub api_host: String,
    /// The app item.
    pub item_id: ItemId,
    /// Who is looking; `None` for an anonymous viewer.
    pub account_id: Option<AccountId>,
    /// What the viewer may do (as the host presents it; the server enforces the real one).
    pub permission: Permission,
    /// The view.
    pub context: Context,
    /// UI language, default `en`.
    pub lang: String,
    /// Item settings (`isResizable`, ...).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The host is offline.
    pub offline: bool,
    /// Development mode.
    pub dev: bool,
    /// Mobile (React Native WebView) mode.
    pub mobile: bool,
    /// appframe extensions the host supports (absent for Graasp hosts).
    pub appframe: Option<HostCapabilities>,
}

impl LocalContext {
    /// A context with defaults (read, standalone, `en`) for the given API host and item.
    pub fn new(api_host: impl Into<String>, item_id: ItemId) -> Self {
        LocalContext {
            api_host: api_host.into(),
            item_id,
            account_id: None,
            permission: Permission::Read,
            context: Context::Standalone,
            lang: "en".into(),
            settings: Default::default(),
            offline: false,
            dev: false,
            mobile: false,
            appframe: None,
        }
    }

    /// True when the context says the app runs standalone.
    pub fn is_standalone(&self) -> bool {
        self.context == Context::Standalone
    }
}

fn default_lang() -> String {
    "en".into()
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocalContextWire {
    api_host: String,
    item_id: ItemId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member_id: Option<AccountId>,
    #[serde(default)]
    permission: Permission,
    #[serde(default)]
    context: Context,
    #[serde(default = "default_lang")]
    lang: String,
    #[serde(default)]
    settings: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    offline: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    mobile: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    appframe: Option<HostCapabilities>,
}

impl From<LocalContextWire> for LocalContext {
    fn from(w: LocalContextWire) -> Self {
        LocalContext {
            api_host: w.api_host,
            item_id: w.item_id,
            account_id: w.account_id.or(w.member_id),
            permission: w.permission,
            context: w.context,
            lang: w.lang,
            settings: w.settings,
            offline: w.offline,
            dev: w.dev,
            mobile: w.mobile,
            appframe: w.appframe,
        }
    }
}

impl From<LocalContext> for LocalContextWire {
    fn from(c: LocalContext) -> Self {
        LocalContextWire {
            api_host: c.api_host,
            item_id: c.item_id,
            account_id: c.account_id,
            member_id: c.account_id,
            permission: c.permission,
            context: c.context,
            lang: c.lang,
            settings: c.settings,
            offline: c.offline,
            dev: c.dev,
            mobile: c.mobile,
            appframe: c.appframe,
        }
    }
}
