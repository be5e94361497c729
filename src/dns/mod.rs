//! The DNS server of the segment: names of leases and reservations under one domain, answered
//! with authority, and every other name forwarded to upstream resolvers, with a cache.
//!
//! `zone` holds the names; `label` checks a hostname before it becomes one; `request` reads
//! a query and `answer` decides the response (pure: bytes and zone in, bytes out); `reply`,
//! `cache` and `forward` carry upstream answers; `resolv` finds the host's resolvers.

mod answer;
mod cache;
mod forward;
pub mod label;
mod reply;
mod request;
pub mod resolv;
pub mod zone;
