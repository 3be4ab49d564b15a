//! Shared pieces of the integration tests: starting a mock on 127.0.0.1:0, a raw HTTP client,
//! a raw WebSocket client, the Node `socket.io-client` driver, and the Python `python-socketio`
//! driver.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rt2_mock::{Capture, MockConfig, RunningMock};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdout, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The tenant every test uses as its room.
pub(crate) const ROOM: &str = "tomato.tpos.vn";

/// How long any single wait in a test may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled chat capture, loaded once per test.
pub(crate) fn chat_capture() -> Arc<Capture> {
    Arc::new(
        Capture::open(repo_root().join("captures/rt2-chatomni.jsonl")).expect("bundled capture"),
    )
}

pub(crate) fn live_video_capture() -> Arc<Capture> {
    Arc::new(
        Capture::open(repo_root().join("captures/rt2-livevideo.jsonl")).expect("bundled capture"),
    )
}

pub(crate) async fn start(config: MockConfig) -> RunningMock {
    RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the mock starts")
}

/// A config that replays the chat capture as fast as the client reads.
pub(crate) fn fast_replay() -> MockConfig {
    let mut config = MockConfig::default();
    config.capture = Some(chat_capture());
    config.replay.pace = rt2_mock::Pace::AsFastAsClientReads;
    config
}

/// A synthetic token for `room`, signed with the project's public test secret.
pub(crate) fn token(room: &str, secret: &str) -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let claims = tpos_chat::Claims::new("tmtWebApp", room, "u-test").with_exp(exp);
    tpos_chat::sign_hs256(&claims, secret.as_bytes())
}

/// One HTTP/1.1 request on a fresh connection.
pub(crate) async fn http(
    mock: &RunningMock,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let stream = TcpStream::connect(mock.addr()).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", mock.addr().to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(bytes::Bytes::from(body.to_owned())))
        .unwrap();
    let response = tokio::time::timeout(WAIT, sender.send_request(request))
        .await
        .expect("the response in time")
        .expect("a response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// `Bearer <token>`: the `Authorization` header value the running mock's admin API wants.
pub(crate) fn admin_bearer(mock: &RunningMock) -> String {
    format!("Bearer {}", mock.admin_token().expect("an admin token"))
}

/// An admin request with the token and a JSON body, expected to succeed.
pub(crate) async fn admin_json(
    mock: &RunningMock,
    method: &str,
    path: &str,
    body: &str,
) -> serde_json::Value {
    let bearer = admin_bearer(mock);
    let (status, _, text) = http(
        mock,
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("authorization", &bearer),
        ],
        body,
    )
    .await;
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{method} {path}: {err}: {text}"))
}

pub(crate) type RawSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw Engine.IO WebSocket, with no socket.io client in between.
pub(crate) async fn raw_websocket(mock: &RunningMock, query: &str) -> RawSocket {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&{query}",
        mock.addr()
    );
    let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connected in time")
        .expect("WebSocket handshake");
    socket
}

