//! The crate's one error type.

/// A document that cannot be used as a contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The text is not JSON.
    #[error(
        "line {line}, column {column}: not JSON ({message}); documents are read as JSON, which \
         `sio-replay asyncapi` writes (also under a .yaml name: JSON is YAML)"
    )]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// The JSON is not an AsyncAPI 3 document this crate can index.
    #[error("not a usable AsyncAPI 3 document: {0}")]
    Document(String),
}
