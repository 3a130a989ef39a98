//! `appframe.toml`: the server settings plus the registry (publishers, apps, members, items,
//! memberships, API keys) that is upserted into the store at every start.

use crate::quota::Limits;
use appframe_protocol::Permission;
use serde::{Deserialize, Serialize};
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};
use uuid::Uuid;

/// The built-in demo configuration (fixed ids shared by the examples, host and tests).
pub const DEMO_TOML: &str = include_str!("../demo.toml");

/// A configuration that cannot be read, parsed or trusted.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or shape error, with its position (1-based).
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// TOML error without a position.
    #[error("{0}")]
    ParseNoPos(String),
    /// The values parse but are inconsistent (unknown references, bad origins, duplicates...).
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// An environment variable has a value of the wrong type.
    #[error("environment variable {name}: {message}")]
    Env {
        /// Variable name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Server settings.
    pub server: ServerConfig,
    /// Publishers: who may serve apps, from which origins.
    #[serde(default)]
    pub publishers: Vec<PublisherConfig>,
    /// Registered apps.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// Members (and guests).
    #[serde(default)]
    pub members: Vec<MemberConfig>,
    /// App items (instances of apps).
    #[serde(default)]
    pub items: Vec<ItemConfig>,
    /// Who may do what on which item.
    #[serde(default)]
    pub memberships: Vec<MembershipConfig>,
    /// Keys of the integration API.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
}

fn default_token_ttl() -> u64 {
    900
}
fn default_token_mint_burst() -> u32 {
    10
}
fn default_token_mint_per_minute() -> u32 {
    10
}
fn default_max_body() -> usize {
    1024 * 1024
}
fn default_max_file() -> usize {
    50 * 1024 * 1024
}
fn default_ws_heartbeat() -> u64 {
    25
}
fn default_ws_idle() -> u64 {
    60
}
fn default_ws_close() -> u64 {
    5
}
fn default_ws_queue() -> usize {
    256
}
fn default_ws_subscriptions() -> usize {
    64
}
fn default_ws_max_message() -> usize {
    64 * 1024
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("./data")
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address, e.g. `127.0.0.1:8080`.
    pub addr: String,
    /// Public base URL; `apiHost` = this + `/api`.
    pub public_url: String,
    /// SQLite file and uploaded files live here.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Development mode: enables `POST /api/login` and `GET /api/members`.
    #[serde(default)]
    pub dev: bool,
    /// Dev login lets anyone log in as anyone, so dev mode only starts on a loopback address
    /// unless this says the operator means it.
    #[serde(default)]
    pub allow_dev_login_on_network: bool,
    /// `postgres://...` to use Postgres instead of the SQLite file.
    #[serde(default)]
    pub database_url: Option<String>,
    /// Secret for app tokens; generated and persisted in `data_dir` when absent.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// App token lifetime in seconds.
    #[serde(default = "default_token_ttl")]
    pub token_ttl_secs: u64,
    /// App tokens one host session may mint for one item in a burst (and one API key through
    /// `POST /api/admin/app-tokens`); past it 429 `AFERR021` with `Retry-After`. Counted per
    /// server instance.
    #[serde(default = "default_token_mint_burst")]
    pub token_mint_burst: u32,
    /// How many of those tokens come back per minute (a token bucket).
    #[serde(default = "default_token_mint_per_minute")]
    pub token_mint_per_minute: u32,
    /// Maximum JSON body size in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Maximum uploaded file size in bytes.
    #[serde(default = "default_max_file")]
    pub max_file_bytes: usize,
    /// Static host page served at `/` (SPA fallback to `index.html`).
    #[serde(default)]
    pub host_dir: Option<PathBuf>,
    /// Static app bundles, served by the binary on `apps_addr` (a second origin).
    #[serde(default)]
    pub apps_dir: Option<PathBuf>,
    /// Listen address for `apps_dir`.
    #[serde(default)]
    pub apps_addr: Option<String>,
    /// `/api/ws`: seconds between the server's heartbeat (an `info` message and a ping).
    #[serde(default = "default_ws_heartbeat")]
    pub ws_heartbeat_secs: u64,
    /// `/api/ws`: a connection that sent nothing (not even a pong) for this long is closed.
    #[serde(default = "default_ws_idle")]
    pub ws_idle_secs: u64,
    /// `/api/ws`: how long the server tries to deliver its `closing` message and close frame to
    /// a peer it drops (a slow consumer may take a while to read them), before it hangs up.
    #[serde(default = "default_ws_close")]
    pub ws_close_secs: u64,
    /// `/api/ws`: messages queued for one connection before it is dropped as a slow consumer.
    #[serde(default = "default_ws_queue")]
    pub ws_queue_len: usize,
    /// `/api/ws`: subscriptions one connection may hold.
    #[serde(default = "default_ws_subscriptions")]
    pub ws_max_subscriptions: usize,
    /// `/api/ws`: largest message (and frame) a client may send, in bytes.
    #[serde(default = "default_ws_max_message")]
    pub ws_max_message_bytes: usize,
    /// App-data rows one item may hold (at most the rows of one unpaged list).
    #[serde(default = "crate::quota::defaults::item_data_rows")]
    pub item_data_rows: u64,
    /// Bytes of app data (`data` as JSON) one item may hold.
    #[serde(default = "crate::quota::defaults::item_data_bytes")]
    pub item_data_bytes: u64,
    /// App-data rows one member may create in one item.
    #[serde(default = "crate::quota::defaults::member_data_rows")]
    pub member_data_rows: u64,
    /// Bytes of app data one member may create in one item.
    #[serde(default = "crate::quota::defaults::member_data_bytes")]
    pub member_data_bytes: u64,
    /// Files (app data and settings) one item may hold.
    #[serde(default = "crate::quota::defaults::item_files")]
    pub item_files: u64,
    /// Bytes of files one item may hold.
    #[serde(default = "crate::quota::defaults::item_file_bytes")]
    pub item_file_bytes: u64,
    /// Files one member may upload to one item.
    #[serde(default = "crate::quota::defaults::member_files")]
    pub member_files: u64,
    /// Bytes of files one member may upload to one item.
    #[serde(default = "crate::quota::defaults::member_file_bytes")]
    pub member_file_bytes: u64,
    /// App actions one item may hold (at most the rows of one unpaged list).
    #[serde(default = "crate::quota::defaults::item_action_rows")]
    pub item_action_rows: u64,
    /// Bytes of app-action data one item may hold.
    #[serde(default = "crate::quota::defaults::item_action_bytes")]
    pub item_action_bytes: u64,
    /// App actions one member may post in one item.
    #[serde(default = "crate::quota::defaults::member_action_rows")]
    pub member_action_rows: u64,
    /// Bytes of app-action data one member may post in one item.
    #[serde(default = "crate::quota::defaults::member_action_bytes")]
    pub member_action_bytes: u64,
    /// Memory the app-data list cache may use, in bytes.
    #[serde(default = "crate::quota::defaults::data_cache_bytes")]
    pub data_cache_bytes: u64,
    /// Origins of host pages that may frame the host page and the app bundles served on
    /// `apps_addr` (CSP `frame-ancestors`, beside the host page's own origin). Default: none.
    #[serde(default)]
    pub frame_ancestors: Vec<String>,
}

