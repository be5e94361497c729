//! DHCP messages on the wire, through dhcproto: a client's message checked and reduced to what
//! the server decides on, and the server's replies with their options, padded as BOOTP relays
//! and old clients expect.

use std::net::Ipv4Addr;

use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};

use super::pool::{Client, ClientId, Mac};

/// RFC 2131 4.1 and RFC 1542 2.1: a reply is at least the 300 bytes of a BOOTP message.
pub const MIN_REPLY: usize = 300;
/// The fixed BOOTP fields before the magic cookie and the options.
const FIXED: usize = 236;
const MAGIC: [u8; 4] = [99, 130, 83, 99];
const BOOTREQUEST: u8 = 1;
const HTYPE_ETHER: u8 = 1;

/// A client's message, checked: Ethernet, a DHCP message type, a client we can name.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub msg: Message,
    pub kind: MessageType,
    pub client: Client,
    /// Option 50: the address the client asks for (selecting, init-reboot, or a hint).
    pub requested: Option<Ipv4Addr>,
    /// Option 54: the server the client answers (selecting) or declines to.
    pub server_id: Option<Ipv4Addr>,
}

/// Decodes a datagram read on port 67; anything that is not a well-formed client DHCP message
/// is refused with a few words saying why, for the log.
pub fn decode(bytes: &[u8]) -> Result<Inbound, &'static str> {
    if bytes.len() < FIXED + MAGIC.len() {
        return Err("too short for a DHCP message");
    }
    if bytes[0] != BOOTREQUEST {
        return Err("not a BOOTREQUEST");
    }
    if bytes[1] != HTYPE_ETHER || bytes[2] != 6 {
        return Err("hardware type is not Ethernet");
    }
    if bytes[FIXED..FIXED + 4] != MAGIC {
        return Err("no DHCP magic cookie");
    }
    let msg = Message::decode(&mut Decoder::new(bytes)).map_err(|_| "undecodable")?;
    let kind = msg
        .opts()
        .msg_type()
        .ok_or("no valid message type option")?;
    let mac: Mac = msg.chaddr()[..6].try_into().map_err(|_| "short chaddr")?;
    let id = match msg.opts().get(OptionCode::ClientIdentifier) {
        Some(DhcpOption::ClientIdentifier(id)) if !id.is_empty() => ClientId(id.as_slice().into()),
        _ => ClientId::from_chaddr(&mac),
    };
    let hostname = match msg.opts().get(OptionCode::Hostname) {
        Some(DhcpOption::Hostname(h)) if !h.is_empty() => Some(h.as_str().into()),
        _ => None,
    };
    let addr = |code| match msg.opts().get(code) {
        Some(DhcpOption::RequestedIpAddress(ip) | DhcpOption::ServerIdentifier(ip)) => Some(*ip),
        _ => None,
    };
    Ok(Inbound {
        requested: addr(OptionCode::RequestedIpAddress),
        server_id: addr(OptionCode::ServerIdentifier),
        client: Client { id, mac, hostname },
        kind,
        msg,
    })
}

/// What every reply tells a client about the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetParams {
    pub server_id: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub router: Ipv4Addr,
    pub dns: Vec<Ipv4Addr>,
    /// The domain of the segment's names (option 15): the clients' search domain.
    pub domain: Option<String>,
    /// The bridge's MTU, so a client behind a tunnel uses frames that fit (option 26).
    pub mtu: u16,
}

/// The replies a server sends (RFC 2131 table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Offer {
        yiaddr: Ipv4Addr,
        lease_secs: u32,
    },
    Ack {
        yiaddr: Ipv4Addr,
        lease_secs: u32,
    },
    /// The answer to DHCPINFORM: configuration, no address, no lease time.
    InformAck,
    Nak(&'static str),
}

