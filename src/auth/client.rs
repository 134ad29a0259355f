//! Who is on the other end of a request: the client address (honouring `X-Forwarded-For`
//! only from configured trusted proxies), whether it came over https, and whether the
//! loopback trust rule applies.
//!
//! Owns: the loopback trust rule and the trusted-proxy rule, as pure functions of the peer
//! address, a few header values and the config. Never: reads a request, a socket or a
//! clock, and never looks at cookies (sessions are `service`'s business).
//!
//! The loopback trust rule (docs/api.md): a request from a loopback address that carries no
//! `X-Forwarded-For` is treated as admin without a cookie; `trust_loopback = false` turns it
//! off. Two deliberate hardenings, both only ever refusing trust:
//! - `Forwarded` and `X-Real-IP` disqualify like `X-Forwarded-For` does: a reverse proxy on
//!   the same host that announces the client in one of those (and not in XFF) would
//!   otherwise make every visitor an admin.
//! - The `Host` header, when present, must be a loopback name (`localhost`, `127.x.x.x`,
//!   `[::1]`). A web page in a browser on the host can reach 127.0.0.1 through DNS
//!   rebinding; its requests then carry the attacker's host name and are not trusted.
//! - A browser request from another origin (`Origin` not matching `Host`, or
//!   `Sec-Fetch-Site: cross-site|same-site`) is not trusted: a page on any site, opened in
//!   a browser on the host, could otherwise post to or open a WebSocket on 127.0.0.1 as
//!   admin. Scripts and health checks send no `Origin`; the dashboard on localhost sends
//!   its own origin, which matches.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use super::AuthConfig;

/// Most `X-Forwarded-For` entries we walk. A real proxy chain is 1–3 hops; a longer list is
/// client-supplied padding and its far end cannot be trusted anyway.
pub const MAX_FORWARDED_HOPS: usize = 16;

/// The request facts the trust rules look at, lifted out of the HTTP headers by the HTTP
/// layer (`http::auth::client_identity`) so this module stays free of HTTP types.
#[derive(Debug, Default, Clone)]
pub struct ForwardingHeaders<'a> {
    /// Every `X-Forwarded-For` header line, in the order received.
    pub x_forwarded_for: Vec<&'a str>,
    /// The last `X-Forwarded-Proto` header line.
    pub x_forwarded_proto: Option<&'a str>,
    /// A `Forwarded` or `X-Real-IP` header is present.
    pub other_forwarding: bool,
    /// The `Host` header (or the HTTP/2 `:authority`).
    pub host: Option<&'a str>,
    /// The `Origin` header (browsers send it on cross-origin requests, POSTs and WebSockets).
    pub origin: Option<&'a str>,
    /// The `Sec-Fetch-Site` header (`same-origin`, `same-site`, `cross-site`, `none`).
    pub sec_fetch_site: Option<&'a str>,
}

/// What the server concluded about a request's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The client address used for rate limiting and logs: the peer, or the address a
    /// trusted proxy forwarded.
    pub addr: IpAddr,
    /// The request reached us over https (a trusted proxy said so in `X-Forwarded-Proto`).
    pub via_https: bool,
    /// The loopback trust rule applies: treat as admin without a cookie.
    pub loopback_trusted: bool,
    /// The peer is one of the configured trusted proxies.
    pub via_trusted_proxy: bool,
}

/// An IP network in CIDR notation, e.g. `10.0.0.0/8`, `fd00::/8`, or a single address
/// (`127.0.0.1` = `/32`). Used for `trusted_proxies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpCidr {
    network: IpAddr,
    prefix_len: u8,
}

