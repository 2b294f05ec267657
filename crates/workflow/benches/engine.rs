//! Engine overhead, against the expression evaluation the same work needs, measured in the
//! same run: `cargo bench -p skybridge-workflow --bench engine`.
//!
//! * a 1,000-action Compose chain (each action reads its predecessor's output);
//! * a Foreach over 10,000 items (default 20 in parallel) with one Compose per item;
//! * 1,000 runs started at once of a three-action workflow;
//!
//! each with run history in memory and in SQLite (a file, as `skybridge up` keeps it). The
//! baseline is `evaluate_template` alone on the same inputs with a JSON context: what is left
//! is the engine's own cost (scheduling, result objects, records, persistence).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use skybridge_store::{SqliteStore, WorkflowRunStore};
use skybridge_workflow::definition::{self, LoadLimits, WorkflowOptions};
use skybridge_workflow::history::MemoryRunStore;
use skybridge_workflow::{Engine, EngineConfig, TokioClock, TriggerRequest};

const THREADS: usize = 2;

fn chain(n: usize) -> Value {
    let mut actions = Map::new();
    actions.insert("A0".into(), json!({"type": "Compose", "inputs": 0}));
    for i in 1..n {
        actions.insert(
            format!("A{i}"),
            json!({"type": "Compose", "inputs": format!("@add(outputs('A{}'), 1)", i - 1), "runAfter": {format!("A{}", i - 1): ["Succeeded"]}}),
        );
    }
    json!({"definition": {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": actions}})
}

fn foreach(n: usize) -> Value {
    json!({"definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Loop": {"type": "Foreach", "foreach": format!("@range(0, {n})"), "actions": {"Each": {"type": "Compose", "inputs": "@add(item(), 1)"}}}}
    }})
}

fn small() -> Value {
    json!({"definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Init": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "n", "type": "Integer", "value": "@triggerBody()['n']"}]}},
            "Double": {"type": "Compose", "inputs": "@mul(variables('n'), 2)", "runAfter": {"Init": ["Succeeded"]}},
            "Check": {"type": "If", "expression": "@greater(outputs('Double'), 10)", "actions": {}, "runAfter": {"Double": ["Succeeded"]}}
        }
    }})
}

fn engine(store: Arc<dyn WorkflowRunStore>) -> Engine {
    let e = Engine::new(EngineConfig::default(), TokioClock::system(), Some(store)).unwrap();
    let opts = |name: &str| WorkflowOptions {
        name: name.into(),
        limits: LoadLimits {
            max_actions: 5_000,
            ..Default::default()
        },
        ..Default::default()
    };
    e.add_workflow(definition::load_value(chain(1000), &opts("chain")).unwrap());
    e.add_workflow(definition::load_value(foreach(10_000), &opts("loop")).unwrap());
    e.add_workflow(definition::load_value(small(), &opts("small")).unwrap());
    e
}

async fn timed(e: &Engine, wf: &str, repeats: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..repeats {
        let s = e
            .run_to_completion(wf, "manual", TriggerRequest::default())
            .await
            .unwrap();
        assert_eq!(s.status.as_str(), "Succeeded");
    }
    start.elapsed() / repeats as u32
}

async fn concurrent(e: &Engine, runs: usize) -> Duration {
    let start = Instant::now();
    let mut handles = Vec::with_capacity(runs);
    for i in 0..runs {
        let req = TriggerRequest {
            body: Some(json!({"n": i})),
            ..TriggerRequest::default()
        };
        handles.push(e.start("small", "manual", req).await.unwrap());
    }
    for h in handles {
        assert_eq!(h.finished().await.unwrap().status.as_str(), "Succeeded");
    }
    start.elapsed()
}

fn baseline_per_eval() -> Duration {
    let mut actions = Map::new();
    actions.insert("A".into(), json!({"outputs": 41}));
    let ctx = skybridge_wdl::MapContext::from_json(json!({"actions": actions, "item": 5})).unwrap();
    let template = json!("@add(outputs('A'), 1)");
    let n = 200_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(skybridge_wdl::evaluate_template(&template, &ctx).unwrap());
    }
    start.elapsed() / n
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
        .unwrap();
    let eval = baseline_per_eval();
    println!(
        "baseline: evaluate_template(\"@add(outputs('A'), 1)\") = {:.2} µs",
        us(eval)
    );
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sb-wf-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite: Arc<dyn WorkflowRunStore> = Arc::new(SqliteStore::open(&dir.join("db")).await.unwrap());
        for (label, store) in [("memory", Arc::new(MemoryRunStore::new()) as Arc<dyn WorkflowRunStore>), ("sqlite", sqlite)] {
            let e = engine(store);
            timed(&e, "chain", 1).await; // warm-up
            let chain = timed(&e, "chain", 10).await;
            let per_action = chain / 1000;
            println!(
                "[{label}] 1,000-action Compose chain: {:.1} ms per run, {:.2} µs per action ({:.1}× the expression alone; engine overhead {:.2} µs)",
                chain.as_secs_f64() * 1e3,
                us(per_action),
                us(per_action) / us(eval),
                us(per_action) - us(eval)
            );
            let lp = timed(&e, "loop", 3).await;
            let per_item = lp / 10_000;
            println!(
                "[{label}] Foreach over 10,000 items: {:.1} ms per run, {:.2} µs per iteration ({:.1}× the expression; overhead {:.2} µs)",
                lp.as_secs_f64() * 1e3,
                us(per_item),
                us(per_item) / us(eval),
                us(per_item) - us(eval)
            );
            let total = concurrent(&e, 1000).await;
            println!(
                "[{label}] 1,000 concurrent runs (3 actions each): {:.1} ms total, {:.0} runs/s",
                total.as_secs_f64() * 1e3,
                1000.0 / total.as_secs_f64()
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
