//! A context as the bridge sends it, before its item and extensions are added: the provider's
//! fields with the item settings as JSON text.

use crate::resize::is_user_resizable;
use appframe_protocol::{AccountId, Context, LocalContext, Permission};
use std::rc::Rc;

/// A context ready to be sent: the fields of the `LocalContext` wire shape the bridge writes
/// (`itemId` and `appframe` are the bridge's own), with the item settings kept as the JSON
/// object text the answer carries. A JS host's settings come from `JSON.stringify`, and no JSON
/// value type is held here, so the JS package links none (see `text.rs` for the size policy).
#[derive(Debug, Clone)]
pub(crate) struct Provided {
    pub(crate) api_host: String,
    pub(crate) account_id: Option<AccountId>,
    pub(crate) permission: Permission,
    pub(crate) context: Context,
    pub(crate) lang: String,
    /// The item settings as a JSON object.
    pub(crate) settings: Rc<str>,
    pub(crate) offline: bool,
    pub(crate) dev: bool,
    pub(crate) mobile: bool,
    /// Whether the item setting `isResizable` is `true`: the viewer sizes the frame.
    pub(crate) resizable: bool,
}

impl Provided {
    /// A context with the defaults of `LocalContext::new` for everything but `apiHost`.
    #[cfg(any(feature = "js", test))]
    pub(crate) fn new(api_host: String) -> Self {
        Provided {
            api_host,
            account_id: None,
            permission: Permission::Read,
            context: Context::Standalone,
            lang: "en".into(),
            settings: "{}".into(),
            offline: false,
            dev: false,
            mobile: false,
            resizable: false,
        }
    }
}

impl From<LocalContext> for Provided {
    fn from(c: LocalContext) -> Self {
        Provided {
            resizable: is_user_resizable(&c),
            settings: serde_json::Value::Object(c.settings).to_string().into(),
            api_host: c.api_host,
            account_id: c.account_id,
            permission: c.permission,
            context: c.context,
            lang: c.lang,
            offline: c.offline,
            dev: c.dev,
            mobile: c.mobile,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use appframe_protocol::ItemId;

    #[test]
    fn new_has_the_defaults_of_a_new_local_context() {
        let id = ItemId::from(uuid::Uuid::nil());
        let a = Provided::new("/api".into());
        let b = Provided::from(LocalContext::new("/api", id));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
