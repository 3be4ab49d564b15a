//! Session settings for both roles.

use std::collections::BTreeSet;
use std::time::Duration;

/// Which protocol layers a session speaks above Engine.IO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layer {
    /// Engine.IO messages carry Socket.IO v5 packets (namespaces, events, acks). The default.
    #[default]
    SocketIo,
    /// Plain Engine.IO: each message is reported as it arrives
    /// ([`ServerEvent::Message`](crate::ServerEvent::Message)), text or binary, and nothing is
    /// decoded further. This is what engine.io-protocol's test suite talks to.
    EngineIo,
}

/// Settings of a server-role session ([`ServerSession`](crate::ServerSession)).
///
/// The defaults are the reference server's (`engine.io` 6 / `socket.io` 4). Build one with
/// `ServerConfig::default()` and assign the fields to change:
///
/// ```
/// use std::time::Duration;
/// let mut config = sio_session::ServerConfig::default();
/// config.ping_interval = Duration::from_millis(300);
/// config.ping_timeout = Duration::from_millis(200);
/// config.connect_timeout = Some(Duration::from_millis(1000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How long after the handshake (and after each pong) the server sends a ping. Sent to the
    /// client as `pingInterval`. Default 25 s.
    pub ping_interval: Duration,
    /// How long the client has to answer a ping with a pong before the session is closed.
    /// Sent as `pingTimeout`. Default 20 s.
    pub ping_timeout: Duration,
    /// The largest message (WebSocket frame, or polling `POST` body) accepted, in bytes. Sent
    /// as `maxPayload`; anything longer closes the session. Default 1 000 000.
    pub max_payload: u64,
    /// Whether a long-polling session may upgrade to WebSocket. A polling session's handshake
    /// then says `"upgrades":["websocket"]`; a WebSocket session's always says `[]`.
    /// Default `true`.
    pub allow_upgrades: bool,
    /// How long a probing WebSocket has to complete the upgrade (`2probe` then `5`) before it
    /// is closed and the session stays on long-polling. Default 10 s.
    pub upgrade_timeout: Duration,
    /// How long a server-initiated close waits for the client's next poll to deliver the
    /// `close` packet, on long-polling. Default 30 s (engine.io's `closeTimeout`).
    pub close_timeout: Duration,
    /// Long-polling: when the client's own `close` packet arrives in a `POST` while none of
    /// its `GET`s is pending, how long the session waits for a `GET` sent alongside the
    /// `close` that lost the race to it. That `GET` is answered with `noop` (`6`), as engine.io
    /// answers a `GET` pending when the `close` arrives, and the session ends
    /// ([`CloseReason::PeerClose`](crate::CloseReason::PeerClose)) then, or after this long.
    /// `Duration::ZERO` ends it at once: such a `GET` then meets an unknown sid (HTTP 400).
    /// Default 1 s.
    pub peer_close_grace: Duration,
    /// Which layers the session speaks. Default [`Layer::SocketIo`].
    pub layer: Layer,
    /// Socket.IO: how long the client has to connect to a first namespace before the session
    /// is closed. `None` waits forever. Default 45 s (socket.io's `connectTimeout`).
    pub connect_timeout: Option<Duration>,
    /// Socket.IO: the namespaces that exist. A CONNECT to any other is refused at once the way
    /// socket.io refuses it (`44/nsp,{"message":"Invalid namespace"}`), without reaching the
    /// application. `None` (the default) hands every CONNECT to the application as a
    /// [`ServerEvent::ConnectRequest`](crate::ServerEvent::ConnectRequest).
    pub namespaces: Option<BTreeSet<String>>,
    /// Codec limits applied to incoming Socket.IO packets (attachments, namespace length, ack
    /// id range, JSON depth, binary bytes). Default [`sio_wire::Limits::default`], except
    /// `max_attachments`, which is [`DEFAULT_SERVER_MAX_ATTACHMENTS`] as in the reference
    /// server: a BINARY_EVENT or BINARY_ACK announcing more is malformed and closes the
    /// session. (The codec's own default stays higher, to read captures of any peer.)
    pub limits: sio_wire::Limits,
    /// Long-polling: the most packets one poll response carries; what is left goes out on the
    /// next poll, which clients send as soon as a response arrives. `0` sends the whole queue
    /// at once, as engine.io's reference server does. Default 16: python-engineio clients
    /// refuse a payload of more packets than that (its `max_decode_packets` flood guard) and
    /// drop the session, while JavaScript clients accept any count.
    pub max_packets_per_poll: usize,
}

/// The most binary attachments a server-role session accepts in one packet by default:
/// socket.io-parser's `maxAttachments` default (10 in socket.io-parser 4.2), which the
/// reference server refuses above with "too many attachments".
pub const DEFAULT_SERVER_MAX_ATTACHMENTS: u32 = 10;

impl Default for ServerConfig {
    fn default() -> Self {
        let mut limits = sio_wire::Limits::default();
        limits.max_attachments = DEFAULT_SERVER_MAX_ATTACHMENTS;
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            allow_upgrades: true,
            upgrade_timeout: Duration::from_millis(10_000),
            close_timeout: Duration::from_millis(30_000),
            peer_close_grace: Duration::from_millis(1_000),
            layer: Layer::SocketIo,
            connect_timeout: Some(Duration::from_millis(45_000)),
            namespaces: None,
            limits,
            max_packets_per_poll: 16,
        }
    }
}

impl ServerConfig {
    /// The settings the official protocol test suites expect from the reference servers in
    /// their READMEs: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1 000 000,
    /// connectTimeout 1000 ms, and the namespaces `/` and `/custom` (for the engine.io suite,
    /// set `layer` to [`Layer::EngineIo`]).
    pub fn protocol_test_suite() -> Self {
        Self {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            connect_timeout: Some(Duration::from_millis(1000)),
            namespaces: Some(["/".to_owned(), "/custom".to_owned()].into()),
            ..Self::default()
        }
    }
}

/// Settings of a client-role session ([`ClientSession`](crate::ClientSession)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Which layers the session speaks. Default [`Layer::SocketIo`].
    pub layer: Layer,
    /// How long to wait for the server's `open` packet before giving up. `None` waits
    /// forever. Default 20 s (socket.io-client's `timeout`).
    pub open_timeout: Option<Duration>,
    /// Codec limits applied to incoming Socket.IO packets. Default
    /// [`sio_wire::Limits::default`].
    pub limits: sio_wire::Limits,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            layer: Layer::SocketIo,
            open_timeout: Some(Duration::from_millis(20_000)),
            limits: sio_wire::Limits::default(),
        }
    }
}
