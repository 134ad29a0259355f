//! Alert settings: which webhook each kind posts to, the thresholds, internal timings,
//! and validation whose errors name the setting (file key and env variable). Never prints
//! a webhook token: `Debug` and error messages redact it. Never does I/O.

use super::format::TemplateError;
use super::{
    BATCH_LINGER, IDLE_CHECK_EVERY, MAX_DELIVERY_ATTEMPTS, MIN_POST_INTERVAL, REQUEST_TIMEOUT, RETRY_BACKOFF_BASE,
    RETRY_BACKOFF_CAP,
};
use super::{MAX_WEBHOOK_URL_BYTES, format::redact_webhook_url};

/// Webhooks one kind may post to (each is its own worker and Discord rate limit).
pub const MAX_WEBHOOKS_PER_KIND: usize = 8;
use std::time::Duration;

/// Alert settings. A webhook left unset (or blank) turns that alert off; all unset turns
/// the module off. Several kinds may share one URL (they then share one worker and posts).
///
/// `Debug` redacts webhook tokens, so the settings can be logged.
#[derive(Clone)]
pub struct AlertConfig {
    pub rare_webhook: Option<String>,
    pub death_webhook: Option<String>,
    pub idle_webhook: Option<String>,
    pub tapers_webhook: Option<String>,
    pub chat_webhook: Option<String>,
    /// A character whose socket is open but that has sent no telemetry this long is idle.
    pub idle_minutes: u32,
    /// `prismatic_taper_count` crossing below this raises "low tapers".
    pub low_taper_threshold: u32,
    /// Online without moving, killing or gaining XP this long is stuck (`alert_stuck_minutes`).
    pub stuck_minutes: u32,
    /// A dropped socket not back within this long is disconnected (`alert_disconnected_minutes`).
    pub disconnected_minutes: u32,
    /// More webhooks per kind (`[alert_webhooks]` in `overlord.toml`, or the dashboard's
    /// Alerts page): every line of that kind goes to each of them.
    pub extra_webhooks: Vec<(AlertKind, String)>,
    /// Message templates per kind (`[alert_templates]`); a kind without one uses the
    /// built-in line. Placeholders: see [`AlertKind::placeholders`].
    pub templates: Vec<(AlertKind, String)>,
    /// Kinds switched off on the Alerts page: their webhooks are kept but not posted to.
    pub disabled: Vec<AlertKind>,
    /// Timings that are not operator settings; tests shrink them.
    pub tuning: AlertTuning,
}

/// Internal timings, defaulting to the constants above. Not read from the config file.
#[derive(Debug, Clone)]
pub struct AlertTuning {
    /// How often the idle check runs.
    pub idle_check_every: Duration,
    /// Overrides `idle_minutes` (tests use seconds).
    pub idle_after: Option<Duration>,
    pub batch_linger: Duration,
    pub min_post_interval: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub max_attempts: u32,
    pub request_timeout: Duration,
}

impl Default for AlertTuning {
    fn default() -> Self {
        AlertTuning {
            idle_check_every: IDLE_CHECK_EVERY,
            idle_after: None,
            batch_linger: BATCH_LINGER,
            min_post_interval: MIN_POST_INTERVAL,
            backoff_base: RETRY_BACKOFF_BASE,
            backoff_cap: RETRY_BACKOFF_CAP,
            max_attempts: MAX_DELIVERY_ATTEMPTS,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            rare_webhook: None,
            death_webhook: None,
            idle_webhook: None,
            tapers_webhook: None,
            chat_webhook: None,
            idle_minutes: 10,
            low_taper_threshold: 200,
            stuck_minutes: super::DEFAULT_STUCK_MINUTES,
            disconnected_minutes: super::DEFAULT_DISCONNECTED_MINUTES,
            extra_webhooks: Vec::new(),
            templates: Vec::new(),
            disabled: Vec::new(),
            tuning: AlertTuning::default(),
        }
    }
}

