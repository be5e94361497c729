#!/bin/bash
# Captures the kernel's replies to iproute2's dumps and lookups, as golden bytes for the
# parsers' unit tests in src/msg/ and src/state/. Each case runs in a fresh network namespace
# holding lo (ifindex 1), veth v1 (2) / v0 (3), bridge br0 (4) and vxlan vx0 (5), as
# capture.sh's do, plus what the case's setup makes.
# gretap, ip6gretap and L2TP replies need a kernel with those modules: run this script inside
# the VM (tests/vm/run's guest), e.g. `../shared/vm/in-vm tests/golden/capture-replies.sh l2tp`;
# cases whose setup the kernel refuses are reported and skipped.
#
#   tests/golden/capture-replies.sh            rewrite every reply-*.hex file here
#   tests/golden/capture-replies.sh WORD       rewrite the cases whose name contains WORD
set -euo pipefail
cd "$(dirname "$0")"

# name | nlmsg_type strace names in the reply to keep | command | setup run first
CASES=(
  "reply-link-bridge|RTM_NEWLINK|ip -d link show dev br0|ip link set br0 up"
  "reply-link-port|RTM_NEWLINK|ip -d link show dev v0|ip link set v0 master br0 && bridge link set dev v0 isolated on"
  "reply-link-vxlan|RTM_NEWLINK|ip -d link show dev vx0|"
  "reply-link-gretap|RTM_NEWLINK|ip -d link show dev gt1|ip link add gt1 type gretap local 10.1.0.1 remote 10.1.0.2 ttl 255 key 42"
  "reply-link-ip6gretap|RTM_NEWLINK|ip -d link show dev gt6|ip link add gt6 type ip6gretap local fd00::1 remote fd00::2"
  "reply-addr|RTM_NEWADDR|ip addr show dev br0|ip addr add 10.9.0.1/24 dev br0 && ip addr add 2001:db8::1/64 dev br0 nodad"
  "reply-fdb|RTM_NEWNEIGH|bridge fdb show dev vx0|bridge fdb append 00:00:00:00:00:00 dst 10.1.0.2 dev vx0 && bridge fdb append 00:00:00:00:00:00 dst 10.1.0.3 dev vx0"
  "reply-l2tp-tunnel|l2tp|ip l2tp show tunnel|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702"
  "reply-l2tp-session|l2tp|ip l2tp show session|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702 && ip l2tp add session name l2t1 tunnel_id 10 session_id 30 peer_session_id 40 cookie 0102030405060708 peer_cookie 0a0b0c0d"
)

capture() {
  local name=$1 type=$2 cmd=$3 setup=$4 ns="l2x-golden-$$"
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  ip -n "$ns" link add v0 type veth peer name v1
  ip -n "$ns" link add br0 type bridge
  ip -n "$ns" link add vx0 type vxlan id 42 dstport 4789 local 10.1.0.1
  ip -n "$ns" addr add 10.1.0.1/24 dev v1
  ip -n "$ns" link set v0 up
  ip -n "$ns" link set v1 up
  if [ -n "$setup" ] && ! ip netns exec "$ns" sh -c "$setup" 2>/dev/null; then
    echo "skipped $name: this kernel refuses: $setup" >&2
    return 0
  fi
  local trace
  trace=$(mktemp)
  ip netns exec "$ns" strace -f -e trace=recvmsg -e read=all -o "$trace" $cmd >/dev/null 2>&1 || true
  {
    echo "# $cmd"
    [ -z "$setup" ] || echo "# after: $setup"
    echo "# captured by tests/golden/capture-replies.sh with $(ip -V | head -1), $(strace -V | head -1), kernel $(uname -r)"
    # strace prints each recvmsg decoded, then a hex dump of what it read; keep the dumps of
    # the replies that hold the wanted message type (not the MSG_PEEK that sizes the buffer).
    awk -v t="nlmsg_type=$type" '
      /recvmsg\(/ { keep = ($0 ~ t && $0 !~ /MSG_PEEK/); next }
      keep && /^ \| [0-9a-f]+  / { line = substr($0, 11, 49); gsub(/  +/, " ", line); print line }' "$trace"
  } > "$name.hex"
  grep -qv '^#' "$name.hex" || {
    echo "no $type reply captured for: $cmd" >&2
    return 1
  }
  rm -f "$trace"
}

for c in "${CASES[@]}"; do
  IFS='|' read -r name type cmd setup <<<"$c"
  if [ $# -eq 0 ] || [[ $name == *"$1"* ]]; then
    capture "$name" "$type" "$cmd" "$setup"
    [ -f "$name.hex" ] && echo "captured $name"
  fi
done
