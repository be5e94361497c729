#!/bin/bash
# Captures what `wg` (wireguard-tools) sends and what WireGuard answers, as golden data for the
# unit tests in src/msg/wireguard/: generic netlink messages to and from the kernel module
# (wg-*.hex), and the text of wireguard-go's UAPI socket (wg-uapi-*.txt). Two hosts, a and b,
# are network namespaces joined by a veth (192.0.2.1 and 192.0.2.2), each with a WireGuard
# interface holding the other as a peer; a ping across gives the dumps a handshake and traffic.
#
#   tests/golden/capture-wg.sh           both: the UAPI part here, the kernel part in a QEMU guest
#   tests/golden/capture-wg.sh uapi      wireguard-go here (it runs on any kernel with TUN)
#   tests/golden/capture-wg.sh kernel    the kernel module, on a kernel that has it
#
# Needs wireguard-tools and wireguard-go (apt), strace, python3; the guest needs what
# tests/vm/run needs. The keys below are test keys, made by `wg genkey` for these captures only.
set -euo pipefail
cd "$(dirname "$0")"

KEY_A=cDMm8WjnJ9f8Q2AvWu8CrPRM1zjCM4QElXadsAu6Y0E=
PUB_A=ChrI5ifdn2A/7vr/PsMP5UybCG+e8fUYmxMKpM1C3Do=
KEY_B=kMEGyfHTkQ7fTn2jLWOVTmLoPd/GwZ5O108CRJZjlVk=
PUB_B=8MTHMrqimq845KjNXp2cH/wuvDxKJpNmOJPM5lMp5R4=
PUB_C=LOpJY0300PsPEBxVlXnqPkuROSqxdG6Ha3PK5le2ajc=

tmp=$(mktemp -d)
NS_A=l2x-wgcap-a-$$
NS_B=l2x-wgcap-b-$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

versions() {
  local kind=$1
  echo "# captured by tests/golden/capture-wg.sh with $(wg --version | cut -d' ' -f1-2), $kind, $(strace -V | head -1), kernel $(uname -r)"
}

# `wg set` on host a: a private key, a port, peer b with an endpoint, keepalive and two allowed
# ips, and a peer c behind an IPv6 endpoint.
SET_A="private-key $tmp/a.key listen-port 51820 peer $PUB_B endpoint 192.0.2.2:51821 persistent-keepalive 25 allowed-ips 10.99.0.2/32,fd99::2/128 peer $PUB_C endpoint [2001:db8::3]:51822 allowed-ips 10.99.0.3/32"
# `wg setconf` (WGDEVICE_F_REPLACE_PEERS): only peer b stays.
SETCONF_A="[Interface]
PrivateKey = $KEY_A
ListenPort = 51820

[Peer]
PublicKey = $PUB_B
Endpoint = 192.0.2.2:51821
AllowedIPs = 10.99.0.2/32"

