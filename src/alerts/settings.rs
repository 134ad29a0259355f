//! The alert settings an admin edits on the dashboard's Alerts page, persisted in
//! `state.redb` (table `settings`, key `alerts`, one JSON document) so they survive a
//! restart.
//!
//! Precedence, per setting: `overlord.toml` / `OVERLORD_*` (recorded in
//! `Settings::fixed`) > the dashboard's value > the built-in default. A value fixed by the
//! file or the environment is shown read-only with where it comes from, and a change to it
//! is refused naming that place. Owns validation of the dashboard's edits (http(s) URLs,
//! counts, template size and placeholders, threshold ranges) with messages that name the
//! field. Never logs a webhook token.

use super::config::{MAX_WEBHOOKS_PER_KIND, validate_webhook_url};
use super::format::{MAX_TEMPLATE_CHARS, redact_webhook_url, validate_template};
use super::{AlertConfig, AlertKind, MAX_WEBHOOK_URL_BYTES, samples};
use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
const KEY: &str = "alerts";

/// The thresholds the page edits: (key, label, unit, default, min, max).
pub const THRESHOLD_KEYS: [(&str, &str, &str, u32, u32, u32); 4] = [
    ("alert_stuck_minutes", "Stuck after", "minutes", super::DEFAULT_STUCK_MINUTES, 1, 1_440),
    ("alert_disconnected_minutes", "Disconnected after", "minutes", super::DEFAULT_DISCONNECTED_MINUTES, 1, 1_440),
    ("alert_idle_minutes", "Idle socket after", "minutes", 10, 1, 1_440),
    ("alert_low_taper_threshold", "Low tapers below", "tapers", 200, 1, 1_000_000),
];

/// What the dashboard stored. Every field is optional: unset means "not set here".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    webhooks: BTreeMap<AlertKind, Vec<String>>,
    #[serde(default)]
    templates: BTreeMap<AlertKind, String>,
    #[serde(default)]
    disabled: BTreeSet<AlertKind>,
    #[serde(default)]
    thresholds: BTreeMap<String, u32>,
    #[serde(default)]
    updated_ms: Option<i64>,
    #[serde(default)]
    updated_by: Option<String>,
}

/// `PUT /api/alerts/settings`: only the fields present change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsPatch {
    #[serde(default)]
    pub kinds: BTreeMap<AlertKind, KindPatch>,
    /// Threshold key (see [`THRESHOLD_KEYS`]) → value.
    #[serde(default)]
    pub thresholds: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPatch {
    pub enabled: Option<bool>,
    /// The kind's whole webhook list (an empty list removes them all).
    pub webhooks: Option<Vec<String>>,
    /// The message template; an empty string returns to the built-in line.
    pub template: Option<String>,
}

/// A refused change or a storage failure.
#[derive(Debug)]
pub enum SettingsError {
    /// The edit is not acceptable; the text names the field and the fix.
    Invalid(String),
    /// The value is set in `overlord.toml` or the environment.
    Fixed(String),
    Storage(String),
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::Invalid(m) | SettingsError::Fixed(m) => f.write_str(m),
            SettingsError::Storage(m) => write!(f, "alert settings storage: {m}"),
        }
    }
}

impl std::error::Error for SettingsError {}

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Default,
    Dashboard,
    /// `overlord.toml`.
    File,
    /// An `OVERLORD_*` variable.
    Env,
}

