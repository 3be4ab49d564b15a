//! `sio-replay proxy`: flags → [`sio_proxy::ProxyConfig`] → [`sio_proxy::start`], a banner,
//! the live view (one line per packet, read from the observer stream), a summary on stop.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use rt2_mock::ctrl_c_or_sigterm;
use serde_json::json;
use sio_capture::Record;
use sio_capture::view::{LineTone, RecordView, frame_view};
use sio_proxy::{Forward, LocalCa, ProxyConfig, ProxyError, ProxySummary, Upstream};
use sio_ui::{NumberedObserved, Observed};

use super::decode::DecodedRecord;
use super::runtime::runtime;
use super::{Context, output_error};
use crate::Outcome;
use crate::cli::{ProxyArgs, ProxyModeArg};
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `proxy`.
pub(crate) fn run(args: ProxyArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let (mut config, target) = match args.mode {
        ProxyModeArg::Reverse => {
            if !args.intercept.is_empty() || args.upstream_proxy.is_some() {
                anyhow::bail!(
                    "--intercept and --upstream-proxy are for --mode forward; reverse mode relays \
                     to --upstream"
                );
            }
            let Some(url) = &args.upstream else {
                anyhow::bail!("--upstream URL is required in reverse mode (or use --mode forward)");
            };
            let upstream = Upstream::parse(url).context("--upstream")?;
            let origin = upstream.origin();
            (ProxyConfig::new(upstream), Target::Reverse(origin))
        }
        ProxyModeArg::Forward => forward_config(&args)?,
    };
    config.upstream_ca.clone_from(&args.upstream_ca);
    config.allowed_hosts.clone_from(&args.allow_host);
    config.output.clone_from(&args.output);
    config.overwrite = args.force;
    config.redact = !args.no_redact;
    let show_pings = ctx.verbose > 0;

    let runtime = runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
            .await
            .with_context(|| format!("--port {}: cannot listen on 127.0.0.1", args.port))?;
        let observer = if args.ui {
            // A tab opened later sees the recent traffic too.
            sio_ui::Observer::with_history(sio_ui::observer::DEFAULT_CAPACITY, UI_HISTORY_BYTES)
        } else {
            sio_ui::Observer::default()
        };
        let mut view = observer.subscribe();
        let web_view = if args.ui {
            Some(WebView::start(&args, &observer, &target).await?)
        } else {
            None
        };
        let proxy = sio_proxy::start(listener, config, observer.clone())
            .await
            .map_err(|err| match (err, &args.output) {
                (ProxyError::Capture(source), Some(path)) => {
                    output_error("-o/--output", path, source)
                }
                (ProxyError::UpstreamCa { path, message }, _) => {
                    anyhow::anyhow!("--upstream-ca {}: {message}", path.display())
                }
                (other, _) => anyhow::Error::new(other),
            })?;
        drop(observer);
        ctx.printer.print(&Banner {
            listen: proxy.local_addr(),
            target,
            output: args.output.as_ref().map(|p| p.display().to_string()),
            ui: web_view.as_ref().map(|view| view.url.clone()),
        })?;
        ctx.printer.flush()?;
        let mut live = LiveView::new(show_pings);
        let stop = ctrl_c_or_sigterm();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                observed = view.next() => if !live.show(observed, ctx)? { break },
            }
        }
        let summary = proxy.stop().await.context("finishing the capture")?;
        // The recorder has published everything, the closes the stop produced included: show
        // what is queued (the web view's handle may keep the stream open, so do not wait for
        // its end).
        while let Some(observed) = view.try_next_numbered() {
            let observed = match observed {
                NumberedObserved::Record(numbered) => Observed::Record(numbered.record),
                NumberedObserved::Skipped(n) => Observed::Skipped(n),
                NumberedObserved::Closed => break,
            };
            if !live.show(observed, ctx)? {
                break;
            }
        }
        if let Some(web_view) = web_view {
            web_view.stop().await;
        }
        ctx.printer.print(&SummaryReport {
            summary,
            skipped: live.skipped,
        })?;
        anyhow::Ok(())
    })?;
    // The capture is finished. A name lookup still running on a blocking thread (a browser's
    // CONNECT to a host this machine cannot resolve) must not hold the exit for its timeout.
    runtime.shutdown_background();
    Ok(Outcome::Success)
}

/// The recent traffic a web view tab opened later sees, in bytes (as `serve --ui`).
const UI_HISTORY_BYTES: usize = 64 << 20;

