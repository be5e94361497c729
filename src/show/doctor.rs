//! `l2x doctor`: one row per check.

use serde::Serialize;

use super::{new_table, render};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but something here may bite.
    Warn,
    /// l2x cannot work as asked.
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub detail: String,
    pub hint: Option<String>,
}

impl Check {
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            check: check.into(),
            status: Status::Ok,
            detail: detail.into(),
            hint: None,
        }
    }

    pub fn bad(
        status: Status,
        check: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Check {
        Check {
            check: check.into(),
            status,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }
}

const TABLE_WIDTH: u16 = 100;

#[derive(Debug, Serialize)]
pub struct DoctorView {
    pub checks: Vec<Check>,
}

impl DoctorView {
    pub fn table(&self) -> String {
        let mut t = new_table(&["CHECK", "STATUS", "DETAIL"]);
        // Hints are long: wrap them at a width a terminal has, also when piped.
        t.set_width(TABLE_WIDTH);
        for c in &self.checks {
            let status = match c.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            let detail = match &c.hint {
                Some(hint) => format!("{}\nhint: {hint}", c.detail),
                None => c.detail.clone(),
            };
            t.add_row(vec![c.check.clone(), status.to_string(), detail]);
        }
        render(t, self.checks.len(), "nothing checked")
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}
