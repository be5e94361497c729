//! What a command changed (or, with --dry-run, would change), one event per object: printed
//! as the familiar one line (`bridge br0: created`), or with -j as one JSON document
//! `{"changes": [{"object", "name", "action", "detail"}]}`.

use serde::Serialize;

use crate::report::Out;

/// The kind of change, as JSON names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Delete,
    Unchanged,
    /// Settings of an object that exists changed in place.
    Change,
    Attach,
    Detach,
    Replace,
    AddRule,
    DeleteRule,
    Enable,
    Start,
    Stop,
    /// A consequence worth knowing that the command did not ask for (an MTU the kernel
    /// lowered), or advice.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub object: &'static str,
    pub name: String,
    pub action: Action,
    pub detail: String,
    /// The line's words after `object name: ` once done (`created (vxlan, mtu 1450)`)...
    #[serde(skip)]
    pub done: String,
    /// ...and as a plan (`create (vxlan, mtu 1450)`).
    #[serde(skip)]
    pub todo: String,
    /// The link whose MTU, known only once the kernel made it, the detail ends with.
    #[serde(skip)]
    pub mtu_of: Option<String>,
}

impl Event {
    pub fn new(
        object: &'static str,
        name: impl Into<String>,
        action: Action,
        detail: impl Into<String>,
    ) -> Event {
        let detail = detail.into();
        let (done, todo) = phrases(action, &detail);
        Event {
            object,
            name: name.into(),
            action,
            detail,
            done,
            todo,
            mtu_of: None,
        }
    }

    /// The detail gains `, mtu N` once the kernel has chosen the MTU of link `name`.
    pub fn with_mtu_of(mut self, name: &str) -> Event {
        self.mtu_of = Some(name.to_string());
        self
    }

    /// Completes the detail with the MTU the kernel chose.
    pub fn fill_mtu(&mut self, mtu: u32) {
        self.mtu_of = None;
        let detail = format!("{}, mtu {mtu}", self.detail);
        *self = Event::new(
            self.object,
            std::mem::take(&mut self.name),
            self.action,
            detail,
        );
    }

    pub fn unchanged(object: &'static str, name: impl Into<String>) -> Event {
        Event::new(object, name, Action::Unchanged, "")
    }

    /// Overrides the words of the line, where an object has its own (`masquerade added`).
    pub fn said(mut self, done: impl Into<String>, todo: impl Into<String>) -> Event {
        self.done = done.into();
        self.todo = todo.into();
        self
    }

    /// A note printed under the change it belongs to, indented: the whole line, once done
    /// and in a plan.
    pub fn note(
        object: &'static str,
        name: impl Into<String>,
        done: impl Into<String>,
        todo: impl Into<String>,
    ) -> Event {
        let done = done.into();
        Event {
            object,
            name: name.into(),
            action: Action::Note,
            detail: done.clone(),
            done,
            todo: todo.into(),
            mtu_of: None,
        }
    }

    fn line(&self, dry_run: bool) -> String {
        if self.action == Action::Note {
            return format!("  {}", if dry_run { &self.todo } else { &self.done });
        }
        let words = if dry_run { &self.todo } else { &self.done };
        if self.name.is_empty() {
            return format!("{}: {words}", self.object);
        }
        format!("{} {}: {words}", self.object, self.name)
    }
}

/// The default words for an action: past tense when done, imperative in a plan, the detail in
/// parentheses (`created (vxlan, mtu 1450)`) or, for actions that name a target, after them
/// (`attached to br0`).
fn phrases(action: Action, detail: &str) -> (String, String) {
    let (done, todo, joined) = match action {
        Action::Create => ("created", "create", false),
        Action::Delete => ("deleted", "delete", false),
        Action::Unchanged => ("unchanged", "unchanged", false),
        Action::Change => ("changed", "change", false),
        Action::Attach => ("attached to", "attach to", true),
        Action::Detach => ("detached from", "detach from", true),
        Action::Replace => ("replaced", "replace", false),
        Action::AddRule => ("rule added", "add rule", false),
        Action::DeleteRule => ("rule deleted", "delete rule", false),
        Action::Enable => ("enabled", "enable", false),
        Action::Start => ("started", "start", false),
        Action::Stop => ("stopped", "stop", false),
        Action::Note => ("", "", false),
    };
    let with = |verb: &str| match (detail.is_empty(), joined) {
        (true, _) => verb.to_string(),
        (false, true) => format!("{verb} {detail}"),
        (false, false) => format!("{verb} ({detail})"),
    };
    (with(done), with(todo))
}

#[derive(Serialize)]
struct Changes<'a> {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dry_run: bool,
    changes: &'a [Event],
}

/// Prints what a command changed: a line each (nothing with -q), or the JSON document. A dry
/// run says so after its plan.
pub fn report(out: &Out, events: &[Event], dry_run: bool) {
    if out.json {
        let doc = Changes {
            dry_run,
            changes: events,
        };
        out.show(&doc, String::new);
        return;
    }
    if out.quiet {
        return;
    }
    let mut text = String::new();
    for e in events {
        text.push_str(&e.line(dry_run));
        text.push('\n');
    }
    if dry_run {
        text.push_str("dry run: nothing was changed\n");
    }
    out.lines(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_they_always_have() {
        let e = Event::new("tunnel", "vx0", Action::Create, "vxlan, mtu 1450");
        assert_eq!(e.line(false), "tunnel vx0: created (vxlan, mtu 1450)");
        assert_eq!(e.line(true), "tunnel vx0: create (vxlan, mtu 1450)");
        let a = Event::new("port", "vx0", Action::Attach, "br0 (isolated)");
        assert_eq!(a.line(false), "port vx0: attached to br0 (isolated)");
        assert_eq!(a.line(true), "port vx0: attach to br0 (isolated)");
        assert_eq!(
            Event::unchanged("bridge", "br0").line(false),
            "bridge br0: unchanged"
        );
        let n = Event::note(
            "bridge",
            "br0",
            "bridge br0 MTU lowered from 1500 to 1450",
            "",
        );
        assert_eq!(n.line(false), "  bridge br0 MTU lowered from 1500 to 1450");
    }

    #[test]
    fn json_names_object_name_action_and_detail() {
        let e = Event::new("port", "ct1", Action::Attach, "br0");
        let doc = serde_json::to_value(Changes {
            dry_run: false,
            changes: &[e],
        })
        .unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"changes": [
                {"object": "port", "name": "ct1", "action": "attach", "detail": "br0"}
            ]})
        );
    }
}
