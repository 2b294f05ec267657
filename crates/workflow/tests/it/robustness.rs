//! Bad input never panics: mutated definitions, run-time expression failures, size limits,
//! and many concurrent runs that do not disturb each other.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::*;
use serde_json::{Value, json};
use skybridge_workflow::EngineConfig;
use skybridge_workflow::definition::{self, WorkflowOptions};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn random_value(r: &mut Rng, depth: usize) -> Value {
    let strings = [
        "@div(1,0)",
        "@item()",
        "@body('A')",
        "@{",
        "@",
        "@@",
        "@triggerBody()?['x']",
        "Compose",
        "Foreach",
        "If",
        "Scope",
        "Until",
        "Succeeded",
        "SKIPPED",
        "PT1S",
        "P",
        "@range(0, 3)",
        "@variables('v')",
        "@concat('a'",
        "x",
        "",
        "@json('{')",
        "@createArray(1,2)",
        "@true",
        "@equals(1,1)",
        "Http",
        "Terminate",
        "Failed",
        "@parameters('p')",
        "@result('A')",
    ];
    match r.next() % if depth > 3 { 4 } else { 7 } {
        0 => Value::Null,
        1 => json!(r.next() % 100),
        2 | 3 => json!(r.pick(&strings)),
        4 => Value::Array(
            (0..r.next() % 3)
                .map(|_| random_value(r, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "type",
                "inputs",
                "runAfter",
                "actions",
                "expression",
                "foreach",
                "else",
                "limit",
                "cases",
                "case",
                "default",
                "A",
                "B",
                "value",
                "variables",
                "name",
                "count",
                "timeout",
                "runStatus",
            ];
            Value::Object(
                (0..r.next() % 4)
                    .map(|_| (r.pick(&keys).to_string(), random_value(r, depth + 1)))
                    .collect(),
            )
        }
    }
}

/// Replaces a random node of `v` with random content.
fn mutate(v: &mut Value, r: &mut Rng, depth: usize) {
    let replace = r.next().is_multiple_of(4) || depth > 6;
    match v {
        Value::Object(m) if !m.is_empty() && !replace => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = r.pick(&keys).clone();
            if let Some(child) = m.get_mut(&k) {
                mutate(child, r, depth + 1);
            }
        }
        Value::Array(a) if !a.is_empty() && !replace => {
            let i = (r.next() % a.len() as u64) as usize;
            mutate(&mut a[i], r, depth + 1);
        }
        _ => *v = random_value(r, 0),
    }
}

fn seed_definitions() -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            serde_json::from_str(
                &std::fs::read_to_string(e.unwrap().path().join("workflow.json")).unwrap(),
            )
            .unwrap()
        })
        .collect();
    out.push(wf(json!({
        "I": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "v", "type": "Integer", "value": 1}]}},
        "L": {"type": "Foreach", "foreach": "@range(0, 3)", "actions": {"C": {"type": "Compose", "inputs": "@add(item(), variables('v'))"}}, "runAfter": {"I": ["Succeeded"]}},
        "U": {"type": "Until", "expression": "@equals(1, 1)", "limit": {"count": 3}, "actions": {"S": {"type": "SetVariable", "inputs": {"name": "v", "value": 2}}}, "runAfter": {"L": ["Succeeded"]}},
        "X": {"type": "Switch", "expression": "@string(variables('v'))", "cases": {"c": {"case": "2", "actions": {"T": {"type": "Table", "inputs": {"from": "@createArray(json('{\"a\":1}'))", "format": "HTML"}}}}}, "runAfter": {"U": ["Succeeded"]}}
    })));
    out
}

#[tokio::test(start_paused = true)]
async fn mutated_definitions_load_or_fail_cleanly_and_run_without_panics() {
    count_panics();
    let seeds = seed_definitions();
    let mut r = Rng(0x5eed_1234_abcd_0001);
    let mut loaded = 0;
    let mut ran = 0;
    for i in 0..1500u32 {
        let mut doc = r.pick(&seeds).clone();
        for _ in 0..=(r.next() % 3) {
            mutate(&mut doc, &mut r, 0);
        }
        let Ok(w) = definition::load_value(
            doc,
            &WorkflowOptions {
                name: format!("m{i}"),
                ..Default::default()
            },
        ) else {
            continue;
        };
        loaded += 1;
        if w.definition.triggers.is_empty() || !i.is_multiple_of(3) {
            continue;
        }
        let trigger = w.definition.triggers[0].name.clone();
        let h = harness_with(EngineConfig::default(), Some(Scripted::new(vec![]))).await;
        h.engine.add_workflow(w);
        let done = tokio::time::timeout(
            std::time::Duration::from_secs(7 * 86_400),
            h.engine
                .run_to_completion(&format!("m{i}"), &trigger, Default::default()),
        )
        .await;
        if let Ok(Ok(_)) = done {
            ran += 1;
        }
    }
    assert!(loaded > 100, "only {loaded} mutated definitions loaded");
    assert!(ran > 20, "only {ran} ran");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "no input may panic");
}

