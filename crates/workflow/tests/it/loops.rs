//! Foreach and Until: concurrency, repetition records, limits and runaway guards.
use crate::common::*;
use serde_json::{Value, json};
use skybridge_workflow::EngineConfig;

fn waiting_loop(items: usize, options: Value) -> Value {
    let mut f = json!({
        "type": "Foreach",
        "foreach": format!("@range(0, {items})"),
        "actions": {"Pause": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Second"}}}}
    });
    if let Value::Object(o) = options {
        for (k, v) in o {
            f[k] = v;
        }
    }
    wf(json!({"Loop": f}))
}

async fn elapsed_secs(doc: Value) -> u64 {
    let h = harness().await;
    h.add("w", doc);
    let start = tokio::time::Instant::now();
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(recs.iter().filter(|a| a.name == "Pause").count(), 50);
    start.elapsed().as_secs()
}

#[tokio::test(start_paused = true)]
async fn foreach_concurrency() {
    // 50 iterations of 10 s: 20 at a time by default → 3 waves.
    assert_eq!(elapsed_secs(waiting_loop(50, json!({}))).await, 30);
    assert_eq!(
        elapsed_secs(waiting_loop(50, json!({"operationOptions": "Sequential"}))).await,
        500
    );
    assert_eq!(
        elapsed_secs(waiting_loop(
            50,
            json!({"runtimeConfiguration": {"concurrency": {"repetitions": "25"}}})
        ))
        .await,
        20
    );
    assert_eq!(
        elapsed_secs(waiting_loop(
            50,
            json!({"runtimeConfiguration": {"concurrency": {"repetitions": 50}}})
        ))
        .await,
        10
    );
}

#[tokio::test]
async fn repetitions_items_and_outside_references() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Outer": {
            "type": "Foreach",
            "foreach": "@triggerBody()",
            "actions": {
                "Inner": {
                    "type": "Foreach",
                    "foreach": "@items('Outer')['lines']",
                    "actions": {"Line": {"type": "Compose", "inputs": "@concat(items('Outer')['id'], '/', item())"}}
                },
                "Count": {"type": "Compose", "inputs": "@length(item()['lines'])"}
            }
        },
        "Counts": {"type": "Compose", "inputs": "@outputs('Count')", "runAfter": {"Outer": ["Succeeded"]}},
        "Results": {"type": "Compose", "inputs": "@length(result('Outer'))", "runAfter": {"Outer": ["Succeeded"]}}
    })));
    let body = json!([{"id": "a", "lines": ["x", "y"]}, {"id": "b", "lines": ["z"]}]);
    let (s, recs) = h.run("w", Some(body)).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    let mut lines: Vec<(String, Value)> = recs
        .iter()
        .filter(|a| a.name == "Line")
        .map(|a| (a.repetition.clone(), a.document["outputs"].clone()))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        lines,
        vec![
            ("000000-000000".into(), json!("a/x")),
            ("000000-000001".into(), json!("a/y")),
            ("000001-000000".into(), json!("b/z"))
        ]
    );
    let line = recs
        .iter()
        .find(|a| a.name == "Line" && a.repetition == "000001-000000")
        .unwrap();
    assert_eq!(
        line.document["repetitionIndexes"],
        json!([{"scopeName": "Outer", "itemIndex": 1}, {"scopeName": "Inner", "itemIndex": 0}])
    );
    assert_eq!(doc_of(&recs, "Outer")["repetitionCount"], 2);
    assert_eq!(doc_of(&recs, "Counts")["outputs"], json!([2, 1]));
    assert_eq!(doc_of(&recs, "Results")["outputs"], json!(2));
}

