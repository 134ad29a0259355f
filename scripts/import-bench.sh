#!/usr/bin/env bash
# Measures `overlord import` speed and peak memory: a local PostgreSQL 15 (Debian's server
# binaries, run as the postgres user in a temp dir) loaded with N telemetry rows of the old
# schema (60 characters over 30 days), then
#   1. overlord import seed  --telemetry-db postgres://…   (binary COPY OUT)
#   2. overlord import jsonl --table telemetry_events FILE (the same rows as row_to_json lines)
# each into a fresh data directory, printing rows/s and peak RSS (from /usr/bin/time or
# /proc). Usage: scripts/import-bench.sh [ROWS]   (default 10000000)
# Needs the release binary: OVERLORD_BIN, or target/release/overlord (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-10000000}"
PGBIN=/usr/lib/postgresql/15/bin
BIN="${OVERLORD_BIN:-$PWD/target/release/overlord}"
if [ ! -x "$BIN" ]; then
  cargo build --release
  BIN="$PWD/target/release/overlord"
fi
WORK="$(mktemp -d /tmp/overlord-import-bench.XXXXXX)"
chown postgres "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- sh -c "$1"; }
cleanup() {
  as_pg "$PGBIN/pg_ctl -D $WORK/pg -m immediate -w stop >/dev/null 2>&1" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb -D $WORK/pg -U postgres --auth=trust -E UTF8 --no-sync >/dev/null"
as_pg "$PGBIN/pg_ctl -D $WORK/pg -l $WORK/pg.log -w -o '-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off' start >/dev/null"
psql() { as_pg "$PGBIN/psql -q -At -h $WORK -p $PORT -U postgres $*"; }
psql "-c 'CREATE DATABASE dereth'"
echo "loading $ROWS telemetry rows into PostgreSQL…"
cat > "$WORK/load.sql" <<SQL
CREATE TABLE telemetry_events (id bigserial, character_name text, timestamp timestamptz, ew float8,
  ns float8, z float8, landcell text, kills integer, kills_per_hour text, deaths text,
  total_deaths text, rares_found integer, prismatic_taper_count text, vt_state text,
  total_xp bigint, level integer, mem_mb float8);
INSERT INTO telemetry_events (character_name, timestamp, ew, ns, z, landcell, kills, kills_per_hour,
  deaths, total_deaths, rares_found, prismatic_taper_count, vt_state, total_xp, level, mem_mb)
SELECT 'Bench ' || chr(65 + (i % 60) / 26) || chr(97 + (i % 60) % 26),
       date_trunc('day', now()) - interval '31 days' + make_interval(secs => (i / 60) * (30.0 * 86400 / ($ROWS / 60))),
       (i % 60) + ((i / 60) % 1000) * 0.001, 40.0 - (i % 60), 12.0, '0xA9B40019',
       (i / 60) % 5000, '612,4', '3', '41', 2, '1874', 'Combat', 1000000000 + i, 275, 120.5
FROM generate_series(0, $ROWS - 1) AS i;
SQL
chown postgres "$WORK/load.sql"
psql "-d dereth -f $WORK/load.sql"
SIZE=$(psql "-d dereth -c \"SELECT pg_size_pretty(pg_total_relation_size('telemetry_events'))\"")
echo "table size: $SIZE"

measure() { # label, command...
  local label="$1"; shift
  local start end peak
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$WORK/rss" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt"
    peak=$(tail -1 "$WORK/rss")
  else
    "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" &
    local pid=$! max=0
    while kill -0 $pid 2>/dev/null; do
      r=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0); [ "${r:-0}" -gt "$max" ] && max=$r
      sleep 0.2
    done
    wait $pid
    peak=$max
  fi
  end=$(date +%s.%N)
  python3 - "$label" "$start" "$end" "$peak" "$ROWS" <<'PY'
import sys
label, start, end, peak, rows = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4] or 0), int(sys.argv[5])
secs = end - start
print(f"{label:<8} {rows} rows in {secs:.1f} s = {rows/secs:,.0f} rows/s; peak RSS {peak/1024:.0f} MiB")
PY
  grep -E "telemetry_events|telemetry  " "$WORK/out.txt" | head -3 || true
}

echo "import seed (binary COPY from PostgreSQL over TCP):"
measure seed "$BIN" import --quiet --data-dir "$WORK/data-seed" seed --telemetry-db "postgres://postgres@127.0.0.1:$PORT/dereth"
echo "dumping JSON Lines…"
psql "-d dereth -c \"COPY (SELECT row_to_json(t) FROM telemetry_events t) TO STDOUT\"" > "$WORK/telemetry.jsonl"
ls -la "$WORK/telemetry.jsonl" | awk '{print "jsonl size:", $5, "bytes"}'
echo "import jsonl:"
measure jsonl "$BIN" import --quiet --data-dir "$WORK/data-jsonl" jsonl --table telemetry_events "$WORK/telemetry.jsonl"
