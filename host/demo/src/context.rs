//! Which context an app gets in each view, following the Graasp host.

use appframe_protocol::{Context, HostConfig, HostItem, LocalContext, Member, Permission};

/// The views an item can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Editing: the member's real permission.
    #[default]
    Builder,
    /// Viewing: always `read` (the server still enforces the real permission).
    Player,
    /// Dashboards: the member's real permission.
    Analytics,
}

impl View {
    /// All views, in the order of the view links.
    pub const ALL: [View; 3] = [View::Builder, View::Player, View::Analytics];

    /// Parses `?view=`; anything unknown is the builder, like a missing value.
    pub fn parse(s: Option<&str>) -> View {
        match s {
            Some("player") => View::Player,
            Some("analytics") => View::Analytics,
            _ => View::Builder,
        }
    }

    /// The query value and link id suffix.
    pub fn as_str(&self) -> &'static str {
        match self {
            View::Builder => "builder",
            View::Player => "player",
            View::Analytics => "analytics",
        }
    }

    /// A label for the link.
    pub fn label(&self) -> &'static str {
        match self {
            View::Builder => "Builder",
            View::Player => "Player",
            View::Analytics => "Analytics",
        }
    }
}

/// The context for `item` in `view` for `me`. `lang` overrides the item's language when not empty.
pub fn view_context(
    view: View,
    item: &HostItem,
    me: Option<&Member>,
    config: &HostConfig,
    lang: &str,
) -> LocalContext {
    let mut ctx = LocalContext::new(config.api_host.clone(), item.id);
    ctx.account_id = me.map(|m| m.id);
    let (permission, context) = match view {
        View::Builder => (item.permission, Context::Builder),
        View::Player => (Permission::Read, Context::Player),
        View::Analytics => (item.permission, Context::Analytics),
    };
    ctx.permission = permission;
    ctx.context = context;
    ctx.lang = effective_lang(item, lang);
    ctx.settings = item.settings.clone();
    ctx.dev = config.dev;
    ctx
}

/// The language an app gets: `lang` when chosen (not empty), else the item's, else `en`.
pub fn effective_lang(item: &HostItem, lang: &str) -> String {
    if lang.is_empty() {
        Some(item.lang.clone())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "en".into())
    } else {
        lang.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::HostApp;

    fn item(permission: Permission) -> HostItem {
        HostItem {
            id: "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap(),
            name: "Counter".into(),
            description: None,
            lang: "de".into(),
            settings: Default::default(),
            permission,
            app: HostApp {
                name: "counter".into(),
                url: "http://127.0.0.1:8081/counter/".into(),
                origins: vec!["http://127.0.0.1:8081".into()],
                key: None,
                manifest: None,
            },
        }
    }

    fn config() -> HostConfig {
        HostConfig {
            api_host: "http://127.0.0.1:8080/api".into(),
            dev: true,
        }
    }

    fn alice() -> Member {
        Member {
            id: "dca3c530-eff8-4c46-8172-bd614654a02d".parse().unwrap(),
            name: "Alice".into(),
        }
    }

    #[test]
    fn player_always_sends_read_whatever_the_real_permission() {
        let c = view_context(
            View::Player,
            &item(Permission::Admin),
            Some(&alice()),
            &config(),
            "",
        );
        assert_eq!(c.permission, Permission::Read);
        assert_eq!(c.context, Context::Player);
    }

    #[test]
    fn builder_and_analytics_send_the_real_permission() {
        for (view, ctx) in [
            (View::Builder, Context::Builder),
            (View::Analytics, Context::Analytics),
        ] {
            let c = view_context(
                view,
                &item(Permission::Write),
                Some(&alice()),
                &config(),
                "",
            );
            assert_eq!(c.permission, Permission::Write);
            assert_eq!(c.context, ctx);
        }
    }

    #[test]
    fn language_defaults_to_the_item_and_can_be_overridden() {
        let i = item(Permission::Read);
        assert_eq!(
            view_context(View::Builder, &i, None, &config(), "").lang,
            "de"
        );
        assert_eq!(
            view_context(View::Builder, &i, None, &config(), "fr").lang,
            "fr"
        );
    }

    #[test]
    fn account_is_the_logged_in_member_or_none() {
        let i = item(Permission::Read);
        let c = view_context(View::Builder, &i, Some(&alice()), &config(), "");
        assert_eq!(c.account_id, Some(alice().id));
        assert!(
            view_context(View::Builder, &i, None, &config(), "")
                .account_id
                .is_none()
        );
    }

    #[test]
    fn unknown_view_is_the_builder() {
        assert_eq!(View::parse(Some("player")), View::Player);
        assert_eq!(View::parse(Some("nope")), View::Builder);
        assert_eq!(View::parse(None), View::Builder);
    }
}