#[tokio::test]
async fn failing_iteration_fails_the_loop_and_bad_inputs_are_reported() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Loop": {"type": "Foreach", "foreach": "@createArray(1, 0, 2)", "actions": {"Divide": {"type": "Compose", "inputs": "@div(10, item())"}}},
        "Not_array": {"type": "Foreach", "foreach": "@triggerBody()", "actions": {}}
    })));
    let (s, recs) = h.run("w", Some(json!({"a": 1}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(doc_of(&recs, "Loop")["status"], "Failed");
    assert_eq!(
        recs.iter()
            .filter(|a| a.name == "Divide" && a.document["status"] == "Succeeded")
            .count(),
        2
    );
    let msg = doc_of(&recs, "Not_array")["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("is of type 'Object'. The result must be a valid array."),
        "{msg}"
    );
}

#[tokio::test(start_paused = true)]
async fn until_limits() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Init": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "i", "type": "integer", "value": 0}]}},
        "Count_to_3": {
            "type": "Until",
            "expression": "@equals(variables('i'), 3)",
            "limit": {"count": 60, "timeout": "PT1H"},
            "actions": {"Inc": {"type": "IncrementVariable", "inputs": {"name": "i"}}},
            "runAfter": {"Init": ["Succeeded"]}
        },
        "Never_true": {
            "type": "Until",
            "expression": "@equals(iterationIndexes('Never_true'), -1)",
            "limit": {"count": "5"},
            "actions": {"Index": {"type": "Compose", "inputs": "@iterationIndexes('Never_true')"}},
            "runAfter": {"Count_to_3": ["Succeeded"]}
        },
        "Slow": {
            "type": "Until",
            "expression": "@equals(1, 2)",
            "limit": {"count": 1000, "timeout": "PT10M"},
            "actions": {"Pause": {"type": "Wait", "inputs": {"interval": {"count": 3, "unit": "Minute"}}}},
            "runAfter": {"Never_true": ["Succeeded"]}
        },
        "Last_index": {"type": "Compose", "inputs": "@outputs('Index')", "runAfter": {"Slow": ["Succeeded"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Count_to_3")["repetitionCount"], 3);
    assert_eq!(doc_of(&recs, "Never_true")["repetitionCount"], 5);
    assert_eq!(
        doc_of(&recs, "Slow")["repetitionCount"],
        4,
        "3-minute iterations stop after the 10-minute timeout"
    );
    assert_eq!(
        doc_of(&recs, "Last_index")["outputs"],
        4,
        "outside the loop, outputs are the last iteration's"
    );
}

#[tokio::test]
async fn runaway_loops_are_stopped() {
    let mut config = EngineConfig::default();
    config.limits.max_action_executions = 500;
    let h = harness_with(config, None).await;
    h.add("w", wf(json!({
        "Spin": {"type": "Until", "expression": "@equals(1, 2)", "limit": {"count": 5000}, "actions": {"Step": {"type": "Compose", "inputs": 1}}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert!(
        recs.iter()
            .any(|a| a.document["error"]["code"] == "ActionExecutionLimitExceeded")
    );
    assert!(recs.len() <= 510, "{}", recs.len());
    // Stateless limits: Foreach over more than 100 items is refused.
    let h = harness().await;
    let mut doc =
        wf(json!({"Loop": {"type": "Foreach", "foreach": "@range(0, 101)", "actions": {}}}));
    doc["kind"] = json!("Stateless");
    h.add("s", doc);
    let s = h
        .engine
        .run_to_completion("s", "manual", Default::default())
        .await
        .unwrap();
    assert_eq!(s.status.as_str(), "Failed");
    let (runs_after, _) = (
        h.engine.list_runs("s", &Default::default()).await.unwrap(),
        (),
    );
    assert!(runs_after.is_empty(), "Stateless workflows keep no history");
    // Until over the maximum count is refused at run time.
    let h = harness().await;
    h.add("u", wf(json!({"U": {"type": "Until", "expression": "@true", "limit": {"count": 5001}, "actions": {}}})));
    let (s, _) = h.run("u", None).await;
    assert_eq!(s.status.as_str(), "Failed");
}
