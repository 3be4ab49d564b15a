//! Who may use the proxy: the `Host` allow-list. The rules are the mock's (rt2-mock's
//! `access.rs`): the proxy listens next to a web browser, so a page whose own name was made to
//! resolve to 127.0.0.1 (DNS rebinding) must not reach it and, through it, the upstream with
//! the user's cookies.

use std::net::IpAddr;

/// The host part of a `Host` value: the port cut off, IPv6 brackets removed, one trailing dot
/// dropped. `None` when malformed.
fn host_part(value: &str) -> Option<&str> {
    let host = if let Some(bracketed) = value.strip_prefix('[') {
        let (inside, rest) = bracketed.split_once(']')?;
        if !(rest.is_empty() || rest.starts_with(':')) {
            return None;
        }
        inside
    } else {
        match value.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => value,
            Some((host, _)) => host,
            None => value,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// True when a request whose `Host` is `host` may be answered: `localhost`, a loopback
/// address, the address the connection arrived on, or one of `extra`.
pub(crate) fn host_allowed(host: &str, local: IpAddr, extra: &[String]) -> bool {
    let Some(host) = host_part(host) else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        if ip.is_loopback() || ip == local.to_canonical() {
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

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn loopback_names_pass_and_rebound_names_do_not() {
        for host in [
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "LOCALHOST.",
            "127.0.0.2",
        ] {
            assert!(host_allowed(host, LOCAL, &[]), "{host}");
        }
        for host in ["evil.example:3000", "", "[::1", "10.0.0.1"] {
            assert!(!host_allowed(host, LOCAL, &[]), "{host}");
        }
        assert!(host_allowed(
            "dev.local:3000",
            LOCAL,
            &["dev.local".to_owned()]
        ));
    }
}