# Two hosts joined by a veth, with WireGuard interfaces $1 on a and $2 on b made by $3 ("kernel"
# or "go").
hosts() {
  local name_a=$1 name_b=$2 how=$3
  printf '%s\n' "$KEY_A" >"$tmp/a.key"
  printf '%s\n' "$KEY_B" >"$tmp/b.key"
  chmod 600 "$tmp"/*.key
  printf '%s\n' "$SETCONF_A" >"$tmp/a.conf"
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip -n "$NS_A" link add va type veth peer name vb netns "$NS_B"
  ip -n "$NS_A" addr add 192.0.2.1/24 dev va
  ip -n "$NS_B" addr add 192.0.2.2/24 dev vb
  for host in "$NS_A $name_a" "$NS_B $name_b"; do
    read -r ns name <<<"$host"
    ip -n "$ns" link set lo up
    if [ "$how" = kernel ]; then
      ip -n "$ns" link add "$name" type wireguard
    else
      WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" wireguard-go "$name" >/dev/null 2>&1 &
      pids+=($!)
      for _ in $(seq 50); do
        [ -S "/var/run/wireguard/$name.sock" ] && break
        sleep 0.1
      done
    fi
  done
  ip -n "$NS_A" link set va up
  ip -n "$NS_B" link set vb up
}

# Pings b's WireGuard address from a until it answers (the first handshake takes a moment),
# then a few more times.
traffic() {
  for _ in $(seq 20); do
    ip netns exec "$NS_A" ping -c 1 -W 1 10.99.0.2 >/dev/null && break
  done
  ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 10.99.0.2 >/dev/null
}

# The buffers strace dumps (-e write=all / read=all) after the calls whose line matches $1.
hexdump_after() {
  awk -v want="$1" '
    /^[0-9]* *[a-z]+\(/ { keep = ($0 ~ want); next }
    keep && /^ \| [0-9a-f]+  / { line = substr($0, 11, 49); gsub(/  +/, " ", line); print line }'
}

# strace names the family once it knows it, and prints a number before.
WG_TYPE='nlmsg_type=(wireguard|0x[0-9a-f]+ )'

# Kernel module: the genl requests (wg sends them with sendto, reads with recvmsg) of wg set, setconf, set ... remove and show dump, and the
# kernel's dump reply after a handshake.
kernel() {
  hosts wg1 wg1 kernel
  local a="ip netns exec $NS_A" b="ip netns exec $NS_B"
  local cases=(
    "wg-set|wg set wg1 $SET_A"
    "wg-setconf|wg setconf wg1 $tmp/a.conf"
    "wg-remove|wg set wg1 peer $PUB_B remove"
  )
  for c in "${cases[@]}"; do
    IFS='|' read -r name cmd <<<"$c"
    {
      echo "# ${cmd//$tmp/TMP}"
      versions "kernel module"
      # A file, not /dev/stdout: in the guest that is the console, not the pipe.
      $a strace -e trace=sendto -e write=all -o "$tmp/$name.trace" $cmd
      hexdump_after "sendto.*$WG_TYPE" <"$tmp/$name.trace"
    } >"$name.hex"
  done
  # The two hosts as peers of each other, and traffic.
  $a wg set wg1 $SET_A
  $b wg set wg1 private-key "$tmp/b.key" listen-port 51821 peer "$PUB_A" endpoint 192.0.2.1:51820 allowed-ips 10.99.0.1/32
  $a ip addr add 10.99.0.1/24 dev wg1
  $b ip addr add 10.99.0.2/24 dev wg1
  $a ip link set wg1 up
  $b ip link set wg1 up
  traffic
  local trace=$tmp/dump.trace
  $a strace -e trace=sendto,recvmsg -e write=all -e read=all -o "$trace" wg show wg1 dump >"$tmp/dump.txt"
  {
    echo "# wg show wg1 dump"
    versions "kernel module"
    hexdump_after "sendto.*$WG_TYPE" <"$trace"
  } >wg-get.hex
  {
    echo "# kernel replies to: wg show wg1 dump, on host a after a ping to b; wg printed:"
    sed 's/^/# dump: /' "$tmp/dump.txt"
    versions "kernel module"
    hexdump_after "recvmsg.*$WG_TYPE" <"$trace"
  } >wg-get-reply.hex
  for f in wg-set wg-setconf wg-remove wg-get wg-get-reply; do
    grep -qv '^#' "$f.hex" || { echo "nothing captured for $f" >&2; exit 1; }
    echo "captured $f"
  done
}

# What wg writes to (write) or reads from (read) its UAPI socket, as text: the calls on the
# descriptor it connected to the socket, which strace -xx prints with every byte escaped.
socket_text() {
  python3 -c '
import re, sys
want, sock = sys.argv[1], None
for line in sys.stdin:
    m = re.match(r"(?:\d+ +)?(\w+)\((\d+), (.*)", line)
    if not m:
        continue
    call, fd, rest = m.groups()
    if call == "connect" and "AF_UNIX" in rest:
        sock = fd
    elif call == want and fd == sock:
        data = re.match(r"\"((?:\\x[0-9a-f]{2})*)\"", rest).group(1)
        sys.stdout.write(bytes.fromhex(data.replace("\\x", "")).decode())
' "$1"
}

# wireguard-go: the UAPI text of the same set and of a get after a handshake.
uapi() {
  # wireguard-go's socket, /var/run/wireguard/NAME.sock, is shared by every namespace: the two
  # hosts' interfaces get names of their own.
  local name_a=wgca$$ name_b=wgcb$$
  hosts "$name_a" "$name_b" go
  local a="ip netns exec $NS_A" b="ip netns exec $NS_B"
  local trace=$tmp/set.trace
  $a strace -f -xx -s 65536 -e trace=connect,write -o "$trace" wg set "$name_a" $SET_A
  {
    echo "# wg set IFACE ${SET_A//$tmp/TMP}"
    versions "$(wireguard-go --version | head -1)"
    socket_text write <"$trace"
  } >wg-uapi-set.txt
  $a wg set "$name_a" peer "$PUB_C" remove
  $b wg set "$name_b" private-key "$tmp/b.key" listen-port 51821 peer "$PUB_A" endpoint 192.0.2.1:51820 allowed-ips 10.99.0.1/32
  $a ip addr add 10.99.0.1/24 dev "$name_a"
  $b ip addr add 10.99.0.2/24 dev "$name_b"
  $a ip link set "$name_a" up
  $b ip link set "$name_b" up
  traffic
  trace=$tmp/get.trace
  $a strace -f -xx -s 65536 -e trace=connect,read,write -o "$trace" wg show "$name_a" dump >"$tmp/dump.txt"
  {
    echo "# what wg show IFACE dump writes to the socket"
    versions "$(wireguard-go --version | head -1)"
    socket_text write <"$trace"
  } >wg-uapi-get-request.txt
  {
    echo "# wireguard-go's answer to get=1 on host a after a ping to b; wg show IFACE dump printed:"
    sed 's/^/# dump: /' "$tmp/dump.txt"
    versions "$(wireguard-go --version | head -1)"
    socket_text read <"$trace"
  } >wg-uapi-get.txt
  for f in wg-uapi-set wg-uapi-get-request wg-uapi-get; do
    grep -q '=' "$f.txt" || { echo "nothing captured for $f" >&2; exit 1; }
    echo "captured $f"
  done
}

# Runs this script's kernel part in a guest booting Debian's stock kernel (see tests/vm/run).
in_guest() {
  local vng kernel
  vng=$(../vm/find-vng)
  kernel=$(ls -1 /boot/vmlinuz-*-amd64 | grep -v -- -cloud- | sort -V | tail -1)
  "$vng" -r "$kernel" --disable-kvm --memory 1G --rwdir "$PWD" \
    --exec "cd $PWD && ./capture-wg.sh kernel" | cat
}

case ${1:-all} in
  kernel) kernel ;;
  uapi) uapi ;;
  all)
    uapi
    cleanup
    in_guest
    ;;
  *)
    echo "usage: $0 [kernel|uapi]" >&2
    exit 2
    ;;
esac
