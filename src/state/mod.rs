//! The one reader of the kernel: dumps and lookups turned into plain structs that planners,
//! `show`, `doctor` and the lab work from. Nothing here changes anything.
//!
//! Commands read narrowly (one link by name, one bridge's ports, the route toward one remote),
//! so that their cost does not grow with the host; `Host` is the whole picture, read once, for
//! `show`, `doctor` and everything that looks at a host as a whole.

pub mod dhcp;
pub mod echo;
pub mod host;
pub mod kernel;
pub mod l2tp;
pub mod links;
pub mod moved;
pub mod nft;
pub mod probe;
pub mod routes;
pub mod segment;
pub mod sysctl;
pub mod tunnel;
pub mod wireguard;

pub use host::Host;
pub use links::Device;