/// Builds the reply to `req`.
pub fn reply(req: &Message, reply: Reply, p: &NetParams) -> Message {
    let mut m = Message::default();
    m.set_opcode(Opcode::BootReply)
        .set_xid(req.xid())
        .set_flags(req.flags())
        .set_giaddr(req.giaddr())
        .set_chaddr(req.chaddr());
    let opts = m.opts_mut();
    // RFC 6842: a client identifier the client sent comes back, so it can match the reply.
    // RFC 3046 2.2: so does a relay agent's option 82 (dhcproto writes it last, as required).
    for echoed in [
        OptionCode::ClientIdentifier,
        OptionCode::RelayAgentInformation,
    ] {
        if let Some(opt) = req.opts().get(echoed) {
            opts.insert(opt.clone());
        }
    }
    opts.insert(DhcpOption::ServerIdentifier(p.server_id));
    let (kind, lease) = match reply {
        Reply::Offer { yiaddr, lease_secs } => (MessageType::Offer, Some((yiaddr, lease_secs))),
        Reply::Ack { yiaddr, lease_secs } => (MessageType::Ack, Some((yiaddr, lease_secs))),
        Reply::InformAck => (MessageType::Ack, None),
        Reply::Nak(why) => {
            opts.insert(DhcpOption::MessageType(MessageType::Nak));
            opts.insert(DhcpOption::Message(why.to_string()));
            // Relayed NAKs are broadcast by the relay (RFC 2131 4.3.2).
            if !req.giaddr().is_unspecified() {
                m.set_flags(Flags::default().set_broadcast());
            }
            return m;
        }
    };
    opts.insert(DhcpOption::MessageType(kind));
    opts.insert(DhcpOption::SubnetMask(p.netmask));
    opts.insert(DhcpOption::Router(vec![p.router]));
    if !p.dns.is_empty() {
        opts.insert(DhcpOption::DomainNameServer(p.dns.clone()));
    }
    if let Some(domain) = &p.domain {
        opts.insert(DhcpOption::DomainName(domain.clone()));
    }
    opts.insert(DhcpOption::InterfaceMtu(p.mtu));
    match lease {
        Some((yiaddr, secs)) => {
            opts.insert(DhcpOption::AddressLeaseTime(secs));
            opts.insert(DhcpOption::Renewal(secs / 2));
            opts.insert(DhcpOption::Rebinding((u64::from(secs) * 7 / 8) as u32));
            // A renewing client's ciaddr is echoed in the ACK (table 3); an OFFER's is zero.
            if kind == MessageType::Ack {
                m.set_ciaddr(req.ciaddr());
            }
            m.set_yiaddr(yiaddr);
        }
        None => {
            m.set_ciaddr(req.ciaddr());
        }
    }
    m
}

