//! Bursts of agent events: a first scan of a large backlog counts tens of
//! thousands of calls within seconds, and the window and the tray only need
//! to know that the numbers changed, not each call.

use tokentally_agent::status::AgentEvent;

/// What to forward of a burst, in order: every event that is not a counted
/// call, and of the counted calls only the last (each one asks the window
/// and the tray to redraw the same totals).
pub fn coalesce(burst: Vec<AgentEvent>) -> Vec<AgentEvent> {
    let last_call = burst
        .iter()
        .rposition(|e| matches!(e, AgentEvent::CallCounted { .. }));
    burst
        .into_iter()
        .enumerate()
        .filter(|(i, e)| !matches!(e, AgentEvent::CallCounted { .. }) || Some(*i) == last_call)
        .map(|(_, e)| e)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(total_tokens: u64) -> AgentEvent {
        AgentEvent::CallCounted {
            tool: "claude-code",
            model: "claude-sonnet-4-5".into(),
            total_tokens,
            provenance: "log",
            via: "log",
            at_ms: 0,
        }
    }

    fn tokens(events: &[AgentEvent]) -> Vec<Option<u64>> {
        events
            .iter()
            .map(|e| match e {
                AgentEvent::CallCounted { total_tokens, .. } => Some(*total_tokens),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_burst_keeps_its_other_events_and_its_last_call() {
        let appeared = AgentEvent::SourceAppeared { tool: "codex" };
        let burst: Vec<_> = (1..=50_000)
            .map(call)
            .chain([appeared])
            .chain([call(7)])
            .collect();
        let kept = coalesce(burst);
        assert_eq!(tokens(&kept), vec![None, Some(7)]);
        assert!(matches!(
            kept[0],
            AgentEvent::SourceAppeared { tool: "codex" }
        ));
    }

    #[test]
    fn a_single_event_passes_unchanged() {
        assert_eq!(tokens(&coalesce(vec![call(3)])), vec![Some(3)]);
        assert!(coalesce(Vec::new()).is_empty());
        let failed = AgentEvent::TaskFailed {
            task: "live",
            error: "port taken".into(),
        };
        assert_eq!(coalesce(vec![failed]).len(), 1);
    }
}
