//! The SDK's one error type. `Error::code()` strings are API: apps and the JS facade match on them.

/// Everything that can go wrong in the SDK.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The page is not inside an iframe and standalone mode is disabled.
    NotEmbedded,
    /// Embedded, but the page URL has no valid `?itemId=`.
    MissingItemId,
    /// The host did not answer `GET_CONTEXT` in time.
    ContextTimeout,
    /// The host answered `GET_CONTEXT_FAILURE`.
    ContextRefused {
        /// The host's machine code (may be empty).
        code: String,
        /// The host's reason.
        message: String,
    },
    /// The context arrived without a `MessagePort` (and the host is not in mobile mode).
    PortMissing,
    /// The host answered `GET_AUTH_TOKEN_FAILURE`.
    TokenRefused {
        /// The host's machine code (may be empty).
        code: String,
        /// The host's reason.
        message: String,
    },
    /// The host did not answer `GET_AUTH_TOKEN` in time.
    TokenTimeout,
    /// Posting on the host channel failed (the port is closed or detached).
    PortClosed(String),
    /// The server answered with an error status; `code`/`message` come from the Graasp error body.
    Http {
        /// HTTP status.
        status: u16,
        /// Graasp error code (e.g. `GAERR004`), empty when the body had none.
        code: String,
        /// Error message (e.g. `APP_DATA_NOT_FOUND`).
        message: String,
    },
    /// The request did not reach the server (offline, CORS, DNS).
    Network(String),
    /// A response or message could not be decoded.
    Decode(String),
    /// The browser storage of the standalone backend failed (quota, privacy mode).
    Storage(String),
    /// A browser API failed or is missing.
    Browser(String),
    /// The server refused a live-update request (`ACCESS_DENIED`, `BAD_REQUEST`, `NOT_FOUND`,
    /// `SERVER_ERROR`); the subscription stays registered and other topics are unaffected.
    Live {
        /// The server's error name.
        name: String,
        /// The server's message.
        message: String,
    },
    /// The operation exists only in standalone mode.
    NotStandalone,
    /// The host does not offer this protocol-v2 feature (a Graasp or v1 host, or a host that
    /// left it out): the feature's name, e.g. `open-link`.
    HostUnsupported(&'static str),
    /// The host refused a protocol-v2 request (`REQUEST_DISPLAY_MODE`, `OPEN_LINK`); `code` is
    /// the host's, e.g. `USER_GESTURE_REQUIRED`, `LINK_REFUSED`.
    HostRefused {
        /// The host's machine code.
        code: String,
        /// The host's reason.
        message: String,
    },
    /// The host did not answer a protocol-v2 request in time: the request's type.
    HostTimeout(&'static str),
    /// The host did not answer `PING`: it is gone or hung.
    HostLost,
}

/// What each variant prints first, in the order of [`Error::index`]; `Http` writes `HTTP
/// <status>` before its `: `.
const REASONS: [&str; 19] = [
    "the app is not embedded in a host page and standalone mode is disabled",
    "the page URL has no valid ?itemId= parameter",
    "the host did not send the context in time",
    "the host refused the context: ",
    "the host sent the context without a message port",
    "the host refused the token: ",
    "the host did not send a token in time",
    "the channel to the host is closed: ",
    ": ",
    "network error: ",
    "could not decode: ",
    "storage error: ",
    "browser error: ",
    "live updates refused: ",
    "this operation is only available in standalone mode",
    "the host does not offer ",
    "the host refused: ",
    "the host did not answer in time: ",
    "the host does not answer",
];

/// [`Error::code`] of each variant, in the order of [`Error::index`].
const CODES: [&str; 19] = [
    "NotEmbedded",
    "MissingItemId",
    "ContextTimeout",
    "ContextRefused",
    "PortMissing",
    "TokenRefused",
    "TokenTimeout",
    "PortClosed",
    "Http",
    "Network",
    "Decode",
    "Storage",
    "Browser",
    "Live",
    "NotStandalone",
    "HostUnsupported",
    "HostRefused",
    "HostTimeout",
    "HostLost",
];

impl std::fmt::Display for Error {
    /// The variant's reason from [`REASONS`], its detail, and a code in parentheses. Tables and
    /// one writer rather than a template per variant: apps print errors, and `write!`
    /// templates (later a match of texts) for every variant were a visible share of a small
    /// app's wasm.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (detail, code): (&str, Option<&str>) = match self {
            Error::ContextRefused { code, message }
            | Error::TokenRefused { code, message }
            | Error::HostRefused { code, message } => (message, Some(code)),
            Error::Live { name, message } => (message, Some(name)),
            Error::Http {
                status,
                code,
                message,
            } => {
                f.write_str("HTTP ")?;
                f.write_str(&crate::wire::text::int_text(i64::from(*status)))?;
                (message, Some(code))
            }
            Error::PortClosed(m)
            | Error::Network(m)
            | Error::Decode(m)
            | Error::Storage(m)
            | Error::Browser(m) => (m, None),
            Error::HostUnsupported(s) | Error::HostTimeout(s) => (s, None),
            _ => ("", None),
        };
        f.write_str(REASONS.get(self.index()).copied().unwrap_or_default())?;
        f.write_str(detail)?;
        if let Some(code) = code {
            f.write_str(" (")?;
            f.write_str(code)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A stable machine code for this error (e.g. `"ContextTimeout"`, `"Http"`).
    pub fn code(&self) -> &'static str {
        CODES.get(self.index()).copied().unwrap_or_default()
    }

    /// The variant's place in [`REASONS`] and [`CODES`] (declaration order).
    fn index(&self) -> usize {
        match self {
            Error::NotEmbedded => 0,
            Error::MissingItemId => 1,
            Error::ContextTimeout => 2,
            Error::ContextRefused { .. } => 3,
            Error::PortMissing => 4,
            Error::TokenRefused { .. } => 5,
            Error::TokenTimeout => 6,
            Error::PortClosed(_) => 7,
            Error::Http { .. } => 8,
            Error::Network(_) => 9,
            Error::Decode(_) => 10,
            Error::Storage(_) => 11,
            Error::Browser(_) => 12,
            Error::Live { .. } => 13,
            Error::NotStandalone => 14,
            Error::HostUnsupported(_) => 15,
            Error::HostRefused { .. } => 16,
            Error::HostTimeout(_) => 17,
            Error::HostLost => 18,
        }
    }

    /// The HTTP status for `Http` errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for HTTP 403 (the caller may not do this).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// True for HTTP 404 (no such row, or not visible to the caller).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// An `Http` error as the server (and the standalone backend) produce it.
    #[cfg_attr(not(feature = "standalone"), allow(dead_code))]
    pub(crate) fn http(status: u16, code: &str, message: &str) -> Error {
        Error::Http {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// Renders a thrown JS value (usually an `Error`) as text.
pub(crate) fn js_text(v: &wasm_bindgen::JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s;
    }
    js_sys::Reflect::get(v, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| js_string(v).ok())
        .unwrap_or_else(|| "unprintable JS value".to_owned())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `String(v)`: how JS itself prints a thrown value. Preferred to `{v:?}`, whose
    /// `JsValue` debug printer adds a large function to the JS glue.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string(v: &wasm_bindgen::JsValue) -> Result<String, wasm_bindgen::JsValue>;
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn errors_print_their_reason_and_details() {
        assert_eq!(
            Error::http(404, "GAERR004", "APP_DATA_NOT_FOUND").to_string(),
            "HTTP 404: APP_DATA_NOT_FOUND (GAERR004)"
        );
        assert_eq!(
            Error::TokenRefused {
                code: "C".into(),
                message: "no".into()
            }
            .to_string(),
            "the host refused the token: no (C)"
        );
        assert_eq!(
            Error::Network("offline".into()).to_string(),
            "network error: offline"
        );
        assert_eq!(
            Error::ContextTimeout.to_string(),
            "the host did not send the context in time"
        );
    }

    /// One of each variant with its code and text: the tables follow the declaration order.
    #[test]
    fn every_variant_has_its_code_and_reason() {
        let s = || "x".to_owned();
        let cases = [
            (
                Error::NotEmbedded,
                "NotEmbedded",
                "the app is not embedded in a host page and standalone mode is disabled",
            ),
            (
                Error::MissingItemId,
                "MissingItemId",
                "the page URL has no valid ?itemId= parameter",
            ),
            (
                Error::ContextTimeout,
                "ContextTimeout",
                "the host did not send the context in time",
            ),
            (
                Error::ContextRefused {
                    code: "C".into(),
                    message: s(),
                },
                "ContextRefused",
                "the host refused the context: x (C)",
            ),
            (
                Error::PortMissing,
                "PortMissing",
                "the host sent the context without a message port",
            ),
            (
                Error::TokenRefused {
                    code: "C".into(),
                    message: s(),
                },
                "TokenRefused",
                "the host refused the token: x (C)",
            ),
            (
                Error::TokenTimeout,
                "TokenTimeout",
                "the host did not send a token in time",
            ),
            (
                Error::PortClosed(s()),
                "PortClosed",
                "the channel to the host is closed: x",
            ),
            (Error::http(500, "C", "x"), "Http", "HTTP 500: x (C)"),
            (Error::Network(s()), "Network", "network error: x"),
            (Error::Decode(s()), "Decode", "could not decode: x"),
            (Error::Storage(s()), "Storage", "storage error: x"),
            (Error::Browser(s()), "Browser", "browser error: x"),
            (
                Error::Live {
                    name: "N".into(),
                    message: s(),
                },
                "Live",
                "live updates refused: x (N)",
            ),
            (
                Error::NotStandalone,
                "NotStandalone",
                "this operation is only available in standalone mode",
            ),
            (
                Error::HostUnsupported("open-link"),
                "HostUnsupported",
                "the host does not offer open-link",
            ),
            (
                Error::HostRefused {
                    code: "C".into(),
                    message: s(),
                },
                "HostRefused",
                "the host refused: x (C)",
            ),
            (
                Error::HostTimeout("PING"),
                "HostTimeout",
                "the host did not answer in time: PING",
            ),
            (Error::HostLost, "HostLost", "the host does not answer"),
        ];
        for (e, code, text) in cases {
            assert_eq!((e.code(), e.to_string().as_str()), (code, text));
        }
    }

    #[test]
    fn codes_are_stable_strings() {
        assert_eq!(Error::ContextTimeout.code(), "ContextTimeout");
        assert_eq!(Error::TokenTimeout.code(), "TokenTimeout");
        assert_eq!(Error::PortClosed("x".into()).code(), "PortClosed");
        assert_eq!(
            Error::TokenRefused {
                code: "A".into(),
                message: "b".into()
            }
            .code(),
            "TokenRefused"
        );
        assert_eq!(Error::NotEmbedded.code(), "NotEmbedded");
        assert_eq!(Error::HostUnsupported("ping").code(), "HostUnsupported");
        assert_eq!(Error::HostLost.code(), "HostLost");
        assert_eq!(
            Error::HostRefused {
                code: "LINK_REFUSED".into(),
                message: "no".into()
            }
            .to_string(),
            "the host refused: no (LINK_REFUSED)"
        );
        assert_eq!(
            Error::HostTimeout("OPEN_LINK").to_string(),
            "the host did not answer in time: OPEN_LINK"
        );
    }
}
