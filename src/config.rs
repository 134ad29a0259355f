//! Settings: defaults < `overlord.toml` in the data dir < `OVERLORD_*` env < flags.
//!
//! Owns parsing and validation with errors that name the setting, where it came from, and
//! what is expected. Never does I/O beyond reading the one config file.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8770";
pub const DEFAULT_DATA_DIR: &str = "./overlord-data";
/// A config file larger than this is not a config file.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum LogFormat {
    Human,
    Json,
}

/// Every setting, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Unset means every plugin socket is refused (fail closed).
    pub plugin_secret: Option<String>,
    /// `/api/live` lists characters seen within this many seconds.
    pub live_window_s: u64,
    pub retention_days: u32,
    /// Seconds of records the journals hold (steady state); copy safety beyond it comes
    /// from day-file snapshots. At least 30.
    pub journal_window_s: u64,
    pub trust_loopback: bool,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (IPs or CIDRs).
    pub trusted_proxies: Vec<String>,
    pub log_format: LogFormat,
    pub demo: bool,
    pub demo_characters: usize,
    pub max_plugin_connections: usize,
    pub max_browser_connections: usize,
    /// Open TCP connections per client address (IPv6: per /64); trusted proxies are exempt.
    pub max_connections_per_address: usize,
    /// Sustained plugin frames per second per socket (docs/protocol.md §1: about 50).
    pub plugin_rate_per_s: u32,
    /// Optional operator-supplied map image (never bundled: docs/protocol.md §6).
    pub map_image_url: Option<String>,
    /// `[west, south, east, north]` map units covered by `map_image_url`.
    pub map_image_bounds: Option<[f64; 4]>,
    /// Session lifetime in seconds (sliding); docs/api.md: 30 days.
    pub session_ttl_s: u64,
    /// The origin browsers use when a proxy rewrites `Host` (CSRF check), e.g. https://overlord.example.org.
    pub public_origin: Option<String>,
    pub login_max_failures: u32,
    pub login_window_s: u64,
    /// Discord webhooks and thresholds (its Debug hides the webhook tokens).
    pub alerts: crate::alerts::AlertConfig,
    /// Anonymous visitors may see `public_pages` (default off).
    pub public_view: bool,
    /// Pages the public view opens (default all four).
    pub public_pages: Vec<crate::auth::PublicPage>,
    /// Scheduled backups (`backup_dir` + `backup_schedule` + `backup_keep`); `None` = off.
    pub backups: Option<crate::backup_schedule::BackupSettings>,
    /// Settings the dashboard may also edit (alerts) that `overlord.toml` or the
    /// environment set: key (`alert_stuck_minutes`, `alert_webhooks.rare`,
    /// `alert_templates.rare`) → where (`overlord.toml` or the variable's name). These win
    /// over the dashboard's values, and its pages show them read-only.
    pub fixed: std::collections::BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            listen: DEFAULT_LISTEN.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8770))),
            plugin_secret: None,
            live_window_s: 600,
            retention_days: 180,
            journal_window_s: 600,
            trust_loopback: true,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Human,
            demo: false,
            demo_characters: 8,
            max_plugin_connections: 2_000,
            max_browser_connections: 500,
            max_connections_per_address: 256,
            plugin_rate_per_s: 50,
            map_image_url: None,
            map_image_bounds: None,
            session_ttl_s: 30 * 24 * 3600,
            public_origin: None,
            login_max_failures: 10,
            login_window_s: 300,
            alerts: crate::alerts::AlertConfig::default(),
            public_view: false,
            public_pages: crate::auth::PublicPage::ALL.to_vec(),
            backups: None,
            fixed: std::collections::BTreeMap::new(),
        }
    }
}

