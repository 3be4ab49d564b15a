//! The one error type of this crate.

use std::fmt;

/// Everything that can go wrong while reading rt-2's data.
///
/// Each variant says where: a byte offset into the input, a field path such as
/// `Message.Id`, or the line and column of the JSON that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The event argument is not a well-formed JSON string literal (the outer level of an
    /// `on-events` frame's second argument).
    #[error("event argument is not a JSON string at byte {offset}: {reason}")]
    Argument {
        /// Byte offset in the argument where reading stopped.
        offset: usize,
        /// What was wrong there.
        reason: &'static str,
    },
    /// A required field is absent (or `null`).
    #[error("missing field {field}")]
    MissingField {
        /// The field's path from the document root, e.g. `Message.Id` or `data[1].id`.
        field: String,
    },
    /// The JSON is malformed, or a field holds a value of the wrong type.
    #[error("{}", JsonDisplay(self))]
    Json {
        /// Which document: `event`, `token header`, `token claims` or `live videos`.
        document: &'static str,
        /// The path of the field being read when the error happened (`.` for the root).
        path: String,
        /// One-based line in the document (for events, in the unescaped inner JSON).
        line: usize,
        /// One-based column in that line.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A JWT does not have three dot-separated base64url segments.
    #[error("malformed token: {reason}")]
    MalformedToken {
        /// What was wrong.
        reason: &'static str,
    },
    /// A JWT segment is not valid base64url.
    #[error("token {segment} is not valid base64url")]
    Base64 {
        /// `header`, `claims` or `signature`.
        segment: &'static str,
    },
    /// The token's `alg` is not HS256. `none` always lands here: an unsigned token is never
    /// accepted as verified.
    #[error("token algorithm {alg:?} is not accepted (only HS256)")]
    UnsupportedAlgorithm {
        /// The header's `alg` value, verbatim.
        alg: String,
    },
    /// The HS256 signature does not match the token's header and claims.
    #[error("token signature does not match")]
    BadSignature,
    /// A WebSocket text frame is not a valid Engine.IO / Socket.IO packet.
    #[error("cannot decode the frame: {0}")]
    Wire(#[from] sio_wire::WireError),
    /// A live-video query string parameter is missing or unreadable.
    #[error("live-video query parameter {param}: {reason}")]
    Query {
        /// The parameter's name, e.g. `pageid` or `limit`.
        param: &'static str,
        /// What was wrong with it.
        reason: &'static str,
    },
}

/// Formats [`Error::Json`] so the path only appears when it says something.
struct JsonDisplay<'e>(&'e Error);

impl fmt::Display for JsonDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Json {
            document,
            path,
            line,
            column,
            message,
        } = self.0
        {
            write!(f, "invalid {document} JSON")?;
            if path != "." && !path.is_empty() {
                write!(f, " at {path}")?;
            }
            write!(f, " (line {line}, column {column}): {message}")?;
        }
        Ok(())
    }
}

/// Parses `text` (the `document` named in errors) with serde_json, failing with an [`Error`]
/// that names the field.
pub(crate) fn from_json<'de, T: serde::Deserialize<'de>>(
    document: &'static str,
    text: &'de str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|first| json_error::<T>(document, text, first))
}

/// Turns a failed serde_json parse into an [`Error`] that names the field.
///
/// The fast path parses without tracking where it is. Only after a failure does this parse the
/// same text again through `serde_path_to_error`, so the success path pays nothing for good
/// error messages.
fn json_error<'de, T: serde::Deserialize<'de>>(
    document: &'static str,
    text: &'de str,
    first: serde_json::Error,
) -> Error {
    let mut de = serde_json::Deserializer::from_str(text);
    let (path, err) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            (path, e.into_inner())
        }
        // Cannot happen (the same input failed a moment ago), but fall back to the first error.
        Ok(_) => (".".to_owned(), first),
    };
    let message = err.to_string();
    if let Some(name) = missing_field_name(&message) {
        return Error::MissingField {
            field: join_path(&path, name),
        };
    }
    // serde_json appends " at line L column C" to its messages; the fields carry that already.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    Error::Json {
        document,
        path,
        line: err.line(),
        column: err.column(),
        message,
    }
}

/// Extracts `Id` from serde's "missing field `Id`" message.
fn missing_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// Joins a parent path (`.` for the root) and a field name into `Parent.Field`.
pub(crate) fn join_path(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_field_name_is_extracted() {
        assert_eq!(
            missing_field_name("missing field `Id` at line 1 column 3"),
            Some("Id")
        );
        assert_eq!(missing_field_name("invalid type: null"), None);
    }

    #[test]
    fn json_error_display_names_path_and_place() {
        let e = Error::Json {
            document: "event",
            path: "Message.MessageType".into(),
            line: 1,
            column: 42,
            message: "invalid type: string \"x\", expected an integer".into(),
        };
        assert_eq!(
            e.to_string(),
            "invalid event JSON at Message.MessageType (line 1, column 42): invalid type: \
             string \"x\", expected an integer"
        );
    }
}
