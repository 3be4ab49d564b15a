//! Integration tests of rt2-corpus: the bundled captures match the generator, and tpos-chat's
//! fast decoding path agrees with serde_json on the generated traffic (one test binary).

mod captures;
mod fast_path;
