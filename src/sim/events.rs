//! What happens when a character's timers fire: spawns, kills, XP and levels, rares,
//! deaths and lifestone respawns, portals and recalls into dungeons, combat windows,
//! buffs and inventory changes.
//!
//! Owns the event half of the character state machine (`character` owns state, movement
//! and the public API). Like it, never reads a clock or touches a socket.

use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::Value;

use super::character::{
    Activity, CHARACTER_STATS_PERIOD_S, COMBAT_STATS_PERIOD_S, COMBAT_WINDOW_S, Character, CharacterKind, Hit,
    LEVEL_CAP, MAX_NEARBY_MONSTERS, MAX_TOP_TARGETS, MONSTER_ID_BASE, Monster, NEVER, Place, exp_sample, vitals_max,
    xp_for_level, xp_per_kill_for,
};
use super::frames::{self, Frame};
use super::world::{self, DUNGEONS, TOWNS};

impl Character {
    pub(super) fn run_due_events(&mut self, out: &mut Vec<Frame>) {
        let t = self.t;
        if let Activity::Dead { respawn_at } = self.activity
            && t >= respawn_at
        {
            self.respawn(out);
        }
        if let Activity::Fight { until } = self.activity
            && t >= until
        {
            self.start_travel();
        }
        if t >= self.timers.spawn {
            self.spawn_monster(out);
            let mean = self.spawn_mean();
            self.timers.spawn = match self.activity {
                Activity::Fight { .. } => t + exp_sample(&mut self.rng, mean),
                Activity::Travel { .. } => t + exp_sample(&mut self.rng, mean * 2.0),
                _ => NEVER,
            };
        }
        if t >= self.timers.kill {
            self.kill(out);
            self.timers.kill = match self.activity {
                Activity::Fight { .. } => t + self.kill_gap(),
                _ => NEVER,
            };
        }
        if t >= self.timers.death {
            self.timers.death = NEVER;
            if matches!(self.activity, Activity::Fight { .. }) {
                self.die(out);
            }
        }
        if t >= self.timers.combat {
            if matches!(self.activity, Activity::Fight { .. }) {
                out.push(self.combat_frame().into());
                self.timers.combat = t + COMBAT_WINDOW_S;
            } else {
                self.timers.combat = NEVER;
            }
        }
        if t >= self.timers.vitals {
            if self.vitals_dirty || self.kind.is_idle() {
                out.push(frames::vitals(self).into());
                self.vitals_dirty = false;
            }
            self.timers.vitals = t + match self.activity {
                Activity::Fight { .. } => self.rng.random_range(0.7..1.3),
                _ => self.rng.random_range(8.0..12.0),
            };
        }
        if t >= self.timers.combat_stats {
            out.push(frames::combat_stats(self).into());
            self.timers.combat_stats += COMBAT_STATS_PERIOD_S;
        }
        if t >= self.timers.character_stats {
            out.push(frames::character_stats(self).into());
            self.timers.character_stats += CHARACTER_STATS_PERIOD_S;
        }
        if t >= self.timers.quest {
            out.push(frames::quest(self).into());
            self.timers.quest = t + self.rng.random_range(300.0..900.0);
        }
        if t >= self.timers.cantrips {
            self.refresh_buffs();
            out.push(frames::cantrips(self).into());
            self.timers.cantrips = t + self.rng.random_range(300.0..1200.0);
        }
        if t >= self.timers.nearby {
            out.push(frames::nearby_objects(self).into());
            self.timers.nearby = t + self.rng.random_range(2.0..5.0);
        }
        if t >= self.timers.inventory {
            self.inventory_delta(out);
            self.timers.inventory = t + self.inventory_gap();
        }
        if t >= self.timers.pending_rare {
            if let Some((rare, id)) = self.pending_rare.take()
                && let Some(item) = self.inventory.add_rare(&mut self.rng, &rare, id)
            {
                out.push(frames::inventory_delta(self, vec![item], Vec::new(), Vec::new()).into());
            }
            self.timers.pending_rare = NEVER;
        }
        if t >= self.timers.share {
            out.push(frames::share(self).into());
            self.timers.share = t + exp_sample(&mut self.rng, 180.0);
        }
        if t >= self.timers.portal_seen {
            if matches!(self.place, Place::Outdoor { .. }) && !matches!(self.activity, Activity::Dead { .. }) {
                out.push(frames::portal(self).into());
            }
            self.timers.portal_seen = t + exp_sample(&mut self.rng, 900.0);
        }
        if t >= self.timers.teleport {
            self.teleport(out);
            let mean = if self.in_dungeon() { 900.0 } else { 1500.0 };
            self.timers.teleport = t + exp_sample(&mut self.rng, mean);
        }
    }

    pub(super) fn next_monster_id(&mut self) -> u32 {
        self.next_monster = (self.next_monster + 1) % 0x1_0000;
        let block = (u32::try_from(self.index).unwrap_or(0) % 0x3FFF) * 0x1_0000;
        MONSTER_ID_BASE + block + self.next_monster
    }

