//! The token relay: a GET_AUTH_TOKEN is checked (the origin it names must be the one its channel
//! was given to; the frame's rate limit) before it reaches the token provider, whose answer is
//! bounded in time.
//!
//! Start-up: GET_CONTEXT carries the same key and origin as the GET_AUTH_TOKEN every app sends
//! right after it, so the relay asks the provider then (with the same checks, counted by the
//! same rate limit) and the app's first GET_AUTH_TOKEN with exactly that key and origin, within
//! [`AHEAD_TTL_MS`], gets that answer instead of waiting for a second request. A host that knows
//! the app's key (`BridgeOptions::app_key`) has it asked for at attach, before the frame loads.

use crate::{
    now_ms, text,
    token::{
        AppTokenRequest, ORIGIN_MISMATCH, TOKEN_RATE_LIMITED, TOKEN_TIMEOUT, TokenBucket,
        TokenFuture, TokenProvider,
    },
};
use appframe_protocol::{FailurePayload, ItemId, KeyOrigin};
use gloo_timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    future::Future,
    rc::Rc,
    task::{Poll, Waker},
    time::Duration,
};

/// How long after GET_CONTEXT the token asked for then may answer the app's GET_AUTH_TOKEN;
/// later requests are relayed afresh (the answer could be stale).
pub const AHEAD_TTL_MS: f64 = 5_000.0;

/// Where a token answer goes: the app, through the bridge.
pub(crate) type Deliver = Box<dyn FnOnce(Result<String, FailurePayload>)>;

/// The token relay of one frame.
pub(crate) struct TokenRelay {
    provider: Rc<dyn TokenProvider>,
    timeout: Duration,
    /// GET_AUTH_TOKEN requests this frame may still have relayed.
    bucket: Cell<TokenBucket>,
    /// The token asked for with the last GET_CONTEXT, until a request takes it.
    ahead: RefCell<Option<Ahead>>,
}

/// A token asked for ahead of the app's request.
struct Ahead {
    /// The key and origin of the GET_CONTEXT (the request must name the same).
    ask: KeyOrigin,
    /// When it was asked for (`performance.now()` ms).
    at_ms: f64,
    state: Rc<RefCell<AheadState>>,
}

impl Ahead {
    /// Whether this token may answer a request for `ask`: the same key and origin, and recent.
    fn answers(&self, ask: &KeyOrigin) -> bool {
        self.ask == *ask && now_ms() - self.at_ms <= AHEAD_TTL_MS
    }
}

enum AheadState {
    /// The provider has not answered; the request waiting for it, if any.
    Pending(Option<Deliver>),
    /// The provider's answer, not yet taken.
    Done(Result<String, FailurePayload>),
}

impl TokenRelay {
    /// A relay allowing `burst` requests at once, then one per `refill`.
    pub(crate) fn new(
        provider: Rc<dyn TokenProvider>,
        timeout: Duration,
        burst: u32,
        refill: Duration,
    ) -> Self {
        TokenRelay {
            provider,
            timeout,
            bucket: Cell::new(TokenBucket::new(
                burst,
                refill.as_secs_f64() * 1000.0,
                now_ms(),
            )),
            ahead: RefCell::new(None),
        }
    }

    /// Asks for the token of a GET_CONTEXT's key and origin before the app does (see the module
    /// doc). A request the checks refuse is not made; the app's own request then gets the
    /// refusal.
    pub(crate) fn ask_ahead(
        &self,
        item_id: ItemId,
        payload: KeyOrigin,
        bound_origin: &str,
        api_host: &dyn Fn() -> Result<String, FailurePayload>,
    ) {
        // Already asked for (at attach, with the key the host gave): the app's GET_CONTEXT
        // takes that answer rather than asking again.
        if self
            .ahead
            .borrow()
            .as_ref()
            .is_some_and(|a| a.answers(&payload))
        {
            return;
        }
        let ask = payload.clone();
        let Ok(answer) = self.request(item_id, payload, bound_origin, api_host) else {
            return;
        };
        let state = Rc::new(RefCell::new(AheadState::Pending(None)));
        let filled = state.clone();
        spawn(
            answer,
            Box::new(move |result| {
                let waiting = match &mut *filled.borrow_mut() {
                    AheadState::Pending(waiting) => waiting.take(),
                    AheadState::Done(_) => None,
                };
                match waiting {
                    Some(deliver) => deliver(result),
                    None => *filled.borrow_mut() = AheadState::Done(result),
                }
            }),
        );
        *self.ahead.borrow_mut() = Some(Ahead {
            ask,
            at_ms: now_ms(),
            state,
        });
    }

