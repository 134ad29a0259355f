//! One simulated character's state machine: where it is, what it is doing (walking,
//! fighting, dead, idling in town, crawling a dungeon), its session counters, vitals and
//! schedule, and which frames it owes the server as simulated time advances.
//!
//! Owns behaviour and timing in *simulated seconds*; it is driven by `advance(dt)` and
//! never reads a clock, sleeps or touches a socket (see `client`), so a seed and a sequence
//! of `dt`s always produce the same frames. JSON shapes live in `frames`.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use serde_json::Value;

use super::items::Inventory;
pub use super::kind::CharacterKind;
use super::quests::{self, QuestEntry};
use super::roster::{RosterEntry, mix_seed};
use super::wire_style::WireStyle;
use super::world::{self, DUNGEONS, LandPos, MapCoords, TOWNS};

/// Retail level cap and its total XP (docs/protocol.md §2.2).
pub const LEVEL_CAP: u16 = 275;
pub const XP_AT_CAP: i64 = 191_226_310_247;
/// Combat frames cover a 5 s window (docs/protocol.md §3.6).
pub const COMBAT_WINDOW_S: f64 = 5.0;
/// combat_stats every minute, character_stats every 10 minutes (docs/protocol.md §3).
pub const COMBAT_STATS_PERIOD_S: f64 = 60.0;
pub const CHARACTER_STATS_PERIOD_S: f64 = 600.0;
/// Monsters tracked around a character; older ones wander off the radar.
pub const MAX_NEARBY_MONSTERS: usize = 8;
/// Distinct targets kept in `top_targets`.
pub const MAX_TOP_TARGETS: usize = 12;
/// Telemetry catch-up limit: after a stall (a blocked socket) a character resumes rather
/// than bursting every frame it missed.
pub const MAX_TELEMETRY_CATCH_UP_S: f64 = 1.0;
/// Longest world step: movement and events are integrated at least this finely.
pub const MAX_STEP_S: f64 = 1.0;
/// Monster object ids: a block of 0x10000 per character above 0xC0000000.
pub const MONSTER_ID_BASE: u32 = 0xC000_0000;
/// Item object ids: a block of 0x10000 per character from 0x80000000.
pub const ITEM_ID_BASE: u32 = 0x8000_0000;
/// Hunting grounds lie within this many map units of the base town.
pub const HUNTING_RADIUS_UNITS: f64 = 2.5;

/// Knobs shared by every character of a run.
#[derive(Debug, Clone)]
pub struct CharacterConfig {
    /// Telemetry frames per second per character. Values below 1 give the realistic
    /// jittered spacing (mean 1/rate); from 1 upward the spacing is exactly 1/rate.
    pub telemetry_rate: f64,
    /// Rares per hour of fighting (ACE's real rate is about 0.1–0.25).
    pub rares_per_hour: f64,
    /// Deaths per hour of fighting.
    pub deaths_per_hour: f64,
    /// Sprinkle docs/protocol.md §1 quirks (strings for numbers, signed ids, …).
    pub quirks: bool,
    /// Send a full inventory on every (re)connect.
    pub inventory_on_connect: bool,
    /// Wall-clock unix ms at simulated time 0.
    pub start_unix_ms: i64,
    /// Run seed.
    pub seed: u64,
}

impl Default for CharacterConfig {
    fn default() -> Self {
        CharacterConfig {
            telemetry_rate: REALISTIC_TELEMETRY_RATE,
            rares_per_hour: 1.0,
            deaths_per_hour: 0.4,
            quirks: true,
            inventory_on_connect: true,
            start_unix_ms: 1_764_000_000_000,
            seed: 1,
        }
    }
}