/// `GET /api/alerts/settings`.
#[derive(Debug, Clone, Serialize)]
pub struct AlertSettingsView {
    pub kinds: Vec<KindView>,
    pub thresholds: Vec<ThresholdView>,
    pub limits: Limits,
    pub updated_ms: Option<i64>,
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindView {
    pub kind: AlertKind,
    pub label: &'static str,
    pub description: &'static str,
    pub enabled: bool,
    /// Full URLs when the dashboard owns them (the admin edits them); with the token
    /// hidden when `overlord.toml`/env set them (the secret stays in that file).
    pub webhooks: Vec<String>,
    pub webhooks_source: Source,
    /// `overlord.toml` or the variable's name, when fixed there.
    pub webhooks_fixed_by: Option<String>,
    pub template: Option<String>,
    pub template_source: Source,
    pub template_fixed_by: Option<String>,
    pub placeholders: Vec<&'static str>,
    /// The built-in line with sample values (what is posted without a template).
    pub default_example: String,
    /// What the current template (or the built-in line) gives with sample values.
    pub example: String,
    /// Enabled and at least one webhook: this kind posts.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThresholdView {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub value: u32,
    pub default: u32,
    pub min: u32,
    pub max: u32,
    pub source: Source,
    pub fixed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    pub max_webhooks_per_kind: usize,
    pub max_template_chars: usize,
    pub max_url_bytes: usize,
}

/// The dashboard's alert settings over the configuration's.
pub struct AlertSettings {
    db: Arc<Database>,
    /// The settings from `overlord.toml`, env and defaults.
    base: AlertConfig,
    /// Setting key → `overlord.toml` or variable name (`Settings::fixed`).
    fixed: BTreeMap<String, String>,
    stored: Mutex<Stored>,
}

impl AlertSettings {
    /// Reads what the dashboard stored (nothing yet is fine).
    pub fn open(
        db: Arc<Database>,
        base: AlertConfig,
        fixed: BTreeMap<String, String>,
    ) -> Result<AlertSettings, SettingsError> {
        let stored = read(&db)?;
        Ok(AlertSettings { db, base, fixed, stored: Mutex::new(stored) })
    }

