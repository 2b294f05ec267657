//! runAfter semantics and status resolution (research/workflow.md §5), as tables.
use crate::common::*;
use serde_json::{Value, json};
use skybridge_workflow::status::{Status, resolve_container};

use Status::*;

type ResolutionCase = (Vec<Vec<usize>>, Vec<Option<Status>>, Status);
type RunCase<'a> = (Value, &'a str, Vec<(&'a str, &'a str)>);

#[test]
fn resolution_table() {
    // (predecessors per action, statuses, expected container status)
    let cases: Vec<ResolutionCase> = vec![
        (vec![], vec![], Succeeded),
        (vec![vec![]], vec![Some(Succeeded)], Succeeded),
        (vec![vec![]], vec![Some(Failed)], Failed),
        // A failed, B skipped after it: the skipped leaf is replaced by A.
        (
            vec![vec![], vec![0]],
            vec![Some(Failed), Some(Skipped)],
            Failed,
        ),
        // A failed, B (runAfter Failed) succeeded: handled.
        (
            vec![vec![], vec![0]],
            vec![Some(Failed), Some(Succeeded)],
            Succeeded,
        ),
        // A succeeded, B (runAfter Failed) skipped: back to A.
        (
            vec![vec![], vec![0]],
            vec![Some(Succeeded), Some(Skipped)],
            Succeeded,
        ),
        // Two branches, one failed.
        (
            vec![vec![], vec![]],
            vec![Some(Succeeded), Some(Failed)],
            Failed,
        ),
        // Failed beats TimedOut, TimedOut beats Succeeded.
        (
            vec![vec![], vec![]],
            vec![Some(TimedOut), Some(Failed)],
            Failed,
        ),
        (
            vec![vec![], vec![]],
            vec![Some(TimedOut), Some(Succeeded)],
            TimedOut,
        ),
        // A chain of skips walks back to the first real status.
        (
            vec![vec![], vec![0], vec![1], vec![2]],
            vec![Some(Failed), Some(Skipped), Some(Skipped), Some(Skipped)],
            Failed,
        ),
        // A diamond: D after B and C; C skipped, B failed-handled... D skipped → B, C → C skipped → A.
        (
            vec![vec![], vec![0], vec![0], vec![1, 2]],
            vec![
                Some(Succeeded),
                Some(Succeeded),
                Some(Skipped),
                Some(Skipped),
            ],
            Succeeded,
        ),
        (
            vec![vec![], vec![0], vec![0], vec![1, 2]],
            vec![Some(TimedOut), Some(Skipped), Some(Skipped), Some(Skipped)],
            TimedOut,
        ),
        // Cancelled and skipped-without-predecessor leaves change nothing; never-run actions count as nothing.
        (
            vec![vec![], vec![]],
            vec![Some(Cancelled), Some(Skipped)],
            Succeeded,
        ),
        (
            vec![vec![], vec![0]],
            vec![Some(Succeeded), None],
            Succeeded,
        ),
    ];
    for (i, (preds, statuses, expected)) in cases.into_iter().enumerate() {
        assert_eq!(resolve_container(&preds, &statuses), expected, "case {i}");
    }
}

/// An action that fails at run time (division by zero in its inputs).
fn failing() -> Value {
    json!({"type": "Compose", "inputs": "@div(1, 0)"})
}

fn ok() -> Value {
    json!({"type": "Compose", "inputs": "ok"})
}

fn after(mut action: Value, pred: &str, statuses: &[&str]) -> Value {
    action["runAfter"] = json!({ pred: statuses });
    action
}

#[tokio::test]
async fn run_after_in_real_runs() {
    // (actions, expected run status, expected action statuses)
    let cases: Vec<RunCase> = vec![
        (
            json!({"A": failing(), "B": after(ok(), "A", &["Succeeded"])}),
            "Failed",
            vec![("A", "Failed"), ("B", "Skipped")],
        ),
        (
            json!({"A": failing(), "B": after(ok(), "A", &["Failed"])}),
            "Succeeded",
            vec![("A", "Failed"), ("B", "Succeeded")],
        ),
        (
            json!({"A": failing(), "B": after(ok(), "A", &["Failed"]), "C": after(ok(), "B", &["Succeeded"])}),
            "Succeeded",
            vec![("C", "Succeeded")],
        ),
        (
            json!({"A": ok(), "B": failing()}),
            "Failed",
            vec![("A", "Succeeded"), ("B", "Failed")],
        ),
        (
            json!({"A": ok(), "B": after(ok(), "A", &["Failed"]), "C": after(ok(), "B", &["Skipped"])}),
            "Succeeded",
            vec![("B", "Skipped"), ("C", "Succeeded")],
        ),
        (
            json!({"A": ok(), "B": after(ok(), "A", &["Failed", "TimedOut"])}),
            "Succeeded",
            vec![("B", "Skipped")],
        ),
        (
            json!({"A": failing(), "B": after(ok(), "A", &["Succeeded", "Failed", "Skipped", "TimedOut"])}),
            "Succeeded",
            vec![("B", "Succeeded")],
        ),
        (json!({}), "Succeeded", vec![]),
    ];
    for (i, (actions, run_status, expected)) in cases.into_iter().enumerate() {
        let h = harness().await;
        h.add("w", wf(actions));
        let (s, recs) = h.run("w", None).await;
        assert_eq!(s.status.as_str(), run_status, "case {i}");
        for (name, st) in expected {
            assert_eq!(status_of(&recs, name), st, "case {i}, action {name}");
        }
    }
}

