// Generated from the Rust response types by `OVERLORD_WRITE_BINDINGS=1 cargo test --test bindings`.
// Do not edit: change the Rust type, then regenerate. `cargo test` fails when this file is stale.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ServedRange = { from: number, to: number, };

export type TrailPoint = { t: number, ew: number, ns: number, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type Trail = { character_name: string, 
/**
 * The range served: the request clamped to stored data; `None` when nothing stored
 * overlaps it.
 */
range: ServedRange | null, points: Array<TrailPoint>, 
/**
 * `[first_index, last_index]` into `points` of each segment.
 */
segments: Array<[number, number]>, };

export type SeriesMetric = "kills" | "kills_per_hour" | "deaths" | "xp_per_hour" | "total_xp" | "level" | "luminance" | "prismatic_taper_count";

export type Series = { metric: SeriesMetric, step_s: number, 
/**
 * The range served (the request clamped to stored data), `None` when nothing stored
 * overlaps it.
 */
range: ServedRange | null, points: Array<[number, number]>, };

export type HeatmapBin = { ew: number, ns: number, count: number, };

export type Heatmap = { cell: number, range: ServedRange | null, bins: Array<HeatmapBin>, };

export type LeaderboardMetric = "kills" | "rares" | "deaths" | "xp";

export type Period = "day" | "week" | "month" | "all";

export type LeaderboardRow = { character_name: string, value: number, };

export type Leaderboard = { metric: LeaderboardMetric, period: Period, rows: Array<LeaderboardRow>, };

export type RareRow = { t: number, character_name: string, rare_name: string, ew: number | null, ns: number | null, landcell: number | null, is_dungeon: boolean, wcid: number | null, };

export type Rares = { range: ServedRange | null, rares: Array<RareRow>, };

export type EventsPage = { range: ServedRange | null, events: Array<JsonValue>, 
/**
 * Pass back as `cursor` for the next page; `None` on the last page.
 */
next_cursor: string | null, };

export type StuckCharacter = { name: string, 
/**
 * When the character last made progress (moved, killed, gained XP).
 */
since_ms: number, ew: number, ns: number, };

export type DisconnectedCharacter = { name: string, 
/**
 * When its socket dropped.
 */
since_ms: number, };

export type AttentionSnapshot = { stuck: Array<StuckCharacter>, disconnected: Array<DisconnectedCharacter>, generated_ms: number, };

export type BackupEntry = { name: string, path: string, bytes: number, verified: boolean, created_ms: number | null, };

export type BackupStatus = { enabled: boolean, backup_dir: string | null, schedule: string | null, keep: number, running: boolean, last_success_ms: number | null, last_success_bytes: number | null, last_failure_ms: number | null, last_error: string | null, successes: number, failures: number, next_run_ms: number | null, };

export type Components = { spells: number, sets: number, ratings: number, armor: number, };

export type SuitItem = { object_id: number, owner: string, name: string, 
/**
 * `"chest+upper_arms"`, `"finger_left"`, …
 */
position: string, 
/**
 * The part a reduced (tailored) item is cut down to; `null` when worn as-is.
 */
reduce_to: string | null, };

export type SuitSpell = { family: string, tier: string, };

export type SuitSet = { set_id: number, name: string, pieces: number, };

export type Suit = { score: number, components: Components, items: Array<SuitItem>, 
/**
 * Every wearer spell family worn (wanted or not), best tier, sorted by family.
 */
spells: Array<SuitSpell>, sets: Array<SuitSet>, 
/**
 * Summed gear ratings (before caps), every rating listed.
 */
ratings: { [key in string]: number }, 
/**
 * Σ armor_level × parts covered as worn.
 */
armor_level_total: number, requirements_checked: boolean, };

export type StopReason = "complete" | "time_limit" | "cancelled";

export type SolveStats = { stop: StopReason, nodes: number, nodes_per_s: number, elapsed_ms: number, 
/**
 * Proven upper bound on any suit's score (equals the best score when optimal).
 */
upper_bound: number, 
/**
 * upper_bound − best score (0 when optimal).
 */
gap: number, threads: number, tasks: number, 
/**
 * Ways to wear an item considered (reductions and slot choices count separately).
 */
options: number, 
/**
 * Of those, the ones left after dominance pruning.
 */
options_searched: number, requirements_checked: boolean, aetheria_slots: Array<string>, 
/**
 * True when no profile was known and all three aetheria slots were assumed.
 */
aetheria_slots_assumed: boolean, items: EligibilityCounts, };

export type SolveOutcome = { 
/**
 * True when the search completed: no valid suit scores higher than `suits[0]`, and
 * `suits` are the top-k.
 */
optimal: boolean, 
/**
 * Best first; ties by the lexicographically smallest sorted object-id list.
 */
suits: Array<Suit>, stats: SolveStats, };

export type EligibilityCounts = { given: number, not_wearable: number, excluded: number, attuned_elsewhere: number, requirements_unmet: number, filtered: number, eligible: number, };

export type SkippedItem = { object_id: number, owner: string, name: string, reason: string, };

export type JobStatus = "running" | "done" | "cancelled" | "failed";

export type JobOutcome = { skipped_items: Array<SkippedItem>, 
/**
 * True when the search completed: no valid suit scores higher than `suits[0]`, and
 * `suits` are the top-k.
 */
optimal: boolean, 
/**
 * Best first; ties by the lexicographically smallest sorted object-id list.
 */
suits: Array<Suit>, stats: SolveStats, };

export type JobCreated = { job_id: string, events_url: string, };

export type JobSnapshot = { state: JobStatus, result: JobOutcome | null, };
