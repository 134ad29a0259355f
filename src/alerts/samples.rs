//! Sample alerts: each kind's built-in line and placeholder values filled with made-up
//! data, for the Alerts page's "default message" preview and its "send test" post. Never
//! does I/O.

use super::AlertKind;
use super::format;

const SAMPLE_CHARACTER: &str = "Test Character";
const SAMPLE_PLACE: Option<(f64, f64, bool)> = Some((33.6, 41.2, false));
/// Test posts start with this, so nobody in the channel mistakes one for a real alert.
pub const TEST_PREFIX: &str = "🧪 Test from Overlord: ";

/// The placeholder values of a sample alert of `kind` (every placeholder the kind has).
pub fn sample_fields(kind: AlertKind) -> Vec<(&'static str, String)> {
    let coords = format::coords_text(SAMPLE_PLACE);
    let c = || ("character", SAMPLE_CHARACTER.to_string());
    match kind {
        AlertKind::Rare => vec![c(), ("rare_name", "Pearl of Blood Drinking".into()), ("coords", coords)],
        AlertKind::Death => {
            vec![c(), ("deaths", "1".into()), ("lifetime_deaths", "42".into()), ("coords", coords)]
        }
        AlertKind::Idle => vec![c(), ("minutes", "10".into()), ("coords", coords)],
        AlertKind::Tapers => vec![c(), ("tapers", "150".into()), ("threshold", "200".into())],
        AlertKind::Chat => vec![("sender", SAMPLE_CHARACTER.into()), ("text", "anyone up for Gaerlan?".into())],
        AlertKind::Stuck => vec![c(), ("minutes", "12".into()), ("coords", coords)],
        AlertKind::Disconnected => vec![c(), ("minutes", "6".into())],
        AlertKind::Levelup => vec![c(), ("level", "275".into()), ("coords", coords)],
        AlertKind::Backup => {
            vec![("error", "No space left on device (os error 28)".into()), ("backup_dir", "/srv/backups".into())]
        }
    }
}

/// The built-in line of `kind` (what is posted without a template), with sample values.
pub fn default_line(kind: AlertKind) -> String {
    let now = 1_000_000_000;
    match kind {
        AlertKind::Rare => format::rare(SAMPLE_CHARACTER, "Pearl of Blood Drinking", SAMPLE_PLACE),
        AlertKind::Death => format::death(SAMPLE_CHARACTER, 1, 1, Some(42), SAMPLE_PLACE),
        AlertKind::Idle => format::idle(SAMPLE_CHARACTER, 600_000, true, SAMPLE_PLACE),
        AlertKind::Tapers => format::low_tapers(SAMPLE_CHARACTER, 150, 200),
        AlertKind::Chat => format::chat(Some(SAMPLE_CHARACTER), "anyone up for Gaerlan?"),
        AlertKind::Stuck => format::stuck(SAMPLE_CHARACTER, now - 720_000, now, (33.6, 41.2)),
        AlertKind::Disconnected => format::disconnected(SAMPLE_CHARACTER, now - 360_000, now),
        AlertKind::Levelup => format::level_up(SAMPLE_CHARACTER, 275, SAMPLE_PLACE),
        AlertKind::Backup => format::backup_failed("No space left on device (os error 28)"),
    }
}

/// `template` (validated) or the built-in line filled with sample values.
pub fn sample_line(kind: AlertKind, template: Option<&str>) -> String {
    match template.filter(|t| !t.trim().is_empty()) {
        Some(t) => format::apply_template(t, &sample_fields(kind)),
        None => default_line(kind),
    }
}

/// The text a "send test" posts: the sample line, marked as a test.
pub fn test_line(kind: AlertKind, template: Option<&str>) -> String {
    format::clip_line(format!("{TEST_PREFIX}{}", sample_line(kind, template)))
}

/// A short name for the Alerts page.
pub fn label(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Rare => "Rare found",
        AlertKind::Death => "Death",
        AlertKind::Idle => "Idle socket",
        AlertKind::Tapers => "Low prismatic tapers",
        AlertKind::Chat => "Allegiance chat relay",
        AlertKind::Stuck => "Stuck character",
        AlertKind::Disconnected => "Disconnected",
        AlertKind::Levelup => "Level-up",
        AlertKind::Backup => "Backup failed",
    }
}

/// When the kind fires, in one sentence.
pub fn description(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Rare => "A character found a rare (resends within a minute are one alert).",
        AlertKind::Death => "A character's session death counter went up.",
        AlertKind::Idle => "A plugin socket is open but has sent no telemetry for the idle minutes.",
        AlertKind::Tapers => "Prismatic tapers dropped below the threshold (once per crossing).",
        AlertKind::Chat => "Allegiance chat lines, once each however many members see them.",
        AlertKind::Stuck => "Online with the macro running, but no movement, kill or XP for the stuck minutes.",
        AlertKind::Disconnected => {
            "The socket dropped without a logout and the character is not back within the disconnected minutes."
        }
        AlertKind::Levelup => "A character's level went up.",
        AlertKind::Backup => "A scheduled backup failed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_has_a_sample_value() {
        for kind in AlertKind::ALL {
            let fields = sample_fields(kind);
            for p in kind.placeholders() {
                assert!(fields.iter().any(|(k, _)| k == p), "{kind:?} has no sample for {{{p}}}");
            }
        }
    }

    #[test]
    fn a_test_line_is_marked_and_uses_the_template() {
        let l = test_line(AlertKind::Levelup, Some("{character} is now {level}"));
        assert_eq!(l, format!("{TEST_PREFIX}Test Character is now 275"));
        assert!(test_line(AlertKind::Rare, None).contains("Pearl of Blood Drinking"));
        assert!(test_line(AlertKind::Rare, Some("  ")).contains("found a rare"));
    }
}
