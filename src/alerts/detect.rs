//! Detection: which events are alerts. Pure state machines over events and the clock the
//! caller passes in; no I/O, no tasks, no wall clock (so it is tested directly).
//!
//! - death: the session `deaths` counter went up. A counter that goes down, or a
//!   `session_seconds` that goes down, is a new session (docs/protocol.md: counters are per
//!   session), never a death; health 0 is not used (vitals are not looked at).
//! - low tapers: `prismatic_taper_count` crossed below the threshold; once per crossing,
//!   re-armed at threshold + [`LOW_TAPER_HYSTERESIS`]. A character first seen already
//!   low (a melee mule with 0 tapers) is not alerted: there was no crossing.
//! - rare: every `rare` frame, minus resends within [`RARE_DEDUP_WINDOW`].
//! - idle: a socket is open and no telemetry came for `idle_after`; once per idle spell.
//! - chat: allegiance lines, one per (sender, text) within [`CHAT_DEDUP_WINDOW`].

use super::format;
use super::{
    AlertKind, CHAT_DEDUP_WINDOW, LOW_TAPER_HYSTERESIS, MAX_DEATHS_PER_STEP, MAX_TRACKED_CHARACTERS, RARE_DEDUP_WINDOW,
    Wants,
};
use crate::protocol::{Chat, name_key};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

/// docs/protocol.md §3.9: ChatMessageType Allegiance.
pub const ALLEGIANCE_CHAT_TYPE: u32 = 18;
/// Distinct chat lines remembered for de-duplication. Unique allegiance lines come at a
/// few per second at most; 10 s of them is far below this. Oldest forgotten first.
const MAX_CHAT_KEYS: usize = 10_000;
/// Distinct (character, rare) pairs remembered; rares come at 60–150 an hour at 600
/// characters (docs/protocol.md §7).
const MAX_RARE_KEYS: usize = 1_000;

/// What the ingest path hands over: only the fields detection reads.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    Telemetry {
        name: String,
        recv_ms: i64,
        deaths: Option<u32>,
        total_deaths: Option<u32>,
        session_seconds: Option<u64>,
        tapers: Option<u32>,
        /// `(ew, ns, is_dungeon)`.
        place: Option<(f64, f64, bool)>,
        level: Option<u32>,
    },
    Rare {
        name: String,
        recv_ms: i64,
        rare_name: String,
        place: Option<(f64, f64, bool)>,
    },
    Chat {
        recv_ms: i64,
        sender: Option<String>,
        text: String,
    },
}

/// One line to post on the kind's webhook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alert {
    pub kind: AlertKind,
    /// The built-in line.
    pub line: String,
    /// The values a template of this kind may use.
    pub fields: Vec<(&'static str, String)>,
}

/// A character with at least one open plugin socket.
#[derive(Debug, Clone)]
pub(crate) struct OpenSocket {
    pub key: String,
    pub display: String,
    pub opened_ms: i64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct DetectSettings {
    pub wants: Wants,
    pub idle_after_ms: i64,
    pub low_taper_threshold: u32,
}

pub(crate) fn is_allegiance(c: &Chat) -> bool {
    c.chat_type == Some(ALLEGIANCE_CHAT_TYPE)
        || c.channel.as_deref().is_some_and(|ch| ch.trim().eq_ignore_ascii_case("allegiance"))
}

#[derive(Debug, Default)]
struct CharState {
    display: String,
    last_seen_ms: i64,
    last_telemetry_ms: Option<i64>,
    deaths: Option<u32>,
    session_seconds: Option<u64>,
    /// `None` until the first count; `Some(true)` while a drop below the threshold alerts.
    tapers_armed: Option<bool>,
    place: Option<(f64, f64, bool)>,
    /// The start of the idle spell already alerted (a spell is identified by its start).
    idle_alerted_for: Option<i64>,
    level: Option<u32>,
}

pub(crate) struct Detector {
    cfg: DetectSettings,
    chars: HashMap<String, CharState>,
    chat_seen: RecentKeys,
    rare_seen: RecentKeys,
    hasher: RandomState,
    duplicates: u64,
    /// Character → start of the stuck / disconnected spell already alerted.
    stuck_alerted: HashMap<String, i64>,
    disconnected_alerted: HashMap<String, i64>,
}

impl Detector {
    pub fn new(cfg: DetectSettings) -> Detector {
        Detector {
            cfg,
            chars: HashMap::new(),
            chat_seen: RecentKeys::new(CHAT_DEDUP_WINDOW.as_millis() as i64, MAX_CHAT_KEYS),
            rare_seen: RecentKeys::new(RARE_DEDUP_WINDOW.as_millis() as i64, MAX_RARE_KEYS),
            hasher: RandomState::new(),
            duplicates: 0,
            stuck_alerted: HashMap::new(),
            disconnected_alerted: HashMap::new(),
        }
    }