    fn stored(&self) -> Stored {
        self.stored.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The settings to run with: file/env, then the dashboard's, then defaults.
    pub fn effective(&self) -> AlertConfig {
        merge(&self.base, &self.fixed, &self.stored())
    }

    /// The webhooks `kind` has now (full URLs, for a test post of a saved webhook).
    pub fn webhooks(&self, kind: AlertKind) -> Vec<String> {
        self.effective().webhooks(kind).into_iter().map(String::from).collect()
    }

    /// The template `kind` has now.
    pub fn template(&self, kind: AlertKind) -> Option<String> {
        self.effective().template(kind).map(String::from)
    }

    fn fixed_by(&self, key: &str) -> Option<String> {
        self.fixed.get(key).cloned()
    }

    fn source(&self, key: &str, stored: bool) -> Source {
        match self.fixed.get(key) {
            Some(by) if by.starts_with("OVERLORD_") => Source::Env,
            Some(_) => Source::File,
            None if stored => Source::Dashboard,
            None => Source::Default,
        }
    }

    pub fn view(&self) -> AlertSettingsView {
        let stored = self.stored();
        let eff = merge(&self.base, &self.fixed, &stored);
        let kinds = AlertKind::ALL
            .into_iter()
            .map(|kind| {
                let wkey = webhooks_key(kind);
                let tkey = template_key(kind);
                let webhooks_fixed_by = self.fixed_by(&wkey);
                let webhooks: Vec<String> = eff
                    .webhooks(kind)
                    .into_iter()
                    .map(|u| if webhooks_fixed_by.is_some() { redact_webhook_url(u) } else { u.to_string() })
                    .collect();
                let template = eff.template(kind).map(String::from);
                let enabled = !eff.disabled.contains(&kind);
                KindView {
                    kind,
                    label: samples::label(kind),
                    description: samples::description(kind),
                    enabled,
                    active: enabled && !webhooks.is_empty(),
                    webhooks_source: self.source(&wkey, stored.webhooks.contains_key(&kind)),
                    webhooks,
                    webhooks_fixed_by,
                    template_source: self.source(&tkey, stored.templates.contains_key(&kind)),
                    template_fixed_by: self.fixed_by(&tkey),
                    example: samples::sample_line(kind, template.as_deref()),
                    template,
                    placeholders: kind.placeholders().to_vec(),
                    default_example: samples::default_line(kind),
                }
            })
            .collect();
        let thresholds = THRESHOLD_KEYS
            .iter()
            .map(|&(key, label, unit, default, min, max)| ThresholdView {
                key,
                label,
                unit,
                value: threshold(&eff, key),
                default,
                min,
                max,
                source: self.source(key, stored.thresholds.contains_key(key)),
                fixed_by: self.fixed_by(key),
            })
            .collect();
        AlertSettingsView {
            kinds,
            thresholds,
            limits: Limits {
                max_webhooks_per_kind: MAX_WEBHOOKS_PER_KIND,
                max_template_chars: MAX_TEMPLATE_CHARS,
                max_url_bytes: MAX_WEBHOOK_URL_BYTES,
            },
            updated_ms: stored.updated_ms,
            updated_by: stored.updated_by,
        }
    }

    /// Checks `patch`, stores it durably, and returns the settings to run with now.
    /// Nothing changes when any part is refused.
    pub fn update(&self, patch: &AlertSettingsPatch, by: &str, now_ms: i64) -> Result<AlertConfig, SettingsError> {
        let mut guard = self.stored.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = guard.clone();
        for (kind, kp) in &patch.kinds {
            let name = kind.name();
            if let Some(enabled) = kp.enabled {
                if enabled {
                    next.disabled.remove(kind);
                } else {
                    next.disabled.insert(*kind);
                }
            }
            if let Some(list) = &kp.webhooks {
                if let Some(by) = self.fixed_by(&webhooks_key(*kind)) {
                    return Err(fixed_error(&format!("the {name} webhooks"), &by));
                }
                let mut clean: Vec<String> = Vec::new();
                for (i, url) in list.iter().enumerate() {
                    let url = url.trim();
                    if url.is_empty() {
                        continue;
                    }
                    validate_webhook_url(url)
                        .map_err(|why| SettingsError::Invalid(format!("{name} webhook {}: {why}", i + 1)))?;
                    if !clean.iter().any(|u| u == url) {
                        clean.push(url.to_string());
                    }
                }
                if clean.len() > MAX_WEBHOOKS_PER_KIND {
                    return Err(SettingsError::Invalid(format!(
                        "{name}: {} webhooks; at most {MAX_WEBHOOKS_PER_KIND} per kind",
                        clean.len()
                    )));
                }
                next.webhooks.insert(*kind, clean);
            }
            if let Some(t) = &kp.template {
                if let Some(by) = self.fixed_by(&template_key(*kind)) {
                    return Err(fixed_error(&format!("the {name} template"), &by));
                }
                if t.trim().is_empty() {
                    next.templates.remove(kind);
                } else {
                    validate_template(t, kind.placeholders())
                        .map_err(|why| SettingsError::Invalid(format!("{name} template: {why}")))?;
                    next.templates.insert(*kind, t.clone());
                }
            }
        }
        for (key, value) in &patch.thresholds {
            let Some(&(key, label, unit, _, min, max)) = THRESHOLD_KEYS.iter().find(|t| t.0 == key) else {
                return Err(SettingsError::Invalid(format!(
                    "thresholds: '{key}' is not a threshold; use {}",
                    THRESHOLD_KEYS.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
                )));
            };
            if let Some(by) = self.fixed_by(key) {
                return Err(fixed_error(key, &by));
            }
            if !(min..=max).contains(value) {
                return Err(SettingsError::Invalid(format!(
                    "{key} ({label}): {value} is outside {min}..={max} {unit}"
                )));
            }
            next.thresholds.insert(key.to_string(), *value);
        }
        next.updated_ms = Some(now_ms);
        next.updated_by = Some(by.to_string());
        let eff = merge(&self.base, &self.fixed, &next);
        eff.validate().map_err(|e| SettingsError::Invalid(e.to_string()))?;
        write(&self.db, &next)?;
        *guard = next;
        Ok(eff)
    }
}

fn fixed_error(what: &str, by: &str) -> SettingsError {
    let place = if by.starts_with("OVERLORD_") { format!("the environment variable {by}") } else { by.to_string() };
    SettingsError::Fixed(format!("{what} are set in {place}, which wins over the dashboard; change it there"))
}

fn webhooks_key(kind: AlertKind) -> String {
    format!("alert_webhooks.{}", kind.name())
}

fn template_key(kind: AlertKind) -> String {
    format!("alert_templates.{}", kind.name())
}

fn threshold(cfg: &AlertConfig, key: &str) -> u32 {
    match key {
        "alert_stuck_minutes" => cfg.stuck_minutes,
        "alert_disconnected_minutes" => cfg.disconnected_minutes,
        "alert_idle_minutes" => cfg.idle_minutes,
        "alert_low_taper_threshold" => cfg.low_taper_threshold,
        _ => 0,
    }
}

/// File/env values stay; the dashboard's fill what they left unset.
fn merge(base: &AlertConfig, fixed: &BTreeMap<String, String>, stored: &Stored) -> AlertConfig {
    let mut cfg = base.clone();
    for (kind, urls) in &stored.webhooks {
        if !fixed.contains_key(&webhooks_key(*kind)) {
            cfg.extra_webhooks.extend(urls.iter().map(|u| (*kind, u.clone())));
        }
    }
    for (kind, t) in &stored.templates {
        if !fixed.contains_key(&template_key(*kind)) {
            cfg.templates.push((*kind, t.clone()));
        }
    }
    cfg.disabled = stored.disabled.iter().copied().collect();
    for (key, value) in &stored.thresholds {
        if fixed.contains_key(key) {
            continue;
        }
        match key.as_str() {
            "alert_stuck_minutes" => cfg.stuck_minutes = *value,
            "alert_disconnected_minutes" => cfg.disconnected_minutes = *value,
            "alert_idle_minutes" => cfg.idle_minutes = *value,
            "alert_low_taper_threshold" => cfg.low_taper_threshold = *value,
            _ => {}
        }
    }
    cfg
}

fn read(db: &Database) -> Result<Stored, SettingsError> {
    let storage = |e: &dyn std::fmt::Display| SettingsError::Storage(e.to_string());
    let tx = db.begin_read().map_err(|e| storage(&e))?;
    let table = match tx.open_table(SETTINGS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Stored::default()),
        Err(e) => return Err(storage(&e)),
    };
    match table.get(KEY).map_err(|e| storage(&e))? {
        Some(v) => serde_json::from_slice(v.value())
            .map_err(|e| SettingsError::Storage(format!("the stored alert settings are unreadable: {e}"))),
        None => Ok(Stored::default()),
    }
}

fn write(db: &Database, stored: &Stored) -> Result<(), SettingsError> {
    let storage = |e: &dyn std::fmt::Display| SettingsError::Storage(e.to_string());
    let bytes = serde_json::to_vec(stored).map_err(|e| storage(&e))?;
    let mut tx = db.begin_write().map_err(|e| storage(&e))?;
    // An admin's edit must survive a crash right after the 200.
    tx.set_durability(Durability::Immediate).map_err(|e| storage(&e))?;
    {
        let mut table = tx.open_table(SETTINGS).map_err(|e| storage(&e))?;
        table.insert(KEY, bytes.as_slice()).map_err(|e| storage(&e))?;
    }
    tx.commit().map_err(|e| storage(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Arc<Database>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("state.redb")).unwrap();
        (dir, Arc::new(db))
    }

    fn patch(json: &str) -> AlertSettingsPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn edits_persist_and_merge_under_the_file() {
        let (_d, db) = db();
        let mut fixed = BTreeMap::new();
        fixed.insert("alert_stuck_minutes".to_string(), "overlord.toml".to_string());
        let base = AlertConfig { stuck_minutes: 30, ..AlertConfig::default() };
        let s = AlertSettings::open(db.clone(), base.clone(), fixed.clone()).unwrap();
        let eff = s
            .update(
                &patch(
                    r#"{"kinds":{"rare":{"webhooks":["https://discord.com/api/webhooks/1/abcdefgh"],"template":"{character}: {rare_name}"}},
                        "thresholds":{"alert_disconnected_minutes":7}}"#,
                ),
                "admin",
                5,
            )
            .unwrap();
        assert_eq!(eff.webhooks(AlertKind::Rare), vec!["https://discord.com/api/webhooks/1/abcdefgh"]);
        assert_eq!(eff.disconnected_minutes, 7);
        assert_eq!(eff.stuck_minutes, 30);
        let again = AlertSettings::open(db, base, fixed).unwrap();
        let v = again.view();
        let rare = v.kinds.iter().find(|k| k.kind == AlertKind::Rare).unwrap();
        assert_eq!(rare.webhooks_source, Source::Dashboard);
        assert_eq!(rare.template.as_deref(), Some("{character}: {rare_name}"));
        let stuck = v.thresholds.iter().find(|t| t.key == "alert_stuck_minutes").unwrap();
        assert_eq!((stuck.value, stuck.source, stuck.fixed_by.as_deref()), (30, Source::File, Some("overlord.toml")));
        assert_eq!(v.updated_by.as_deref(), Some("admin"));
    }

