//! The client's address behind a reverse proxy or load balancer.
//!
//! Login limits and management-key IP ranges judge the address a request comes from. Behind a
//! layer-7 balancer that is the balancer's; with `--trusted-proxies` Berth takes the client's from
//! `X-Forwarded-For` instead, but only from peers listed there, so a client cannot choose its own.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::AppState;

/// Parses one `--trusted-proxies` entry: a CIDR range or a single address.
pub fn parse_trusted_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR range"))
}

fn is_trusted(trusted: &[IpNet], address: IpAddr) -> bool {
    trusted.iter().any(|range| range.contains(&address))
}

/// The client address `X-Forwarded-For` gives, read from the right: each trusted hop appended the
/// address it received from, so the first untrusted one is the client. `None` keeps the peer.
fn forwarded_client(headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let mut client = None;
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let hop = hop.trim();
        let Some(address) = hop
            .parse::<IpAddr>()
            .ok()
            .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        else {
            // A garbled entry: nothing left of it can be believed.
            break;
        };
        client = Some(address);
        if !is_trusted(trusted, address) {
            break;
        }
    }
    client
}

/// Replaces the connection's peer address by the forwarded client's when the peer is trusted.
pub async fn client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if !state.trusted_proxies.is_empty() {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        if let Some(peer) = peer
            && is_trusted(&state.trusted_proxies, peer.ip())
            && let Some(client) = forwarded_client(request.headers(), &state.trusted_proxies)
        {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> axum::http::HeaderMap {
        let mut map = axum::http::HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = [parse_trusted_proxy("10.0.0.0/8").expect("range")];
        let client = |values: &[&str]| forwarded_client(&headers(values), &trusted);
        assert_eq!(
            client(&["203.0.113.7"]),
            Some("203.0.113.7".parse().expect("ip"))
        );
        // A client-supplied entry on the left is not believed.
        assert_eq!(
            client(&["1.1.1.1, 203.0.113.7, 10.0.0.5"]),
            Some("203.0.113.7".parse().expect("ip"))
        );
        assert_eq!(
            client(&["1.1.1.1", "203.0.113.7"]),
            Some("203.0.113.7".parse().expect("ip"))
        );
        assert_eq!(client(&["garbage"]), None);
        assert_eq!(
            client(&["203.0.113.7, garbage, 10.0.0.9"]),
            Some("10.0.0.9".parse().expect("ip"))
        );
        assert_eq!(client(&[]), None);
        assert_eq!(
            parse_trusted_proxy("192.0.2.1").expect("ip").to_string(),
            "192.0.2.1/32"
        );
        assert!(parse_trusted_proxy("proxy.local").is_err());
    }
}
