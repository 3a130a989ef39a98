//! GET_CONTEXT → GET_CONTEXT_SUCCESS (+ port), with the checks Graasp's client lacks: replies
//! only from the host window (and origin), unrelated messages ignored, FAILURE typed, timeout.

use crate::listen::Listener;
use crate::wire::message::{self as wire, Reply as HostReply};
use crate::{
    embedded::boot,
    embedded::channel::{Channel, HostHook},
    embedded::signal::{Slot, take_or},
    env::HostEnv,
    error::Error,
};
use appframe_protocol::{ItemId, KeyOrigin, LocalContext};
use std::time::Duration;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, MessagePort};

type Reply = Result<(LocalContext, Option<MessagePort>), Error>;

/// Asks the host for the context and returns it with the channel to use from now on.
pub(crate) async fn handshake(
    env: &HostEnv,
    item_id: ItemId,
    key: &str,
    timeout: Duration,
    hook: &HostHook,
) -> Result<(LocalContext, Channel), Error> {
    let slot: Slot<Reply> = Slot::new();
    let s = slot.clone();
    let filter = env.clone();
    // Removed when this function returns (RAII), whatever the outcome.
    let _listener = Listener::new(&env.own, "message", move |e| {
        let Some(ev) = e.dyn_ref::<MessageEvent>() else {
            return;
        };
        if !filter.is_from_host(ev) {
            return;
        }
        let Some(text) = ev.data().as_string() else {
            return;
        };
        match wire::read(&text, item_id) {
            Some(HostReply::Context(context)) => {
                let port = ev.ports().get(0).dyn_into::<MessagePort>().ok();
                s.set(Ok((*context, port)));
            }
            Some(HostReply::ContextRefused(error)) => {
                s.set(Err(Error::ContextRefused {
                    code: error.code,
                    message: error.message,
                }));
            }
            // Other items, other kinds, other apps' JSON: not ours, keep waiting.
            _ => {}
        }
    });
    let ask = KeyOrigin {
        key: key.to_owned(),
        origin: env.own_origin.clone(),
    };
    let text = wire::ask_context(item_id, &ask)?;
    // The listener is in place: a boot script's earlier request and its answer are ours now.
    let claim = boot::claimed(&text);
    if claim == boot::Claim::None {
        env.post_to_host(&text)?;
    }
    // The only waiter: the context is moved out of the slot, not cloned.
    let (context, port) = take_or(&slot, timeout, Err(Error::ContextTimeout)).await?;
    let channel = match port {
        Some(p) => Channel::port(
            p,
            item_id,
            claim == boot::Claim::ContextAndToken,
            hook.clone(),
        ),
        None if context.mobile => Channel::window(env.clone(), item_id, hook.clone()),
        // Graasp's client would wait forever for a token here; fail now instead.
        None => return Err(Error::PortMissing),
    };
    Ok((context, channel))
}