    /// New settings (the Alerts page changed them); per-character state is kept, so a
    /// death baseline or an already-alerted stuck spell survives the change.
    pub fn set_settings(&mut self, cfg: DetectSettings) {
        self.cfg = cfg;
    }

    /// Suppressed duplicates since the last call.
    pub fn take_duplicates(&mut self) -> u64 {
        std::mem::take(&mut self.duplicates)
    }

    pub fn on_event(&mut self, ev: Event, out: &mut Vec<Alert>) {
        match ev {
            Event::Telemetry { name, recv_ms, deaths, total_deaths, session_seconds, tapers, place, level } => {
                let wants = self.cfg.wants;
                let threshold = self.cfg.low_taper_threshold;
                let st = self.state(&name, recv_ms);
                st.last_telemetry_ms = Some(st.last_telemetry_ms.map_or(recv_ms, |t| t.max(recv_ms)));
                if place.is_some() {
                    st.place = place;
                }
                let new_session = matches!((st.session_seconds, session_seconds), (Some(old), Some(new)) if new < old);
                if session_seconds.is_some() {
                    st.session_seconds = session_seconds;
                }
                if let Some(d) = deaths {
                    if let Some(prev) = st.deaths {
                        let step = d.saturating_sub(prev);
                        if !new_session && (1..=MAX_DEATHS_PER_STEP).contains(&step) && wants.death {
                            out.push(Alert {
                                kind: AlertKind::Death,
                                line: format::death(&st.display, step, d, total_deaths, st.place),
                                fields: vec![
                                    ("character", st.display.clone()),
                                    ("deaths", d.to_string()),
                                    ("lifetime_deaths", total_deaths.map(|t| t.to_string()).unwrap_or_default()),
                                    ("coords", format::coords_text(st.place)),
                                ],
                            });
                        }
                    }
                    st.deaths = Some(d);
                }
                if let Some(n) = tapers {
                    st.tapers_armed = match st.tapers_armed {
                        None => Some(n >= threshold),
                        Some(true) if n < threshold => {
                            if wants.tapers {
                                out.push(Alert {
                                    kind: AlertKind::Tapers,
                                    line: format::low_tapers(&st.display, n, threshold),
                                    fields: vec![
                                        ("character", st.display.clone()),
                                        ("tapers", n.to_string()),
                                        ("threshold", threshold.to_string()),
                                    ],
                                });
                            }
                            Some(false)
                        }
                        Some(false) if n >= threshold.saturating_add(LOW_TAPER_HYSTERESIS) => Some(true),
                        keep => keep,
                    };
                }
                if let Some(l) = level {
                    // A rise of more than this between two frames is a glitch or another
                    // character's data, not a level-up: it becomes the new baseline.
                    const MAX_LEVELS_PER_STEP: u32 = 10;
                    if let Some(prev) = st.level
                        && l > prev
                        && l - prev <= MAX_LEVELS_PER_STEP
                        && wants.levelup
                    {
                        out.push(Alert {
                            kind: AlertKind::Levelup,
                            line: format::level_up(&st.display, l, st.place),
                            fields: vec![
                                ("character", st.display.clone()),
                                ("level", l.to_string()),
                                ("coords", format::coords_text(st.place)),
                            ],
                        });
                    }
                    st.level = Some(l);
                }
            }
            Event::Rare { name, recv_ms, rare_name, place } => {
                let key = self.hasher.hash_one((name_key(&name), rare_name.to_lowercase()));
                if self.rare_seen.seen_recently(key, recv_ms) {
                    self.duplicates += 1;
                    return;
                }
                let st = self.state(&name, recv_ms);
                out.push(Alert {
                    kind: AlertKind::Rare,
                    line: format::rare(&st.display, &rare_name, place),
                    fields: vec![
                        ("character", st.display.clone()),
                        ("rare_name", rare_name.clone()),
                        ("coords", format::coords_text(place)),
                    ],
                });
            }
            Event::Chat { recv_ms, sender, text } => {
                let who = sender.as_deref().map(|s| s.trim().to_lowercase()).unwrap_or_default();
                let key = self.hasher.hash_one((who, text.trim()));
                if self.chat_seen.seen_recently(key, recv_ms) {
                    self.duplicates += 1;
                    return;
                }
                out.push(Alert {
                    kind: AlertKind::Chat,
                    line: format::chat(sender.as_deref(), &text),
                    fields: vec![("sender", sender.clone().unwrap_or_default()), ("text", text.clone())],
                });
            }
        }
    }