/// The bytes of a message, zero-padded after the end option to at least MIN_REPLY.
pub fn encode(msg: &Message) -> Vec<u8> {
    let mut buf = Vec::with_capacity(MIN_REPLY + 64);
    msg.encode(&mut Encoder::new(&mut buf))
        .expect("a message built here always encodes");
    if buf.len() < MIN_REPLY {
        buf.resize(MIN_REPLY, 0);
    }
    buf
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A client's message as a real client would send it.
    pub fn request(kind: MessageType, mac: Mac, opts: Vec<DhcpOption>) -> Vec<u8> {
        let mut m = Message::default();
        m.set_opcode(Opcode::BootRequest)
            .set_xid(0x1234)
            .set_chaddr(&mac);
        m.opts_mut().insert(DhcpOption::MessageType(kind));
        for o in opts {
            m.opts_mut().insert(o);
        }
        let mut buf = Vec::new();
        m.encode(&mut Encoder::new(&mut buf)).unwrap();
        buf
    }

    fn params() -> NetParams {
        NetParams {
            server_id: Ipv4Addr::new(10, 0, 5, 1),
            netmask: Ipv4Addr::new(255, 255, 255, 0),
            router: Ipv4Addr::new(10, 0, 5, 254),
            dns: vec![Ipv4Addr::new(10, 0, 5, 53)],
            domain: Some("lan".into()),
            mtu: 1450,
        }
    }

    const MAC: Mac = [2, 0, 0, 0, 0, 7];

    #[test]
    fn a_discover_decodes_with_its_client() {
        let bytes = request(
            MessageType::Discover,
            MAC,
            vec![
                DhcpOption::Hostname("c7".into()),
                DhcpOption::RequestedIpAddress(Ipv4Addr::new(10, 0, 5, 9)),
            ],
        );
        let m = decode(&bytes).unwrap();
        assert_eq!(m.kind, MessageType::Discover);
        assert_eq!(m.client.mac, MAC);
        assert_eq!(m.client.id, ClientId::from_chaddr(&MAC));
        assert_eq!(m.client.hostname.as_deref(), Some("c7"));
        assert_eq!(m.requested, Some(Ipv4Addr::new(10, 0, 5, 9)));
        assert_eq!(m.server_id, None);
    }

    #[test]
    fn option_61_names_the_client() {
        let id = DhcpOption::ClientIdentifier(vec![0xff, 1, 2, 3]);
        let m = decode(&request(MessageType::Request, MAC, vec![id])).unwrap();
        assert_eq!(m.client.id, ClientId(vec![0xff, 1, 2, 3].into()));
    }

    #[test]
    fn malformed_messages_are_refused() {
        let good = request(MessageType::Discover, MAC, vec![]);
        assert!(decode(&good[..200]).is_err());
        let mut reply = good.clone();
        reply[0] = 2;
        assert_eq!(decode(&reply).unwrap_err(), "not a BOOTREQUEST");
        let mut cookie = good.clone();
        cookie[237] = 0;
        assert_eq!(decode(&cookie).unwrap_err(), "no DHCP magic cookie");
        let mut no_type = good[..240].to_vec();
        no_type.extend_from_slice(&[53, 7, 1, 255]); // message type with a bad length
        assert!(decode(&no_type).is_err());
        assert!(decode(&[0xa5; 600]).is_err());
    }

    #[test]
    fn an_offer_carries_every_option() {
        let req = decode(&request(MessageType::Discover, MAC, vec![]))
            .unwrap()
            .msg;
        let yiaddr = Ipv4Addr::new(10, 0, 5, 100);
        let m = reply(
            &req,
            Reply::Offer {
                yiaddr,
                lease_secs: 3600,
            },
            &params(),
        );
        let bytes = encode(&m);
        assert!(bytes.len() >= MIN_REPLY);
        let back = Message::decode(&mut Decoder::new(&bytes)).unwrap();
        let o = back.opts();
        assert_eq!(
            (back.opcode(), back.xid(), back.yiaddr()),
            (Opcode::BootReply, 0x1234, yiaddr)
        );
        assert_eq!(&back.chaddr()[..6], &MAC);
        assert_eq!(o.msg_type(), Some(MessageType::Offer));
        let want = [
            DhcpOption::ServerIdentifier(Ipv4Addr::new(10, 0, 5, 1)),
            DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)),
            DhcpOption::Router(vec![Ipv4Addr::new(10, 0, 5, 254)]),
            DhcpOption::DomainNameServer(vec![Ipv4Addr::new(10, 0, 5, 53)]),
            DhcpOption::DomainName("lan".into()),
            DhcpOption::InterfaceMtu(1450),
            DhcpOption::AddressLeaseTime(3600),
            DhcpOption::Renewal(1800),
            DhcpOption::Rebinding(3150),
        ];
        for opt in want {
            assert_eq!(o.get(OptionCode::from(&opt)), Some(&opt));
        }
    }

    #[test]
    fn client_id_and_relay_agent_information_are_echoed() {
        let id = DhcpOption::ClientIdentifier(vec![1, 2, 0, 0, 0, 0, 7]);
        let mut bytes = request(MessageType::Discover, MAC, vec![id.clone()]);
        // Option 82 with a circuit id (sub-option 1, "eth1"), inserted before the end option.
        let end = bytes.iter().rposition(|&b| b == 255).unwrap();
        let agent = [82, 6, 1, 4, b'e', b't', b'h', b'1'];
        bytes.splice(end..end, agent);
        let req = decode(&bytes).unwrap().msg;
        let yiaddr = Ipv4Addr::new(10, 0, 5, 100);
        let offer = encode(&reply(
            &req,
            Reply::Offer {
                yiaddr,
                lease_secs: 60,
            },
            &params(),
        ));
        assert!(
            offer.windows(agent.len()).any(|w| w == agent),
            "option 82 echoed"
        );
        let back = Message::decode(&mut Decoder::new(&offer)).unwrap();
        assert_eq!(back.opts().get(OptionCode::ClientIdentifier), Some(&id));
    }

    #[test]
    fn naks_and_inform_acks_carry_no_lease() {
        let req = decode(&request(MessageType::Request, MAC, vec![]))
            .unwrap()
            .msg;
        let nak = reply(&req, Reply::Nak("address in use"), &params());
        assert_eq!(nak.opts().msg_type(), Some(MessageType::Nak));
        assert!(nak.opts().get(OptionCode::AddressLeaseTime).is_none());
        assert!(nak.yiaddr().is_unspecified());
        let ack = reply(&req, Reply::InformAck, &params());
        assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
        assert!(ack.opts().get(OptionCode::AddressLeaseTime).is_none());
        assert!(ack.opts().get(OptionCode::InterfaceMtu).is_some());
    }
}
