//! The real processes of the scale-out tests, each on `127.0.0.1:<free port>` and killed when
//! its handle drops: an S3-compatible server (moto's server mode, installed by `cargo xtask
//! setup`), appframe server processes (this package's binary), and HAProxy rendered from the
//! committed `deploy/haproxy.cfg`.

use crate::common::{JWT_SECRET, plain_client, test_config};
use appframe_server::config::Config;
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::{Child, Command};

/// `moto_server` of the venv `cargo xtask setup` made (set by `cargo xtask test`).
pub const S3_SERVER_VAR: &str = "APPFRAME_TEST_S3_SERVER";
/// `haproxy` (set by `cargo xtask test`).
pub const HAPROXY_VAR: &str = "APPFRAME_TEST_HAPROXY";

/// The region and credentials every test S3 client uses (moto accepts any).
pub const REGION: &str = "us-east-1";
const KEY_ID: &str = "appframe-test";
const SECRET: &str = "appframe-test-secret";

/// How long a process may take to start answering.
const START: Duration = Duration::from_secs(30);

/// The path of the tool in `var`, or `None` (the caller prints why it skips).
pub fn tool(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

/// A port nothing listens on now (bound and released; the process started next binds it).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Polls `url` until it answers 200; panics with `what`'s log when `child` exits or time is up.
async fn wait_ready(url: &str, child: &mut Child, what: &str, log: &Path) {
    let http = plain_client();
    let deadline = tokio::time::Instant::now() + START;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited while starting ({status}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not answer {url} within {START:?}:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A log file in `dir` for a child's stdout and stderr.
fn log_file(dir: &Path, name: &str) -> (PathBuf, Stdio, Stdio) {
    let path = dir.join(format!("{name}.log"));
    let f = std::fs::File::create(&path).expect("create log file");
    let g = f.try_clone().expect("clone log file");
    (path, Stdio::from(f), Stdio::from(g))
}

/// A running S3-compatible server with one bucket.
pub struct S3Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket the tests use.
    pub bucket: String,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl S3Server {
    /// Starts moto's server and creates `bucket` on it.
    pub async fn start(moto: &Path, bucket: &str) -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let (log, out, err) = log_file(dir.path(), "s3");
        let mut child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", moto.display()));
        let endpoint = format!("http://127.0.0.1:{port}");
        // moto's own status route (not part of the S3 API).
        wait_ready(
            &format!("{endpoint}/moto-api/data.json"),
            &mut child,
            "the S3 server",
            &log,
        )
        .await;
        let s3 = S3Server {
            endpoint,
            bucket: bucket.to_owned(),
            _child: child,
            _dir: dir,
        };
        s3.create_bucket(bucket).await;
        s3
    }

    /// `CreateBucket` (moto does not check signatures, so a plain PUT is the S3 call).
    pub async fn create_bucket(&self, bucket: &str) {
        let r = plain_client()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "create bucket: {}", r.status());
    }

    /// The `AWS_*` variables a server process needs to reach this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// A client of the bucket, to look at what the server stored (the real S3 API, no mock).
    pub fn client(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region(REGION)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .with_bucket_name(&self.bucket)
            .build()
            .expect("S3 client")
    }

    /// Every key in the bucket, sorted.
    pub async fn keys(&self) -> Vec<String> {
        use futures::TryStreamExt;
        use object_store::ObjectStore;
        let mut keys: Vec<String> = self
            .client()
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .expect("list the bucket");
        keys.sort();
        keys
    }
}

/// The test config for a server process: [`test_config`] on `port`, files on `files_url`.
pub fn instance_config(port: u16, public_url: &str, files_url: Option<&str>) -> Config {
    let mut c = test_config();
    c.server.addr = format!("127.0.0.1:{port}");
    c.server.public_url = public_url.to_owned();
    c.server.files_url = files_url.map(str::to_owned);
    c.server.jwt_secret = Some(JWT_SECRET.to_owned());
    c
}

/// A running appframe server process.
pub struct Instance {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The `host:port` it listens on.
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
}

/// How an instance ended when it was expected to fail at start.
pub struct Failed {
    /// Its exit status.
    pub status: std::process::ExitStatus,
    /// What it printed.
    pub log: String,
}

impl Instance {
    /// Writes `config` (its own data dir) and `serve`s it with `env`; waits for `/api/health`.
    pub async fn start(config: Config, env: &[(String, String)]) -> Instance {
        let (mut child, addr, log, dir) = spawn(config, env);
        let base = format!("http://{addr}");
        wait_ready(
            &format!("{base}/api/health"),
            &mut child,
            "the server",
            &log,
        )
        .await;
        Instance {
            base,
            addr,
            child,
            dir,
        }
    }

    /// Starts `config` expecting the start to fail; its exit status and output.
    pub async fn start_failing(config: Config, env: &[(String, String)]) -> Failed {
        let (mut child, _, log, _dir) = spawn(config, env);
        let status = tokio::time::timeout(START * 2, child.wait())
            .await
            .expect("a failing start ends")
            .expect("wait for the server");
        Failed {
            status,
            log: std::fs::read_to_string(&log).unwrap_or_default(),
        }
    }

    /// Its own data dir (SQLite file, local files, generated secrets).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The process id (to read its memory or send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server runs")
    }

    /// Sends SIGTERM (graceful shutdown) and waits for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.pid()).unwrap()).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the server stops within 15 s of SIGTERM")
            .expect("wait for the server")
    }
}

