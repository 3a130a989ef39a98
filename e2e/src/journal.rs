//! The stack's request journal: every request the host origin (API + host page) received, when
//! it arrived, and how it ended (status and time, or dropped unanswered). A failed test saves
//! it next to the screenshot as `requests.log`, so a stalled write shows whether it reached the
//! server, and whether the server answered it.
//!
//! The server's own `tracing` output is not captured here: the tests of one binary share a
//! process, and a global subscriber would interleave the stacks of parallel tests.

use axum::{extract::Request, middleware::Next, response::Response};
use std::{
    fmt::Write as _,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

/// Most lines kept (a test makes a few hundred requests; a runaway page must not eat memory).
const MAX_LINES: usize = 20_000;

/// A shared, append-only log of requests (clones share it).
#[derive(Debug, Clone)]
pub struct Journal {
    started: Instant,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            started: Instant::now(),
            lines: Arc::default(),
        }
    }
}

/// Logs the end of a request when dropped: a handler future dropped before it answered (the
/// client went away, the server was stopped) still leaves a line.
struct Pending {
    journal: Journal,
    label: String,
    since: Instant,
    done: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let ms = self.since.elapsed().as_millis();
            self.journal
                .push(format!("{} dropped unanswered after {ms} ms", self.label));
        }
    }
}

impl Journal {
    fn push(&self, what: String) {
        let at = self.started.elapsed().as_secs_f64();
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() < MAX_LINES {
            lines.push(format!("{at:9.3}s {what}"));
        }
    }

    /// The lines so far, one per event.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The journal as text, one line per event.
    pub fn text(&self) -> String {
        self.lines().iter().fold(String::new(), |mut out, l| {
            let _ = writeln!(out, "{l}");
            out
        })
    }

    /// Middleware body: logs the request when it arrives and its status when it is answered.
    pub async fn record(self, req: Request, next: Next) -> Response {
        let uri = req.uri();
        let label = format!(
            "{} {}",
            req.method(),
            uri.path_and_query().map_or(uri.path(), |p| p.as_str())
        );
        self.push(format!("{label} received"));
        let mut pending = Pending {
            journal: self.clone(),
            label,
            since: Instant::now(),
            done: false,
        };
        let resp = next.run(req).await;
        pending.done = true;
        let ms = pending.since.elapsed().as_millis();
        self.push(format!(
            "{} answered {} in {ms} ms",
            pending.label,
            resp.status().as_u16()
        ));
        resp
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use axum::{
        Router,
        body::Body,
        routing::{get, patch},
    };
    use tower::ServiceExt;

    fn app(journal: &Journal) -> Router {
        let j = journal.clone();
        Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route(
                "/never",
                patch(|| async {
                    std::future::pending::<()>().await;
                    "unreachable"
                }),
            )
            .layer(axum::middleware::from_fn(move |req, next| {
                j.clone().record(req, next)
            }))
    }

    #[tokio::test]
    async fn an_answered_request_leaves_its_arrival_and_its_status() {
        let journal = Journal::default();
        let resp = app(&journal)
            .oneshot(
                Request::builder()
                    .uri("/ok?x=1")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let lines = journal.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].ends_with("GET /ok?x=1 received"), "{lines:?}");
        assert!(
            lines[1].contains("GET /ok?x=1 answered 200 in "),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn a_request_dropped_before_its_answer_is_logged_as_dropped() {
        let journal = Journal::default();
        let call = app(&journal).oneshot(
            Request::builder()
                .method("PATCH")
                .uri("/never")
                .body(Body::empty())
                .unwrap(),
        );
        // The handler never answers; give up on it as a client that goes away would.
        let r = tokio::time::timeout(std::time::Duration::from_millis(50), call).await;
        assert!(r.is_err());
        let text = journal.text();
        assert!(text.contains("PATCH /never received"), "{text}");
        assert!(
            text.contains("PATCH /never dropped unanswered after"),
            "{text}"
        );
        assert!(!text.contains("answered 2"), "{text}");
    }
}
