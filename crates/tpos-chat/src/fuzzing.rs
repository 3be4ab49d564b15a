//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by `tests/fuzz_corpus.rs`, which
//! runs every committed seed in `fuzz/seeds/<target>/` through the same body on stable.
//!
//! Not part of the public API: bodies may change with the crate.

use crate::{
    Error, EventDecoder, Jwt, LiveVideoQuery, TEST_SECRET, decode_event_json,
    decode_live_video_page, sign_hs256, verify_hs256,
};

/// Drives [`EventDecoder::decode_argument`] (rt-2 event decoding), with the input as the
/// argument's JSON string literal, then [`EventDecoder::decode_args`] and
/// [`decode_event_json`] on the same text.
///
/// Invariants:
/// - an [`Error::Argument`] offset is within the input;
/// - the literal is accepted exactly when serde_json reads it as a string that fills the
///   input, and unescapes to the same text;
/// - a decoded event re-encodes ([`crate::OnEvent::to_argument`]) to an argument that
///   decodes to the same event, and the decoder's buffer is reused across calls.
pub fn decode_argument(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut decoder = EventDecoder::new();
    let oracle = serde_json::from_str::<String>(text)
        .ok()
        .filter(|_| text.starts_with('"') && text.ends_with('"'));
    match decoder.decode_argument(text) {
        Err(Error::Argument { offset, reason }) => {
            assert!(offset <= text.len(), "offset {offset} > {}", text.len());
            assert!(
                oracle.is_none(),
                "refused a JSON string serde_json reads ({reason} at {offset})"
            );
        }
        Err(_) => {
            // The literal unescaped; the inner document is what failed, as it does alone.
            let Some(inner) = &oracle else {
                panic!("accepted a literal serde_json refuses: {text:?}");
            };
            assert!(decode_event_json(inner).is_err());
        }
        Ok(event) => {
            let Some(inner) = &oracle else {
                panic!("accepted a literal serde_json refuses: {text:?}");
            };
            assert_eq!(decode_event_json(inner).as_ref(), Ok(&event));
            let event = event.into_owned();
            let argument = event.to_argument();
            let again = decoder.decode_argument(&argument).map(|e| e.into_owned());
            assert_eq!(again.as_ref(), Ok(&event), "re-encoded {argument:?}");
        }
    }

    // The same text as a whole argument array, and as an inner document.
    if let Ok(event) = decoder.decode_args(text) {
        let event = event.into_owned();
        let args = format!("[\"on-events\",{}]", event.to_argument());
        let again = decoder.decode_args(&args).map(|e| e.into_owned());
        assert_eq!(again.as_ref(), Ok(&event), "re-encoded {args:?}");
    }
    if let Ok(event) = decode_event_json(text) {
        let json = event.to_json();
        assert_eq!(decode_event_json(&json).as_ref(), Ok(&event), "{json:?}");
    }
}

/// Drives the token checks the mock runs on every namespace CONNECT: [`Jwt::parse`],
/// [`Jwt::header`], [`Jwt::claims`] and [`verify_hs256`] with [`TEST_SECRET`], on the input
/// as token text.
///
/// Invariants:
/// - a token that verifies has readable claims, and `verify_hs256` returns exactly them;
/// - a token whose `alg` is not `HS256` (`none` included) never verifies;
/// - claims that decode, signed again with [`sign_hs256`], verify and decode to the same
///   claims (what the mock's banner token and `record`'s tokens rely on);
/// - the same token verifies under no other secret.
pub fn verify_token(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let verified = verify_hs256(token, TEST_SECRET.as_bytes());
    let Ok(jwt) = Jwt::parse(token) else {
        assert!(verified.is_err(), "verified a token that does not parse");
        return;
    };
    let header = jwt.header();
    let claims = jwt.claims();
    match &verified {
        Ok(claims_verified) => {
            assert_eq!(claims.as_ref().ok(), Some(claims_verified));
            assert_eq!(header.as_ref().map(|h| h.alg.as_ref()), Ok("HS256"));
            assert!(jwt.verify_hs256(b"another secret").is_err());
        }
        Err(_) => {
            if header.as_ref().is_ok_and(|h| h.alg != "HS256") {
                assert!(matches!(
                    jwt.verify_hs256(TEST_SECRET.as_bytes()),
                    Err(Error::UnsupportedAlgorithm { .. })
                ));
            }
        }
    }
    if let Ok(claims) = claims {
        let signed = sign_hs256(&claims, TEST_SECRET.as_bytes());
        assert_eq!(
            verify_hs256(&signed, TEST_SECRET.as_bytes()).as_ref(),
            Ok(&claims),
            "{signed}"
        );
    }
}

/// Drives the live-video endpoint's parsers: an input starting with `{` is a response page
/// ([`decode_live_video_page`]), anything else a request query string
/// ([`LiveVideoQuery::parse`]).
///
/// Invariants: a page re-encodes ([`crate::LiveVideoPage::to_json`]) to JSON that decodes to the
/// same page; a query re-encodes ([`LiveVideoQuery::to_query_string`]) to a query that parses
/// to the same query.
pub fn live_video(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.starts_with('{') {
        if let Ok(page) = decode_live_video_page(text) {
            let json = page.to_json();
            assert_eq!(decode_live_video_page(&json).as_ref(), Ok(&page), "{json}");
        }
    } else if let Ok(query) = LiveVideoQuery::parse(text) {
        let again = query.to_query_string();
        assert_eq!(
            LiveVideoQuery::parse(&again).as_ref(),
            Ok(&query),
            "{again}"
        );
    }
}