impl std::fmt::Debug for AlertConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = |u: &Option<String>| webhook_of(u).map(redact_webhook_url);
        f.debug_struct("AlertConfig")
            .field("rare_webhook", &r(&self.rare_webhook))
            .field("death_webhook", &r(&self.death_webhook))
            .field("idle_webhook", &r(&self.idle_webhook))
            .field("tapers_webhook", &r(&self.tapers_webhook))
            .field("chat_webhook", &r(&self.chat_webhook))
            .field("idle_minutes", &self.idle_minutes)
            .field("low_taper_threshold", &self.low_taper_threshold)
            .field("stuck_minutes", &self.stuck_minutes)
            .field("disconnected_minutes", &self.disconnected_minutes)
            .field(
                "extra_webhooks",
                &self.extra_webhooks.iter().map(|(k, u)| (k.name(), redact_webhook_url(u))).collect::<Vec<_>>(),
            )
            .field("templates", &self.templates)
            .field("disabled", &self.disabled)
            .field("tuning", &self.tuning)
            .finish()
    }
}

/// The kinds of alert, each with its own webhook setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Rare,
    Death,
    Idle,
    Tapers,
    Chat,
    /// Online, and no movement, kill or XP for `alert_stuck_minutes` (`Attention`).
    Stuck,
    /// The socket dropped without a logout and the character is not back.
    Disconnected,
    /// The level went up.
    Levelup,
    /// A scheduled backup failed.
    Backup,
}

impl AlertKind {
    pub const ALL: [AlertKind; 9] = [
        AlertKind::Rare,
        AlertKind::Death,
        AlertKind::Idle,
        AlertKind::Tapers,
        AlertKind::Chat,
        AlertKind::Stuck,
        AlertKind::Disconnected,
        AlertKind::Levelup,
        AlertKind::Backup,
    ];

    /// The `overlord.toml` key of this kind's webhook.
    pub fn config_key(self) -> &'static str {
        match self {
            AlertKind::Rare => "alert_rare_webhook",
            AlertKind::Death => "alert_death_webhook",
            AlertKind::Idle => "alert_idle_webhook",
            AlertKind::Tapers => "alert_tapers_webhook",
            AlertKind::Chat => "alert_chat_webhook",
            AlertKind::Stuck => "alert_stuck_webhook",
            AlertKind::Disconnected => "alert_disconnected_webhook",
            AlertKind::Levelup => "alert_levelup_webhook",
            AlertKind::Backup => "alert_backup_webhook",
        }
    }

    /// The environment variable of this kind's webhook.
    pub fn env_key(self) -> &'static str {
        match self {
            AlertKind::Rare => "OVERLORD_ALERT_RARE_WEBHOOK",
            AlertKind::Death => "OVERLORD_ALERT_DEATH_WEBHOOK",
            AlertKind::Idle => "OVERLORD_ALERT_IDLE_WEBHOOK",
            AlertKind::Tapers => "OVERLORD_ALERT_TAPERS_WEBHOOK",
            AlertKind::Chat => "OVERLORD_ALERT_CHAT_WEBHOOK",
            AlertKind::Stuck => "OVERLORD_ALERT_STUCK_WEBHOOK",
            AlertKind::Disconnected => "OVERLORD_ALERT_DISCONNECTED_WEBHOOK",
            AlertKind::Levelup => "OVERLORD_ALERT_LEVELUP_WEBHOOK",
            AlertKind::Backup => "OVERLORD_ALERT_BACKUP_WEBHOOK",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Rare => "rare",
            AlertKind::Death => "death",
            AlertKind::Idle => "idle",
            AlertKind::Tapers => "tapers",
            AlertKind::Chat => "chat",
            AlertKind::Stuck => "stuck",
            AlertKind::Disconnected => "disconnected",
            AlertKind::Levelup => "levelup",
            AlertKind::Backup => "backup",
        }
    }

    pub fn from_name(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The placeholders a template of this kind may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            AlertKind::Rare => &["character", "rare_name", "coords"],
            AlertKind::Death => &["character", "deaths", "lifetime_deaths", "coords"],
            AlertKind::Idle => &["character", "minutes", "coords"],
            AlertKind::Tapers => &["character", "tapers", "threshold"],
            AlertKind::Chat => &["sender", "text"],
            AlertKind::Stuck => &["character", "minutes", "coords"],
            AlertKind::Disconnected => &["character", "minutes"],
            AlertKind::Levelup => &["character", "level", "coords"],
            AlertKind::Backup => &["error", "backup_dir"],
        }
    }
}

