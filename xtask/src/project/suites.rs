//! The test suites `cargo xtask test` runs, in order, and what they need from the machine.

/// What a test suite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteKind {
    /// `cargo test --locked -p <crate>` on the host target.
    Native,
    /// `cargo test --locked --target wasm32-unknown-unknown -p <crate>...` in headless Chromium.
    WasmBrowser,
    /// The crate's API tests again against PostgreSQL (only when one is reachable).
    Postgres,
    /// The server's scale-out tests: a real S3-compatible server, two server processes on
    /// PostgreSQL behind HAProxy (the tools from `scale_tools`; skipped, with the reason,
    /// only when one cannot be installed or no PostgreSQL answers).
    ScaleOut,
    /// The server's OpenAPI document linted, and a client generated from it type-checked
    /// (`openapi.rs`).
    OpenApi,
    /// The end-to-end crate (needs the built dist/ and Chromium).
    EndToEnd,
    /// `cargo xtask new-app` for every template in a scratch copy, the apps built and run in
    /// the demo host (`new_app_suite.rs`, then the e2e crate's `new_app` test).
    NewApp,
}

impl SuiteKind {
    /// Whether the suite serves the bundles of dist/, which the build step then writes first.
    pub fn needs_bundles(self) -> bool {
        matches!(self, SuiteKind::EndToEnd | SuiteKind::NewApp)
    }
}

/// One test suite of `cargo xtask test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    /// Short name for `cargo xtask test --only <id>`.
    pub id: &'static str,
    /// Name shown in the summary table.
    pub name: &'static str,
    /// How it runs.
    pub kind: SuiteKind,
    /// Crate folders relative to the root, tested in one cargo invocation.
    pub crate_dirs: &'static [&'static str],
    /// Test target to run alone when the crate has it (e.g. the API suite `api`); otherwise all.
    pub test_target: Option<&'static str>,
    /// Test name filter passed to the harness; a filter that matches no test fails the suite.
    pub test_filter: Option<&'static str>,
    /// Test names to leave out (`--skip`, substring match), e.g. the Postgres copies in the
    /// SQLite run, where they would only return early and count as passes.
    pub test_skip: &'static [&'static str],
    /// A missing crate is an error rather than a skipped suite.
    pub required: bool,
    /// Cargo features to enable (`crate/feature`), e.g. the JS facades, whose tests only
    /// compile with them.
    pub features: &'static [&'static str],
}

/// Every test suite, in run order (cheap and foundational first, so failures come fast).
pub const SUITES: &[Suite] = &[
    Suite {
        id: "xtask",
        name: "xtask",
        kind: SuiteKind::Native,
        crate_dirs: &["xtask", "wasm-post"],
        test_target: None,
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "protocol",
        name: "protocol",
        kind: SuiteKind::Native,
        crate_dirs: &["protocol"],
        test_target: None,
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "server",
        name: "server (SQLite)",
        kind: SuiteKind::Native,
        crate_dirs: &["server"],
        test_target: None,
        test_filter: None,
        // Their own suites below run these against PostgreSQL, S3 and HAProxy.
        test_skip: &["postgres::", "postgres_only::", "scale_out::"],
        required: true,
        features: &[],
    },
    Suite {
        id: "sdk",
        name: "sdk (native)",
        kind: SuiteKind::Native,
        crate_dirs: &["app-sdk"],
        test_target: None,
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "browser",
        name: "sdk + host (Chromium)",
        kind: SuiteKind::WasmBrowser,
        crate_dirs: &["app-sdk", "host"],
        test_target: None,
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &["appframe-sdk/js", "appframe-host/js"],
    },
    Suite {
        id: "postgres-api",
        name: "server API (PostgreSQL)",
        kind: SuiteKind::Postgres,
        crate_dirs: &["server"],
        test_target: Some("api"),
        // The API tests are written once and instantiated as `sqlite::<name>` and
        // `postgres::<name>`; the SQLite ones already ran in "server (SQLite)".
        test_filter: Some("postgres::"),
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "postgres-ws",
        name: "server websockets (PostgreSQL)",
        kind: SuiteKind::Postgres,
        crate_dirs: &["server"],
        test_target: Some("ws"),
        // The `postgres::` copies and the `postgres_only::` LISTEN/NOTIFY tests (a lost
        // listener, two server processes sharing one database).
        test_filter: Some("postgres"),
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "scale-out",
        name: "scale-out (S3, 2 instances, HAProxy, PostgreSQL)",
        kind: SuiteKind::ScaleOut,
        crate_dirs: &["server"],
        test_target: Some("scale_out"),
        test_filter: Some("scale_out::"),
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "openapi",
        name: "OpenAPI (Redocly lint + typed client)",
        kind: SuiteKind::OpenApi,
        crate_dirs: &["server"],
        test_target: None,
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "npm",
        name: "npm packages (pack, offline install, esbuild, Chromium)",
        kind: SuiteKind::EndToEnd,
        crate_dirs: &["e2e"],
        test_target: Some("npm"),
        test_filter: Some(NPM_TESTS),
        test_skip: &[],
        required: true,
        features: &[],
    },
    Suite {
        id: "e2e",
        name: "end-to-end (Chromium)",
        kind: SuiteKind::EndToEnd,
        crate_dirs: &["e2e"],
        test_target: None,
        test_filter: None,
        // The npm suite above runs the npm tests; the new-app suite runs its test, with the apps
        // it made (it fails without them).
        test_skip: &[NPM_TESTS, "new_app_templates"],
        required: true,
        features: &[],
    },
    Suite {
        id: "new-app",
        name: "new-app (every template made, built, run in the host)",
        kind: SuiteKind::NewApp,
        crate_dirs: &["e2e"],
        test_target: Some("new_app"),
        test_filter: None,
        test_skip: &[],
        required: true,
        features: &[],
    },
];

/// The prefix of the npm packages' end-to-end tests (`e2e/tests/npm.rs`).
pub const NPM_TESTS: &str = "npm_package";

/// Env var through which the server's API tests receive a PostgreSQL URL.
pub const PG_URL_VAR: &str = "APPFRAME_TEST_DATABASE_URL";

/// The local PostgreSQL used when [`PG_URL_VAR`] is unset but port 5432 answers.
pub const LOCAL_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
