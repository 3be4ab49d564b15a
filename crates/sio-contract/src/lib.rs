//! AsyncAPI 3.0 contracts for Socket.IO traffic: a document inferred from captures, and
//! captures validated against a document.
//!
//! AsyncAPI has no official Socket.IO binding, so this crate follows the mapping community
//! tools use: a namespace is a channel (its `address`), an event name in one direction is a
//! message, an acknowledgement is the message's `x-ack`. [`Inference`] is a pure fold over
//! capture records (frames decoded with `sio-wire`); payload schemas come from
//! [`Shape`], a fold over every observed JSON value that writes a small JSON Schema subset:
//! `type`, `properties`, `required`, `items`, `enum` (small closed sets such as rt-2's
//! `ChannelType`), `format` (`date-time`, `uuid`), an ObjectId `pattern`, and
//! `contentMediaType: application/json` with `contentSchema` for JSON held in a string (rt-2's
//! `on-events` argument). [`Contract`] reads a document back and [`Validation`] checks every
//! frame, reporting the frame, the JSON path and the rule of each violation. The validator of
//! that subset is written by hand in [`schema`], since it is the product.
//!
//! No I/O: records in, JSON values out. Output is deterministic (sorted maps, commutative
//! folds). Documents are JSON, which AsyncAPI accepts and which is also valid YAML.
//!
//! ```
//! use sio_capture::{Direction, FrameRecord, Record};
//! use sio_contract::{Contract, InferOptions, Inference};
//!
//! let event = |data: &str| Record::Frame(FrameRecord::text(0.0, 1, Direction::Server, data));
//! let mut inference = Inference::new(InferOptions::default());
//! inference.begin_source("observed");
//! inference.observe(&event(r#"42/chatomni,["on-events","{\"Id\":1}"]"#));
//! let contract = Contract::from_document(inference.document())?;
//!
//! let mut validation = contract.validation();
//! validation.begin_source("changed");
//! validation.check(&event(r#"42/chatomni,["on-events","{\"Id\":\"1\"}"]"#));
//! let report = validation.finish();
//! assert_eq!(report.violations.len(), 1);
//! assert_eq!(report.violations[0].path, "$[0](json).Id");
//! assert_eq!(report.violations[0].rule, "type");
//! # Ok::<(), sio_contract::ContractError>(())
//! ```

#![deny(missing_docs)]

mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod infer;
pub mod schema;
mod shape;
mod traffic;
mod validate;

pub use error::ContractError;
pub use infer::{ASYNCAPI_VERSION, Inference};
pub use shape::{InferOptions, Shape};
pub use validate::{Contract, Validation, ValidationReport, Violation};