impl AlertConfig {
    /// The webhook configured for `kind` by its own key, if any (blank counts as unset).
    pub fn webhook(&self, kind: AlertKind) -> Option<&str> {
        webhook_of(match kind {
            AlertKind::Rare => &self.rare_webhook,
            AlertKind::Death => &self.death_webhook,
            AlertKind::Idle => &self.idle_webhook,
            AlertKind::Tapers => &self.tapers_webhook,
            AlertKind::Chat => &self.chat_webhook,
            // The newer kinds have their webhooks in `extra_webhooks` only.
            _ => return None,
        })
    }

    /// Every webhook of `kind`: its own key first, then `extra_webhooks`, without repeats.
    pub fn webhooks(&self, kind: AlertKind) -> Vec<&str> {
        let mut out: Vec<&str> = self.webhook(kind).into_iter().collect();
        for (k, u) in &self.extra_webhooks {
            let u = u.trim();
            if *k == kind && !u.is_empty() && !out.contains(&u) {
                out.push(u);
            }
        }
        out
    }

    /// The template of `kind`, if one is set.
    pub fn template(&self, kind: AlertKind) -> Option<&str> {
        self.templates.iter().rev().find(|(k, t)| *k == kind && !t.trim().is_empty()).map(|(_, t)| t.as_str())
    }

    /// Every webhook `kind` posts to now: none while the kind is switched off.
    pub fn active_webhooks(&self, kind: AlertKind) -> Vec<&str> {
        if self.disabled.contains(&kind) { Vec::new() } else { self.webhooks(kind) }
    }

    /// Whether any alert is configured and switched on.
    pub fn is_enabled(&self) -> bool {
        AlertKind::ALL.iter().any(|k| !self.active_webhooks(*k).is_empty())
    }

    /// Checks every setting; the error names the setting (file key and env variable), the
    /// problem and the fix. It never contains a webhook token.
    pub fn validate(&self) -> Result<(), AlertConfigError> {
        for kind in AlertKind::ALL {
            for url in self.webhooks(kind) {
                validate_webhook_url(url).map_err(|source| AlertConfigError::Webhook { kind, source })?;
            }
            if self.webhooks(kind).len() > MAX_WEBHOOKS_PER_KIND {
                return Err(AlertConfigError::TooManyWebhooks { kind });
            }
        }
        for (kind, t) in &self.templates {
            super::format::validate_template(t, kind.placeholders())
                .map_err(|source| AlertConfigError::Template { kind: *kind, source })?;
        }
        if !(1..=1_440).contains(&self.idle_minutes) {
            return Err(AlertConfigError::IdleMinutesOutOfRange(self.idle_minutes));
        }
        if !(1..=1_000_000).contains(&self.low_taper_threshold) {
            return Err(AlertConfigError::LowTaperThresholdOutOfRange(self.low_taper_threshold));
        }
        if !(1..=1_440).contains(&self.stuck_minutes) {
            return Err(AlertConfigError::StuckMinutesOutOfRange(self.stuck_minutes));
        }
        if !(1..=1_440).contains(&self.disconnected_minutes) {
            return Err(AlertConfigError::DisconnectedMinutesOutOfRange(self.disconnected_minutes));
        }
        let t = &self.tuning;
        if t.idle_check_every.is_zero() || t.max_attempts == 0 || t.request_timeout.is_zero() {
            return Err(AlertConfigError::ZeroTuning);
        }
        Ok(())
    }

