//! Whose a link is. apply marks every link it makes as the segment's (see `plan::Mark`): the
//! segment's link group, in the create request itself, and the alias `l2x:SEGMENT`, right
//! after. An alias says whose a link is; a link with no alias is the segment's when it is in
//! the segment's group (a crash between the two requests leaves just that). An L2TP session's
//! interface is made by l2tp_eth, which takes no group: a session whose ids carry the
//! segment's tag (`derive::l2tp_tag`) is the segment's from its first moment. apply changes
//! and removes only what is the segment's; anything else in the way is a conflict.

use crate::msg::link::Link;
use crate::plan::Mark;
use crate::state::tunnel::Tunnel;

use super::derive;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// This segment's.
    Segment,
    /// Another segment's, by its alias.
    Other(String),
    /// Made by hand, or by something else.
    Nobody,
}

/// What marks the links of segment `name`.
#[derive(Debug, Clone)]
pub struct Marks {
    pub mark: Mark,
    pub l2tp_tag: u32,
}

impl Marks {
    pub fn of(segment: &str) -> Marks {
        Marks {
            mark: Mark {
                group: derive::group(segment),
                alias: derive::alias(segment),
            },
            l2tp_tag: derive::l2tp_tag(segment),
        }
    }

    pub fn owner(&self, link: &Link) -> Owner {
        match link.alias.as_deref() {
            Some(a) if a == self.mark.alias => Owner::Segment,
            Some(a) => match a.strip_prefix("l2x:") {
                Some(other) => Owner::Other(other.to_string()),
                None => Owner::Nobody,
            },
            None if link.group == self.mark.group => Owner::Segment,
            None => Owner::Nobody,
        }
    }

    /// A tunnel's owner: its link's, or for an L2TP session with neither alias nor group yet,
    /// its ids'.
    pub fn tunnel_owner(&self, t: &Tunnel) -> Owner {
        let owner = self.owner(&t.link);
        let tagged = t.l2tp.as_ref().is_some_and(|s| {
            derive::is_l2tp_id(self.l2tp_tag, s.tunnel_id)
                && derive::is_l2tp_id(self.l2tp_tag, s.session_id)
        });
        if owner == Owner::Nobody && t.link.alias.is_none() && tagged {
            return Owner::Segment;
        }
        owner
    }

    pub fn is_ours(&self, link: &Link) -> bool {
        self.owner(link) == Owner::Segment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_decides_and_the_group_stands_in_for_a_missing_one() {
        let m = Marks::of("seg");
        let link = |alias: Option<&str>, group: u32| Link {
            alias: alias.map(str::to_string),
            group,
            ..Link::default()
        };
        assert_eq!(m.owner(&link(Some("l2x:seg"), 0)), Owner::Segment);
        assert_eq!(m.owner(&link(None, m.mark.group)), Owner::Segment);
        // Another segment whose group happens to be ours still names itself.
        assert_eq!(
            m.owner(&link(Some("l2x:other"), m.mark.group)),
            Owner::Other("other".into())
        );
        assert_eq!(m.owner(&link(Some("uplink"), m.mark.group)), Owner::Nobody);
        assert_eq!(m.owner(&link(None, 0)), Owner::Nobody);
    }
}