/// A setting that could not be used. Displayed as one line; the CLI exits with code 2.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// `overlord.toml`: every key optional, unknown keys refused (a typo must not be silent).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    plugin_secret: Option<String>,
    live_window_s: Option<u64>,
    retention_days: Option<u32>,
    journal_window_s: Option<u64>,
    trust_loopback: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    log_format: Option<String>,
    demo_characters: Option<usize>,
    max_plugin_connections: Option<usize>,
    max_browser_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    plugin_rate_per_s: Option<u32>,
    map_image_url: Option<String>,
    map_image_bounds: Option<[f64; 4]>,
    session_ttl_s: Option<u64>,
    public_origin: Option<String>,
    login_max_failures: Option<u32>,
    login_window_s: Option<u64>,
    alert_rare_webhook: Option<String>,
    alert_death_webhook: Option<String>,
    alert_idle_webhook: Option<String>,
    alert_tapers_webhook: Option<String>,
    alert_chat_webhook: Option<String>,
    alert_idle_minutes: Option<u32>,
    alert_low_taper_threshold: Option<u32>,
    alert_stuck_minutes: Option<u32>,
    public_view: Option<bool>,
    public_pages: Option<Vec<String>>,
    backup_dir: Option<String>,
    backup_schedule: Option<String>,
    backup_keep: Option<u32>,
    alert_stuck_webhook: Option<String>,
    alert_disconnected_webhook: Option<String>,
    alert_levelup_webhook: Option<String>,
    alert_backup_webhook: Option<String>,
    /// `[alert_webhooks]`: kind → more webhook URLs.
    alert_webhooks: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// `[alert_templates]`: kind → message template.
    alert_templates: Option<std::collections::BTreeMap<String, String>>,
    alert_disconnected_minutes: Option<u32>,
}

/// Values given on the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub demo: bool,
    pub log_format: Option<String>,
}

