//! Plugin-frame decoding: CPU per frame kind for the simulator's steady traffic, and what
//! decoding costs per character per second (the server decodes every frame it receives on
//! the socket's task, so this is a floor under the CPU of `scripts/footprint.sh`).
//!
//! `cargo bench --bench decode` (release). Environment: `OVERLORD_BENCH_CHARACTERS`
//! (default 40) simulated for `OVERLORD_BENCH_SECONDS` (default 1,800) each at 1 telemetry
//! frame/s, logins excluded (a full inventory is a one-off, not steady traffic).

use std::collections::BTreeMap;
use std::time::Instant;

use overlord::protocol::decode_plugin_frame;
use overlord::sim::{Character, CharacterConfig, Roster};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Default)]
struct Kind {
    frames: usize,
    bytes: usize,
    nanos: u128,
}

fn main() {
    overlord::memory::tune_allocator();
    let characters = env_num("OVERLORD_BENCH_CHARACTERS", 40);
    let seconds = env_num("OVERLORD_BENCH_SECONDS", 1_800);
    let cfg = CharacterConfig { telemetry_rate: 1.0, ..CharacterConfig::default() };
    let roster = Roster::generate(cfg.seed, characters);
    let mut frames = Vec::new();
    for e in &roster.entries {
        let mut c = Character::new(e, ("Moss Lords", "Bigmoss", None, Vec::new()), &cfg);
        let mut out = Vec::new();
        c.login(&mut out, true);
        out.clear();
        for _ in 0..seconds {
            c.advance(1.0, &mut out);
        }
        frames.extend(out.into_iter().filter_map(|f| f.into_text().ok()));
    }

    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    // Three passes; the first warms the allocator and caches and is not counted.
    for pass in 0..3 {
        for text in &frames {
            let started = Instant::now();
            let frame = decode_plugin_frame(text);
            let nanos = started.elapsed().as_nanos();
            let kind = match &frame {
                Ok(f) => f.body.kind().to_string(),
                Err(e) => format!("error: {e}"),
            };
            std::hint::black_box(frame.ok());
            if pass > 0 {
                let k = kinds.entry(kind).or_default();
                k.frames += 1;
                k.bytes += text.len();
                k.nanos += nanos;
            }
        }
    }

    let character_seconds = (characters * seconds * 2) as f64;
    let total_nanos: u128 = kinds.values().map(|k| k.nanos).sum();
    println!("{characters} characters × {seconds} s of simulated play, {} frames, decoded twice\n", frames.len());
    println!("| kind | frames per character-minute | mean bytes | µs per frame | share of decode time |");
    println!("|---|---:|---:|---:|---:|");
    for (name, k) in &kinds {
        println!(
            "| {name} | {:.2} | {} | {:.2} | {:.1} % |",
            k.frames as f64 / character_seconds * 60.0,
            k.bytes / k.frames.max(1),
            k.nanos as f64 / k.frames.max(1) as f64 / 1_000.0,
            k.nanos as f64 * 100.0 / total_nanos.max(1) as f64,
        );
    }
    let per_character_second = total_nanos as f64 / character_seconds;
    println!("\ndecode time per character-second: {:.1} µs", per_character_second / 1_000.0);
    println!("at 600 characters: {:.2} % of one core", per_character_second * 600.0 / 1e9 * 100.0);
}
