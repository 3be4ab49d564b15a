//! `sio-replay ca init|export`: the local CA of `proxy --mode forward` ([`sio_proxy::LocalCa`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;
use sio_proxy::LocalCa;

use super::{Context, output_error};
use crate::Outcome;
use crate::cli::{CaCommand, CaDir, CaSubcommand};
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `ca`.
pub(crate) fn run(args: CaCommand, ctx: &mut Context) -> anyhow::Result<Outcome> {
    match args.command {
        CaSubcommand::Init(args) => {
            let dir = ca_dir(&args.dir)?;
            let ca = LocalCa::init(&dir, args.force)?;
            ctx.printer.print(&CaReport {
                action: Action::Created,
                dir,
                pin: ca.spki_sha256_base64(),
                pem: None,
            })?;
        }
        CaSubcommand::Export(args) => {
            let dir = ca_dir(&args.dir)?;
            let ca = LocalCa::load(&dir)?;
            let pin = ca.spki_sha256_base64();
            let report = if args.pin {
                CaReport {
                    action: Action::Pin,
                    dir,
                    pin,
                    pem: None,
                }
            } else if let Some(path) = &args.output {
                let options = sio_capture::writer::OutputOptions::default().overwrite(args.force);
                sio_capture::writer::create_output(path, options)
                    .map_err(|err| output_error("-o/--output", path, err))?
                    .write_all(ca.cert_pem().as_bytes())
                    .with_context(|| format!("-o/--output {}", path.display()))?;
                CaReport {
                    action: Action::Written(path.clone()),
                    dir,
                    pin,
                    pem: None,
                }
            } else {
                CaReport {
                    action: Action::Printed,
                    dir,
                    pin,
                    pem: Some(ca.cert_pem().to_owned()),
                }
            };
            ctx.printer.print(&report)?;
        }
    }
    ctx.printer.flush()?;
    Ok(Outcome::Success)
}

/// `--ca-dir` (or `SIO_REPLAY_CA_DIR`), else `$XDG_CONFIG_HOME/sio-replay/ca`, else
/// `~/.config/sio-replay/ca`.
pub(crate) fn ca_dir(arg: &CaDir) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &arg.ca_dir {
        return Ok(dir.clone());
    }
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(config) = non_empty("XDG_CONFIG_HOME") {
        return Ok(Path::new(&config).join("sio-replay/ca"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(Path::new(&home).join(".config/sio-replay/ca")),
        None => anyhow::bail!(
            "--ca-dir: no HOME or XDG_CONFIG_HOME to find the CA in; pass --ca-dir DIR"
        ),
    }
}

enum Action {
    Created,
    Printed,
    Written(PathBuf),
    Pin,
}

struct CaReport {
    action: Action,
    dir: PathBuf,
    pin: String,
    pem: Option<String>,
}

impl Report for CaReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let (key, cert) = sio_proxy::ca::files(&self.dir);
        match &self.action {
            Action::Pin => return writeln!(out, "{}", self.pin),
            Action::Printed => {
                // The certificate alone on stdout's first lines: `> ca.pem` keeps a valid PEM
                // (text after the END line is ignored by PEM readers).
                write!(out, "{}", self.pem.as_deref().unwrap_or(""))?;
            }
            Action::Created => {
                writeln!(out, "{} a local CA", palette.paint(Role::Good, "created"))?;
                writeln!(out, "  key:         {} (mode 0600)", key.display())?;
                writeln!(out, "  certificate: {}", cert.display())?;
            }
            Action::Written(path) => {
                writeln!(
                    out,
                    "{} the CA certificate to {}",
                    palette.paint(Role::Good, "wrote"),
                    palette.paint(Role::Accent, path.display())
                )?;
            }
        }
        writeln!(out, "spki sha256: {}", self.pin)?;
        writeln!(
            out,
            "chromium:    --ignore-certificate-errors-spki-list={}",
            self.pin
        )
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Action::Pin = self.action {
            // The pin alone in every format: `$(sio-replay ca export --pin)` is in a pipe.
            return writeln!(out, "{}", self.pin);
        }
        let (key, cert) = sio_proxy::ca::files(&self.dir);
        let mut value = json!({
            "ca_dir": self.dir,
            "certificate_file": cert,
            "spki_sha256": self.pin,
        });
        match &self.action {
            Action::Created => value["key_file"] = json!(key),
            Action::Written(path) => value["written"] = json!(path),
            Action::Printed => value["certificate"] = json!(self.pem),
            Action::Pin => {}
        }
        write_json_value(out, &value)
    }
}
