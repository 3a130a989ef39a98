//! The JS facade of live updates: `app.subscribe(topic, callback)` and
//! `app.liveAppData(filter, callback)`, each returning a function that unsubscribes.

use super::{AppframeApp, from_js, throw, to_js};
use crate::{
    Error,
    live::{LiveEvent, Op, Topic},
};
use appframe_protocol::{AppAction, AppData, AppSetting};
use serde::{Deserialize, Serialize};
use std::{
    any::Any,
    cell::{Cell, RefCell},
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_LIVE: &'static str = r#"
/** A topic of live updates on the app's item. */
export type Topic = 'app-data' | 'app-actions' | 'app-settings';
/** What happened to the row. */
export type Op = 'post' | 'patch' | 'delete';
/** What a `subscribe` callback receives. `resync`: updates may have been missed (the socket
 * (re)opened, or the server said so): refetch. `error`: a refused subscription or a failed
 * connection; the subscription goes on. */
export type LiveEvent =
  | { type: 'update'; topic: 'app-data'; op: Op; appData: AppData }
  | { type: 'update'; topic: 'app-actions'; op: Op; appAction: AppAction }
  | { type: 'update'; topic: 'app-settings'; op: Op; appSetting: AppSetting }
  | { type: 'resync' }
  | { type: 'error'; error: AppframeError };
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsUpdate<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    topic: &'static str,
    op: Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_data: Option<&'a AppData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_action: Option<&'a AppAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_setting: Option<&'a AppSetting>,
}

fn event_js(ev: Result<LiveEvent, Error>) -> Result<JsValue, JsValue> {
    let update = |topic: Topic, op| JsUpdate {
        ty: "update",
        topic: topic.as_str(),
        op,
        app_data: None,
        app_action: None,
        app_setting: None,
    };
    let obj = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| {
        // Setting a property on a fresh object cannot fail.
        let _ = js_sys::Reflect::set(&obj, &k.into(), v);
    };
    match ev {
        Ok(LiveEvent::AppData(op, r)) => to_js(&JsUpdate {
            app_data: Some(&r),
            ..update(Topic::AppData, op)
        }),
        Ok(LiveEvent::AppAction(op, r)) => to_js(&JsUpdate {
            app_action: Some(&r),
            ..update(Topic::AppActions, op)
        }),
        Ok(LiveEvent::AppSetting(op, r)) => to_js(&JsUpdate {
            app_setting: Some(&r),
            ..update(Topic::AppSettings, op)
        }),
        Ok(LiveEvent::Resync) => {
            set("type", &"resync".into());
            Ok(obj.into())
        }
        Err(e) => {
            set("type", &"error".into());
            set("error", &throw(e));
            Ok(obj.into())
        }
    }
}

thread_local! {
    /// The live subscriptions made from JS, until their unsubscribe function is called. Held
    /// here, not by that function: apps often drop the returned function (as with
    /// `addEventListener`), and its garbage collection must not end the subscription.
    static SUBSCRIPTIONS: RefCell<Vec<(u32, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Keeps `handle` until the returned JS function is called (later calls do nothing).
fn unsubscriber<T: 'static>(handle: T) -> JsValue {
    let id = NEXT_ID.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    SUBSCRIPTIONS.with(|s| s.borrow_mut().push((id, Box::new(handle))));
    Closure::<dyn FnMut()>::new(move || {
        let gone = SUBSCRIPTIONS.with(|s| {
            let mut s = s.borrow_mut();
            s.iter().position(|(i, _)| *i == id).map(|at| s.remove(at))
        });
        // Dropped outside the borrow: unsubscribing may run other callbacks.
        drop(gone);
    })
    .into_js_value()
}

#[derive(Deserialize, Default)]
struct LiveFilter {
    #[serde(default, rename = "type")]
    ty: Option<String>,
}

#[wasm_bindgen]
impl AppframeApp {
    /// Calls `callback` with every live update on `topic` for this item until the returned
    /// function is called (dropping that function does not unsubscribe). All subscriptions
    /// share one socket.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Topic")] topic: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(event: LiveEvent) => void")]
        callback: js_sys::Function,
    ) -> Result<JsValue, JsValue> {
        let topic: Topic = from_js(&topic)?;
        let handle = self.app.on_update(topic, move |ev| {
            if let Ok(v) = event_js(ev) {
                // An exception in the app's callback is the app's; it must not stop delivery.
                let _ = callback.call1(&JsValue::NULL, &v);
            }
        });
        Ok(unsubscriber(handle))
    }

    /// The app data of this item (of `filter.type` when given), kept merged with live
    /// updates: `callback(items)` after every change, `callback(items, error)` when a fetch or
    /// the subscription failed. Returns the function that unsubscribes (the list lives until
    /// it is called).
    #[wasm_bindgen(js_name = liveAppData, unchecked_return_type = "() => void")]
    pub fn live_app_data(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ type?: string } | undefined")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(items: AppData[], error?: AppframeError) => void")]
        callback: js_sys::Function,
    ) -> Result<JsValue, JsValue> {
        let filter: Option<LiveFilter> = from_js(&filter)?;
        let ty = filter.unwrap_or_default().ty;
        let last: std::rc::Rc<std::cell::RefCell<JsValue>> =
            std::rc::Rc::new(std::cell::RefCell::new(js_sys::Array::new().into()));
        let live = self.app.live_app_data(ty.as_deref(), move |r| {
            let args = match r {
                Ok(items) => match to_js(&items) {
                    Ok(v) => {
                        *last.borrow_mut() = v.clone();
                        (v, JsValue::UNDEFINED)
                    }
                    Err(e) => (last.borrow().clone(), e),
                },
                Err(e) => (last.borrow().clone(), throw(e.clone())),
            };
            // An exception in the app's callback is the app's; it must not stop delivery.
            let _ = callback.call2(&JsValue::NULL, &args.0, &args.1);
        });
        Ok(unsubscriber(live))
    }
}