/// Every `[server]` key, each overridable by `APPFRAME_<KEY>` (a test checks the list is whole;
/// the config property tests mutate these keys).
pub const SERVER_KEYS: &[&str] = &[
    "addr",
    "public_url",
    "data_dir",
    "dev",
    "allow_dev_login_on_network",
    "database_url",
    "jwt_secret",
    "token_ttl_secs",
    "token_mint_burst",
    "token_mint_per_minute",
    "max_body_bytes",
    "max_file_bytes",
    "host_dir",
    "apps_dir",
    "apps_addr",
    "ws_heartbeat_secs",
    "ws_idle_secs",
    "ws_close_secs",
    "ws_queue_len",
    "ws_max_subscriptions",
    "ws_max_message_bytes",
    "item_data_rows",
    "item_data_bytes",
    "member_data_rows",
    "member_data_bytes",
    "item_files",
    "item_file_bytes",
    "member_files",
    "member_file_bytes",
    "item_action_rows",
    "item_action_bytes",
    "member_action_rows",
    "member_action_bytes",
    "data_cache_bytes",
    "frame_ancestors",
];

/// `[[publishers]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherConfig {
    /// Unique name.
    pub name: String,
    /// Origins (`scheme://host[:port]`) the publisher's apps are served from.
    pub origins: Vec<String>,
}

/// `[[apps]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Unique name.
    pub name: String,
    /// The app key (sent by the app with its origin to get a token).
    pub key: Uuid,
    /// Where the app is served; may carry a query string.
    pub url: String,
    /// Publisher name.
    pub publisher: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Thumbnail URL.
    #[serde(default)]
    pub thumbnail: Option<String>,
}

