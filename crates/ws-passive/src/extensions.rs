//! permessage-deflate negotiation (RFC 7692) from the handshake's `Sec-WebSocket-Extensions`
//! headers: what the client offered in its request, and what the server accepted in its 101.
//!
//! Only the server's answer decides what the frames use; the client's offer is read to check
//! that the server accepted nothing that was not offered.

use crate::error::HandshakeError;
use crate::event::Direction;

/// The extensions in force on a connection, as the handshake negotiated them.
///
/// The default is none: frames with RSV1 set are then an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extensions {
    /// permessage-deflate and its parameters, when the server accepted it.
    pub permessage_deflate: Option<DeflateParams>,
}

/// The parameters of a negotiated permessage-deflate (RFC 7692 section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after each message: server-to-client messages each
    /// inflate from an empty window.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The LZ77 window the server compresses with, 8 to 15 (15 when not negotiated).
    pub server_max_window_bits: u8,
    /// The LZ77 window the client compresses with, 8 to 15 (15 when not negotiated).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// permessage-deflate with no parameter: context takeover both ways, 32 KiB windows.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// `true` when the sender of `direction` resets its compressor after each message.
    pub const fn no_context_takeover(&self, direction: Direction) -> bool {
        match direction {
            Direction::ClientToServer => self.client_no_context_takeover,
            Direction::ServerToClient => self.server_no_context_takeover,
        }
    }

    /// The window bits the sender of `direction` compresses with.
    pub const fn max_window_bits(&self, direction: Direction) -> u8 {
        match direction {
            Direction::ClientToServer => self.client_max_window_bits,
            Direction::ServerToClient => self.server_max_window_bits,
        }
    }
}

/// The extension name RFC 7692 registers.
const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

impl Extensions {
    /// Negotiates from the values of every `Sec-WebSocket-Extensions` header of the client's
    /// request (`offered`) and of the server's 101 response (`accepted`), in order. Several
    /// headers are read as one comma-separated list.
    ///
    /// # Errors
    ///
    /// A header that does not follow the grammar, an extension other than permessage-deflate
    /// in the response, a parameter RFC 7692 does not allow in a response, or one the client
    /// did not offer.
    ///
    /// ```
    /// use ws_passive::{Direction, Extensions};
    ///
    /// let ext = Extensions::negotiate(
    ///     &["permessage-deflate; client_max_window_bits"],
    ///     &["permessage-deflate; server_no_context_takeover; client_max_window_bits=10"],
    /// )?;
    /// let deflate = ext.permessage_deflate.ok_or("not negotiated")?;
    /// assert!(deflate.no_context_takeover(Direction::ServerToClient));
    /// assert!(!deflate.no_context_takeover(Direction::ClientToServer));
    /// assert_eq!(deflate.max_window_bits(Direction::ClientToServer), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn negotiate(offered: &[&str], accepted: &[&str]) -> Result<Self, HandshakeError> {
        let mut offers = Vec::new();
        for value in offered {
            offers.extend(parse_list(value)?);
        }
        let deflate_offers: Vec<&Extension<'_>> = offers
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
            .collect();
        let ext = Self::from_response(accepted)?;
        if let Some(params) = &ext.permessage_deflate {
            if deflate_offers.is_empty() {
                return Err(HandshakeError::NotOffered(PERMESSAGE_DEFLATE));
            }
            // The response names client_max_window_bits only if some offer did (7.1.2.2).
            let offered_client_bits = deflate_offers.iter().any(|e| {
                e.params
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("client_max_window_bits"))
            });
            if params.client_max_window_bits != 15 && !offered_client_bits {
                return Err(HandshakeError::NotOffered("client_max_window_bits"));
            }
        }
        Ok(ext)
    }

    /// Negotiates from the server's response headers alone, for when the request was not
    /// seen. Same rules as [`Extensions::negotiate`], less the check against the offer.
    ///
    /// # Errors
    ///
    /// As [`Extensions::negotiate`].
    pub fn from_response(accepted: &[&str]) -> Result<Self, HandshakeError> {
        let mut ext = Self::default();
        for value in accepted {
            for extension in parse_list(value)? {
                if !extension.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) {
                    return Err(HandshakeError::UnsupportedExtension(
                        extension.name.to_owned(),
                    ));
                }
                if ext.permessage_deflate.is_some() {
                    return Err(HandshakeError::DuplicateExtension);
                }
                ext.permessage_deflate = Some(deflate_response(&extension)?);
            }
        }
        Ok(ext)
    }
}