impl Settings {
    /// Resolves settings from the file in the data dir, the environment and `flags`.
    pub fn load(flags: &Overrides) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("OVERLORD_")).collect();
        Settings::resolve(flags, &env)
    }

    /// As `load`, with the environment given (tests).
    pub fn resolve(flags: &Overrides, env: &[(String, String)]) -> Result<Settings, ConfigError> {
        let mut s = Settings::default();
        let env_get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        s.data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env_get("OVERLORD_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));

        let file = read_file_settings(&s.data_dir.join("overlord.toml"))?;
        let from_file = "overlord.toml";
        if let Some(v) = file.listen {
            s.listen = parse_listen(&v, &format!("{from_file}: listen"))?;
        }
        s.plugin_secret = file.plugin_secret.or(s.plugin_secret);
        s.live_window_s = file.live_window_s.unwrap_or(s.live_window_s);
        s.retention_days = file.retention_days.unwrap_or(s.retention_days);
        s.journal_window_s = file.journal_window_s.unwrap_or(s.journal_window_s);
        s.trust_loopback = file.trust_loopback.unwrap_or(s.trust_loopback);
        s.trusted_proxies = file.trusted_proxies.unwrap_or(s.trusted_proxies);
        if let Some(v) = file.log_format {
            s.log_format = parse_log_format(&v, &format!("{from_file}: log_format"))?;
        }
        s.demo_characters = file.demo_characters.unwrap_or(s.demo_characters);
        s.max_plugin_connections = file.max_plugin_connections.unwrap_or(s.max_plugin_connections);
        s.max_browser_connections = file.max_browser_connections.unwrap_or(s.max_browser_connections);
        s.max_connections_per_address = file.max_connections_per_address.unwrap_or(s.max_connections_per_address);
        s.plugin_rate_per_s = file.plugin_rate_per_s.unwrap_or(s.plugin_rate_per_s);
        s.map_image_url = file.map_image_url.or(s.map_image_url);
        s.map_image_bounds = file.map_image_bounds.or(s.map_image_bounds);
        s.session_ttl_s = file.session_ttl_s.unwrap_or(s.session_ttl_s);
        s.public_origin = file.public_origin.or(s.public_origin);
        s.login_max_failures = file.login_max_failures.unwrap_or(s.login_max_failures);
        s.login_window_s = file.login_window_s.unwrap_or(s.login_window_s);
        let blank_is_unset = |v: Option<String>| v.filter(|u| !u.trim().is_empty());
        s.alerts.rare_webhook = blank_is_unset(file.alert_rare_webhook);
        s.alerts.death_webhook = blank_is_unset(file.alert_death_webhook);
        s.alerts.idle_webhook = blank_is_unset(file.alert_idle_webhook);
        s.alerts.tapers_webhook = blank_is_unset(file.alert_tapers_webhook);
        s.alerts.chat_webhook = blank_is_unset(file.alert_chat_webhook);
        s.alerts.idle_minutes = file.alert_idle_minutes.unwrap_or(s.alerts.idle_minutes);
        s.alerts.low_taper_threshold = file.alert_low_taper_threshold.unwrap_or(s.alerts.low_taper_threshold);
        let (mut backup_dir, mut backup_schedule, mut backup_keep) = (
            file.backup_dir.map(|d| (d, from_file.to_string())),
            file.backup_schedule.map(|d| (d, from_file.to_string())),
            file.backup_keep,
        );
        s.public_view = file.public_view.unwrap_or(s.public_view);
        if let Some(pages) = file.public_pages {
            s.public_pages = crate::auth::PublicPage::parse_list(&pages.join(","))
                .map_err(|e| ConfigError(format!("{from_file}: public_pages: {e}")))?;
        }
        let kind_of = |k: &str, table: &str| {
            crate::alerts::AlertKind::from_name(k).ok_or_else(|| {
                ConfigError(format!(
                    "{from_file}: [{table}] '{k}' is not an alert kind: use rare, death, idle, tapers, chat, stuck, disconnected, levelup or backup"
                ))
            })
        };
        use crate::alerts::AlertKind as K;
        for (kind, v) in [
            (K::Stuck, file.alert_stuck_webhook),
            (K::Disconnected, file.alert_disconnected_webhook),
            (K::Levelup, file.alert_levelup_webhook),
            (K::Backup, file.alert_backup_webhook),
        ] {
            if let Some(url) = blank_is_unset(v) {
                s.alerts.extra_webhooks.push((kind, url));
            }
        }
        for (k, urls) in file.alert_webhooks.unwrap_or_default() {
            let kind = kind_of(&k, "alert_webhooks")?;
            s.alerts.extra_webhooks.extend(urls.into_iter().filter(|u| !u.trim().is_empty()).map(|u| (kind, u)));
        }
        for (k, t) in file.alert_templates.unwrap_or_default() {
            s.alerts.templates.push((kind_of(&k, "alert_templates")?, t));
        }
        s.alerts.stuck_minutes = file.alert_stuck_minutes.unwrap_or(s.alerts.stuck_minutes);
        s.alerts.disconnected_minutes = file.alert_disconnected_minutes.unwrap_or(s.alerts.disconnected_minutes);
        for (key, set) in [
            ("alert_idle_minutes", file.alert_idle_minutes.is_some()),
            ("alert_low_taper_threshold", file.alert_low_taper_threshold.is_some()),
            ("alert_stuck_minutes", file.alert_stuck_minutes.is_some()),
            ("alert_disconnected_minutes", file.alert_disconnected_minutes.is_some()),
        ] {
            if set {
                s.fixed.insert(key.to_string(), from_file.to_string());
            }
        }
        for kind in K::ALL {
            if !s.alerts.webhooks(kind).is_empty() {
                s.fixed.insert(format!("alert_webhooks.{}", kind.name()), from_file.to_string());
            }
            if s.alerts.template(kind).is_some() {
                s.fixed.insert(format!("alert_templates.{}", kind.name()), from_file.to_string());
            }
        }

        for (key, value) in env {
            let what = key.as_str();
            match what {
                "OVERLORD_DATA_DIR" => {}
                "OVERLORD_LISTEN" => s.listen = parse_listen(value, what)?,
                "OVERLORD_PLUGIN_SECRET" => s.plugin_secret = Some(value.clone()),
                "OVERLORD_LIVE_WINDOW_S" => s.live_window_s = parse_num(value, what)?,
                "OVERLORD_RETENTION_DAYS" => s.retention_days = parse_num(value, what)?,
                "OVERLORD_JOURNAL_WINDOW_S" => s.journal_window_s = parse_num(value, what)?,
                "OVERLORD_TRUST_LOOPBACK" => s.trust_loopback = parse_bool(value, what)?,
                "OVERLORD_TRUSTED_PROXIES" => {
                    s.trusted_proxies =
                        value.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
                }
                "OVERLORD_LOG_FORMAT" => s.log_format = parse_log_format(value, what)?,
                "OVERLORD_DEMO_CHARACTERS" => s.demo_characters = parse_num(value, what)?,
                "OVERLORD_MAX_PLUGIN_CONNECTIONS" => s.max_plugin_connections = parse_num(value, what)?,
                "OVERLORD_MAX_BROWSER_CONNECTIONS" => s.max_browser_connections = parse_num(value, what)?,
                "OVERLORD_MAX_CONNECTIONS_PER_ADDRESS" => s.max_connections_per_address = parse_num(value, what)?,
                "OVERLORD_PLUGIN_RATE_PER_S" => s.plugin_rate_per_s = parse_num(value, what)?,
                "OVERLORD_MAP_IMAGE_URL" => s.map_image_url = Some(value.clone()),
                "OVERLORD_SESSION_TTL_S" => s.session_ttl_s = parse_num(value, what)?,
                "OVERLORD_PUBLIC_ORIGIN" => s.public_origin = Some(value.clone()),
                "OVERLORD_LOGIN_MAX_FAILURES" => s.login_max_failures = parse_num(value, what)?,
                "OVERLORD_LOGIN_WINDOW_S" => s.login_window_s = parse_num(value, what)?,
                "OVERLORD_ALERT_RARE_WEBHOOK" => {
                    s.alerts.rare_webhook = Some(value.clone()).filter(|v| !v.trim().is_empty())
                }
                "OVERLORD_ALERT_DEATH_WEBHOOK" => {
                    s.alerts.death_webhook = Some(value.clone()).filter(|v| !v.trim().is_empty())
                }
                "OVERLORD_ALERT_IDLE_WEBHOOK" => {
                    s.alerts.idle_webhook = Some(value.clone()).filter(|v| !v.trim().is_empty())
                }
                "OVERLORD_ALERT_TAPERS_WEBHOOK" => {
                    s.alerts.tapers_webhook = Some(value.clone()).filter(|v| !v.trim().is_empty())
                }
                "OVERLORD_ALERT_CHAT_WEBHOOK" => {
                    s.alerts.chat_webhook = Some(value.clone()).filter(|v| !v.trim().is_empty())
                }
                "OVERLORD_ALERT_IDLE_MINUTES" => s.alerts.idle_minutes = parse_num(value, what)?,
                "OVERLORD_ALERT_LOW_TAPER_THRESHOLD" => s.alerts.low_taper_threshold = parse_num(value, what)?,
                "OVERLORD_BACKUP_DIR" => backup_dir = Some((value.clone(), what.to_string())),
                "OVERLORD_BACKUP_SCHEDULE" => backup_schedule = Some((value.clone(), what.to_string())),
                "OVERLORD_BACKUP_KEEP" => backup_keep = Some(parse_num(value, what)?),
                "OVERLORD_PUBLIC_VIEW" => s.public_view = parse_bool(value, what)?,
                "OVERLORD_PUBLIC_PAGES" => {
                    s.public_pages =
                        crate::auth::PublicPage::parse_list(value).map_err(|e| ConfigError(format!("{what}: {e}")))?
                }
                "OVERLORD_ALERT_STUCK_WEBHOOK"
                | "OVERLORD_ALERT_DISCONNECTED_WEBHOOK"
                | "OVERLORD_ALERT_LEVELUP_WEBHOOK"
                | "OVERLORD_ALERT_BACKUP_WEBHOOK" => {
                    let kind = crate::alerts::AlertKind::ALL.into_iter().find(|k| k.env_key() == what);
                    if let Some(kind) = kind {
                        // The environment wins: it replaces what the file set for this key.
                        s.alerts.extra_webhooks.retain(|(k, _)| *k != kind);
                        if !value.trim().is_empty() {
                            s.alerts.extra_webhooks.push((kind, value.clone()));
                        }
                    }
                }
                "OVERLORD_ALERT_STUCK_MINUTES" => s.alerts.stuck_minutes = parse_num(value, what)?,
                "OVERLORD_ALERT_DISCONNECTED_MINUTES" => s.alerts.disconnected_minutes = parse_num(value, what)?,
                // Other OVERLORD_* names belong to other tools (tests, the e2e runner).
                _ => {}
            }
        }

        for (key, _) in env {
            let fixed_key = match key.as_str() {
                "OVERLORD_ALERT_IDLE_MINUTES" => Some("alert_idle_minutes".to_string()),
                "OVERLORD_ALERT_LOW_TAPER_THRESHOLD" => Some("alert_low_taper_threshold".to_string()),
                "OVERLORD_ALERT_STUCK_MINUTES" => Some("alert_stuck_minutes".to_string()),
                "OVERLORD_ALERT_DISCONNECTED_MINUTES" => Some("alert_disconnected_minutes".to_string()),
                k => K::ALL
                    .into_iter()
                    .find(|kind| kind.env_key() == k)
                    .map(|kind| format!("alert_webhooks.{}", kind.name())),
            };
            if let Some(fixed_key) = fixed_key {
                s.fixed.insert(fixed_key, key.clone());
            }
        }

        if let Some(v) = &flags.listen {
            s.listen = parse_listen(v, "--listen")?;
        }
        if let Some(v) = &flags.log_format {
            s.log_format = parse_log_format(v, "--log-format")?;
        }
        s.backups = backup_settings(backup_dir, backup_schedule, backup_keep)?;
        s.demo = flags.demo;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.plugin_secret
            && secret.trim().len() < 8
        {
            return Err(ConfigError(
                "plugin_secret: must be at least 8 characters (set OVERLORD_PLUGIN_SECRET to a long random string)"
                    .into(),
            ));
        }
        if !(10..=86_400).contains(&self.live_window_s) {
            return Err(ConfigError(format!("live_window_s: {} is outside 10..=86400 seconds", self.live_window_s)));
        }
        if !(1..=36_500).contains(&self.retention_days) {
            return Err(ConfigError(format!("retention_days: {} is outside 1..=36500", self.retention_days)));
        }
        if !(30..=86_400).contains(&self.journal_window_s) {
            return Err(ConfigError(format!(
                "journal_window_s: {} is outside 30..=86400 seconds",
                self.journal_window_s
            )));
        }
        if !(1..=10_000).contains(&self.plugin_rate_per_s) {
            return Err(ConfigError(format!("plugin_rate_per_s: {} is outside 1..=10000", self.plugin_rate_per_s)));
        }
        if self.demo_characters > 500 {
            return Err(ConfigError(format!("demo_characters: {} is over the limit of 500", self.demo_characters)));
        }
        if self.max_plugin_connections == 0 || self.max_browser_connections == 0 {
            return Err(ConfigError("max_plugin_connections and max_browser_connections must be at least 1".into()));
        }
        if self.max_connections_per_address == 0 {
            return Err(ConfigError("max_connections_per_address must be at least 1 (default 256)".into()));
        }
        self.auth_config()?;
        self.alerts.validate().map_err(|e| ConfigError(e.to_string()))?;
        if let Some([w, s, e, n]) = self.map_image_bounds
            && !(w < e && s < n)
        {
            return Err(ConfigError(
                "map_image_bounds: expected [west, south, east, north] with west < east and south < north".into(),
            ));
        }
        Ok(())
    }
}

