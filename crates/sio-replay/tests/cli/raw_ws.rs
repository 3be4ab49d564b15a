//! A WebSocket client written out by hand on a `std` TCP stream, for tests that must control
//! every frame a client sends (tokens, malformed packets) without a client library deciding
//! for them. Text and close frames only; enough for Engine.IO over WebSocket.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// One client connection.
pub(crate) struct RawWebSocket {
    stream: TcpStream,
    /// Bytes read past what was parsed so far.
    buffer: Vec<u8>,
}

impl RawWebSocket {
    /// Opens `ws://{addr}{path}` (path with its query).
    pub(crate) fn connect(addr: &str, path: &str) -> io::Result<Self> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )?;
        let mut socket = RawWebSocket {
            stream,
            buffer: Vec::new(),
        };
        let end = loop {
            if let Some(end) = socket.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            socket.fill()?;
        };
        let head = String::from_utf8_lossy(&socket.buffer[..end]).into_owned();
        if !head.starts_with("HTTP/1.1 101") {
            return Err(io::Error::other(format!("no upgrade: {head}")));
        }
        socket.buffer.drain(..end);
        Ok(socket)
    }

    /// Opens an Engine.IO v4 WebSocket session on the mock at `addr` for `room`, reads the
    /// `open` packet, and joins `/chatomni` with `auth` as the CONNECT payload; returns the
    /// socket and the server's answer to the CONNECT.
    pub(crate) fn join_chatomni(addr: &str, room: &str, auth: &str) -> io::Result<(Self, String)> {
        let path = format!("/socket.io/?EIO=4&transport=websocket&room={room}");
        let mut socket = RawWebSocket::connect(addr, &path)?;
        let open = socket.recv_text()?.unwrap_or_default();
        if !open.starts_with('0') {
            return Err(io::Error::other(format!("expected open, got {open:?}")));
        }
        socket.send_text(&format!("40/chatomni,{auth}"))?;
        let answer = socket.recv_text()?.unwrap_or_default();
        Ok((socket, answer))
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buffer.len() < n {
            self.fill()?;
        }
        Ok(self.buffer.drain(..n).collect())
    }

    /// Sends a text frame, masked as a client must.
    pub(crate) fn send_text(&mut self, text: &str) -> io::Result<()> {
        self.send(0x81, text.as_bytes())
    }

    /// Sends a binary frame (an Engine.IO binary message: a Socket.IO attachment).
    pub(crate) fn send_binary(&mut self, payload: &[u8]) -> io::Result<()> {
        self.send(0x82, payload)
    }

    fn send(&mut self, first_byte: u8, payload: &[u8]) -> io::Result<()> {
        let mut frame = vec![first_byte];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame)
    }

    /// The next text frame; `None` once the server closed the connection. Pings from the
    /// Engine.IO layer (`2`) are answered (`3`) and skipped, binary frames too.
    pub(crate) fn recv_text(&mut self) -> io::Result<Option<String>> {
        loop {
            let head = match self.take(2) {
                Ok(head) => head,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            };
            let opcode = head[0] & 0x0f;
            let len = match head[1] & 0x7f {
                126 => {
                    let bytes = self.take(2)?;
                    u64::from(u16::from_be_bytes([bytes[0], bytes[1]]))
                }
                127 => {
                    let bytes = self.take(8)?;
                    u64::from_be_bytes(bytes.try_into().expect("eight bytes"))
                }
                len => u64::from(len),
            };
            let payload = self.take(usize::try_from(len).expect("frame length"))?;
            match opcode {
                0x1 => {
                    let text = String::from_utf8(payload).expect("a text frame is UTF-8");
                    if text == "2" {
                        self.send_text("3")?;
                        continue;
                    }
                    return Ok(Some(text));
                }
                0x8 => return Ok(None),
                _ => continue,
            }
        }
    }
}

/// `sio-replay serve` with its stderr kept in a file, so a test can read every log line.
pub(crate) struct LoggedServer {
    child: Child,
    // Kept open: serve must not see a closed stdout.
    _stdout: io::BufReader<ChildStdout>,
    stderr_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl LoggedServer {
    /// Starts `serve --port 0 --format json` with `args` and `env`; returns it and its banner.
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> (Self, serde_json::Value) {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
        command
            .args(["serve", "--port", "0", "--format", "json"])
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("SIO_TOKEN")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("spawn serve");
        let mut stdout = io::BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("banner line");
        let mut server = LoggedServer {
            child,
            _stdout: stdout,
            stderr_path,
            _dir: dir,
        };
        let banner = match serde_json::from_str(&line) {
            Ok(banner) => banner,
            Err(e) => panic!("banner {line:?}: {e}; stderr: {}", server.stop()),
        };
        (server, banner)
    }

    /// The `host:port` the banner's URL names.
    pub(crate) fn addr(banner: &serde_json::Value) -> String {
        let url = banner["url"].as_str().expect("url");
        url.trim_start_matches("http://").to_owned()
    }

    /// True while the process runs.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it (SIGINT, then SIGKILL after 5 s) and returns everything it wrote to stderr.
    pub(crate) fn stop(&mut self) -> String {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