/// `--ui`: the web view on its own port, fed by the proxy's observer stream.
struct WebView {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl WebView {
    async fn start(
        args: &ProxyArgs,
        observer: &sio_ui::Observer,
        target: &Target,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.ui_port))
            .await
            .with_context(|| format!("--ui-port {}: cannot listen on 127.0.0.1", args.ui_port))?;
        let local = listener
            .local_addr()
            .context("reading the web view's address")?;
        let title = match target {
            Target::Reverse(upstream) => format!("sio-replay proxy → {upstream}"),
            Target::Forward { .. } => "sio-replay proxy (forward mode)".to_owned(),
        };
        let config = sio_ui::UiConfig {
            observer: observer.clone(),
            token: sio_ui::UiToken::random(),
            allowed_hosts: args.allow_host.clone(),
            admin: None,
            live: true,
            title,
        };
        let url = sio_ui::UiServer::new(config.clone()).url(local);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(sio_ui::serve(listener, config, async {
            let _ = stopped.await;
        }));
        Ok(WebView { url, stop, task })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!("the web view stopped: {err}"),
            Err(err) => tracing::warn!("the web view's task failed: {err}"),
        }
    }
}

/// Forward mode's configuration: the CA (loaded only when something is intercepted), the
/// globs, the upstream proxy.
fn forward_config(args: &ProxyArgs) -> anyhow::Result<(ProxyConfig, Target)> {
    if args.upstream.is_some() {
        anyhow::bail!(
            "--upstream is for reverse mode; in forward mode each request names its server"
        );
    }
    let upstream_proxy = match &args.upstream_proxy {
        Some(url) => {
            let proxy = Upstream::parse(url).context("--upstream-proxy")?;
            if proxy.tls {
                anyhow::bail!("--upstream-proxy {url}: only http:// proxies are supported");
            }
            Some(proxy)
        }
        None => None,
    };
    let ca = if args.intercept.is_empty() {
        None
    } else {
        let dir = super::ca::ca_dir(&args.ca)?;
        Some(std::sync::Arc::new(LocalCa::load(&dir)?))
    };
    let pin = ca.as_ref().map(|ca| ca.spki_sha256_base64());
    let target = Target::Forward {
        intercept: args.intercept.clone(),
        pin,
        upstream_proxy: upstream_proxy.as_ref().map(Upstream::origin),
    };
    let config = ProxyConfig::forward(Forward {
        intercept: args.intercept.clone(),
        ca,
        upstream_proxy,
    });
    Ok((config, target))
}

/// What the banner says the proxy relays to.
enum Target {
    Reverse(String),
    Forward {
        intercept: Vec<String>,
        pin: Option<String>,
        upstream_proxy: Option<String>,
    },
}

/// The live view's state: frames numbered as `decode` numbers them, skips counted.
struct LiveView {
    show_pings: bool,
    frames: u64,
    skipped: u64,
}

impl LiveView {
    fn new(show_pings: bool) -> Self {
        LiveView {
            show_pings,
            frames: 0,
            skipped: 0,
        }
    }

    /// Prints what the stream gave; `false` once it ended.
    fn show(&mut self, observed: Observed, ctx: &mut Context) -> anyhow::Result<bool> {
        let record = match observed {
            Observed::Record(record) => record,
            Observed::Skipped(n) => {
                self.skipped += n;
                tracing::warn!(
                    "the live view fell behind: {n} records not shown (the capture has them)"
                );
                return Ok(true);
            }
            Observed::Closed => return Ok(false),
        };
        let index = match &*record {
            Record::Header(_) => return Ok(true),
            Record::Frame(frame) => {
                self.frames += 1;
                let engine = frame_view(frame, self.frames).engine_type;
                if !self.show_pings && matches!(engine, Some("ping" | "pong")) {
                    return Ok(true);
                }
                Some(self.frames)
            }
            _ => None,
        };
        ctx.printer
            .print(&LiveLine(RecordView::new((*record).clone(), index)))?;
        ctx.printer.flush()?;
        Ok(true)
    }
}

/// One record of the live view: the first line of what `decode` prints (time, connection,
/// direction, packet type, namespace, ack id, event name), without the payload; in JSON, the
/// whole decoded record.
struct LiveLine(RecordView);