    pub(crate) fn idle_after(&self) -> Duration {
        self.tuning.idle_after.unwrap_or(Duration::from_secs(u64::from(self.idle_minutes) * 60))
    }
}

fn webhook_of(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An alert setting that cannot be used; the message names the setting (file key and env
/// variable), the problem and the fix, and never contains a webhook token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertConfigError {
    /// One of `kind`'s webhook URLs is not one alerts will post to.
    #[error("{} ({}): {source}", .kind.config_key(), .kind.env_key())]
    Webhook {
        kind: AlertKind,
        #[source]
        source: WebhookUrlError,
    },
    /// More than [`MAX_WEBHOOKS_PER_KIND`] webhooks for `kind`.
    #[error("alert_webhooks.{}: more than {MAX_WEBHOOKS_PER_KIND} webhooks for one kind", .kind.name())]
    TooManyWebhooks { kind: AlertKind },
    /// `kind`'s message template is unusable.
    #[error("alert_templates.{}: {source}", .kind.name())]
    Template {
        kind: AlertKind,
        #[source]
        source: TemplateError,
    },
    /// `alert_idle_minutes` outside 1..=1440.
    #[error("alert_idle_minutes (OVERLORD_ALERT_IDLE_MINUTES): {0} is outside 1..=1440 minutes")]
    IdleMinutesOutOfRange(u32),
    /// `alert_low_taper_threshold` outside 1..=1000000.
    #[error("alert_low_taper_threshold (OVERLORD_ALERT_LOW_TAPER_THRESHOLD): {0} is outside 1..=1000000 tapers")]
    LowTaperThresholdOutOfRange(u32),
    /// `alert_stuck_minutes` outside 1..=1440.
    #[error("alert_stuck_minutes (OVERLORD_ALERT_STUCK_MINUTES): {0} is outside 1..=1440 minutes")]
    StuckMinutesOutOfRange(u32),
    /// `alert_disconnected_minutes` outside 1..=1440.
    #[error("alert_disconnected_minutes (OVERLORD_ALERT_DISCONNECTED_MINUTES): {0} is outside 1..=1440 minutes")]
    DisconnectedMinutesOutOfRange(u32),
    /// An internal timing (tests set these) is zero.
    #[error("alert tuning: idle_check_every, max_attempts and request_timeout must be above zero")]
    ZeroTuning,
}

/// Why a webhook URL is refused. The message follows the words "webhook URL" or the
/// setting's name, says what to paste instead, and never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Over [`MAX_WEBHOOK_URL_BYTES`].
    #[error("longer than {max} bytes; paste the webhook URL from Discord")]
    TooLong { max: usize },
    /// Does not parse as a URI. The parser's reason is left out: it adds nothing a person
    /// pasting a webhook could act on.
    #[error("is not a URL; expected https://discord.com/api/webhooks/<id>/<token>")]
    NotAUrl,
    /// Parses, but names no host.
    #[error("has no host; expected https://discord.com/api/webhooks/<id>/<token>")]
    NoHost,
    /// `http://` to a host that is not loopback: the token would cross the network in clear.
    #[error(
        "plain http to {host} would send the webhook token in clear text; use https:// (http:// is only accepted for 127.0.0.1/localhost)"
    )]
    PlainHttp { host: String },
    /// A scheme other than https (or http to loopback), or none.
    #[error("must start with https:// (e.g. https://discord.com/api/webhooks/<id>/<token>)")]
    NotHttps,
}

