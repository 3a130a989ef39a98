//! The crate's one error type.

use wasm_bindgen::JsValue;

/// Why a bridge could not be attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No `window` (not running in a browser page).
    #[error("no browser window")]
    NoWindow,
    /// The app URL does not parse as a URL (relative URLs are resolved against the page).
    // Quoted by hand: `{url:?}` would bring Debug escaping and its Unicode tables into the package.
    #[error("app URL \"{url}\" is not a valid URL")]
    BadAppUrl {
        /// The URL as given.
        url: String,
    },
    /// The origin of the app URL is not one of the app's registered origins.
    #[error("origin {origin} of the app URL is not among the registered app origins")]
    OriginNotRegistered {
        /// The app URL's origin.
        origin: String,
    },
    /// An option is out of range (e.g. `min_height > max_height`), or a JS option has the wrong type.
    #[error("invalid bridge option: {0}")]
    BadOptions(String),
    /// A browser API failed.
    #[error("browser error: {0}")]
    Js(String),
}

impl Error {
    /// A stable machine code (API: the JS facade throws it as `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoWindow => "NoWindow",
            Error::BadAppUrl { .. } => "BadAppUrl",
            Error::OriginNotRegistered { .. } => "OriginNotRegistered",
            Error::BadOptions(_) => "BadOptions",
            Error::Js(_) => "Js",
        }
    }

    /// The `Display` text, built without `core::fmt` (the JS package throws it).
    #[cfg(any(feature = "js", test))]
    pub(crate) fn message(&self) -> String {
        match self {
            Error::NoWindow => "no browser window".to_owned(),
            Error::BadAppUrl { url } => ["app URL \"", url, "\" is not a valid URL"].concat(),
            Error::OriginNotRegistered { origin } => [
                "origin ",
                origin,
                " of the app URL is not among the registered app origins",
            ]
            .concat(),
            Error::BadOptions(why) => ["invalid bridge option: ", why].concat(),
            Error::Js(why) => ["browser error: ", why].concat(),
        }
    }

    /// Wraps a thrown JS value.
    pub(crate) fn js(v: JsValue) -> Self {
        Error::Js(js_message(&v))
    }
}

/// The best human-readable text of a thrown JS value (`Error.message`, a string, or its JSON).
pub(crate) fn js_message(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s;
    }
    if let Ok(m) = js_sys::Reflect::get(v, &JsValue::from_str("message"))
        && let Some(s) = m.as_string()
    {
        return s;
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "unknown JavaScript error".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_display_text() {
        for e in [
            Error::NoWindow,
            Error::BadAppUrl { url: "x y".into() },
            Error::OriginNotRegistered {
                origin: "http://a".into(),
            },
            Error::BadOptions("tokenBurst".into()),
            Error::Js("boom".into()),
        ] {
            assert_eq!(e.message(), e.to_string());
        }
    }
}
