//! Who may reach a local server of sio-replay (the mock, the proxy, the web view): the `Host`
//! allow-list that stops DNS rebinding, what counts as a loopback peer, and comparing secrets
//! in constant time. Plain values and functions with no I/O.
//!
//! A server on a developer's machine sits next to a web browser, so any page the browser opens
//! is a would-be client. A page whose host name has been made to resolve to 127.0.0.1 (DNS
//! rebinding) is treated by the browser as same-origin with the server, but still sends its own
//! name in `Host`: a request is answered only when its `Host` names `localhost`, a loopback
//! address, the address the connection arrived on, or a name the user allowed.

use std::net::IpAddr;

/// Compares two byte strings in a time that depends on their lengths only, so that timing
/// the answers does not reveal how much of a guessed token was right. (The length of a token
/// is no secret.)
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}

/// True when `ip` is a loopback address: 127.0.0.0/8, `::1`, or an IPv4 loopback address
/// mapped into IPv6 (`::ffff:127.0.0.1`), which is how an IPv4 client appears to a listener
/// bound to `::`.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The host part of a `Host` header value (or of a request target's authority): the port is
/// cut off, brackets around an IPv6 address are removed, and one trailing dot (`localhost.`)
/// is dropped. `None` when the value is malformed (`[::1` without its bracket).
pub fn host_part(value: &str) -> Option<&str> {
    let host = if let Some(bracketed) = value.strip_prefix('[') {
        let (inside, rest) = bracketed.split_once(']')?;
        if !(rest.is_empty() || rest.starts_with(':')) {
            return None;
        }
        inside
    } else {
        match value.rsplit_once(':') {
            // More than one colon: an IPv6 address without brackets, which `Host` never
            // carries; kept whole, so that it matches nothing but an equal address.
            Some((host, _)) if host.contains(':') => value,
            Some((host, _)) => host,
            None => value,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// Where a connection reached the server.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddresses {
    /// The address the client connected to.
    pub connection: IpAddr,
    /// The address the listener is bound to: the same, or `0.0.0.0` / `::` for a listener on
    /// every interface (a client that follows a banner showing `http://0.0.0.0:3000` names it).
    pub listener: IpAddr,
}

/// True when a request whose `Host` is `host` (a header value, port included or not) may be
/// answered on a connection that reached the server at `local`: `localhost`, any loopback
/// address, either local address, or one of `extra` (compared without regard to case, any
/// port in `extra` ignored). An address in `Host` cannot be the work of DNS rebinding, which
/// needs a name; names are what the list is strict about.
pub fn host_allowed(host: &str, local: LocalAddresses, extra: &[String]) -> bool {
    let Some(host) = host_part(host) else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        if is_loopback(ip)
            || ip == local.connection.to_canonical()
            || ip == local.listener.to_canonical()
        {
            return true;
        }
    }
    extra
        .iter()
        .filter_map(|name| host_part(name))
        .any(|name| name.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_mapped_loopback_is_loopback() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.7", "::ffff:192.0.2.7", "::", "0.0.0.0"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_host_part_drops_the_port_and_the_brackets() {
        assert_eq!(host_part("localhost:3000"), Some("localhost"));
        assert_eq!(host_part("LocalHost"), Some("LocalHost"));
        assert_eq!(host_part("localhost.:3000"), Some("localhost"));
        assert_eq!(host_part("[::1]:3000"), Some("::1"));
        assert_eq!(host_part("[::1]"), Some("::1"));
        assert_eq!(host_part("::1"), Some("::1"));
        assert_eq!(host_part("[::1"), None);
        assert_eq!(host_part("[::1]x"), None);
        assert_eq!(host_part(":3000"), None);
        assert_eq!(host_part(""), None);
    }

    fn at(connection: &str, listener: &str) -> LocalAddresses {
        LocalAddresses {
            connection: connection.parse().unwrap(),
            listener: listener.parse().unwrap(),
        }
    }

    #[test]
    fn hosts_are_allowed_by_name_loopback_or_the_local_address() {
        let local = at("127.0.0.1", "127.0.0.1");
        let lan = at("192.0.2.10", "0.0.0.0");
        for host in [
            "localhost:3000",
            "LOCALHOST",
            "127.0.0.1:3000",
            "127.0.0.2",
            "[::1]:3000",
        ] {
            assert!(host_allowed(host, local, &[]), "{host}");
        }
        assert!(host_allowed("192.0.2.10:3000", lan, &[]));
        assert!(host_allowed("0.0.0.0:3000", lan, &[]));
        assert!(host_allowed(
            "192.0.2.10:3000",
            at("::ffff:192.0.2.10", "::"),
            &[]
        ));
        assert!(host_allowed(
            "[::]:3000",
            at("::ffff:192.0.2.10", "::"),
            &[]
        ));
        assert!(!host_allowed("192.0.2.10:3000", local, &[]));
        assert!(!host_allowed("0.0.0.0:3000", local, &[]));
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "",
        ] {
            assert!(!host_allowed(host, local, &[]), "{host}");
        }
        let extra = ["Mock.Test".to_owned(), "ci-runner:3000".to_owned()];
        assert!(host_allowed("mock.test:3000", local, &extra));
        assert!(host_allowed("ci-runner", local, &extra));
        assert!(!host_allowed("other.test", local, &extra));
    }
}
