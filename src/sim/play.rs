//! Playing a character: the frames a plugin sends at login, as simulated time advances,
//! for server commands and for allegiance chat. Drives `character` (state and timers) and
//! renders through `frames`; the model in `character` never renders anything itself.

use serde_json::{Value, json};

use super::character::{
    CHARACTER_STATS_PERIOD_S, COMBAT_STATS_PERIOD_S, Character, MAX_STEP_S, MAX_TELEMETRY_CATCH_UP_S, NEVER, Place,
    exp_sample,
};
use super::frames::{self, Frame};
use super::roster::ChatLine;
use super::world::DUNGEONS;
use rand::Rng;

impl Character {
    /// Frames a plugin sends right after login (or a reconnect): character sheet, full
    /// inventory, quests, enchantments, vitals, a first position, and the dungeon map when
    /// it logs in underground. Also (re)starts the periodic schedules.
    pub fn login(&mut self, out: &mut Vec<Frame>, first_connect: bool) {
        out.push(frames::character_stats(self).into());
        if first_connect || self.cfg.inventory_on_connect {
            out.push(frames::inventory_full(self).into());
        }
        out.push(frames::quest(self).into());
        out.push(frames::cantrips(self).into());
        out.push(frames::vitals(self).into());
        out.push(frames::telemetry_frame(self));
        if let Some(d) = self.dungeon_index() {
            out.push(frames::dungeon_map(self, d, None).into());
        }
        if self.style.old_build && first_connect {
            // Old plugin builds announce their profile with a type the server does not
            // know: it must be counted and ignored (docs/protocol.md §1.5).
            out.push(json!({"type": "vtank_profile", "character_name": self.name, "profile": "default.utl"}).into());
        }
        let t = self.t;
        let interval = self.telemetry_interval();
        let r = &mut self.rng;
        self.timers.telemetry = t + interval;
        self.timers.vitals = t + r.random_range(1.0..10.0);
        self.timers.combat_stats = t + COMBAT_STATS_PERIOD_S;
        self.timers.character_stats = t + CHARACTER_STATS_PERIOD_S;
        self.timers.quest = t + r.random_range(300.0..900.0);
        self.timers.cantrips = t + r.random_range(60.0..900.0);
        self.timers.nearby = if self.nearby_enabled { t + r.random_range(2.0..5.0) } else { NEVER };
        self.timers.inventory = t + self.inventory_gap();
        self.timers.share = t + self.rng.random_range(60.0..300.0);
        if !self.kind.is_idle() {
            self.timers.portal_seen = t + exp_sample(&mut self.rng, 900.0);
            self.timers.teleport = t + exp_sample(&mut self.rng, 1500.0);
        }
        self.vitals_dirty = false;
    }

    /// Advances simulated time by `dt` seconds, appending every frame that falls due.
    pub fn advance(&mut self, dt: f64, out: &mut Vec<Frame>) {
        if dt.is_nan() || dt <= 0.0 {
            return;
        }
        let end = self.t + dt;
        if end - self.timers.telemetry > MAX_TELEMETRY_CATCH_UP_S {
            self.timers.telemetry = end - MAX_TELEMETRY_CATCH_UP_S;
        }
        while self.t < end {
            let step_to = end.min(self.t + MAX_STEP_S).min(self.timers.telemetry.max(self.t));
            self.step_world(step_to - self.t);
            self.t = step_to;
            self.run_due_events(out);
            if self.t >= self.timers.telemetry {
                out.push(frames::telemetry_frame(self));
                self.timers.telemetry += self.telemetry_interval();
            }
        }
    }

    /// Handles one server → plugin frame (docs/protocol.md §3.16).
    pub fn on_server_frame(&mut self, frame: &Value, out: &mut Vec<Frame>) {
        let ty = frame.get("type").and_then(Value::as_str);
        let request_id = frame.get("request_id").cloned().unwrap_or(Value::Null);
        match ty {
            Some("request_dungeon_map") => match self.dungeon_index() {
                Some(d) => out.push(frames::dungeon_map(self, d, Some(request_id)).into()),
                None => out.push(
                    json!({
                        "type": "command_result", "character_name": self.name,
                        "request_id": request_id, "ok": false, "message": "not in a dungeon",
                    })
                    .into(),
                ),
            },
            Some("command") | None if frame.get("command").is_some() => {
                let cmd = frame.get("command").and_then(Value::as_str).unwrap_or("");
                self.apply_command(cmd);
                out.push(
                    json!({
                        "type": "command_result", "character_name": self.name,
                        "request_id": request_id, "ok": true,
                    })
                    .into(),
                );
            }
            _ => {}
        }
    }

    /// An allegiance line heard in chat: every member's plugin reports the same line.
    pub fn on_chat(&mut self, line: &ChatLine, out: &mut Vec<Frame>) {
        out.push(frames::chat(self, line).into());
    }

    /// Puts the character in `DUNGEONS[index]` (tests and scripted scenarios).
    pub fn enter_dungeon(&mut self, index: usize, out: &mut Vec<Frame>) {
        let d = index % DUNGEONS.len();
        self.place = Place::Dungeon { dungeon: d, x: 5.0, y: 5.0, cell: 0 };
        self.update_z();
        out.push(frames::dungeon_map(self, d, None).into());
        if !self.kind.is_idle() {
            self.start_travel();
        }
    }
}
