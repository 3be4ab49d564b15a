//! The command line, as clap derive types: one `*Args` struct per subcommand.
//!
//! The `///` comment on each item is its `--help` text, and each subcommand's `after_help` holds
//! a worked example, so `--help` teaches by showing. Flags are parsed here and converted to
//! library configuration in `cmd/<subcommand>.rs`; nothing in this file does any work.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The `--help` heading of the flags every subcommand accepts.
const GLOBAL: &str = "Global options";

/// Record, replay and test Socket.IO traffic (Engine.IO v4 / Socket.IO v5).
///
/// Built for TPOS's realtime chat server rt-2 and its `/chatomni` namespace, and usable with
/// any Socket.IO v4 server.
#[derive(Debug, Parser)]
#[command(name = "sio-replay", version, propagate_version = true)]
#[command(after_help = "\
Examples:
  sio-replay serve                                  # mock rt-2 with the bundled capture
  sio-replay decode captures/rt2-chatomni.jsonl     # read a capture frame by frame
  SIO_TOKEN=... sio-replay record wss://rt-2.tpos.app --room tomato.tpos.vn -o s.jsonl
  sio-replay check --offline s.jsonl --golden s.snap

Exit status: 0 success, 1 `check` or `validate` found a difference or a `load` threshold
failed, 2 error.
Logs go to stderr: -v, -vv, -vvv, or RUST_LOG (e.g. RUST_LOG=rt2_mock=debug). Tokens are
redacted from every line, and the WebSocket, HTTP and TLS crates log at most at info level
unless RUST_LOG names them (e.g. RUST_LOG=debug,tungstenite=trace).")]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,

    /// Output format: `human` on a terminal, `json` (one object per line) in a pipe.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Auto, help_heading = GLOBAL)]
    pub(crate) format: FormatArg,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, help_heading = GLOBAL)]
    pub(crate) color: ColorArg,

    /// More logging on stderr: -v info, -vv debug, -vvv trace. RUST_LOG, when set, wins.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub(crate) verbose: u8,

    /// No progress bars and no logging below errors.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub(crate) quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Record a live session (ws:// or wss://) into a native capture.
    #[command(after_help = "\
Example:
  export SIO_TOKEN='eyJhbGciOi...'          # never written to disk or to the capture
  sio-replay record wss://rt-2.tpos.app --room tomato.tpos.vn \\
      --events 50 --duration 10m -o captures/today.jsonl

The capture is flushed line by line: Ctrl-C leaves a valid file holding every frame
received before it, synced to disk. After a dropped connection the recorder reconnects
with backoff and writes a gap record.")]
    Record(RecordArgs),

    /// Serve a capture as a mock rt-2 server that real socket.io clients can connect to.
    #[command(after_help = "\
Example:
  sio-replay serve                          # bundled capture on 127.0.0.1:3000
  sio-replay serve my.jsonl --port 0 --auth any --speed 10

The banner prints the URL, the room and a token the mock accepts (with --secret-env,
only when --print-token asks, and then valid for an hour), and the admin API's URL and
token (see docs/admin-api.md). Stop with Ctrl-C.")]
    Serve(ServeArgs),

    /// Compare a session's normalised transcript with a golden snapshot (insta `.snap`).
    #[command(after_help = "\
Examples:
  sio-replay check --offline captures/rt2-chatomni.jsonl --golden golden.snap
  sio-replay check --serve captures/rt2-chatomni.jsonl --golden golden.snap
  sio-replay check --url ws://127.0.0.1:3000 --room tomato.tpos.vn \\
      --capture captures/rt2-chatomni.jsonl --golden golden.snap
  sio-replay check --serve captures/rt2-chatomni.jsonl --script client.txt --golden golden.snap
  sio-replay check --serve captures/rt2-chatomni.jsonl --asyncapi asyncapi.json
  sio-replay check --url ws://127.0.0.1:4000 --capture session.jsonl \\
      --baseline-runs 2 --golden live.snap             # noise learned, kept in live.noise.json
  sio-replay check --baseline-url ws://prod:4000 --url ws://staging:4000 \\
      --capture session.jsonl --baseline-runs 3        # the candidate against the reference

A mismatch prints a decoded unified diff, writes `<golden>.new` for `cargo insta review`,
and exits 1, as does a frame that breaks the --asyncapi contract. `--accept` writes
the golden instead. Errors exit 2.")]
    Check(CheckArgs),

    /// Convert a HAR file, a pcap or a DevTools/text frame log into a native capture.
    #[command(after_help = "\
Example:
  sio-replay import session.har -o captures/session.jsonl
  sio-replay import frames.txt --from text -o captures/frames.jsonl
  sudo tcpdump -i lo -s 0 -w session.pcap 'tcp port 3000'   # then:
  sio-replay import session.pcap -o captures/session.jsonl

