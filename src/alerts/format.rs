//! The text of alert lines, message templates (checking and filling them), Discord
//! markdown escaping, and webhook URL redaction. Never does I/O.
//!
//! Player-supplied text (names, chat, item names) is escaped so it renders literally:
//! markdown characters get a backslash and control characters become spaces (a line is
//! one line). Pings are prevented separately by `allowed_mentions` on every post.

use crate::protocol::format_coords;

/// One line never exceeds this many UTF-16 units, so any line fits a 2,000-unit post
/// with room for the separator. Protocol limits (64-byte names, 512-byte text) keep real
/// lines far shorter; escaping can double them.
pub const MAX_LINE_UNITS: usize = 1_900;

pub fn rare(who: &str, item: &str, place: Option<(f64, f64, bool)>) -> String {
    clip_line(format!("💎 **{}** found a rare: **{}**{}", escape(who), escape(item), where_(place)))
}

pub fn death(
    who: &str,
    step: u32,
    session_deaths: u32,
    lifetime: Option<u32>,
    place: Option<(f64, f64, bool)>,
) -> String {
    let times = if step > 1 { format!(" {step} times") } else { String::new() };
    let lifetime = lifetime.map(|l| format!(", lifetime {l}")).unwrap_or_default();
    clip_line(format!(
        "☠️ **{}** died{times}{} (session deaths {session_deaths}{lifetime})",
        escape(who),
        where_(place)
    ))
}

pub fn low_tapers(who: &str, count: u32, threshold: u32) -> String {
    clip_line(format!("🕯️ **{}** is low on Prismatic Tapers: {count} left (alert below {threshold})", escape(who)))
}

pub fn idle(who: &str, idle_ms: i64, ever_sent: bool, place: Option<(f64, f64, bool)>) -> String {
    let what = if ever_sent { "no telemetry for" } else { "no telemetry since connecting," };
    let last = place.map(|p| format!("; last seen{}", where_(Some(p)))).unwrap_or_default();
    clip_line(format!("💤 **{}** is connected but has sent {what} {}{last}", escape(who), human_duration(idle_ms)))
}

pub fn chat(sender: Option<&str>, text: &str) -> String {
    let who = sender.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("?");
    clip_line(format!("💬 **{}**: {}", escape(who), escape(text.trim())))
}

pub fn stuck(who: &str, since_ms: i64, now_ms: i64, coords: (f64, f64)) -> String {
    clip_line(format!(
        "🧱 **{}** looks stuck: no movement, kill or XP for {} at {}",
        escape(who),
        human_duration(now_ms - since_ms),
        format_coords(coords.0, coords.1)
    ))
}

pub fn disconnected(who: &str, since_ms: i64, now_ms: i64) -> String {
    clip_line(format!(
        "🔌 **{}** dropped without logging out {} ago and has not come back",
        escape(who),
        human_duration(now_ms - since_ms)
    ))
}

pub fn level_up(who: &str, level: u32, place: Option<(f64, f64, bool)>) -> String {
    clip_line(format!("🎉 **{}** reached level **{level}**{}", escape(who), where_(place)))
}

pub fn backup_failed(error: &str) -> String {
    clip_line(format!("🛑 Scheduled backup failed: {}", escape(error)))
}

/// The longest template accepted (a Discord line is at most 2,000 characters).
pub const MAX_TEMPLATE_CHARS: usize = 1_000;

/// Why a template cannot be used; the message says what to fix (it is shown on the Alerts
/// page and in config errors, after the setting's name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// More than `max` characters.
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    /// A `{` with no `}` after it.
    #[error("a '{{' without its '}}'")]
    UnclosedBrace,
    /// A `}` with no `{` before it.
    #[error("a '}}' without its '{{'")]
    UnopenedBrace,
    /// `{name}` is not one of the placeholders this alert kind fills (`allowed`).
    #[error("unknown placeholder {{{name}}}; this kind has {}", braced_list(.allowed))]
    UnknownPlaceholder { name: String, allowed: Vec<String> },
}

/// `{a}, {b}, …`: placeholders as a template writes them.
fn braced_list(names: &[String]) -> String {
    names.iter().map(|a| format!("{{{a}}}")).collect::<Vec<_>>().join(", ")
}

/// Checks a template: not too long, braces balanced, and only known placeholders.
pub fn validate_template(t: &str, allowed: &[&str]) -> Result<(), TemplateError> {
    if t.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(TemplateError::TooLong { max: MAX_TEMPLATE_CHARS });
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(TemplateError::UnclosedBrace);
        };
        let name = &after[..close];
        if !allowed.contains(&name) {
            return Err(TemplateError::UnknownPlaceholder {
                name: name.to_string(),
                allowed: allowed.iter().map(|a| a.to_string()).collect(),
            });
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(TemplateError::UnopenedBrace);
    }
    Ok(())
}

