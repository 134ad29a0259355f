#!/usr/bin/env bash
# Footprint of a running server: starts the release binary on a fresh data directory,
# drives it with `overlord simulate` and prints, every --interval seconds, the server's
# resident memory, its CPU (% of one core), each part of the data directory and the total
# bytes on disk per stored telemetry event (journal included).
#
#   scripts/footprint.sh                                  # 600 characters, 1 frame/s, 5 min
#   scripts/footprint.sh --characters 60 --duration 600
#   scripts/footprint.sh --soak                           # 2 h, a row a minute (run by hand)
#
# Options (defaults in brackets):
#   --characters N   simulated characters, one plugin socket each, each with its inventory [600]
#   --rate R         telemetry frames/s per character [1.0]
#   --duration S     seconds of simulated load [300]
#   --interval S     seconds between rows [10]
#   --soak           a long run: --duration 7200 --interval 60 unless given
#   --data-dir DIR   use (and keep) this data directory instead of a temporary one
#   --port P         listen port [a free one from 18700]
#   --csv FILE       also write the rows as CSV
#   --items N        before the server starts, import N simulated items into the data directory
#                    (`overlord simulate-items | overlord import jsonl --table items -`), for the
#                    footprint with a large item store (the simulator's own characters add theirs);
#                    at the end, the server stopped, it times `overlord reindex` of that store
#   --watch          keep a dashboard open: one browser socket on /ws/live subscribed to the
#                    dashboard's topics for every character (needs node and frontend/node_modules)
#
# The binary is $OVERLORD_BIN, or built the way scripts/test-all.sh builds it (static).
# CPU is the server's own utime+stime from /proc/PID/stat over each interval, so other
# processes on the machine (the simulator included) do not count, though they can still
# slow the server down. RSS is VmRSS; "peak" is VmHWM.
# The summary at the end compares the last third of the rows with the middle third,
# so growth shows as a positive "RSS slope".
set -euo pipefail
cd "$(dirname "$0")/.."

characters=600
rate=1.0
duration=""
interval=""
soak=0
data_dir=""
port=""
csv=""
watch=0
items=0
while [ $# -gt 0 ]; do
  case "$1" in
    --characters) characters="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --soak) soak=1; shift ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --csv) csv="$2"; shift 2 ;;
    --watch) watch=1; shift ;;
    --items) items="$2"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "footprint.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$soak" = 1 ]; then
  duration="${duration:-7200}"
  interval="${interval:-60}"
fi
duration="${duration:-300}"
interval="${interval:-10}"

if [ -z "${OVERLORD_BIN:-}" ]; then
  echo "building the static release binary (as scripts/test-all.sh does)…" >&2
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --target x86_64-unknown-linux-gnu >&2
  OVERLORD_BIN="$PWD/target/x86_64-unknown-linux-gnu/release/overlord"
fi
[ -x "$OVERLORD_BIN" ] || { echo "footprint.sh: $OVERLORD_BIN is not executable" >&2; exit 2; }

keep=1
if [ -z "$data_dir" ]; then
  data_dir="$(mktemp -d /tmp/overlord-footprint.XXXXXX)"
  keep=0
fi
mkdir -p "$data_dir"
if [ -z "$port" ]; then
  port=18700
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
fi
secret="footprint-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$data_dir.server.log"

server_pid=""
sim_pid=""
watch_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 0 ]; then rm -rf "$data_dir" "$log" "$data_dir.sim.log" "$data_dir.watch.log" "$data_dir.import.log" "$data_dir.reindex.log"; fi
}
trap cleanup EXIT

if [ "$items" -gt 0 ]; then
  # A seed other than the simulator's 1, so its characters do not replace imported ones.
  echo "importing $items simulated items…" >&2
  import_started=$(date +%s.%N)
  timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f 'import: %e s, peak RSS %M KiB')
  "$OVERLORD_BIN" simulate-items --count "$items" --seed 1000 |
    "${timer[@]}" "$OVERLORD_BIN" import --data-dir "$data_dir" --quiet \
      jsonl --table items - >"$data_dir.import.log" 2>&1 ||
    { echo "the import failed; its output:" >&2; cat "$data_dir.import.log" >&2; exit 1; }
  tail -1 "$data_dir.import.log" >&2
  awk -v s="$import_started" -v e="$(date +%s.%N)" 'BEGIN {printf "import took %.1f s\n", e - s}' >&2
