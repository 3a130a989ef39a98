//! `appframe-server serve [--config FILE] [--addr ADDR]` and
//! `appframe-server check-config FILE [--plan]` and `appframe-server openapi` (the OpenAPI
//! document on stdout, for generating clients without a running server).

use appframe_server::{build_state, config::Config, reconcile, serve, static_apps_router};
use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "appframe-server", version, about = "The appframe data server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the built-in demo config when --config is absent).
    Serve {
        /// Configuration file (appframe.toml).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Listen address, overriding the config and APPFRAME_ADDR.
        #[arg(long)]
        addr: Option<String>,
    },
    /// Parse and validate a configuration file; prints OK or the error with its line.
    CheckConfig {
        /// Configuration file.
        file: PathBuf,
        /// Also print what a start with FILE would change in the database `serve` would use
        /// (DATABASE_URL, APPFRAME_DATA_DIR or the file's data_dir), without changing it.
        #[arg(long)]
        plan: bool,
    },
    /// Print the OpenAPI document (what `GET /api/openapi.json` serves) as JSON.
    Openapi,
}

/// Resolves when SIGTERM or ctrl-c arrives.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for ctrl-c: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn run_serve(config: Option<PathBuf>, addr: Option<String>) -> Result<(), String> {
    let mut cfg = Config::load(config.as_deref()).map_err(|e| e.to_string())?;
    cfg.try_apply_env().map_err(|e| e.to_string())?;
    if let Some(a) = addr {
        cfg.server.addr = a;
    }
    let apps = match cfg
        .server
        .apps_dir
        .clone()
        .zip(cfg.server.apps_addr.clone())
    {
        Some((dir, addr)) => Some((
            static_apps_router(&dir, &cfg).map_err(|e| e.to_string())?,
            dir,
            addr,
        )),
        None => None,
    };
    let addr = cfg.server.addr.clone();
    cfg.validate().map_err(|e| e.to_string())?;
    if cfg.server.dev {
        // Also on stderr, where an operator looks first, whatever the log filter; before the
        // database is opened, so it is the first thing a dev-mode start says.
        eprintln!("WARNING: {}", cfg.dev_login_warning());
    }
    let state = build_state(cfg).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(
        "appframe-server listening on http://{} ({})",
        listener.local_addr().map_err(|e| e.to_string())?,
        state.store().backend()
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let apps_task = match apps {
        Some((apps_router, dir, apps_addr)) => {
            let l = tokio::net::TcpListener::bind(&apps_addr)
                .await
                .map_err(|e| format!("cannot listen on {apps_addr}: {e}"))?;
            tracing::info!(
                "serving app bundles from {} on http://{apps_addr}",
                dir.display()
            );
            let mut rx = rx.clone();
            Some(tokio::spawn(async move {
                axum::serve(l, apps_router)
                    .with_graceful_shutdown(async move {
                        let _ = rx.wait_for(|v| *v).await;
                    })
                    .await
            }))
        }
        None => None,
    };
    let shutdown = async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    };
    serve(listener, state, shutdown)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(t) = apps_task {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("app bundle server: {e}")),
            Err(e) => return Err(format!("app bundle server: {e}")),
        }
    }
    Ok(())
}

/// Prints one line per change a start with `file` would make, or that there is none.
async fn run_plan(file: &std::path::Path) -> Result<(), String> {
    let mut cfg = Config::load(Some(file)).map_err(|e| e.to_string())?;
    cfg.try_apply_env().map_err(|e| e.to_string())?;
    let changes = reconcile::preview(&cfg).await.map_err(|e| e.to_string())?;
    if changes.is_empty() {
        println!("no changes");
    }
    for c in changes {
        println!("{c}");
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            use utoipa::OpenApi;
            match appframe_server::routes::openapi::ApiDoc::openapi().to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cannot write the OpenAPI document: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig { file, plan: false } => {
            // The app manifests of `apps_dir` are checked too: a bad one would stop `serve`.
            let checked = Config::load(Some(&file)).and_then(|c| {
                c.validate()?;
                appframe_server::manifest::Manifests::of_config(&c)
            });
            match checked {
                Ok(_) => {
                    println!("OK");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig { file, plan: true } => {
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(run_plan(&file)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve { config, addr } => {
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(run_serve(config, addr)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
