//! Token providers: where the bridge gets an app token when the app asks for one.

use crate::{error::js_message, wire};
use appframe_protocol::{FailurePayload, ItemId, KeyOrigin, routes};
use js_sys::Promise;
use std::{future::Future, pin::Pin};
use wasm_bindgen::{JsValue, prelude::wasm_bindgen};
use wasm_bindgen_futures::JsFuture;

/// Failure code: the token request failed (network error, HTTP error, bad response).
pub const TOKEN_REQUEST_FAILED: &str = "TOKEN_REQUEST_FAILED";
/// Failure code: the token provider did not answer in time.
pub const TOKEN_TIMEOUT: &str = "TOKEN_TIMEOUT";
/// Failure code: the `origin` in GET_AUTH_TOKEN is not the origin the channel was given to.
pub const ORIGIN_MISMATCH: &str = "ORIGIN_MISMATCH";
/// Failure code: the context provider refused or produced an unusable context.
pub const CONTEXT_UNAVAILABLE: &str = "CONTEXT_UNAVAILABLE";
/// Failure code: the frame asked for tokens too often (the bridge's own limit, see
/// `BridgeOptions::token_rate_limit`), or the server refused with 429; the message says when
/// to try again.
pub const TOKEN_RATE_LIMITED: &str = "TOKEN_RATE_LIMITED";

/// A token bucket over a millisecond clock: `burst` requests at once, then one more every
/// `refill_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TokenBucket {
    burst: f64,
    refill_ms: f64,
    tokens: f64,
    at_ms: f64,
}

impl TokenBucket {
    /// A full bucket (`burst` at least 1, `refill_ms` at least 1 ms).
    pub(crate) fn new(burst: u32, refill_ms: f64, now_ms: f64) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            burst,
            refill_ms: refill_ms.max(1.0),
            tokens: burst,
            at_ms: now_ms,
        }
    }

    /// Takes one request at `now_ms`, or says how many ms until one is allowed.
    pub(crate) fn take(&mut self, now_ms: f64) -> Result<(), f64> {
        let elapsed = (now_ms - self.at_ms).max(0.0);
        self.tokens = (self.tokens + elapsed / self.refill_ms).min(self.burst);
        self.at_ms = now_ms;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) * self.refill_ms)
        }
    }
}

/// What the app asked for: a token for this item, this app key and this origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTokenRequest {
    /// The app item.
    pub item_id: ItemId,
    /// The app key sent by the app.
    pub key: String,
    /// The app's origin (checked by the bridge against the origin the channel was given to).
    pub origin: String,
    /// The context's `apiHost` (absolute, no trailing slash), for providers that call the API.
    pub api_host: String,
}

/// The future a token provider returns: the token, or why there is none.
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, FailurePayload>>>>;

/// Produces app tokens for the bridge. Closures `Fn(AppTokenRequest) -> impl Future` implement it.
pub trait TokenProvider {
    /// Asks for a token; the bridge answers the app with SUCCESS or FAILURE from the result.
    fn token(&self, request: AppTokenRequest) -> TokenFuture;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn(AppTokenRequest) -> Fut,
    Fut: Future<Output = Result<String, FailurePayload>> + 'static,
{
    fn token(&self, request: AppTokenRequest) -> TokenFuture {
        Box::pin(self(request))
    }
}

/// The default provider: `POST {apiHost}/app-items/{itemId}/api-access-token` with the host's
/// cookies (`credentials: 'include'`) and the body `{key, origin}` the app sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchTokenProvider {
    url: Option<String>,
}

impl FetchTokenProvider {
    /// Posts to the token route under the context's `apiHost`.
    pub fn new() -> Self {
        FetchTokenProvider { url: None }
    }

    /// Posts to this exact URL instead (a host platform with its own token endpoint).
    pub fn with_url(url: impl Into<String>) -> Self {
        FetchTokenProvider {
            url: Some(url.into()),
        }
    }
}

impl TokenProvider for FetchTokenProvider {
    fn token(&self, request: AppTokenRequest) -> TokenFuture {
        let url = self
            .url
            .clone()
            .unwrap_or_else(|| routes::token_url(&request.api_host, &request.item_id));
        let body = KeyOrigin {
            key: request.key,
            origin: request.origin,
        };
        Box::pin(async move { fetch_token(&url, &body).await })
    }
}

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// The default token request (`host/js/browser.js`): the token, or a rejection with
    /// `{code, message}`.
    #[wasm_bindgen(js_name = fetchToken)]
    fn fetch_token_js(url: &str, body: &str) -> Promise;
}

async fn fetch_token(url: &str, body: &KeyOrigin) -> Result<String, FailurePayload> {
    let field = |v: &JsValue, k: &str| wire::get(v, k).as_string();
    match JsFuture::from(fetch_token_js(url, &wire::key_origin_json(body))).await {
        Ok(token) => token.as_string().ok_or_else(|| FailurePayload {
            code: TOKEN_REQUEST_FAILED.into(),
            message: "the token is not a string".into(),
        }),
        Err(e) => Err(FailurePayload {
            code: field(&e, "code").unwrap_or_else(|| TOKEN_REQUEST_FAILED.into()),
            message: field(&e, "message").unwrap_or_else(|| js_message(&e)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_one_per_refill() {
        let mut b = TokenBucket::new(5, 10_000.0, 0.0);
        for _ in 0..5 {
            assert_eq!(b.take(0.0), Ok(()));
        }
        assert_eq!(b.take(0.0), Err(10_000.0));
        assert_eq!(b.take(4_000.0), Err(6_000.0));
        assert_eq!(b.take(10_000.0), Ok(()));
        assert!(b.take(10_000.0).is_err());
        // Long idle refills to the burst, no more.
        for _ in 0..5 {
            assert_eq!(b.take(1_000_000.0), Ok(()));
        }
        assert!(b.take(1_000_000.0).is_err());
    }
}
