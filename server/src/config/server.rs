//! `[server]`: the settings of one server process, their defaults, the quota keys and the
//! checks TOML types cannot express.

use super::{ConfigError, is_csp_origin, is_loopback_addr, origin_of};
use crate::quota::Limits;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
fn default_max_import() -> usize {
    64 * 1024 * 1024
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
    /// Where uploaded files live: absent for `data_dir/files` on the local disk, or
    /// `s3://bucket/prefix` for an S3-compatible bucket shared by every instance (endpoint,
    /// region and credentials from the `AWS_*` environment variables).
    #[serde(default)]
    pub files_url: Option<String>,
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
    /// Maximum body of an integration API import in bytes (each row is also at most
    /// `max_body_bytes`).
    #[serde(default = "default_max_import")]
    pub max_import_bytes: usize,
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
    /// Storage-shim keys (`app.storage()`) all members together may hold in one item.
    #[serde(default = "crate::quota::defaults::item_storage_keys")]
    pub item_storage_keys: u64,
    /// Bytes (keys and values) of the storage shim one item may hold.
    #[serde(default = "crate::quota::defaults::item_storage_bytes")]
    pub item_storage_bytes: u64,
    /// Storage-shim keys one member may hold in one item (at most the rows of one unpaged list).
    #[serde(default = "crate::quota::defaults::member_storage_keys")]
    pub member_storage_keys: u64,
    /// Bytes of the storage shim one member may hold in one item.
    #[serde(default = "crate::quota::defaults::member_storage_bytes")]
    pub member_storage_bytes: u64,
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
    "files_url",
    "jwt_secret",
    "token_ttl_secs",
    "token_mint_burst",
    "token_mint_per_minute",
    "max_body_bytes",
    "max_file_bytes",
    "max_import_bytes",
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
    "item_storage_keys",
    "item_storage_bytes",
    "member_storage_keys",
    "member_storage_bytes",
    "data_cache_bytes",
    "frame_ancestors",
];

impl ServerConfig {
    /// The settings of the built-in demo file, spelled out: what [`super::Config::demo`]
    /// falls back to if that file were ever broken.
    pub(super) fn fallback() -> ServerConfig {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            data_dir: default_data_dir(),
            dev: true,
            allow_dev_login_on_network: false,
            database_url: None,
            files_url: None,
            jwt_secret: None,
            token_ttl_secs: default_token_ttl(),
            token_mint_burst: default_token_mint_burst(),
            token_mint_per_minute: default_token_mint_per_minute(),
            max_body_bytes: default_max_body(),
            max_file_bytes: default_max_file(),
            max_import_bytes: default_max_import(),
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
            item_storage_keys: crate::quota::defaults::item_storage_keys(),
            item_storage_bytes: crate::quota::defaults::item_storage_bytes(),
            member_storage_keys: crate::quota::defaults::member_storage_keys(),
            member_storage_bytes: crate::quota::defaults::member_storage_bytes(),
            data_cache_bytes: crate::quota::defaults::data_cache_bytes(),
            frame_ancestors: vec![],
        }
    }

    /// Checks the values TOML types cannot express.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let s = self;
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
        if s.max_body_bytes == 0 || s.max_file_bytes == 0 || s.max_import_bytes == 0 {
            return bad(
                "server.max_body_bytes, max_file_bytes and max_import_bytes must be positive"
                    .into(),
            );
        }
        validate_quotas(s)?;
        super::files_location(s.files_url.as_deref())?;
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
        Ok(())
    }
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
            item_storage_keys: signed(s.item_storage_keys),
            item_storage_bytes: signed(s.item_storage_bytes),
            member_storage_keys: signed(s.member_storage_keys),
            member_storage_bytes: signed(s.member_storage_bytes),
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
        ("item_storage_keys", s.item_storage_keys),
        ("item_storage_bytes", s.item_storage_bytes),
        ("member_storage_keys", s.member_storage_keys),
        ("member_storage_bytes", s.member_storage_bytes),
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
    if s.member_storage_keys > unpaged {
        return Err(ConfigError::Invalid(format!(
            "server.member_storage_keys ({}) must not exceed {unpaged}: a member's storage keys \
             are listed in one answer, never paged",
            s.member_storage_keys
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::*;

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
        c.server.member_storage_keys = u64::try_from(crate::quota::MAX_UNPAGED).unwrap() + 1;
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("member_storage_keys") && e.contains("never paged"),
            "{e}"
        );
        c.server.member_storage_keys = 10;
        c.server.item_storage_bytes = 0;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("item_storage_bytes must be at least 1"), "{e}");
        c.server.item_storage_bytes = 10;
        c.server.member_file_bytes = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("member_file_bytes")
        );
    }
}