A pcap or pcapng file of plaintext ws:// or long-polling traffic becomes one connection per
Engine.IO session; TLS streams are listed as skipped (see docs/pcap.md).

Tokens (JWTs, `token` fields, Authorization headers) are redacted on the way in;
the summary says what was redacted.")]
    Import(ImportArgs),

    /// Decode frames from a capture, a HAR file or stdin (one frame per line).
    #[command(after_help = "\
Examples:
  sio-replay decode captures/rt2-chatomni.jsonl
  echo '42/chatomni,[\"on-events\",\"{}\"]' | sio-replay decode -
  sio-replay decode session.har --format json | jq .socket_type

A frame that does not decode is shown as an error with its kind and byte offset.")]
    Decode(DecodeArgs),

    /// Infer an AsyncAPI 3.0 document from captures, HAR files, pcaps or DevTools logs.
    #[command(after_help = "\
Examples:
  sio-replay asyncapi captures/rt2-chatomni.jsonl session.har -o asyncapi.json
  sio-replay asyncapi captures/*.jsonl -o asyncapi.yaml     # JSON, which is also YAML

Each namespace becomes a channel, each event name per direction a message whose payload
schema is inferred from every observed argument; acks are the message's `x-ack`.
Operations take the server's side: `send` for what it emits, `receive` for the client's.
Tokens are redacted before anything is inferred. The same input gives the same document.
See docs/asyncapi.md.")]
    Asyncapi(AsyncapiArgs),

    /// Check every frame of captures against an AsyncAPI document.
    #[command(after_help = "\
Example:
  sio-replay asyncapi captures/rt2-chatomni.jsonl -o asyncapi.json
  sio-replay validate today.jsonl --asyncapi asyncapi.json --junit validate.xml

Each violation names the frame (numbered as `decode` numbers them), the JSON path from the
event's argument list (`$[0](json).Message.MessageType`: `(json)` steps into JSON held in
a string) and the rule. Exits 1 when a frame breaks the contract, 2 on errors.")]
    Validate(ValidateArgs),

    /// Connect N clients to a server and measure connect time, events/s and latency.
    #[command(after_help = "\
Examples:
  sio-replay serve --port 3000 --speed 0 &
  sio-replay load ws://127.0.0.1:3000 --room tomato.tpos.vn --clients 100 --duration 10s
  sio-replay load ws://127.0.0.1:3000 --room tomato.tpos.vn --replay captures/rt2-chatomni.jsonl

  # One of four segments, on four hosts, starting together; then merge and judge:
  sio-replay load ws://mock:3000 --room tomato.tpos.vn --clients 4000 \\
      --segment 2/4 --start-at 1767225600000 --report seg2.json
  sio-replay load merge seg*.json --max-p99 5ms --min-rate 100000

Clients ask for send-time stamps (stamp=1); sio-replay's mock appends its emit time
and the report gives emit-to-receive latency. Prints one JSON report in a pipe or with
--format json. Exits 1 when a threshold (--max-p99, --min-rate) fails, 2 on errors.
See docs/load.md.")]
    Load(LoadCommand),

    /// Browse captures in a web view (sessions, frame timeline, chart, filter, export).
    #[command(after_help = "\
Examples:
  sio-replay ui captures/rt2-chatomni.jsonl
  sio-replay ui session.har other.jsonl --port 8080

Serves the view on 127.0.0.1 and prints its URL with a token made for this run
(`ui: http://127.0.0.1:PORT/__ui/?token=…`); open it in a browser. Any input `decode`
reads works (native captures, HAR files, pcaps, DevTools logs); tokens are redacted before
they reach the page. For live sessions use `serve --ui`. See docs/ui.md.")]
    Ui(UiArgs),

    /// Record a real client and a real server: a reverse proxy in front of the server, or a
    /// forward proxy for browsers.
    #[command(after_help = "\
Examples:
  sio-replay proxy --upstream https://rt-2.tpos.app -o session.jsonl
  # then point the client at http://127.0.0.1:3000 instead of the server
  sio-replay proxy --upstream http://127.0.0.1:3001 --port 8080 -v   # pings shown too
  sio-replay proxy --upstream http://127.0.0.1:3001 --ui    # and the web view (docs/ui.md)

  sio-replay ca init                                  # once: the local CA forward mode signs with
  sio-replay proxy --mode forward --intercept '*.tpos.app' -o session.jsonl
  chromium --proxy-server=http://127.0.0.1:3000 \\
    --ignore-certificate-errors-spki-list=$(sio-replay ca export --pin)

Both transports are relayed byte for byte: long-polling requests stream through, the
WebSocket upgrade is forwarded and the server's 101 returned unchanged. Each Engine.IO
session becomes one connection in the capture, whichever transports it used; other HTTP
requests (e.g. /api/facebook-graph/livevideo) are kept as HTTP exchanges. Tokens are
redacted as `record` redacts them. One line per Socket.IO packet is printed as it
passes; Ctrl-C prints a summary and leaves a valid capture. In forward mode, CONNECT to
a host matching --intercept is decrypted with a certificate from the local CA and recorded
the same way; every other CONNECT is tunnelled blind. See docs/proxy.md.")]
    Proxy(ProxyArgs),

    /// The local certificate authority of `proxy --mode forward`: create it, export it.
    #[command(after_help = "\
Examples:
  sio-replay ca init                        # once: a key (mode 0600) and a CA certificate
  sio-replay ca export -o sio-replay-ca.pem # the certificate to trust, and its SPKI pin
  sio-replay ca export --pin                # the pin alone, for Chromium:
  chromium --proxy-server=http://127.0.0.1:3000 \\
    --ignore-certificate-errors-spki-list=$(sio-replay ca export --pin)

The CA lives in $SIO_REPLAY_CA_DIR, else $XDG_CONFIG_HOME/sio-replay/ca, else
~/.config/sio-replay/ca. Every certificate the proxy makes carries the CA's own key, so the
one pin covers every intercepted host. The key never leaves that directory and never
reaches a capture. See docs/proxy.md for trusting the CA system-wide.")]
    Ca(CaCommand),

    /// Print a shell completion script.
    #[command(after_help = "\
Example:
  sio-replay completions bash > ~/.local/share/bash-completion/completions/sio-replay
  sio-replay completions zsh > ~/.zfunc/_sio-replay")]
    Completions(CompletionsArgs),
}

/// `ca` subcommands.
#[derive(Debug, Args)]
pub(crate) struct CaCommand {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: CaSubcommand,
}

/// `ca init` and `ca export`.
#[derive(Debug, Subcommand)]
pub(crate) enum CaSubcommand {
    /// Create the CA: a private key (mode 0600) and a self-signed CA certificate.
    #[command(after_help = "\
Example:
  sio-replay ca init
  SIO_REPLAY_CA_DIR=/tmp/test-ca sio-replay ca init --force")]
    Init(CaInitArgs),
    /// Print the CA certificate (PEM) and its SPKI pin, or write the certificate to a file.
    #[command(after_help = "\
Example:
  sio-replay ca export -o sio-replay-ca.pem
  sio-replay ca export --pin     # base64 SHA-256 of the key, for --ignore-certificate-errors-spki-list")]
    Export(CaExportArgs),
}

/// Where the CA lives.
#[derive(Debug, Args)]
pub(crate) struct CaDir {
    /// The CA's directory (default $XDG_CONFIG_HOME/sio-replay/ca, else
    /// ~/.config/sio-replay/ca).
    #[arg(long, env = "SIO_REPLAY_CA_DIR", value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
}

/// `ca init` flags.
#[derive(Debug, Args)]
pub(crate) struct CaInitArgs {
    #[command(flatten)]
    pub(crate) dir: CaDir,
    /// Replace an existing CA (clients trusting the old one must trust the new one).
    #[arg(long)]
    pub(crate) force: bool,
}

/// `ca export` flags.
#[derive(Debug, Args)]
pub(crate) struct CaExportArgs {
    #[command(flatten)]
    pub(crate) dir: CaDir,
    /// Write the certificate (PEM) to this file instead of printing it.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long, requires = "output")]
    pub(crate) force: bool,
    /// Print only the SPKI pin (base64 SHA-256 of the CA's public key).
    #[arg(long, conflicts_with = "output")]
    pub(crate) pin: bool,
}

/// `proxy --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProxyModeArg {
    /// In front of one server (--upstream): the client connects to the proxy instead.
    Reverse,
    /// An HTTP proxy with CONNECT, for browsers (--proxy-server).
    Forward,
}

/// `proxy` flags.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Reverse (in front of --upstream) or forward (an HTTP proxy for browsers).
    #[arg(long, value_enum, default_value_t = ProxyModeArg::Reverse)]
    pub(crate) mode: ProxyModeArg,

    /// Reverse mode: the server to relay to, http://host[:port] or https://host[:port]
    /// (verified against the system's trust store).
    #[arg(long, value_name = "URL")]
    pub(crate) upstream: Option<String>,

    /// Forward mode: decrypt and record CONNECTs to hosts matching this glob (`*` any run of
    /// characters, e.g. '*.tpos.app', localhost, 127.0.0.1). Repeatable. Needs `ca init`.
    #[arg(long, value_name = "GLOB")]
    pub(crate) intercept: Vec<String>,

    /// Forward mode: reach every upstream through this HTTP proxy (CONNECT), e.g. a
    /// corporate one: http://host:port.
    #[arg(long, value_name = "URL")]
    pub(crate) upstream_proxy: Option<String>,

    #[command(flatten)]
    pub(crate) ca: CaDir,

    /// The port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    pub(crate) port: u16,

    /// Write the capture here (JSON Lines, flushed per line). Without it, traffic is only
    /// shown.
    #[arg(short, long, value_name = "OUTPUT")]
    pub(crate) output: Option<PathBuf>,

    /// Also trust the CA certificates in this PEM file for the upstream's TLS.
    #[arg(long, value_name = "FILE")]
    pub(crate) upstream_ca: Option<PathBuf>,

    /// Also answer requests for this host name. Repeatable. Without it only localhost and
    /// loopback addresses are answered, so that web pages cannot reach the proxy through DNS
    /// rebinding.
    #[arg(long, value_name = "NAME")]
    pub(crate) allow_host: Vec<String>,

    /// Keep tokens in the capture instead of redacting them (for local test servers only).
    /// The file is then readable by you only (mode 0600).
    #[arg(long)]
    pub(crate) no_redact: bool,

    /// Overwrite OUTPUT if it exists.
    #[arg(long, requires = "output")]
    pub(crate) force: bool,

    /// Also serve the web view of the traffic (sessions, frames, filter, export) on another
    /// port of 127.0.0.1; its URL, with a per-run token, is printed in the banner.
    #[arg(long)]
    pub(crate) ui: bool,

    /// The web view's port on 127.0.0.1 (0, the default, picks a free one).
    #[arg(long, default_value_t = 0, requires = "ui", value_name = "PORT")]
    pub(crate) ui_port: u16,
}

/// Output format choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// Human on a terminal, JSON in a pipe.
    Auto,
    /// For people: aligned, coloured when the terminal allows.
    Human,
    /// One JSON object per line.
    Json,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where a bearer token comes from. Shared by `record`, `check` and `load`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TokenArgs {
    /// Read the client's JWT from this environment variable [default: SIO_TOKEN, if set].
    /// The token is sent to the server and never written to disk.
    #[arg(long, value_name = "NAME")]
    pub(crate) token_env: Option<String>,

    /// Pass the JWT on the command line (visible in `ps` and shell history; prefer --token-env).
    #[arg(long, value_name = "JWT", conflicts_with = "token_env")]
    pub(crate) token_insecure: Option<String>,
}

/// `record` flags.
#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// Server to record: ws://, wss://, http:// or https:// (the /socket.io/ path is added).
    #[arg(value_name = "URL")]
    pub(crate) url: String,

    /// The tenant, sent as the `room` query parameter.
    #[arg(long)]
    pub(crate) room: Option<String>,

    /// The Socket.IO namespace to connect to.
    #[arg(long, default_value = tpos_chat::NAMESPACE, value_parser = parse_namespace)]
    pub(crate) namespace: String,

    /// The token.
    #[command(flatten)]
    pub(crate) token: TokenArgs,

    /// Write the capture here (never through a symbolic link: a link there is refused).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// Stop after this many Socket.IO events have been received.
    #[arg(long, value_name = "N")]
    pub(crate) events: Option<u64>,

    /// Stop after this long (e.g. `90s`, `10m`, `1h`).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) duration: Option<Duration>,

    /// Trust this PEM CA certificate for wss:// (e.g. the one `serve --tls` writes).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,

    /// Also record this HTTP GET exchange (repeatable), e.g. the live-video REST endpoint.
    #[arg(long, value_name = "URL")]
    pub(crate) http_get: Vec<String>,

    /// Give up after this many reconnects in a row (0 never reconnects).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) max_reconnects: u32,

    /// Keep tokens in the capture instead of redacting them (for local test servers only).
    /// The file is then readable by you only (mode 0600).
    #[arg(long)]
    pub(crate) no_redact: bool,

    /// Overwrite OUTPUT if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Who checks a client's token when it connects to `/chatomni`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthArg {
    /// Accept any token, or none.
    Any,
    /// Decode the JWT (no signature check): TenantId must match the room and exp be in the future.
    Claims,
    /// As `claims`, and verify the HS256 signature with the secret (rejects `alg: none`).
    Hs256,
}

/// How the mock replays a capture's server frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReplayModeArg {
    /// Every client gets the whole capture from its start.
    PerConnection,
    /// One shared timeline per room; clients join it midway.
    Live,
}

/// `serve` flags.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Capture to serve (default: the bundled rt-2 /chatomni capture). A HAR file, a pcap or a
    /// DevTools message log is imported in memory first, tokens redacted, as `import` would.
    #[arg(value_name = "CAPTURE")]
    pub(crate) capture: Option<PathBuf>,

    /// Address to listen on. Anything but loopback exposes the mock to the network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub(crate) bind: IpAddr,

    /// Port to listen on (0 picks a free one; the banner shows it) [default: the scenario's
    /// port, else 3000].
    #[arg(long, short, value_name = "PORT")]
    pub(crate) port: Option<u16>,

    /// Scenario rules: a bundled one (rt2, socketio-protocol, engineio-protocol) or a TOML
    /// file (see docs/scenarios.md). Its [server] settings apply where no flag is given.
    #[arg(long, value_name = "NAME|FILE", default_value = "rt2")]
    pub(crate) scenario: String,

    /// How tokens are checked.
    #[arg(long, value_enum, default_value_t = AuthArg::Claims)]
    pub(crate) auth: AuthArg,

    /// With --auth hs256: read the HMAC secret from this environment variable
    /// (default: the synthetic test secret, so the banner's token verifies). A token signed
    /// with a real secret is not printed unless --print-token asks for one.
    #[arg(long, value_name = "NAME")]
    pub(crate) secret_env: Option<String>,

    /// With --secret-env: print a token signed with that secret in the banner, valid for one
    /// hour only (the test secret's token is always printed, valid for a day).
    #[arg(long, requires = "secret_env")]
    pub(crate) print_token: bool,

    /// The tenant the mock serves (default: the capture's room).
    #[arg(long)]
    pub(crate) room: Option<String>,

    /// Replay speed: 1 is the original timing, 10 is ten times faster, 0.5 half as fast, 0 as
    /// fast as the client reads. Any finite factor is taken: a gap that the factor stretches
    /// beyond 30 years never comes, and with --loop at most one pass starts per millisecond.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub(crate) speed: f64,

    /// Per-connection replay or one live timeline per room.
    #[arg(long, value_enum, default_value_t = ReplayModeArg::PerConnection)]
    pub(crate) mode: ReplayModeArg,

    /// Start again from the beginning when the capture ends.
    #[arg(long = "loop")]
    pub(crate) loop_replay: bool,

    /// Serve wss:// with a self-signed certificate; its CA goes to --ca-out.
    #[arg(long)]
    pub(crate) tls: bool,

    /// With --tls: where to write the CA certificate (PEM) that clients should trust (replaced
    /// on every run, never through a symbolic link).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "sio-replay-ca.pem",
        requires = "tls"
    )]
    pub(crate) ca_out: PathBuf,

    /// Who may use the admin HTTP API under /__admin/ (inject events, list sessions, faults).
    #[arg(long, value_enum, default_value_t = AdminArg::Loopback)]
    pub(crate) admin: AdminArg,

    /// Let the admin API be used without its token. By default each run makes a new token,
    /// shown in the banner, that admin requests send as `Authorization: Bearer <token>`; set
    /// SIO_ADMIN_TOKEN to choose it instead.
    #[arg(long)]
    pub(crate) admin_open: bool,

    /// Let web pages of this origin (e.g. http://localhost:5173) call the admin API, with the
    /// token. Repeatable. By default the admin API refuses every page of another origin.
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) admin_allow_origin: Vec<String>,

    /// Also answer requests for this host name (e.g. a container's service name). Repeatable.
    /// Without it only localhost, loopback addresses and the listening address are answered,
    /// so that web pages cannot reach the mock through DNS rebinding.
    #[arg(long, value_name = "NAME")]
    pub(crate) allow_host: Vec<String>,

    /// Let only pages of this origin (e.g. http://localhost:5173) use long-polling and the
    /// live-video endpoint (CORS) [default: any origin, or the scenario's cors_origin].
    /// Repeatable.
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) allow_origin: Vec<String>,

    /// Serve the web view under /__ui/ on the same port: live sessions, their frames, and
    /// buttons that call the admin API. The banner prints its URL with the token (the admin
    /// token, or one made for the view when --admin-open waives it). See docs/ui.md.
    #[arg(long)]
    pub(crate) ui: bool,

    /// Faults to inject into every session.
    #[command(flatten)]
    pub(crate) faults: FaultArgs,
}

/// `ui` flags.
#[derive(Debug, Args)]
pub(crate) struct UiArgs {
    /// Captures to show: native captures, HAR files, pcaps or DevTools logs. Each file's connections
    /// are numbered after the previous file's.
    #[arg(value_name = "CAPTURE", required = true)]
    pub(crate) captures: Vec<PathBuf>,

    /// Port to listen on, on 127.0.0.1 (0 picks a free one; the banner shows it).
    #[arg(long, short, default_value_t = 0, value_name = "PORT")]
    pub(crate) port: u16,

    /// Also answer requests for this host name. Repeatable. Without it only localhost and
    /// loopback addresses are answered, so that web pages cannot reach the view through DNS
    /// rebinding.
    #[arg(long, value_name = "NAME")]
    pub(crate) allow_host: Vec<String>,
}

/// Who may use the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AdminArg {
    /// Clients on a loopback address only.
    Loopback,
    /// Anyone who can reach the port (only inside a private network).
    Anyone,
    /// Nobody: /__admin/ answers 404.
    Off,
}

/// Faults for every session of `serve` (the admin API can change them at run time).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Faults")]
pub(crate) struct FaultArgs {
    /// Deliver every frame this many milliseconds late.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) latency_ms: u64,

    /// Cut the TCP connection after sending this many events.
    #[arg(long, value_name = "N")]
    pub(crate) drop_after: Option<u64>,

    /// Go silent (send and process nothing, pings included) after this many events.
    #[arg(long, value_name = "N")]
    pub(crate) stop_answering_after: Option<u64>,

    /// Never send Engine.IO pings.
    #[arg(long)]
    pub(crate) stop_pinging: bool,

    /// Send one malformed frame after this many events (0: right after the connect).
    #[arg(long, value_name = "N")]
    pub(crate) malformed_after: Option<u64>,

    /// Refuse every /chatomni connect with this CONNECT_ERROR message.
    #[arg(long, value_name = "MESSAGE")]
    pub(crate) reject_auth: Option<String>,

    /// Close sessions cleanly (DISCONNECT, close) after this many events.
    #[arg(long, value_name = "N")]
    pub(crate) close_after: Option<u64>,
}

/// `check` flags.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The golden transcript (insta `.snap` format).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present_any = ["asyncapi", "baseline_runs"]
    )]
    pub(crate) golden: Option<PathBuf>,

    /// Also check every frame against this AsyncAPI document (as `validate` does); with no
    /// --golden, only that.
    #[arg(long, value_name = "FILE")]
    pub(crate) asyncapi: Option<PathBuf>,

    /// Compare this existing capture with the golden, without any server. Here and in
    /// --serve and --capture, a HAR file, pcap or DevTools log is imported in memory (redacted).
    #[arg(
        long,
        value_name = "CAPTURE",
        conflicts_with_all = ["url", "serve", "script", "scenario"]
    )]
    pub(crate) offline: Option<PathBuf>,

    /// Start the mock in-process on 127.0.0.1 serving this capture, and run the session
    /// against it (the capture's client frames drive the session unless --script is given).
    #[arg(long, value_name = "CAPTURE", conflicts_with = "url")]
    pub(crate) serve: Option<PathBuf>,

    /// Run the session against this server (live or a running mock).
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,

    /// Replay the client frames of this capture to drive the session (with --url).
    #[arg(long, value_name = "CAPTURE", conflicts_with_all = ["script", "scenario"])]
    pub(crate) capture: Option<PathBuf>,

    /// Drive the session from a script instead: one client frame per line, as it goes on the
    /// wire (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub(crate) script: Option<PathBuf>,

    /// The old name of --script, hidden and kept for one release (`serve --scenario` is a
    /// file of server rules, which this never was).
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "script")]
    pub(crate) scenario: Option<PathBuf>,

    /// The tenant (`room` query parameter) for a live session.
    #[arg(long)]
    pub(crate) room: Option<String>,

    /// The token for a live session.
    #[command(flatten)]
    pub(crate) token: TokenArgs,

    /// Stop the session after this many server events.
    #[arg(long, value_name = "N")]
    pub(crate) events: Option<u64>,

    /// Stop the session after this long. Against --serve the session ends once every event of
    /// the capture arrived, and this only caps it: a run it cuts short is reported as
    /// incomplete and never accepted as the golden.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) duration: Duration,

    /// Write the transcript as the new golden instead of comparing.
    #[arg(long, requires = "golden")]
    pub(crate) accept: bool,

    /// Also write a JUnit XML report here (for CI dashboards).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,

    /// Learn noise first: run the session this many times (at least 2) against the reference
    /// server (--baseline-url, else --url), take every JSON path that differs between those
    /// runs for noise, then run it once more against --url and compare that run with the
    /// first baseline run ignoring the noise (replies matched by namespace, event and ack id).
    /// With --golden, the golden holds the run's replies with the noise masked, and the noise
    /// is kept beside it in `<golden>.noise.json`.
    #[arg(
        long,
        value_name = "N",
        requires = "url",
        conflicts_with_all = ["offline", "serve"],
        value_parser = clap::value_parser!(u32).range(2..=100)
    )]
    pub(crate) baseline_runs: Option<u32>,

    /// The reference server of --baseline-runs, when it is not --url (the candidate).
    #[arg(long, value_name = "URL", requires = "baseline_runs")]
    pub(crate) baseline_url: Option<String>,
}

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormatArg {
    /// Guess from the content.
    Auto,
    /// A native sio-replay capture (JSON Lines).
    Capture,
    /// HAR 1.2 with `_webSocketMessages` (Chrome, Edge).
    Har,
    /// A DevTools message log copied as text.
    Devtools,
    /// One raw frame per line.
    Text,
    /// A packet capture, pcap or pcapng (tcpdump, Wireshark).
    Pcap,
}

/// `import` flags.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The HAR file, packet capture (pcap, pcapng) or text log to import.
    #[arg(value_name = "INPUT")]
    pub(crate) input: PathBuf,

    /// Where to write the native capture (never through a symbolic link: a link there is
    /// refused).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// What the input is.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub(crate) from: InputFormatArg,

    /// The tenant to record in the capture header, when the input does not say.
    #[arg(long)]
    pub(crate) room: Option<String>,

    /// Keep tokens instead of redacting them. The file is then readable by you only (mode
    /// 0600).
    #[arg(long)]
    pub(crate) no_redact: bool,

    /// Overwrite OUTPUT if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `decode` flags.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// A capture, a HAR file, a pcap, or `-` for stdin (one frame per line).
    #[arg(value_name = "INPUT")]
    pub(crate) input: PathBuf,

    /// What the input is.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub(crate) from: InputFormatArg,

    /// Show only frames of this direction.
    #[arg(long, value_enum)]
    pub(crate) only: Option<DirectionArg>,
}

/// `asyncapi` flags.
#[derive(Debug, Args)]
pub(crate) struct AsyncapiArgs {
    /// Captures, HAR files, pcaps or DevTools logs to infer the document from.
    #[arg(value_name = "CAPTURE", required = true)]
    pub(crate) captures: Vec<PathBuf>,

    /// Write the document here (JSON, under any name: a .yaml file gets JSON, which is YAML)
    /// instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// What the inputs are.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub(crate) from: InputFormatArg,

    /// A string or integer field with at most this many distinct values becomes an `enum`
    /// (0: never).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub(crate) enum_max: usize,

    /// An `enum` needs each of its values seen at least this many times, so that a few names
    /// or ids seen once each never become a closed set.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub(crate) enum_min_count: u64,

    /// Overwrite OUTPUT if it exists.
    #[arg(long, requires = "output")]
    pub(crate) force: bool,
}

/// `validate` flags.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Captures, HAR files, pcaps or DevTools logs to check.
    #[arg(value_name = "CAPTURE", required = true)]
    pub(crate) captures: Vec<PathBuf>,

    /// The AsyncAPI 3 document (JSON, as `asyncapi` writes it).
    #[arg(long, value_name = "FILE")]
    pub(crate) asyncapi: PathBuf,

    /// What the inputs are.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub(crate) from: InputFormatArg,

    /// Also write a JUnit XML report here (one test case per capture).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
}

/// A frame's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DirectionArg {
    /// Sent by the client.
    Client,
    /// Sent by the server.
    Server,
}

/// `load`: a run (flags and a URL), or `load merge`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub(crate) struct LoadCommand {
    /// `merge`, or nothing for a run.
    #[command(subcommand)]
    pub(crate) command: Option<LoadSubcommand>,

    /// The run's flags.
    #[command(flatten)]
    pub(crate) run: LoadArgs,
}

/// What `load` can do besides a run.
#[derive(Debug, Subcommand)]
pub(crate) enum LoadSubcommand {
    /// Merge the --report files of a run's segments into one result, and judge it.
    #[command(after_help = "\
Example:
  sio-replay load merge seg0.json seg1.json seg2.json seg3.json --max-p99 5ms

Counters add and histograms add, so percentiles are those of every sample together.
Names the segments that are missing. Exits 1 when a threshold fails, 2 on a file that
is not a load report, or segments given twice or from different splits.")]
    Merge(LoadMergeArgs),
}

/// Pass/fail thresholds, for `load` and `load merge`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ThresholdArgs {
    /// Fail (exit 1) when the emit-to-receive latency p99 is above this, e.g. 5ms (or when no
    /// event carried a send-time stamp).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_p99: Option<Duration>,

    /// Fail (exit 1) when fewer events per second were received, all clients together.
    #[arg(
        long,
        value_name = "EVENTS_PER_SECOND",
        value_parser = parse_min_rate,
        allow_negative_numbers = true
    )]
    pub(crate) min_rate: Option<f64>,
}

/// `load merge` flags.
#[derive(Debug, Args)]
pub(crate) struct LoadMergeArgs {
    /// Report files written by `load --report`.
    #[arg(value_name = "REPORT", required = true)]
    pub(crate) reports: Vec<PathBuf>,

    /// Thresholds.
    #[command(flatten)]
    pub(crate) thresholds: ThresholdArgs,
}

/// `load` flags.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// The server: ws://, wss://, http:// or https://.
    #[arg(value_name = "URL", required = true)]
    pub(crate) url: Option<String>,

    /// The tenant, sent as the `room` query parameter.
    #[arg(long)]
    pub(crate) room: Option<String>,

    /// The Socket.IO namespace to connect to.
    #[arg(long, default_value = tpos_chat::NAMESPACE, value_parser = parse_namespace)]
    pub(crate) namespace: String,

    /// The token.
    #[command(flatten)]
    pub(crate) token: TokenArgs,

    /// How many clients to connect.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub(crate) clients: u32,

    /// How long to measure once every client is connected.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) duration: Duration,

    /// Give up on a client whose connect takes longer than this.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) connect_timeout: Duration,

    /// Open at most this many connections at once while ramping up.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: u32,

    /// Trust this PEM CA certificate for wss://.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,

    /// Sample this server process's resident memory (Linux) before and after connecting, to
    /// report memory per connection.
    #[arg(long, value_name = "PID")]
    pub(crate) server_pid: Option<u32>,

    /// Also emit this event with an ack from every client during the window and report the
    /// round trips (the server must ack it, e.g. `serve --scenario socketio-protocol` acks
    /// `message-with-ack` on `/`).
    #[arg(long, value_name = "EVENT")]
    pub(crate) ack_event: Option<String>,

    /// With --ack-event: emits per second per client.
    #[arg(
        long,
        value_name = "PER_SECOND",
        default_value_t = 10.0,
        requires = "ack_event",
        value_parser = parse_rate,
        allow_negative_numbers = true
    )]
    pub(crate) ack_rate: f64,

    /// Each client plays a captured session's client side (its auth shape with a fresh
    /// token, its emits at their times, its acks) instead of only listening; client k plays
    /// session k mod the number of sessions.
    #[arg(long, value_name = "CAPTURE")]
    pub(crate) replay: Option<PathBuf>,

    /// Run segment INDEX of COUNT (0-based, e.g. 2/4): a deterministic share of --clients,
    /// so that COUNT processes together run the whole load. Merge their --report files with
    /// `load merge`.
    #[arg(long, value_name = "INDEX/COUNT", value_parser = parse_segment)]
    pub(crate) segment: Option<rt2_client::load::Segment>,

    /// Start connecting at this wall-clock time, in milliseconds since the Unix epoch (e.g.
    /// `$(( $(date +%s%3N) + 10000 ))`), so that every segment starts together.
    #[arg(long, value_name = "UNIX_MS")]
    pub(crate) start_at: Option<u64>,

    /// Also write the report, with its HDR histograms, to this file for `load merge`.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,

    /// Overwrite the --report file if it exists.
    #[arg(long, requires = "report")]
    pub(crate) force: bool,

    /// Do not ask the server for send-time stamps (no `stamp=1` in the handshake query).
    #[arg(long)]
    pub(crate) no_stamps: bool,

    /// Thresholds.
    #[command(flatten)]
    pub(crate) thresholds: ThresholdArgs,
}

/// `completions` flags.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// The longest duration a flag takes. Deadlines are instants in the future, and an instant
/// cannot be arbitrarily far: `--duration 500000000000y` would overflow one.
/// (humantime's year is 365.25 days.)
const MAX_DURATION: Duration = Duration::from_secs(100 * 31_557_600);

/// Parses a duration flag (`90s`, `10m`, `1h`, `2days`): humantime's syntax, at most
/// [`MAX_DURATION`].
fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if duration > MAX_DURATION {
        return Err("longer than the most this flag takes, 100 years".to_owned());
    }
    Ok(duration)
}

/// Parses a rate flag: a finite number above 0 and at most 1000 per second (a timer per
/// client cannot go faster; NaN or infinity would silently become some other rate).
fn parse_rate(value: &str) -> Result<f64, String> {
    let rate: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    if !(rate.is_finite() && rate > 0.0 && rate <= 1000.0) {
        return Err("must be a number above 0 and at most 1000 (per second)".to_owned());
    }
    Ok(rate)
}

/// Parses `--min-rate`: a finite number of events per second, 0 or more.
fn parse_min_rate(value: &str) -> Result<f64, String> {
    let rate: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    if !(rate.is_finite() && rate >= 0.0) {
        return Err("must be a number of events per second, 0 or more".to_owned());
    }
    Ok(rate)
}

/// Parses `--segment INDEX/COUNT`.
fn parse_segment(value: &str) -> Result<rt2_client::load::Segment, String> {
    value
        .parse()
        .map_err(|e: rt2_client::load::SegmentError| e.to_string())
}

/// Parses `--namespace`: a name the codec will send and read back as itself (see
/// [`sio_wire::socket::check_namespace`]), so that a typo such as `chatomni` is refused here
/// rather than turning into a CONNECT packet the server cannot read.
fn parse_namespace(value: &str) -> Result<String, String> {
    sio_wire::socket::check_namespace(value, &sio_wire::Limits::default())
        .map(|()| value.to_owned())
        .map_err(|e| match e.kind {
            sio_wire::SocketErrorKind::InvalidNamespace if e.offset == 0 => {
                format!("a namespace starts with '/', e.g. '/{value}'")
            }
            _ => format!("{e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_are_bounded_so_that_deadlines_cannot_overflow() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("100y").map(|_| ()), Ok(()));
        let err = parse_duration("500000000000y").unwrap_err();
        assert!(err.contains("100 years"), "{err}");
        assert!(parse_duration("soon").is_err());
    }
}
