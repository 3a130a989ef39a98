//! The fixed ids of the built-in demo configuration (`server/demo.toml`), by name.
//!
//! A unit test checks them against `Config::demo()`, so a change of the demo file is caught here.

use uuid::{Uuid, uuid};

/// Alice: admin of every demo item.
pub const ALICE: Uuid = uuid!("dca3c530-eff8-4c46-8172-bd614654a02d");
/// Bob: write permission on every demo item.
pub const BOB: Uuid = uuid!("bc5c25bd-3b16-4465-baba-7abf825cbd90");
/// Carol: read permission on every demo item.
pub const CAROL: Uuid = uuid!("d5433604-2bb5-4d68-a876-1a7ad8c13608");

/// One demo app and the item that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoApp {
    /// App name, also its folder under `dist/apps/` and its path on the apps origin.
    pub name: &'static str,
    /// The app key.
    pub key: Uuid,
    /// The demo item that shows the app.
    pub item: Uuid,
}

/// The counter app (Rust, no UI framework).
pub const COUNTER: DemoApp = DemoApp {
    name: "counter",
    key: uuid!("1d85bd0c-7c60-49cd-9775-9898fcb16668"),
    item: uuid!("860336f0-9317-4193-91ad-5d58f6a975d8"),
};

/// The sticky-notes app (leptos).
pub const STICKY_NOTES: DemoApp = DemoApp {
    name: "sticky-notes",
    key: uuid!("1f995619-8cad-4d5e-8b1e-5f998eabdb39"),
    item: uuid!("972072cf-56bb-4c7f-afcb-33f3427a68aa"),
};

/// The js-notes app (plain JS with the SDK's JS facade).
pub const JS_NOTES: DemoApp = DemoApp {
    name: "js-notes",
    key: uuid!("106aa844-b6ec-4851-8685-9ca7d0be6238"),
    item: uuid!("79bf18ff-133a-4293-ae63-94768b2ff5c5"),
};

/// Every demo app.
pub const APPS: [DemoApp; 3] = [COUNTER, STICKY_NOTES, JS_NOTES];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use appframe_protocol::Permission;
    use appframe_server::config::Config;

    fn permission(config: &Config, member: Uuid, item: Uuid) -> Option<Permission> {
        config
            .memberships
            .iter()
            .find(|m| m.member == member && m.item == item)
            .map(|m| m.permission)
    }

    #[test]
    fn the_named_ids_are_those_of_the_demo_config() {
        let config = Config::demo();
        for app in APPS {
            let registered = config.apps.iter().find(|a| a.name == app.name).unwrap();
            assert_eq!(registered.key, app.key, "key of {}", app.name);
            let item = config.items.iter().find(|i| i.id == app.item).unwrap();
            assert_eq!(item.app, app.name, "app of item {}", app.item);
            assert_eq!(
                permission(&config, ALICE, app.item),
                Some(Permission::Admin)
            );
            assert_eq!(permission(&config, BOB, app.item), Some(Permission::Write));
            assert_eq!(permission(&config, CAROL, app.item), Some(Permission::Read));
        }
    }
}
