//! Bodies of the host-page routes (`/api/login`, `/api/host-config`, `/api/items`, ...): same
//! origin as the server, authenticated by the session cookie. Not part of the Graasp apps API;
//! shared by the server and the demo host page so both read one definition.

use crate::{context::Permission, dto::JsonObject, ids::AccountId, ids::ItemId};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/login` (dev mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// The member to log in as.
    pub member_id: AccountId,
}

/// `GET /api/host-config` → `{apiHost, dev}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HostConfig {
    /// Absolute API base to put in app contexts (`apiHost`), ending at `/api`.
    pub api_host: String,
    /// Development mode: login, member switcher and `?as=` available.
    #[serde(default)]
    pub dev: bool,
}

/// The app of a host item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostApp {
    /// App name.
    pub name: String,
    /// App URL (may carry a query string).
    pub url: String,
    /// Origins the app may be served from (registered by its publisher); the host posts only
    /// to these.
    #[serde(default)]
    pub origins: Vec<String>,
    /// The app key (public: every app ships its own in its bundle). A host that passes it to
    /// the bridge has the app's first token asked for while the frame loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The app's manifest (`appframe.toml` of its bundle in the server's `apps_dir`), when it
    /// has one: the host grants its permissions through the iframe's `allow` and `sandbox`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<crate::manifest::AppManifest>,
}

/// An item as the host page sees it: an entry of `GET /api/items`, or `GET /api/items/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostItem {
    /// Item id.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Language (empty when unknown).
    #[serde(default)]
    pub lang: String,
    /// Item settings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: JsonObject,
    /// The session member's permission on the item.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub permission: Permission,
    /// The app.
    pub app: HostApp,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_host_item_round_trips_in_the_servers_shape() {
        let json = r#"{"id":"860336f0-9317-4193-91ad-5d58f6a975d8","name":"Counter","description":null,"lang":"de","settings":{"k":1},"permission":"write","app":{"name":"counter","url":"http://127.0.0.1:8081/counter/","origins":["http://127.0.0.1:8081"]}}"#;
        let item: HostItem = serde_json::from_str(json).unwrap();
        assert_eq!(item.permission, Permission::Write);
        assert_eq!(item.app.origins, ["http://127.0.0.1:8081"]);
        assert_eq!(serde_json::to_string(&item).unwrap(), json);
    }

    #[test]
    fn host_config_and_login_use_camel_case_and_login_is_strict() {
        let c = HostConfig {
            api_host: "http://127.0.0.1:8080/api".into(),
            dev: true,
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"apiHost":"http://127.0.0.1:8080/api","dev":true}"#
        );
        let l: LoginRequest =
            serde_json::from_str(r#"{"memberId":"dca3c530-eff8-4c46-8172-bd614654a02d"}"#).unwrap();
        assert_eq!(
            l.member_id.to_string(),
            "dca3c530-eff8-4c46-8172-bd614654a02d"
        );
        assert!(
            serde_json::from_str::<LoginRequest>(
                r#"{"memberId":"dca3c530-eff8-4c46-8172-bd614654a02d","x":1}"#
            )
            .is_err()
        );
    }
}
