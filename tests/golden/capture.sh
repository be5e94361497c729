#!/bin/bash
# Captures, as golden bytes for the unit tests in src/msg/, the netlink requests iproute2 sends
# (CASES) and the kernel's answers to iproute2's dumps and lookups (REPLIES, for the parsers).
# Each case runs in a fresh network namespace holding lo (ifindex 1), veth v1 (2) / v0 (3: the
# kernel registers the peer first), bridge br0 (4) and vxlan vx0 (5), so interface indexes in
# the captures are the same on every machine.
# A request is captured even where the kernel refuses it (gretap, l2tp on a kernel without
# them); a case whose setup the kernel refuses is skipped, with a word. gretap, ip6gretap and
# L2TP replies need a kernel with those modules: run this inside the VM (tests/vm/run's guest),
# e.g. `../shared/vm/in-vm tests/golden/capture.sh reply-l2tp`.
#
#   tests/golden/capture.sh            rewrite every .hex file here
#   tests/golden/capture.sh WORD       rewrite the cases whose name contains WORD
set -euo pipefail
cd "$(dirname "$0")"

# name | nlmsg_type to keep (the request itself, not ip's lookups; GENL is the first generic
# netlink request after the family lookup) | command [| setup run first, a shell command]
CASES=(
  "bridge-add|RTM_NEWLINK|ip link add br1 type bridge"
  "link-set-up|RTM_NEWLINK|ip link set br0 up"
  "link-set-master|RTM_NEWLINK|ip link set v0 master br0"
  "link-set-nomaster|RTM_NEWLINK|ip link set v0 nomaster"
  "link-del|RTM_DELLINK|ip link del br0"
  "addr-add|RTM_NEWADDR|ip addr add 10.9.0.1/24 dev br0"
  "port-isolated-on|RTM_SETLINK|bridge link set dev v0 isolated on"
  "fdb-append|RTM_NEWNEIGH|bridge fdb append 00:00:00:00:00:00 dst 10.1.0.2 dev vx0"
  "neigh-replace|RTM_NEWNEIGH|ip neigh replace 10.9.0.50 lladdr 02:00:00:00:00:05 dev v0 nud reachable"
  "gretap-add|RTM_NEWLINK|ip link add gt1 type gretap local 10.1.0.1 remote 10.1.0.2 ttl 255 key 42"
  "ip6gretap-add|RTM_NEWLINK|ip link add gt1 type ip6gretap local fd00::1 remote fd00::2 ttl 255"
  "vxlan-add|RTM_NEWLINK|ip link add vx1 type vxlan id 42 local 10.1.0.1 dstport 4789"
  "l2tp-tunnel-add|GENL|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702"
  "l2tp-tunnel-add-ip|GENL|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap ip local 10.1.0.1 remote 10.1.0.2"
  "l2tp-session-add|GENL|ip l2tp add session name l2t1 tunnel_id 10 session_id 30 peer_session_id 40 cookie 0102030405060708 peer_cookie 0a0b0c0d|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702"
  "route-default|RTM_NEWROUTE|ip route replace default via 10.9.0.1 dev v0 proto dhcp"
  "wireguard-add|RTM_NEWLINK|ip link add wg1 type wireguard"
  "addr-add-full|RTM_NEWADDR|ip addr add 10.9.0.5/24 dev br0 label br0:web metric 50 noprefixroute brd + valid_lft 3600 preferred_lft 1800"
  "addr-add-v6|RTM_NEWADDR|ip addr add 2001:db8::5/64 dev br0 nodad valid_lft 3600 preferred_lft 1800"
  "addr-del|RTM_DELADDR|ip addr del 10.9.0.1/24 dev br0|ip addr add 10.9.0.1/24 dev br0"
  "addr-dump|RTM_GETADDR|ip addr show dev br0"
  "route-add-full|RTM_NEWROUTE|ip route add unicast 10.20.0.0/16 via 10.9.0.254 metric 100 src 10.9.0.5 table 100 proto static scope global dev br0 mtu 1400 advmss 1360"
  "route-add-table|RTM_NEWROUTE|ip route add unicast 10.21.0.0/16 table 1000 proto boot scope link dev br0"
  "route-add-multipath|RTM_NEWROUTE|ip route add unicast 10.22.0.0/16 metric 10 table 7 proto boot scope global nexthop via 10.9.0.254 dev br0 weight 1 nexthop via 10.9.0.253 dev br0 weight 2"
  "route-add-v6|RTM_NEWROUTE|ip -6 route add unicast 2001:db8:1::/48 via fe80::1 metric 1024 table main proto ra scope global pref high expires 600 dev br0"
  "route-del|RTM_DELROUTE|ip route del unicast 10.20.0.0/16 via 10.9.0.254 metric 100 src 10.9.0.5 table 100 proto static scope global dev br0"
  "route-dump-table|RTM_GETROUTE|ip route show table 100"
  "route-dump-dev|RTM_GETROUTE|ip -6 route show table all dev br0"
  "fdb-del|RTM_DELNEIGH|bridge fdb del 00:00:00:00:00:00 dst 10.1.0.2 dev vx0|bridge fdb append 00:00:00:00:00:00 dst 10.1.0.2 dev vx0"
  "bridge-set-stp|RTM_NEWLINK|ip link set br0 type bridge stp_state 1"
  "link-set-mac|RTM_NEWLINK|ip link set br0 address 02:00:00:00:00:01"
  "vxlan-add-placed|RTM_NEWLINK|ip link add vx1 mtu 1450 up master br0 type vxlan id 42 local 10.1.0.1 dstport 4789"
  "vxlan-add-grouped|RTM_NEWLINK|ip link add vx1 mtu 1450 group 7 up master br0 type vxlan id 42 local 10.1.0.1 dstport 4789"
  "link-set-alias|RTM_NEWLINK|ip link set br0 alias l2x:seg"
  "link-set-group|RTM_NEWLINK|ip link set br0 group 7"
  "link-dump-kind|RTM_GETLINK|ip -d link show type vxlan"
)

