//! Policies limited to IP addresses (`ip_access`: addresses and CIDR blocks).

use std::net::IpAddr;

/// True when `ip` is one of `allowed` (an address, or a `net/bits` block).
pub fn ip_allowed(ip: IpAddr, allowed: &[String]) -> bool {
    allowed.iter().any(|entry| matches(ip, entry.trim()))
}

fn matches(ip: IpAddr, entry: &str) -> bool {
    let (net, bits) = match entry.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (entry, None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => prefix_equal(u32::from(a) as u128, u32::from(b) as u128, 32, bits),
        (IpAddr::V6(a), IpAddr::V6(b)) => prefix_equal(u128::from(a), u128::from(b), 128, bits),
        (IpAddr::V6(a), IpAddr::V4(_)) => a.to_ipv4_mapped().is_some_and(|a4| matches(IpAddr::V4(a4), entry)),
        _ => false,
    }
}

fn prefix_equal(a: u128, b: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_blocks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let list = vec!["10.0.0.0/8".to_string(), "192.168.1.7".to_string(), "2001:db8::/32".to_string()];
        assert!(ip_allowed(ip("10.20.30.40"), &list));
        assert!(ip_allowed(ip("192.168.1.7"), &list));
        assert!(!ip_allowed(ip("192.168.1.8"), &list));
        assert!(ip_allowed(ip("2001:db8::1"), &list));
        assert!(ip_allowed(ip("::ffff:10.1.1.1"), &list));
        assert!(!ip_allowed(ip("11.0.0.1"), &list));
        assert!(!ip_allowed(ip("11.0.0.1"), &["not an ip".to_string()]));
    }
}
