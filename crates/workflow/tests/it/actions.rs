//! The action catalogue, one behaviour at a time.
use crate::common::*;
use serde_json::{Value, json};
use skybridge_workflow::definition::{self, ParameterSources, WorkflowOptions};

fn init(name: &str, ty: &str, value: Value) -> Value {
    json!({"type": "InitializeVariable", "inputs": {"variables": [{"name": name, "type": ty, "value": value}]}})
}

#[tokio::test]
async fn variables() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Init_n": init("n", "Integer", json!(1)),
        "Init_s": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "s", "type": "string", "value": "a"}]}, "runAfter": {"Init_n": ["Succeeded"]}},
        "Init_arr": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "arr", "type": "Array"}]}, "runAfter": {"Init_s": ["Succeeded"]}},
        "Inc": {"type": "IncrementVariable", "inputs": {"name": "n", "value": 5}, "runAfter": {"Init_arr": ["Succeeded"]}},
        "Dec": {"type": "DecrementVariable", "inputs": {"name": "N"}, "runAfter": {"Inc": ["Succeeded"]}},
        "App_s": {"type": "AppendToStringVariable", "inputs": {"name": "s", "value": "@{variables('n')}"}, "runAfter": {"Dec": ["Succeeded"]}},
        "App_a": {"type": "AppendToArrayVariable", "inputs": {"name": "arr", "value": {"k": "@variables('s')"}}, "runAfter": {"App_s": ["Succeeded"]}},
        "Set": {"type": "SetVariable", "inputs": {"name": "s", "value": "reset"}, "runAfter": {"App_a": ["Succeeded"]}},
        "Bad_type": {"type": "SetVariable", "inputs": {"name": "n", "value": "text"}, "runAfter": {"Set": ["Succeeded"]}},
        "Out": {"type": "Compose", "inputs": {"n": "@variables('n')", "s": "@variables('s')", "arr": "@variables('arr')"}, "runAfter": {"Bad_type": ["Failed"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(
        doc_of(&recs, "Out")["outputs"],
        json!({"n": 5, "s": "reset", "arr": [{"k": "a5"}]})
    );
    assert_eq!(
        doc_of(&recs, "Set")["outputs"],
        json!({"body": {"name": "s", "value": "reset"}})
    );
    assert_eq!(doc_of(&recs, "Init_n")["code"], "NotSpecified");
    let bad = doc_of(&recs, "Bad_type");
    assert_eq!(bad["status"], "Failed");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be initialized or updated with value of type 'String'")
    );
}

#[tokio::test]
async fn conditions_string_and_object_forms() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Check": {
            "type": "If",
            "expression": "@greater(triggerBody()['n'], 10)",
            "actions": {"Big": {"type": "Compose", "inputs": "big"}},
            "else": {"actions": {"Small": {"type": "Compose", "inputs": "small"}}}
        },
        "Designer": {
            "type": "if",
            "expression": {"and": [{"equals": ["@triggerBody()['name']", "x"]}, {"not": {"equals": [{"lENgth": ["@triggerBody()['name']"]}, 1]}}]},
            "actions": {"Never": {"type": "Compose", "inputs": 1}},
            "else": {"actions": {"Always": {"type": "Compose", "inputs": 2}}}
        }
    })));
    let (s, recs) = h.run("w", Some(json!({"n": 3, "name": "x"}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(status_of(&recs, "Small"), "Succeeded");
    let big = doc_of(&recs, "Big");
    assert_eq!(big["status"], "Skipped");
    assert_eq!(big["error"]["code"], "ActionBranchingConditionNotSatisfied");
    assert_eq!(
        doc_of(&recs, "Check")["inputs"],
        json!({"expressionResult": false})
    );
    assert_eq!(status_of(&recs, "Always"), "Succeeded");
    assert_eq!(status_of(&recs, "Never"), "Skipped");
}

#[tokio::test]
async fn condition_must_be_boolean() {
    let h = harness().await;
    h.add(
        "w",
        wf(json!({"Check": {"type": "If", "expression": "@triggerBody()", "actions": {}}})),
    );
    let (s, recs) = h.run("w", Some(json!("yes"))).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert!(
        doc_of(&recs, "Check")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'Boolean'")
    );
}

#[tokio::test]
async fn switch_cases() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Route": {
            "type": "Switch",
            "expression": "@triggerBody()['kind']",
            "cases": {
                "Case_order": {"case": "order", "actions": {"Order": {"type": "Compose", "inputs": "o"}}},
                "Case_2": {"case": 2, "actions": {"Two": {"type": "Compose", "inputs": "2"}}}
            },
            "default": {"actions": {"Other": {"type": "Compose", "inputs": "d"}}}
        }
    })));
    for (body, ran) in [
        (json!({"kind": "order"}), "Order"),
        (json!({"kind": 2}), "Two"),
        (json!({"kind": "x"}), "Other"),
    ] {
        let (s, recs) = h.run("w", Some(body)).await;
        assert_eq!(s.status.as_str(), "Succeeded");
        for name in ["Order", "Two", "Other"] {
            assert_eq!(
                status_of(&recs, name),
                if name == ran { "Succeeded" } else { "Skipped" },
                "{name}"
            );
        }
    }
    let (s, recs) = h.run("w", Some(json!({"kind": [1]}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(doc_of(&recs, "Route")["code"], "ExpressionEvaluationFailed");
}

#[tokio::test]
async fn data_operations() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Parse": {"type": "ParseJson", "inputs": {"content": "@triggerBody()", "schema": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}}, "required": ["name"]}}}},
        "Filter": {"type": "Query", "inputs": {"from": "@body('Parse')", "where": "@greater(item()?['qty'], 1)"}, "runAfter": {"Parse": ["Succeeded"]}},
        "Shape": {"type": "Select", "inputs": {"from": "@body('Filter')", "select": {"Item": "@item()['name']", "Double": "@mul(item()['qty'], 2)"}}, "runAfter": {"Filter": ["Succeeded"]}},
        "Names": {"type": "Select", "inputs": {"from": "@body('Parse')", "select": "@item()['name']"}, "runAfter": {"Parse": ["Succeeded"]}},
        "Joined": {"type": "Join", "inputs": {"from": "@body('Names')", "joinWith": ", "}, "runAfter": {"Names": ["Succeeded"]}},
        "Csv": {"type": "Table", "inputs": {"from": "@body('Shape')", "format": "CSV"}, "runAfter": {"Shape": ["Succeeded"]}},
        "Html": {"type": "Table", "inputs": {"from": "@body('Parse')", "format": "html", "columns": [{"header": "Name", "value": "@item()['name']"}, {"header": "Qty", "value": "@item()?['qty']"}]}, "runAfter": {"Parse": ["Succeeded"]}}
    })));
    let body =
        json!([{"name": "a,b", "qty": 2}, {"name": "<c>", "qty": 1}, {"name": "d\"", "qty": 3}]);
    let (s, recs) = h.run("w", Some(body)).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(
        doc_of(&recs, "Filter")["outputs"]["body"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        doc_of(&recs, "Shape")["outputs"]["body"],
        json!([{"Item": "a,b", "Double": 4}, {"Item": "d\"", "Double": 6}])
    );
    assert_eq!(doc_of(&recs, "Joined")["outputs"]["body"], "a,b, <c>, d\"");
    assert_eq!(
        doc_of(&recs, "Csv")["outputs"]["body"],
        "Item,Double\n\"a,b\",4\n\"d\"\"\",6"
    );
    assert_eq!(
        doc_of(&recs, "Html")["outputs"]["body"],
        "<table><thead><tr><th>Name</th><th>Qty</th></tr></thead><tbody><tr><td>a,b</td><td>2</td></tr><tr><td>&lt;c&gt;</td><td>1</td></tr><tr><td>d&quot;</td><td>3</td></tr></tbody></table>"
    );
    // Key order is the author's.
    let shape = doc_of(&recs, "Shape")["outputs"]["body"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(shape, vec!["Item", "Double"]);
}

#[tokio::test]
async fn parse_json_failures() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Parse": {"type": "ParseJson", "inputs": {"content": "@triggerBody()", "schema": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}},
        "Text": {"type": "ParseJson", "inputs": {"content": "{not json", "schema": {}}}
    })));
    let (s, recs) = h.run("w", Some(json!({"id": "x"}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    let p = doc_of(&recs, "Parse");
    assert_eq!(p["error"]["code"], "ValidationFailed");
    assert_eq!(
        p["outputs"]["errors"][0]["message"],
        "Invalid type. Expected Integer but got String."
    );
    assert_eq!(doc_of(&recs, "Text")["error"]["code"], "InvalidJSON");
}

#[tokio::test]
async fn parameters_app_settings_and_outputs() {
    let doc = json!({
        "definition": {
            "parameters": {
                "limit": {"type": "Int", "defaultValue": 5},
                "greeting": {"type": "String"},
                "secret": {"type": "securestring", "defaultValue": "hunter2"}
            },
            "triggers": {"manual": {"type": "Request", "kind": "Http"}},
            "actions": {
                "Hello": {"type": "Compose", "inputs": "@{parameters('greeting')} @{appsetting('Target')} x@{parameters('limit')}"},
                "Url": {"type": "Compose", "inputs": "@parameters('endpoint')"},
                "Uses_secret": {"type": "Compose", "inputs": "@concat('pwd=', parameters('secret'))"},
                "Len": {"type": "Compose", "inputs": "@length(outputs('Uses_secret'))", "runAfter": {"Uses_secret": ["Succeeded"]}}
            },
            "outputs": {"message": {"type": "String", "value": "@outputs('Hello')"}, "broken": {"type": "Int", "value": "@div(1,0)"}}
        },
        "kind": "Stateful"
    });
    let mut sources = ParameterSources::default();
    sources
        .values
        .insert("greeting".into(), json!("@appsetting('Greeting')"));
    sources.values.insert("limit".into(), json!("7"));
    sources
        .values
        .insert("endpoint".into(), json!("https://example.test"));
    sources.app_settings.insert("Greeting".into(), "Hi".into());
    sources.app_settings.insert("Target".into(), "there".into());
    let wf = definition::load_value(
        doc,
        &WorkflowOptions {
            name: "p".into(),
            parameters: sources,
            ..Default::default()
        },
    )
    .unwrap();
    let h = harness().await;
    h.engine.add_workflow(wf);
    let (s, recs) = h.run("p", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Hello")["outputs"], "Hi there x7");
    assert_eq!(doc_of(&recs, "Url")["outputs"], "https://example.test");
    assert_eq!(
        s.outputs["message"],
        json!({"type": "String", "value": "Hi there x7"})
    );
    assert_eq!(s.outputs["broken"]["error"]["code"], "InvalidTemplate");
    // securestring values never reach history, while expressions see them.
    assert_eq!(doc_of(&recs, "Uses_secret")["outputs"], "pwd=*sanitized*");
    assert_eq!(doc_of(&recs, "Len")["outputs"], 11);
}

#[tokio::test]
async fn static_results_secure_data_and_tracked_properties() {
    let h = harness().await;
    let mut doc = wf(json!({
        "Mocked": {
            "type": "ApiConnection",
            "inputs": {"host": {"connection": {"name": "x"}}},
            "runtimeConfiguration": {"staticResult": {"name": "Mocked0", "staticResultOptions": "Enabled"}}
        },
        "Secret": {
            "type": "Compose",
            "inputs": {"password": "@body('Mocked')['pwd']"},
            "runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}},
            "trackedProperties": {"order": "@action()['outputs']['password']", "len": "@length(string(action()))"},
            "runAfter": {"Mocked": ["Succeeded"]}
        },
        "Uses_secret": {"type": "Compose", "inputs": "@outputs('Secret')['password']", "runAfter": {"Secret": ["Succeeded"]}}
    }));
    doc["definition"]["staticResults"] = json!({"Mocked0": {"status": "Succeeded", "outputs": {"statusCode": "200", "body": {"pwd": "s3cr3t"}}}});
    h.add("w", doc);
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Mocked")["code"], "OK");
    let secret = doc_of(&recs, "Secret");
    assert!(
        secret.get("inputs").is_none() && secret.get("outputs").is_none(),
        "{secret}"
    );
    assert_eq!(secret["secureInputs"], true);
    assert_eq!(secret["trackedProperties"]["order"], "s3cr3t");
    assert_eq!(
        doc_of(&recs, "Uses_secret")["outputs"],
        "s3cr3t",
        "expressions still see secured values"
    );
}

#[tokio::test]
async fn response_without_a_caller_is_skipped() {
    let h = harness().await;
    h.add("w", wf(json!({"Reply": {"type": "Response", "kind": "Http", "inputs": {"statusCode": 200, "body": "hi"}}})));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Reply")["code"], "ActionResponseSkipped");
}

#[tokio::test(start_paused = true)]
async fn wait_interval_and_until() {
    let h = harness().await;
    h.add("w", wf(json!({
        "Delay": {"type": "Wait", "inputs": {"interval": {"count": "2", "unit": "hour"}}},
        "Until": {"type": "Wait", "inputs": {"until": {"timestamp": "2026-01-01T05:00:00Z"}}, "runAfter": {"Delay": ["Succeeded"]}},
        "Now": {"type": "Compose", "inputs": "@utcNow()", "runAfter": {"Until": ["Succeeded"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    let now = doc_of(&recs, "Now")["outputs"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(now.starts_with("2026-01-01T05:00:0"), "{now}");
}

#[tokio::test]
async fn child_workflows() {
    let h = harness().await;
    h.add("child", wf(json!({
        "Reply": {"type": "Response", "inputs": {"statusCode": 201, "headers": {"X-Child": "yes"}, "body": {"echo": "@triggerBody()['v']"}}}
    })));
    h.add(
        "fire_and_forget",
        wf(json!({"Noop": {"type": "Compose", "inputs": 1}})),
    );
    h.add("parent", wf(json!({
        "Call": {"type": "Workflow", "inputs": {"host": {"workflow": {"id": "child"}, "triggerName": "manual"}, "body": {"v": 42}}},
        "Call2": {"type": "Workflow", "inputs": {"host": {"workflow": {"id": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Logic/workflows/fire_and_forget"}}}},
        "Missing": {"type": "Workflow", "inputs": {"host": {"workflow": {"id": "nope"}}}}
    })));
    let (s, recs) = h.run("parent", None).await;
    assert_eq!(
        s.status.as_str(),
        "Failed",
        "the missing child fails the run"
    );
    let call = doc_of(&recs, "Call");
    assert_eq!(call["code"], "Created");
    assert_eq!(call["outputs"]["body"], json!({"echo": 42}));
    assert_eq!(call["outputs"]["headers"]["X-Child"], "yes");
    assert_eq!(doc_of(&recs, "Call2")["outputs"]["statusCode"], 202);
    assert_eq!(
        doc_of(&recs, "Missing")["error"]["code"],
        "WorkflowNotFound"
    );
    // A workflow calling itself stops at the nesting limit instead of recursing forever.
    h.add("recursive", wf(json!({
        "Again": {"type": "Workflow", "inputs": {"host": {"workflow": {"id": "recursive"}}}},
        "Reply": {"type": "Response", "inputs": {"statusCode": "@if(equals(actions('Again')['status'], 'Succeeded'), 200, 500)"}, "runAfter": {"Again": ["Succeeded", "Failed"]}}
    })));
    let (s, recs) = h.run("recursive", None).await;
    // Nobody waits for the top run's Response (skipped), so its status comes from Again.
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(doc_of(&recs, "Reply")["code"], "ActionResponseSkipped");
    assert_eq!(doc_of(&recs, "Again")["outputs"]["statusCode"], 500);
}