# The addresses and routes the reply captures list: br0 (index 4, no ports, so no carrier)
# with a permanent, a secondary, a labelled one with lifetimes, metric and noprefixroute, a
# point-to-point one and IPv6 ones; routes in main, a numbered and a large table, multipath,
# and IPv6 with preference and expiry.
SETUP_REPLIES='ip link set br0 up
ip addr add 10.9.0.1/24 dev br0
ip addr add 10.9.0.7/24 dev br0
ip addr add 10.9.0.5/24 dev br0 label br0:web metric 50 noprefixroute brd + valid_lft 3600 preferred_lft 1800
ip addr add 10.8.0.1 peer 10.8.0.2/32 dev br0
ip addr add 2001:db8::5/64 dev br0 nodad valid_lft 3600 preferred_lft 1800
ip addr add 2001:db8:5::1/64 dev br0 nodad
ip route add default via 10.9.0.254 dev br0 metric 100 proto dhcp src 10.9.0.1
ip route add 10.20.0.0/16 via 10.9.0.254 dev br0 table 100 metric 50 proto static mtu 1400 advmss 1360
ip route add 10.21.0.0/16 dev br0 table 1000 scope link
ip route add 10.22.0.0/16 metric 10 table 7 nexthop via 10.9.0.254 dev br0 weight 1 nexthop via 10.9.0.253 dev br0 weight 2
ip -6 route add 2001:db8:1::/48 via 2001:db8::fe dev br0 metric 1024 pref high expires 600 proto ra
ip -6 route add default via fe80::1 dev br0 metric 512 table 100'

# name | nlmsg_type strace names in the replies to keep | command | setup (a shell command, or
# @replies for SETUP_REPLIES)
REPLIES=(
  "addr-dump-reply|RTM_NEWADDR|ip addr show dev br0|@replies"
  "route-dump-reply|RTM_NEWROUTE|ip -4 route show table all|@replies"
  "route6-dump-reply|RTM_NEWROUTE|ip -6 route show table all|@replies"
  "reply-link-bridge|RTM_NEWLINK|ip -d link show dev br0|ip link set br0 up"
  "reply-link-port|RTM_NEWLINK|ip -d link show dev v0|ip link set v0 master br0 && bridge link set dev v0 isolated on"
  "reply-link-vxlan|RTM_NEWLINK|ip -d link show dev vx0|"
  "reply-link-marked|RTM_NEWLINK|ip -s -d link show dev br0|ip link set br0 group 7 alias l2x:seg"
  "reply-link-gretap|RTM_NEWLINK|ip -d link show dev gt1|ip link add gt1 type gretap local 10.1.0.1 remote 10.1.0.2 ttl 255 key 42"
  "reply-link-ip6gretap|RTM_NEWLINK|ip -d link show dev gt6|ip link add gt6 type ip6gretap local fd00::1 remote fd00::2"
  "reply-addr|RTM_NEWADDR|ip addr show dev br0|ip addr add 10.9.0.1/24 dev br0 && ip addr add 2001:db8::1/64 dev br0 nodad"
  "reply-fdb|RTM_NEWNEIGH|bridge fdb show dev vx0|bridge fdb append 00:00:00:00:00:00 dst 10.1.0.2 dev vx0 && bridge fdb append 00:00:00:00:00:00 dst 10.1.0.3 dev vx0"
  "reply-l2tp-tunnel|l2tp|ip l2tp show tunnel|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702"
  "reply-l2tp-session|l2tp|ip l2tp show session|ip l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 10.1.0.1 remote 10.1.0.2 udp_sport 1701 udp_dport 1702 && ip l2tp add session name l2t1 tunnel_id 10 session_id 30 peer_session_id 40 cookie 0102030405060708 peer_cookie 0a0b0c0d"
)
[ -f extra-cases.sh ] && source extra-cases.sh