    /// Raises "idle" for each open socket whose character has sent no telemetry for
    /// `idle_after_ms` (counting from the later of its last telemetry and the socket's
    /// opening), once per spell: new telemetry or a new socket starts a new spell.
    pub fn check_idle(&mut self, open: &[OpenSocket], now_ms: i64, out: &mut Vec<Alert>) {
        if !self.cfg.wants.idle {
            return;
        }
        let idle_after = self.cfg.idle_after_ms;
        for sock in open {
            let st = self.state_by_key(&sock.key, &sock.display, sock.opened_ms);
            let spell_start = st.last_telemetry_ms.map_or(sock.opened_ms, |t| t.max(sock.opened_ms));
            let idle_ms = now_ms.saturating_sub(spell_start);
            if idle_ms >= idle_after && st.idle_alerted_for != Some(spell_start) {
                st.idle_alerted_for = Some(spell_start);
                out.push(Alert {
                    kind: AlertKind::Idle,
                    line: format::idle(&st.display, idle_ms, st.last_telemetry_ms.is_some(), st.place),
                    fields: vec![
                        ("character", st.display.clone()),
                        ("minutes", (idle_ms / 60_000).to_string()),
                        ("coords", format::coords_text(st.place)),
                    ],
                });
            }
        }
    }

    /// Raises "stuck" and "disconnected" for each character newly on the attention list,
    /// once per spell (a spell is identified by its start): the list comes from the one
    /// detection in [`super::Attention`].
    pub fn check_attention(&mut self, snap: &super::AttentionSnapshot, out: &mut Vec<Alert>) {
        let now = snap.generated_ms;
        if self.cfg.wants.stuck {
            let mut current = HashMap::new();
            for s in &snap.stuck {
                let key = name_key(&s.name);
                if self.stuck_alerted.get(&key) != Some(&s.since_ms) {
                    out.push(Alert {
                        kind: AlertKind::Stuck,
                        line: format::stuck(&s.name, s.since_ms, now, (s.ew, s.ns)),
                        fields: vec![
                            ("character", s.name.clone()),
                            ("minutes", ((now - s.since_ms) / 60_000).to_string()),
                            ("coords", format::coords_text(Some((s.ew, s.ns, false)))),
                        ],
                    });
                }
                current.insert(key, s.since_ms);
            }
            // Only spells still on the list are remembered: the map stays as small as it.
            self.stuck_alerted = current;
        }
        if self.cfg.wants.disconnected {
            let mut current = HashMap::new();
            for d in &snap.disconnected {
                let key = name_key(&d.name);
                if self.disconnected_alerted.get(&key) != Some(&d.since_ms) {
                    out.push(Alert {
                        kind: AlertKind::Disconnected,
                        line: format::disconnected(&d.name, d.since_ms, now),
                        fields: vec![
                            ("character", d.name.clone()),
                            ("minutes", ((now - d.since_ms) / 60_000).to_string()),
                        ],
                    });
                }
                current.insert(key, d.since_ms);
            }
            self.disconnected_alerted = current;
        }
    }

