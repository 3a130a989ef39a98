//! The Graasp apps wire format, shared by the appframe server, SDK and host bridge.
//!
//! ```
//! use appframe_protocol::{ContextRequest, ItemId, Message};
//! let item: ItemId = "1b4e28ba-2fa1-41d2-883f-0016d3cca427".parse().unwrap();
//! let msg = Message::GetContext {
//!     item_id: item,
//!     payload: ContextRequest {
//!         key: "k".into(),
//!         origin: "http://127.0.0.1:8081".into(),
//!         appframe: None,
//!     },
//! };
//! let wire = msg.encode();
//! assert!(wire.starts_with(r#"{"type":"GET_CONTEXT_1b4e28ba"#));
//! assert_eq!(Message::decode(&wire).unwrap(), msg);
//! ```
//!
//! Everything here is plain serde so the same types compile for the browser (wasm32) and the
//! server. Message types carry the item id as a `_<itemId>` suffix and travel as JSON strings,
//! exactly as `@graasp/apps-query-client` expects.

pub mod chat_bot;
mod context;
mod dto;
mod error;
pub mod host_api;
mod ids;
pub mod lifecycle;
pub mod manifest;
mod message;
pub mod routes;
pub mod rules;
pub mod storage;
pub mod timestamp;
pub mod ws;

pub use chat_bot::{ChatBotAnswer, ChatBotMessage, ChatBotQuery, ChatBotRole};
pub use context::{Context, HostCapabilities, LocalContext, Permission};
pub use dto::*;
pub use error::{ErrorBody, ProtocolError};
pub use host_api::{HostApp, HostConfig, HostItem, LoginRequest};
pub use ids::{AccountId, AppKey, IdParseError, ItemId, RowId};
pub use lifecycle::{
    Container, ContextChange, ContextRequest, DisplayMode, ModePayload, TeardownPayload, Theme,
    ThemeMode, UrlPayload,
};
pub use message::{FailurePayload, KeyOrigin, Message, MessageKind, TokenPayload};
pub use storage::{StorageEntry, StorageKeys, StorageValue};