    /// Answers a request that names its channel's origin with the token asked for ahead, when
    /// that was for exactly this key and origin and recent; otherwise hands `deliver` back. The
    /// token asked for ahead is used once at most.
    pub(crate) fn take_ahead(&self, payload: &KeyOrigin, deliver: Deliver) -> Option<Deliver> {
        let Some(ahead) = self.ahead.borrow_mut().take() else {
            return Some(deliver);
        };
        if !ahead.answers(payload) {
            return Some(deliver);
        }
        let done = {
            let mut state = ahead.state.borrow_mut();
            match &mut *state {
                AheadState::Pending(waiting) => {
                    *waiting = Some(deliver);
                    return None;
                }
                AheadState::Done(_) => std::mem::replace(&mut *state, AheadState::Pending(None)),
            }
        };
        if let AheadState::Done(result) = done {
            deliver(result);
        }
        None
    }

    /// Relays one request: `deliver` gets the provider's answer, or the refusal at once.
    pub(crate) fn relay(
        &self,
        item_id: ItemId,
        payload: KeyOrigin,
        bound_origin: &str,
        api_host: &dyn Fn() -> Result<String, FailurePayload>,
        deliver: Deliver,
    ) {
        match self.request(item_id, payload, bound_origin, api_host) {
            Ok(answer) => spawn(answer, deliver),
            Err(error) => deliver(Err(error)),
        }
    }

    /// Checks one request that came on a channel given to `bound_origin` and, when it passes,
    /// asks the provider. `api_host` is read only once the origin is known to be right. `Err`
    /// is the failure to answer at once; the future is the provider's answer or `TOKEN_TIMEOUT`.
    fn request(
        &self,
        item_id: ItemId,
        payload: KeyOrigin,
        bound_origin: &str,
        api_host: &dyn Fn() -> Result<String, FailurePayload>,
    ) -> Result<impl Future<Output = Result<String, FailurePayload>> + 'static, FailurePayload>
    {
        // The port was given to `bound_origin` only; an app claiming another origin would get a
        // token minted for someone else's origin.
        if payload.origin != bound_origin {
            return Err(FailurePayload {
                code: ORIGIN_MISMATCH.into(),
                message: text::concat(&[
                    "the request names origin ",
                    &text::quoted(&payload.origin),
                    " but comes from ",
                    &text::quoted(bound_origin),
                ]),
            });
        }
        let api_host = api_host()?;
        let mut bucket = self.bucket.get();
        let allowed = bucket.take(now_ms());
        self.bucket.set(bucket);
        if let Err(wait_ms) = allowed {
            return Err(FailurePayload {
                code: TOKEN_RATE_LIMITED.into(),
                message: text::concat(&[
                    "too many token requests from this frame; retry in ",
                    &text::number((wait_ms / 1000.0).ceil().max(1.0)),
                    " s",
                ]),
            });
        }
        let token = self.provider.token(AppTokenRequest {
            item_id,
            key: payload.key,
            origin: payload.origin,
            api_host,
        });
        let timeout_ms = u32::try_from(self.timeout.as_millis()).unwrap_or(u32::MAX);
        Ok(within(token, timeout_ms))
    }
}

/// The provider's answer, or `TOKEN_TIMEOUT` after `timeout_ms` (the provider's future is then
/// dropped, and the timer is cancelled when the answer comes first). A timer callback and a
/// waker rather than a `select` with a timer future: the same race, without futures-util and
/// a channel in the package.
async fn within(mut token: TokenFuture, timeout_ms: u32) -> Result<String, FailurePayload> {
    let fired = Rc::new(Cell::new(false));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let (f, w) = (fired.clone(), waker.clone());
    let _timer = Timeout::new(timeout_ms, move || {
        f.set(true);
        if let Some(waker) = w.borrow_mut().take() {
            waker.wake();
        }
    });
    std::future::poll_fn(|cx| {
        if let Poll::Ready(answer) = token.as_mut().poll(cx) {
            return Poll::Ready(answer);
        }
        if fired.get() {
            return Poll::Ready(Err(FailurePayload {
                code: TOKEN_TIMEOUT.into(),
                message: text::concat(&[
                    "no token within ",
                    &text::uint(u64::from(timeout_ms)),
                    " ms",
                ]),
            }));
        }
        *waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}

/// Waits for `answer` and hands it over (one function, so the answer's state machine is in the
/// package once for both the app's requests and the ones made ahead).
fn spawn(answer: impl Future<Output = Result<String, FailurePayload>> + 'static, deliver: Deliver) {
    wasm_bindgen_futures::spawn_local(async move { deliver(answer.await) });
}
