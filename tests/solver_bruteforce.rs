//! An outside checker for the suit builder: a brute-force enumerator written from
//! docs/solver.md alone (its own slot tables, reduction table, eligibility and score), compared
//! with the solver on thousands of random small inventories, for score and exact suit,
//! with one thread and several.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use overlord::solver::sets::{CountBy, shipped_set_table};
use overlord::solver::testkit::small_case;
use overlord::solver::{Problem, SuitRequest, Wearable, solve};

const SUIT_COVERAGE: u32 = 0x7E | 0x3F00 | 0x1C000;

/// (group name, slot bits, capacity).
const GROUPS: [(&str, &[u32]); 8] = [
    ("neck", &[0x8000]),
    ("wrist", &[0x10000, 0x20000]),
    ("finger", &[0x40000, 0x80000]),
    ("trinket", &[0x4000000]),
    ("cloak", &[0x8000000]),
    ("blue", &[0x10000000]),
    ("yellow", &[0x20000000]),
    ("red", &[0x40000000]),
];

const REDUCE: [(u32, &[u32]); 10] = [
    (0x3000, &[0x1000, 0x2000]),
    (0x0300, &[0x100, 0x200]),
    (0x10200, &[0x10000]),
    (0x0C00, &[0x400]),
    (0x1C00, &[0x400]),
    (0x1400, &[0x400]),
    (0x3400, &[0x400]),
    (0x3C00, &[0x400]),
    (0x0B00, &[0x800, 0x100, 0x200]),
    (0x0900, &[0x800]),
];

#[derive(Clone, Copy, Debug)]
enum Opt {
    Cover { bits: u32, parts: i64 },
    Slot { group: usize, allowed: u32 },
}

fn points(tier: &str) -> i64 {
    match tier {
        "Minor" | "Moderate" => 1,
        "Major" => 2,
        "Epic" => 3,
        "Legendary" => 4,
        _ => 0,
    }
}

fn rank(tier: &str) -> i32 {
    ["Feeble", "Lesser", "Inner", "Minor", "Moderate", "Major", "Epic", "Legendary"]
        .iter()
        .position(|t| t.eq_ignore_ascii_case(tier))
        .map_or(-1, |p| p as i32)
}

fn rating_ix(name: &str) -> usize {
    [
        "damage",
        "damage_resist",
        "crit",
        "crit_resist",
        "crit_damage",
        "crit_damage_resist",
        "heal_boost",
        "nether_resist",
        "life_resist",
        "vitality",
    ]
    .iter()
    .position(|n| *n == name)
    .expect("rating")
}

struct Brute<'a> {
    req: &'a SuitRequest,
    items: Vec<&'a Wearable>,
    opts: Vec<Vec<Opt>>,
    locked: Vec<bool>,
    tables: BTreeMap<u32, (Vec<(u32, i64)>, bool)>,
    weights: [i64; 10],
    caps: [Option<i64>; 10],
    spell_weight: i64,
    armor_weight: i64,
    found: BTreeMap<Vec<u32>, i64>,
}