/// The parameters of permessage-deflate in a server's response (RFC 7692 section 7.1): each
/// at most once; the two window-bits parameters need a value there.
fn deflate_response(extension: &Extension<'_>) -> Result<DeflateParams, HandshakeError> {
    let mut params = DeflateParams::default();
    let mut seen = [false; 4];
    for (key, value) in &extension.params {
        let (index, flag) = match key.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" => (0, true),
            "client_no_context_takeover" => (1, true),
            "server_max_window_bits" => (2, false),
            "client_max_window_bits" => (3, false),
            _ => return Err(HandshakeError::InvalidParameter((*key).to_owned())),
        };
        if seen[index] || flag != value.is_none() {
            return Err(HandshakeError::InvalidParameter((*key).to_owned()));
        }
        seen[index] = true;
        match (index, value) {
            (0, _) => params.server_no_context_takeover = true,
            (1, _) => params.client_no_context_takeover = true,
            (2, Some(v)) => params.server_max_window_bits = window_bits(v)?,
            (_, Some(v)) => params.client_max_window_bits = window_bits(v)?,
            (_, None) => return Err(HandshakeError::InvalidParameter((*key).to_owned())),
        }
    }
    Ok(params)
}

/// `8` to `15`, in digits without a leading zero (RFC 7692 section 7.1.2.1).
fn window_bits(value: &str) -> Result<u8, HandshakeError> {
    let invalid = || HandshakeError::InvalidWindowBits(value.to_owned());
    if value.starts_with('0') || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) => Ok(bits),
        _ => Err(invalid()),
    }
}

/// One element of an extension list: a name and its parameters, values unquoted.
#[derive(Debug)]
struct Extension<'a> {
    name: &'a str,
    params: Vec<(&'a str, Option<&'a str>)>,
}