/// Computes the client identity. Pure: the same inputs always give the same answer.
pub fn client_identity(peer: SocketAddr, headers: &ForwardingHeaders<'_>, cfg: &AuthConfig) -> ClientIdentity {
    let (trust_loopback, trusted_proxies) = (cfg.trust_loopback, cfg.trusted_proxies.as_slice());
    let peer_ip = peer.ip().to_canonical();
    let via_trusted_proxy = trusted_proxies.iter().any(|c| c.contains(peer_ip));
    let forwarded = !headers.x_forwarded_for.is_empty() || headers.other_forwarding;

    let addr =
        if via_trusted_proxy { forwarded_client(peer_ip, &headers.x_forwarded_for, trusted_proxies) } else { peer_ip };
    let via_https = via_trusted_proxy
        && headers
            .x_forwarded_proto
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let loopback_trusted = trust_loopback
        && peer_ip.is_loopback()
        && !forwarded
        && headers.host.is_none_or(is_loopback_host)
        && !is_cross_origin_browser_request(headers);

    ClientIdentity { addr, via_https, loopback_trusted, via_trusted_proxy }
}

/// Whether a browser sent this request from a page of another origin.
pub fn is_cross_origin_browser_request(headers: &ForwardingHeaders<'_>) -> bool {
    let fetch_site_foreign = headers.sec_fetch_site.is_some_and(|s| {
        let s = s.trim();
        s.eq_ignore_ascii_case("cross-site") || s.eq_ignore_ascii_case("same-site")
    });
    let origin_foreign = headers.origin.is_some_and(|o| !headers.host.is_some_and(|h| origin_matches_authority(o, h)));
    fetch_site_foreign || origin_foreign
}

/// Whether `origin` (`scheme://host[:port]`) names the same host and port as a `Host`
/// header value (`host[:port]`). A missing port means the default port of the origin's
/// scheme on both sides: the `Host` header does not say which scheme the client used.
/// `null` and anything unparsable never match.
pub fn origin_matches_authority(origin: &str, authority: &str) -> bool {
    let Some((scheme, origin_authority)) = origin.trim().split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        _ => return false,
    };
    match (
        split_authority(origin_authority.trim_end_matches('/'), default_port),
        split_authority(authority.trim(), default_port),
    ) {
        (Some((h1, p1)), Some((h2, p2))) => p1 == p2 && h1.eq_ignore_ascii_case(h2),
        _ => false,
    }
}

/// `host[:port]` or `[v6][:port]` → (host, port), the port defaulted.
fn split_authority(authority: &str, default_port: u16) -> Option<(&str, u16)> {
    if authority.is_empty() || authority.contains(['/', '@', ' ', '?', '#']) {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        (inner, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty()).then_some((host, port))
}

/// Walks `X-Forwarded-For` from the nearest hop outwards, skipping trusted proxies; the first
/// untrusted address is the client. An entry that does not parse stops the walk at the
/// hop that wrote it, so garbage never lets a client pick its own address.
fn forwarded_client(peer: IpAddr, lines: &[&str], trusted: &[IpCidr]) -> IpAddr {
    let entries: Vec<&str> = lines.iter().flat_map(|l| l.split(',')).map(str::trim).filter(|e| !e.is_empty()).collect();
    let mut client = peer;
    for entry in entries.iter().rev().take(MAX_FORWARDED_HOPS) {
        let Some(ip) = parse_forwarded_entry(entry) else {
            return client;
        };
        client = ip;
        if !trusted.iter().any(|c| c.contains(ip)) {
            return ip;
        }
    }
    client
}

/// Parses one `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:443`.
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip().to_canonical())
}

/// `localhost`, `127.0.0.1`, `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        match rest.split_once(']') {
            Some((inner, _)) => inner,
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

impl IpCidr {
    /// Whether `ip` is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_v4(ip, self.prefix_len) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask_v6(ip, self.prefix_len) == u128::from(net),
            _ => false,
        }
    }
}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> u32 {
    let bits = u32::from(ip);
    match prefix {
        0 => 0,
        p => bits & (u32::MAX << (32 - u32::from(p.min(32)))),
    }
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> u128 {
    let bits = u128::from(ip);
    match prefix {
        0 => 0,
        p => bits & (u128::MAX << (128 - u32::from(p.min(128)))),
    }
}

impl FromStr for IpCidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip = addr
            .parse::<IpAddr>()
            .map_err(|_| format!("trusted proxy `{s}` is not an IP address or CIDR (e.g. 10.0.0.0/8)"))?
            .to_canonical();
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("trusted proxy `{s}`: prefix length must be 0–{max}"))?,
        };
        // Host bits are cleared so `10.1.2.3/8` means 10.0.0.0/8.
        let network = match ip {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(mask_v4(v4, prefix_len))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(v6, prefix_len))),
        };
        Ok(IpCidr { network, prefix_len })
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

