//! Consent as windows of time: a call may be uploaded only if its time
//! falls in a window the employee opened, and only while uploads are on.

use tokentally_store::ConsentChange;

/// The employee's consent history, read.
#[derive(Debug, Clone, Default)]
pub struct Consent {
    windows: Vec<(i64, Option<i64>)>,
    on: bool,
}

impl Consent {
    /// From the recorded changes, oldest first. Turning uploads on opens a
    /// window from the chosen moment (the moment of consent by default,
    /// or earlier if the employee said so); turning them off closes it.
    pub fn new(changes: &[ConsentChange]) -> Self {
        let mut windows: Vec<(i64, Option<i64>)> = Vec::new();
        let mut on = false;
        for change in changes {
            if change.enabled && !on {
                windows.push((change.from_ms.unwrap_or(i64::MIN), None));
                on = true;
            } else if !change.enabled && on {
                if let Some(last) = windows.last_mut() {
                    last.1 = Some(change.at_ms);
                }
                on = false;
            }
        }
        Consent { windows, on }
    }

    /// Whether uploads are on now.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Whether a call at `at_ms` may be uploaded.
    pub fn covers(&self, at_ms: i64) -> bool {
        self.windows
            .iter()
            .any(|(from, to)| at_ms >= *from && to.is_none_or(|end| at_ms < end))
    }

    /// The earliest moment any window covers.
    pub fn earliest(&self) -> Option<i64> {
        self.windows.iter().map(|w| w.0).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(at_ms: i64, enabled: bool, from_ms: Option<i64>) -> ConsentChange {
        ConsentChange {
            at_ms,
            enabled,
            from_ms,
        }
    }

    #[test]
    fn nothing_is_covered_before_consent() {
        let c = Consent::new(&[]);
        assert!(!c.is_on() && !c.covers(0) && c.earliest().is_none());
    }

    #[test]
    fn windows_open_from_the_chosen_moment_and_close_when_withdrawn() {
        let c = Consent::new(&[
            change(100, true, Some(100)),
            change(200, false, None),
            change(300, true, Some(250)),
        ]);
        assert!(c.is_on());
        assert!(!c.covers(99) && c.covers(100) && c.covers(199));
        assert!(!c.covers(200) && !c.covers(249));
        assert!(c.covers(250) && c.covers(10_000));
        assert_eq!(c.earliest(), Some(100));
    }

    #[test]
    fn including_the_past_covers_everything_before() {
        let c = Consent::new(&[change(100, true, None), change(150, false, None)]);
        assert!(!c.is_on());
        assert!(c.covers(i64::MIN) && c.covers(149) && !c.covers(150));
    }
}