/// A webhook must be https (Discord's are `https://discord.com/api/webhooks/<id>/<token>`);
/// plain http is accepted only to a loopback host, where tests run a stand-in server,
/// because over a network it would expose the token.
pub(crate) fn validate_webhook_url(url: &str) -> Result<(), WebhookUrlError> {
    if url.len() > MAX_WEBHOOK_URL_BYTES {
        return Err(WebhookUrlError::TooLong { max: MAX_WEBHOOK_URL_BYTES });
    }
    let uri: hyper::Uri = url.parse().map_err(|_| WebhookUrlError::NotAUrl)?;
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Err(WebhookUrlError::NoHost);
    };
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback_host(host) => Ok(()),
        Some("http") => Err(WebhookUrlError::PlainHttp { host: host.to_string() }),
        _ => Err(WebhookUrlError::NotHttps),
    }
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(kind: AlertKind, url: &str) -> AlertConfig {
        let mut c = AlertConfig::default();
        match kind {
            AlertKind::Rare => c.rare_webhook = Some(url.into()),
            AlertKind::Death => c.death_webhook = Some(url.into()),
            AlertKind::Idle => c.idle_webhook = Some(url.into()),
            AlertKind::Tapers => c.tapers_webhook = Some(url.into()),
            AlertKind::Chat => c.chat_webhook = Some(url.into()),
            other => c.extra_webhooks.push((other, url.into())),
        }
        c
    }

    #[test]
    fn no_webhook_means_disabled_and_valid() {
        let c = AlertConfig { rare_webhook: Some("  ".into()), ..AlertConfig::default() };
        assert!(!c.is_enabled());
        assert!(c.validate().is_ok());
    }

    #[test]
    fn discord_https_and_loopback_http_are_accepted() {
        assert!(with(AlertKind::Rare, "https://discord.com/api/webhooks/123/abcDEF-_").validate().is_ok());
        assert!(with(AlertKind::Chat, "http://127.0.0.1:9999/api/webhooks/1/t").validate().is_ok());
        assert!(with(AlertKind::Chat, "http://localhost:9999/hook").validate().is_ok());
        assert!(with(AlertKind::Chat, "http://[::1]:9999/hook").validate().is_ok());
    }

    #[test]
    fn bad_webhook_errors_name_the_setting_and_hide_the_token() {
        let e = with(AlertKind::Death, "http://discord.com/api/webhooks/123/SECRETTOKEN")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("alert_death_webhook (OVERLORD_ALERT_DEATH_WEBHOOK)"), "{e}");
        assert!(!e.contains("SECRETTOKEN"), "{e}");
        let bad_scheme = with(AlertKind::Tapers, "ftp://x/y").validate();
        assert!(matches!(
            bad_scheme,
            Err(AlertConfigError::Webhook { kind: AlertKind::Tapers, source: WebhookUrlError::NotHttps })
        ));
        let e = with(AlertKind::Tapers, "ftp://x/y").validate().unwrap_err().to_string();
        assert!(e.starts_with("alert_tapers_webhook"), "{e}");
        let e = with(AlertKind::Idle, "not a url").validate().unwrap_err().to_string();
        assert!(e.starts_with("alert_idle_webhook"), "{e}");
        let long = format!("https://discord.com/{}", "a".repeat(MAX_WEBHOOK_URL_BYTES));
        assert!(with(AlertKind::Rare, &long).validate().unwrap_err().to_string().contains("longer than"));
    }

    #[test]
    fn numeric_settings_are_range_checked() {
        let c = AlertConfig { idle_minutes: 0, ..with(AlertKind::Idle, "https://discord.com/api/webhooks/1/t") };
        assert!(c.validate().unwrap_err().to_string().starts_with("alert_idle_minutes"));
        let c = AlertConfig { low_taper_threshold: 0, ..AlertConfig::default() };
        assert!(c.validate().unwrap_err().to_string().starts_with("alert_low_taper_threshold"));
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let c = with(AlertKind::Rare, "https://discord.com/api/webhooks/123/SECRETTOKEN");
        let d = format!("{c:?}");
        assert!(!d.contains("SECRETTOKEN"), "{d}");
        assert!(d.contains("discord.com/api/webhooks/123/"), "{d}");
    }
}