impl Report for LiveLine {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let lines = self.0.human_lines();
        let Some(line) = lines.first() else {
            return Ok(());
        };
        let role = match line.tone {
            LineTone::Client => Some(Role::Client),
            LineTone::Server => Some(Role::Server),
            LineTone::Undecodable => Some(Role::Bad),
            LineTone::Plain => None,
        };
        match role {
            Some(role) => writeln!(out, "{}", palette.paint(role, &line.text)),
            None => writeln!(out, "{}", line.text),
        }
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        DecodedRecord(self.0.clone()).write_json(out)
    }
}

/// What the proxy prints on start.
struct Banner {
    listen: SocketAddr,
    target: Target,
    output: Option<String>,
    ui: Option<String>,
}

impl Report for Banner {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        match &self.target {
            Target::Reverse(upstream) => writeln!(
                out,
                "{} http://{} → {}",
                palette.paint(Role::Good, "proxying"),
                self.listen,
                palette.paint(Role::Accent, upstream)
            )?,
            Target::Forward {
                intercept,
                upstream_proxy,
                ..
            } => {
                writeln!(
                    out,
                    "{} http://{} (forward mode)",
                    palette.paint(Role::Good, "proxying"),
                    self.listen,
                )?;
                if intercept.is_empty() {
                    writeln!(
                        out,
                        "  intercepting: nothing (every CONNECT is tunnelled blind; add --intercept GLOB)"
                    )?;
                } else {
                    writeln!(
                        out,
                        "  intercepting: {}",
                        palette.paint(Role::Accent, intercept.join(" "))
                    )?;
                }
                if let Some(via) = upstream_proxy {
                    writeln!(out, "  through:      {via}")?;
                }
            }
        }
        match &self.output {
            Some(path) => writeln!(out, "  capture: {path}")?,
            None => writeln!(out, "  capture: none (add -o FILE to keep one)")?,
        }
        if let Some(ui) = &self.ui {
            writeln!(out, "  ui:      {}", palette.paint(Role::Accent, ui))?;
        }
        match &self.target {
            Target::Reverse(_) => writeln!(
                out,
                "  point the client at http://{} instead of the server; Ctrl-C to stop",
                self.listen
            ),
            Target::Forward { pin, .. } => {
                write!(out, "  chromium --proxy-server=http://{}", self.listen)?;
                if let Some(pin) = pin {
                    write!(out, " --ignore-certificate-errors-spki-list={pin}")?;
                }
                writeln!(out, "; Ctrl-C to stop")
            }
        }
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let value = match &self.target {
            Target::Reverse(upstream) => json!({
                "listening": format!("http://{}", self.listen),
                "mode": "reverse",
                "upstream": upstream,
                "output": self.output,
                "ui_url": self.ui,
            }),
            Target::Forward {
                intercept,
                pin,
                upstream_proxy,
            } => json!({
                "listening": format!("http://{}", self.listen),
                "mode": "forward",
                "intercept": intercept,
                "spki_sha256": pin,
                "upstream_proxy": upstream_proxy,
                "output": self.output,
                "ui_url": self.ui,
            }),
        };
        write_json_value(out, &value)
    }
}

/// What the proxy prints on stop.
struct SummaryReport {
    summary: ProxySummary,
    skipped: u64,
}

impl Report for SummaryReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            out,
            "{} {} frames from {} connection(s), {} HTTP exchange(s), {} decode error(s) in {:.1} s",
            palette.paint(Role::Good, "proxied"),
            s.frames,
            s.connections,
            s.http_exchanges,
            s.decode_errors,
            s.elapsed_ms / 1000.0,
        )?;
        if let Some(path) = &s.output {
            writeln!(
                out,
                "  capture:  {}",
                palette.paint(Role::Accent, path.display())
            )?;
        }
        if self.skipped > 0 {
            writeln!(
                out,
                "  not shown: {} records (the view fell behind)",
                self.skipped
            )?;
        }
        writeln!(out, "  redacted: {}", s.redaction)
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        write_json_value(
            out,
            &json!({
                "summary": {
                    "output": s.output,
                    "connections": s.connections,
                    "frames": s.frames,
                    "http_exchanges": s.http_exchanges,
                    "decode_errors": s.decode_errors,
                    "compressed_messages": s.compressed_messages,
                    "records": s.records,
                    "elapsed_s": s.elapsed_ms / 1000.0,
                    "not_shown": self.skipped,
                    "redacted": {
                        "jwts": s.redaction.jwts,
                        "token_fields": s.redaction.token_fields,
                        "headers": s.redaction.headers,
                        "query_params": s.redaction.query_params,
                    },
                }
            }),
        )
    }
}