fi

OVERLORD_PLUGIN_SECRET="$secret" OVERLORD_LOG="${OVERLORD_LOG:-warn}" \
  "$OVERLORD_BIN" serve --data-dir "$data_dir" --listen "127.0.0.1:$port" >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped; its log:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.2
done

OVERLORD_PLUGIN_SECRET="$secret" "$OVERLORD_BIN" simulate --url "ws://127.0.0.1:$port" \
  --characters "$characters" --rate "$rate" --duration "$duration" >"$data_dir.sim.log" 2>&1 &
sim_pid=$!
if [ "$watch" = 1 ]; then
  [ -d frontend/node_modules/ws ] || { echo "--watch needs frontend/node_modules (cd frontend && npm ci)" >&2; exit 2; }
  node frontend/e2e/watch.mjs "ws://127.0.0.1:$port" >"$data_dir.watch.log" 2>&1 &
  watch_pid=$!
fi

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
status_kib() { awk -v k="$1" '$1 == k {print $2}' "/proc/$server_pid/status"; }
bytes() { if [ -e "$1" ]; then du -sb "$1" 2>/dev/null | awk '{print $1}'; else echo 0; fi; }
# Allocated bytes (what the files occupy on the disk; redb grows a file ahead of its pages,
# and the part never written is a hole).
alloc() { if [ -e "$1" ]; then du -s --block-size=1 "$1" 2>/dev/null | awk '{print $1}'; else echo 0; fi; }
bytes_glob() { local t=0 f; for f in $1; do [ -e "$f" ] && t=$((t + $(bytes "$f"))); done; echo "$t"; }
stored_telemetry() {
  curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null |
    awk '/^overlord_events_stored_total\{type="telemetry"\}/ {print $2; f=1} END {if (!f) print 0}'
}
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

printf 'overlord footprint: %s characters at %s frames/s for %ss, server pid %s, data %s\n' \
  "$characters" "$rate" "$duration" "$server_pid" "$data_dir"
printf 'CPU = the server'"'"'s utime+stime over each interval, %% of one core; sizes in MiB\n\n'
header="t_s rss_mib peak_mib cpu_pct journal state_jrnl telemetry day_snaps rollups state_redb snapshots index total events bytes_per_event bpe_alloc"
printf '%6s %8s %8s %7s %8s %10s %9s %9s %8s %10s %9s %8s %8s %11s %9s %9s\n' $header
[ -n "$csv" ] && echo "$header" | tr ' ' ',' >"$csv"