# A namespace holding lo, v1, v0, br0 and vx0 (see above).
namespace() {
  local ns=$1
  ip netns add "$ns"
  ip -n "$ns" link add v0 type veth peer name v1
  ip -n "$ns" link add br0 type bridge
  ip -n "$ns" link add vx0 type vxlan id 42 dstport 4789 local 10.1.0.1
  # An underlay route: L2TP over UDP connects its socket to the remote when the tunnel is made.
  ip -n "$ns" addr add 10.1.0.1/24 dev v0
  ip -n "$ns" link set v0 up
  ip -n "$ns" link set v1 up
}

versions() {
  echo "# captured by tests/golden/capture.sh with $(ip -V | head -1), $(strace -V | head -1), kernel $(uname -r)"
}

# Runs a case's setup in the namespace; false, with a word, when the kernel refuses it.
ready() {
  local ns=$1 name=$2 setup=$3
  [ "$setup" = @replies ] && setup=$SETUP_REPLIES
  [ -n "$setup" ] || return 0
  if ! ip netns exec "$ns" sh -ec "$setup" 2>/dev/null; then
    echo "skipped $name: this kernel refuses: $setup" >&2
    return 1
  fi
}

capture() {
  local name=$1 type=$2 cmd=$3 setup=$4 ns="l2x-golden-$$"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  namespace "$ns"
  ready "$ns" "$name" "$setup" || return 0
  local trace
  trace=$(mktemp)
  # ip sends dump requests with sendto, the rest with sendmsg (and probes the kernel with an
  # RTM_NEWLINK sendto first).
  local calls=sendmsg
  [[ $type == RTM_GET* ]] && calls=sendto
  ip netns exec "$ns" strace -f -e trace=$calls -e write=all -o "$trace" $cmd >/dev/null 2>&1 || true
  {
    echo "# $cmd"
    versions
    # strace prints the decoded call, then a hex dump of each buffer; keep the dump that follows
    # the first call of the wanted message type.
    local want="nlmsg_type=$type,"
    # strace names the l2tp family once its module is loaded, and prints a number before.
    [ "$type" = GENL ] && want="nlmsg_type=(0x[0-9a-f]+ |l2tp,)"
    awk -v t="$want" '
      /(sendmsg|sendto)\(/ { keep = (!done && $0 ~ t); if (keep) done = 1; next }
      keep && /^ \| [0-9a-f]+  / { line = substr($0, 11, 49); gsub(/  +/, " ", line); print line }' "$trace"
  } > "$name.hex"
  grep -qv '^#' "$name.hex" || {
    echo "no $type request captured for: $cmd" >&2
    grep -o 'nlmsg_type=[^,]*' "$trace" >&2
    return 1
  }
  rm -f "$trace"
}

# Every reply datagram holding a message of the type, back to back (not the MSG_PEEK that
# sizes ip's buffer).
capture_replies() {
  local name=$1 type=$2 cmd=$3 setup=$4 ns="l2x-golden-$$"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  namespace "$ns"
  ready "$ns" "$name" "$setup" || return 0
  [ "$setup" = @replies ] && setup=$SETUP_REPLIES
  {
    echo "# kernel replies ($type) to: $cmd"
    [ -z "$setup" ] || { echo "# after:"; echo "$setup" | sed 's/^/#   /'; }
    versions
    ip netns exec "$ns" strace -e trace=recvmsg -e read=all -o /dev/stdout $cmd 2>/dev/null |
      awk -v t="nlmsg_type=$type" '
        /recvmsg\(/ { keep = ($0 ~ t && $0 !~ /MSG_PEEK/); next }
        keep && /^ \| [0-9a-f]+  / { line = substr($0, 11, 49); gsub(/  +/, " ", line); print line }'
  } > "$name.hex"
  grep -qv '^#' "$name.hex" || { echo "no $type reply captured for: $cmd" >&2; return 1; }
}

for c in "${REPLIES[@]}"; do
  IFS='|' read -r name type cmd setup <<<"$c"
  if [ $# -eq 0 ] || [[ $name == *"$1"* ]]; then
    capture_replies "$name" "$type" "$cmd" "$setup"
    [ -f "$name.hex" ] && echo "captured $name"
  fi
done

for c in "${CASES[@]}"; do
  IFS='|' read -r name type cmd setup <<<"$c"
  if [ $# -eq 0 ] || [[ $name == *"$1"* ]]; then
    capture "$name" "$type" "$cmd" "$setup"
    [ -f "$name.hex" ] && echo "captured $name"
  fi
done
