//! The DNS server of the segment: names of leases and reservations under one domain, answered
//! with authority, and every other name forwarded to upstream resolvers, with a cache.
//!
//! `zone` holds the names; `label` checks a hostname before it becomes one; `request` reads
//! a query and `answer` decides the response (pure: bytes and zone in, bytes out); `reply`,
//! `cache` and `forward` carry upstream answers; `resolv` finds the host's resolvers;
//! `server` starts and stops it all, `udp` and `tcp` answering on threads of their own, with
//! what they share in `shared` (the zone, the cache, and the bounded log of `dhcp serve`);
//! `holder` names who holds port 53; `probe` asks whether some DNS server answers at all.
//!
//! Used by `dhcp serve`: `server::Sockets::bind(Config)`, then
//! `server::Server::answer(Sockets, Zone, Logger)`, then `Server::update(|zone|
//! zone.lease(ip, hostname))` as leases come and go, and dropping it to stop; the default
//! upstreams come from `resolv::host_resolvers`.

mod answer;
mod cache;
mod forward;
mod holder;
pub mod label;
pub mod probe;
mod reply;
mod request;
pub mod resolv;
pub mod server;
mod shared;
mod tcp;
mod udp;
pub mod zone;

#[cfg(test)]
mod tests;