impl Brute<'_> {
    fn score(&self, chosen: &[(usize, Opt)]) -> i64 {
        let mut spells = 0;
        for w in &self.req.wanted_spells {
            let key = w.family.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            let mut best: Option<&str> = None;
            for (i, _) in chosen {
                for c in &self.items[*i].cantrips {
                    if c.key == key && best.is_none_or(|b| rank(c.tier.name()) > rank(b)) {
                        best = Some(c.tier.name());
                    }
                }
            }
            if let Some(b) = best {
                let min_ok = w.min_tier.as_deref().is_none_or(|m| rank(b) >= rank(m));
                if min_ok {
                    spells += points(b);
                }
            }
        }
        let mut counts: BTreeMap<u32, u32> = BTreeMap::new();
        let mut ratings = [0i64; 10];
        let mut armor = 0i64;
        for (i, o) in chosen {
            let it = self.items[*i];
            if let Some(s) = it.set_id
                && let Some((_, by_level)) = self.tables.get(&s)
            {
                *counts.entry(s).or_default() += if *by_level { it.item_level.unwrap_or(1).max(1) } else { 1 };
            }
            for (total, x) in ratings.iter_mut().zip(it.ratings) {
                *total += x;
            }
            if let Opt::Cover { parts, .. } = o {
                armor += it.armor_level * parts;
            }
        }
        let mut sets = 0;
        for (s, n) in counts {
            let (table, _) = &self.tables[&s];
            sets += table.iter().rev().find(|(c, _)| *c <= n).map_or(0, |(_, v)| *v);
        }
        let mut rsum = 0;
        for ((total, cap), weight) in ratings.iter().zip(self.caps).zip(self.weights) {
            let t = cap.map_or(*total, |c| (*total).min(c));
            rsum += weight * t;
        }
        self.spell_weight * spells + sets + rsum + self.armor_weight * armor
    }

    fn enumerate(&mut self, i: usize, used: u32, groups: &mut Vec<Vec<u32>>, chosen: &mut Vec<(usize, Opt)>) {
        if i == self.items.len() {
            let s = self.score(chosen);
            let mut ids: Vec<u32> = chosen.iter().map(|(i, _)| self.items[*i].object_id).collect();
            ids.sort_unstable();
            let e = self.found.entry(ids).or_insert(i64::MIN);
            *e = (*e).max(s);
            return;
        }
        if !self.locked[i] {
            self.enumerate(i + 1, used, groups, chosen);
        }
        for o in self.opts[i].clone() {
            match o {
                Opt::Cover { bits, .. } => {
                    if bits & used == 0 {
                        chosen.push((i, o));
                        self.enumerate(i + 1, used | bits, groups, chosen);
                        chosen.pop();
                    }
                }
                Opt::Slot { group, allowed } => {
                    groups[group].push(allowed);
                    if assignable(GROUPS[group].1, &groups[group]) {
                        chosen.push((i, o));
                        self.enumerate(i + 1, used, groups, chosen);
                        chosen.pop();
                    }
                    groups[group].pop();
                }
            }
        }
    }
}

fn assignable(slots: &[u32], members: &[u32]) -> bool {
    match members.len() {
        0 => true,
        1 => slots.iter().any(|s| members[0] & s != 0),
        2 if slots.len() == 2 => {
            (members[0] & slots[0] != 0 && members[1] & slots[1] != 0)
                || (members[0] & slots[1] != 0 && members[1] & slots[0] != 0)
        }
        _ => false,
    }
}

