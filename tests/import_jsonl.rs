//! `overlord import jsonl`: the same import from `row_to_json` dumps of a real PostgreSQL
//! 15 (psql's COPY output), idempotent, and matching what `import seed` stores.

mod import_support;

use import_support::{Postgres, load_old_stack};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_overlord");

fn jsonl(data: &Path, table: &str, files: &[&Path]) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["import", "--quiet", "--data-dir", &data.display().to_string(), "jsonl", "--table", table]);
    cmd.args(files.iter().map(|f| f.display().to_string()));
    cmd.env("OVERLORD_RETENTION_DAYS", "180");
    let out = cmd.output().expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn events(data: &Path) -> (u64, u64, usize) {
    let r = overlord::backup::restore_check(data).expect("restore-check");
    (r.telemetry_events, r.other_events, r.archived_days)
}

#[test]
fn jsonl_dumps_import_like_the_database_and_only_once() {
    let pg = Postgres::start();
    let hash = bcrypt::hash("pw for jsonl", 4).expect("bcrypt");
    load_old_stack(&pg, 200, &hash, &hash);
    let tmp = tempfile::tempdir().expect("tempdir");
    let tel = tmp.path().join("telemetry.jsonl");
    let rares = tmp.path().join("rares.jsonl");
    pg.dump_jsonl("dereth", "telemetry_events", &tel);
    pg.dump_jsonl("dereth", "rare_events", &rares);
    // A damaged line in the middle of a dump is counted and skipped.
    let mut text = std::fs::read_to_string(&tel).expect("read");
    text.insert_str(text.find('\n').expect("lines") + 1, "{not json\n");
    std::fs::write(&tel, text).expect("write");

    let data = tmp.path().join("data");
    let (ok, out, err) = jsonl(&data, "telemetry_events", &[&tel]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("not a JSON object"), "{out}");
    assert!(out.contains("mem_mb"), "unused columns are reported: {out}");
    let (ok, rare_out, err) = jsonl(&data, "rare_events", &[&rares]);
    assert!(ok, "{err}\n{rare_out}");
    let first = events(&data);
    assert!(first.0 >= 3 * 3 * 200, "three days within retention of three characters: {first:?}");
    assert_eq!(first.1, 1, "one rare within retention (the duplicate dropped): {rare_out}");

    let (ok, out, _) = jsonl(&data, "telemetry_events", &[&tel]);
    assert!(ok && out.contains("0 day files written"), "{out}");
    assert_eq!(events(&data), first, "importing the same dump twice adds nothing");

    // The same rows through `import seed` store the same events.
    let seeded = tmp.path().join("seeded");
    let out = Command::new(BIN)
        .args([
            "import",
            "--quiet",
            "--data-dir",
            &seeded.display().to_string(),
            "seed",
            "--telemetry-db",
            &pg.url("dereth"),
        ])
        .env("OVERLORD_RETENTION_DAYS", "180")
        .output()
        .expect("seed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = events(&seeded);
    assert_eq!(s.0, first.0, "telemetry: seed and jsonl agree");
}
