//! The simulated Dereth: map-coordinate maths (docs/protocol.md §2.1), the towns table of
//! docs/protocol.md §6, dungeons with generated cell layouts, terrain height and the monsters,
//! portals and rares a character can meet.
//!
//! Owns pure geography and static game-world tables. Never does I/O and never holds a
//! random-number generator: callers pass their own, so generation stays deterministic.

use std::sync::OnceLock;

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// A landblock is 192 m on a side (docs/protocol.md §2.1).
pub const LANDBLOCK_M: f64 = 192.0;
/// An outdoor land cell is 24 m on a side: an 8×8 grid per landblock.
pub const CELL_M: f64 = 24.0;
/// One map unit (as shown by the radar) is 240 m.
pub const MAP_UNIT_M: f64 = 240.0;
/// `EW = GX/240 − 101.95`: the radar's offset.
pub const MAP_OFFSET: f64 = 101.95;
/// Landblocks 0x00–0xFE are real land; column and row 0xFF are unused ocean.
pub const MAX_LANDBLOCK_INDEX: u32 = 0xFE;
/// First EnvCell (interior) cell number; 0x0001–0x0040 are outdoor cells.
pub const FIRST_ENV_CELL: u16 = 0x0100;
/// Cap on the cells generated for one dungeon map: keeps a `dungeon_map` frame well under
/// the 4 MiB frame limit (≈150 bytes per cell).
pub const MAX_DUNGEON_CELLS: usize = 600;

/// Map coordinates as the radar shows them: positive is east / north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapCoords {
    pub ew: f64,
    pub ns: f64,
}

/// An outdoor position: landcell plus metres inside the landblock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LandPos {
    pub landcell: u32,
    pub x: f64,
    pub y: f64,
}

/// The radar coordinates of a point given as landcell plus local metres. Works for any
/// cell: for a dungeon cell the answer points into the sea, as on the real client.
pub fn map_coords(landcell: u32, x: f64, y: f64) -> MapCoords {
    let (gx, gy) = global_metres(landcell, x, y);
    map_from_global(gx, gy)
}

/// Global metres `GX = XX*192 + x`, `GY = YY*192 + y`.
pub fn global_metres(landcell: u32, x: f64, y: f64) -> (f64, f64) {
    let xx = f64::from(landcell >> 24);
    let yy = f64::from((landcell >> 16) & 0xFF);
    (xx * LANDBLOCK_M + x, yy * LANDBLOCK_M + y)
}

/// `EW = GX/240 − 101.95`, `NS = GY/240 − 101.95`.
pub fn map_from_global(gx: f64, gy: f64) -> MapCoords {
    MapCoords { ew: gx / MAP_UNIT_M - MAP_OFFSET, ns: gy / MAP_UNIT_M - MAP_OFFSET }
}

/// The inverse: `GX = (EW + 101.95) * 240`.
pub fn global_from_map(c: MapCoords) -> (f64, f64) {
    ((c.ew + MAP_OFFSET) * MAP_UNIT_M, (c.ns + MAP_OFFSET) * MAP_UNIT_M)
}

/// The outdoor landcell and local metres at global metres `(gx, gy)`, or `None` off the
/// land (outside landblocks 0x00–0xFE). Cell = `floor(x/24)*8 + floor(y/24) + 1`.
pub fn land_pos_at_global(gx: f64, gy: f64) -> Option<LandPos> {
    let max = f64::from(MAX_LANDBLOCK_INDEX + 1) * LANDBLOCK_M;
    if !(0.0..max).contains(&gx) || !(0.0..max).contains(&gy) {
        return None;
    }
    let xx = (gx / LANDBLOCK_M).floor();
    let yy = (gy / LANDBLOCK_M).floor();
    let x = gx - xx * LANDBLOCK_M;
    let y = gy - yy * LANDBLOCK_M;
    // x, y are in [0,192) so each cell index is 0..=7.
    let cell = (x / CELL_M).floor() as u32 * 8 + (y / CELL_M).floor() as u32 + 1;
    Some(LandPos { landcell: ((xx as u32) << 24) | ((yy as u32) << 16) | cell, x, y })
}

/// The outdoor landcell and local metres at radar coordinates `c`.
#[cfg(test)]
pub fn land_pos_at(c: MapCoords) -> Option<LandPos> {
    let (gx, gy) = global_from_map(c);
    land_pos_at_global(gx, gy)
}

/// Whether the low 16 bits name an outdoor land cell (0x0001–0x0040).
#[cfg(test)]
pub fn is_outdoor_cell(landcell: u32) -> bool {
    matches!(landcell & 0xFFFF, 0x0001..=0x0040)
}

