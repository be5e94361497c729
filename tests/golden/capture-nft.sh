#!/bin/bash
# Captures the nf_tables batches nft sends (and the kernel's rule and chain dumps), as golden
# bytes for the unit tests in src/msg/nft/. Each case runs `nft -f` on a small script in a fresh
# network namespace and keeps the whole datagram that starts with NFNL_MSG_BATCH_BEGIN.
#
#   tests/golden/capture-nft.sh            rewrite every nft-*.hex file here
#   tests/golden/capture-nft.sh NAME       rewrite one
set -euo pipefail
cd "$(dirname "$0")"

# The atomic rewrite of table ip l2x that `l2x nat masq`/`nat del` send: create (so that the
# delete cannot fail), delete, create again with the chain and every rule.
REWRITE='add table ip l2x
delete table ip l2x
add table ip l2x
add chain ip l2x postrouting { type nat hook postrouting priority 100; }'
RULE24='add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade'
RULE20='add rule ip l2x postrouting ip saddr 10.0.16.0/20 ip daddr != 10.0.16.0/20 oifname "up0" masquerade'

# Every rule kind, in the order l2x lays them out: chain by chain, in each chain forwards, then
# maps, then masquerades. `nat forward --port 8080 --to 10.0.5.2:80 --in up0` (hairpin for
# 10.0.5.0/24), `nat forward --port 5000-5010 --proto udp --to 10.0.5.3 --addr 192.0.2.1`,
# `nat map --public 192.0.2.7 --to 10.0.5.7 --in up0`, `nat masq 10.0.5.0/24`.
ALL='add table ip l2x
delete table ip l2x
add table ip l2x
add chain ip l2x prerouting { type nat hook prerouting priority -100; }
add chain ip l2x output { type nat hook output priority -100; }
add chain ip l2x postrouting { type nat hook postrouting priority 100; }
add rule ip l2x prerouting iifname "up0" fib daddr type local tcp dport 8080 dnat to 10.0.5.2:80
add rule ip l2x prerouting ip daddr 192.0.2.1 udp dport 5000-5010 dnat to 10.0.5.3
add rule ip l2x prerouting iifname "up0" ip daddr 192.0.2.7 dnat to 10.0.5.7
add rule ip l2x output ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat to 10.0.5.2:80
add rule ip l2x output ip daddr 192.0.2.1 udp dport 5000-5010 dnat to 10.0.5.3
add rule ip l2x output ip daddr 192.0.2.7 dnat to 10.0.5.7
add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr 10.0.5.2 tcp dport 80 ct status dnat masquerade
add rule ip l2x postrouting ip saddr 10.0.5.7 oifname "up0" snat to 192.0.2.7
add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade'

# The ruleset the masquerade dumps are taken of: table ip l2x holding both rules, and a foreign
# table whose forward chain drops by default (as Docker's does).
MASQ_RULESET="$REWRITE
$RULE24
$RULE20
add table ip filter
add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }"

# The rewrite of table bridge l2x that `dhcp serve` sends: DHCP server replies (BOOTREPLY from
# port 67) entering a bridge from a port are dropped, but from the ports a bridge allows.
GUARD='add table bridge l2x
delete table bridge l2x
add table bridge l2x
add chain bridge l2x dhcp-guard { type filter hook prerouting priority -200; }'
GUARD_BR0='add rule bridge l2x dhcp-guard meta ibrname "br0" udp sport 67 @th,64,8 2 drop'
GUARD_BR1='add rule bridge l2x dhcp-guard meta ibrname "br1" iifname != "tun1" iifname != "tun2" udp sport 67 @th,64,8 2 drop'

# name | nft script
CASES=(
  "nft-rewrite-one|$REWRITE
$RULE24"
  "nft-rewrite-two|$REWRITE
$RULE24
$RULE20"
  "nft-remove|add table ip l2x
delete table ip l2x"
  "nft-rewrite-all|$ALL"
  "nft-dhcp-guard|$GUARD
$GUARD_BR0
$GUARD_BR1"
  "nft-dhcp-guard-remove|add table bridge l2x
delete table bridge l2x"
)

header() {
  echo "# captured by tests/golden/capture-nft.sh with $(nft --version), $(strace -V | head -1), kernel $(uname -r)"
}

# strace prints the decoded call, then a hex dump of each buffer: keep the dump after the
# first call whose decoded text contains $2.
hexdump_after() {
  awk -v want="$1" '
    /(sendmsg|recvmsg)\(/ { keep = (!done && index($0, want) > 0); if (keep) done = 1; next }
    keep && /^ \| [0-9a-f]+  / { line = substr($0, 11, 49); gsub(/  +/, " ", line); print line }'
}

capture() {
  local name=$1 script=$2 ns="l2x-golden-$$"
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  printf '%s\n' "$script" > "/tmp/$ns.nft"
  {
    echo "$script" | sed 's/^/# nft: /'
    header
    ip netns exec "$ns" strace -e trace=sendmsg -e write=all -o /dev/stdout nft -f "/tmp/$ns.nft" |
      hexdump_after NFNL_MSG_BATCH_BEGIN
  } > "$name.hex"
  rm -f "/tmp/$ns.nft"
  grep -qv '^#' "$name.hex" || { echo "no batch captured for $name" >&2; return 1; }
}

# The kernel's answer (NFT_MSG_$2 replies) to the dumps `nft list ruleset` makes, after nft
# ran the script $3.
capture_dump() {
  local name=$1 type=$2 script=$3 ns="l2x-golden-$$"
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
  printf '%s\n' "$script" > "/tmp/$ns.nft"
  ip netns exec "$ns" nft -f "/tmp/$ns.nft"
  rm -f "/tmp/$ns.nft"
  {
    echo "# kernel replies (NFT_MSG_$type) to the dumps of: nft list ruleset, after:"
    echo "$script" | sed 's/^/# nft: /'
    header
    ip netns exec "$ns" strace -e trace=recvmsg -e read=all -o /dev/stdout nft list ruleset |
      hexdump_after "NFT_MSG_$type,"
  } > "$name.hex"
  grep -qv '^#' "$name.hex" || { echo "no $type reply captured" >&2; return 1; }
}

for c in "${CASES[@]}"; do
  IFS='|' read -r -d '' name script <<<"$c" || true
  script=${script%$'\n'}
  if [ $# -eq 0 ] || [ "$1" = "$name" ]; then
    capture "$name" "$script"
    echo "captured $name"
  fi
done
DUMPS=(
  "nft-dump-rules|NEWRULE|$MASQ_RULESET"
  "nft-dump-chains|NEWCHAIN|$MASQ_RULESET"
  "nft-dump-all-rules|NEWRULE|$ALL"
  "nft-dump-all-chains|NEWCHAIN|$ALL"
)
for d in "${DUMPS[@]}"; do
  IFS='|' read -r -d '' name type script <<<"$d" || true
  script=${script%$'\n'}
  if [ $# -eq 0 ] || [ "$1" = "$name" ]; then
    capture_dump "$name" "$type" "$script"
    echo "captured $name"
  fi
done
