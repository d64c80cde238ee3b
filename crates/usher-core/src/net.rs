//! Which address a request comes from when Usher runs behind reverse
//! proxies. The peer of the connection is the client unless it is one of
//! the configured trusted proxies; then `X-Forwarded-For` is read from the
//! right, skipping trusted proxies, and the first other address is the
//! client. Anything a client could forge (the header from an untrusted
//! peer, the leftmost entries) is never believed.

use ipnetwork::IpNetwork;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed (`USHER_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNetwork>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNetwork>()
                .map_err(|e| format!("{part:?} is not an address or a network (a.b.c.d/n): {e}"))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address, given the connection's peer and the request's
    /// `X-Forwarded-For` headers (joined in order).
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(list) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in list.rsplit(',').map(str::trim) {
            let Some(ip) = parse_hop(hop) else {
                // A malformed entry ends what can be believed.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An IPv4 address seen as `::ffff:a.b.c.d` is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let t = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // An untrusted peer's header is ignored: it could say anything.
        assert_eq!(
            t.client(ip("203.0.113.5"), Some("1.1.1.1")),
            ip("203.0.113.5")
        );
        // Through one proxy.
        assert_eq!(
            t.client(ip("127.0.0.1"), Some("198.51.100.7")),
            ip("198.51.100.7")
        );
        // A forged leftmost entry is skipped: the rightmost untrusted one wins.
        assert_eq!(
            t.client(ip("10.1.2.3"), Some("6.6.6.6, 198.51.100.7, 10.0.0.9")),
            ip("198.51.100.7")
        );
        // Ports, IPv6 brackets, mapped IPv4.
        assert_eq!(
            t.client(ip("127.0.0.1"), Some("198.51.100.7:4431")),
            ip("198.51.100.7")
        );
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), Some("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
        // Garbage stops the walk at the last good hop.
        assert_eq!(
            t.client(ip("127.0.0.1"), Some("x, 10.0.0.2")),
            ip("10.0.0.2")
        );
        assert_eq!(t.client(ip("127.0.0.1"), None), ip("127.0.0.1"));
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), Some("1.1.1.1")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }
}