impl serde::Serialize for IpCidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for IpCidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().expect("ip"), 40000)
    }

    fn cfg(trust_loopback: bool, proxies: &[IpCidr]) -> AuthConfig {
        AuthConfig { trust_loopback, trusted_proxies: proxies.to_vec(), ..AuthConfig::default() }
    }

    fn cidrs(list: &[&str]) -> Vec<IpCidr> {
        list.iter().map(|s| s.parse().expect("cidr")).collect()
    }

    #[test]
    fn loopback_without_forwarding_headers_is_trusted() {
        let h = ForwardingHeaders { host: Some("localhost:8080"), ..Default::default() };
        let id = client_identity(peer("127.0.0.1"), &h, &cfg(true, &[]));
        assert!(id.loopback_trusted);
        let id = client_identity(peer("::1"), &ForwardingHeaders::default(), &cfg(true, &[]));
        assert!(id.loopback_trusted);
        let id = client_identity(peer("::ffff:127.0.0.1"), &ForwardingHeaders::default(), &cfg(true, &[]));
        assert!(id.loopback_trusted);
    }

    #[test]
    fn loopback_trust_can_be_turned_off() {
        let id = client_identity(peer("127.0.0.1"), &ForwardingHeaders::default(), &cfg(false, &[]));
        assert!(!id.loopback_trusted);
    }

    #[test]
    fn loopback_with_any_forwarding_header_is_never_trusted() {
        let xff = ForwardingHeaders { x_forwarded_for: vec!["127.0.0.1"], ..Default::default() };
        assert!(!client_identity(peer("127.0.0.1"), &xff, &cfg(true, &[])).loopback_trusted);
        let fwd = ForwardingHeaders { other_forwarding: true, ..Default::default() };
        assert!(!client_identity(peer("127.0.0.1"), &fwd, &cfg(true, &[])).loopback_trusted);
        // Even when the loopback peer is itself a trusted proxy.
        let trusted = cidrs(&["127.0.0.1"]);
        assert!(!client_identity(peer("127.0.0.1"), &xff, &cfg(true, &trusted)).loopback_trusted);
    }

    #[test]
    fn loopback_with_a_foreign_host_name_is_not_trusted() {
        let h = ForwardingHeaders { host: Some("evil.example:8080"), ..Default::default() };
        assert!(!client_identity(peer("127.0.0.1"), &h, &cfg(true, &[])).loopback_trusted);
        for ok in ["127.0.0.1:8080", "[::1]:8080", "LOCALHOST", "127.1.2.3"] {
            let h = ForwardingHeaders { host: Some(ok), ..Default::default() };
            assert!(client_identity(peer("127.0.0.1"), &h, &cfg(true, &[])).loopback_trusted, "{ok}");
        }
    }

    #[test]
    fn loopback_request_from_a_foreign_page_is_not_trusted() {
        let foreign = ForwardingHeaders {
            host: Some("127.0.0.1:8080"),
            origin: Some("https://evil.example"),
            ..Default::default()
        };
        assert!(!client_identity(peer("127.0.0.1"), &foreign, &cfg(true, &[])).loopback_trusted);
        let own = ForwardingHeaders {
            host: Some("localhost:8080"),
            origin: Some("http://localhost:8080"),
            sec_fetch_site: Some("same-origin"),
            ..Default::default()
        };
        assert!(client_identity(peer("127.0.0.1"), &own, &cfg(true, &[])).loopback_trusted);
        let cross = ForwardingHeaders { sec_fetch_site: Some("cross-site"), ..Default::default() };
        assert!(!client_identity(peer("127.0.0.1"), &cross, &cfg(true, &[])).loopback_trusted);
    }

    #[test]
    fn origin_matching_defaults_ports_by_scheme() {
        assert!(origin_matches_authority("https://a.example", "a.example"));
        assert!(origin_matches_authority("https://a.example", "A.example:443"));
        assert!(origin_matches_authority("http://localhost:8080", "localhost:8080"));
        assert!(origin_matches_authority("http://[::1]:8080", "[::1]:8080"));
        assert!(!origin_matches_authority("http://localhost:8080", "localhost:8081"));
        assert!(!origin_matches_authority("https://a.example", "a.example:80"));
        assert!(!origin_matches_authority("null", "a.example"));
        assert!(!origin_matches_authority("https://evil.example", "a.example"));
        assert!(!origin_matches_authority("https://a.example.evil", "a.example"));
    }

    #[test]
    fn non_loopback_peer_is_never_trusted() {
        let id = client_identity(peer("10.0.0.5"), &ForwardingHeaders::default(), &cfg(true, &[]));
        assert!(!id.loopback_trusted);
        assert_eq!(id.addr, "10.0.0.5".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn trusted_proxy_forwards_client_address_and_https() {
        let h = ForwardingHeaders {
            x_forwarded_for: vec!["203.0.113.9, 10.0.0.2"],
            x_forwarded_proto: Some("https"),
            ..Default::default()
        };
        let id = client_identity(peer("10.0.0.1"), &h, &cfg(true, &cidrs(&["10.0.0.0/8"])));
        assert_eq!(id.addr, "203.0.113.9".parse::<IpAddr>().expect("ip"));
        assert!(id.via_https && id.via_trusted_proxy && !id.loopback_trusted);
    }

    #[test]
    fn untrusted_peer_forwarding_headers_are_ignored() {
        let h = ForwardingHeaders {
            x_forwarded_for: vec!["203.0.113.9"],
            x_forwarded_proto: Some("https"),
            ..Default::default()
        };
        let id = client_identity(peer("198.51.100.7"), &h, &cfg(true, &cidrs(&["10.0.0.0/8"])));
        assert_eq!(id.addr, "198.51.100.7".parse::<IpAddr>().expect("ip"));
        assert!(!id.via_https);
    }

    #[test]
    fn client_supplied_spoof_left_of_the_real_client_is_ignored() {
        // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the real address.
        let h = ForwardingHeaders { x_forwarded_for: vec!["1.1.1.1", "203.0.113.9"], ..Default::default() };
        let id = client_identity(peer("10.0.0.1"), &h, &cfg(true, &cidrs(&["10.0.0.1"])));
        assert_eq!(id.addr, "203.0.113.9".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn garbage_forwarded_entry_falls_back_to_the_hop_that_wrote_it() {
        let h = ForwardingHeaders { x_forwarded_for: vec!["1.1.1.1, unknown"], ..Default::default() };
        let id = client_identity(peer("10.0.0.1"), &h, &cfg(true, &cidrs(&["10.0.0.1"])));
        assert_eq!(id.addr, "10.0.0.1".parse::<IpAddr>().expect("ip"));
        let h = ForwardingHeaders { x_forwarded_for: vec!["[2001:db8::7]:443"], ..Default::default() };
        let id = client_identity(peer("10.0.0.1"), &h, &cfg(true, &cidrs(&["10.0.0.1"])));
        assert_eq!(id.addr, "2001:db8::7".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn cidr_parsing_and_matching() {
        let c: IpCidr = "10.1.2.3/8".parse().expect("cidr");
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert!(c.contains("10.200.0.1".parse().expect("ip")));
        assert!(c.contains("::ffff:10.0.0.1".parse().expect("ip")));
        assert!(!c.contains("11.0.0.1".parse().expect("ip")));
        let v6: IpCidr = "fd00::/8".parse().expect("cidr");
        assert!(v6.contains("fd12::1".parse().expect("ip")));
        assert!(!v6.contains("10.0.0.1".parse().expect("ip")));
        let all: IpCidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains("8.8.8.8".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<IpCidr>().is_err());
        assert!("proxy.local".parse::<IpCidr>().is_err());
    }
}
