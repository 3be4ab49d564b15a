//! Who may reach the mock: the `Host` allow-list every route checks, and what counts as a
//! loopback peer. Plain values and functions with no I/O; the HTTP
//! layer (`http/routes.rs`, `http/admin.rs`) applies them.
//!
//! The mock runs on developers' machines next to a web browser, so any page the browser opens
//! is a would-be client. The `Host` check defeats DNS rebinding, where a page's own host name
//! is made to resolve to 127.0.0.1 so that the browser treats the mock as the page's origin: a
//! request is answered only when its `Host` names `localhost`, a loopback address, the address
//! the connection arrived on, or a name in [`MockConfig::allowed_hosts`].
//!
//! [`MockConfig::allowed_hosts`]: crate::MockConfig::allowed_hosts

use std::net::IpAddr;

/// True when `ip` is a loopback address: 127.0.0.0/8, `::1`, or an IPv4 loopback address
/// mapped into IPv6 (`::ffff:127.0.0.1`), which is how an IPv4 client appears to a listener
/// bound to `::`.
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The host part of a `Host` header value (or of a request target's authority): the port is
/// cut off, brackets around an IPv6 address are removed, and one trailing dot (`localhost.`)
/// is dropped. `None` when the value is malformed (`[::1` without its bracket).
pub(crate) fn host_part(value: &str) -> Option<&str> {
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

/// True when a request whose `Host` is `host` (a header value, port included or not) may be
/// answered by a connection that arrived on the local address `local`: `localhost`, any
/// loopback address, `local` itself, or one of `extra` (compared without regard to case, any
/// port in `extra` ignored).
pub(crate) fn host_allowed(host: &str, local: IpAddr, extra: &[String]) -> bool {
    let Some(host) = host_part(host) else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        if is_loopback(ip) || ip.to_canonical() == local.to_canonical() {
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

    #[test]
    fn hosts_are_allowed_by_name_loopback_or_the_local_address() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let lan: IpAddr = "192.0.2.10".parse().unwrap();
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
        assert!(host_allowed(
            "192.0.2.10:3000",
            "::ffff:192.0.2.10".parse().unwrap(),
            &[]
        ));
        assert!(!host_allowed("192.0.2.10:3000", local, &[]));
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
