//! The client IP of a request: the socket peer, unless the peer is a configured trusted proxy;
//! only then the forwarding header is read, right to left, and the first hop that is not a
//! trusted proxy is the client. Headers from untrusted peers are ignored, so they cannot be
//! spoofed.

use axum::extract::ConnectInfo;
use http::HeaderMap;
use http::request::Parts;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// An IP network in CIDR notation (`10.0.0.0/8`, `::1/128`); a bare address is a /32 or /128.
/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/8`) is the IPv4 network it maps.
///
/// ```
/// use portcullis::throttle::Cidr;
/// let net: Cidr = "10.0.0.0/8".parse().unwrap();
/// assert!(net.contains("10.1.2.3".parse().unwrap()));
/// assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
/// assert_eq!("::1".parse::<Cidr>().unwrap().to_string(), "::1/128");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

/// A CIDR that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid trusted proxy `{0}`: expected an IP address or a CIDR such as `10.0.0.0/8` or `fd00::/8`"
)]
pub struct CidrParseError(String);

impl Cidr {
    /// Whether `ip` lies in the network. IPv4-mapped IPv6 addresses match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

impl FromStr for Cidr {
    type Err = CidrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CidrParseError(s.to_owned());
        let text = s.trim();
        let net = match text.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) if !text.contains('/') => {
                IpNet::from(canonical(text.parse::<IpAddr>().map_err(|_| err())?))
            }
            Err(_) => return Err(err()),
        };
        let net = match net {
            IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) => IpNet::V4(Ipv4Net::new(v4, v6.prefix_len()).map_err(|_| err())?),
                None => net,
            },
            v4 => v4,
        };
        Ok(Self(net))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4, so one client has one key.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Which forwarding header the trusted proxies write. Exactly one is read: a header the proxies
/// do not write passes through them untouched and would be attacker-controlled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

/// The proxies whose forwarding headers are believed. Empty by default: the client IP is the
/// socket peer and forwarding headers are ignored.
///
/// ```
/// use portcullis::throttle::TrustedProxies;
/// let proxies = TrustedProxies::new(["10.0.0.0/8", "::1"]).unwrap();
/// assert!(TrustedProxies::new(["10.0.0.0/33"]).is_err());
/// # let _ = proxies;
/// ```
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    nets: Vec<Cidr>,
    header: ForwardedHeader,
    ipv6_prefix: u8,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        Self {
            nets: Vec::new(),
            header: ForwardedHeader::default(),
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }
}

/// The IPv6 prefix one client is counted under by default: a /64 is what one subscriber is
/// handed, and its 2^64 addresses are free to rotate through.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The network a client is counted under for per-IP limits: an IPv4 address (IPv4-mapped
/// IPv6 included) as itself, an IPv6 address as its `/prefix` network.
///
/// ```
/// use portcullis::throttle::client_network;
/// let a = client_network("2001:db8:1:2:aaaa::1".parse().unwrap(), 64);
/// let b = client_network("2001:db8:1:2:bbbb::9".parse().unwrap(), 64);
/// assert_eq!(a, b);
/// assert_eq!(a, "2001:db8:1:2::/64");
/// assert_eq!(client_network("::ffff:192.0.2.7".parse().unwrap(), 64), "192.0.2.7");
/// ```
pub fn client_network(ip: IpAddr, ipv6_prefix: u8) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => Ipv6Net::new(v6, ipv6_prefix.min(128))
            .unwrap_or_else(|_| Ipv6Net::from(v6))
            .trunc()
            .to_string(),
    }
}

impl TrustedProxies {
    /// No trusted proxy: the socket peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Trusts the given networks (CIDR or bare addresses); reads `X-Forwarded-For`.
    pub fn new<I, S>(nets: I) -> Result<Self, CidrParseError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nets = nets
            .into_iter()
            .map(|s| s.as_ref().parse())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            nets,
            ..Self::default()
        })
    }

    /// Reads the given header instead of `X-Forwarded-For`.
    pub fn header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// The IPv6 prefix per-IP limits count one client under (default
    /// [`DEFAULT_IPV6_PREFIX`], /64; clamped to 128). See [`client_network`].
    pub fn ipv6_prefix(mut self, prefix: u8) -> Self {
        self.ipv6_prefix = prefix.min(128);
        self
    }

    /// The key per-IP limits count `ip` under ([`client_network`] with this prefix).
    pub fn client_key(&self, ip: IpAddr) -> String {
        client_network(ip, self.ipv6_prefix)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client IP of a request from socket peer `peer` with the given headers.
    ///
    /// Walks the forwarding header from the right while each hop is a trusted proxy; the first
    /// untrusted hop is the client. If every hop is trusted, the leftmost is the client. A hop
    /// that is not an address (`unknown`, garbage) ends the walk at the last good address.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => header_items(headers, "x-forwarded-for")
                .map(parse_hop)
                .collect::<Vec<_>>(),
            ForwardedHeader::Forwarded => header_items(headers, "forwarded")
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, v)| parse_hop(v))
                })
                .collect::<Vec<_>>(),
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(ip) = hop else { break };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        client
    }

    /// The client IP of a request, from its `ConnectInfo<SocketAddr>` extension; `None` when
    /// the server was not started with `into_make_service_with_connect_info::<SocketAddr>()`.
    pub fn client_ip_of(&self, parts: &Parts) -> Option<IpAddr> {
        let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
        Some(self.client_ip(peer.ip(), &parts.headers))
    }
}

/// Comma-separated items of every instance of a header, in order. Values that are not visible
/// ASCII contribute an unparseable item, so they end the walk rather than being skipped.
fn header_items<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("\u{0}").split(','))
}

/// One hop: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `"[::1]:4711"`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    let inner = s.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok().map(canonical)
}
