# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_l2x_global_optspecs
    string join \n n/netns= j/json q/quiet v/verbose h/help V/version
end

function __fish_l2x_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_l2x_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_l2x_using_subcommand
    set -l cmd (__fish_l2x_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c l2x -n "__fish_l2x_needs_command" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_needs_command" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_needs_command" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_needs_command" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_needs_command" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_needs_command" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "bridge" -d 'Create, delete and list bridges'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "tunnel" -d 'Create, delete and list the tunnels that join hosts\' bridges'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "attach" -d 'Make an interface a port of a bridge and set it up'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "detach" -d 'Release an interface from its bridge'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "nat" -d 'Masquerade a network\'s traffic to the outside world (nftables table ip l2x)'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "dhcp" -d 'The built-in DHCPv4 server on a bridge, its leases, and a one-shot client'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "apply" -d 'Make this host\'s part of a segment match a segment file (the same file on every host)'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "down" -d 'Remove everything apply made for a segment on this host (the lease file stays)'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "status" -d 'Whether frames cross to each other host of a segment and back, with each tunnel\'s kind, MTU and counters'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "show" -d 'Everything l2x manages, in one view'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "lab" -d 'The whole runbook on this machine, in network namespaces l2x-lab-*: try l2x here first'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "doctor" -d 'Check what this kernel can do and what is misconfigured here, one row per check'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "key" -d 'WireGuard keys for encrypted segments: make one, or print a private key\'s public key'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "generate" -d 'Write shell completions and man pages into DIR/completions and DIR/man'
complete -c l2x -n "__fish_l2x_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -f -a "add" -d 'Create a bridge and set it up (brctl addbr + ifconfig up)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -f -a "del" -d 'Delete a bridge; its ports are released, not deleted'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -f -a "show" -d 'List bridges with their addresses, MTU, state and ports'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and not __fish_seen_subcommand_from add del show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -l addr -d 'Add this address, with prefix length (repeatable; IPv4 or IPv6)' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -l mtu -d 'The bridge\'s MTU (68-65535); without it the bridge follows its smallest port' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -l mac -d 'The bridge\'s own MAC address (unicast)' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -l stp -d 'Run the spanning tree protocol (needed only when the topology has loops)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from del" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from help" -f -a "add" -d 'Create a bridge and set it up (brctl addbr + ifconfig up)'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from help" -f -a "del" -d 'Delete a bridge; its ports are released, not deleted'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from help" -f -a "show" -d 'List bridges with their addresses, MTU, state and ports'
complete -c l2x -n "__fish_l2x_using_subcommand bridge; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "gretap" -d 'Ethernet over GRE (ip link add ... type gretap); ip6gretap when the addresses are IPv6'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "l2tp" -d 'An L2TPv3 tunnel and its Ethernet session, whose interface is NAME (ip l2tp)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "vxlan" -d 'Unicast VXLAN: every --remote gets a copy of broadcast and unknown frames'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "del" -d 'Delete a tunnel; for L2TP the session, and its tunnel when no session is left'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "show" -d 'List tunnels with kind, endpoints, ids, MTU, state and bridge'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and not __fish_seen_subcommand_from gretap l2tp vxlan del show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l local -d 'This host\'s underlay address' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l remote -d 'The peer\'s underlay address (same family as --local)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l ttl -d 'TTL of the outer packets (0 = inherit from the inner packet)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l key -d 'GRE key, for both directions (must match the peer\'s)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l mtu -d 'The device\'s MTU (68-65535); without it the encapsulation\'s own fit is used and printed' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l bridge -d 'Attach the tunnel to this bridge' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l isolated -d 'With --bridge: mark the port isolated (split horizon for a full mesh)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from gretap" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l local -d 'This host\'s underlay address' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l remote -d 'The peer\'s underlay address (same family as --local)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l tunnel-id -d 'This end\'s tunnel id (1-4294967295)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l session-id -d 'This end\'s session id (1-4294967295)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l peer-tunnel-id -d 'The peer\'s tunnel id [default: --tunnel-id]' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l peer-session-id -d 'The peer\'s session id [default: --session-id]' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l encap -d 'Encapsulation' -r -f -a "udp\t'L2TPv3 in UDP (ports --sport/--dport)'
ip\t'L2TPv3 straight over IP (protocol 115)'"
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l sport -d 'UDP source port' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l dport -d 'UDP destination port' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l cookie -d 'This end\'s cookie, 4 or 8 bytes in hex (the peer\'s --peer-cookie)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l peer-cookie -d 'The cookie expected from the peer, 4 or 8 bytes in hex' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l mtu -d 'The device\'s MTU (68-65535); without it the encapsulation\'s own fit is used and printed' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l bridge -d 'Attach the tunnel to this bridge' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l isolated -d 'With --bridge: mark the port isolated (split horizon for a full mesh)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from l2tp" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l vni -d 'VXLAN network identifier (0-16777215), the same on every host of the segment' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l local -d 'This host\'s underlay address' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l remote -d 'A peer\'s underlay address (repeatable: one per other host)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l dport -d 'UDP destination port, 1-65535 (the kernel\'s own default would be 8472)' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l mtu -d 'The device\'s MTU (68-65535); without it the encapsulation\'s own fit is used and printed' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l bridge -d 'Attach the tunnel to this bridge' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l isolated -d 'With --bridge: mark the port isolated (split horizon for a full mesh)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from vxlan" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from del" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "gretap" -d 'Ethernet over GRE (ip link add ... type gretap); ip6gretap when the addresses are IPv6'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "l2tp" -d 'An L2TPv3 tunnel and its Ethernet session, whose interface is NAME (ip l2tp)'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "vxlan" -d 'Unicast VXLAN: every --remote gets a copy of broadcast and unknown frames'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "del" -d 'Delete a tunnel; for L2TP the session, and its tunnel when no session is left'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "show" -d 'List tunnels with kind, endpoints, ids, MTU, state and bridge'
complete -c l2x -n "__fish_l2x_using_subcommand tunnel; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand attach" -l isolated -d 'Mark the port isolated: two isolated ports never forward to each other (split horizon for a full mesh of tunnels)'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -l move-addresses -d 'Move IFACE\'s MAC, addresses and routes to the bridge in the same step (for a NIC that carries the host\'s own address: the host bridge)'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand attach" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand detach" -l move-addresses -d 'Move back to IFACE the addresses and routes `attach --move-addresses` moved to the bridge, and give the bridge its own MAC again'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand detach" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "masq" -d 'Masquerade traffic from CIDR to anywhere outside it, and turn on IPv4 forwarding'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "forward" -d 'Forward a port (or range) of this host to a machine on the segment (DNAT)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "map" -d 'Give a machine on the segment a public address of this host, every port both ways'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "del" -d 'Remove a rule, named by the flags that made it; IPv4 forwarding is left as it is'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "show" -d 'List the rules l2x owns, and whether IPv4 forwarding is on'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and not __fish_seen_subcommand_from masq forward map del show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -l source -d 'The IPv4 network whose traffic is masqueraded, with prefix length (10.0.5.0/24); host bits are cleared' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -l out -d 'Only traffic leaving by this interface (default: any interface)' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from masq" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l port -d 'The host\'s port, or a range of them (8080, 5000-5010)' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l to -d 'The machine connections go to, and its port [default: the port they came to]' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l proto -r -f -a "tcp\t''
udp\t''"
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l in -d 'Only connections arriving by this interface [default: any]' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l addr -d 'Only connections to this address of the host [default: any of its addresses]' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from forward" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -l public -d 'The public address that stands for the machine' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -l to -d 'The machine on the segment' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -l in -d 'The public side: only what arrives and leaves there [default: any interface]' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -l no-addr -d 'Leave the public address to the host: do not add it to --in when it is missing'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from map" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l source -d 'The masquerade of this network' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l out -d 'With --source: the masquerade\'s --out' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l port -d 'The forward of this port or range' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l public -d 'The map of this public address' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l to -d 'With --port or --public: where the rule sends connections' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l proto -d 'With --port: the forward\'s protocol' -r -f -a "tcp\t''
udp\t''"
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l in -d 'With --port or --public: the rule\'s --in' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l addr -d 'With --port: the forward\'s --addr' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from del" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "masq" -d 'Masquerade traffic from CIDR to anywhere outside it, and turn on IPv4 forwarding'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "forward" -d 'Forward a port (or range) of this host to a machine on the segment (DNAT)'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "map" -d 'Give a machine on the segment a public address of this host, every port both ways'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "del" -d 'Remove a rule, named by the flags that made it; IPv4 forwarding is left as it is'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "show" -d 'List the rules l2x owns, and whether IPv4 forwarding is on'
complete -c l2x -n "__fish_l2x_using_subcommand nat; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "serve" -d 'Serve DHCPv4 on a bridge, answering on that bridge only'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "leases" -d 'List the leases of the server on a bridge (read from its lease file)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "forget" -d 'End the leases of an address or a MAC on a bridge by hand (its name leaves DNS)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "stop" -d 'Stop the server that `dhcp serve --daemon` started on a bridge, and wait for it to exit'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "request" -d 'Obtain a lease on an interface and configure its address, default route and MTU'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and not __fish_seen_subcommand_from serve leases forget stop request help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l range -d 'The addresses to hand out, both ends included: 10.0.5.100-10.0.5.200' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l router -d 'The default router given to clients [default: the bridge\'s address in the range\'s subnet]' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l dns -d 'A DNS server given to clients instead of BRIDGE\'s own (repeatable)' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l domain -d 'The domain of the clients\' names in DNS, handed out as their search domain (option 15)' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l upstream -d 'A resolver for names outside the domain (repeatable) [default: the host\'s, from /etc/resolv.conf]' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l lease-time -d 'How long a lease lasts: 90s, 30m, 12h, 1d' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l host -d 'Always give IP to the client with hardware address MAC, or to the client that sends hostname NAME; NAME is its name in DNS (repeatable)' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l hosts-file -d 'More reservations, one MAC=IP[,NAME] or NAME=IP a line; read again on SIGHUP' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l lease-file -d 'Where leases are kept [default: /var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l pid-file -d 'The pid file, also the lock that keeps a second server off the bridge [default: /run/l2x/[NETNS/]dhcp-BRIDGE.pid]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l log-file -d 'Append the log here instead of stderr (with --daemon, the log is otherwise discarded)' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l no-dns -d 'Serve no DNS on BRIDGE\'s address (and hand out no DNS server unless --dns names one)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l daemon -d 'Detach once the socket is bound and the leases are loaded, and write the pid file'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l allow-other-servers -d 'Let other DHCP servers on the segment answer BRIDGE\'s clients too: without it, their replies entering BRIDGE by a port are dropped (table bridge l2x)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from serve" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -l lease-file -d 'The server\'s lease file [default: the running server\'s, else /var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from leases" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from forget" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -l pid-file -d 'The server\'s pid file [default: the one it was started with]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from stop" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l timeout -d 'Give up after this long without a lease (90s, 30m, ...)' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l resolv-conf -d 'Write the lease\'s DNS servers and search domain (options 6 and 15) to this file, the container\'s /etc/resolv.conf' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l pid-file -d 'With --daemon: the pid file, also the lock that keeps a second client off IFACE [default: /run/l2x/[NETNS/]dhcp-IFACE.client.pid]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l hostname -d 'Send this hostname (option 12): the lease\'s name in the server\'s DNS' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l daemon -d 'Keep the lease: detach once it is configured, renew it at T1 and rebind it at T2'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from request" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Serve DHCPv4 on a bridge, answering on that bridge only'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "leases" -d 'List the leases of the server on a bridge (read from its lease file)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "forget" -d 'End the leases of an address or a MAC on a bridge by hand (its name leaves DNS)'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the server that `dhcp serve --daemon` started on a bridge, and wait for it to exit'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "request" -d 'Obtain a lease on an interface and configure its address, default route and MTU'
complete -c l2x -n "__fish_l2x_using_subcommand dhcp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -l host -d 'This host\'s entry in the file [default: the one whose underlay or local address is configured here]' -r
complete -c l2x -n "__fish_l2x_using_subcommand apply" -l key-file -d 'This host\'s WireGuard private key, for a segment with encrypt = "wireguard" [default: /etc/l2x/SEGMENT.key]' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand apply" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand apply" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand down" -l host -d 'This host\'s entry in the file [default: the one whose underlay or local address is configured here]' -r
complete -c l2x -n "__fish_l2x_using_subcommand down" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand down" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand down" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand down" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand down" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand down" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand status" -l host -d 'This host\'s entry in the file [default: the one whose underlay or local address is configured here]' -r
complete -c l2x -n "__fish_l2x_using_subcommand status" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand status" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand status" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand status" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand status" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand show" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand show" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand show" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand show" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand show" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -f -a "up" -d 'Build the lab (hosts, tunnels, containers, DHCP, NAT, an internet host) and ping across it'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -f -a "status" -d 'List what exists of the lab: namespaces, containers\' addresses, the DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -f -a "down" -d 'Remove every lab namespace and stop the lab\'s DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and not __fish_seen_subcommand_from up status down help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -l tunnel -d 'The tunnels between the hosts [default: the first of gretap, l2tp, vxlan this kernel has]' -r -f -a "gretap\t'Ethernet over GRE'
l2tp\t'L2TPv3 over UDP'
vxlan\t'VXLAN over UDP'"
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -l hosts -d 'How many hosts (each with one container), joined by a full mesh of tunnels' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -l file -d 'Build the lab from a segment file instead: its hosts, tunnels, router and DHCP, each host made by `l2x apply` (the file needs [router] with dhcp and masquerade)' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -l prefix -d 'The start of the lab\'s namespace names (l2x-lab-wan, l2x-lab-host1, ...)' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from up" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -l prefix -d 'The start of the lab\'s namespace names (l2x-lab-wan, l2x-lab-host1, ...)' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -l prefix -d 'The start of the lab\'s namespace names (l2x-lab-wan, l2x-lab-host1, ...)' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -l dry-run -d 'Print what would change (the plan) and change nothing'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "up" -d 'Build the lab (hosts, tunnels, containers, DHCP, NAT, an internet host) and ping across it'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "status" -d 'List what exists of the lab: namespaces, containers\' addresses, the DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "down" -d 'Remove every lab namespace and stop the lab\'s DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c l2x -n "__fish_l2x_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -f -a "gen" -d 'Make a private key: into PATH (mode 0600, never over an existing file) printing its public key, or without --out on stdout as `wg genkey` does'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -f -a "pub" -d 'Print the public key of a private key, read from PATH or from stdin as `wg pubkey` does'
complete -c l2x -n "__fish_l2x_using_subcommand key; and not __fish_seen_subcommand_from gen pub help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -l out -d 'The key file to create' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from gen" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -l key-file -d 'The private key file (it must be readable by its owner only)' -r -F
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from pub" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "gen" -d 'Make a private key: into PATH (mode 0600, never over an existing file) printing its public key, or without --out on stdout as `wg genkey` does'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "pub" -d 'Print the public key of a private key, read from PATH or from stdin as `wg pubkey` does'
complete -c l2x -n "__fish_l2x_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s n -l netns -d 'Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path' -r
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s j -l json -d 'Print JSON: show commands their document, commands that change something their changes (keys documented in each command\'s page)'
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s q -l quiet -d 'Print nothing on success'
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s v -l verbose -d 'Print each netlink request as it is sent'
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s h -l help -d 'Print help'
complete -c l2x -n "__fish_l2x_using_subcommand generate" -s V -l version -d 'Print version'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "bridge" -d 'Create, delete and list bridges'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "tunnel" -d 'Create, delete and list the tunnels that join hosts\' bridges'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "attach" -d 'Make an interface a port of a bridge and set it up'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "detach" -d 'Release an interface from its bridge'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "nat" -d 'Masquerade a network\'s traffic to the outside world (nftables table ip l2x)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "dhcp" -d 'The built-in DHCPv4 server on a bridge, its leases, and a one-shot client'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "apply" -d 'Make this host\'s part of a segment match a segment file (the same file on every host)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "down" -d 'Remove everything apply made for a segment on this host (the lease file stays)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "status" -d 'Whether frames cross to each other host of a segment and back, with each tunnel\'s kind, MTU and counters'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "show" -d 'Everything l2x manages, in one view'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "lab" -d 'The whole runbook on this machine, in network namespaces l2x-lab-*: try l2x here first'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "doctor" -d 'Check what this kernel can do and what is misconfigured here, one row per check'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "key" -d 'WireGuard keys for encrypted segments: make one, or print a private key\'s public key'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "generate" -d 'Write shell completions and man pages into DIR/completions and DIR/man'
complete -c l2x -n "__fish_l2x_using_subcommand help; and not __fish_seen_subcommand_from bridge tunnel attach detach nat dhcp apply down status show lab doctor key generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from bridge" -f -a "add" -d 'Create a bridge and set it up (brctl addbr + ifconfig up)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from bridge" -f -a "del" -d 'Delete a bridge; its ports are released, not deleted'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from bridge" -f -a "show" -d 'List bridges with their addresses, MTU, state and ports'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from tunnel" -f -a "gretap" -d 'Ethernet over GRE (ip link add ... type gretap); ip6gretap when the addresses are IPv6'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from tunnel" -f -a "l2tp" -d 'An L2TPv3 tunnel and its Ethernet session, whose interface is NAME (ip l2tp)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from tunnel" -f -a "vxlan" -d 'Unicast VXLAN: every --remote gets a copy of broadcast and unknown frames'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from tunnel" -f -a "del" -d 'Delete a tunnel; for L2TP the session, and its tunnel when no session is left'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from tunnel" -f -a "show" -d 'List tunnels with kind, endpoints, ids, MTU, state and bridge'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from nat" -f -a "masq" -d 'Masquerade traffic from CIDR to anywhere outside it, and turn on IPv4 forwarding'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from nat" -f -a "forward" -d 'Forward a port (or range) of this host to a machine on the segment (DNAT)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from nat" -f -a "map" -d 'Give a machine on the segment a public address of this host, every port both ways'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from nat" -f -a "del" -d 'Remove a rule, named by the flags that made it; IPv4 forwarding is left as it is'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from nat" -f -a "show" -d 'List the rules l2x owns, and whether IPv4 forwarding is on'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from dhcp" -f -a "serve" -d 'Serve DHCPv4 on a bridge, answering on that bridge only'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from dhcp" -f -a "leases" -d 'List the leases of the server on a bridge (read from its lease file)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from dhcp" -f -a "forget" -d 'End the leases of an address or a MAC on a bridge by hand (its name leaves DNS)'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from dhcp" -f -a "stop" -d 'Stop the server that `dhcp serve --daemon` started on a bridge, and wait for it to exit'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from dhcp" -f -a "request" -d 'Obtain a lease on an interface and configure its address, default route and MTU'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "up" -d 'Build the lab (hosts, tunnels, containers, DHCP, NAT, an internet host) and ping across it'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "status" -d 'List what exists of the lab: namespaces, containers\' addresses, the DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "down" -d 'Remove every lab namespace and stop the lab\'s DHCP server'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "gen" -d 'Make a private key: into PATH (mode 0600, never over an existing file) printing its public key, or without --out on stdout as `wg genkey` does'
complete -c l2x -n "__fish_l2x_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "pub" -d 'Print the public key of a private key, read from PATH or from stdin as `wg pubkey` does'
