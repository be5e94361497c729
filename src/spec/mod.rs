//! What the user wants, free of the command line: one spec per object kind, and for each a
//! planner that turns the spec and what `state` read into a plan. The imperative commands
//! plan with `Mode::Refuse` (an object that exists with other settings is an error naming each
//! difference); `apply` plans with `Mode::Converge` (differences become changes).

pub mod bridge;
pub mod dhcp_guard;
pub mod dhcp_lease;
pub mod hostbridge;
pub mod nat;
pub mod port;
pub mod tunnel;
pub mod wireguard;

/// What a planner does with an object that exists with other settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail, naming every difference, and change nothing: the CLI contract for `add` commands.
    Refuse,
    /// Change what differs: fix in place where the kernel can, make the object anew where not.
    /// (`apply` of a segment file converges; until then only the planners' tests do.)
    #[cfg_attr(not(test), allow(dead_code))]
    Converge,
}
