//! The token relay: a GET_AUTH_TOKEN is checked (the origin it names must be the one its channel
//! was given to; the frame's rate limit) before it reaches the token provider, whose answer is
//! bounded in time.

use crate::{
    now_ms, text,
    token::{
        AppTokenRequest, ORIGIN_MISMATCH, TOKEN_RATE_LIMITED, TOKEN_TIMEOUT, TokenBucket,
        TokenProvider,
    },
};
use appframe_protocol::{FailurePayload, ItemId, KeyOrigin};
use futures::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use std::{cell::Cell, future::Future, rc::Rc, time::Duration};

/// The token relay of one frame.
pub(crate) struct TokenRelay {
    provider: Rc<dyn TokenProvider>,
    timeout: Duration,
    /// GET_AUTH_TOKEN requests this frame may still have relayed.
    bucket: Cell<TokenBucket>,
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
        }
    }

    /// Checks one request that came on a channel given to `bound_origin` and, when it passes,
    /// asks the provider. `api_host` is read only once the origin is known to be right. `Err`
    /// is the failure to answer at once; the future is the provider's answer or `TOKEN_TIMEOUT`.
    pub(crate) fn request(
        &self,
        item_id: ItemId,
        payload: KeyOrigin,
        bound_origin: &str,
        api_host: impl FnOnce() -> Result<String, FailurePayload>,
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
        Ok(async move {
            match select(token, TimeoutFuture::new(timeout_ms)).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => Err(FailurePayload {
                    code: TOKEN_TIMEOUT.into(),
                    message: text::concat(&[
                        "no token within ",
                        &text::uint(u64::from(timeout_ms)),
                        " ms",
                    ]),
                }),
            }
        })
    }
}
