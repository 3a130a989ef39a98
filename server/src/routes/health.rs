//! `GET /api/health`: what a load balancer polls to know an instance serves. It answers from
//! the process alone (no database round trip per poll): every instance shares the database,
//! so a database outage is not a reason to send traffic to another instance. A stopping
//! instance stops accepting connections at once (graceful shutdown), which the balancer's next
//! check sees, while the requests it already has run to their end.

use axum::{Router, routing::get};

/// The health route.
pub fn router() -> Router {
    Router::new().route("/health", get(health))
}

/// Check that the instance serves
///
/// What a load balancer polls: `200` with the text `ok` while this instance accepts requests,
/// answered from the process alone (no credentials, no database round trip).
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, description = "The instance serves requests", body = String)),
    security(()))]
pub async fn health() -> &'static str {
    "ok"
}