fn spawn(config: Config, env: &[(String, String)]) -> (Child, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = config;
    config.server.data_dir = dir.path().join("data");
    let addr = config.server.addr.clone();
    let file = dir.path().join("appframe.toml");
    std::fs::write(&file, toml::to_string(&config).expect("config as TOML")).unwrap();
    let (log, out, err) = log_file(dir.path(), "server");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_appframe-server"));
    cmd.arg("serve")
        .arg("--config")
        .arg(&file)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true);
    // Only what the test gives: no AWS_* or APPFRAME_* of the developer's shell.
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("APPFRAME_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let child = cmd.spawn().expect("start the server binary");
    (child, addr, log, dir)
}

/// The load balancer config the tests run and `docs/deploy.md` shows.
pub const HAPROXY_TEMPLATE: &str = include_str!("../../../deploy/haproxy.cfg");

/// HAProxy in front of some instances.
pub struct Balancer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    _child: Child,
    _dir: tempfile::TempDir,
}

/// [`HAPROXY_TEMPLATE`] with its placeholders filled: the address it listens on and one
/// `server` line per instance address.
pub fn render_haproxy(bind: &str, instances: &[&str]) -> String {
    let servers: Vec<String> = instances
        .iter()
        .enumerate()
        .map(|(i, a)| format!("    server app{} {a}", i + 1))
        .collect();
    HAPROXY_TEMPLATE
        .replace("{{bind}}", bind)
        .replace("    {{servers}}", &servers.join("\n"))
}

impl Balancer {
    /// Starts HAProxy on a free port in front of `instances`; returns once every instance has
    /// answered a request through it (the `X-Appframe-Instance` header names it).
    pub async fn start(haproxy: &Path, port: u16, instances: &[&str]) -> Balancer {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(
            &cfg,
            render_haproxy(&format!("127.0.0.1:{port}"), instances),
        )
        .unwrap();
        let (log, out, err) = log_file(dir.path(), "haproxy");
        let check = std::process::Command::new(haproxy)
            .arg("-c")
            .arg("-f")
            .arg(&cfg)
            .output()
            .expect("run haproxy -c");
        assert!(
            check.status.success(),
            "haproxy -c refuses the rendered deploy/haproxy.cfg:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        // -db: stay in the foreground (the test owns the process); no user switch, no pid file.
        let mut child = Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", haproxy.display()));
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{base}/api/health"), &mut child, "haproxy", &log).await;
        let lb = Balancer {
            base,
            _child: child,
            _dir: dir,
        };
        let mut seen = std::collections::BTreeSet::new();
        let deadline = tokio::time::Instant::now() + START;
        while seen.len() < instances.len() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {seen:?} of {} instances answered through haproxy:\n{}",
                instances.len(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            seen.insert(lb.served_by("/api/health").await);
        }
        lb
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Which instance answered a GET of `path` through the balancer.
    pub async fn served_by(&self, path: &str) -> String {
        let r = plain_client().get(self.url(path)).send().await.unwrap();
        instance_of(&r)
    }
}

/// The instance a response came from, as HAProxy names it (`app1`, `app2`, ...).
pub fn instance_of(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-appframe-instance")
        .and_then(|v| v.to_str().ok())
        .expect("haproxy names the instance in X-Appframe-Instance")
        .to_owned()
}
