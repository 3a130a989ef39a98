//! Files on a real S3-compatible server: one server process (SQLite) with
//! `files_url = "s3://appframe-files/<prefix>"`.

use super::{
    client::*,
    procs::{Instance, S3_SERVER_VAR, S3Server, free_port, instance_config, tool},
};
use crate::common::{ALICE, BOB, NOTES_ITEM, expect_error, json_ok};
use reqwest::{Method, StatusCode};

const BUCKET: &str = "appframe-files";

/// moto, or `None` after saying why (only outside `cargo xtask test`, which sets the variable).
async fn s3() -> Option<S3Server> {
    let Some(moto) = tool(S3_SERVER_VAR) else {
        eprintln!("skipped: {S3_SERVER_VAR} is not set (cargo xtask test sets it)");
        return None;
    };
    Some(S3Server::start(&moto, BUCKET).await)
}

/// One instance storing its files under `prefix` of the test bucket.
async fn instance(
    s3: &S3Server,
    prefix: &str,
    tweak: fn(&mut appframe_server::config::Config),
) -> Instance {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut c = instance_config(port, &base, Some(&format!("s3://{BUCKET}/{prefix}")));
    tweak(&mut c);
    Instance::start(c, &s3.env()).await
}

/// Regular files below `dir` (none may land on the local disk when S3 is configured).
fn local_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { local_files(&p) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_go_to_the_bucket_download_by_signed_url_and_deletes_remove_them() {
    let Some(s3) = s3().await else { return };
    let t = instance(&s3, "tenant-a", |_| {}).await;
    let token = mint(&t.base, &login(&t.base, BOB).await, NOTES_ITEM).await;
    let bytes = "snow ❄ on S3\n".repeat(1000).into_bytes();
    let row = json_ok(upload(&t.base, &token, "notes ❄.txt", bytes.clone()).await).await;
    let id = row["id"].as_str().unwrap().to_owned();
    let path = row["data"]["file"]["path"].as_str().unwrap().to_owned();
    assert_eq!(path, format!("apps/app-data/{NOTES_ITEM}/{id}"));
    // Under the prefix, and nothing else: the start-up probe deleted its object.
    assert_eq!(s3.keys().await, vec![format!("tenant-a/{path}")]);
    assert_eq!(
        local_files(&t.data_dir().join("files")),
        0,
        "nothing on the local disk"
    );

    let url = download_url(&t.base, &token, &id).await;
    assert!(url.starts_with(&format!("{}/api/files/", t.base)), "{url}");
    let r = crate::common::plain_client()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-length"].to_str().unwrap(),
        bytes.len().to_string()
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''notes%20%E2%9D%84.txt")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // An admin's app-setting file lands beside it.
    let admin = mint(&t.base, &login(&t.base, ALICE).await, NOTES_ITEM).await;
    let part = reqwest::multipart::Part::bytes(b"{\"palette\":1}".to_vec())
        .file_name("palette.json")
        .mime_str("application/json")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("name", "palette")
        .part("files", part);
    let setting = json_ok(
        app_req(
            &t.base,
            &admin,
            Method::POST,
            "/app-items/app-settings/upload",
        )
        .multipart(form)
        .send()
        .await
        .unwrap(),
    )
    .await;
    let setting_id = setting["id"].as_str().unwrap();
    assert!(s3.keys().await.contains(&format!(
        "tenant-a/apps/app-setting/{NOTES_ITEM}/{setting_id}"
    )));

    let r = app_req(
        &t.base,
        &token,
        Method::DELETE,
        &format!("/app-items/{NOTES_ITEM}/app-data/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        s3.keys().await,
        vec![format!(
            "tenant-a/apps/app-setting/{NOTES_ITEM}/{setting_id}"
        )],
        "deleting the row deletes its object"
    );
    let (status, _, _) = fetch_digest(&url).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the signed URL of a deleted file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_and_the_size_limit_hold_on_s3_and_leave_nothing_behind() {
    let Some(s3) = s3().await else { return };
    let t = instance(&s3, "quota", |c| {
        c.server.member_file_bytes = 100_000;
        c.server.max_file_bytes = 80_000;
    })
    .await;
    let token = mint(&t.base, &login(&t.base, BOB).await, NOTES_ITEM).await;
    // Over max_file_bytes (and within the member's quota): 413.
    expect_error(
        upload(&t.base, &token, "c.bin", pattern(90_000)).await,
        413,
        None,
    )
    .await;
    assert!(
        s3.keys().await.is_empty(),
        "a refused upload leaves no object"
    );
    json_ok(upload(&t.base, &token, "a.bin", pattern(60_000)).await).await;
    assert_eq!(s3.keys().await.len(), 1);
    // Over the member's file bytes: refused while streaming, the multipart upload aborted.
    let e = expect_error(
        upload(&t.base, &token, "b.bin", pattern(60_000)).await,
        403,
        None,
    )
    .await;
    assert_eq!(e.code, "AFERR018", "member file bytes: {e:?}");
    assert_eq!(
        s3.keys().await.len(),
        1,
        "a refused upload leaves no object"
    );
    // Another member still has room.
    let alice = mint(&t.base, &login(&t.base, ALICE).await, NOTES_ITEM).await;
    json_ok(upload(&t.base, &alice, "d.bin", pattern(60_000)).await).await;
    assert_eq!(s3.keys().await.len(), 2);
}

/// Peak resident memory of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_file_streams_through_without_being_held_in_memory() {
    const SIZE: usize = 40 * 1024 * 1024;
    let Some(s3) = s3().await else { return };
    let t = instance(&s3, "big", |c| c.server.max_file_bytes = 64 * 1024 * 1024).await;
    let token = mint(&t.base, &login(&t.base, BOB).await, NOTES_ITEM).await;
    let bytes = pattern(SIZE);
    let want = digest(&bytes);
    let before = peak_rss(t.pid());
    let row = json_ok(upload(&t.base, &token, "big.bin", bytes).await).await;
    assert_eq!(row["data"]["file"]["size"], SIZE);
    let url = download_url(&t.base, &token, row["id"].as_str().unwrap()).await;
    let (status, len, got) = fetch_digest(&url).await;
    assert_eq!((status, len), (StatusCode::OK, SIZE as u64));
    assert_eq!(got, want, "the downloaded bytes are the uploaded ones");
    // Several 5 MiB parts are uploaded and several chunks read, but never the whole file.
    let grew = peak_rss(t.pid()).saturating_sub(before);
    eprintln!(
        "peak RSS before {} MiB, grew by {} MiB for a {} MiB file",
        before / (1024 * 1024),
        grew / (1024 * 1024),
        SIZE / (1024 * 1024)
    );
    assert!(
        grew < (SIZE / 2) as u64,
        "the server's peak memory grew by {} MiB for a {} MiB file",
        grew / (1024 * 1024),
        SIZE / (1024 * 1024)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_or_a_bad_files_url_stops_the_start_with_its_code() {
    let Some(s3) = s3().await else { return };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let missing = Instance::start_failing(
        instance_config(port, &base, Some("s3://no-such-bucket/x")),
        &s3.env(),
    )
    .await;
    assert!(!missing.status.success());
    assert!(
        missing.log.contains("AFERR041") && missing.log.contains("no-such-bucket"),
        "{}",
        missing.log
    );
    let bad = Instance::start_failing(
        instance_config(port, &base, Some("s3://Not_A_Bucket")),
        &s3.env(),
    )
    .await;
    assert!(!bad.status.success());
    assert!(
        bad.log.contains("AFERR040: server.files_url"),
        "{}",
        bad.log
    );
    // The same refusal from `check-config`, before anything starts.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appframe.toml");
    let mut c = instance_config(port, &base, Some("https://s3.example.org/b"));
    c.server.data_dir = dir.path().join("data");
    std::fs::write(&file, toml::to_string(&c).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appframe-server"))
        .arg("check-config")
        .arg(&file)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("AFERR040"), "{said}");
}
