//! The configuration log: one line per applied change, nothing on a second start.
//!
//! This test has a binary of its own because it captures `tracing` output with a scoped
//! (thread-local) subscriber. `tracing-core` caches each log callsite's interest globally, and
//! while a scoped subscriber is the only one registered it computes that interest from the
//! registering thread's default: a test on another thread of the same binary that reaches the
//! `configuration:` callsite first (any test that starts a server does) caches it as "never",
//! and this test then captures nothing. Alone in its process, the callsite is first reached here.

#![allow(clippy::expect_used, missing_docs)]

use appframe_server::{
    config::Config,
    reconcile::{Change, apply},
    store::{Entry, SqliteStore, Store},
};
use std::sync::{Arc, Mutex};

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn applying_logs_one_line_per_change_and_a_second_start_changes_nothing() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("a.db"))
        .await
        .expect("open store");
    store.migrate().await.expect("migrate");
    let mut config = Config::demo();
    let added = apply(&store, &config).await.expect("first apply");
    assert!(
        !added.is_empty(),
        "the demo config adds entries to an empty store"
    );
    config.api_keys.clear();
    let revoked = apply(&store, &config).await.expect("second apply");
    assert_eq!(
        revoked,
        vec![Change::Revoke(Entry::ApiKey("demo-integration".into()))]
    );
    assert_eq!(apply(&store, &config).await.expect("third apply"), vec![]);
    let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8 log");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("configuration: "))
        .collect();
    assert_eq!(lines.len(), added.len() + 1, "{text}");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with("configuration: revoke api key \"demo-integration\"")),
        "{text}"
    );
}
