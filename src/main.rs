//! The `overlord` command line. Parses arguments and hands off; no business logic here.

use clap::{Parser, Subcommand};
use overlord::config::{ConfigError, LogFormat, Overrides, Settings};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "overlord", version, about = "Telemetry, inventory and suit building for Asheron's Call player groups")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the appliance: plugin ingest, dashboard and API.
    Serve {
        /// Data directory (default ./overlord-data; env OVERLORD_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address to listen on, IP:port (default 127.0.0.1:8770; env OVERLORD_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Run simulated characters in-process so the dashboard is alive at once.
        #[arg(long)]
        demo: bool,
        /// Log format: human or json (env OVERLORD_LOG_FORMAT).
        #[arg(long)]
        log_format: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { data_dir, listen, demo, log_format } => {
            let flags = Overrides { data_dir, listen, demo, log_format };
            let settings = match Settings::load(&flags) {
                Ok(s) => s,
                Err(ConfigError(msg)) => {
                    eprintln!("overlord: invalid configuration: {msg}");
                    return ExitCode::from(2);
                }
            };
            init_logging(&settings.log_format);
            run_async(serve(settings))
        }
    }
}

fn run_async(fut: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("overlord: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("overlord: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(mut settings: Settings) -> Result<(), String> {
    if settings.demo && settings.plugin_secret.is_none() {
        // The in-process simulator needs a secret; a random one keeps real plugins out.
        settings.plugin_secret = Some(format!("demo-{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>()));
    }
    if settings.plugin_secret.is_none() {
        tracing::warn!("no plugin secret configured: every plugin socket will be refused (set OVERLORD_PLUGIN_SECRET)");
    }
    let demo = settings.demo.then(|| (settings.plugin_secret.clone().unwrap_or_default(), settings.demo_characters));
    let running = overlord::server::start(settings).await.map_err(|e| e.to_string())?;
    // One line on stdout, for scripts and the e2e runner, once the socket is bound.
    println!("overlord listening on http://{}", running.addr);
    tracing::info!(addr = %running.addr, "listening");
    let demo_task: Option<tokio::task::JoinHandle<()>> = demo.map(|_| tokio::spawn(async {})); // SIM-PENDING
    overlord::server::termination_signal().await;
    tracing::info!("signal received: closing sockets and committing every queue");
    if let Some(t) = demo_task {
        t.abort();
    }
    running.stop().await;
    Ok(())
}

fn init_logging(format: &LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("OVERLORD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}
