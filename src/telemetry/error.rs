//! Why a telemetry read or write failed: one typed error for the telemetry boundary.

/// Why a telemetry read or write failed. Every variant is logged and answered by its
/// caller; none is ever replaced by a default value written to disk.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// redb refused: the file is damaged, the disk is full, a transaction failed.
    #[error("storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Stored bytes that do not decode (a damaged block, row or rollup).
    #[error("damaged data: {0}")]
    Corrupt(String),
    /// A value that does not encode (a bug, never expected with well-formed rows).
    #[error("cannot encode {0}")]
    Encode(String),
    /// A lock whose holder panicked: the in-memory view can no longer be trusted.
    #[error("{0} lock poisoned (a thread panicked while holding it)")]
    Poisoned(&'static str),
    /// A fixed capacity was reached (e.g. the character registry).
    #[error("{0}")]
    Full(String),
    /// A file could not be opened for a reason the operator must act on.
    #[error("{0}")]
    Open(String),
    /// The journal could not be read or trimmed.
    #[error("journal: {0}")]
    Journal(String),
}

macro_rules! redb_err {
    ($($t:ty),*) => {$(impl From<$t> for TelemetryError { fn from(e: $t) -> Self { TelemetryError::Storage(e.into()) } })*};
}
redb_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    redb::CompactionError
);

impl From<crate::snapshot::SnapshotError> for TelemetryError {
    fn from(e: crate::snapshot::SnapshotError) -> Self {
        use crate::snapshot::SnapshotError as S;
        match e {
            S::Storage(e) => TelemetryError::Storage(e),
            S::Io(e) => TelemetryError::Io(e),
            S::Open(m) => TelemetryError::Open(m),
        }
    }
}
