//! `appframe.toml`: the server settings plus the registry (publishers, apps, members, items,
//! memberships, API keys) that is upserted into the store at every start.

mod chat_bot;
mod env;
mod files;
mod origins;
mod parse;
mod registry;
mod server;

pub use chat_bot::{ChatBotBackendKind, ChatBotConfig};
pub use files::{
    FILES_BUCKET_MISSING, FILES_STORE_UNAVAILABLE, FILES_URL_INVALID, FilesLocation, files_location,
};
pub use origins::{is_csp_origin, is_loopback_addr, is_origin, origin_of};
pub use registry::{
    AccountKind, ApiKeyConfig, AppConfig, ItemConfig, MemberConfig, MembershipConfig,
    PublisherConfig, Scope,
};
pub use server::{SERVER_KEYS, ServerConfig};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The built-in demo configuration (fixed ids shared by the examples, host and tests).
pub const DEMO_TOML: &str = include_str!("../../demo.toml");

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
    /// File storage (`server.files_url`) cannot be used; `code` is stable (`AFERR040`-`042`,
    /// see [`files_location`]).
    #[error("{code}: {message}")]
    Files {
        /// The stable code.
        code: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
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
    /// The chat bot's model backend; none configured, the chat-bot route answers 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_bot: Option<ChatBotConfig>,
}

impl Config {
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
            server: ServerConfig::fallback(),
            publishers: vec![],
            apps: vec![],
            members: vec![],
            items: vec![],
            memberships: vec![],
            api_keys: vec![],
            chat_bot: None,
        })
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
        self.server.validate()?;
        if let Some(c) = &self.chat_bot {
            c.validate()?;
        }
        self.validate_registry()
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

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
}