#[tokio::test]
async fn run_time_expression_failures_are_contained() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Missing_property": {"type": "Compose", "inputs": "@triggerBody()['nope']"},
        "Bad_condition": {"type": "If", "expression": "@greater(triggerBody()['n'], 'x')", "actions": {}, "runAfter": {"Missing_property": ["Failed"]}},
        "Tracked": {"type": "Compose", "inputs": 1, "trackedProperties": {"x": "@div(1, 0)"}, "runAfter": {"Bad_condition": ["Failed"]}},
        "Bad_foreach": {"type": "Foreach", "foreach": "@json('not json')", "actions": {}, "runAfter": {"Tracked": ["Succeeded"]}}
    })));
    let (s, recs) = h.run("w", Some(json!({"n": 1}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    let missing = doc_of(&recs, "Missing_property")["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        missing.contains("property 'nope' doesn't exist, available properties are 'n'"),
        "{missing}"
    );
    assert_eq!(
        doc_of(&recs, "Bad_condition")["error"]["code"],
        "InvalidTemplate"
    );
    assert_eq!(
        doc_of(&recs, "Tracked")["status"],
        "Succeeded",
        "a broken tracked property does not fail the action"
    );
    assert!(doc_of(&recs, "Tracked").get("trackedProperties").is_none());
    assert_eq!(doc_of(&recs, "Bad_foreach")["status"], "Failed");
}

#[tokio::test]
async fn size_limits() {
    let mut config = EngineConfig::default();
    config.limits.max_variable_size = 1000;
    let h = harness_with(config, None).await;
    h.add("w", wf(json!({
        "Init": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "s", "type": "String", "value": ""}]}},
        "Grow": {
            "type": "Until", "expression": "@greater(length(variables('s')), 5000)", "limit": {"count": 100},
            "actions": {"Append": {"type": "AppendToStringVariable", "inputs": {"name": "s", "value": "@{string(range(0, 30))}"}}},
            "runAfter": {"Init": ["Succeeded"]}
        }
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert!(recs.iter().any(|a| {
        a.document["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("maximum size of 1000"))
    }));
    // A 5 MB trigger body flows through untouched.
    let h = harness().await;
    h.add(
        "big",
        wf(json!({"Len": {"type": "Compose", "inputs": "@length(triggerBody()['blob'])"}})),
    );
    let (s, recs) = h
        .run("big", Some(json!({"blob": "x".repeat(5_000_000)})))
        .await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Len")["outputs"], 5_000_000);
}

#[tokio::test]
async fn concurrent_runs_are_isolated() {
    let h = Arc::new(harness().await);
    h.add("w", wf(json!({
        "Init": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "n", "type": "Integer", "value": "@triggerBody()['n']"}]}},
        "Check": {"type": "Compose", "inputs": "@div(100, variables('n'))", "runAfter": {"Init": ["Succeeded"]}},
        "Loop": {"type": "Foreach", "foreach": "@range(0, 5)", "actions": {"Inc": {"type": "IncrementVariable", "inputs": {"name": "n"}}}, "runAfter": {"Check": ["Succeeded"]}, "operationOptions": "Sequential"},
        "Final": {"type": "Compose", "inputs": "@variables('n')", "runAfter": {"Loop": ["Succeeded"]}}
    })));
    let mut tasks = Vec::new();
    for i in 0..200i64 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            (i, h.run("w", Some(json!({"n": i % 10}))).await)
        }));
    }
    for t in tasks {
        let (i, (s, recs)) = t.await.unwrap();
        if i % 10 == 0 {
            assert_eq!(s.status.as_str(), "Failed", "run {i}");
        } else {
            assert_eq!(s.status.as_str(), "Succeeded", "run {i}");
            assert_eq!(
                doc_of(&recs, "Final")["outputs"],
                json!(i % 10 + 5),
                "run {i}"
            );
        }
    }
}