start=$(date +%s.%N)
prev_ticks=$(cpu_ticks)
prev_t=$start
rows=()
while kill -0 "$sim_pid" 2>/dev/null; do
  sleep "$interval"
  kill -0 "$server_pid" 2>/dev/null || { echo "the server died; its log:" >&2; tail -20 "$log" >&2; exit 1; }
  now=$(date +%s.%N)
  t=$(cpu_ticks)
  cpu=$(awk -v d="$((t - prev_ticks))" -v hz="$ticks" -v a="$prev_t" -v b="$now" 'BEGIN {printf "%.1f", 100 * d / hz / (b - a)}')
  prev_ticks=$t
  prev_t=$now
  rss=$(status_kib VmRSS:)
  hwm=$(status_kib VmHWM:)
  sj=$(bytes "$data_dir/journal/state")
  j=$(( $(bytes "$data_dir/journal") - sj ))
  tel=$(bytes_glob "$data_dir/telemetry/*.redb")
  ds=$(bytes "$data_dir/telemetry/snapshots")
  ro=$(bytes "$data_dir/rollups.redb")
  st=$(bytes "$data_dir/state.redb")
  sn=$(bytes "$data_dir/snapshots")
  ix=$(bytes "$data_dir/index")
  total=$(bytes "$data_dir")
  ev=$(stored_telemetry)
  bpe=$(awk -v b="$((j + tel + ds))" -v e="$ev" 'BEGIN {if (e > 0) printf "%.1f", b / e; else print "-"}')
  al=$(( $(alloc "$data_dir/journal") - $(alloc "$data_dir/journal/state") + $(alloc "$data_dir/telemetry") ))
  bpa=$(awk -v b="$al" -v e="$ev" 'BEGIN {if (e > 0) printf "%.1f", b / e; else print "-"}')
  el=$(awk -v a="$start" -v b="$now" 'BEGIN {printf "%.0f", b - a}')
  row="$el $(mib $((rss * 1024))) $(mib $((hwm * 1024))) $cpu $(mib "$j") $(mib "$sj") $(mib "$tel") $(mib "$ds") $(mib "$ro") $(mib "$st") $(mib "$sn") $(mib "$ix") $(mib "$total") $ev $bpe $bpa"
  # shellcheck disable=SC2086
  printf '%6s %8s %8s %7s %8s %10s %9s %9s %8s %10s %9s %8s %8s %11s %9s %9s\n' $row
  [ -n "$csv" ] && echo "$row" | tr ' ' ',' >>"$csv"
  rows+=("$row")
done

echo
echo "journal = the telemetry journal (journal/ without journal/state/, the inventory journal)."
echo "day_snaps = telemetry/snapshots/ (consistent copies of the day files still written, for copy safety)."
echo "bytes_per_event = (journal + telemetry day files + day snapshots) / telemetry events stored (apparent sizes, du -sb)."
echo "bpe_alloc = the same parts' allocated bytes (du -s --block-size=1: the disk they take) / the same events."
printf '%s\n' "${rows[@]}" | awk '
  { t[NR] = $1; rss[NR] = $2; cpu[NR] = $4; n = NR }
  END {
    if (n < 3) { print "too few rows for a summary (lengthen --duration)"; exit }
    a = int(n / 3) + 1; m = int(2 * n / 3)
    for (i = a; i <= n; i++) { c += cpu[i]; k++ }
    lo = rss[a]; hi = rss[a]
    for (i = a; i <= n; i++) { if (rss[i] < lo) lo = rss[i]; if (rss[i] > hi) hi = rss[i] }
    mid = 0; for (i = a; i <= m; i++) mid += rss[i]; mid /= (m - a + 1)
    last = 0; for (i = m + 1; i <= n; i++) last += rss[i]; last /= (n - m)
    dt = (t[n] + t[m + 1]) / 2 - (t[m] + t[a]) / 2
    printf "steady state (rows %d-%d, after the first third): CPU mean %.1f%% of one core; RSS %.1f-%.1f MiB\n", a, n, c / k, lo, hi
    printf "RSS slope, last third vs middle third: %+.2f MiB/min\n", (last - mid) / (dt / 60)
  }'
printf 'peak RSS (VmHWM): %s MiB\n' "$(mib $(( $(status_kib VmHWM:) * 1024 )))"
echo "simulator: $(tail -1 "$data_dir.sim.log")"
if [ "$watch" = 1 ]; then echo "dashboard socket: $(tail -1 "$data_dir.watch.log")"; fi

if [ "$items" -gt 0 ]; then
  # The full rebuild of the item index an operator runs with `overlord reindex` (server
  # stopped), on the store this run filled: its time and peak RSS.
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f 'reindex: %e s, peak RSS %M KiB')
  "${timer[@]}" "$OVERLORD_BIN" reindex --data-dir "$data_dir" >"$data_dir.reindex.log" 2>&1 ||
    { echo "overlord reindex failed:" >&2; tr '\r' '\n' <"$data_dir.reindex.log" | tail -3 >&2; exit 1; }
  tr '\r' '\n' <"$data_dir.reindex.log" | grep -E '^(reindexed|reindex:)'
fi
