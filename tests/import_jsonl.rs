//! `overlord import jsonl`: the same import from `row_to_json` dumps of a real PostgreSQL
//! 15 (psql's COPY output), idempotent, and matching what `import seed` stores.

mod common;
mod import_support;

use import_support::{Postgres, load_old_stack};
use serde_json::{Value, json};
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

fn write_lines(path: &Path, rows: &[Value]) {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).expect("write jsonl");
}

/// Polls item search until `pred` holds (the index refreshes about once a second).
async fn search_until(server: &common::TestServer, q: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let t0 = std::time::Instant::now();
    loop {
        let (s, v) = server.get(&format!("/api/items/search?{q}")).await;
        assert_eq!(s, 200, "{v}");
        if pred(&v) {
            return v;
        }
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "search {q} never matched: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_merge_per_character_in_any_order_and_a_later_live_dump_supersedes_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let file = tmp.path().join("items.jsonl");
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let item = |owner: &str, id: i64, name: &str| {
        json!({"character_name": owner, "item_id": id, "name": name, "object_class": 2, "value": 100,
               "burden": 10, "timestamp": at})
    };
    // One character's rows are not contiguous: Alpha, Bravo, Alpha, Bravo, Alpha.
    write_lines(
        &file,
        &[
            item("Alpha One", 1001, "Koujia Sleeves"),
            item("Bravo Two", 2001, "Gold Ring"),
            item("Alpha One", 1002, "Battle Axe"),
            item("bravo two", 2002, "Silver Ring"),
            item("Alpha One", 1003, "Coral Amulet"),
        ],
    );
    let (ok, out, err) = jsonl(&data, "items", &[&file]);
    assert!(ok, "{err}\n{out}");

    let mut server = common::TestServer::start_in(&data, common::settings_for(&data)).await;
    for q in ["q=Koujia", "q=Battle%20Axe", "q=Coral%20Amulet"] {
        search_until(&server, q, |v| v["total"] == json!(1)).await;
    }
    search_until(&server, "q=Ring", |v| v["total"] == json!(2)).await;
    let (_, inv) = server.get("/api/characters/Alpha%20One/inventory").await;
    assert_eq!(inv["items"].as_array().map(Vec::len), Some(3), "every Alpha row kept: {inv}");

    // Alpha's plugin, connected after the import, sends its live inventory.
    let mut p = common::plugin(&server).await;
    let helm = json!({"object_id": 1009, "name": "Shadow Helm", "object_class": {"id": 2, "name": "Armor"},
                      "has_id_data": true});
    common::send(
        &mut p,
        &json!({"type": "inventory", "character_name": "Alpha One", "mode": "full", "complete": true,
                "item_count": 1, "items": [helm]}),
    )
    .await;
    search_until(&server, "q=Shadow%20Helm", |v| v["total"] == json!(1)).await;
    for q in ["q=Koujia", "q=Battle%20Axe", "q=Coral%20Amulet"] {
        search_until(&server, q, |v| v["total"] == json!(0)).await;
    }
    search_until(&server, "q=Ring", |v| v["total"] == json!(2)).await;
    drop(p);
    server.stop().await;

    // Importing the old rows again does not bring the old inventory back.
    let (ok, out, err) = jsonl(&data, "items", &[&file]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("Alpha One"), "the report names the character whose live inventory is newer: {out}");
    let mut server = common::TestServer::start_in(&data, common::settings_for(&data)).await;
    search_until(&server, "q=Koujia", |v| v["total"] == json!(0)).await;
    search_until(&server, "q=Shadow%20Helm", |v| v["total"] == json!(1)).await;
    server.stop().await;
}

#[test]
fn an_existing_user_is_left_alone_and_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let kept = bcrypt::hash("the overlord password", 4).expect("bcrypt");
    {
        let db = overlord::server::open_state_db(&data).expect("state");
        overlord::auth::store::ensure_tables(&db).expect("tables");
        overlord::auth::cli::user_import_hash(&db, "oldboss", overlord::auth::Role::Member, &kept).expect("user");
    }
    let old = bcrypt::hash("the old stack password", 4).expect("bcrypt");
    let file = tmp.path().join("users.jsonl");
    write_lines(
        &file,
        &[
            json!({"id": 1, "username": "oldboss", "password_hash": old, "is_admin": true}),
            json!({"id": 2, "username": "newcomer", "password_hash": old, "is_admin": false}),
        ],
    );
    let (ok, out, err) = jsonl(&data, "users", &[&file]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("already existed") && out.contains("oldboss"), "the existing user is reported: {out}");
    let db = overlord::server::open_state_db(&data).expect("state");
    let boss = overlord::auth::store::get_user(&db, "oldboss").expect("read").expect("still there");
    assert_eq!(boss.password_hash, kept, "the existing user's hash is unchanged");
    assert_eq!(boss.role, overlord::auth::Role::Member, "the existing user's role is unchanged");
    let newcomer = overlord::auth::store::get_user(&db, "newcomer").expect("read").expect("imported");
    assert_eq!(newcomer.password_hash, old);
}

/// `overlord simulate-items` (how footprint runs get a large item store) writes lines the
/// importer takes whole: every item stored and searchable, no line skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_item_lines_import_whole() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let file = tmp.path().join("items.jsonl");
    let out = Command::new(BIN).args(["simulate-items", "--count", "1500", "--seed", "3"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = out.stdout.iter().filter(|b| **b == b'\n').count();
    assert!(lines >= 1500, "at least the asked count: {lines}");
    std::fs::write(&file, &out.stdout).expect("write");

    let (ok, report, err) = jsonl(&data, "items", &[&file]);
    assert!(ok, "{err}\n{report}");
    assert!(report.contains(&format!("{lines} items stored, 0 rejected")), "{report}");
    let server = common::TestServer::start_in(&data, common::settings_for(&data)).await;
    search_until(&server, "limit=1", |v| v["total"] == json!(lines)).await;
}