    #[test]
    fn fixed_and_invalid_edits_are_refused_and_change_nothing() {
        let (_d, db) = db();
        let mut fixed = BTreeMap::new();
        fixed.insert("alert_webhooks.death".to_string(), "OVERLORD_ALERT_DEATH_WEBHOOK".to_string());
        let s = AlertSettings::open(db, AlertConfig::default(), fixed).unwrap();
        let e = s.update(&patch(r#"{"kinds":{"death":{"webhooks":[]}}}"#), "a", 1).unwrap_err();
        assert!(matches!(&e, SettingsError::Fixed(m) if m.contains("OVERLORD_ALERT_DEATH_WEBHOOK")), "{e}");
        let e = s
            .update(
                &patch(r#"{"kinds":{"rare":{"webhooks":["ftp://x/y"]}},"thresholds":{"alert_idle_minutes":5}}"#),
                "a",
                1,
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("rare webhook 1:"), "{e}");
        let e = s.update(&patch(r#"{"kinds":{"rare":{"template":"{who}"}}}"#), "a", 1).unwrap_err();
        assert!(e.to_string().contains("{who}"), "{e}");
        let e = s.update(&patch(r#"{"thresholds":{"alert_stuck_minutes":0}}"#), "a", 1).unwrap_err();
        assert!(e.to_string().contains("outside 1..=1440"), "{e}");
        let many: Vec<String> =
            (0..=MAX_WEBHOOKS_PER_KIND).map(|i| format!("\"https://discord.com/api/webhooks/{i}/t\"")).collect();
        let e = s.update(&patch(&format!(r#"{{"kinds":{{"rare":{{"webhooks":[{}]}}}}}}"#, many.join(","))), "a", 1);
        assert!(e.unwrap_err().to_string().contains("at most"));
        assert_eq!(s.view().updated_ms, None, "a refused edit stored something");
        assert_eq!(s.effective().idle_minutes, 10);
    }

    #[test]
    fn a_disabled_kind_keeps_its_webhooks_but_does_not_post() {
        let (_d, db) = db();
        let s = AlertSettings::open(db, AlertConfig::default(), BTreeMap::new()).unwrap();
        let eff = s
            .update(
                &patch(r#"{"kinds":{"levelup":{"enabled":false,"webhooks":["http://127.0.0.1:9/hook/abcdefgh"]}}}"#),
                "a",
                1,
            )
            .unwrap();
        assert_eq!(eff.webhooks(AlertKind::Levelup).len(), 1);
        assert!(eff.active_webhooks(AlertKind::Levelup).is_empty());
        assert!(!eff.is_enabled());
    }
}