#[tokio::test]
async fn skipped_and_failed_records_carry_the_runtime_texts() {
    let h = harness().await;
    h.add("w", wf(json!({
        "A": failing(),
        "B": ok(),
        "C": {"type": "Compose", "inputs": 1, "runAfter": {"B": ["Succeeded"], "A": ["Succeeded", "TimedOut"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(s.code.as_deref(), Some("ActionFailed"));
    assert_eq!(
        s.error.as_ref().unwrap()["message"],
        "An action failed. No dependent actions succeeded."
    );
    let c = doc_of(&recs, "C");
    assert_eq!(c["code"], "ActionSkipped");
    assert_eq!(c["error"]["code"], "ActionConditionFailed");
    assert_eq!(
        c["error"]["message"],
        "The execution of template action 'C' is skipped: the 'runAfter' condition for action 'A' is not satisfied. Expected status values 'Succeeded, TimedOut' and actual value 'Failed'."
    );
    let a = doc_of(&recs, "A");
    assert_eq!(a["code"], "BadRequest");
    assert_eq!(a["error"]["code"], "InvalidTemplate");
    assert!(a["error"]["message"].as_str().unwrap().starts_with("Unable to process template language expressions in action 'A' inputs at line '0' and column '0': '"), "{a}");
}

#[tokio::test]
async fn scope_try_catch() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Try": {"type": "Scope", "actions": {"Inner_ok": ok(), "Inner_bad": after(failing(), "Inner_ok", &["Succeeded"])}},
        "Catch": {
            "type": "Compose",
            "inputs": "@length(filter_placeholder)",
            "runAfter": {"Try": ["Failed", "TimedOut"]}
        }
    }).to_string().replace("\"@length(filter_placeholder)\"", "\"@result('Try')\"").parse::<Value>().unwrap()));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(
        s.status.as_str(),
        "Succeeded",
        "a handled failure does not fail the run"
    );
    let scope = doc_of(&recs, "Try");
    assert_eq!(scope["status"], "Failed");
    assert_eq!(scope["code"], "ActionFailed");
    let result = doc_of(&recs, "Catch")["outputs"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(result.len(), 2);
    let bad = result.iter().find(|r| r["name"] == "Inner_bad").unwrap();
    assert_eq!(bad["status"], "Failed");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unable to process template language expressions")
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_give_timed_out() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Slow": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Minute"}}, "limit": {"timeout": "PT1M"}},
        "Handle": {"type": "Compose", "inputs": "@actions('Slow')['status']", "runAfter": {"Slow": ["TimedOut"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    let slow = doc_of(&recs, "Slow");
    assert_eq!(slow["status"], "TimedOut");
    assert_eq!(slow["code"], "ActionTimedOut");
    assert_eq!(doc_of(&recs, "Handle")["outputs"], "TimedOut");
    // Unhandled, the run ends TimedOut.
    let h = harness().await;
    h.add("w", wf(json!({
        "Slow": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Minute"}}, "limit": {"timeout": "PT1M"}}
    })));
    let (s, _) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "TimedOut");
}

#[tokio::test(start_paused = true)]
async fn parallel_branches_run_concurrently() {
    let h = harness().await;
    let wait = json!({"type": "Wait", "inputs": {"interval": {"count": 60, "unit": "Second"}}});
    h.add("w", wf(json!({"A": wait, "B": wait, "C": wait})));
    let started = tokio::time::Instant::now();
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    let elapsed = started.elapsed().as_secs();
    assert!(
        (60..120).contains(&elapsed),
        "three 60 s waits in parallel took {elapsed} s"
    );
    assert_eq!(recs.len(), 3);
}

#[tokio::test]
async fn terminate_overrides_and_cancels() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Stop": {"type": "Terminate", "inputs": {"runStatus": "Failed", "runError": {"code": "Nope", "message": "stopped on purpose"}}},
        "Never": after(ok(), "Stop", &["Succeeded"]),
        "Slow": {"type": "Wait", "inputs": {"interval": {"count": 1, "unit": "Hour"}}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(s.code.as_deref(), Some("Terminated"));
    assert_eq!(s.error.as_ref().unwrap()["code"], "Nope");
    assert_eq!(status_of(&recs, "Slow"), "Cancelled");
    assert_eq!(
        status_of(&recs, "Never"),
        "<none>",
        "actions after Terminate never run"
    );
    let h = harness().await;
    h.add("w", wf(json!({"Stop": {"type": "Terminate", "inputs": {"runStatus": "Succeeded"}}, "Bad": after(failing(), "Stop", &["Succeeded"])})));
    let (s, _) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
}