/// A plausible ground altitude in metres for a global position. Not world data: a smooth
/// function so altitude changes gently while a character walks.
pub fn terrain_z(gx: f64, gy: f64) -> f64 {
    let hills = 40.0 * (gx / 900.0).sin() * (gy / 1300.0).cos();
    let ridges = 15.0 * (gx / 210.0 + gy / 330.0).sin();
    (60.0 + hills + ridges).max(0.0)
}

/// Compass bearing in [0,360) of a displacement (0 = north, 90 = east).
pub fn bearing_deg(d_east: f64, d_north: f64) -> f64 {
    let deg = d_east.atan2(d_north).to_degrees();
    normalize_heading(deg)
}

/// Wraps any angle into [0,360).
pub fn normalize_heading(deg: f64) -> f64 {
    let h = deg.rem_euclid(360.0);
    // rem_euclid can return exactly 360.0 for tiny negative inputs after rounding.
    if h >= 360.0 { 0.0 } else { h }
}

/// One town of docs/protocol.md §6.
#[derive(Debug, Clone, Copy)]
pub struct Town {
    #[cfg_attr(not(test), expect(dead_code, reason = "names the town in this table and in test failures"))]
    pub name: &'static str,
    /// Radar coordinates, positive east.
    pub ew: f64,
    /// Radar coordinates, positive north.
    pub ns: f64,
    pub landcell: u32,
}

impl Town {
    pub fn coords(&self) -> MapCoords {
        MapCoords { ew: self.ew, ns: self.ns }
    }
}

/// docs/protocol.md §6, verbatim (S and W negative).
pub const TOWNS: &[Town] = &[
    town("Holtburg", 33.6, 42.1, 0xA9B40019),
    town("Shoushi", 72.8, -33.5, 0xDA55001D),
    town("Yaraq", -1.8, -21.5, 0x7D64000D),
    town("Sanamar", -60.9, 72.1, 0x33D90015),
    town("Cragstone", 49.2, 25.6, 0xBC9F003C),
    town("Hebian-To", 82.6, -38.9, 0xE64E002F),
    town("Zaikhal", 0.7, 13.5, 0x80900013),
    town("Arwic", 56.8, 33.6, 0xC6A9001C),
    town("Rithwic", 59.3, 10.8, 0xC98C0028),
    town("Eastham", 63.4, 17.5, 0xCE95002B),
    town("Glenden Wood", 26.5, 29.7, 0xA0A40025),
    town("Lytelthorpe", 51.7, 1.1, 0xC0800007),
    town("Samsur", 19.0, -3.2, 0x977B000C),
    town("Al-Arqas", 13.2, -31.3, 0x8F58003B),
    town("Qalaba'r", 19.6, -74.6, 0x9722003A),
    town("Uziz", 28.4, -24.8, 0xA260003C),
    town("Nanto", 82.5, -52.2, 0xE63E0022),
    town("Mayoi", 82.5, -61.9, 0xE6320021),
    town("Sawato", 59.3, -28.7, 0xC95B0025),
    town("Baishi", 62.9, -49.3, 0xCE410007),
    town("Stonehold", -21.8, 68.7, 0x64D5000B),
    town("Plateau Village", -43.1, 44.5, 0x49B70021),
    town("Fort Tethana", -71.7, 1.6, 0x25810034),
    town("Kara", 47.6, -83.5, 0xBA170039),
    town("Ayan Baqur", -88.0, -60.0, 0x1134001C),
];

const fn town(name: &'static str, ew: f64, ns: f64, landcell: u32) -> Town {
    Town { name, ew, ns, landcell }
}

/// A dungeon: a landblock made only of EnvCells.
#[derive(Debug, Clone, Copy)]
pub struct Dungeon {
    pub name: &'static str,
    /// The landblock (high 16 bits of its landcells).
    pub landblock: u16,
    /// Number of EnvCells, numbered from 0x0100.
    pub cell_count: u16,
}

/// Halls of Metos (0x02F3, about 480 cells) is from docs/protocol.md §2.1. The other landblock
/// numbers are illustrative, not checked against world data; they sit in the low, unused
/// landblock range where real dungeons live, so the formula points into the sea as usual.
pub const DUNGEONS: &[Dungeon] = &[
    dungeon("Halls of Metos", 0x02F3, 482),
    dungeon("Mosswart Maze", 0x01D9, 96),
    dungeon("Banderling Conquest Dungeon", 0x0174, 140),
    dungeon("Sand Shallow", 0x0290, 64),
    dungeon("Lugian Excavations", 0x0312, 220),
    dungeon("Crystal Lair", 0x01AC, 48),
    dungeon("Bellig Tower", 0x0248, 180),
    dungeon("Catacombs of the Forgotten", 0x0365, 310),
];

