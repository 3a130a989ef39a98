//! Scale-out: files on a real S3-compatible server, and two server processes on one
//! PostgreSQL database and one bucket behind a real load balancer (HAProxy).
//!
//! Every test is named `scale_out::*`. `cargo xtask test` runs them in their own suite with
//! the programs they need (`APPFRAME_TEST_S3_SERVER`: moto's `moto_server`;
//! `APPFRAME_TEST_HAPROXY`: `haproxy`; `APPFRAME_TEST_DATABASE_URL`), installed by `cargo
//! xtask setup`; when one cannot be installed the suite is skipped and the summary says why.
//! By hand: `cargo xtask test --only scale-out`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

mod scale_out {
    mod balanced;
    mod client;
    mod procs;
    mod s3;
}