    pub(super) fn spawn_monster(&mut self, out: &mut Vec<Frame>) {
        let names = world::monsters_for(self.level, self.in_dungeon());
        let name = names.choose(&mut self.rng).copied().unwrap_or("Mosswart Mumbler");
        let id = self.next_monster_id();
        let dist = self.rng.random_range(8.0..60.0);
        let angle = self.rng.random_range(0.0..std::f64::consts::TAU);
        let m = Monster { id, name, d_east: dist * angle.sin(), d_north: dist * angle.cos(), health_pct: 1.0 };
        if self.monsters.len() >= MAX_NEARBY_MONSTERS {
            self.monsters.remove(0);
        }
        out.push(frames::spawn(self, &m).into());
        self.monsters.push(m);
    }

    pub(super) fn kill(&mut self, out: &mut Vec<Frame>) {
        if self.monsters.is_empty() {
            self.spawn_monster(out);
        }
        let victim = self.monsters.remove(0);
        self.pending_kills.push(victim.name);
        self.kills += 1;
        self.looting_until = self.t + 2.0;
        self.vitae = (self.vitae + 0.002).min(1.0);
        self.gain_xp(out);
        let p = self.cfg.rares_per_hour / self.kph_target.max(1.0);
        if self.rng.random_bool(p.clamp(0.0, 1.0)) {
            self.find_rare(out);
        }
        if matches!(self.kind, CharacterKind::Mage) {
            let n = self.rng.random_range(1..=4);
            self.pending_taper_update = self.inventory.use_tapers(n);
        }
    }

    pub(super) fn gain_xp(&mut self, out: &mut Vec<Frame>) {
        let gain = self.xp_per_kill;
        self.session_xp += gain;
        if self.level >= LEVEL_CAP {
            // XP past the cap feeds luminance when it is unlocked.
            if let Some((cur, max)) = &mut self.luminance {
                *cur = (*cur + gain / 10_000).min(*max);
            }
            return;
        }
        self.total_xp += gain;
        if self.total_xp >= xp_for_level(self.level + 1) {
            self.level += 1;
            self.xp_per_kill = xp_per_kill_for(self.level, self.kph_target, &mut self.rng);
            let (h, s, m) = vitals_max(self.kind, self.level);
            self.health = (h, h);
            self.stamina = (s, s);
            self.mana = (m, m);
            self.vitals_dirty = true;
            out.push(frames::character_stats(self).into());
        }
    }

    pub(super) fn find_rare(&mut self, out: &mut Vec<Frame>) {
        let rare = world::pick_rare(&mut self.rng);
        self.rares_found += 1;
        let id = self.rng.random_bool(0.7).then(|| self.inventory.reserve_id(&mut self.rng));
        out.push(frames::rare(self, &rare, id).into());
        // The item reaches the pack a few seconds after the chat line.
        self.pending_rare = Some((rare, id));
        self.timers.pending_rare = self.t + self.rng.random_range(2.0..10.0);
    }

    pub(super) fn die(&mut self, out: &mut Vec<Frame>) {
        self.health.0 = 0;
        out.push(frames::vitals(self).into());
        self.deaths += 1;
        self.total_deaths += 1;
        self.vitae = (self.vitae - 0.05).max(0.6);
        self.monsters.clear();
        self.pending_kills.clear();
        self.activity = Activity::Dead { respawn_at: self.t + self.rng.random_range(5.0..15.0) };
        self.timers.kill = NEVER;
        self.timers.combat = NEVER;
        self.timers.spawn = NEVER;
    }

    pub(super) fn respawn(&mut self, out: &mut Vec<Frame>) {
        // Lifestone: a jump back to the home town.
        self.teleport_to_town(self.home_town);
        let (h, s, m) = vitals_max(self.kind, self.level);
        let scale = |max: u32| (f64::from(max) * self.vitae * 0.75) as u32;
        self.health = (scale(h), h);
        self.stamina = (scale(s), s);
        self.mana = (scale(m), m);
        out.push(frames::vitals(self).into());
        self.vitals_dirty = false;
        self.start_travel();
    }

    pub(super) fn teleport(&mut self, out: &mut Vec<Frame>) {
        if self.kind.is_idle() || matches!(self.activity, Activity::Dead { .. }) {
            return;
        }
        if self.in_dungeon() {
            self.teleport_to_town(self.home_town);
            self.start_travel();
            return;
        }
        if self.rng.random_bool(0.4) {
            let d = self.rng.random_range(0..DUNGEONS.len());
            let cells = world::dungeon_cells(d);
            let cell = self.rng.random_range(0..cells.len().max(1));
            let c = cells.get(cell).copied();
            let half = world::DUNGEON_CELL_SIDE_M / 2.0;
            self.place = Place::Dungeon {
                dungeon: d,
                x: c.map(|c| c.x + half).unwrap_or(0.0),
                y: c.map(|c| c.y + half).unwrap_or(0.0),
                cell,
            };
            self.monsters.clear();
            self.update_z();
            out.push(frames::dungeon_map(self, d, None).into());
            self.start_travel();
        } else {
            // Recall to another town and hunt there; casters restock tapers in town.
            let town = self.rng.random_range(0..TOWNS.len());
            self.teleport_to_town(town);
            self.base_town = town;
            if self.inventory.taper_count() < 300 {
                self.pending_taper_update = self.inventory.restock_tapers();
            }
            self.start_travel();
        }
    }

