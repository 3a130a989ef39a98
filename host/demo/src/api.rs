//! The host-page routes of the appframe server (same origin, session cookie); their bodies
//! are the `appframe_protocol::host_api` types. Sent with gloo-net's `fetch` wrapper (the SDK and
//! the host bridge keep their own, smaller one: docs/benchmarks.md).

use appframe_protocol::{ErrorBody, LoginRequest};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt;
use web_sys::RequestCredentials;

/// A failed API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, 0 for a network error.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "HTTP {}: {}", self.status, self.message)
        }
    }
}

impl From<gloo_net::Error> for ApiError {
    /// A request that got no HTTP answer (network, CORS), or whose body could not be read.
    fn from(e: gloo_net::Error) -> ApiError {
        ApiError {
            status: 0,
            message: e.to_string(),
        }
    }
}

/// Sends `request` with the session cookie; a non-2xx answer becomes an [`ApiError`] carrying
/// the Graasp error body's message.
async fn send(request: RequestBuilder, body: Option<String>) -> Result<Response, ApiError> {
    let request = request
        .header("accept", "application/json")
        .credentials(RequestCredentials::SameOrigin);
    let request = match body {
        Some(b) => request.header("content-type", "application/json").body(b)?,
        None => request.build()?,
    };
    let response = request.send().await?;
    if response.ok() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| b.message)
        .unwrap_or_else(|_| text.chars().take(200).collect());
    Err(ApiError {
        status: response.status(),
        message,
    })
}

/// `GET path` → JSON.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = send(Request::get(path), None).await?;
    let text = response.text().await?;
    serde_json::from_str(&text).map_err(|e| ApiError {
        status: 0,
        message: format!("unexpected response from {path}: {e}"),
    })
}

/// `POST path` with a JSON body; the response body is not needed.
pub async fn post<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError {
        status: 0,
        message: e.to_string(),
    })?;
    send(Request::post(path), Some(json)).await.map(|_| ())
}

/// Dev mode: logs in as `member_id`.
pub async fn login(member_id: &str) -> Result<(), ApiError> {
    let member_id = member_id.parse().map_err(|e| ApiError {
        status: 0,
        message: format!("cannot log in: {e}"),
    })?;
    post("/api/login", &LoginRequest { member_id }).await
}

/// Ends the session.
pub async fn logout() -> Result<(), ApiError> {
    post("/api/logout", &serde_json::json!({})).await
}