/// Kind of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A regular member.
    #[default]
    Member,
    /// A guest (e.g. an anonymous viewer given an account by the host).
    Guest,
}

impl AccountKind {
    /// Stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Member => "member",
            AccountKind::Guest => "guest",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(AccountKind::Member),
            "guest" => Some(AccountKind::Guest),
            _ => None,
        }
    }
}

/// `[[members]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `member` (default) or `guest`.
    #[serde(default)]
    pub kind: AccountKind,
}

/// `[[items]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemConfig {
    /// Item id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// App name.
    pub app: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Language, default `en`.
    #[serde(default)]
    pub lang: Option<String>,
    /// Item settings (a table).
    #[serde(default)]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `[[memberships]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipConfig {
    /// Member id.
    pub member: Uuid,
    /// Item id.
    pub item: Uuid,
    /// `read`, `write` or `admin`.
    pub permission: Permission,
}

/// Scope of an integration API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET routes.
    Read,
    /// Every other method.
    Write,
}

/// `[[api_keys]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Unique name (for logs).
    pub name: String,
    /// The secret.
    pub key: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

/// Converts a byte offset into a 1-based (line, column).
fn line_col(s: &str, offset: usize) -> (usize, usize) {
    let before = &s[..offset.min(s.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The dotted key (`server.token_ttl_secs`, `apps.url`) of the line that holds `offset`: a
/// `key = value` line under the last table header above it, or a table header itself.
fn key_at(s: &str, offset: usize) -> Option<String> {
    let before = s.get(..offset.min(s.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = s.get(line_start..)?.lines().next()?;
    let header = |h: &str| {
        h.trim_start_matches('[')
            .split(']')
            .next()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    if line.trim_start().starts_with('[') {
        return header(line.trim());
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.starts_with('#') {
        return None;
    }
    let table = s
        .get(..line_start)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(header);
    match (table, key) {
        (Some(t), "") => Some(t),
        (Some(t), k) => Some(format!("{t}.{k}")),
        (None, "") => None,
        (None, k) => Some(k.to_owned()),
    }
}

/// Whether a listen address (`host:port`) only accepts connections from this machine: a
/// loopback IP or `localhost`. Anything else (`0.0.0.0`, a LAN address, a host name) may be
/// reachable from the network.
pub fn is_loopback_addr(addr: &str) -> bool {
    if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
        return a.ip().is_loopback();
    }
    addr.rsplit_once(':')
        .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

/// Whether `s` is a bare origin: `http(s)://host[:port]`, no path, query or trailing slash.
pub fn is_origin(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && rest
            .rsplit_once(':')
            .is_none_or(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
}

/// An origin that can stand in a CSP source list as it is: [`is_origin`] and only host
/// characters, so it cannot end the directive or add a source.
pub fn is_csp_origin(s: &str) -> bool {
    is_origin(s)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:/[]".contains(&b))
}

/// The origin part of a URL (`http://h:p/x?y` → `http://h:p`).
pub fn origin_of(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let o = format!("{}{}", &url[..scheme_end], &rest[..end]);
    is_origin(&o).then_some(o)
}

impl Config {
    /// Parses a TOML string; errors carry the line and column.
    pub fn from_toml_str(s: &str) -> Result<Config, ConfigError> {
        toml::from_str::<Config>(s).map_err(|e| match e.span() {
            Some(span) => {
                let (line, column) = line_col(s, span.start);
                let mut message = e.message().to_owned();
                // toml says nothing for some characters (a control character in a comment).
                if message.trim().is_empty() {
                    message = match s.get(span.start..).and_then(|r| r.chars().next()) {
                        Some(c) => format!("unexpected character {c:?}"),
                        None => "unexpected end of the file".to_owned(),
                    };
                }
                // A value of the wrong type is reported as "invalid type: ..., expected u64":
                // say which key, or the operator has to count columns.
                if let Some(key) = key_at(s, span.start) {
                    message.push_str(&format!(" (at `{key}`)"));
                }
                ConfigError::Parse {
                    line,
                    column,
                    message,
                }
            }
            None => ConfigError::ParseNoPos(e.message().to_owned()),
        })
    }

    /// Reads the file, or the built-in demo config when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Config::from_toml_str(DEMO_TOML),
            Some(p) => {
                let s = std::fs::read_to_string(p).map_err(|source| ConfigError::Io {
                    path: p.to_owned(),
                    source,
                })?;
                Config::from_toml_str(&s)
            }
        }
    }

    /// The built-in demo config.
    pub fn demo() -> Config {
        // The demo file is part of the binary and covered by a test; fall back to a minimal
        // config rather than panic if it were ever broken.
        Config::from_toml_str(DEMO_TOML).unwrap_or_else(|_| Config {
            server: ServerConfig {
                addr: "127.0.0.1:8080".into(),
                public_url: "http://127.0.0.1:8080".into(),
                data_dir: default_data_dir(),
                dev: true,
                allow_dev_login_on_network: false,
                database_url: None,
                jwt_secret: None,
                token_ttl_secs: default_token_ttl(),
                token_mint_burst: default_token_mint_burst(),
                token_mint_per_minute: default_token_mint_per_minute(),
                max_body_bytes: default_max_body(),
                max_file_bytes: default_max_file(),
                host_dir: None,
                apps_dir: None,
                apps_addr: None,
                ws_heartbeat_secs: default_ws_heartbeat(),
                ws_idle_secs: default_ws_idle(),
                ws_close_secs: default_ws_close(),
                ws_queue_len: default_ws_queue(),
                ws_max_subscriptions: default_ws_subscriptions(),
                ws_max_message_bytes: default_ws_max_message(),
                item_data_rows: crate::quota::defaults::item_data_rows(),
                item_data_bytes: crate::quota::defaults::item_data_bytes(),
                member_data_rows: crate::quota::defaults::member_data_rows(),
                member_data_bytes: crate::quota::defaults::member_data_bytes(),
                item_files: crate::quota::defaults::item_files(),
                item_file_bytes: crate::quota::defaults::item_file_bytes(),
                member_files: crate::quota::defaults::member_files(),
                member_file_bytes: crate::quota::defaults::member_file_bytes(),
                item_action_rows: crate::quota::defaults::item_action_rows(),
                item_action_bytes: crate::quota::defaults::item_action_bytes(),
                member_action_rows: crate::quota::defaults::member_action_rows(),
                member_action_bytes: crate::quota::defaults::member_action_bytes(),
                data_cache_bytes: crate::quota::defaults::data_cache_bytes(),
                frame_ancestors: vec![],
            },
            publishers: vec![],
            apps: vec![],
            members: vec![],
            items: vec![],
            memberships: vec![],
            api_keys: vec![],
        })
    }

    /// Overlays environment variables: every `[server]` key `k` from `APPFRAME_<K>` (e.g.
    /// `APPFRAME_ITEM_DATA_ROWS=500`, `APPFRAME_FRAME_ANCESTORS='["https://lms.example.org"]'`),
    /// and `database_url` also from `DATABASE_URL`. A value is read as TOML (numbers, booleans,
    /// arrays), else as a string; booleans also take 1/0, yes/no, on/off. A value the key
    /// cannot take is an error naming the variable.
    pub fn try_apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env_from(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Config::try_apply_env`] with the variables read by `var` (tests pass a map).
    pub fn apply_env_from(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let env_error = |name: &str, message: String| ConfigError::Env {
            name: name.to_owned(),
            message,
        };
        let mut table = toml::Table::try_from(&self.server)
            .map_err(|e| env_error("APPFRAME_*", e.to_string()))?;
        for key in SERVER_KEYS {
            let name = format!("APPFRAME_{}", key.to_ascii_uppercase());
            let found = var(&name).map(|v| (name.clone(), v)).or_else(|| {
                (*key == "database_url")
                    .then(|| var("DATABASE_URL").map(|v| ("DATABASE_URL".to_owned(), v)))
                    .flatten()
            });
            let Some((name, raw)) = found else {
                continue;
            };
            // Each reading the key may take, most specific first; the first the key accepts wins.
            let mut readings = Vec::new();
            if let Ok(t) = format!("v = {raw}").parse::<toml::Table>() {
                readings.extend(t.get("v").cloned());
            }
            match raw.as_str() {
                "1" | "yes" | "on" => readings.push(toml::Value::Boolean(true)),
                "0" | "no" | "off" => readings.push(toml::Value::Boolean(false)),
                _ => {}
            }
            readings.push(toml::Value::String(raw.clone()));
            let mut first_error = None;
            let mut taken = false;
            for value in readings {
                let mut candidate = table.clone();
                candidate.insert((*key).to_owned(), value);
                match candidate.clone().try_into::<ServerConfig>() {
                    Ok(_) => {
                        table = candidate;
                        taken = true;
                        break;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e.message().to_owned());
                    }
                }
            }
            if !taken {
                return Err(env_error(
                    &name,
                    format!(
                        "cannot use {raw:?} for server.{key}: {}",
                        first_error.unwrap_or_default()
                    ),
                ));
            }
        }
        self.server = table
            .try_into::<ServerConfig>()
            .map_err(|e| env_error("APPFRAME_*", e.to_string()))?;
        Ok(())
    }

    /// `apiHost` as sent to apps: `public_url` + `/api`, no trailing slash.
    pub fn api_host(&self) -> String {
        format!("{}/api", self.server.public_url.trim_end_matches('/'))
    }

    /// Whether the public URL is https (the session cookie is then Secure and `__Host-`).
    pub fn https(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    /// The host session cookie's name for this deployment.
    pub fn session_cookie_name(&self) -> &'static str {
        session_cookie_name(self.https())
    }

    /// What start-up says whenever dev login is on.
    pub fn dev_login_warning(&self) -> String {
        format!(
            "DEV MODE: dev login is on (server.dev = true): anyone who reaches {} can log in as \
             any member, without a password. Never use it with real users.",
            self.server.addr
        )
    }

    /// Checks references and values that TOML types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let s = &self.server;
        if s.dev && !s.allow_dev_login_on_network && !is_loopback_addr(&s.addr) {
            return bad(format!(
                "server.dev = true enables dev login (anyone logs in as anyone), and server.addr \
                 {:?} is not a loopback address. Listen on 127.0.0.1, [::1] or localhost, turn dev \
                 off, or set server.allow_dev_login_on_network = true (environment: \
                 APPFRAME_ALLOW_DEV_LOGIN_ON_NETWORK=true) if that is really what you want",
                s.addr
            ));
        }
        if origin_of(&s.public_url).is_none() {
            return bad(format!(
                "server.public_url {:?} is not an absolute http(s) URL",
                s.public_url
            ));
        }
        if s.token_ttl_secs == 0 {
            return bad("server.token_ttl_secs must be at least 1".into());
        }
        if s.token_mint_burst == 0 || s.token_mint_per_minute == 0 {
            return bad(
                "server.token_mint_burst and server.token_mint_per_minute must be at least 1"
                    .into(),
            );
        }
        if s.ws_heartbeat_secs == 0 || s.ws_idle_secs <= s.ws_heartbeat_secs {
            return bad(
                "server.ws_heartbeat_secs must be at least 1 and below server.ws_idle_secs".into(),
            );
        }
        if s.ws_close_secs == 0 {
            return bad("server.ws_close_secs must be at least 1".into());
        }
        if s.ws_queue_len == 0 || s.ws_max_subscriptions == 0 || s.ws_max_message_bytes < 1024 {
            return bad("server.ws_queue_len and ws_max_subscriptions must be positive, ws_max_message_bytes at least 1024".into());
        }
        if s.max_body_bytes == 0 || s.max_file_bytes == 0 {
            return bad("server.max_body_bytes and max_file_bytes must be positive".into());
        }
        validate_quotas(s)?;
        if let Some(o) = s.frame_ancestors.iter().find(|o| !is_csp_origin(o)) {
            return bad(format!(
                "server.frame_ancestors: {o:?} is not an origin such as https://lms.example.org"
            ));
        }
        if s.apps_dir.is_some() != s.apps_addr.is_some() {
            return bad("server.apps_dir and server.apps_addr go together".into());
        }
        if let Some(secret) = &s.jwt_secret
            && secret.len() < 32
        {
            return bad("server.jwt_secret must be at least 32 characters".into());
        }
        let mut names = HashSet::new();
        for p in &self.publishers {
            if p.name.trim().is_empty() || !names.insert(p.name.as_str()) {
                return bad(format!(
                    "publisher name {:?} is empty or duplicated",
                    p.name
                ));
            }
            for o in &p.origins {
                if !is_origin(o) {
                    return bad(format!(
                        "publisher {:?}: origin {o:?} must be scheme://host[:port] with no path or trailing slash",
                        p.name
                    ));
                }
            }
        }
        let mut app_names = HashSet::new();
        let mut keys = HashSet::new();
        for a in &self.apps {
            if a.name.trim().is_empty() || !app_names.insert(a.name.as_str()) {
                return bad(format!("app name {:?} is empty or duplicated", a.name));
            }
            if !keys.insert(a.key) {
                return bad(format!("app {:?}: key {} is duplicated", a.name, a.key));
            }
            if !names.contains(a.publisher.as_str()) {
                return bad(format!(
                    "app {:?}: unknown publisher {:?}",
                    a.name, a.publisher
                ));
            }
            if origin_of(&a.url).is_none() {
                return bad(format!(
                    "app {:?}: url {:?} is not an absolute http(s) URL",
                    a.name, a.url
                ));
            }
        }
        let mut members = HashSet::new();
        for m in &self.members {
            if m.name.trim().is_empty() || !members.insert(m.id) {
                return bad(format!("member {} is duplicated or has no name", m.id));
            }
        }
        let mut items = HashSet::new();
        for i in &self.items {
            if i.name.trim().is_empty() || !items.insert(i.id) {
                return bad(format!("item {} is duplicated or has no name", i.id));
            }
            if !app_names.contains(i.app.as_str()) {
                return bad(format!("item {}: unknown app {:?}", i.id, i.app));
            }
        }
        let mut pairs = HashSet::new();
        for m in &self.memberships {
            if !members.contains(&m.member) {
                return bad(format!("membership: unknown member {}", m.member));
            }
            if !items.contains(&m.item) {
                return bad(format!("membership: unknown item {}", m.item));
            }
            if !pairs.insert((m.member, m.item)) {
                return bad(format!(
                    "membership of {} on {} is duplicated",
                    m.member, m.item
                ));
            }
        }
        let mut key_names = HashSet::new();
        let mut secrets = HashSet::new();
        for k in &self.api_keys {
            if !key_names.insert(k.name.as_str()) || !secrets.insert(k.key.as_str()) {
                return bad(format!("api key {:?} is duplicated", k.name));
            }
            if k.key.len() < 16 {
                return bad(format!(
                    "api key {:?} must be at least 16 characters",
                    k.name
                ));
            }
        }
        Ok(())
    }
}

/// Name of the host session cookie under http.
pub const SESSION_COOKIE: &str = "appframe_session";
/// Its name under https. Browsers accept a `__Host-` cookie only when it is Secure, has
/// `Path=/` and no `Domain`, so a sibling subdomain or a plain-http page cannot set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-appframe_session";

/// The session cookie's name: [`SECURE_SESSION_COOKIE`] when `secure` (the public URL is
/// https), else [`SESSION_COOKIE`]. The one name set is the only one read.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

impl ServerConfig {
    /// The quotas as the store checks them (signed: SQL sums are signed).
    pub fn limits(&self) -> Limits {
        let s = self;
        Limits {
            item_data_rows: signed(s.item_data_rows),
            item_data_bytes: signed(s.item_data_bytes),
            member_data_rows: signed(s.member_data_rows),
            member_data_bytes: signed(s.member_data_bytes),
            item_files: signed(s.item_files),
            item_file_bytes: signed(s.item_file_bytes),
            member_files: signed(s.member_files),
            member_file_bytes: signed(s.member_file_bytes),
            item_action_rows: signed(s.item_action_rows),
            item_action_bytes: signed(s.item_action_bytes),
            member_action_rows: signed(s.member_action_rows),
            member_action_bytes: signed(s.member_action_bytes),
        }
    }
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Checks the quota keys of `[server]`: every quota positive, and an item never holding more
/// rows than one unpaged list returns (the Graasp client cannot page, so an unpaged GET must
/// always return everything).
fn validate_quotas(s: &ServerConfig) -> Result<(), ConfigError> {
    let all = [
        ("item_data_rows", s.item_data_rows),
        ("item_data_bytes", s.item_data_bytes),
        ("member_data_rows", s.member_data_rows),
        ("member_data_bytes", s.member_data_bytes),
        ("item_files", s.item_files),
        ("item_file_bytes", s.item_file_bytes),
        ("member_files", s.member_files),
        ("member_file_bytes", s.member_file_bytes),
        ("item_action_rows", s.item_action_rows),
        ("item_action_bytes", s.item_action_bytes),
        ("member_action_rows", s.member_action_rows),
        ("member_action_bytes", s.member_action_bytes),
    ];
    if let Some((name, _)) = all.iter().find(|(_, v)| *v == 0) {
        return Err(ConfigError::Invalid(format!(
            "server.{name} must be at least 1"
        )));
    }
    let unpaged = u64::try_from(crate::quota::MAX_UNPAGED).unwrap_or(u64::MAX);
    for (name, rows) in [
        ("item_data_rows", s.item_data_rows),
        ("item_action_rows", s.item_action_rows),
    ] {
        if rows > unpaged {
            return Err(ConfigError::Invalid(format!(
                "server.{name} ({rows}) must not exceed {unpaged}, the rows one unpaged list \
                 returns: Graasp clients cannot page, so an item must always fit in one list"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn token_mint_limits_default_to_ten_a_minute_and_must_be_positive() {
        let c = Config::from_toml_str(DEMO_TOML).unwrap();
        assert_eq!(
            (c.server.token_mint_burst, c.server.token_mint_per_minute),
            (10, 10)
        );
        for zero in [
            |c: &mut Config| c.server.token_mint_burst = 0,
            |c: &mut Config| c.server.token_mint_per_minute = 0,
        ] {
            let mut bad = c.clone();
            zero(&mut bad);
            assert!(
                matches!(bad.validate(), Err(ConfigError::Invalid(m)) if m.contains("token_mint"))
            );
        }
    }

    #[test]
    fn the_demo_config_parses_and_validates() {
        let c = Config::from_toml_str(DEMO_TOML).unwrap();
        c.validate().unwrap();
        assert_eq!(c.apps.len(), 3);
        assert_eq!(c.server.token_ttl_secs, 900);
        assert_eq!(c.server.max_body_bytes, 1024 * 1024);
        assert_eq!(c.api_host(), "http://127.0.0.1:8080/api");
        assert_eq!(Config::demo(), c);
    }

    /// Found by `fuzz_config_text`: toml gives no message for a control character in a
    /// comment, so the error said only where.
    #[test]
    fn a_control_character_in_a_comment_is_named() {
        let e = Config::from_toml_str("# ok\n#\0 comment\n").unwrap_err();
        assert!(matches!(&e, ConfigError::Parse { line: 2, .. }), "{e:?}");
        assert!(e.to_string().contains("unexpected character '\\0'"), "{e}");
    }

    /// Found by `fuzz_config_mutated_key_is_named`: a value of the wrong type named only its
    /// position and the expected type, not the key.
    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let text = DEMO_TOML.replace("dev = true", "dev = true\ntoken_ttl_secs = \"soon\"");
        let e = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("`server.token_ttl_secs`"), "{e}");
        let text = DEMO_TOML.replace("permission = \"read\"", "permission = 3");
        let e = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("`memberships.permission`"), "{e}");
    }

    #[test]
    fn a_syntax_error_reports_its_line_and_column() {
        let s = "[server]\naddr = \"x\"\npublic_url = = 3\n";
        match Config::from_toml_str(s) {
            Err(ConfigError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_reports_its_line() {
        let s = "[server]\naddr = \"x\"\npublic_url = \"http://a\"\n\n[[apps]]\nname = \"a\"\nkey = \"1d85bd0c-7c60-49cd-9775-9898fcb16668\"\nurl = \"http://a/\"\npublisher = \"p\"\ncolour = 1\n";
        let e = Config::from_toml_str(s).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("colour"), "{text}");
        match e {
            ConfigError::Parse { line, .. } => assert!((5..=10).contains(&line), "{line}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validation_rejects_unknown_references_and_bad_origins() {
        let mut c = Config::demo();
        c.items[0].app = "nope".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("unknown app")
        );

        let mut c = Config::demo();
        c.publishers[0].origins.push("http://x:8081/".into());
        assert!(c.validate().unwrap_err().to_string().contains("origin"));

        let mut c = Config::demo();
        c.apps[1].publisher = "ghost".into();
        assert!(c.validate().is_err());

        let mut c = Config::demo();
        let dup = c.members[0].clone();
        c.members.push(dup);
        assert!(c.validate().is_err());

        let mut c = Config::demo();
        c.memberships[0].item = Uuid::nil();
        assert!(c.validate().is_err());
    }

    #[test]
    fn only_loopback_listen_addresses_count_as_loopback() {
        for a in [
            "127.0.0.1:8080",
            "127.0.0.2:1",
            "[::1]:8080",
            "localhost:8080",
        ] {
            assert!(is_loopback_addr(a), "{a}");
        }
        for a in [
            "0.0.0.0:8080",
            "[::]:8080",
            "192.168.1.2:80",
            "example.org:80",
            "8080",
            "",
        ] {
            assert!(!is_loopback_addr(a), "{a}");
        }
    }

    #[test]
    fn dev_mode_on_a_network_address_is_refused_unless_explicitly_allowed() {
        let mut c = Config::demo();
        c.server.addr = "0.0.0.0:8080".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("allow_dev_login_on_network"), "{e}");
        c.server.allow_dev_login_on_network = true;
        c.validate().unwrap();
        c.server.allow_dev_login_on_network = false;
        c.server.dev = false;
        c.validate().unwrap();
    }

    #[test]
    fn origins_are_recognised_exactly() {
        assert!(is_origin("http://127.0.0.1:8081"));
        assert!(is_origin("https://apps.example.org"));
        assert!(!is_origin("http://127.0.0.1:8081/"));
        assert!(!is_origin("ftp://x"));
        assert!(!is_origin("http://x:port"));
        assert!(is_csp_origin("https://lms.example.org:8443"));
        assert!(is_csp_origin("http://[::1]:8080"));
        assert!(!is_csp_origin("http://a;\tscript-src\t*:1"));
        assert!(!is_csp_origin("http://a'b"));
        assert_eq!(
            origin_of("http://127.0.0.1:8081/counter/?a=b").as_deref(),
            Some("http://127.0.0.1:8081")
        );
    }
    #[test]
    fn a_config_whose_item_row_quota_exceeds_one_unpaged_list_is_refused_at_load() {
        let mut c = Config::demo();
        c.validate().unwrap();
        c.server.item_data_rows = u64::try_from(crate::quota::MAX_UNPAGED).unwrap() + 1;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("item_data_rows"), "{e}");
        c.server.item_data_rows = 10;
        c.server.item_action_rows = u64::try_from(crate::quota::MAX_UNPAGED).unwrap() + 1;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("item_action_rows"), "{e}");
        c.server.item_action_rows = 10;
        c.server.member_file_bytes = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("member_file_bytes")
        );
    }

    #[test]
    fn every_server_key_can_be_set_from_the_environment() {
        let mut c = Config::demo();
        c.server.database_url = Some("postgres://x".into());
        c.server.jwt_secret = Some("s".into());
        c.server.host_dir = Some("h".into());
        c.server.apps_dir = Some("a".into());
        c.server.apps_addr = Some("127.0.0.1:1".into());
        let table = toml::Table::try_from(&c.server).unwrap();
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut listed = SERVER_KEYS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed, "SERVER_KEYS must name every [server] key");
    }

    #[test]
    fn environment_values_are_read_as_the_key_takes_them() {
        let env: std::collections::HashMap<&str, &str> = [
            ("APPFRAME_ITEM_DATA_ROWS", "500"),
            ("APPFRAME_DEV", "off"),
            ("APPFRAME_ALLOW_DEV_LOGIN_ON_NETWORK", "1"),
            ("APPFRAME_JWT_SECRET", "12345"),
            ("APPFRAME_DATA_DIR", "/srv/appframe"),
            ("APPFRAME_FRAME_ANCESTORS", r#"["https://lms.example.org"]"#),
            ("DATABASE_URL", "postgres://db/appframe"),
        ]
        .into_iter()
        .collect();
        let mut c = Config::demo();
        c.apply_env_from(|n| env.get(n).map(|v| (*v).to_owned()))
            .unwrap();
        let s = &c.server;
        assert_eq!(s.item_data_rows, 500);
        assert!(!s.dev);
        assert!(s.allow_dev_login_on_network);
        assert_eq!(s.jwt_secret.as_deref(), Some("12345"));
        assert_eq!(s.data_dir, PathBuf::from("/srv/appframe"));
        assert_eq!(
            s.frame_ancestors,
            vec!["https://lms.example.org".to_owned()]
        );
        assert_eq!(s.database_url.as_deref(), Some("postgres://db/appframe"));
        // The APPFRAME_ name wins over the bare one.
        let mut c = Config::demo();
        c.apply_env_from(|n| match n {
            "APPFRAME_DATABASE_URL" => Some("postgres://a".into()),
            "DATABASE_URL" => Some("postgres://b".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.server.database_url.as_deref(), Some("postgres://a"));
    }

    #[test]
    fn an_environment_value_the_key_cannot_take_names_the_variable() {
        let mut c = Config::demo();
        let before = c.clone();
        let e = c
            .apply_env_from(|n| (n == "APPFRAME_TOKEN_TTL_SECS").then(|| "soon".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("APPFRAME_TOKEN_TTL_SECS"), "{e}");
        assert!(e.contains("server.token_ttl_secs"), "{e}");
        assert_eq!(c, before, "nothing is applied from a failed overlay");
    }
}