    pub(super) fn teleport_to_town(&mut self, town: usize) {
        let (gx, gy) = world::global_from_map(TOWNS[town].coords());
        self.place =
            Place::Outdoor { gx: gx + self.rng.random_range(-10.0..10.0), gy: gy + self.rng.random_range(-10.0..10.0) };
        self.monsters.clear();
        self.heading = self.rng.random_range(0.0..360.0);
        self.update_z();
    }

    pub(super) fn combat_frame(&mut self) -> Value {
        let mut hits = Vec::new();
        let weapon_attack = if self.kind == CharacterKind::Mage { "magic" } else { "melee" };
        let element = match self.kind {
            CharacterKind::Mage => *["fire", "cold", "acid", "electric"].choose(&mut self.rng).unwrap_or(&"fire"),
            CharacterKind::Archer => "pierce",
            _ => *["slash", "pierce", "bludge"].choose(&mut self.rng).unwrap_or(&"slash"),
        };
        let target = self
            .monsters
            .first()
            .map(|m| m.name)
            .or_else(|| self.pending_kills.first().copied())
            .unwrap_or("Mosswart Mumbler");
        let base = 80.0 + f64::from(self.level) * 1.4;
        let given_n = self.rng.random_range(1..=6);
        let kills = std::mem::take(&mut self.pending_kills);
        for i in 0..given_n + kills.len() {
            let (other, killing_blow) = if i < given_n { (target, false) } else { (kills[i - given_n], true) };
            let failed = !killing_blow && self.rng.random_bool(0.08);
            let crit = !failed && self.rng.random_bool(0.12);
            let dmg =
                if failed { 0 } else { (base * self.rng.random_range(0.6..1.4) * if crit { 2.2 } else { 1.0 }) as u64 };
            self.given.record(element, dmg, crit, failed);
            self.note_target(other, dmg, killing_blow);
            hits.push(Hit {
                given: true,
                other,
                attack: weapon_attack,
                element,
                damage: dmg,
                crit,
                killing_blow,
                failed,
            });
        }
        for _ in 0..self.rng.random_range(0..=3) {
            let failed = self.rng.random_bool(0.75);
            let crit = !failed && self.rng.random_bool(0.01);
            let attack = if self.rng.random_bool(0.3) { "magic" } else { "melee" };
            let el = *["slash", "pierce", "bludge", "cold", "fire", "acid", "electric"]
                .choose(&mut self.rng)
                .unwrap_or(&"slash");
            let dmg = if failed { 0 } else { self.rng.random_range(10..120) };
            self.received.record(el, dmg, crit, failed);
            self.health.0 = self.health.0.saturating_sub(u32::try_from(dmg).unwrap_or(u32::MAX)).max(1);
            hits.push(Hit {
                given: false,
                other: target,
                attack,
                element: el,
                damage: dmg,
                crit,
                killing_blow: false,
                failed,
            });
        }
        // Spending effort: stamina for weapon users, mana for casters.
        if self.kind == CharacterKind::Mage {
            self.mana.0 = self.mana.0.saturating_sub(self.rng.random_range(10..60));
        } else {
            self.stamina.0 = self.stamina.0.saturating_sub(self.rng.random_range(5..30));
        }
        self.vitals_dirty = true;
        if let Some(m) = self.monsters.first_mut() {
            m.health_pct = (m.health_pct - self.rng.random_range(0.1..0.4)).max(0.05);
        }
        frames::combat(self, &hits)
    }

    pub(super) fn note_target(&mut self, name: &'static str, damage: u64, kill: bool) {
        if let Some(t) = self.top_targets.iter_mut().find(|t| t.0 == name) {
            t.1 += u64::from(kill);
            t.2 += damage;
        } else if self.top_targets.len() < MAX_TOP_TARGETS {
            self.top_targets.push((name, u64::from(kill), damage));
        }
    }

    pub(super) fn refresh_buffs(&mut self) {
        let elapsed = self.t;
        for b in &mut self.buffs {
            // Recast anything within 5 minutes of expiring.
            if b.2 - elapsed < 300.0 {
                b.2 = elapsed + 3600.0;
            }
        }
    }

    pub(super) fn inventory_delta(&mut self, out: &mut Vec<Frame>) {
        let hunting = matches!(self.activity, Activity::Fight { .. } | Activity::Travel { .. });
        let mut d = self.inventory.random_delta(&mut self.rng, hunting);
        if let Some(u) = self.pending_taper_update.take() {
            d.updated.push(u);
        }
        if !d.is_empty() {
            out.push(frames::inventory_delta(self, d.added, d.updated, d.removed).into());
        }
    }
}
