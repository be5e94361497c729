#!/usr/bin/python3
"""Hostile DHCP peers for tests/dhcp_hostile.rs, built with scapy. Run inside a test namespace
by Debian's /usr/bin/python3 (python3-scapy).

  dhcp_hostile.py send IFACE KIND [--mac M] [--giaddr IP] [--ciaddr IP] [--hostname TEXT]
                  [--requested IP] [--server IP] [--broadcast] [--count N] [--wait S]
      sends KIND (discover, request, inform) from MAC (or N made-up MACs), then prints one
      JSON line per DHCP reply seen on IFACE within S seconds: {"type", "yiaddr", "dst"}.
      TEXT takes Python escapes (\\n, \\x1b).
  dhcp_hostile.py server IFACE MODE SECONDS
      answers every DISCOVER and REQUEST on IFACE for SECONDS as a broken or hostile server
      (MODE: hlen17, mask0, loopback, multicast, zero, router, mtu67, nak), then prints
      {"discovers", "requests"}.
"""
import argparse
import json
import random
import sys
import time

from scapy.all import BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, conf, get_if_hwaddr, sendp

conf.verb = 0
TYPES = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak", 7: "release",
         8: "inform"}


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def msg_type(pkt):
    for opt in pkt[DHCP].options:
        if isinstance(opt, tuple) and opt[0] == "message-type":
            return opt[1]
    return None


def send(a):
    macs = [a.mac or get_if_hwaddr(a.iface)]
    if a.count > 1:
        macs = ["02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5))
                for _ in range(a.count)]
    seen = []

    def keep(pkt):
        if BOOTP in pkt and pkt[BOOTP].op == 2 and DHCP in pkt:
            seen.append({"type": TYPES.get(msg_type(pkt), "?"), "yiaddr": pkt[BOOTP].yiaddr,
                         "dst": pkt[IP].dst})

    sniffer = AsyncSniffer(iface=a.iface, filter="udp and src port 67", prn=keep, store=False)
    sniffer.start()
    time.sleep(0.5)
    kind = {"discover": 1, "request": 3, "inform": 8}[a.kind]
    frames = []
    for mac in macs:
        opts = [("message-type", kind)]
        if a.hostname is not None:
            opts.append(("hostname", a.hostname.encode().decode("unicode_escape").encode("latin-1")))
        if a.requested:
            opts.append(("requested_addr", a.requested))
        if a.server:
            opts.append(("server_id", a.server))
        opts.append("end")
        bootp = BOOTP(op=1, chaddr=mac_bytes(mac) + bytes(10), xid=random.randrange(1 << 32),
                      giaddr=a.giaddr or "0.0.0.0", ciaddr=a.ciaddr or "0.0.0.0",
                      flags=0x8000 if a.broadcast else 0)
        # From 0.0.0.0 whatever ciaddr says: the kernel drops a broadcast or multicast source.
        frames.append(Ether(src=get_if_hwaddr(a.iface), dst="ff:ff:ff:ff:ff:ff") /
                      IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / bootp /
                      DHCP(options=opts))
    sendp(frames, iface=a.iface)
    time.sleep(a.wait)
    sniffer.stop()
    for s in seen:
        print(json.dumps(s))


def server(a):
    counts = {"discovers": 0, "requests": 0}
    me = get_if_hwaddr(a.iface)
    mask, router, yiaddr, mtu, hlen = "255.255.255.0", "10.0.9.1", "10.0.9.50", 1400, 6
    if a.mode == "mask0":
        mask = "0.0.0.0"
    elif a.mode == "loopback":
        yiaddr = "127.0.0.1"
    elif a.mode == "multicast":
        yiaddr = "224.0.0.5"
    elif a.mode == "zero":
        yiaddr = "0.0.0.0"
    elif a.mode == "router":
        router = "192.168.77.1"
    elif a.mode == "mtu67":
        mtu = 67
    elif a.mode == "hlen17":
        hlen = 17

    def answer(pkt):
        if BOOTP not in pkt or pkt[BOOTP].op != 1 or DHCP not in pkt:
            return
        kind = msg_type(pkt)
        if kind == 1:
            counts["discovers"] += 1
            reply = 2
        elif kind == 3:
            counts["requests"] += 1
            reply = 6 if a.mode == "nak" else 5
        else:
            return
        req = pkt[BOOTP]
        opts = [("message-type", reply), ("server_id", "10.0.9.1")]
        if reply != 6:
            opts += [("subnet_mask", mask), ("router", router), ("interface-mtu", mtu),
                     ("lease_time", 600)]
        opts.append("end")
        bootp = BOOTP(op=2, hlen=hlen, xid=req.xid, chaddr=req.chaddr, flags=req.flags,
                      yiaddr=yiaddr if reply != 6 else "0.0.0.0", siaddr="10.0.9.1")
        sendp(Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / IP(src="10.0.9.1", dst="255.255.255.255") /
              UDP(sport=67, dport=68) / bootp / DHCP(options=opts), iface=a.iface)

    sniffer = AsyncSniffer(iface=a.iface, filter="udp and dst port 67", prn=answer, store=False)
    sniffer.start()
    time.sleep(1)  # the capture starts a moment after start() returns
    print("ready", flush=True)
    time.sleep(a.seconds)
    sniffer.stop()
    print(json.dumps(counts), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("iface")
    s.add_argument("kind", choices=["discover", "request", "inform"])
    s.add_argument("--mac")
    s.add_argument("--giaddr")
    s.add_argument("--ciaddr")
    s.add_argument("--hostname")
    s.add_argument("--requested")
    s.add_argument("--server")
    s.add_argument("--broadcast", action="store_true")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--wait", type=float, default=1.5)
    v = sub.add_parser("server")
    v.add_argument("iface")
    v.add_argument("mode", choices=["hlen17", "mask0", "loopback", "multicast", "zero", "router",
                                    "mtu67", "nak"])
    v.add_argument("seconds", type=float)
    a = ap.parse_args()
    {"send": send, "server": server}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
