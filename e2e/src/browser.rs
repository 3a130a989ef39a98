//! Headless Chromium driven over WebDriver: a chromedriver process on a free loopback port,
//! one browser session with a fresh profile, and the waiting helpers the tests read well with.

use crate::error::{Error, Result};
use axum::http::Method;
use fantoccini::{
    Client, ClientBuilder, Locator,
    elements::Element,
    wd::{Capabilities, WebDriverCompatibleCommand},
};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a wait lasts unless `APPFRAME_E2E_TIMEOUT_SECS` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Poll period of the waiting helpers.
const POLL: Duration = Duration::from_millis(50);

/// Chromium flags (from the measured toolchain notes): no sandbox (CI runs as root), the new
/// headless mode, and nothing that talks to the network or the GPU on its own.
/// Where downloads go, inside the profile folder.
const DOWNLOADS: &str = "downloads";

const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--window-size=1280,1000",
];

/// [`Browser::actionable`]'s check, run in the page: "ok", "detached", or why not yet. Gives up
/// on "the frame fits its content" after a second, for documents meant to scroll.
const ACTIONABLE_JS: &str = r#"
const [el, done] = arguments;
if (!el.isConnected) return done('detached');
el.scrollIntoView({ block: 'center' });
const doc = document.documentElement;
const snap = () => {
  const r = el.getBoundingClientRect();
  return [r.x, r.y, r.width, r.height, innerHeight, scrollY, doc.scrollHeight].join();
};
const start = performance.now();
let last = snap(), still = 0;
const tick = () => {
  if (!el.isConnected) return done('detached');
  const now = snap();
  if (now === last) still++; else { still = 0; last = now; }
  const fits = doc.scrollHeight <= innerHeight + 1 || performance.now() - start > 1000;
  if (still >= 2 && fits) {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return done(hit && (hit === el || el.contains(hit)) ? 'ok' : 'covered');
  }
  if (performance.now() - start > 3000) return done('moving');
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"#;

/// The wait limit of every helper.
pub fn timeout() -> Duration {
    std::env::var("APPFRAME_E2E_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// `$VAR` if set, else the first existing of `candidates`, else the bare name found on PATH.
fn locate(var: &str, candidates: &[&str], name: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Ok(PathBuf::from(p));
    }
    for c in candidates {
        if Path::new(c).is_file() {
            return Ok(PathBuf::from(c));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(Error::Browser(format!(
        "{name} not found (set {var}, or install it: `apt-get install chromium chromium-driver`, \
         which `cargo xtask setup` does)"
    )))
}

/// A chromedriver process on a free 127.0.0.1 port, in its own process group so that dropping
/// it also ends every Chromium it started, even when a test panicked before closing its session.
#[derive(Debug)]
pub struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    /// Starts chromedriver (`$CHROMEDRIVER` or `/usr/bin/chromedriver`) and waits until it listens.
    pub async fn start() -> Result<Chromedriver> {
        let bin = locate(
            "CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
            "chromedriver",
        )?;
        // Ask the OS for a free port, then hand it to chromedriver. Another process could take it
        // in between; the readiness wait below then fails with a clear message.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg("--log-level=OFF")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| Error::Browser(format!("cannot start {}: {e}", bin.display())))?;
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if started.elapsed() > Duration::from_secs(15) {
                return Err(Error::Browser(format!(
                    "{} did not listen on port {port} within 15 s",
                    bin.display()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(driver)
    }

    /// The WebDriver endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)); Chromium inherits the group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromedriver's (non-W3C) command that returns and clears the browser console log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// One headless Chromium session with a fresh profile.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    // Field order: the session closes (client), then the driver group is killed, then the
    // profile folder is removed.
    driver: Chromedriver,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session.
    pub async fn start() -> Result<Browser> {
        let chromium = locate(
            "CHROME",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
            "chromium",
        )?;
        let driver = Chromedriver::start().await?;
        let profile = tempfile::Builder::new()
            .prefix("appframe-e2e-profile-")
            .tempdir()?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        // Downloads land in the profile's `downloads/` without asking, so a test can wait
        // for a file the page downloads (see [`Browser::downloads`]).
        let prefs = json!({
            "download.default_directory": profile.path().join(DOWNLOADS),
            "download.prompt_for_download": false,
        });
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args, "prefs": prefs }),
        );
        // Keep the console of every frame, for the artifacts of a failed test.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(driver.url())
            .await?;
        Ok(Browser {
            client,
            driver,
            profile,
        })
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The profile folder (fresh for this session).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Names of the files downloaded so far (finished ones: Chromium writes `.crdownload` first).
    pub fn downloads(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.profile.path().join(DOWNLOADS)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".crdownload"))
            .collect();
        names.sort();
        names
    }

    /// Ends the session (Chromium exits), then stops chromedriver.
    pub async fn close(self) -> Result<()> {
        let Browser {
            client,
            driver,
            profile,
        } = self;
        let closed = client.close().await;
        drop(driver);
        drop(profile);
        closed.map_err(Error::from)
    }

    /// Navigates the top-level window.
    pub async fn goto(&self, url: &str) -> Result<()> {
        Ok(self.client.goto(url).await?)
    }

    /// Polls `probe` until it yields `Some`, for at most [`timeout`]; `what` names the wait in
    /// the error. WebDriver errors inside `probe` count as "not yet" (pages re-render).
    pub async fn wait_until<T>(
        &self,
        what: &str,
        mut probe: impl AsyncFnMut(&Browser) -> Result<Option<T>>,
    ) -> Result<T> {
        self.wait_until_for(what, timeout(), async |b| probe(b).await)
            .await
    }

    /// [`Browser::wait_until`] with an explicit limit.
    pub async fn wait_until_for<T>(
        &self,
        what: &str,
        limit: Duration,
        mut probe: impl AsyncFnMut(&Browser) -> Result<Option<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let mut last_error = None;
        loop {
            match probe(self).await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                // A failed check is final; anything else (stale element, frame not ready) is
                // retried until the limit.
                Err(e @ Error::Check(_)) => return Err(e),
                Err(e) => last_error = Some(e),
            }
            if started.elapsed() >= limit {
                let what = match last_error {
                    Some(e) => format!("{what} (last error: {e})"),
                    None => what.to_owned(),
                };
                return Err(Error::Timeout {
                    what,
                    waited_ms: started.elapsed().as_millis(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for an element matching `css` in the current frame.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.wait_until(&format!("an element `{css}`"), async |b| b.first(css).await)
            .await
    }

    /// The first element matching `css` now, if any (no wait).
    async fn first(&self, css: &str) -> Result<Option<Element>> {
        Ok(self
            .client
            .find_all(Locator::Css(css))
            .await?
            .into_iter()
            .next())
    }

    /// Every element matching `css` now (no wait).
    pub async fn all(&self, css: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    /// How many elements match `css` now (no wait).
    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.all(css).await?.len())
    }

    /// Waits until exactly `n` elements match `css`.
    pub async fn wait_count(&self, css: &str, n: usize) -> Result<()> {
        self.wait_until(&format!("{n} elements `{css}`"), async |b| {
            Ok((b.count(css).await? == n).then_some(()))
        })
        .await
    }

    /// The trimmed text of the first element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> Result<String> {
        let el = self.find(css).await?;
        Ok(el.text().await?.trim().to_owned())
    }

    /// Waits until the text of `css` satisfies `accept`, and returns it. `what` describes the
    /// expected text; the error also shows the last text seen.
    pub async fn wait_text_where(
        &self,
        css: &str,
        what: &str,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let mut last = String::from("(no element)");
        let r = self
            .wait_until(&format!("`{css}` to read {what}"), async |b| {
                let Some(el) = b.first(css).await? else {
                    return Ok(None);
                };
                let t = el.text().await?.trim().to_owned();
                let ok = accept(&t);
                last = t.clone();
                Ok(ok.then_some(t))
            })
            .await;
        r.map_err(|e| e.with_last("last text", &last))
    }

    /// Waits until the trimmed text of `css` equals `expected`.
    pub async fn wait_text(&self, css: &str, expected: &str) -> Result<()> {
        self.wait_text_where(css, &format!("{expected:?}"), |t| t == expected)
            .await
            .map(drop)
    }

    /// Clicks the first element matching `css` (waits for it), once it is actionable (see
    /// [`Browser::click_element`]); a match that is replaced meanwhile is looked up again.
    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self
            .wait_until(&format!("`{css}` to be clickable"), async |b| {
                let Some(el) = b.first(css).await? else {
                    return Ok(None);
                };
                // A match replaced meanwhile (`None`) is looked up again.
                Ok(b.actionable(&el).await?.and_then(|ok| ok.then_some(el)))
            })
            .await?;
        Ok(el.click().await?)
    }

    /// Clicks `el` as a person would, once it is actionable: in the page, scrolled into view,
    /// not moving (the same box, viewport and document height for two animation frames), the
    /// document not waiting for its frame to grow (an app frame grows shortly after its content
    /// does, and a click aimed before that lands where the element was), and `el` the element
    /// hit at its centre. A WebDriver click goes to coordinates: without these checks a click
    /// during a re-render or a resize hits something else, and nothing says so.
    pub async fn click_element(&self, el: &Element) -> Result<()> {
        self.wait_until("an element to be clickable", async |b| {
            match b.actionable(el).await? {
                Some(ok) => Ok(ok.then_some(())),
                None => Err(Error::Check("the element to click left the page".into())),
            }
        })
        .await?;
        Ok(el.click().await?)
    }

    /// One actionability check of `el` (see [`Browser::click_element`]): `Some(false)` while
    /// it moves, is covered or waits for a resize, `None` once it left the page.
    async fn actionable(&self, el: &Element) -> Result<Option<bool>> {
        let v = self
            .client
            .execute_async(ACTIONABLE_JS, vec![serde_json::to_value(el)?])
            .await?;
        Ok(match v.as_str() {
            Some("ok") => Some(true),
            Some("detached") => None,
            _ => Some(false),
        })
    }

    /// Replaces the value of the input matching `css` with `text`, as typed keys.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.clear().await?;
        Ok(el.send_keys(text).await?)
    }

    /// Chooses the `<option value=...>` of the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        Ok(el.select_by_value(value).await?)
    }

    /// Runs a script in the current frame (`arguments[i]` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Runs an async script: the last argument is the callback that returns its value.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute_async(script, args).await?)
    }

    /// Enters the iframe matching `css` in the current frame (waits for it).
    pub async fn enter_frame(&self, css: &str) -> Result<()> {
        let el = self.find(css).await?;
        Ok(el.enter_frame().await?)
    }

    /// From the host page's top frame: enters the app iframe `#app-frame`.
    pub async fn enter_app_frame(&self) -> Result<()> {
        self.enter_frame("#app-frame").await
    }

    /// Back to the top-level document (frames nest at most a few levels in these tests).
    pub async fn top(&self) -> Result<()> {
        for _ in 0..4 {
            self.client.enter_parent_frame().await?;
        }
        Ok(())
    }

    /// The browser console (every frame) since the last call: `LEVEL message` per entry.
    /// Chromedriver's log endpoint empties its buffer on each read.
    pub async fn console(&self) -> Result<Vec<String>> {
        let v = self.client.issue_cmd(BrowserLog).await?;
        let entries = v.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["timestamp"].as_u64().unwrap_or_default(),
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or_default()
                )
            })
            .collect())
    }

    /// Saves a screenshot, the console and the HTML of the top-level page and every frame into `dir`, for
    /// a failed test. Best effort: a page that cannot be read is skipped.
    pub async fn save_artifacts(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        let _ = self.top().await;
        if let Ok(png) = self.client.screenshot().await {
            std::fs::write(dir.join("screenshot.png"), png)?;
        }
        if let Ok(url) = self.client.current_url().await {
            std::fs::write(dir.join("url.txt"), url.as_str())?;
        }
        if let Ok(html) = self.client.source().await {
            std::fs::write(dir.join("page.html"), html)?;
        }
        if let Ok(lines) = self.console().await {
            std::fs::write(dir.join("console.log"), lines.join("\n"))?;
        }
        // Each first-level iframe, and the first iframe inside each (the host in a hostile
        // framing page contains the app).
        let frames = self.count("iframe").await.unwrap_or(0);
        for i in 0..frames {
            let Ok(i16) = u16::try_from(i) else { break };
            if self.client.enter_frame(i16).await.is_err() {
                continue;
            }
            if let Ok(html) = self.client.source().await {
                std::fs::write(dir.join(format!("frame-{i}.html")), html)?;
            }
            if self.count("iframe").await.unwrap_or(0) > 0
                && self.client.enter_frame(0).await.is_ok()
            {
                if let Ok(html) = self.client.source().await {
                    std::fs::write(dir.join(format!("frame-{i}-0.html")), html)?;
                }
                let _ = self.client.enter_parent_frame().await;
            }
            let _ = self.client.enter_parent_frame().await;
        }
        Ok(())
    }
}
