//! The host-page routes of the appframe server (same origin, session cookie); their bodies
//! are the `appframe_protocol::host_api` types.

use appframe_protocol::{ErrorBody, LoginRequest};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

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

fn js_err(v: JsValue) -> ApiError {
    ApiError {
        status: 0,
        message: v
            .as_string()
            .or_else(|| {
                js_sys::Reflect::get(&v, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| "network error".into()),
    }
}

async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let window = web_sys::window().ok_or_else(|| js_err("no window".into()))?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = Headers::new().map_err(js_err)?;
    headers.set("accept", "application/json").map_err(js_err)?;
    if let Some(b) = body {
        headers
            .set("content-type", "application/json")
            .map_err(js_err)?;
        init.set_body(&JsValue::from_str(&b));
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(path, &init).map_err(js_err)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let text = JsFuture::from(response.text().map_err(js_err)?)
        .await
        .map_err(js_err)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        Ok(text)
    } else {
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.message)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        Err(ApiError {
            status: response.status(),
            message,
        })
    }
}

/// `GET path` → JSON.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let text = call("GET", path, None).await?;
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
    call("POST", path, Some(json)).await.map(|_| ())
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
