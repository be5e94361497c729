//! ARP messages for Ethernet and IPv4 (RFC 826), as a packet socket of type SOCK_DGRAM sends
//! and receives them: the 28 bytes after the Ethernet header, which the kernel adds and
//! strips. Pure: bytes in, bytes out.

use std::net::Ipv4Addr;

use super::pool::Mac;

pub const ETH_P_ARP: u16 = 0x0806;
const ARPHRD_ETHER: u16 = 1;
const ETH_P_IP: u16 = 0x0800;
const ARPOP_REQUEST: u16 = 1;
pub const LEN: usize = 28;

/// Who-has `target`, asked by `sender` (`mac` at `ip`), as the kernel's own ARP asks.
pub fn request(mac: Mac, ip: Ipv4Addr, target: Ipv4Addr) -> [u8; LEN] {
    let mut m = [0u8; LEN];
    m[0..2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
    m[2..4].copy_from_slice(&ETH_P_IP.to_be_bytes());
    m[4] = 6;
    m[5] = 4;
    m[6..8].copy_from_slice(&ARPOP_REQUEST.to_be_bytes());
    m[8..14].copy_from_slice(&mac);
    m[14..18].copy_from_slice(&ip.octets());
    // The target hardware address stays zero: it is what is asked.
    m[24..28].copy_from_slice(&target.octets());
    m
}

/// The machine an ARP message (request or reply) comes from: its hardware and protocol
/// address. Anything but Ethernet/IPv4 ARP, or one without a sender address, is None.
pub fn sender(bytes: &[u8]) -> Option<(Mac, Ipv4Addr)> {
    let m = bytes.get(..LEN)?;
    let ethernet_ipv4 = m[0..2] == ARPHRD_ETHER.to_be_bytes()
        && m[2..4] == ETH_P_IP.to_be_bytes()
        && m[4] == 6
        && m[5] == 4;
    if !ethernet_ipv4 {
        return None;
    }
    let mac: Mac = m[8..14].try_into().ok()?;
    let ip = Ipv4Addr::new(m[14], m[15], m[16], m[17]);
    (!ip.is_unspecified()).then_some((mac, ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Mac = [2, 0, 0, 0, 0, 1];

    #[test]
    fn a_request_reads_back_with_its_sender() {
        let ip = Ipv4Addr::new(10, 0, 5, 1);
        let m = request(MAC, ip, Ipv4Addr::new(10, 0, 5, 100));
        // As `tcpdump -xx` shows the kernel's: 0001 0800 06 04 0001, then the addresses.
        assert_eq!(&m[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&m[24..], &[10, 0, 5, 100]);
        assert_eq!(sender(&m), Some((MAC, ip)));
    }

    #[test]
    fn other_protocols_and_probes_name_no_sender() {
        let mut m = request(MAC, Ipv4Addr::new(10, 0, 5, 1), Ipv4Addr::new(10, 0, 5, 2));
        assert_eq!(sender(&m[..27]), None);
        m[3] = 0xdd; // IPv6
        assert_eq!(sender(&m), None);
        // An RFC 5227 probe: sender address 0.0.0.0, so it claims nothing.
        let probe = request(MAC, Ipv4Addr::UNSPECIFIED, Ipv4Addr::new(10, 0, 5, 2));
        assert_eq!(sender(&probe), None);
    }
}