    fn state(&mut self, name: &str, seen_ms: i64) -> &mut CharState {
        let key = name_key(name);
        self.state_by_key(&key, name.trim(), seen_ms)
    }

    fn state_by_key(&mut self, key: &str, display: &str, seen_ms: i64) -> &mut CharState {
        if !self.chars.contains_key(key) && self.chars.len() >= MAX_TRACKED_CHARACTERS {
            // Forget the character seen longest ago; O(n), but only when full.
            let oldest = self.chars.iter().min_by_key(|(_, s)| s.last_seen_ms).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.chars.remove(&k);
            }
        }
        let st = self.chars.entry(key.to_string()).or_default();
        if st.display.is_empty() {
            st.display = display.to_string();
        }
        st.last_seen_ms = st.last_seen_ms.max(seen_ms);
        st
    }
}

/// Keys seen within a window, with a cap (oldest forgotten first). Keys are 64-bit hashes
/// under a per-process random key, so memory per entry is fixed.
struct RecentKeys {
    window_ms: i64,
    cap: usize,
    first_seen: HashMap<u64, i64>,
    order: VecDeque<(i64, u64)>,
}

impl RecentKeys {
    fn new(window_ms: i64, cap: usize) -> Self {
        RecentKeys { window_ms, cap, first_seen: HashMap::new(), order: VecDeque::new() }
    }

