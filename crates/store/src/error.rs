/// A storage failure. Services map every variant to an internal error: none is the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be decoded into its record (corruption or a schema mismatch).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Sealed data did not open under the root key (wrong key or tampered data).
    #[error("sealed data could not be opened: wrong root key or tampered data")]
    Unseal,
    /// The root key file or variable is missing, unreadable or malformed.
    #[error("root key: {0}")]
    RootKey(String),
}