impl Settings {
    /// The accounts module's settings, validated there (its errors name the setting).
    pub fn auth_config(&self) -> Result<crate::auth::AuthConfig, ConfigError> {
        let mut proxies = Vec::new();
        for p in &self.trusted_proxies {
            proxies.push(p.parse().map_err(|_| {
                ConfigError(format!("trusted_proxies: '{p}' is not an IP address or CIDR (e.g. 10.0.0.0/8)"))
            })?);
        }
        let cfg = crate::auth::AuthConfig {
            trust_loopback: self.trust_loopback,
            trusted_proxies: proxies,
            session_ttl: std::time::Duration::from_secs(self.session_ttl_s),
            public_origin: self.public_origin.clone(),
            login_max_failures: self.login_max_failures,
            login_window: std::time::Duration::from_secs(self.login_window_s),
            public_pages: if self.public_view { self.public_pages.clone() } else { Vec::new() },
            ..crate::auth::AuthConfig::default()
        };
        cfg.validate().map_err(|e| ConfigError(e.to_string()))?;
        Ok(cfg)
    }
}

/// `backup_dir` and `backup_schedule` together turn scheduled backups on; one without the
/// other is an error (a schedule with nowhere to write is a mistake, not "off").
fn backup_settings(
    dir: Option<(String, String)>,
    schedule: Option<(String, String)>,
    keep: Option<u32>,
) -> Result<Option<crate::backup_schedule::BackupSettings>, ConfigError> {
    let dir = dir.filter(|(d, _)| !d.trim().is_empty());
    let schedule = schedule.filter(|(d, _)| !d.trim().is_empty());
    let keep = keep.unwrap_or(7);
    if !(1..=crate::backup_schedule::MAX_KEEP).contains(&keep) {
        return Err(ConfigError(format!("backup_keep: {keep} is outside 1..={}", crate::backup_schedule::MAX_KEEP)));
    }
    match (dir, schedule) {
        (None, None) => Ok(None),
        (Some((_, from)), None) => {
            Err(ConfigError(format!("{from}: backup_dir is set but backup_schedule is not (e.g. \"daily 03:30\")")))
        }
        (None, Some((_, from))) => {
            Err(ConfigError(format!("{from}: backup_schedule is set but backup_dir is not (an absolute path)")))
        }
        (Some((d, dfrom)), Some((sch, sfrom))) => {
            let dir = PathBuf::from(d.trim());
            if !dir.is_absolute() {
                return Err(ConfigError(format!("{dfrom}: backup_dir '{d}' must be an absolute path")));
            }
            let schedule = crate::backup_schedule::Schedule::parse(&sch)
                .map_err(|e| ConfigError(format!("{sfrom}: backup_schedule {e}")))?;
            Ok(Some(crate::backup_schedule::BackupSettings { dir, schedule, keep }))
        }
    }
}