const fn dungeon(name: &'static str, landblock: u16, cell_count: u16) -> Dungeon {
    Dungeon { name, landblock, cell_count }
}

/// One EnvCell of a generated dungeon layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DungeonCell {
    /// Cell number, ≥ 0x0100.
    pub cell: u16,
    /// Origin in landblock metres.
    pub x: f64,
    pub y: f64,
    pub z: f64,
    /// Heading of the cell in degrees (0, 90, 180 or 270).
    pub rot: u16,
}

/// Grid extent of generated dungeons in cells of 10 m: about -40..280 m east and
/// -300..20 m north of the landblock origin, the scale of docs/protocol.md §3.14's example.
const DUNGEON_GRID_X: std::ops::RangeInclusive<i32> = -4..=27;
const DUNGEON_GRID_Y: std::ops::RangeInclusive<i32> = -30..=1;

/// Side of one generated cell's square floor, in metres.
pub const DUNGEON_CELL_SIDE_M: f64 = 10.0;

/// The generated cell layout of `DUNGEONS[index]`: a seeded random walk of 10 m squares
/// on three floors. Geometry is not world data; it only has to be stable per landblock
/// (the server caches it per landblock) and look like corridors and rooms.
pub fn dungeon_cells(index: usize) -> &'static [DungeonCell] {
    static LAYOUTS: OnceLock<Vec<Vec<DungeonCell>>> = OnceLock::new();
    let layouts = LAYOUTS.get_or_init(|| DUNGEONS.iter().map(generate_layout).collect());
    layouts.get(index).map(Vec::as_slice).unwrap_or(&[])
}

fn generate_layout(d: &Dungeon) -> Vec<DungeonCell> {
    let mut rng = SmallRng::seed_from_u64(u64::from(d.landblock) * 0x9E37_79B9);
    let count = usize::from(d.cell_count).min(MAX_DUNGEON_CELLS);
    let mut cells = Vec::with_capacity(count);
    let mut seen = std::collections::HashSet::with_capacity(count);
    let (mut gx, mut gy, mut level) = (0i32, 0i32, 0i32);
    let mut heading = 0u16;
    let mut stuck = 0;
    while cells.len() < count {
        if seen.insert((gx, gy, level)) {
            stuck = 0;
            let n = u16::try_from(cells.len()).unwrap_or(u16::MAX - FIRST_ENV_CELL);
            cells.push(DungeonCell {
                cell: FIRST_ENV_CELL + n,
                x: f64::from(gx) * DUNGEON_CELL_SIDE_M,
                y: f64::from(gy) * DUNGEON_CELL_SIDE_M,
                z: -48.0 - 6.0 * f64::from(level),
                rot: heading,
            });
        } else {
            stuck += 1;
            if stuck > 8 {
                // Jump back to a random existing cell so the walk branches into rooms.
                let pick = cells[rng.random_range(0..cells.len())];
                gx = (pick.x / DUNGEON_CELL_SIDE_M) as i32;
                gy = (pick.y / DUNGEON_CELL_SIDE_M) as i32;
                level = ((-48.0 - pick.z) / 6.0) as i32;
                stuck = 0;
            }
        }
        // Mostly keep going straight: corridors; sometimes turn or take stairs.
        if rng.random_bool(0.3) {
            heading = [0u16, 90, 180, 270][rng.random_range(0..4)];
        }
        let (nx, ny) = match heading {
            0 => (gx, gy + 1),
            90 => (gx + 1, gy),
            180 => (gx, gy - 1),
            _ => (gx - 1, gy),
        };
        // Stay inside the dungeon's box (grid units of 10 m), like the §3.14 example
        // bounds; bumping a wall turns the walk around.
        if DUNGEON_GRID_X.contains(&nx) && DUNGEON_GRID_Y.contains(&ny) {
            (gx, gy) = (nx, ny);
        } else {
            heading = (heading + 180) % 360;
        }
        if rng.random_bool(0.03) {
            level = (level + if rng.random_bool(0.5) { 1 } else { -1 }).clamp(0, 2);
        }
    }
    cells
}

