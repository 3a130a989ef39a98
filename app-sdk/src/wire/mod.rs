//! The JSON and postMessage codecs of the SDK.

pub(crate) mod codec;
#[cfg(feature = "js")]
pub(crate) mod jsde;
pub(crate) mod json;
pub(crate) mod message;