/// One telemetry every 2–5 s (docs/protocol.md §3).
pub const REALISTIC_TELEMETRY_RATE: f64 = 0.3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Place {
    /// Global metres (GX, GY) on the surface.
    Outdoor { gx: f64, gy: f64 },
    /// Dungeon-local metres inside `DUNGEONS[dungeon]`; `cell` indexes its layout.
    Dungeon { dungeon: usize, x: f64, y: f64, cell: usize },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Activity {
    Idle,
    Travel { tx: f64, ty: f64, target_cell: usize },
    Fight { until: f64 },
    Dead { respawn_at: f64 },
}

#[derive(Debug, Clone)]
pub(super) struct Monster {
    pub id: u32,
    pub name: &'static str,
    pub d_east: f64,
    pub d_north: f64,
    pub health_pct: f64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct CombatSide {
    pub attacks: u64,
    pub failed: u64,
    pub crits: u64,
    pub damage: u64,
    pub max_hit: u64,
    pub by_element: Vec<(&'static str, u64)>,
}

impl CombatSide {
    pub(super) fn record(&mut self, element: &'static str, damage: u64, crit: bool, failed: bool) {
        self.attacks += 1;
        if failed {
            self.failed += 1;
            return;
        }
        if crit {
            self.crits += 1;
        }
        self.damage += damage;
        self.max_hit = self.max_hit.max(damage);
        match self.by_element.iter_mut().find(|(e, _)| *e == element) {
            Some((_, d)) => *d += damage,
            None => self.by_element.push((element, damage)),
        }
    }
}

/// One hit inside a combat window.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub given: bool,
    pub other: &'static str,
    pub attack: &'static str,
    pub element: &'static str,
    pub damage: u64,
    pub crit: bool,
    pub killing_blow: bool,
    pub failed: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Timers {
    pub(super) telemetry: f64,
    pub(super) vitals: f64,
    pub(super) combat: f64,
    pub(super) kill: f64,
    pub(super) spawn: f64,
    pub(super) combat_stats: f64,
    pub(super) character_stats: f64,
    pub(super) quest: f64,
    pub(super) cantrips: f64,
    pub(super) nearby: f64,
    pub(super) inventory: f64,
    pub(super) share: f64,
    pub(super) portal_seen: f64,
    pub(super) teleport: f64,
    pub(super) pending_rare: f64,
    pub(super) death: f64,
}

pub(super) const NEVER: f64 = f64::INFINITY;

/// A simulated character.
#[derive(Debug, Clone)]
pub struct Character {
    pub(super) rng: SmallRng,
    pub(super) cfg: CharacterConfig,
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) kind: CharacterKind,
    pub(super) style: WireStyle,
    pub(super) race: &'static str,
    pub(super) gender: &'static str,
    pub(super) allegiance_name: String,
    pub(super) monarch: String,
    pub(super) patron: Option<String>,
    pub(super) fellows: Vec<String>,
    pub(super) account_hash: String,
    pub(super) birth_unix_s: i64,
    pub(super) augmentations: u32,
    // Time and place.
    pub(super) t: f64,
    pub(super) place: Place,
    pub(super) z: f64,
    pub(super) heading: f64,
    pub(super) speed: f64,
    pub(super) activity: Activity,
    pub(super) base_town: usize,
    pub(super) home_town: usize,
    pub(super) looting_until: f64,
    // Progress.
    pub(super) level: u16,
    pub(super) total_xp: i64,
    pub(super) session_xp: i64,
    pub(super) xp_per_kill: i64,
    pub(super) luminance: Option<(i64, i64)>,
    pub(super) kills: u32,
    pub(super) kph_target: f64,
    pub(super) deaths: u32,
    pub(super) total_deaths: u32,
    pub(super) rares_found: u32,
    pub(super) vitae: f64,
    // Vitals: (current, max) health, stamina, mana.
    pub(super) health: (u32, u32),
    pub(super) stamina: (u32, u32),
    pub(super) mana: (u32, u32),
    pub(super) vitals_dirty: bool,
    // Combat.
    pub(super) monsters: Vec<Monster>,
    pub(super) next_monster: u32,
    pub(super) pending_kills: Vec<&'static str>,
    pub(super) given: CombatSide,
    pub(super) received: CombatSide,
    pub(super) top_targets: Vec<(&'static str, u64, u64)>,
    // Things sent on change.
    pub(super) buffs: Vec<(u32, &'static str, f64)>,
    pub(super) nearby_enabled: bool,
    pub(super) inventory: Inventory,
    pub(super) pending_rare: Option<(world::RareItem, Option<u32>)>,
    pub(super) pending_taper_update: Option<Value>,
    pub(super) quests: Vec<QuestEntry>,
    pub(super) timers: Timers,
}

impl Character {
    /// Brings a roster entry to life. `allegiance` holds (name, monarch, patron, fellows).
    pub fn new(
        entry: &RosterEntry,
        allegiance: (&str, &str, Option<&str>, Vec<String>),
        cfg: &CharacterConfig,
    ) -> Character {
        let mut rng = SmallRng::seed_from_u64(mix_seed(cfg.seed, entry.index as u64));
        let index = entry.index;
        let kind = entry.kind;
        let guid = 0x5000_0001 + u32::try_from(index).unwrap_or(0);
        let style = WireStyle::roll(&mut rng, cfg.quirks);
        let home_town = rng.random_range(0..TOWNS.len());
        let base_town = home_town;
        let id_base = ITEM_ID_BASE + (u32::try_from(index).unwrap_or(0) % 0x4000) * 0x1_0000;
        let id_time = cfg.start_unix_ms / 1000 - rng.random_range(0..86_400);
        let inventory = Inventory::generate(&mut rng, &entry.name, guid, id_base, kind, id_time, style.signed_ids);
        let level = entry.level.clamp(1, LEVEL_CAP);
        let into_level = rng.random_range(0.0..0.9);
        let total_xp = if level >= LEVEL_CAP {
            XP_AT_CAP
        } else {
            let lo = xp_for_level(level);
            lo + ((xp_for_level(level + 1) - lo) as f64 * into_level) as i64
        };
        let kph_target = match kind {
            CharacterKind::Mage => rng.random_range(400.0..900.0),
            CharacterKind::Archer => rng.random_range(300.0..700.0),
            CharacterKind::Melee => rng.random_range(300.0..800.0),
            _ => 0.0,
        };
        let xp_per_kill = xp_per_kill_for(level, kph_target, &mut rng);
        let luminance = (level >= 200 && rng.random_bool(0.7)).then(|| {
            let max = *[1_000_000i64, 1_500_000, 2_000_000].choose(&mut rng).unwrap_or(&1_500_000);
            (rng.random_range(0..max), max)
        });
        let (hmax, smax, mmax) = vitals_max(kind, level);
        let total_deaths = rng.random_range(0..60 + u32::from(level) / 2);
        let town = TOWNS[home_town];
        let (gx, gy) = world::global_from_map(town.coords());
        let (name, monarch, patron, fellows) = allegiance;
        let races = ["Aluvian", "Gharu'ndim", "Sho", "Viamontian", "Aun Tumerok", "Lugian", "Empyrean"];
        let mut c = Character {
            cfg: cfg.clone(),
            index,
            name: entry.name.clone(),
            kind,
            style,
            race: races.choose(&mut rng).copied().unwrap_or("Aluvian"),
            gender: if rng.random_bool(0.5) { "Male" } else { "Female" },
            allegiance_name: name.to_string(),
            monarch: monarch.to_string(),
            patron: patron.map(str::to_string),
            fellows,
            account_hash: format!("{:016x}", mix_seed(cfg.seed ^ 0xACC0, (index / 5) as u64)),
            birth_unix_s: cfg.start_unix_ms / 1000 - rng.random_range(86_400 * 30..86_400 * 3000),
            augmentations: if level >= 200 { rng.random_range(0..=26) } else { 0 },
            t: 0.0,
            place: Place::Outdoor { gx: gx + rng.random_range(-20.0..20.0), gy: gy + rng.random_range(-20.0..20.0) },
            z: 0.0,
            heading: rng.random_range(0.0..360.0),
            speed: rng.random_range(2.5..6.0),
            activity: Activity::Idle,
            base_town,
            home_town,
            looting_until: 0.0,
            level,
            total_xp,
            session_xp: 0,
            xp_per_kill,
            luminance,
            kills: 0,
            kph_target,
            deaths: 0,
            total_deaths,
            rares_found: 0,
            vitae: 1.0,
            health: (hmax, hmax),
            stamina: (smax, smax),
            mana: (mmax, mmax),
            vitals_dirty: true,
            monsters: Vec::new(),
            next_monster: 0,
            pending_kills: Vec::new(),
            given: CombatSide::default(),
            received: CombatSide::default(),
            top_targets: Vec::new(),
            buffs: Vec::new(),
            nearby_enabled: rng.random_bool(0.5),
            inventory,
            pending_rare: None,
            pending_taper_update: None,
            quests: Vec::new(),
            timers: Timers {
                telemetry: 0.0,
                vitals: NEVER,
                combat: NEVER,
                kill: NEVER,
                spawn: NEVER,
                combat_stats: NEVER,
                character_stats: NEVER,
                quest: NEVER,
                cantrips: NEVER,
                nearby: NEVER,
                inventory: NEVER,
                share: NEVER,
                portal_seen: NEVER,
                teleport: NEVER,
                pending_rare: NEVER,
                death: NEVER,
            },
            rng,
        };
        c.quests = quests::roll_quests(&mut c.rng, cfg.start_unix_ms / 1000);
        c.buffs = roll_buffs(&mut c.rng);
        c.update_z();
        if !kind.is_idle() {
            c.start_travel();
        }
        c
    }

    /// The character's name (the socket binds to it).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> CharacterKind {
        self.kind
    }

    /// Simulated seconds since the session started.
    pub fn session_seconds(&self) -> f64 {
        self.t
    }

    /// Whether the character is inside a dungeon.
    pub fn in_dungeon(&self) -> bool {
        matches!(self.place, Place::Dungeon { .. })
    }

    /// Session kills so far.
    pub fn kills(&self) -> u32 {
        self.kills
    }

    /// Seconds of simulated time until the next frame is due (at least 0).
    pub fn seconds_until_due(&self) -> f64 {
        let t = &self.timers;
        let next = [
            t.telemetry,
            t.vitals,
            t.combat,
            t.kill,
            t.spawn,
            t.combat_stats,
            t.character_stats,
            t.quest,
            t.cantrips,
            t.nearby,
            t.inventory,
            t.share,
            t.portal_seen,
            t.teleport,
            t.pending_rare,
            t.death,
            self.fight_until(),
            self.respawn_at(),
        ]
        .into_iter()
        .fold(NEVER, f64::min);
        (next - self.t).max(0.0)
    }

    pub(super) fn apply_command(&mut self, cmd: &str) {
        let c = cmd.trim().to_ascii_lowercase();
        if c.starts_with("/vt stop") || c.contains("enablecombat false") {
            self.activity = Activity::Idle;
            self.timers.kill = NEVER;
            self.timers.combat = NEVER;
            self.timers.spawn = NEVER;
            self.timers.death = NEVER;
        } else if (c.starts_with("/vt start") || c.contains("enablecombat true")) && !self.kind.is_idle() {
            self.start_travel();
        } else if c.starts_with("/ls") || c.starts_with("/lifestone") {
            self.teleport_to_town(self.home_town);
        }
    }

    fn fight_until(&self) -> f64 {
        match self.activity {
            Activity::Fight { until } => until,
            _ => NEVER,
        }
    }

    fn respawn_at(&self) -> f64 {
        match self.activity {
            Activity::Dead { respawn_at } => respawn_at,
            _ => NEVER,
        }
    }

    pub(super) fn dungeon_index(&self) -> Option<usize> {
        match self.place {
            Place::Dungeon { dungeon, .. } => Some(dungeon),
            Place::Outdoor { .. } => None,
        }
    }

    pub(super) fn telemetry_interval(&mut self) -> f64 {
        let rate = self.cfg.telemetry_rate.max(1e-3);
        if rate >= 1.0 {
            return 1.0 / rate;
        }
        // Realistic spacing: jittered around the mean; idle characters report less often.
        let mean = if self.kind.is_idle() { (1.0 / rate).max(5.0) } else { 1.0 / rate };
        mean * self.rng.random_range(0.6..1.4)
    }

    pub(super) fn inventory_gap(&mut self) -> f64 {
        let mean = if self.kind.is_idle() { 600.0 } else { 45.0 };
        exp_sample(&mut self.rng, mean)
    }

    /// The current outdoor position (landcell + local), or the dungeon cell.
    pub(super) fn land_pos(&self) -> LandPos {
        match self.place {
            Place::Outdoor { gx, gy } => world::land_pos_at_global(gx, gy).unwrap_or(LandPos {
                landcell: TOWNS[self.home_town].landcell,
                x: 96.0,
                y: 96.0,
            }),
            Place::Dungeon { dungeon, x, y, cell } => {
                let d = DUNGEONS[dungeon];
                let cells = world::dungeon_cells(dungeon);
                let cell_no = cells.get(cell).map(|c| c.cell).unwrap_or(world::FIRST_ENV_CELL);
                LandPos { landcell: (u32::from(d.landblock) << 16) | u32::from(cell_no), x, y }
            }
        }
    }

    /// Radar coordinates of the current position (into the sea for dungeons, as the
    /// real client reports them).
    pub(super) fn coords(&self) -> MapCoords {
        let p = self.land_pos();
        world::map_coords(p.landcell, p.x, p.y)
    }

    pub(super) fn vt_state(&self) -> &'static str {
        match self.activity {
            Activity::Fight { .. } if self.t < self.looting_until => "Looting",
            Activity::Fight { .. } => "Combat",
            Activity::Travel { .. } => "Navigating",
            Activity::Dead { .. } | Activity::Idle => "Idle",
        }
    }

    pub(super) fn kills_per_hour(&self) -> Option<f64> {
        (self.t > 0.0).then(|| f64::from(self.kills) * 3600.0 / self.t)
    }

    pub(super) fn xp_per_hour(&self) -> i64 {
        if self.t <= 0.0 {
            return 0;
        }
        (self.session_xp as f64 * 3600.0 / self.t) as i64
    }

    // ---- world stepping ----

    pub(super) fn step_world(&mut self, dt: f64) {
        if dt <= 0.0 {
            return;
        }
        match self.activity {
            Activity::Travel { tx, ty, target_cell } => {
                let (x, y) = self.xy();
                let (dx, dy) = (tx - x, ty - y);
                let dist = (dx * dx + dy * dy).sqrt();
                let stride = self.speed * dt;
                if dist <= stride.max(0.5) {
                    self.set_xy(tx, ty, Some(target_cell));
                    self.arrive();
                } else {
                    self.heading = world::bearing_deg(dx, dy);
                    self.set_xy(x + dx / dist * stride, y + dy / dist * stride, None);
                }
            }
            Activity::Fight { .. } => {
                // Small repositioning around the fight; heading follows the target.
                let (x, y) = self.xy();
                let wobble = self.rng.random_range(-25.0..25.0);
                self.heading = world::normalize_heading(self.heading + wobble * dt);
                let h = self.heading.to_radians();
                let step = 0.4 * dt;
                self.set_xy(x + h.sin() * step, y + h.cos() * step, None);
                self.regen(dt, 0.3);
            }
            Activity::Idle => {
                if self.rng.random_bool((dt / 120.0).min(1.0)) {
                    let (x, y) = self.xy();
                    self.heading = self.rng.random_range(0.0..360.0);
                    let h = self.heading.to_radians();
                    self.set_xy(x + h.sin() * 2.0, y + h.cos() * 2.0, None);
                }
                self.regen(dt, 1.0);
            }
            Activity::Dead { .. } => {}
        }
        self.update_z();
    }

    fn xy(&self) -> (f64, f64) {
        match self.place {
            Place::Outdoor { gx, gy } => (gx, gy),
            Place::Dungeon { x, y, .. } => (x, y),
        }
    }

    fn set_xy(&mut self, nx: f64, ny: f64, reached_cell: Option<usize>) {
        match &mut self.place {
            Place::Outdoor { gx, gy } => {
                // Stay on land (the map edge is ocean).
                let max = f64::from(world::MAX_LANDBLOCK_INDEX + 1) * world::LANDBLOCK_M - 1.0;
                *gx = nx.clamp(1.0, max);
                *gy = ny.clamp(1.0, max);
            }
            Place::Dungeon { x, y, cell, .. } => {
                *x = nx;
                *y = ny;
                if let Some(c) = reached_cell {
                    *cell = c;
                }
            }
        }
    }

    pub(super) fn update_z(&mut self) {
        self.z = match self.place {
            Place::Outdoor { gx, gy } => world::terrain_z(gx, gy),
            Place::Dungeon { dungeon, cell, .. } => {
                world::dungeon_cells(dungeon).get(cell).map(|c| c.z).unwrap_or(-60.0)
            }
        };
    }

    fn regen(&mut self, dt: f64, factor: f64) {
        let before = (self.health.0, self.stamina.0, self.mana.0);
        let add = |v: &mut (u32, u32), pct: f64| {
            let gain = (f64::from(v.1) * pct * dt * factor).ceil() as u32;
            v.0 = (v.0 + gain).min(v.1);
        };
        add(&mut self.health, 0.01);
        add(&mut self.stamina, 0.02);
        add(&mut self.mana, 0.01);
        if before != (self.health.0, self.stamina.0, self.mana.0) {
            self.vitals_dirty = true;
        }
    }

    pub(super) fn arrive(&mut self) {
        let until = self.t + self.rng.random_range(60.0..300.0);
        self.activity = Activity::Fight { until };
        self.timers.combat = self.t + COMBAT_WINDOW_S;
        self.timers.kill = self.t + self.kill_gap();
        self.timers.spawn = self.t + self.rng.random_range(0.5..3.0);
        self.timers.vitals = self.timers.vitals.min(self.t + 1.0);
        // Exponential waits are memoryless, so re-drawing at each fight keeps the rate
        // per hour of fighting exact.
        self.timers.death = if self.cfg.deaths_per_hour > 0.0 {
            self.t + exp_sample(&mut self.rng, 3600.0 / self.cfg.deaths_per_hour)
        } else {
            NEVER
        };
    }

    pub(super) fn start_travel(&mut self) {
        let (tx, ty, target_cell) = match self.place {
            Place::Outdoor { gx, gy } => {
                let town = TOWNS[self.base_town];
                let (town_x, town_y) = world::global_from_map(town.coords());
                let from_town = (gx - town_x).hypot(gy - town_y) / world::MAP_UNIT_M;
                let angle = self.rng.random_range(0.0..std::f64::consts::TAU);
                if (0.3..HUNTING_RADIUS_UNITS).contains(&from_town) {
                    // Already on the hunting grounds: the next pack is a short walk away,
                    // turned back towards town when it would leave the grounds.
                    let r = self.rng.random_range(30.0..150.0);
                    let (mut tx, mut ty) = (gx + r * angle.sin(), gy + r * angle.cos());
                    if (tx - town_x).hypot(ty - town_y) / world::MAP_UNIT_M > HUNTING_RADIUS_UNITS {
                        (tx, ty) = (gx - r * angle.sin(), gy - r * angle.cos());
                    }
                    (tx, ty, 0)
                } else {
                    // Fresh from a portal, recall or lifestone: walk out to the grounds.
                    let r = self.rng.random_range(0.3..HUNTING_RADIUS_UNITS);
                    let target = MapCoords { ew: town.ew + r * angle.sin(), ns: town.ns + r * angle.cos() };
                    let (tx, ty) = world::global_from_map(target);
                    (tx, ty, 0)
                }
            }
            Place::Dungeon { dungeon, cell, .. } => {
                let cells = world::dungeon_cells(dungeon);
                let n = cells.len().max(1);
                let next = (cell + self.rng.random_range(1..=4)) % n;
                let c = cells.get(next).copied().unwrap_or(world::DungeonCell {
                    cell: world::FIRST_ENV_CELL,
                    x: 0.0,
                    y: 0.0,
                    z: -60.0,
                    rot: 0,
                });
                let half = world::DUNGEON_CELL_SIDE_M / 2.0;
                (c.x + half, c.y + half, next)
            }
        };
        self.activity = Activity::Travel { tx, ty, target_cell };
        self.timers.combat = NEVER;
        self.timers.kill = NEVER;
        self.timers.death = NEVER;
        let mean = self.spawn_mean() * 2.0;
        self.timers.spawn = self.t + exp_sample(&mut self.rng, mean);
    }

    pub(super) fn kill_gap(&mut self) -> f64 {
        exp_sample(&mut self.rng, 3600.0 / self.kph_target.max(1.0))
    }

    pub(super) fn spawn_mean(&self) -> f64 {
        if self.in_dungeon() { 4.0 } else { 10.0 }
    }
}

/// Total XP at the start of `level`. A power law through the retail cap
/// (191,226,310,247 at 275); it approximates the retail table's shape, not its values.
pub fn xp_for_level(level: u16) -> i64 {
    if level >= LEVEL_CAP {
        return XP_AT_CAP;
    }
    let l = f64::from(level.max(1)) / f64::from(LEVEL_CAP);
    (XP_AT_CAP as f64 * l.powf(4.88)) as i64
}

pub(super) fn xp_per_kill_for(level: u16, kph: f64, rng: &mut SmallRng) -> i64 {
    // A level every 40 minutes to 3 hours of fighting; at the cap, retail-like ~180M/h.
    let per_hour = if level >= LEVEL_CAP {
        rng.random_range(80_000_000.0..200_000_000.0)
    } else {
        let step = (xp_for_level(level + 1) - xp_for_level(level)) as f64;
        step * rng.random_range(0.35..1.5)
    };
    (per_hour / kph.max(1.0)).max(1.0) as i64
}

pub(super) fn vitals_max(kind: CharacterKind, level: u16) -> (u32, u32, u32) {
    let l = u32::from(level);
    match kind {
        CharacterKind::Mage | CharacterKind::BuffBot => (200 + l, 250 + l, 300 + l * 2),
        CharacterKind::Archer => (250 + l, 350 + l * 2, 150 + l),
        _ => (300 + l / 2 * 3, 400 + l * 2, 100 + l),
    }
}

fn roll_buffs(rng: &mut SmallRng) -> Vec<(u32, &'static str, f64)> {
    let n = rng.random_range(2..=super::item_tables::SELF_BUFFS.len());
    super::item_tables::SELF_BUFFS[..n].iter().map(|(id, name)| (*id, *name, rng.random_range(600.0..3600.0))).collect()
}

/// An exponential waiting time with the given mean (a Poisson process).
pub fn exp_sample(rng: &mut impl Rng, mean: f64) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    -u.ln() * mean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::frames::Frame;
    use crate::sim::roster::Roster;
    use serde_json::json;

    fn make(index: usize, cfg: &CharacterConfig) -> Character {
        let roster = Roster::generate(cfg.seed, 40);
        let e = &roster.entries[index];
        Character::new(e, ("Moss Lords", "Bigmoss", Some("Mossy Mage"), vec!["Mossy Mage".into()]), cfg)
    }

    fn run(c: &mut Character, secs: f64, step: f64) -> Vec<Value> {
        let mut out = Vec::new();
        c.login(&mut out, true);
        let mut t = 0.0;
        while t < secs {
            c.advance(step, &mut out);
            t += step;
        }
        values(&out)
    }

    fn values(frames: &[Frame]) -> Vec<Value> {
        frames.iter().map(Frame::to_value).collect()
    }

    fn hunter_index(cfg: &CharacterConfig) -> usize {
        let roster = Roster::generate(cfg.seed, 40);
        roster.entries.iter().position(|e| !e.kind.is_idle()).expect("a hunter")
    }

    #[test]
    fn same_seed_and_steps_give_identical_frames() {
        let cfg = CharacterConfig::default();
        let i = hunter_index(&cfg);
        let a = run(&mut make(i, &cfg), 600.0, 0.7);
        let b = run(&mut make(i, &cfg), 600.0, 0.7);
        assert_eq!(a, b);
        let other = CharacterConfig { seed: 2, ..cfg.clone() };
        let c = run(&mut make(i, &other), 600.0, 0.7);
        assert_ne!(a, c);
    }

    #[test]
    fn hunting_raises_kills_and_xp_over_an_hour() {
        let cfg = CharacterConfig { deaths_per_hour: 0.0, ..CharacterConfig::default() };
        let i = hunter_index(&cfg);
        let mut c = make(i, &cfg);
        let xp0 = c.total_xp;
        let lvl0 = c.level;
        let out = run(&mut c, 3600.0, 0.5);
        assert!(c.kills > 50, "kills {}", c.kills);
        assert!(c.total_xp > xp0 || lvl0 == LEVEL_CAP);
        let kinds: std::collections::HashSet<&str> = out.iter().filter_map(|f| f["type"].as_str()).collect();
        for k in [
            "telemetry",
            "vitals",
            "combat",
            "combat_stats",
            "spawn",
            "character_stats",
            "inventory",
            "quest",
            "cantrips",
        ] {
            assert!(kinds.contains(k), "missing {k}: {kinds:?}");
        }
        // Hunting rates of docs/protocol.md §7: about 1.5–3 frames/s, never runaway.
        let per_s = out.len() as f64 / 3600.0;
        assert!((0.5..4.0).contains(&per_s), "{per_s} frames/s");
    }

    #[test]
    fn deaths_increment_counters_and_lower_vitae() {
        let cfg = CharacterConfig { deaths_per_hour: 30.0, ..CharacterConfig::default() };
        let i = hunter_index(&cfg);
        let mut c = make(i, &cfg);
        let before = c.total_deaths;
        let out = run(&mut c, 1800.0, 0.5);
        assert!(c.deaths > 0);
        assert_eq!(c.total_deaths, before + c.deaths);
        assert!(c.vitae < 1.0 && c.vitae >= 0.6);
        assert!(out.iter().any(|f| f["type"] == "vitals" && f["health"] == 0));
    }

    #[test]
    fn rares_arrive_at_the_configured_accelerated_rate() {
        let cfg = CharacterConfig { rares_per_hour: 60.0, deaths_per_hour: 0.0, ..CharacterConfig::default() };
        let i = hunter_index(&cfg);
        let mut c = make(i, &cfg);
        let out = run(&mut c, 3600.0, 1.0);
        let rares = out.iter().filter(|f| f["type"] == "rare").count();
        assert!(rares >= 10, "{rares} rares");
        assert_eq!(rares as u32, c.rares_found);
    }

    #[test]
    fn high_rate_gives_that_many_telemetry_frames_per_second() {
        let cfg = CharacterConfig { telemetry_rate: 100.0, ..CharacterConfig::default() };
        let mut c = make(0, &cfg);
        let mut out = Vec::new();
        c.login(&mut out, true);
        out.clear();
        for _ in 0..100 {
            c.advance(0.1, &mut out);
        }
        let n = out.iter().filter(|f| f.kind() == "telemetry").count();
        assert!(out.iter().all(|f| matches!(f, Frame::Json(_)) || f.to_value()["type"] == "telemetry"));
        assert!((990..=1010).contains(&n), "{n}");
    }

    #[test]
    fn dungeon_entry_sends_a_map_and_indoor_landcells() {
        let cfg = CharacterConfig::default();
        let i = hunter_index(&cfg);
        let mut c = make(i, &cfg);
        let mut out = Vec::new();
        c.login(&mut out, true);
        out.clear();
        c.enter_dungeon(0, &mut out);
        let out = values(&out);
        assert_eq!(out[0]["type"], "dungeon_map");
        assert_eq!(out[0]["landblock"], "0x02F3");
        let p = c.land_pos();
        assert_eq!(p.landcell >> 16, 0x02F3);
        assert!(p.landcell & 0xFFFF >= 0x0100);
        let mut replies = Vec::new();
        c.on_server_frame(&json!({"type": "request_dungeon_map", "request_id": "d-88"}), &mut replies);
        let replies = values(&replies);
        assert_eq!(replies[0]["type"], "dungeon_map");
        assert_eq!(replies[0]["request_id"], "d-88");
    }

    #[test]
    fn commands_are_acknowledged_with_their_request_id() {
        let cfg = CharacterConfig::default();
        let mut c = make(0, &cfg);
        for frame in [
            json!({"type": "command", "request_id": "c-1717", "command": "/vt opt set enablecombat false"}),
            json!({"request_id": "c-1718", "command": "/vt start"}),
        ] {
            let mut out = Vec::new();
            c.on_server_frame(&frame, &mut out);
            let out = values(&out);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0]["type"], "command_result");
            assert_eq!(out[0]["request_id"], frame["request_id"]);
            assert_eq!(out[0]["ok"], true);
            assert_eq!(out[0]["character_name"], c.name());
        }
    }

    #[test]
    fn xp_curve_rises_to_the_retail_cap() {
        assert_eq!(xp_for_level(275), XP_AT_CAP);
        let mut prev = 0;
        for l in 1..275 {
            let x = xp_for_level(l);
            assert!(x > prev || l == 1, "level {l}");
            prev = x;
        }
    }
}
