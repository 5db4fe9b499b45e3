//! The store's own error, independent of any dialect: each dialect maps it to
//! its envelope (`From<StoreError>` in `shiku/error.rs`, `openim/error.rs`,
//! `jh/error.rs`), and an outage is a 503 in all of them.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// MongoDB (or Redis) did not answer in time: the client may retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database answered with an error.
    #[error("failed: {0}")]
    Failed(String),
    /// A stored document lacks a field the service relies on, or has it with
    /// another type.
    #[error("corrupt document: {0}")]
    Corrupt(String),
    /// A rule that the store checks against the data it reads in the same
    /// operation (e.g. only the sender may recall a message).
    #[error("refused: {0:?}")]
    Refused(Refusal),
}

/// The data-dependent refusals of store operations, named neutrally; each
/// dialect answers them with its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not do this to these records.
    NoPermission,
    /// The room does not exist.
    NoRoom,
    /// The caller is not a member of the room.
    NotMember,
    /// A parameter that cannot name a record (e.g. a malformed room jid).
    Invalid(&'static str),
    /// A message id that already names another message (of another
    /// sender, peer or content).
    IdTaken,
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        StoreError::Refused(r)
    }
}

impl From<mongodb::error::Error> for StoreError {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        match *e.kind {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. } => StoreError::Unavailable(e.to_string()),
            ErrorKind::BsonDeserialization(_) => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Failed(e.to_string()),
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError::Unavailable(format!("redis: {e}"))
    }
}

impl From<bson::document::ValueAccessError> for StoreError {
    fn from(e: bson::document::ValueAccessError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
