//! Reading a scenario from TOML, from a file or by the name of a bundled one, and applying its
//! `[server]` settings to a [`MockConfig`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use sio_session::Layer;

use crate::config::{CorsPolicy, MockConfig};
use crate::scenario::model::{CorsOrigin, Scenario, ServerMode};

/// The scenarios shipped in `captures/scenarios/`, by name: `(name, TOML text)`.
pub const BUNDLED: [(&str, &str); 3] = [
    (
        "rt2",
        include_str!("../../../../captures/scenarios/rt2.toml"),
    ),
    (
        "socketio-protocol",
        include_str!("../../../../captures/scenarios/socketio-protocol.toml"),
    ),
    (
        "engineio-protocol",
        include_str!("../../../../captures/scenarios/engineio-protocol.toml"),
    ),
];

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Neither a bundled scenario's name nor an existing file.
    #[error(
        "no scenario `{name}`: not a file, and the bundled scenarios are {}",
        BUNDLED.map(|(name, _)| format!("`{name}`")).join(", ")
    )]
    Unknown {
        /// What was asked for.
        name: String,
    },
    /// A rule or setting that cannot be understood.
    #[error("{origin}:{line}:{column}: {field}: {message}")]
    Invalid {
        /// The file (or `bundled:NAME`).
        origin: String,
        /// The line, from 1.
        line: usize,
        /// The column, from 1 (in characters).
        column: usize,
        /// The key, as a path from the top of the file (`on_event[1].emit[0].args`), or
        /// `(document)` for a syntax error.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl Scenario {
    /// Parses a scenario; `origin` names it in errors (usually the file name).
    ///
    /// ```
    /// let err = rt2_mock::scenario::Scenario::from_toml(
    ///     "[[on_event]]\nname = \"message\"\nack = \"echo-please\"\n",
    ///     "my.toml",
    /// )
    /// .unwrap_err();
    /// assert!(err.to_string().starts_with("my.toml:3:7: on_event[0].ack: "), "{err}");
    /// ```
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with the line, column and key of the first problem.
    pub fn from_toml(text: &str, origin: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let origin = origin.as_ref().display().to_string();
        let invalid = |span: Option<std::ops::Range<usize>>, field: String, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            ScenarioError::Invalid {
                origin: origin.clone(),
                line,
                column,
                field,
                message,
            }
        };
        let deserializer = toml::Deserializer::parse(text).map_err(|err| {
            invalid(
                err.span(),
                "(document)".to_owned(),
                err.message().to_owned(),
            )
        })?;
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let field = err.path().to_string();
            let field = if field == "." {
                "(top level)".to_owned()
            } else {
                field
            };
            let inner = err.into_inner();
            invalid(inner.span(), field, inner.message().to_owned())
        })
    }

    /// A bundled scenario by name (`rt2`, `socketio-protocol`, `engineio-protocol`).
    ///
    /// ```
    /// let scenario = rt2_mock::scenario::Scenario::bundled("socketio-protocol")?;
    /// assert_eq!(scenario.server.port, Some(3000));
    /// # Ok::<(), rt2_mock::scenario::ScenarioError>(())
    /// ```
    ///
    /// # Errors
    /// [`ScenarioError::Unknown`] for another name.
    pub fn bundled(name: &str) -> Result<Self, ScenarioError> {
        let (_, text) = BUNDLED
            .iter()
            .find(|(bundled, _)| *bundled == name)
            .ok_or_else(|| ScenarioError::Unknown {
                name: name.to_owned(),
            })?;
        Self::from_toml(text, format!("bundled:{name}"))
    }

    /// Reads a scenario file.
    ///
    /// # Errors
    /// [`ScenarioError::Io`] when it cannot be read, [`ScenarioError::Invalid`] when it is
    /// not a valid scenario.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// `NAME` or `FILE`, as `serve --scenario` takes it: something that looks like a path
    /// (has a `/` or ends in `.toml`) is read as a file; otherwise a bundled name, and failing
    /// that a file of that name.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file) and [`bundled`](Self::bundled).
    pub fn load(name_or_file: &str) -> Result<Self, ScenarioError> {
        let looks_like_path = name_or_file.contains('/')
            || name_or_file.contains(std::path::MAIN_SEPARATOR)
            || name_or_file.ends_with(".toml");
        if looks_like_path {
            return Self::from_file(name_or_file);
        }
        match Self::bundled(name_or_file) {
            Err(ScenarioError::Unknown { .. }) if Path::new(name_or_file).is_file() => {
                Self::from_file(name_or_file)
            }
            other => other,
        }
    }

    /// Installs the scenario in `config` ([`MockConfig::scenario`]) and writes the `[server]`
    /// settings it sets (others are left as they are), and the mode's session layer. The port
    /// is not part of [`MockConfig`]: the caller binds
    /// [`ServerSettings::port`](crate::scenario::ServerSettings::port).
    pub fn apply_to(&self, config: &mut MockConfig) {
        config.scenario = Some(std::sync::Arc::new(self.clone()));
        let server = &self.server;
        let session = &mut config.session;
        if let Some(ms) = server.ping_interval_ms {
            session.ping_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = server.ping_timeout_ms {
            session.ping_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = server.connect_timeout_ms {
            session.connect_timeout = (ms > 0).then(|| Duration::from_millis(ms));
        }
        if let Some(bytes) = server.max_payload {
            session.max_payload = bytes;
        }
        if let Some(packets) = server.max_packets_per_poll {
            session.max_packets_per_poll = packets;
        }
        if let Some(upgrades) = server.upgrades {
            session.allow_upgrades = upgrades;
        }
        if let Some(namespaces) = &server.namespaces {
            session.namespaces = Some(namespaces.iter().map(|n| n.0.clone()).collect());
        }
        session.layer = match server.mode {
            ServerMode::SocketIo => Layer::SocketIo,
            ServerMode::EngineIoEcho => Layer::EngineIo,
        };
        match &server.cors_origin {
            Some(CorsOrigin::Any) => config.cors = CorsPolicy::AnyOrigin,
            Some(CorsOrigin::Only(origins)) => config.cors = CorsPolicy::Origins(origins.clone()),
            None => {}
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // Back off to a character boundary so slicing cannot fail.
    let offset = sio_session::floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, usize, String, String) {
        match Scenario::from_toml(text, "t.toml").unwrap_err() {
            ScenarioError::Invalid {
                line,
                column,
                field,
                message,
                origin,
            } => {
                assert_eq!(origin, "t.toml");
                (line, column, field, message)
            }
            other => panic!("expected Invalid, got {other}"),
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 1), (1, 1));
        assert_eq!(line_column("", 10), (1, 1));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let (line, _, field, _) = error("[server]\nport = = 3\n");
        assert_eq!(line, 2);
        assert_eq!(field, "(document)");
    }

    #[test]
    fn unknown_keys_name_the_rule_and_the_line() {
        let (line, _, field, message) = error(
            "[[on_event]]\nname = \"a\"\n\n[[on_event]]\nname = \"b\"\nack_with = \"echo\"\n",
        );
        assert_eq!(line, 6);
        assert_eq!(field, "on_event[1].ack_with");
        assert!(message.contains("unknown field `ack_with`"), "{message}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let (line, _, field, message) =
            error("[[on_event]]\nname = \"m\"\nemit = [{ event = \"x\", args = \"echoo\" }]\n");
        assert_eq!((line, field.as_str()), (3, "on_event[0].emit[0].args"));
        assert!(message.contains("\"echo\", \"auth\""), "{message}");

        let (line, _, field, message) = error("[server]\nping_interval_ms = \"fast\"\n");
        assert_eq!((line, field.as_str()), (2, "server.ping_interval_ms"));
        assert!(message.contains("invalid type"), "{message}");

        let (_, _, field, message) = error("[[on_connect]]\nnamespace = \"chatomni\"\n");
        assert_eq!(field, "on_connect[0].namespace");
        assert!(message.contains("starts with `/`"), "{message}");

        let (_, _, field, message) =
            error("[[on_event]]\nname = \"m\"\nnamespace = \"/chat[1]\"\nemit = []\n");
        assert_eq!(field, "on_event[0].namespace");
        assert!(
            message.contains("`/chat[1]`: a namespace starts with '/' and holds no ','"),
            "{message}"
        );
        assert!(message.contains("at byte 5"), "{message}");

        let (line, _, field, message) =
            error("[[on_event]]\nname = \"m\"\nwhere = { path = \"$[a]\", equals = 1 }\n");
        assert_eq!((line, field.as_str()), (3, "on_event[0].where.path"));
        assert!(message.contains("byte 2"), "{message}");

        let (_, _, field, message) = error("[[on_event]]\nname = \"m\"\nfault = \"explode\"\n");
        assert_eq!(field, "on_event[0].fault");
        assert!(message.contains("stop-pinging"), "{message}");

        let (_, _, field, message) =
            error("[[on_event]]\nname = \"m\"\nfault = { drop_after = 1 }\n");
        assert_eq!(field, "on_event[0].fault.drop_after");
        assert!(message.contains("unknown field `drop_after`"), "{message}");

        let (_, _, field, message) =
            error("[[timer]]\nevery_ms = 0\nnamespace = \"/\"\nemit = []\n");
        assert_eq!(field, "timer[0].every_ms");
        assert!(message.contains("at least 1 ms"), "{message}");

        let (line, _, field, message) = error(
            "[[on_event]]\nname = \"m\"\n[[on_event.emit]]\nevent = \"a\"\ncapture = { index = 1 }\n",
        );
        assert_eq!(field, "on_event[0].emit[0]");
        assert!(line >= 3, "{line}");
        assert!(message.contains("not both"), "{message}");
    }

    #[test]
    fn every_truncation_of_a_bundled_scenario_loads_or_fails_with_a_place() {
        for (_, text) in BUNDLED {
            for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
                match Scenario::from_toml(&text[..end], "cut.toml") {
                    Ok(_) => {}
                    Err(ScenarioError::Invalid { line, column, .. }) => {
                        assert!(line >= 1 && column >= 1);
                        assert!(line <= text[..end].lines().count().max(1) + 1, "{line}");
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
    }

    #[test]
    fn every_bundled_scenario_loads() {
        for (name, _) in BUNDLED {
            let scenario = Scenario::bundled(name).unwrap();
            assert_eq!(scenario.name.as_deref(), Some(name));
            assert_eq!(Scenario::load(name).unwrap(), scenario);
        }
        let err = Scenario::load("nope").unwrap_err();
        assert!(err.to_string().contains("`socketio-protocol`"), "{err}");
        assert!(matches!(
            Scenario::load("missing/file.toml"),
            Err(ScenarioError::Io { .. })
        ));
    }

    #[test]
    fn files_load_by_path_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "[server]\nport = 4000\n").unwrap();
        let scenario = Scenario::load(path.to_str().unwrap()).unwrap();
        assert_eq!(scenario.server.port, Some(4000));
        std::fs::write(&path, "[server]\nprot = 4000\n").unwrap();
        let err = Scenario::from_file(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "{}:2:1: server.prot: unknown field",
                path.display()
            )),
            "{err}"
        );
    }

    #[test]
    fn settings_reach_the_mock_config() {
        let mut config = MockConfig::default();
        Scenario::bundled("socketio-protocol")
            .unwrap()
            .apply_to(&mut config);
        assert_eq!(config.session.ping_interval, Duration::from_millis(300));
        assert_eq!(config.session.ping_timeout, Duration::from_millis(200));
        assert_eq!(
            config.session.connect_timeout,
            Some(Duration::from_millis(1000))
        );
        assert_eq!(config.session.max_payload, 1_000_000);
        assert_eq!(config.cors, CorsPolicy::AnyOrigin);
        assert_eq!(
            config.session.namespaces,
            Some(["/".to_owned(), "/custom".to_owned()].into())
        );
        assert_eq!(config.session.layer, Layer::SocketIo);
        config.validate().unwrap();

        let mut config = MockConfig::default();
        Scenario::bundled("engineio-protocol")
            .unwrap()
            .apply_to(&mut config);
        assert_eq!(config.session.layer, Layer::EngineIo);
        assert_eq!(config.session.ping_interval, Duration::from_millis(300));

        let mut config = MockConfig::default();
        let before = config.session.clone();
        let rt2 = Scenario::bundled("rt2").unwrap();
        rt2.apply_to(&mut config);
        assert_eq!(config.session, before, "rt2 keeps the mock's rt-2 defaults");
        assert_eq!(config.scenario.as_deref(), Some(&rt2));

        let mut config = MockConfig::default();
        Scenario::from_toml(
            "[server]\nconnect_timeout_ms = 0\nmax_packets_per_poll = 0\ncors_origin = [\"http://a\", \"http://b\"]\n",
            "t.toml",
        )
        .unwrap()
        .apply_to(&mut config);
        assert_eq!(config.session.connect_timeout, None);
        assert_eq!(config.session.max_packets_per_poll, 0);
        assert_eq!(
            config.cors,
            CorsPolicy::Origins(vec!["http://a".into(), "http://b".into()])
        );
    }
}
