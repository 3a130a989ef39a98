//! Which PostgreSQL the suites, the fuzz run and the benchmarks use: the URL from the
//! environment, else the local server when it answers.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::project::LOCAL_PG_URL;

/// The PostgreSQL URL: the env var, else the local server if it answers, else none.
pub fn postgres_url(
    from_env: Option<String>,
    local_answers: impl FnOnce() -> bool,
) -> Option<String> {
    match from_env {
        Some(url) if !url.trim().is_empty() => Some(url),
        _ if local_answers() => Some(LOCAL_PG_URL.to_owned()),
        _ => None,
    }
}

/// Whether a PostgreSQL server answers on 127.0.0.1:5432.
pub fn local_postgres_answers() -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], 5432));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::postgres_url;

    #[test]
    fn the_env_url_wins_then_the_local_server_then_nothing() {
        assert_eq!(
            postgres_url(Some("postgres://u@db/x".into()), || panic!(
                "must not probe"
            )),
            Some("postgres://u@db/x".into())
        );
        assert_eq!(
            postgres_url(None, || true).as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/test")
        );
        assert_eq!(postgres_url(Some("  ".into()), || false), None);
        assert_eq!(postgres_url(None, || false), None);
    }
}
