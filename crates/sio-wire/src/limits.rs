//! Explicit decoding limits.

/// Limits that bound what a decoder accepts, so that hostile input cannot make it work or
/// allocate without bound.
///
/// Every decoder that takes no `Limits` uses [`Limits::default()`]. The defaults accept every
/// frame that the reference JavaScript implementation (socket.io 4.x) produces in ordinary
/// use, and reject what no real peer sends.
///
/// ```
/// let mut limits = sio_wire::Limits::default();
/// limits.max_json_depth = 16;
/// let deep = format!("2{}\"deep\"{}", "[".repeat(17), "]".repeat(17));
/// let err = sio_wire::socket::decode_socket_packet_with(&deep, &limits)
///     .err()
///     .ok_or("expected an error")?;
/// assert_eq!(err.kind(), sio_wire::SocketErrorKind::Json(sio_wire::JsonErrorKind::TooDeep));
/// assert_eq!(err.offset(), 17, "the 17th bracket, after the type digit");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Most binary attachments one BINARY_EVENT / BINARY_ACK packet may announce.
    ///
    /// Default 64. The reassembler keeps one buffer per attachment, so this bounds the number
    /// of allocations a header can ask for.
    pub max_attachments: u32,
    /// Longest namespace, in bytes, including the leading `/`.
    ///
    /// Default 256. The namespace is found by scanning for `,`; the limit bounds that scan.
    pub max_namespace_len: usize,
    /// Largest ack id accepted.
    ///
    /// Default 2^53 - 1 (`Number.MAX_SAFE_INTEGER`): the reference implementation keeps ack ids
    /// in JavaScript numbers, so a larger id cannot round-trip through it.
    pub max_ack_id: u64,
    /// Deepest nesting of JSON arrays and objects.
    ///
    /// Default 128 (the same as serde_json's recursion limit). Values above 512 are treated as
    /// 512: the validator keeps its nesting stack in a fixed 64-byte bit set, so it never
    /// allocates and never recurses.
    pub max_json_depth: u32,
    /// Most bytes of binary attachments the reassembler buffers for one packet.
    ///
    /// Default 16 MiB (sixteen times Engine.IO's default `maxPayload` of 1 MB).
    pub max_binary_bytes: usize,
}

/// The deepest nesting the validator can track (see [`Limits::max_json_depth`]).
pub const MAX_JSON_DEPTH_CAP: u32 = 512;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachments: 64,
            max_namespace_len: 256,
            max_ack_id: (1 << 53) - 1,
            max_json_depth: 128,
            max_binary_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// Limits that accept anything the wire format can express (up to the validator's
    /// fixed depth cap). Meant for tools that inspect captures, not for servers.
    pub const fn permissive() -> Self {
        Self {
            max_attachments: u32::MAX,
            max_namespace_len: usize::MAX,
            max_ack_id: u64::MAX,
            max_json_depth: MAX_JSON_DEPTH_CAP,
            max_binary_bytes: usize::MAX,
        }
    }
}
