//! Origins and listen addresses as the configuration states them: what counts as a bare
//! origin, a CSP-safe origin, the origin of a URL, and a loopback listen address.

/// Whether a listen address (`host:port`) only accepts connections from this machine: a
/// loopback IP or `localhost`. Anything else (`0.0.0.0`, a LAN address, a host name) may be
/// reachable from the network.
pub fn is_loopback_addr(addr: &str) -> bool {
    if let Ok(a) = addr.parse::<std::net::SocketAddr>() {
        return a.ip().is_loopback();
    }
    addr.rsplit_once(':')
        .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

/// Whether `s` is a bare origin: `http(s)://host[:port]`, no path, query or trailing slash.
pub fn is_origin(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && rest
            .rsplit_once(':')
            .is_none_or(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
}

/// An origin that can stand in a CSP source list as it is: [`is_origin`] and only host
/// characters, so it cannot end the directive or add a source.
pub fn is_csp_origin(s: &str) -> bool {
    is_origin(s)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:/[]".contains(&b))
}

/// The origin part of a URL (`http://h:p/x?y` → `http://h:p`).
pub fn origin_of(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let o = format!("{}{}", &url[..scheme_end], &rest[..end]);
    is_origin(&o).then_some(o)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_listen_addresses_count_as_loopback() {
        for a in [
            "127.0.0.1:8080",
            "127.0.0.2:1",
            "[::1]:8080",
            "localhost:8080",
        ] {
            assert!(is_loopback_addr(a), "{a}");
        }
        for a in [
            "0.0.0.0:8080",
            "[::]:8080",
            "192.168.1.2:80",
            "example.org:80",
            "8080",
            "",
        ] {
            assert!(!is_loopback_addr(a), "{a}");
        }
    }

    #[test]
    fn origins_are_recognised_exactly() {
        assert!(is_origin("http://127.0.0.1:8081"));
        assert!(is_origin("https://apps.example.org"));
        assert!(!is_origin("http://127.0.0.1:8081/"));
        assert!(!is_origin("ftp://x"));
        assert!(!is_origin("http://x:port"));
        assert!(is_csp_origin("https://lms.example.org:8443"));
        assert!(is_csp_origin("http://[::1]:8080"));
        assert!(!is_csp_origin("http://a;\tscript-src\t*:1"));
        assert!(!is_csp_origin("http://a'b"));
        assert_eq!(
            origin_of("http://127.0.0.1:8081/counter/?a=b").as_deref(),
            Some("http://127.0.0.1:8081")
        );
    }
}