/// Fills a (validated) template. Values are player text: escaped like the built-in lines,
/// and an unknown placeholder stays as typed.
pub fn apply_template(t: &str, fields: &[(&'static str, String)]) -> String {
    let mut out = String::with_capacity(t.len() + 64);
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match fields.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(&escape(v)),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    clip_line(out.replace(['\n', '\r'], " "))
}

/// `place` as the `{coords}` placeholder shows it.
pub fn coords_text(place: Option<(f64, f64, bool)>) -> String {
    match place {
        Some((_, _, true)) => "a dungeon".into(),
        Some((ew, ns, false)) => format_coords(ew, ns),
        None => "unknown".into(),
    }
}

fn where_(place: Option<(f64, f64, bool)>) -> String {
    match place {
        Some((_, _, true)) => " in a dungeon".into(),
        Some((ew, ns, false)) => format!(" at {}", format_coords(ew, ns)),
        None => String::new(),
    }
}

fn human_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 120 {
        format!("{s} s")
    } else if s < 7_200 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {} min", s / 3600, s / 60 % 60)
    }
}

/// Escapes Discord markdown so player text renders as typed, and flattens control
/// characters (newlines included) to spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            // `#` and `-` matter only at the start of a line, and lines start with our emoji.
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '<' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Length as Discord counts it (conservatively: UTF-16 units, so an emoji counts 2).
pub fn units(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Cuts a line to [`MAX_LINE_UNITS`], ending it with "…" when cut, never inside an escape.
pub fn clip_line(s: String) -> String {
    if units(&s) <= MAX_LINE_UNITS {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > MAX_LINE_UNITS - 1 {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    // A trailing lone backslash would escape the ellipsis' neighbour; drop it.
    if out.ends_with('\\') && !out.ends_with("\\\\") {
        out.pop();
    }
    out.push('…');
    out
}

/// A webhook URL fit for logs: scheme, host, port and path with the last segment (the
/// token in `…/webhooks/<id>/<token>`) replaced by `***`; user info and query dropped.
pub fn redact_webhook_url(url: &str) -> String {
    let Ok(uri) = url.trim().parse::<hyper::Uri>() else {
        return "<unparseable webhook url>".into();
    };
    let scheme = uri.scheme_str().unwrap_or("?");
    let host = uri.host().unwrap_or("?");
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let path = match segments.split_last() {
        Some((_, rest)) => {
            let mut p: String = rest.iter().map(|s| format!("/{s}")).collect();
            p.push_str("/***");
            p
        }
        None => String::new(),
    };
    format!("{scheme}://{host}{port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_line_names_character_item_and_place() {
        let l = rare("Mossy Tank", "Alchemist's Crystal", Some((82.512, -52.221, false)));
        assert!(l.contains("**Mossy Tank**") && l.contains("Alchemist's Crystal"), "{l}");
        assert!(l.contains("52.2S, 82.5E"), "{l}");
        assert!(rare("A", "B", Some((0.0, 0.0, true))).contains("in a dungeon"));
    }

    #[test]
    fn player_text_cannot_format_or_break_lines() {
        let l = chat(Some("Evil_Bob"), "**bold** @everyone\nnext [x](http://y) <@123>");
        assert!(!l.contains('\n'));
        assert!(l.contains("\\*\\*bold\\*\\*"), "{l}");
        assert!(l.contains("Evil\\_Bob"), "{l}");
        assert!(l.contains("\\[x\\]\\(http\\://y\\)"), "{l}");
        assert!(l.contains("\\<@123\\>"), "{l}");
    }

    #[test]
    fn long_lines_are_clipped_to_fit_one_post() {
        let l = chat(Some("x"), &"*".repeat(5_000));
        assert!(units(&l) <= MAX_LINE_UNITS, "{}", units(&l));
        assert!(l.ends_with('…'));
        assert!(!l.ends_with("\\…"));
    }

    #[test]
    fn redaction_hides_the_token_and_userinfo() {
        assert_eq!(
            redact_webhook_url("https://discord.com/api/webhooks/1234/SECRET-token_x?wait=true"),
            "https://discord.com/api/webhooks/1234/***"
        );
        assert_eq!(redact_webhook_url("http://user:pw@127.0.0.1:8080/hook"), "http://127.0.0.1:8080/***");
        assert_eq!(redact_webhook_url("nonsense url"), "<unparseable webhook url>");
    }

    #[test]
    fn templates_fill_known_placeholders_and_escape_values() {
        let allowed = ["character", "level"];
        assert!(validate_template("{character} is {level}!", &allowed).is_ok());
        let unknown = validate_template("{who}", &allowed).unwrap_err().to_string();
        assert_eq!(unknown, "unknown placeholder {who}; this kind has {character}, {level}");
        assert_eq!(validate_template("{character", &allowed), Err(TemplateError::UnclosedBrace));
        assert_eq!(validate_template("x}", &allowed), Err(TemplateError::UnopenedBrace));
        assert_eq!(validate_template("x}", &allowed).unwrap_err().to_string(), "a '}' without its '{'");
        let l =
            apply_template("{character} hit {level}", &[("character", "Evil_*Bob*".into()), ("level", "200".into())]);
        assert_eq!(l, "Evil\\_\\*Bob\\* hit 200");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(65_000), "65 s");
        assert_eq!(human_duration(600_000), "10 min");
        assert_eq!(human_duration(3 * 3_600_000 + 60_000), "3 h 1 min");
    }
}
