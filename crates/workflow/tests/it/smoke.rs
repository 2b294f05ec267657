use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn compose_chain_succeeds() {
    let h = sqlite_harness().await;
    h.add("w", wf(json!({
        "A": {"type": "Compose", "inputs": {"x": "@triggerBody()?['n']"}},
        "B": {"type": "compose", "inputs": "@add(outputs('A').x, 1)", "runAfter": {"A": ["SUCCEEDED"]}}
    })));
    let (s, actions) = h.run("w", Some(json!({"n": 41}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&actions, "B")["outputs"], json!(42));
}
