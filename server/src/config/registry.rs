//! The registry `appframe.toml` declares (publishers, apps, members, items, memberships,
//! API keys) and the checks of its references.

use super::{Config, ConfigError, is_origin, origin_of};
use appframe_protocol::Permission;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

impl Config {
    /// Checks the registry: names and ids unique, references known, origins bare.
    pub(super) fn validate_registry(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::*;
    use uuid::Uuid;

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
}
