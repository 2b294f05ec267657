//! Action, scope and run statuses, and the `runAfter` rules that connect them.

use std::fmt;

/// A status as the runtime writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Not run: its `runAfter` condition or branch was not satisfied.
    Skipped,
    /// Ran over `limit.timeout`.
    TimedOut,
    /// Stopped by Terminate or a run cancellation.
    Cancelled,
    /// In progress.
    Running,
    /// Waiting (a run queued, an action waiting for a callback).
    Waiting,
}

impl Status {
    /// The four statuses `runAfter` may list.
    pub const RUN_AFTER: [Status; 4] = [
        Status::Succeeded,
        Status::Failed,
        Status::Skipped,
        Status::TimedOut,
    ];

    /// The runtime's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Skipped => "Skipped",
            Self::TimedOut => "TimedOut",
            Self::Cancelled => "Cancelled",
            Self::Running => "Running",
            Self::Waiting => "Waiting",
        }
    }

    /// Parses a status, ignoring case (samples write `SUCCEEDED`, `succeeded`).
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Succeeded,
            Self::Failed,
            Self::Skipped,
            Self::TimedOut,
            Self::Cancelled,
            Self::Running,
            Self::Waiting,
        ]
        .into_iter()
        .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether an action in this status has finished.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Running | Self::Waiting)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Folds the statuses of a container's effective leaves into the container's (run, Scope, loop
/// iteration) status: Failed dominates, then TimedOut; anything else (Succeeded, Skipped,
/// Cancelled) leaves Succeeded, and so does an empty container. Terminate overrides this for a
/// run; the caller handles that.
pub fn fold_statuses(statuses: impl IntoIterator<Item = Status>) -> Status {
    let mut out = Status::Succeeded;
    for s in statuses {
        match s {
            Status::Failed => return Status::Failed,
            Status::TimedOut => out = Status::TimedOut,
            _ => {}
        }
    }
    out
}

/// Resolves a container's status from its actions (research/workflow.md §5): take the leaves
/// (actions nothing in the container runs after), replace every Skipped leaf by its `runAfter`
/// predecessors (repeatedly, so a skipped chain is walked back to where it started), then
/// [`fold_statuses`].
///
/// `preds[i]` are the predecessor indexes of action `i`; `status[i]` is its final status, or
/// `None` for an action that never ran (a terminated run), which counts as nothing.
pub fn resolve_container(preds: &[Vec<usize>], status: &[Option<Status>]) -> Status {
    let n = preds.len().min(status.len());
    let mut has_successor = vec![false; n];
    for p in preds.iter().take(n) {
        for &j in p {
            if j < n {
                has_successor[j] = true;
            }
        }
    }
    let mut stack: Vec<usize> = (0..n).filter(|&i| !has_successor[i]).collect();
    let mut seen = vec![false; n];
    let mut effective = Vec::new();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        match status[i] {
            Some(Status::Skipped) => stack.extend(preds[i].iter().copied().filter(|&j| j < n)),
            Some(s) => effective.push(s),
            None => {}
        }
    }
    fold_statuses(effective)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ignores_case() {
        assert_eq!(Status::parse("SUCCEEDED"), Some(Status::Succeeded));
        assert_eq!(Status::parse("timedout"), Some(Status::TimedOut));
        assert_eq!(Status::parse("nope"), None);
    }
}
