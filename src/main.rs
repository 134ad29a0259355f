//! The `overlord` command line. Parses arguments and hands off; no business logic here.

use clap::{Parser, Subcommand};
use overlord::config::{ConfigError, LogFormat, Overrides, Settings};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "overlord",
    version,
    about = "Telemetry, inventory and suit building for Asheron's Call player groups"
)]
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
    /// Drive a server with simulated plugin clients over real WebSockets; prints events/s.
    Simulate {
        /// Server base URL, e.g. ws://127.0.0.1:8770 (`/ws/position` is appended).
        #[arg(long, default_value = "ws://127.0.0.1:8770")]
        url: String,
        /// The server's plugin secret (env OVERLORD_PLUGIN_SECRET).
        #[arg(long, env = "OVERLORD_PLUGIN_SECRET", hide_env_values = true)]
        secret: String,
        /// Simulated characters, one socket each.
        #[arg(long, default_value_t = 60)]
        characters: usize,
        /// Telemetry frames per second per character (realistic: 0.3).
        #[arg(long, default_value_t = 0.3)]
        rate: f64,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        duration: Option<f64>,
        /// Seconds over which the sockets connect (0 = a login storm).
        #[arg(long, default_value_t = 2.0)]
        ramp_up: f64,
        /// Random seed: the same seed sends the same frames.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print simulated items as JSON Lines shaped like the old `items` table, for
    /// `overlord import jsonl --table items -` (a large item store for footprint runs).
    SimulateItems {
        /// Items to write (whole characters: the last one may overshoot by its inventory).
        #[arg(long, default_value_t = 750_000)]
        count: u64,
        /// Random seed for the characters' names and items (the same seed writes the same
        /// lines; `overlord simulate` uses 1 by default, so its characters share names).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a consistent backup of a running server's data directory (online, no stop).
    Backup {
        /// Destination directory (absolute; must not exist or be empty).
        dest: PathBuf,
        /// The running server (this host; the loopback trust rule authorizes the call).
        #[arg(long, default_value = "http://127.0.0.1:8770")]
        url: String,
    },
    /// Verify a copy of a data directory: integrity, recovery, what it holds and up to when.
    RestoreCheck {
        /// The copy to check (it is not modified: the check works on a private copy).
        dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a stopped server's data directory so a data-format-2 binary reads it (the
    /// open day's telemetry rows, which format 3 writes against their block's first row).
    Downgrade {
        /// Data directory (default ./overlord-data; env OVERLORD_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Rebuild the item search index from state.redb (stop the server first).
    Reindex {
        /// Data directory (default ./overlord-data; env OVERLORD_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Import a group's history from the old Mosswart Overlord stack (stop the server first).
    Import {
        /// Data directory (default ./overlord-data; env OVERLORD_DATA_DIR).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        /// Read and decode everything, report what would be imported, write nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        /// No progress display (the report is still printed).
        #[arg(long, global = true)]
        quiet: bool,
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Manage dashboard accounts (opens state.redb directly: stop the server first).
    User {
        /// Data directory (default ./overlord-data; env OVERLORD_DATA_DIR).
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// From the old PostgreSQL databases (and the issue board file).
    Seed {
        /// The tracker's database, e.g. postgres://user:pass@127.0.0.1:5432/dereth or
        /// postgres://user@%2Fvar%2Frun%2Fpostgresql/dereth (Unix socket).
        #[arg(long)]
        telemetry_db: String,
        /// The inventory service's database (inventory_db).
        #[arg(long)]
        inventory_db: Option<String>,
        /// The issue board file (static/openissues.json).
        #[arg(long)]
        issues: Option<PathBuf>,
    },
    /// From JSON Lines dumps of one old table (row_to_json output; `-` reads stdin).
    Jsonl {
        /// The old table the lines come from (telemetry_events, spawn_events, rare_events,
        /// portals, character_stats, combat_stats, users, items, openissues).
        #[arg(long)]
        table: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a user; the password is prompted for (or read from stdin when piped).
    Add {
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// Set a user's password; their sessions are revoked.
    Passwd { name: String },
    /// List users.
    List,
    /// Delete a user (the last admin cannot be deleted).
    Remove { name: String },
    /// Carry a user over from the seed system: the bcrypt ($2b$) or argon2 hash on stdin.
    Import {
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
}

fn main() -> ExitCode {
    // Before any thread starts: the allocator settings only apply cleanly then.
    overlord::memory::tune_allocator();
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
        Command::User { data_dir, action } => user_command(data_dir, action),
        Command::Import { data_dir, dry_run, quiet, source } => import_command(data_dir, dry_run, quiet, source),
        Command::Backup { dest, url } => run_async(backup(dest, url)),
        Command::Reindex { data_dir } => reindex(data_dir),
        Command::Downgrade { data_dir } => downgrade(data_dir),
        Command::RestoreCheck { dir, json } => restore_check(&dir, json),
        Command::SimulateItems { count, seed } => simulate_items(count, seed),
        Command::Simulate { url, secret, characters, rate, duration, ramp_up, seed } => {
            init_logging(&LogFormat::Human);
            run_async(simulate(url, secret, characters, rate, duration, ramp_up, seed))
        }
    }
}

fn simulate_items(count: u64, seed: u64) -> ExitCode {
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let written = overlord::sim::item_dump::write_item_lines(&mut out, count, seed, &stamp)
        .and_then(|report| std::io::Write::flush(&mut out).map(|()| report));
    match written {
        Ok(report) => {
            eprintln!("overlord: {} items of {} characters written", report.items, report.characters);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("overlord: writing items: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Settings and `state.redb` for the commands that work on a stopped server's data.
fn open_offline(data_dir: Option<PathBuf>) -> Result<(Settings, std::sync::Arc<redb::Database>), ExitCode> {
    let flags = Overrides { data_dir, ..Default::default() };
    let settings = Settings::load(&flags).map_err(|ConfigError(msg)| {
        eprintln!("overlord: invalid configuration: {msg}");
        ExitCode::from(2)
    })?;
    let db = overlord::server::open_state_db(&settings.data_dir).map_err(|e| {
        eprintln!("overlord: {e}");
        ExitCode::FAILURE
    })?;
    Ok((settings, db))
}

fn user_command(data_dir: Option<PathBuf>, action: UserAction) -> ExitCode {
    use overlord::auth::{PasswordHashing, Role, cli};
    let (_, db) = match open_offline(data_dir) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let hashing = PasswordHashing::default();
    let role = |r: &str| r.parse::<Role>().map_err(|e| e.to_string());
    let result: Result<String, String> = match action {
        UserAction::Add { name, role: r } => role(&r)
            .and_then(|r| cli::user_add(&db, &hashing, &name, r).map_err(|e| e.to_string()))
            .map(|u| format!("created user {} ({:?})", u.username, u.role)),
        UserAction::Passwd { name } => cli::user_passwd(&db, &hashing, &name)
            .map(|n| format!("password changed for {name}; {n} session(s) revoked"))
            .map_err(|e| e.to_string()),
        UserAction::List => cli::user_list(&db).map(|u| cli::format_user_list(&u)).map_err(|e| e.to_string()),
        UserAction::Remove { name } => {
            cli::user_remove(&db, &name).map(|()| format!("removed user {name}")).map_err(|e| e.to_string())
        }
        UserAction::Import { name, role: r } => {
            let mut hash = String::new();
            if std::io::stdin().read_line(&mut hash).is_err() {
                return ExitCode::FAILURE;
            }
            role(&r)
                .and_then(|r| cli::user_import_hash(&db, &name, r, &hash).map_err(|e| e.to_string()))
                .map(|u| format!("imported user {}", u.username))
        }
    };
    match result {
        Ok(msg) => {
            println!("{}", msg.trim_end());
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("overlord: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn import_command(data_dir: Option<PathBuf>, dry_run: bool, quiet: bool, source: ImportSource) -> ExitCode {
    let flags = Overrides { data_dir, ..Default::default() };
    let settings = match Settings::load(&flags) {
        Ok(s) => s,
        Err(ConfigError(msg)) => {
            eprintln!("overlord: invalid configuration: {msg}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings.log_format);
    let (data_dir, retention_days) = (settings.data_dir.clone(), settings.retention_days);
    let result = match source {
        ImportSource::Seed { telemetry_db, inventory_db, issues } => {
            let opts = overlord::import::SeedOptions {
                telemetry_db,
                inventory_db,
                issues,
                data_dir,
                retention_days,
                dry_run,
                quiet,
            };
            match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt.block_on(overlord::import::seed(opts)),
                Err(e) => Err(overlord::import::ImportError::Internal(e.to_string())),
            }
        }
        ImportSource::Jsonl { table, files } => overlord::import::jsonl(overlord::import::JsonlOptions {
            table,
            files,
            data_dir,
            retention_days,
            dry_run,
            quiet,
        }),
    };
    match result {
        Ok(report) => {
            print!("{}", report.render());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("overlord: import: {e}");
            ExitCode::FAILURE
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
    overlord::memory::spawn_trimmer().map_err(|e| format!("cannot start the memory trim thread: {e}"))?;
    // One line on stdout, for scripts and the e2e runner, once the socket is bound.
    println!("overlord listening on http://{}", running.addr);
    tracing::info!(addr = %running.addr, "listening");
    let demo_task = demo.map(|(secret, n)| overlord::sim::spawn_demo(format!("ws://{}", running.addr), secret, n));
    overlord::server::termination_signal().await;
    tracing::info!("signal received: closing sockets and committing every queue");
    if let Some(t) = demo_task {
        t.abort();
    }
    running.stop().await;
    Ok(())
}

async fn simulate(
    url: String,
    secret: String,
    characters: usize,
    rate: f64,
    duration: Option<f64>,
    ramp_up: f64,
    seed: u64,
) -> Result<(), String> {
    use overlord::sim::{Progress, SimulateOptions, Simulation};
    let valid_secs = |v: f64, what: &str| {
        if v.is_finite() && v >= 0.0 {
            Ok(std::time::Duration::from_secs_f64(v))
        } else {
            Err(format!("--{what} must be a number of seconds ≥ 0"))
        }
    };
    let opts = SimulateOptions {
        url,
        secret,
        characters,
        rate,
        duration: duration.map(|d| valid_secs(d, "duration")).transpose()?,
        ramp_up: valid_secs(ramp_up, "ramp-up")?,
        seed,
        ..SimulateOptions::default()
    };
    let sim = Simulation::new(opts).map_err(|e| e.to_string())?;
    let stats = sim.stats();
    let printer = tokio::spawn(async move {
        let mut progress = Progress::new(&stats);
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            println!("{}", progress.tick());
        }
    });
    let report = sim.run(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let report = report.await;
    printer.abort();
    let report = report.map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(())
}

async fn backup(dest: PathBuf, url: String) -> Result<(), String> {
    let dest = if dest.is_absolute() { dest } else { std::env::current_dir().map_err(|e| e.to_string())?.join(dest) };
    let body = serde_json::json!({"dest": dest.display().to_string()}).to_string();
    let mut verdict = None;
    let status = overlord::cli_http::post_lines(&url, "/api/admin/backup", &body, |line| {
        if line.starts_with('{') {
            verdict = serde_json::from_str::<serde_json::Value>(line).ok();
        } else {
            println!("{line}");
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    match verdict {
        Some(v) if v["ok"] == true => {
            println!("backup written to {}", dest.display());
            Ok(())
        }
        Some(v) if v["error"].is_object() => {
            Err(format!("{} (HTTP {status})", v["error"]["message"].as_str().unwrap_or("refused")))
        }
        Some(v) => Err(v["error"].as_str().unwrap_or("backup failed").to_string()),
        None => Err(format!("the server answered HTTP {status} without a verdict")),
    }
}

fn downgrade(data_dir: Option<PathBuf>) -> ExitCode {
    // Opening state.redb takes its lock: a running server makes this fail before any write.
    let (settings, _state) = match open_offline(data_dir) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let telemetry = settings.data_dir.join("telemetry");
    let mut files: Vec<PathBuf> = [telemetry.clone(), telemetry.join(overlord::telemetry::store::SNAPSHOT_DIR)]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "redb"))
        .collect();
    files.sort();
    for file in &files {
        match overlord::telemetry::tail::write_open_rows_whole(file) {
            Ok(0) => {}
            Ok(n) => println!("{}: {n} open rows rewritten whole", file.display()),
            Err(e) => {
                eprintln!("overlord: downgrade failed on {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{}: readable by a data-format-2 binary (checked {} telemetry files)",
        settings.data_dir.display(),
        files.len()
    );
    ExitCode::SUCCESS
}

fn reindex(data_dir: Option<PathBuf>) -> ExitCode {
    use std::io::Write;
    let (settings, db) = match open_offline(data_dir) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let dir = settings.data_dir.join("index");
    let started = std::time::Instant::now();
    let bar = |done: u64, total: u64| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let filled = (pct / 4) as usize;
        eprint!("\rindexing [{}{}] {pct:>3}% {done}/{total}", "#".repeat(filled), ".".repeat(25 - filled));
        let _ = std::io::stderr().flush();
    };
    let result = overlord::search::SearchIndex::open_or_rebuild(&dir, db, bar).and_then(|(index, _)| {
        let n = index.rebuild(bar)?;
        index.flush()?;
        Ok(n)
    });
    eprintln!();
    match result {
        Ok(n) => {
            println!("reindexed {n} items in {:.1} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("overlord: reindex failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn restore_check(dir: &std::path::Path, json: bool) -> ExitCode {
    match overlord::backup::restore_check(dir) {
        Ok(r) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else {
                let t = |ms: Option<i64>| {
                    ms.and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|d| d.to_rfc3339())
                        .unwrap_or_else(|| "-".into())
                };
                println!("{}: opens and verifies", dir.display());
                println!(
                    "  journal records:   {} ({} torn segment tails dropped)",
                    r.journal_records, r.journal_torn_segments
                );
                println!("  replayed on open:  {}", r.replayed);
                println!("  day files:         {} (rebuilt from the journal: {:?})", r.day_files, r.rebuilt_days);
                println!("  characters:        {}", r.characters);
                println!("  telemetry events:  {}", r.telemetry_events);
                println!("  other events:      {}", r.other_events);
                println!("  covers:            {} .. {}", t(r.first_event_ms), t(r.last_event_ms));
                println!(
                    "  rollup archive:    {} days, {} hourly rows{}",
                    r.archived_days,
                    r.rollup_hours,
                    r.first_archived_day.as_ref().map(|d| format!(", from {d}")).unwrap_or_default()
                );
                if let Some(note) = &r.state_note {
                    println!("  state:             {note}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("overlord: restore-check failed: {e}");
            ExitCode::FAILURE
        }
    }
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
