//! A real PostgreSQL 15 for the import tests: Debian's server binaries, run as the
//! `postgres` user (the server refuses root) in a temporary directory, on a free loopback
//! port with its Unix socket in the same directory; stopped and deleted on drop. Plus the
//! reconstruction of the old stack's schema with awkward rows (docs/migration.md).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct Postgres {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

fn as_postgres(cmd: &str) -> std::process::Output {
    let out = Command::new("runuser").args(["-u", "postgres", "--", "sh", "-c", cmd]).output().expect("runuser");
    assert!(
        out.status.success(),
        "{cmd} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Postgres {
    pub fn start() -> Postgres {
        assert!(
            Path::new(&format!("{PG_BIN}/initdb")).exists(),
            "PostgreSQL 15 server binaries are needed in {PG_BIN} (apt-get install postgresql-15)"
        );
        let dir = tempfile::Builder::new().prefix("overlord-pg-").tempdir_in("/tmp").expect("tempdir");
        let chown = Command::new("chown").args(["-R", "postgres", &dir.path().display().to_string()]).status();
        assert!(chown.expect("chown").success());
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let d = dir.path().display();
        as_postgres(&format!("{PG_BIN}/initdb -D {d}/data -U postgres --auth=trust -E UTF8 --no-sync >/dev/null"));
        as_postgres(&format!(
            "{PG_BIN}/pg_ctl -D {d}/data -l {d}/log -w -o \"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c timezone=Europe/Berlin\" start >/dev/null"
        ));
        Postgres { dir, port }
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Runs SQL with psql over the Unix socket.
    pub fn psql(&self, db: &str, sql: &str) {
        let file = self.dir.path().join("run.sql");
        std::fs::write(&file, sql).expect("write sql");
        let _ = Command::new("chown").args(["postgres", &file.display().to_string()]).status();
        as_postgres(&format!(
            "{PG_BIN}/psql -q -v ON_ERROR_STOP=1 -h {} -p {} -U postgres -d {db} -f {} >/dev/null",
            self.dir.path().display(),
            self.port,
            file.display()
        ));
    }

    /// `COPY (SELECT row_to_json(t) FROM table t) TO STDOUT` into a file.
    pub fn dump_jsonl(&self, db: &str, table: &str, dest: &Path) {
        let out = as_postgres(&format!(
            "{PG_BIN}/psql -q -At -h {} -p {} -U postgres -d {db} -c \"COPY (SELECT row_to_json(t) FROM {table} t) TO STDOUT\"",
            self.dir.path().display(),
            self.port
        ));
        std::fs::write(dest, out.stdout).expect("write jsonl");
    }

    /// A TCP URL.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A Unix-socket `postgres://` URL (the socket directory percent-encoded as the host).
    pub fn socket_uri(&self, db: &str) -> String {
        let dir = self.dir.path().display().to_string().replace('/', "%2F");
        format!("postgres://postgres@{dir}:{}/{db}", self.port)
    }

    /// A Unix-socket libpq key=value string.
    pub fn socket_url(&self, db: &str) -> String {
        format!("host={} port={} user=postgres dbname={db}", self.dir.path().display(), self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                "sh",
                "-c",
                &format!("{PG_BIN}/pg_ctl -D {d}/data -m immediate -w stop >/dev/null 2>&1"),
            ])
            .status();
    }
}

/// The old stack's databases, as reconstructed (docs/migration.md), with awkward rows.
/// `bulk_rows_per_day` telemetry rows per character per day on top of the hand-written ones.
pub fn load_old_stack(pg: &Postgres, bulk_rows_per_day: u32, bcrypt_a: &str, bcrypt_b: &str) {
    pg.psql("postgres", "CREATE DATABASE dereth; CREATE DATABASE inventory_db;");
    let schema = format!(
        r#"
-- d(days_ago, hours): a time on a UTC day relative to today.
CREATE FUNCTION d(days int, hours float8) RETURNS timestamptz AS $$
  SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => days)
          + make_interval(secs => hours * 3600)) AT TIME ZONE 'UTC' $$ LANGUAGE sql;

CREATE TABLE telemetry_events (
  id bigserial PRIMARY KEY, character_name text NOT NULL, char_tag text, session_id text,
  timestamp timestamptz NOT NULL, ew float8, ns float8, z float8, landcell text,
  kills integer, kills_per_hour text, deaths text, total_deaths text, rares_found integer,
  prismatic_taper_count text, vt_state text, onlinetime text, total_xp bigint, level integer,
  mem_mb float8, cpu_pct float8, latency_ms numeric);
CREATE INDEX ON telemetry_events (timestamp);

-- Bulk: three characters hunting two hours a day, one row every 10 s, on 400 (older than
-- retention), 3, 2 and 1 days ago.
INSERT INTO telemetry_events (character_name, timestamp, ew, ns, z, landcell, kills,
    kills_per_hour, deaths, total_deaths, rares_found, prismatic_taper_count, vt_state,
    onlinetime, total_xp, level, mem_mb)
SELECT c.name, d(day, 10) + make_interval(secs => i * 10),
       c.ew + i * 0.0005, c.ns, 12.5, '0xA9B40019', i / 6, (120 + i % 7)::text || ',5', '0', '41',
       0, '1874', 'Combat', '0.01:00:00', 1000000000 + i * 1000, 275, 123.4
FROM (VALUES ('Mossy Tank', 33.5, 42.0), ('Mossy Mage', 20.0, -10.0), ('Scout Ye', -5.0, 5.0)) AS c(name, ew, ns),
     (VALUES (400), (3), (2), (1)) AS days(day),
     generate_series(0, {bulk} - 1) AS i
-- Never near the import's clock: rows up to a day ahead of it are imported, so a row in the
-- future would make two imports a few seconds apart differ.
WHERE d(day, 10) + make_interval(secs => i * 10) < now() - interval '1 minute';

-- Awkward rows, three days ago: a comma decimal and numbers as text, a negative landcell
-- without ew/ns (position from landcell + local coordinates is not available here, so it
-- is skipped), NULL counters, an exact duplicate, times written in other zones.
INSERT INTO telemetry_events (character_name, timestamp, ew, ns, landcell, kills, kills_per_hour, deaths, mem_mb)
VALUES
  ('Odd Fellow', d(3, 14), 33.589, 42.099, '-1447821287', 5, '612,4', ' 3 ', 1.0),
  ('Odd Fellow', (to_char(d(3, 14.01) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD HH24:MI:SS') || '+09')::timestamptz, 33.6, 42.1, '0xa9b40019', NULL, 'NaN', NULL, NULL),
  ('Odd Fellow', (to_char(d(3, 14.02) AT TIME ZONE 'America/New_York', 'YYYY-MM-DD HH24:MI:SS') || '-05')::timestamptz, 33.6, 42.1, '2847146009', 6, '∞', '3', NULL),
  ('Odd Fellow', d(3, 14.03), 33.7, 42.2, '0xA9B40019', 7, '600.0', '3', NULL),
  ('Odd Fellow', d(3, 14.03), 33.7, 42.2, '0xA9B40019', 7, '600.0', '3', NULL),
  ('Odd Fellow', d(3, 14.04), NULL, NULL, '-1447821287', 8, NULL, NULL, NULL),
  ('R2-D2', d(3, 14.05), 1.0, 1.0, NULL, 1, NULL, NULL, NULL);

-- Today: a few rows before now (through the journal on the server's next start).
INSERT INTO telemetry_events (character_name, timestamp, ew, ns, kills)
SELECT 'Mossy Tank', greatest(d(0, 0) + interval '1 second', now() - interval '10 minutes') + make_interval(secs => i), 33.0, 42.0, i
FROM generate_series(1, 5) AS i;

CREATE TABLE rare_events (id serial PRIMARY KEY, character_name text, name text, timestamp timestamptz,
  ew float8, ns float8, z float8, landcell integer, is_dungeon text);
INSERT INTO rare_events (character_name, name, timestamp, ew, ns, z, landcell, is_dungeon) VALUES
  ('Mossy Tank', 'Alchemist''s Crystal', d(2, 11), 82.512, -52.221, 12.0, -1447821287, 'False'),
  ('Mossy Tank', 'Alchemist''s Crystal', d(2, 11), 82.512, -52.221, 12.0, -1447821287, 'False'),
  ('Mossy Mage', 'Pearl of Blood Drinking', d(400, 11), 1.0, 1.0, 0, NULL, NULL),
  ('Scout Ye', NULL, d(2, 12), 1.0, 1.0, 0, NULL, NULL);
CREATE TABLE rare_stats (character_name text PRIMARY KEY, total_rares integer);
INSERT INTO rare_stats VALUES ('Mossy Tank', 1);

CREATE TABLE spawn_events (id serial, character_name text, mob text, ts text, ew float8, ns float8, z float8);
INSERT INTO spawn_events (character_name, mob, ts, ew, ns, z) VALUES
  ('Scout Ye', 'Mosswart Mumbler', to_char(d(1, 9) AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD"T"HH24:MI:SS') || '+05:30', 33.9, 45.2, 40.1),
  ('Scout Ye', 'Drudge Skulker', to_char(d(1, 9.5) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z', 33.9, 45.2, 40.1),
  ('Scout Ye', 'Mite', 'not a time', 0, 0, 0);

CREATE TABLE portals (id serial, portal_name text, ew float8, ns float8, z float8, landcell text,
  discovered_at timestamptz, discovered_by text, last_seen timestamptz);
INSERT INTO portals (portal_name, ew, ns, z, landcell, discovered_at, discovered_by, last_seen) VALUES
  ('Portal to Halls of Metos', 5.912, -14.803, 22.0, '0x866C0038', d(2, 8), 'Scout Ye', d(1, 8));

CREATE TABLE character_stats (id serial, character_name text, timestamp timestamptz, level integer,
  total_xp bigint, stats_data jsonb);
INSERT INTO character_stats (character_name, timestamp, level, total_xp, stats_data) VALUES
  ('Mossy Tank', d(1, 11), 275, 191226310247, '{{"type":"character_stats","race":"Aluvian","total_deaths":"41","augmentations":23}}');

CREATE TABLE char_stats (character_name text PRIMARY KEY, total_kills integer);
INSERT INTO char_stats VALUES ('Mossy Tank', 99999);

CREATE TABLE combat_stats_sessions (character_name text, session_id text, damage bigint);

CREATE TABLE users (id serial, username text UNIQUE, password_hash text, is_admin boolean, created_at timestamptz);
INSERT INTO users (username, password_hash, is_admin, created_at) VALUES
  ('oldboss', '{bcrypt_a}', true, now()),
  ('pleb', '{bcrypt_b}', false, now()),
  ('plain', 'hunter22', false, now());
"#,
        bulk = bulk_rows_per_day,
    );
    pg.psql("dereth", &schema);
    let inventory = r#"
CREATE TABLE items (id serial PRIMARY KEY, character_name text NOT NULL, item_id bigint, name text,
  object_class integer, value integer, burden integer, timestamp timestamptz, icon integer);
CREATE TABLE item_raw_data (id serial, item_id integer REFERENCES items(id), original_json jsonb);
CREATE TABLE item_spells (id serial, item_id integer REFERENCES items(id), spell_id integer);
CREATE TABLE item_ratings (id serial, item_id integer REFERENCES items(id), crit_damage integer);
CREATE TABLE item_combat_stats (id serial, item_id integer REFERENCES items(id), armor_level integer);
CREATE TABLE item_requirements (id serial, item_id integer REFERENCES items(id), wield_level integer);
CREATE TABLE item_enhancements (id serial, item_id integer REFERENCES items(id), tinks integer);
INSERT INTO items (character_name, item_id, name, object_class, value, burden, timestamp, icon) VALUES
  ('Mossy Tank', -2140583173, 'Koujia Sleeves', 2, 14250, 1210, now() - interval '1 day', 1),
  ('Mossy Tank', 2154390001, 'Battle Axe', 1, 21040, 760, now() - interval '1 day', 2),
  ('Mossy Mage', 2154388888, 'Gold Ring', 4, 9870, 15, now() - interval '1 day', 3);
INSERT INTO item_raw_data (item_id, original_json) VALUES
  (1, '{"id":-2140583173,"name":"Koujia Sleeves","object_class":2,"has_id_data":true,
        "int_values":{"5":1210,"19":14250,"28":602,"105":8,"265":14},"double_values":{},"string_values":{"1":"Koujia Sleeves"},
        "bool_values":{},"spells":[{"id":6095,"name":"Legendary Impenetrability"}]}');
INSERT INTO item_spells (item_id, spell_id) VALUES (2, 6089), (2, 6072);
INSERT INTO item_combat_stats (item_id, armor_level) VALUES (3, 0);
"#;
    pg.psql("inventory_db", inventory);
}

/// The issue board as the old stack kept it.
pub fn write_issues(path: &Path) {
    let text = r#"[
 {"id": 1, "title": "Gaerlan run", "description": "Saturday 20:00", "status": "open", "author": "oldboss", "created_at": "2026-10-01T18:00:00+02:00"},
 {"id": 2, "title": "Buy tapers", "description": "", "status": "closed", "author": "pleb", "created_at": "2026-09-01T10:00:00Z", "updated_at": "2026-09-03T10:00:00Z"},
 {"id": 3, "description": "no title"}
]"#;
    std::fs::write(path, text).expect("issues");
}

/// Today's rows (imported through the telemetry journal): `per_character` rows for each of
/// three characters, spread over the ten minutes before now (or since midnight, if that is
/// later), at distinct milliseconds.
pub fn load_today_rows(pg: &Postgres, per_character: u32) {
    pg.psql(
        "dereth",
        &format!(
            r#"
INSERT INTO telemetry_events (character_name, timestamp, ew, ns, kills, kills_per_hour)
SELECT c.name, s.start + (now() - interval '1 second' - s.start) * (i::float8 / {n}), c.ew + i * 0.0001, c.ns, i, '90,5'
FROM (VALUES ('Mossy Tank', 33.5, 42.0), ('Mossy Mage', 20.0, -10.0), ('Today Only', 1.0, 1.0)) AS c(name, ew, ns),
     (SELECT greatest(d(0, 0) + interval '1 second', now() - interval '10 minutes') AS start) AS s,
     generate_series(0, {n} - 1) AS i;
"#,
            n = per_character
        ),
    );
}
