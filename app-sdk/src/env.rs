//! Where the app runs: its own window, the host window it talks to, and what the URL says.
//!
//! The real page reads these from `window`; tests build a [`HostEnv`] whose "parent" is a fake
//! host in an iframe, because a test page is itself the top window.

use crate::error::{Error, js_text};
use appframe_protocol::ItemId;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Window;

/// The page's view of its host.
#[derive(Clone)]
pub(crate) struct HostEnv {
    /// The app's window: replies to GET_CONTEXT arrive here.
    pub own: Window,
    /// The host window: GET_CONTEXT goes there, and only its messages are accepted.
    pub parent: Window,
    /// The host's origin when the browser tells it (`location.ancestorOrigins[0]`): replies from
    /// any other origin are ignored and GET_CONTEXT is posted to it instead of `*`.
    pub parent_origin: Option<String>,
    /// `location.origin` of the app (sent as `origin` with GET_CONTEXT and GET_AUTH_TOKEN).
    pub own_origin: String,
    /// `?itemId=` of the page URL, when present and a UUID.
    pub item_id: Option<ItemId>,
}

/// The global window.
pub(crate) fn window() -> Result<Window, Error> {
    web_sys::window().ok_or_else(|| Error::Browser("no window (not running in a page)".into()))
}

/// `?itemId=` of a `location.search` string.
pub(crate) fn item_id_from_search(search: &str) -> Option<ItemId> {
    let params = web_sys::UrlSearchParams::new_with_str(search).ok()?;
    crate::wire::text::parse_uuid(&params.get("itemId")?).map(ItemId)
}

/// `location.ancestorOrigins[0]`, read dynamically because Firefox has no `ancestorOrigins`.
fn ancestor_origin(w: &Window) -> Option<String> {
    let list = js_sys::Reflect::get(&w.location(), &"ancestorOrigins".into()).ok()?;
    if list.is_undefined() || list.is_null() {
        return None;
    }
    let first = js_sys::Reflect::get(&list, &JsValue::from(0)).ok()?;
    // An opaque parent (sandboxed without allow-same-origin) reports "null": no usable origin.
    first.as_string().filter(|o| o != "null")
}

impl HostEnv {
    /// Reads the real page: `None` when the page is not embedded (`window.parent === window`).
    pub(crate) fn detect() -> Result<Option<HostEnv>, Error> {
        let own = window()?;
        let parent = match own.parent() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e) => return Err(Error::Browser(js_text(&e))),
        };
        if JsValue::from(&parent) == JsValue::from(&own) {
            return Ok(None);
        }
        let loc = own.location();
        let search = loc.search().unwrap_or_default();
        Ok(Some(HostEnv {
            parent_origin: ancestor_origin(&own),
            own_origin: loc.origin().map_err(|e| Error::Browser(js_text(&e)))?,
            item_id: item_id_from_search(&search),
            own,
            parent,
        }))
    }

    /// Whether a message event comes from the host window (and origin, when known).
    pub(crate) fn is_from_host(&self, ev: &web_sys::MessageEvent) -> bool {
        let from_parent = ev
            .source()
            .is_some_and(|s| JsValue::from(s) == JsValue::from(&self.parent));
        from_parent
            && self
                .parent_origin
                .as_deref()
                .is_none_or(|o| ev.origin() == o)
    }

    /// Posts a string to the host window: to its origin when known, else `*`; if the browser
    /// throws on `*` (old Android WebViews), retries without a target origin, as Graasp does.
    pub(crate) fn post_to_host(&self, data: &str) -> Result<(), Error> {
        let msg = JsValue::from_str(data);
        let target = self.parent_origin.as_deref().unwrap_or("*");
        match self.parent.post_message(&msg, target) {
            Ok(()) => Ok(()),
            Err(first) => {
                let post = js_sys::Reflect::get(&self.parent, &"postMessage".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .ok_or_else(|| Error::PortClosed(js_text(&first)))?;
                post.call1(&self.parent, &msg)
                    .map(|_| ())
                    .map_err(|e| Error::PortClosed(js_text(&e)))
            }
        }
    }
}