fn read_file_settings(path: &Path) -> Result<FileSettings, ConfigError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileSettings::default()),
        Err(e) => return Err(ConfigError(format!("{}: cannot read: {e}", path.display()))),
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError(format!("{}: larger than {MAX_CONFIG_BYTES} bytes", path.display())));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_string();
        ConfigError(format!("{}: {}", path.display(), msg.replace('\n', " ")))
    })
}

fn parse_listen(v: &str, what: &str) -> Result<SocketAddr, ConfigError> {
    v.trim().parse().map_err(|_| {
        ConfigError(format!("{what}: '{v}' is not an IP:port address (e.g. 127.0.0.1:8770; names are not resolved)"))
    })
}

fn parse_num<T: std::str::FromStr>(v: &str, what: &str) -> Result<T, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError(format!("{what}: '{v}' is not a whole number")))
}

fn parse_bool(v: &str, what: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!("{what}: '{v}' is not true or false"))),
    }
}

fn parse_log_format(v: &str, what: &str) -> Result<LogFormat, ConfigError> {
    match v.trim() {
        "human" | "text" => Ok(LogFormat::Human),
        "json" => Ok(LogFormat::Json),
        _ => Err(ConfigError(format!("{what}: '{v}' is not one of human, json"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("overlord.toml"),
            "listen = \"127.0.0.1:9000\"\nlive_window_s = 300\nretention_days = 30\n",
        )
        .unwrap();
        let flags = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
        let s = Settings::resolve(&flags, &env(&[("OVERLORD_LIVE_WINDOW_S", "120")])).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.live_window_s, 120);
        assert_eq!(s.retention_days, 30);
        let flags = Overrides { listen: Some("127.0.0.1:9100".into()), ..flags };
        assert_eq!(Settings::resolve(&flags, &[]).unwrap().listen.port(), 9100);
    }

    #[test]
    fn errors_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let flags = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
        let e = Settings::resolve(&flags, &env(&[("OVERLORD_LIVE_WINDOW_S", "soon")])).unwrap_err();
        assert!(e.0.starts_with("OVERLORD_LIVE_WINDOW_S"), "{e}");
        let e = Settings::resolve(&Overrides { listen: Some("localhost:1".into()), ..flags.clone() }, &[]).unwrap_err();
        assert!(e.0.starts_with("--listen"), "{e}");
        std::fs::write(dir.path().join("overlord.toml"), "retention_dayz = 3\n").unwrap();
        let e = Settings::resolve(&flags, &[]).unwrap_err();
        assert!(e.0.contains("retention_dayz"), "{e}");
        let e = Settings::resolve(
            &Overrides { data_dir: Some("/nonexistent-x".into()), ..Default::default() },
            &env(&[("OVERLORD_PLUGIN_SECRET", "short")]),
        )
        .unwrap_err();
        assert!(e.0.starts_with("plugin_secret"), "{e}");
    }
}