/// Top-k (score, sorted ids) per the contract, or None when no valid suit exists
/// (a locked item missing, ineligible or conflicting).
fn brute_force(req: &SuitRequest, all: &[Wearable]) -> Option<Vec<(i64, Vec<u32>)>> {
    let profile = req.profile.as_ref();
    let aetheria =
        profile.map_or([true; 3], |p| [p.aetheria_slots.blue, p.aetheria_slots.yellow, p.aetheria_slots.red]);
    let mut items = Vec::new();
    let mut opts = Vec::new();
    let mut locked = Vec::new();
    let mut sorted: Vec<&Wearable> = all.iter().collect();
    sorted.sort_by_key(|w| w.object_id);
    for it in sorted {
        let is_locked = req.locked.contains(&it.object_id);
        let mut o = Vec::new();
        let cov = it.coverage_mask & SUIT_COVERAGE;
        if cov != 0 {
            o.push(Opt::Cover { bits: cov, parts: i64::from(cov.count_ones()) });
            if req.allow_reduction && it.material.is_some() && cov != 0x13F00 {
                for (shape, targets) in REDUCE {
                    if shape == cov {
                        for t in targets {
                            o.push(Opt::Cover { bits: *t, parts: 1 });
                        }
                    }
                }
            }
        } else {
            for (g, (name, slots)) in GROUPS.iter().enumerate() {
                let enabled = match *name {
                    "blue" => aetheria[0],
                    "yellow" => aetheria[1],
                    "red" => aetheria[2],
                    _ => true,
                };
                let allowed = slots.iter().fold(0, |a, s| a | (it.equip_mask & s));
                if enabled && allowed != 0 {
                    o.push(Opt::Slot { group: g, allowed });
                }
            }
        }
        let mut eligible = !o.is_empty() && !req.excluded.contains(&it.object_id);
        if it.attuned && !it.owner.eq_ignore_ascii_case(&req.character) {
            eligible = false;
        }
        if let Some(p) = profile {
            for r in &it.wield_requirements {
                let have = match r.kind {
                    1 => p.skills.get(&r.skill).map(|s| s.current),
                    2 => p.skills.get(&r.skill).map(|s| s.base),
                    3 => p.attributes.get(&r.skill).map(|a| a.current),
                    4 => p.attributes.get(&r.skill).map(|a| a.base),
                    7 => p.level,
                    8 => p.skills.get(&r.skill).map(|s| i64::from(s.training)),
                    _ => None,
                };
                if have.is_some_and(|h| h < r.value) {
                    eligible = false;
                }
            }
        }
        if !is_locked && it.item_type & 2 != 0 {
            for (key, allowed) in &req.filters {
                let r = key.trim_start_matches("armor_").trim_end_matches("_tiers");
                if !allowed.contains(&it.ratings[rating_ix(r)]) {
                    eligible = false;
                }
            }
        }
        if !eligible {
            if is_locked {
                return None;
            }
            continue;
        }
        items.push(it);
        opts.push(o);
        locked.push(is_locked);
    }
    if req.locked.iter().any(|id| !items.iter().any(|w| w.object_id == *id)) {
        return None;
    }
    let mut tables = BTreeMap::new();
    for it in &items {
        if let Some(s) = it.set_id {
            let shipped = shipped_set_table(s);
            let by_level = shipped.as_ref().is_some_and(|t| t.count_by == CountBy::ItemLevel);
            let values = match req.sets.iter().find(|o| o.set_id == s) {
                Some(o) => {
                    let mut v: Vec<(u32, i64)> =
                        o.values.iter().map(|(k, v)| (k.parse::<u32>().expect("count"), *v)).collect();
                    v.sort_unstable();
                    v
                }
                None => match shipped {
                    Some(t) => t.values,
                    None => continue,
                },
            };
            tables.insert(s, (values, by_level));
        }
    }
    let mut weights = [0i64; 10];
    for r in [
        "damage",
        "damage_resist",
        "crit",
        "crit_resist",
        "crit_damage",
        "crit_damage_resist",
        "heal_boost",
        "vitality",
    ] {
        weights[rating_ix(r)] = 100;
    }
    for (r, w) in &req.weights.ratings {
        weights[rating_ix(r)] = *w;
    }
    let mut caps = [None; 10];
    for (r, c) in &req.caps {
        caps[rating_ix(r)] = Some(*c);
    }
    let mut b = Brute {
        req,
        items,
        opts,
        locked,
        tables,
        weights,
        caps,
        spell_weight: req.weights.spell.unwrap_or(1000),
        armor_weight: req.weights.armor.unwrap_or(1),
        found: BTreeMap::new(),
    };
    let mut groups = vec![Vec::new(); 8];
    b.enumerate(0, 0, &mut groups, &mut Vec::new());
    if b.found.is_empty() {
        return None;
    }
    let mut all: Vec<(i64, Vec<u32>)> = b.found.into_iter().map(|(ids, s)| (s, ids)).collect();
    all.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    all.truncate(req.top_k);
    Some(all)
}

fn check_case(seed: u64, threads: usize) {
    check(seed, threads, small_case(seed));
}

