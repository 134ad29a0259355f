//! The quirks of one plugin build and client machine (docs/protocol.md §1), rolled once per
//! simulated character so a socket stays consistent. Data only: `frames` renders with it.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

/// How a landcell is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandcellForm {
    /// Decal's signed `int`: eastern landblocks come out negative.
    Signed,
    /// `"0xA9B40019"`.
    Hex,
    /// The plain u32.
    Unsigned,
}

/// The quirks of one plugin build and client machine (docs/protocol.md §1).
#[derive(Debug, Clone, PartialEq)]
pub struct WireStyle {
    pub landcell: LandcellForm,
    /// Object ids as Decal's signed `int`.
    pub signed_ids: bool,
    /// Some object ids as `"0x…"` strings.
    pub hex_ids: bool,
    /// German-locale client: decimals in strings use a comma.
    pub comma_decimal: bool,
    /// `kills_per_hour`, `deaths`, `total_deaths`, `prismatic_taper_count` as strings.
    pub strings_for_numbers: bool,
    pub vitae_as_string: bool,
    /// Local time with this UTC offset in minutes instead of `Z`.
    pub utc_offset_min: Option<i32>,
    /// The client clock is off by this much.
    pub clock_skew_ms: i64,
    /// Fractional second digits: .NET's `"o"` gives 7.
    pub fraction_digits: u32,
    pub plugin_version: &'static str,
    /// An old build: `inventory_delta` type alias, `player_name` envelope key.
    pub old_build: bool,
}

impl WireStyle {
    /// A clean, canonical style (no quirks): what the server normalizes to.
    pub fn clean() -> WireStyle {
        WireStyle {
            landcell: LandcellForm::Unsigned,
            signed_ids: false,
            hex_ids: false,
            comma_decimal: false,
            strings_for_numbers: false,
            vitae_as_string: false,
            utc_offset_min: None,
            clock_skew_ms: 0,
            fraction_digits: 3,
            plugin_version: "4.2.0",
            old_build: false,
        }
    }

    /// A random plugin build and client, with quirks at realistic frequencies.
    pub fn roll(rng: &mut SmallRng, quirks: bool) -> WireStyle {
        if !quirks {
            return WireStyle::clean();
        }
        let r: f64 = rng.random();
        let landcell = match r {
            r if r < 0.45 => LandcellForm::Signed,
            r if r < 0.90 => LandcellForm::Hex,
            _ => LandcellForm::Unsigned,
        };
        let v: f64 = rng.random();
        let (plugin_version, old_build) = match v {
            v if v < 0.70 => ("4.2.0", false),
            v if v < 0.92 => ("4.1.3", false),
            _ => ("3.9.8", true),
        };
        WireStyle {
            landcell,
            signed_ids: rng.random_bool(0.85),
            hex_ids: rng.random_bool(0.05),
            comma_decimal: rng.random_bool(0.10),
            strings_for_numbers: true,
            vitae_as_string: rng.random_bool(0.2),
            utc_offset_min: rng.random_bool(0.25).then(|| *[60, 120, -300, -480, 600, 0].choose(rng).unwrap_or(&60)),
            clock_skew_ms: if rng.random_bool(0.3) { rng.random_range(-90_000..90_000) } else { 0 },
            fraction_digits: 7,
            plugin_version,
            old_build,
        }
    }
}