/// RFC 7230's `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses `1#extension` (RFC 6455 section 9.1): comma-separated, empty elements allowed and
/// skipped as RFC 7230's list rule says, each `token *( ";" token [ "=" value ] )` with
/// optional whitespace around the separators, values a token or a quoted string.
fn parse_list(header: &str) -> Result<Vec<Extension<'_>>, HandshakeError> {
    let malformed = || HandshakeError::Malformed(header.to_owned());
    let bytes = header.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    let skip_ws = |pos: &mut usize| {
        while *pos < bytes.len() && (bytes[*pos] == b' ' || bytes[*pos] == b'\t') {
            *pos += 1;
        }
    };
    let token = |pos: &mut usize| -> Option<&str> {
        let start = *pos;
        while *pos < bytes.len() && is_tchar(bytes[*pos]) {
            *pos += 1;
        }
        // Token characters are ASCII, so both ends are character boundaries.
        (*pos > start).then(|| &header[start..*pos])
    };
    loop {
        skip_ws(&mut pos);
        if pos == bytes.len() {
            break;
        }
        if bytes[pos] == b',' {
            pos += 1;
            continue;
        }
        let name = token(&mut pos).ok_or_else(malformed)?;
        let mut params = Vec::new();
        loop {
            skip_ws(&mut pos);
            match bytes.get(pos) {
                None | Some(b',') => break,
                Some(b';') => pos += 1,
                Some(_) => return Err(malformed()),
            }
            skip_ws(&mut pos);
            let key = token(&mut pos).ok_or_else(malformed)?;
            skip_ws(&mut pos);
            let mut value = None;
            if bytes.get(pos) == Some(&b'=') {
                pos += 1;
                skip_ws(&mut pos);
                if bytes.get(pos) == Some(&b'"') {
                    // A quoted string; extension parameter values are tokens once unquoted
                    // (RFC 6455 section 9.1), so no escapes are needed or allowed.
                    let start = pos + 1;
                    let len = bytes[start..]
                        .iter()
                        .position(|&b| b == b'"')
                        .ok_or_else(malformed)?;
                    let inner = &header[start..start + len];
                    if inner.is_empty() || !inner.bytes().all(is_tchar) {
                        return Err(malformed());
                    }
                    value = Some(inner);
                    pos = start + len + 1;
                } else {
                    value = Some(token(&mut pos).ok_or_else(malformed)?);
                }
            }
            params.push((key, value));
        }
        out.push(Extension { name, params });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate(accepted: &str) -> Result<DeflateParams, HandshakeError> {
        Extensions::from_response(&[accepted])?
            .permessage_deflate
            .ok_or(HandshakeError::Malformed("none".into()))
    }

    #[test]
    fn no_header_means_no_extension() {
        assert_eq!(Extensions::negotiate(&[], &[]), Ok(Extensions::default()));
        assert_eq!(
            Extensions::negotiate(&["permessage-deflate"], &[]),
            Ok(Extensions::default())
        );
    }

    #[test]
    fn plain_permessage_deflate() {
        assert_eq!(deflate("permessage-deflate"), Ok(DeflateParams::default()));
        assert_eq!(deflate("Permessage-Deflate"), Ok(DeflateParams::default()));
    }

    #[test]
    fn every_parameter() {
        let p = deflate(
            "permessage-deflate; server_no_context_takeover ; client_no_context_takeover;\
             server_max_window_bits=9; client_max_window_bits=\"12\"",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (9, 12)
        );
        assert_eq!(p.max_window_bits(Direction::ServerToClient), 9);
    }

    #[test]
    fn bad_parameters() {
        for bad in [
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; foo",
        ] {
            assert!(
                matches!(deflate(bad), Err(HandshakeError::InvalidParameter(_))),
                "{bad}"
            );
        }
        for bad in ["7", "16", "010", "1a", "-9"] {
            let header = format!("permessage-deflate; server_max_window_bits={bad}");
            assert!(deflate(&header).is_err(), "{header}");
        }
    }

    #[test]
    fn malformed_lists() {
        for bad in [
            "permessage-deflate;",
            "; x",
            "permessage-deflate x",
            "a; b=\"",
            "a; b=\"\"",
        ] {
            assert!(
                matches!(
                    Extensions::from_response(&[bad]),
                    Err(HandshakeError::Malformed(_))
                ),
                "{bad}"
            );
        }
        // Empty list elements are allowed.
        assert!(Extensions::from_response(&[" , permessage-deflate ,"]).is_ok());
    }

    #[test]
    fn unknown_or_duplicate_accepted_extensions() {
        assert_eq!(
            Extensions::from_response(&["x-webkit-deflate-frame"]),
            Err(HandshakeError::UnsupportedExtension(
                "x-webkit-deflate-frame".into()
            ))
        );
        assert_eq!(
            Extensions::from_response(&["permessage-deflate", "permessage-deflate"]),
            Err(HandshakeError::DuplicateExtension)
        );
    }

    #[test]
    fn the_response_must_match_an_offer() {
        assert_eq!(
            Extensions::negotiate(&[], &["permessage-deflate"]),
            Err(HandshakeError::NotOffered("permessage-deflate"))
        );
        assert_eq!(
            Extensions::negotiate(
                &["permessage-deflate"],
                &["permessage-deflate; client_max_window_bits=10"]
            ),
            Err(HandshakeError::NotOffered("client_max_window_bits"))
        );
        // Browsers offer several variants in one header; any may be the one accepted.
        let ext = Extensions::negotiate(
            &["permessage-deflate; client_max_window_bits, permessage-deflate"],
            &["permessage-deflate; client_max_window_bits=15"],
        );
        assert!(ext.unwrap().permessage_deflate.is_some());
    }
}