/// The next text frame (pings included); `None` when the socket closed.
pub(crate) async fn next_text(socket: &mut RawSocket) -> Option<String> {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time");
        match message {
            Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

pub(crate) async fn send_text(socket: &mut RawSocket, text: &str) {
    socket
        .send(Message::text(text.to_owned()))
        .await
        .expect("send");
}

/// Opens a raw session, joins `/chatomni` with `auth`, and returns the socket after the
/// CONNECT reply (which is returned too).
pub(crate) async fn raw_session(mock: &RunningMock, auth: &str) -> (RawSocket, String, String) {
    let mut socket = raw_websocket(mock, &format!("room={ROOM}")).await;
    let open = next_text(&mut socket).await.expect("open packet");
    assert!(open.starts_with("0{\"sid\":"), "{open}");
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    send_text(&mut socket, &format!("40/chatomni,{auth}")).await;
    let reply = next_text(&mut socket).await.expect("connect reply");
    (socket, sid, reply)
}

// ------------------------------------------------------------------------------------------
// Node.

/// The `interop/` folder, after installing its packages if need be and checking them.
pub(crate) fn interop_dir() -> PathBuf {
    interop_deps::ensure(interop_deps::Peer::Node);
    let dir = repo_root().join("interop");
    let client = dir.join("node_modules/socket.io-client/package.json");
    assert!(
        client.exists(),
        "interop/node_modules is missing: run scripts/install-node-deps.sh (it runs `npm ci` in interop/) before these tests"
    );
    dir
}

/// A running `interop/client.mjs`.
pub(crate) struct NodeClient {
    child: Child,
    lines: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl NodeClient {
    /// Starts the client with these options (see `interop/client.mjs`); `url` is filled in.
    pub(crate) fn start(mock: &RunningMock, options: serde_json::Value) -> Self {
        Self::start_at(&mock.url(), options)
    }

    /// Starts the client against any server URL.
    pub(crate) fn start_at(url: &str, options: serde_json::Value) -> Self {
        let child = Command::new("node")
            .arg("client.mjs")
            .arg(client_options(url, options).to_string())
            .current_dir(interop_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (CI installs Node; locally install Node 20 or newer)");
        Self::reading(child)
    }

    /// Reads the JSON Lines records of a client process started with piped stdout (any
    /// interop client that prints the records `interop/client.mjs` prints).
    fn reading(mut child: Child) -> Self {
        let stdout = child.stdout.take().expect("piped stdout");
        Self {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next record the client printed; `None` after it exited.
    pub(crate) async fn next(&mut self) -> Option<serde_json::Value> {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("the interop client printed in time")
            .expect("read stdout")?;
        Some(serde_json::from_str(&line).unwrap_or_else(|err| panic!("{err}: {line}")))
    }

    /// Reads records until one has `type == kind`; returns everything read, that one last.
    pub(crate) async fn until(&mut self, kind: &str) -> Vec<serde_json::Value> {
        let mut seen = Vec::new();
        while let Some(record) = self.next().await {
            let done = record["type"] == kind;
            seen.push(record);
            if done {
                return seen;
            }
        }
        panic!("the client exited before printing {kind:?}: {seen:#?}");
    }

    /// Every record up to and including `done`, then the exit status.
    pub(crate) async fn finish(mut self) -> (Vec<serde_json::Value>, std::process::ExitStatus) {
        let records = self.until("done").await;
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the client exited in time")
            .expect("exit status");
        (records, status)
    }
}

/// The client options with `url` set and `room` defaulted to [`ROOM`].
fn client_options(url: &str, mut options: serde_json::Value) -> serde_json::Value {
    options["url"] = url.into();
    options
        .as_object_mut()
        .unwrap()
        .entry("room")
        .or_insert(ROOM.into());
    options
}

pub(crate) fn of_type<'a>(
    records: &'a [serde_json::Value],
    kind: &str,
) -> Vec<&'a serde_json::Value> {
    records
        .iter()
        .filter(|record| record["type"] == kind)
        .collect()
}

/// A running `interop/rt2-server.mjs` (Node socket.io v4 acting as rt-2); killed when dropped.
pub(crate) struct NodeServer {
    _child: Child,
    /// Where it listens.
    pub(crate) url: String,
}

impl NodeServer {
    pub(crate) async fn start(options: serde_json::Value) -> Self {
        let mut child = Command::new("node")
            .arg("rt2-server.mjs")
            .arg(options.to_string())
            .current_dir(interop_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = tokio::time::timeout(WAIT, BufReader::new(stdout).lines().next_line())
            .await
            .expect("the server started in time")
            .expect("read stdout")
            .expect("a listening line");
        let listening: serde_json::Value = serde_json::from_str(&line).unwrap();
        let port = listening["listening"].as_u64().expect("a port");
        Self {
            _child: child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Python.

/// The Python of `interop/python/.venv`, after installing it if need be and checking it was
/// installed from the current
/// `requirements.txt`.
pub(crate) fn python_interop() -> (PathBuf, PathBuf) {
    interop_deps::ensure(interop_deps::Peer::Python);
    let dir = repo_root().join("interop/python");
    let python = dir.join(".venv/bin/python");
    let stamp = dir.join(".venv/.installed-requirements");
    assert!(
        python.exists() && stamp.exists(),
        "interop/python/.venv is missing: run scripts/install-python-deps.sh (it installs python-socketio from interop/python/requirements.txt) before these tests"
    );
    let modified = |path: &Path| path.metadata().and_then(|meta| meta.modified()).ok();
    assert!(
        modified(&stamp) >= modified(&dir.join("requirements.txt")),
        "interop/python/.venv is older than requirements.txt: run scripts/install-python-deps.sh again"
    );
    (dir, python)
}

/// A running `interop/python/client.py` (python-socketio 5): the same records as
/// [`NodeClient`], read the same way.
pub(crate) struct PythonClient(NodeClient);

impl PythonClient {
    /// Starts the client with these options (see `interop/python/client.py`); `url` is filled
    /// in and `room` defaults to [`ROOM`].
    pub(crate) fn start(mock: &RunningMock, options: serde_json::Value) -> Self {
        Self::start_at(&mock.url(), options)
    }

    /// Starts the client against any server URL.
    pub(crate) fn start_at(url: &str, options: serde_json::Value) -> Self {
        let (dir, python) = python_interop();
        let child = Command::new(python)
            .arg("client.py")
            .arg(client_options(url, options).to_string())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the venv's python runs (scripts/install-python-deps.sh makes it)");
        Self(NodeClient::reading(child))
    }

    /// Reads records until one has `type == kind`; returns everything read, that one last.
    pub(crate) async fn until(&mut self, kind: &str) -> Vec<serde_json::Value> {
        self.0.until(kind).await
    }

    /// Every record up to and including `done`, then the exit status.
    pub(crate) async fn finish(self) -> (Vec<serde_json::Value>, std::process::ExitStatus) {
        self.0.finish().await
    }
}
