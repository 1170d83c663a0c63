//! The tray: its icon state, tooltip and menu, decided from the agent's
//! status, so the shell only draws what this returns and routes clicks.

use serde::Serialize;
use tokentally_agent::status::{AgentStatus, TaskState};

/// Which icon the tray shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    /// Counting, nothing wrong.
    Counting,
    /// Counting is paused.
    Paused,
    /// A task failed, a source has problems or the last upload failed.
    Problem,
}

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrayItem {
    /// Clickable: `id` is what the shell routes.
    Action {
        /// Stable id.
        id: &'static str,
        /// Shown text.
        label: String,
        /// Clickable now.
        enabled: bool,
    },
    /// A line of information (greyed).
    Info {
        /// Shown text.
        label: String,
    },
    /// A separator.
    Separator,
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayModel {
    /// The icon.
    pub state: TrayState,
    /// Hover text: today's tokens and the state.
    pub tooltip: String,
    /// Today's tokens, short (the macOS menu-bar title).
    pub title: String,
    /// The menu, top to bottom.
    pub items: Vec<TrayItem>,
}

/// `1234567` → `1.2 M`.
pub fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1} k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} M", n as f64 / 1e6),
        _ => format!("{:.1} B", n as f64 / 1e9),
    }
}

fn action(id: &'static str, label: &str, enabled: bool) -> TrayItem {
    TrayItem::Action {
        id,
        label: label.to_owned(),
        enabled,
    }
}

/// The tray for `status`; `upload_allowed` is false when the policy
/// disables uploads (the toggle is then not offered).
pub fn tray_model(status: &AgentStatus, upload_allowed: bool) -> TrayModel {
    let paused = status.paused_until_ms.is_some();
    let failing = status
        .tasks
        .iter()
        .any(|t| matches!(t.state, TaskState::Failed { .. }))
        || status.upload.error.is_some();
    let state = match (paused, failing) {
        (true, _) => TrayState::Paused,
        (false, true) => TrayState::Problem,
        _ => TrayState::Counting,
    };
    let today = compact(status.today.total);
    let upload_on = status.upload.state == "on";
    let mut tooltip = format!("TokenTally: {today} tokens today");
    tooltip += match state {
        TrayState::Paused => " (paused)",
        TrayState::Problem => " (something needs attention)",
        TrayState::Counting => "",
    };
    if upload_on {
        tooltip += ", uploads on";
    }
    let mut items = vec![
        action("open", "Open TokenTally", true),
        TrayItem::Separator,
        TrayItem::Info {
            label: format!("Today: {today} tokens, {} calls", status.today.calls),
        },
    ];
    for (tool, total) in &status.today.by_tool {
        items.push(TrayItem::Info {
            label: format!("    {tool}: {}", compact(*total)),
        });
    }
    items.extend([
        TrayItem::Separator,
        action("pause_hour", "Pause for 1 hour", !paused),
        action("pause_tomorrow", "Pause until tomorrow", !paused),
        action("resume", "Resume counting", paused),
    ]);
    if upload_allowed {
        items.push(TrayItem::Separator);
        items.push(if upload_on {
            action("upload_off", "Turn uploads off", true)
        } else {
            action("upload_on", "Turn uploads on…", true)
        });
    }
    items.extend([TrayItem::Separator, action("quit", "Quit TokenTally", true)]);
    TrayModel {
        state,
        tooltip,
        title: today,
        items,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tokentally_agent::status::{TaskStatus, Today, UploadStatus};

    use super::*;

    fn status() -> AgentStatus {
        AgentStatus {
            tasks: vec![TaskStatus {
                name: "collectors",
                state: TaskState::Running,
                restarts: 0,
            }],
            sources: Vec::new(),
            today: Today {
                total: 1_234_567,
                calls: 12,
                by_tool: BTreeMap::from([
                    ("claude-code".to_owned(), 1_000_000),
                    ("codex".to_owned(), 234_567),
                ]),
                ..Today::default()
            },
            paused_until_ms: None,
            throttled: None,
            cpu_percent: None,
            rss_kib: None,
            upload: UploadStatus::default(),
        }
    }

    fn ids(model: &TrayModel) -> Vec<(&'static str, bool)> {
        model
            .items
            .iter()
            .filter_map(|i| match i {
                TrayItem::Action { id, enabled, .. } => Some((*id, *enabled)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn counting_shows_today_by_tool_and_offers_pause_and_upload() {
        let m = tray_model(&status(), true);
        assert_eq!(m.state, TrayState::Counting);
        assert_eq!(m.title, "1.2 M");
        assert_eq!(m.tooltip, "TokenTally: 1.2 M tokens today");
        assert!(m.items.contains(&TrayItem::Info {
            label: "    codex: 234.6 k".into()
        }));
        assert_eq!(
            ids(&m),
            [
                ("open", true),
                ("pause_hour", true),
                ("pause_tomorrow", true),
                ("resume", false),
                ("upload_on", true),
                ("quit", true)
            ]
        );
    }

    #[test]
    fn paused_offers_resume_and_a_disabled_policy_hides_the_upload_toggle() {
        let mut s = status();
        s.paused_until_ms = Some(i64::MAX);
        let m = tray_model(&s, false);
        assert_eq!(m.state, TrayState::Paused);
        assert!(m.tooltip.ends_with("(paused)"));
        assert_eq!(
            ids(&m),
            [
                ("open", true),
                ("pause_hour", false),
                ("pause_tomorrow", false),
                ("resume", true),
                ("quit", true)
            ]
        );
    }

    #[test]
    fn a_failed_task_or_upload_is_a_problem_and_uploads_on_offer_turning_off() {
        let mut s = status();
        s.upload.state = "on";
        s.upload.error = Some("could not connect".into());
        let m = tray_model(&s, true);
        assert_eq!(m.state, TrayState::Problem);
        assert!(ids(&m).contains(&("upload_off", true)));
        assert!(m.tooltip.contains("uploads on"));
    }
}
