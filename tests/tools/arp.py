#!/usr/bin/env python3
"""Broadcast ARP probes for loop tests.

  arp.py send IFACE TARGET_IP          send exactly one broadcast ARP request for TARGET_IP
  arp.py count IFACE TARGET_IP SECS    print how many ARP requests for TARGET_IP arrive in SECS

A loop in a stretched segment shows as the same request arriving more than once.
"""
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806


def request(iface: str, target: str) -> bytes:
    with open(f"/sys/class/net/{iface}/address") as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
    eth = b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton("0.0.0.0")
    arp += b"\x00" * 6 + socket.inet_aton(target)
    return eth + arp


def count(sock: socket.socket, target: str, seconds: float) -> int:
    wanted = socket.inet_aton(target)
    seen = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            frame = sock.recv(2048)
        except socket.timeout:
            break
        op = struct.unpack("!H", frame[20:22])[0]
        if op == 1 and frame[38:42] == wanted:
            seen += 1
    return seen


def main() -> None:
    mode, iface, target = sys.argv[1:4]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((iface, ETH_P_ARP))
    if mode == "send":
        sock.send(request(iface, target))
    else:
        print(count(sock, target, float(sys.argv[4])))


if __name__ == "__main__":
    main()