/// Jewelry-heavy cases for the node dominance and the direct enumeration of the last
/// slot group: many rings and bracelets (identical copies, ring-only and either-finger
/// masks, the two-piece ring set 9, spells from few families so they overlap), a few
/// armor pieces, top-k 1–3.
fn jewelry_case(seed: u64) -> (SuitRequest, Vec<Wearable>) {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use serde_json::json;
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xD0_0D);
    let fams = ["Strength", "Focus", "Acid Ward"];
    let tiers = ["Minor", "Major", "Epic", "Legendary"];
    let mut items = Vec::new();
    let n = rng.random_range(6..=11);
    let mut id = 100u32;
    for _ in 0..n {
        id += rng.random_range(1..=3);
        let kind = rng.random_range(0..10);
        let mut spells = Vec::new();
        for _ in 0..rng.random_range(0..=2) {
            spells.push(format!("{} {}", tiers[rng.random_range(0..4)], fams[rng.random_range(0..3)]));
        }
        let mut v = json!({"object_id": id, "owner": "Hero", "name": "x", "cantrips": spells,
            "ratings": {"damage": rng.random_range(0..=2), "crit_damage": rng.random_range(0..=1)}});
        let o = v.as_object_mut().expect("object");
        if kind < 5 {
            o.insert("equip_mask".into(), json!(if rng.random_bool(0.8) { 0xC0000 } else { 0x80000 }));
            if rng.random_bool(0.3) {
                o.insert("set_id".into(), json!(9));
            }
        } else if kind < 8 {
            o.insert("equip_mask".into(), json!(if rng.random_bool(0.8) { 0x30000 } else { 0x10000 }));
        } else if kind < 9 {
            o.insert("equip_mask".into(), json!(0x8000));
        } else {
            o.insert("coverage_mask".into(), json!([0x4000, 0x400, 0x3000][rng.random_range(0..3)]));
            o.insert("armor_level".into(), json!(rng.random_range(0..=3) * 10));
            o.insert("material".into(), json!({"id": 61}));
            o.insert("set_id".into(), json!(13));
        }
        items.push(v.clone());
        if rng.random_bool(0.3) {
            id += 1;
            let mut copy = v;
            if let Some(o) = copy.as_object_mut() {
                o.insert("object_id".into(), json!(id));
            }
            items.push(copy);
        }
    }
    let items: Vec<Wearable> = items.iter().filter_map(|v| Wearable::from_item_json(v).ok()).collect();
    let wanted: Vec<_> = fams.iter().filter(|_| rng.random_bool(0.7)).map(|f| json!({"family": f})).collect();
    let mut sets = Vec::new();
    if rng.random_bool(0.5) {
        sets.push(json!({"set_id": 9, "values": {"2": rng.random_range(0..=3) * 1000}}));
    }
    let req = json!({"character": "Hero", "items": [], "wanted_spells": wanted, "sets": sets,
        "top_k": rng.random_range(1..=3), "profile": {"level": 200, "aetheria_slots": []}});
    (serde_json::from_value(req).expect("request"), items)
}

#[test]
fn solver_matches_brute_force_on_jewelry_heavy_inventories() {
    for seed in 0..1_500 {
        check(seed, if seed % 2 == 0 { 1 } else { 2 }, jewelry_case(seed));
    }
}

fn check(seed: u64, threads: usize, case: (SuitRequest, Vec<Wearable>)) {
    let (mut req, items) = case;
    req.threads = Some(threads);
    let expected = brute_force(&req, &items);
    let problem = Problem::new(&req, items.clone(), None);
    match (expected, problem) {
        (None, Err(e)) => assert_eq!(e.http_status(), 422, "seed {seed}: {e}"),
        (None, Ok(_)) => panic!("seed {seed}: brute force finds no valid suit but the solver accepted the request"),
        (Some(_), Err(e)) => panic!("seed {seed}: solver refused a solvable request: {e}"),
        (Some(exp), Ok(p)) => {
            let out = solve(&p, &mut |_| {}, &AtomicBool::new(false)).expect("solve");
            assert!(out.optimal, "seed {seed}: not optimal");
            let got: Vec<(i64, Vec<u32>)> = out.suits.iter().map(|s| (s.score, s.object_ids())).collect();
            assert_eq!(
                got, exp,
                "seed {seed} threads {threads}: solver vs brute force\nrequest {req:#?}\nitems {items:#?}"
            );
            for s in &out.suits {
                assert_eq!(
                    s.score,
                    s.components.spells + s.components.sets + s.components.ratings + s.components.armor
                );
            }
        }
    }
}

#[test]
fn solver_matches_brute_force_on_random_small_inventories_single_thread() {
    for seed in 0..2_500 {
        check_case(seed, 1);
    }
}

#[test]
fn solver_matches_brute_force_on_random_small_inventories_with_threads() {
    for seed in 10_000..11_500 {
        check_case(seed, 3);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 400, ..Default::default() })]
    #[test]
    fn solver_matches_brute_force_for_any_seed(seed in 0u64..u64::MAX, threads in 1usize..4) {
        check_case(seed, threads);
    }
}
