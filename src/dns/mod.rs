//! The DNS server of the segment: names of leases and reservations under one domain, answered
//! with authority, and every other name forwarded to upstream resolvers, with a cache.
//!
//! `zone` holds the names; `label` checks a hostname before it becomes one.

pub mod label;
pub mod zone;