    /// True when `key` was first seen less than the window before `now_ms` (copies arrive
    /// from several sockets slightly out of order, so "before" is not required).
    fn seen_recently(&mut self, key: u64, now_ms: i64) -> bool {
        while let Some(&(t, k)) = self.order.front() {
            if now_ms.saturating_sub(t) < self.window_ms {
                break;
            }
            self.order.pop_front();
            if self.first_seen.get(&k) == Some(&t) {
                self.first_seen.remove(&k);
            }
        }
        if let Some(&t) = self.first_seen.get(&key)
            && now_ms.saturating_sub(t) < self.window_ms
        {
            return true;
        }
        self.first_seen.insert(key, now_ms);
        self.order.push_back((now_ms, key));
        while self.order.len() > self.cap {
            if let Some((t, k)) = self.order.pop_front()
                && self.first_seen.get(&k) == Some(&t)
            {
                self.first_seen.remove(&k);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Detector {
        Detector::new(DetectSettings {
            wants: Wants {
                rare: true,
                death: true,
                idle: true,
                tapers: true,
                chat: true,
                stuck: true,
                disconnected: true,
                levelup: true,
            },
            idle_after_ms: 60_000,
            low_taper_threshold: 200,
        })
    }

    fn tel(t: i64, deaths: Option<u32>, ss: Option<u64>, tapers: Option<u32>) -> Event {
        Event::Telemetry {
            name: "Mossy Tank".into(),
            recv_ms: t,
            deaths,
            total_deaths: None,
            session_seconds: ss,
            tapers,
            place: Some((33.6, 42.1, false)),
            level: None,
        }
    }

    fn kinds(d: &mut Detector, evs: Vec<Event>) -> Vec<AlertKind> {
        let mut out = Vec::new();
        for e in evs {
            d.on_event(e, &mut out);
        }
        out.into_iter().map(|a| a.kind).collect()
    }

    #[test]
    fn death_is_a_counter_increment_within_a_session() {
        let mut d = all();
        let got = kinds(
            &mut d,
            vec![
                tel(0, Some(3), Some(100), None),
                tel(1, Some(3), Some(105), None),
                tel(2, Some(4), Some(110), None),
                tel(3, Some(4), Some(115), None),
            ],
        );
        assert_eq!(got, vec![AlertKind::Death]);
    }

    #[test]
    fn a_counter_reset_is_a_new_session_not_a_death() {
        let mut d = all();
        let got = kinds(
            &mut d,
            vec![
                tel(0, Some(5), Some(9000), None),
                tel(1, Some(0), Some(3), None),
                // session_seconds went down while deaths stayed: new session, no death.
                tel(2, Some(1), Some(50), None),
                tel(3, Some(1), Some(2), None),
                tel(4, Some(2), None, None),
            ],
        );
        assert_eq!(got, vec![AlertKind::Death, AlertKind::Death], "0→1 in the new session and 1→2");
    }

    #[test]
    fn first_sighting_and_implausible_jumps_are_baselines() {
        let mut d = all();
        let got =
            kinds(&mut d, vec![tel(0, Some(7), None, None), tel(1, Some(7 + MAX_DEATHS_PER_STEP + 1), None, None)]);
        assert!(got.is_empty());
    }

    #[test]
    fn low_tapers_alert_once_per_crossing_with_hysteresis() {
        let mut d = all();
        let counts = [1874, 500, 199, 150, 199, 210, 190, 260, 100, 0];
        let got = kinds(&mut d, counts.iter().enumerate().map(|(i, c)| tel(i as i64, None, None, Some(*c))).collect());
        assert_eq!(got, vec![AlertKind::Tapers, AlertKind::Tapers]);
    }

    #[test]
    fn a_character_first_seen_low_is_not_alerted() {
        let mut d = all();
        let got = kinds(&mut d, vec![tel(0, None, None, Some(0)), tel(1, None, None, Some(0))]);
        assert!(got.is_empty());
    }

    #[test]
    fn chat_copies_within_the_window_are_one_line() {
        let mut d = all();
        let chat =
            |t: i64, who: &str, text: &str| Event::Chat { recv_ms: t, sender: Some(who.into()), text: text.into() };
        let got = kinds(
            &mut d,
            vec![
                chat(1_000, "Sirbuffsalot", "anyone heading to Gaerlan?"),
                chat(1_050, "sirbuffsalot", "anyone heading to Gaerlan?"),
                chat(990, "Sirbuffsalot", "anyone heading to Gaerlan? "),
                chat(1_100, "Other", "anyone heading to Gaerlan?"),
                chat(11_001, "Sirbuffsalot", "anyone heading to Gaerlan?"),
            ],
        );
        assert_eq!(got.len(), 3, "one copy, another sender, and the same line after the window");
        assert_eq!(d.take_duplicates(), 2);
    }

    #[test]
    fn chat_dedup_memory_is_capped() {
        let mut r = RecentKeys::new(10_000, 100);
        for k in 0..1_000u64 {
            assert!(!r.seen_recently(k, 5));
        }
        assert!(r.first_seen.len() <= 100 && r.order.len() <= 100);
    }

    #[test]
    fn rare_resent_within_a_minute_is_one_alert() {
        let mut d = all();
        let rare = |t: i64| Event::Rare {
            name: "Mossy Tank".into(),
            recv_ms: t,
            rare_name: "Alchemist's Crystal".into(),
            place: None,
        };
        assert_eq!(kinds(&mut d, vec![rare(0), rare(5_000), rare(61_000)]).len(), 2);
    }

    #[test]
    fn idle_alerts_once_per_spell() {
        let mut d = all();
        let mut out = Vec::new();
        let open = [OpenSocket { key: "mossy tank".into(), display: "Mossy Tank".into(), opened_ms: 0 }];
        d.on_event(tel(1_000, None, None, None), &mut out);
        d.check_idle(&open, 30_000, &mut out);
        assert!(out.is_empty());
        d.check_idle(&open, 61_000, &mut out);
        d.check_idle(&open, 90_000, &mut out);
        assert_eq!(out.len(), 1);
        d.on_event(tel(100_000, None, None, None), &mut out);
        d.check_idle(&open, 150_000, &mut out);
        assert_eq!(out.len(), 1, "telemetry ended the spell; the next is not yet long enough");
        d.check_idle(&open, 161_000, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_socket_that_never_sends_telemetry_goes_idle_from_its_opening() {
        let mut d = all();
        let mut out = Vec::new();
        let open = [OpenSocket { key: "mule".into(), display: "Mule".into(), opened_ms: 10_000 }];
        d.check_idle(&open, 69_000, &mut out);
        assert!(out.is_empty());
        d.check_idle(&open, 70_000, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].line.contains("Mule"));
    }

    #[test]
    fn unconfigured_kinds_raise_nothing() {
        let mut d =
            Detector::new(DetectSettings { wants: Wants::default(), idle_after_ms: 1, low_taper_threshold: 200 });
        let got = kinds(&mut d, vec![tel(0, Some(1), None, Some(500)), tel(1, Some(2), None, Some(10))]);
        assert!(got.is_empty());
        let mut out = Vec::new();
        d.check_idle(&[OpenSocket { key: "a".into(), display: "A".into(), opened_ms: 0 }], 1_000_000, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn detection_keeps_up_with_600_characters() {
        // 600 characters × telemetry plus allegiance chat with 60 copies per line.
        let mut d = all();
        let mut out = Vec::new();
        let names: Vec<String> = (0..600).map(|i| format!("Char {}", "x".repeat(1 + i % 40))).collect();
        let n = 200_000;
        let started = std::time::Instant::now();
        for i in 0..n {
            let ev = if i % 4 == 0 {
                Event::Chat {
                    recv_ms: i as i64,
                    sender: Some("Sirbuffsalot".into()),
                    text: format!("line {}", i / 240),
                }
            } else {
                Event::Telemetry {
                    name: names[i % names.len()].clone(),
                    recv_ms: i as i64,
                    deaths: Some((i / 10_000) as u32),
                    total_deaths: Some(40),
                    session_seconds: Some(i as u64),
                    tapers: Some(1_000 - (i % 1_000) as u32),
                    place: Some((1.0, 2.0, false)),
                    level: Some(100),
                }
            };
            d.on_event(ev, &mut out);
            out.clear();
        }
        let per = started.elapsed() / n as u32;
        eprintln!("detector: {per:?} per event over {n} events");
        assert!(per < std::time::Duration::from_micros(50), "{per:?}");
    }

    #[test]
    fn level_up_alerts_once_per_level_and_ignores_jumps() {
        let mut d = all();
        let lvl = |t: i64, l: u32| Event::Telemetry {
            name: "Mossy Tank".into(),
            recv_ms: t,
            deaths: None,
            total_deaths: None,
            session_seconds: None,
            tapers: None,
            place: None,
            level: Some(l),
        };
        let got = kinds(&mut d, vec![lvl(0, 200), lvl(1, 200), lvl(2, 201), lvl(3, 201), lvl(4, 275), lvl(5, 276)]);
        assert_eq!(got, vec![AlertKind::Levelup, AlertKind::Levelup]);
    }

    #[test]
    fn stuck_and_disconnected_alert_once_per_spell() {
        use super::super::{AttentionSnapshot, DisconnectedCharacter, StuckCharacter};
        let mut d = all();
        let snap = |since: i64, now: i64| AttentionSnapshot {
            stuck: vec![StuckCharacter { name: "Jammed".into(), since_ms: since, ew: 1.0, ns: 2.0 }],
            disconnected: vec![DisconnectedCharacter { name: "Crashed".into(), since_ms: since }],
            generated_ms: now,
        };
        let mut out = Vec::new();
        d.check_attention(&snap(0, 600_000), &mut out);
        d.check_attention(&snap(0, 660_000), &mut out);
        assert_eq!(out.iter().map(|a| a.kind).collect::<Vec<_>>(), vec![AlertKind::Stuck, AlertKind::Disconnected]);
        // Off the list, then a new spell: alerted again.
        d.check_attention(&AttentionSnapshot { stuck: vec![], disconnected: vec![], generated_ms: 700_000 }, &mut out);
        d.check_attention(&snap(800_000, 1_400_000), &mut out);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn tracked_characters_are_capped() {
        let mut d = all();
        let mut out = Vec::new();
        for i in 0..(MAX_TRACKED_CHARACTERS + 50) {
            d.on_event(
                Event::Telemetry {
                    name: format!("Char {}", char::from(b'a' + (i % 26) as u8).to_string().repeat(1 + i / 26)),
                    recv_ms: i as i64,
                    deaths: None,
                    total_deaths: None,
                    session_seconds: None,
                    tapers: None,
                    place: None,
                    level: None,
                },
                &mut out,
            );
        }
        assert!(d.chars.len() <= MAX_TRACKED_CHARACTERS);
    }
}
