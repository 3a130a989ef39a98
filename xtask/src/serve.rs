//! `cargo xtask serve`: set up, build the bundles, run the server with the built-in demo
//! config (plus the apps of `apps/dev.toml`, see [`crate::dev_apps`]) from the repository root
//! (so ./dist and ./data resolve) and print where to look.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::build;
use crate::cmd;
use crate::dev_apps;
use crate::setup;
use crate::size;
use crate::workspace::Workspace;

/// The server crate's folder and binary name.
const SERVER_DIR: &str = "server";
const SERVER_BIN: &str = "appframe-server";

/// How long the server may take to start listening once built.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The parts of the demo config the URL list needs.
#[derive(Debug, Deserialize)]
pub struct DemoConfig {
    server: DemoServer,
    #[serde(default)]
    items: Vec<DemoItem>,
    #[serde(default)]
    members: Vec<DemoMember>,
}

#[derive(Debug, Deserialize)]
struct DemoServer {
    addr: String,
    public_url: String,
    apps_addr: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DemoItem {
    id: String,
    name: String,
    app: String,
}

#[derive(Debug, Deserialize)]
struct DemoMember {
    id: String,
    name: String,
}

impl DemoConfig {
    /// Parses the demo config text (server/demo.toml), ignoring fields the URL list does not use.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).context("server/demo.toml is not a valid demo config")
    }

    /// The address the host listens on.
    pub fn addr(&self) -> &str {
        &self.server.addr
    }
}

/// The URL list printed once the demo is up.
pub fn urls(config: &DemoConfig) -> String {
    let host = config.server.public_url.trim_end_matches('/');
    let mut out = String::new();
    out.push_str(&format!("  host page:    {host}/\n"));
    if !config.items.is_empty() {
        out.push_str("  items (builder view; also ?view=player or ?view=analytics):\n");
        let width = config.items.iter().map(|i| i.name.len()).max().unwrap_or(0);
        for item in &config.items {
            out.push_str(&format!(
                "    {:<width$}  {host}/items/{}?view=builder   ({})\n",
                item.name, item.id, item.app
            ));
        }
    }
    if !config.members.is_empty() {
        let who: Vec<String> = config
            .members
            .iter()
            .map(|m| format!("{} {}", m.name, m.id))
            .collect();
        out.push_str(&format!(
            "  act as a member (dev mode): add &as=<memberId>: {}\n",
            who.join(", ")
        ));
    }
    if let Some(apps) = &config.server.apps_addr {
        out.push_str(&format!("  apps origin:  http://{apps}/\n"));
    }
    out.push_str(&format!("  Swagger UI:   {host}/swagger\n"));
    out.push_str(&format!("  OpenAPI:      {host}/api/openapi.json\n"));
    out
}

/// Runs the demo until the server exits (Ctrl-C reaches it directly: same process group).
pub fn serve(ws: &mut Workspace, skip_build: bool) -> Result<()> {
    let tools = setup::ensure(ws, setup::Needs { browser: false })?;
    if !skip_build {
        let built = build::build_all(ws, &tools, build::Options::for_build(true))?;
        size::print_bundle_table(&built)?;
    }
    let Some(server) = ws.package(SERVER_DIR, true, "the server")? else {
        bail!("the server crate is missing");
    };
    if !server.has_target("bin", SERVER_BIN) {
        bail!("package {} has no `{SERVER_BIN}` binary", server.name);
    }
    let name = server.name.clone();
    cmd::run(ws.cargo().args([
        "build",
        "--locked",
        "--release",
        "-p",
        &name,
        "--bin",
        SERVER_BIN,
    ]))?;

    let binary = ws.target_dir.join("release").join(SERVER_BIN);
    let mut server = ws.command(&binary);
    server.arg("serve");
    // With apps under development, the server runs the demo config with apps/dev.toml's lists
    // appended, written next to the build output (never into the repository).
    let config_text = match dev_apps::merged_config(&ws.root)? {
        Some(merged) => {
            let path = ws.target_dir.join("appframe-dev.toml");
            std::fs::write(&path, &merged)
                .with_context(|| format!("writing {}", path.display()))?;
            server.arg("--config").arg(&path);
            merged
        }
        None => std::fs::read_to_string(ws.root.join(SERVER_DIR).join("demo.toml"))
            .context("reading server/demo.toml")?,
    };
    let config = DemoConfig::parse(&config_text)?;
    let mut child = server
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    eprintln!("$ {}   (cwd {})", cmd::describe(&server), ws.root.display());

    let addr = config.addr();
    let socket: SocketAddr = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .with_context(|| format!("demo config addr `{addr}` is not a socket address"))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("waiting for the server")? {
            bail!("the server exited before it was ready ({status})");
        }
        if TcpStream::connect_timeout(&socket, Duration::from_millis(200)).is_ok() {
            break;
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            bail!("the server did not listen on {addr} within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "\nappframe demo is running (Ctrl-C to stop):\n{}",
        urls(&config)
    );
    let status = child.wait().context("waiting for the server")?;
    if !status.success() {
        bail!("the server stopped ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn demo() -> DemoConfig {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../server/demo.toml"))
                .unwrap();
        DemoConfig::parse(&text).unwrap()
    }

    #[test]
    fn prints_the_host_every_item_page_the_apps_origin_and_swagger() {
        let text = urls(&demo());
        assert!(
            text.contains("host page:    http://127.0.0.1:8080/\n"),
            "{text}"
        );
        assert!(text.contains(
            "http://127.0.0.1:8080/items/860336f0-9317-4193-91ad-5d58f6a975d8?view=builder"
        ));
        assert!(text.contains(
            "http://127.0.0.1:8080/items/972072cf-56bb-4c7f-afcb-33f3427a68aa?view=builder"
        ));
        assert!(text.contains(
            "http://127.0.0.1:8080/items/79bf18ff-133a-4293-ae63-94768b2ff5c5?view=builder"
        ));
        assert!(text.contains("apps origin:  http://127.0.0.1:8081/\n"));
        assert!(text.contains("Swagger UI:   http://127.0.0.1:8080/swagger\n"));
        assert!(text.contains("Alice dca3c530-eff8-4c46-8172-bd614654a02d"));
        assert_eq!(demo().addr(), "127.0.0.1:8080");
    }

    #[test]
    fn a_trailing_slash_in_public_url_is_not_doubled() {
        let cfg = DemoConfig::parse(
            "[server]\naddr = \"127.0.0.1:9\"\npublic_url = \"http://h:9/\"\n\
             [[items]]\nid = \"i1\"\nname = \"N\"\napp = \"a\"\n",
        )
        .unwrap();
        let text = urls(&cfg);
        assert!(text.contains("http://h:9/items/i1?view=builder"), "{text}");
        assert!(!text.contains("//items"));
        assert!(!text.contains("apps origin"), "no apps_addr, no apps line");
    }

    #[test]
    fn a_config_without_server_section_is_rejected() {
        assert!(DemoConfig::parse("[[items]]\nid='x'\nname='y'\napp='z'\n").is_err());
    }
}