/// Monster names by level band: (minimum character level, names).
const MONSTERS_OUTDOOR: &[(u16, &[&str])] = &[
    (
        0,
        &[
            "Mosswart Mumbler",
            "Drudge Skulker",
            "Banderling Scout",
            "Gromnie",
            "Monouga",
            "Reedshark",
            "Mite Scion",
            "Sclavus Acolyte",
        ],
    ),
    (
        100,
        &[
            "Lugian Sentry",
            "Tusker Slave",
            "Shadow Sprite",
            "Olthoi Soldier",
            "Tumerok Warrior",
            "Golem of Obsidian",
            "Mattekar",
            "Grievver",
        ],
    ),
    (
        180,
        &[
            "Olthoi Ripper",
            "Tumerok Gladiator",
            "Virindi Lord",
            "Lugian Juggernaut",
            "Mu-miyah Sentinel",
            "Gurog Henchman",
            "Ravenous Olthoi",
            "Shadow Wraith",
        ],
    ),
    (
        240,
        &[
            "Gurog Soldier",
            "Deru Tree",
            "Mukkir Guard",
            "Olthoi Ravager",
            "Revenant",
            "Falatacot Blood Priest",
            "Ruschk Draktehn",
            "Empyrean Ghost",
        ],
    ),
];

const MONSTERS_DUNGEON: &[&str] = &[
    "Skeleton Lord",
    "Zombie Sorcerer",
    "Shadow Lord",
    "Banished Knight",
    "Crystal Golem",
    "Tumerok Gladiator",
    "Olthoi Ravager",
    "Lich Lord",
    "Bone Knight",
    "Virindi Inquisitor",
];

/// The monsters a character of `level` meets outdoors, or in a dungeon.
pub fn monsters_for(level: u16, in_dungeon: bool) -> &'static [&'static str] {
    if in_dungeon {
        return MONSTERS_DUNGEON;
    }
    MONSTERS_OUTDOOR
        .iter()
        .rev()
        .find(|(min, _)| level >= *min)
        .map(|(_, names)| *names)
        .unwrap_or(MONSTERS_OUTDOOR[0].1)
}

/// Portal names a character may come across outdoors.
pub const PORTAL_NAMES: &[&str] = &[
    "Portal to Halls of Metos",
    "Aerlinthe Portal",
    "Portal to Mosswart Maze",
    "Frozen Valley Portal",
    "Direlands Portal",
    "Marae Lassel Portal",
    "Portal to Bellig Tower",
    "Gaerlan's Citadel Portal",
    "Singularity Caul Portal",
    "Moarsman Temple Portal",
    "Linvak Tukal Portal",
    "Tie Portal",
];

/// A rare item a character can discover: name, wcid (only where known), tier.
#[derive(Debug, Clone, Copy)]
pub struct RareItem {
    pub name: &'static str,
    pub wcid: Option<u32>,
    pub tier: u8,
}

/// Rare names from the game. Only Alchemist's Crystal's wcid (30183) is from docs/protocol.md;
/// the others carry no wcid, which the protocol allows.
pub const RARES: &[RareItem] = &[
    rare("Alchemist's Crystal", Some(30183), 1),
    rare("Scholar's Crystal", None, 1),
    rare("Smithy's Crystal", None, 1),
    rare("Hunter's Crystal", None, 1),
    rare("Observer's Crystal", None, 1),
    rare("Thorsten's Crystal", None, 1),
    rare("Elysa's Crystal", None, 1),
    rare("Enchanter's Crystal", None, 1),
    rare("Physician's Crystal", None, 1),
    rare("Artificer's Crystal", None, 1),
    rare("Tinker's Crystal", None, 1),
    rare("Imbuer's Crystal", None, 1),
    rare("Pearl of Blood Drinking", None, 1),
    rare("Pearl of Heart Seeking", None, 1),
    rare("Pearl of Swift Killing", None, 1),
    rare("Medicated Health Kit", None, 2),
    rare("Casino Exquisite Keyring", None, 2),
    rare("Star of Tukal", None, 3),
    rare("Breastplate of Leikotha", None, 4),
    rare("Ridgeback Dagger", None, 4),
    rare("Staff of All Aspects", None, 5),
    rare("Dragonspine Bow", None, 5),
    rare("Guardian of Pwyll", None, 6),
];

const fn rare(name: &'static str, wcid: Option<u32>, tier: u8) -> RareItem {
    RareItem { name, wcid, tier }
}

