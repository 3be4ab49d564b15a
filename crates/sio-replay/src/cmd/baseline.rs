//! `check --baseline-runs N`: the noise learned from N runs against the reference server, the
//! candidate run compared with the first of them, and the noise file kept beside the golden.
//! The logic is `sio_capture::noise`'s; this module only files, reads and prints.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;
use sio_capture::noise::{Difference, Noise, compare};
use sio_capture::replies::Replies;
use sio_capture::writer::{OutputOptions, create_output};

use super::output_error;
use crate::print::{Palette, Role};

/// The noise file beside a golden: `live.snap` → `live.noise.json`.
pub(crate) fn noise_path(golden: &Path) -> PathBuf {
    let stem = match golden.extension() {
        Some(ext) if ext == "snap" => golden.with_extension(""),
        _ => golden.to_path_buf(),
    };
    let mut name = stem.into_os_string();
    name.push(".noise.json");
    PathBuf::from(name)
}

/// The outcome of the baseline runs and the candidate's.
pub(crate) struct LiveComparison {
    /// How many baseline runs.
    pub(crate) runs: usize,
    /// The reference server and the candidate's.
    pub(crate) reference: String,
    pub(crate) candidate: String,
    /// Every noisy path used (learned now, and kept from the noise file).
    pub(crate) noise: Noise,
    /// How many of them were not in the noise file yet.
    pub(crate) new_noise: usize,
    /// Where the noise was written, with --golden.
    pub(crate) noise_file: Option<PathBuf>,
    /// What the candidate does differently, outside the noise.
    pub(crate) differences: Vec<Difference>,
}

impl LiveComparison {
    /// Learns the noise of `baselines` (merged with the noise file beside `golden`, if any, so
    /// that a path once seen varying stays noise), writes the merged noise back when it grew,
    /// and compares `candidate` with the first baseline run.
    pub(crate) fn new(
        baselines: &[Replies],
        candidate: &Replies,
        golden: Option<&Path>,
        reference: String,
        candidate_url: String,
    ) -> anyhow::Result<Self> {
        let learned = Noise::learn(baselines);
        let noise_file = golden.map(noise_path);
        let mut noise = match &noise_file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("the noise file {}", path.display()))?;
                Noise::from_json(&text)
                    .with_context(|| format!("the noise file {}", path.display()))?
            }
            _ => Noise::default(),
        };
        let before = noise.len();
        let saved = noise.clone();
        noise.merge(&learned);
        let new_noise = noise.len() - before;
        let write_to = noise_file
            .as_ref()
            .filter(|path| noise != saved || !path.exists());
        if let Some(path) = write_to {
            create_output(path, OutputOptions::default().overwrite(true))
                .map_err(|err| output_error("--golden's noise file", path, err))?
                .write_all(noise.to_json(Some(baselines.len())).as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let differences = match baselines.first() {
            Some(reference) => compare(reference, candidate, &noise),
            None => Vec::new(),
        };
        Ok(LiveComparison {
            runs: baselines.len(),
            reference,
            candidate: candidate_url,
            noise,
            new_noise,
            noise_file,
            differences,
        })
    }

    pub(crate) fn passed(&self) -> bool {
        self.differences.is_empty()
    }

    /// The differences, one per line.
    pub(crate) fn lines(&self) -> String {
        self.differences.iter().map(|d| format!("{d}\n")).collect()
    }

    pub(crate) fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let saved = match &self.noise_file {
            Some(path) => format!(", kept in {}", path.display()),
            None => String::new(),
        };
        writeln!(
            out,
            "{} {} noisy path(s) from {} runs against {} ({} new{saved})",
            palette.paint(Role::Heading, "noise"),
            self.noise.len(),
            self.runs,
            self.reference,
            self.new_noise,
        )?;
        for line in self.noise.to_string().lines() {
            writeln!(out, "  {}", palette.paint(Role::Dim, line))?;
        }
        if self.passed() {
            writeln!(
                out,
                "{} the session against {} behaves as the reference outside the noise",
                palette.paint(Role::Good, "ok"),
                self.candidate
            )
        } else {
            writeln!(
                out,
                "{} the session against {} differs from the reference ({} difference(s) outside the noise)",
                palette.paint(Role::Bad, "mismatch"),
                self.candidate,
                self.differences.len()
            )?;
            for difference in &self.differences {
                writeln!(
                    out,
                    "  {}",
                    palette.paint(Role::Bad, difference.to_string())
                )?;
            }
            Ok(())
        }
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        json!({
            "status": if self.passed() { "ok" } else { "mismatch" },
            "baseline_runs": self.runs,
            "reference": self.reference,
            "candidate": self.candidate,
            "noise": self.noise.iter().map(|p| json!({
                "reply": p.reply.to_string(),
                "path": p.path,
                "varies": p.varies,
            })).collect::<Vec<_>>(),
            "new_noise": self.new_noise,
            "noise_file": self.noise_file,
            "differences": self.differences.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(frames: &[&str]) -> Replies {
        let mut replies = Replies::default();
        for frame in frames {
            replies.push_frame(frame);
        }
        replies
    }

    #[test]
    fn a_path_kept_in_the_noise_file_stays_noise_and_new_paths_are_added() {
        let dir = tempfile::tempdir().expect("tempdir");
        let golden = dir.path().join("live.snap");
        let run =
            |id: &str, at: u32| replies(&[&format!(r#"42/s,["e",{{"id":"{id}","at":{at}}}]"#)]);
        // First: `at` happened to agree in both runs, `id` did not.
        let first = LiveComparison::new(
            &[run("a", 1), run("b", 1)],
            &run("c", 1),
            Some(&golden),
            String::new(),
            String::new(),
        )
        .expect("learns");
        assert_eq!(first.new_noise, 1);
        assert!(first.passed());
        let saved = std::fs::read_to_string(noise_path(&golden)).expect("written");
        // Later `at` varies: it is added, `id` is kept though it agreed this time.
        let second = LiveComparison::new(
            &[run("a", 1), run("a", 2)],
            &run("z", 3),
            Some(&golden),
            String::new(),
            String::new(),
        )
        .expect("learns");
        assert_eq!(second.new_noise, 1);
        assert_eq!(second.noise.len(), 2);
        assert!(second.passed(), "{:?}", second.differences);
        assert_ne!(
            std::fs::read_to_string(noise_path(&golden)).expect("written"),
            saved
        );
    }

    #[test]
    fn a_bad_noise_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let golden = dir.path().join("live.snap");
        std::fs::write(noise_path(&golden), "{\"format\": 1").expect("write");
        let err = LiveComparison::new(
            &[],
            &Replies::default(),
            Some(&golden),
            String::new(),
            String::new(),
        )
        .err()
        .expect("an error");
        let text = format!("{err:#}");
        assert!(text.contains("live.noise.json"), "{text}");
        assert!(text.contains("not a usable noise file"), "{text}");
    }

    #[test]
    fn the_noise_file_sits_beside_the_golden() {
        assert_eq!(
            noise_path(Path::new("t/live.snap")),
            Path::new("t/live.noise.json")
        );
        assert_eq!(
            noise_path(Path::new("live.golden")),
            Path::new("live.golden.noise.json")
        );
    }
}
