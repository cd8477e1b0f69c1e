//! The client's address: the socket peer, or, when the peer is a trusted
//! proxy, the nearest address in `X-Forwarded-For` / `Forwarded` that is
//! not itself a trusted proxy (walking right to left, since a client can
//! write anything at the left end).

use std::net::IpAddr;

use ipnet::IpNet;

pub fn resolve(
    peer: IpAddr,
    trusted: &[IpNet],
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let hops: Vec<IpAddr> = match (forwarded, x_forwarded_for) {
        (Some(f), _) => forwarded_for(f),
        (None, Some(x)) => x
            .split(',')
            .filter_map(|hop| parse_ip(hop.trim()))
            .collect(),
        (None, None) => return peer,
    };
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` addresses of an RFC 7239 header, in order.
fn forwarded_for(header: &str) -> Vec<IpAddr> {
    header
        .split(',')
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("for")
                .then(|| parse_ip(value.trim()))?
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:80"`, `2001:db8::1`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    text.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn headers_of_untrusted_peers_are_ignored() {
        let got = resolve(
            ip("203.0.113.9"),
            &nets(&["127.0.0.1/32"]),
            None,
            Some("1.1.1.1"),
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn the_nearest_untrusted_hop_wins() {
        let trusted = nets(&["127.0.0.0/8", "10.0.0.0/8"]);
        let xff = Some("6.6.6.6, 198.51.100.7, 10.0.0.2");
        assert_eq!(
            resolve(ip("127.0.0.1"), &trusted, None, xff),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_is_understood_and_preferred() {
        let trusted = nets(&["127.0.0.1/32"]);
        let fwd = Some(r#"for=192.0.2.60;proto=http, for="[2001:db8::7]:4711""#);
        assert_eq!(
            resolve(ip("127.0.0.1"), &trusted, fwd, Some("9.9.9.9")),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        let trusted = nets(&["127.0.0.1/32"]);
        assert_eq!(
            resolve(ip("127.0.0.1"), &trusted, None, Some("nonsense")),
            ip("127.0.0.1")
        );
    }
}
