//! UTC days: the unit of the telemetry files. Pure arithmetic on unix milliseconds, the
//! day files' names (`YYYY-MM-DD.redb`), the key every event row and block of a day
//! file has, and how a reader opens a table such a file may lack. Never opens a file or a
//! transaction: callers hand it theirs.

use super::error::TelemetryError;

/// The key of every event row and block in a day file: character id, receive time (unix
/// ms; a block's first row's), sequence number.
pub(crate) type EventKey = (u32, i64, u32);

/// Blocks (telemetry or other kinds) span at most this long from first row to last, so a
/// time-range scan starts this far before `from`.
pub const MAX_BLOCK_SPAN_MS: i64 = 60 * 60 * 1000;

/// Milliseconds in a UTC day (no leap seconds in unix time).
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day (days since 1970-01-01) a unix-millisecond time falls in.
pub fn day_of(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(DAY_MS)
}

/// A day file name without its extension: `2026-12-05`.
pub fn day_name(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("day-{day}"))
}

/// The day that a day file name (`2026-12-05.redb`) stands for.
pub fn parse_day_name(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(".redb")?;
    let date = chrono::NaiveDate::parse_from_str(stem, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis() / DAY_MS)
}

/// A table of a read transaction, or `None` when the file never created it (a file older
/// than the table, or a snapshot of one).
pub(crate) fn optional_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    def: redb::TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, TelemetryError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_names_round_trip() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(-1), -1);
        let day = day_of(1_796_515_200_000); // 2026-12-06T00:00:00Z
        assert_eq!(day_name(day), "2026-12-06");
        assert_eq!(parse_day_name("2026-12-06.redb"), Some(day));
        assert_eq!(parse_day_name("2026-12-06.tmp"), None);
        assert_eq!(parse_day_name("rollups.redb"), None);
    }
}
