//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while starting the stack, driving the browser or checking a page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bundle the tests need is not in `dist/`.
    #[error(
        "{what} is missing: {path} does not exist. Build the bundles first with `cargo xtask build` \
         (or point APPFRAME_DIST_DIR at a built dist/ folder)"
    )]
    MissingDist {
        /// Which bundle.
        what: String,
        /// The file that should be there.
        path: PathBuf,
    },
    /// chromedriver or chromium could not be found or started.
    #[error("browser: {0}")]
    Browser(String),
    /// The server could not be built or started.
    #[error("server: {0}")]
    Server(#[from] appframe_server::Error),
    /// A WebDriver command failed.
    #[error("webdriver: {0}")]
    WebDriver(#[from] fantoccini::error::CmdError),
    /// The WebDriver session could not be created.
    #[error("webdriver session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    /// A file or socket operation failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A JSON value did not have the expected shape.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A condition did not hold within its time limit.
    #[error("timed out after {waited_ms} ms waiting for {what}")]
    Timeout {
        /// What was awaited, in words.
        what: String,
        /// How long.
        waited_ms: u128,
    },
    /// A tool the test runs (npm, esbuild) failed or could not start.
    #[error("{0}")]
    Tool(String),
    /// A check of the page failed.
    #[error("check failed: {0}")]
    Check(String),
}

impl Error {
    /// A timeout told with what the page showed last (`label`: e.g. "shown"); any other error
    /// as it is.
    pub fn with_last(self, label: &str, last: &impl std::fmt::Debug) -> Error {
        match self {
            Error::Timeout { what, waited_ms } => Error::Timeout {
                what: format!("{what}; {label}: {last:?}"),
                waited_ms,
            },
            e => e,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fails with [`Error::Check`] and a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err($crate::Error::Check(format!($($msg)+)));
        }
    };
}