/// Picks a rare with tier-weighted odds (tier 1 dominates, as in ACE).
pub fn pick_rare(rng: &mut impl Rng) -> RareItem {
    let roll: f64 = rng.random();
    let tier = match roll {
        r if r < 0.90 => 1,
        r if r < 0.97 => 2,
        r if r < 0.99 => 3,
        _ => 4 + rng.random_range(0..3u8),
    };
    let of_tier: Vec<&RareItem> = RARES.iter().filter(|r| r.tier == tier).collect();
    match of_tier.as_slice() {
        [] => RARES[0],
        list => *list[rng.random_range(0..list.len())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn yaraq_check_from_protocol_maps_to_21_5s_1_8w() {
        let c = map_coords(0x7D64_000D, 31.90, 105.93);
        assert_eq!(crate::protocol::format_coords(c.ew, c.ns), "21.5S, 1.8W");
        let back = land_pos_at(c).expect("on land");
        assert_eq!(back.landcell, 0x7D64_000D);
        assert!(close(back.x, 31.90, 1e-6) && close(back.y, 105.93, 1e-6));
    }

    #[test]
    fn qalabar_check_from_protocol_maps_to_74_6s_19_6e() {
        let c = map_coords(0x9722_003A, 168.35, 24.62);
        assert_eq!(crate::protocol::format_coords(c.ew, c.ns), "74.6S, 19.6E");
        let back = land_pos_at(c).expect("on land");
        assert_eq!(back.landcell, 0x9722_003A);
        assert!(close(back.x, 168.35, 1e-6) && close(back.y, 24.62, 1e-6));
    }

    #[test]
    fn holtburg_lifestone_check_maps_to_42_1n_33_6e() {
        let c = map_coords(0xA9B4_0019, 81.33, 11.80);
        assert_eq!(crate::protocol::format_coords(c.ew, c.ns), "42.1N, 33.6E");
        assert!(close(c.ew, 33.589, 0.001) && close(c.ns, 42.099, 0.001));
        let back = land_pos_at(c).expect("on land");
        assert_eq!(back.landcell, 0xA9B4_0019);
    }

    #[test]
    fn every_town_landcell_agrees_with_its_coordinates() {
        for t in TOWNS {
            // Centre of the listed cell; the table's coordinates are rounded to 0.1 unit
            // (one cell), so centre and table may differ by a cell diagonal at most.
            let cell = t.landcell & 0xFFFF;
            assert!(is_outdoor_cell(t.landcell), "{}", t.name);
            let cx = f64::from((cell - 1) / 8) * CELL_M + CELL_M / 2.0;
            let cy = f64::from((cell - 1) % 8) * CELL_M + CELL_M / 2.0;
            let c = map_coords(t.landcell, cx, cy);
            assert!(
                close(c.ew, t.ew, 0.11) && close(c.ns, t.ns, 0.11),
                "{}: table {:.1},{:.1} vs cell centre {:.2},{:.2}",
                t.name,
                t.ew,
                t.ns,
                c.ew,
                c.ns
            );
        }
    }

    #[test]
    fn positions_off_the_land_have_no_landcell() {
        assert!(land_pos_at(MapCoords { ew: -102.0, ns: 0.0 }).is_none());
        assert!(land_pos_at(MapCoords { ew: 0.0, ns: 102.5 }).is_none());
        let edge = land_pos_at(MapCoords { ew: -101.95, ns: -101.95 }).expect("south-west corner is land");
        assert_eq!(edge.landcell, 0x0000_0001);
    }

    #[test]
    fn bearings_are_compass_degrees_in_range() {
        assert!(close(bearing_deg(0.0, 1.0), 0.0, 1e-9));
        assert!(close(bearing_deg(1.0, 0.0), 90.0, 1e-9));
        assert!(close(bearing_deg(0.0, -1.0), 180.0, 1e-9));
        assert!(close(bearing_deg(-1.0, 0.0), 270.0, 1e-9));
        for d in [-720.0, -1e-15, 359.999_999_999_999_9, 360.0, 725.5] {
            let h = normalize_heading(d);
            assert!((0.0..360.0).contains(&h), "{d} -> {h}");
        }
    }

    #[test]
    fn dungeon_layouts_are_indoor_cells_and_stable() {
        for (i, d) in DUNGEONS.iter().enumerate() {
            let cells = dungeon_cells(i);
            assert_eq!(cells.len(), usize::from(d.cell_count).min(MAX_DUNGEON_CELLS));
            assert!(cells.iter().all(|c| c.cell >= FIRST_ENV_CELL));
            assert_eq!(generate_layout(d), cells.to_vec());
        }
        assert_eq!(DUNGEONS[0].landblock, 0x02F3);
    }
}
