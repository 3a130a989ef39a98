//! The embedded backend: the page runs in a host's iframe. The GET_CONTEXT handshake, the
//! message channel to the host, the app token, the HTTP client of the app routes, and resizing
//! the iframe.

pub(crate) mod backend;
pub(crate) mod boot;
pub(crate) mod channel;
pub(crate) mod handshake;
pub(crate) mod http;
pub(crate) mod lifecycle;
pub(crate) mod resize;
pub(crate) mod signal;
pub(crate) mod storage;
pub(crate) mod token;
