//! Loading: document shapes, tolerance, and every kind of broken definition as a located
//! InvalidTemplate error.
use crate::common::wf;
use serde_json::{Value, json};
use skybridge_workflow::definition::{
    self, ActionKind, LoadError, TriggerKind, WorkflowKind, WorkflowOptions,
};

fn opts() -> WorkflowOptions {
    WorkflowOptions {
        name: "w".into(),
        ..Default::default()
    }
}

fn err(doc: Value) -> LoadError {
    definition::load_value(doc, &opts()).expect_err("the definition should be refused")
}

#[test]
fn document_shapes_and_tolerance() {
    let text = format!(
        "\u{feff}{}",
        json!({"definition": {"triggers": {"t": {"type": "recurrence", "recurrence": {"frequency": "minute", "interval": "5"}}}, "actions": {"A": {"type": "COMPOSE", "inputs": 1, "runAfter": {}}}}, "kind": "stateless"})
    );
    let w = definition::load_str(&text, &opts()).unwrap();
    assert_eq!(w.kind, WorkflowKind::Stateless);
    assert!(matches!(
        w.definition.actions.actions[0].kind,
        ActionKind::Compose
    ));
    let TriggerKind::Recurrence(r) = &w.definition.triggers[0].kind else {
        panic!()
    };
    assert_eq!(r.interval, 5);
    // Bare definitions and ARM resources.
    let bare = json!({"$schema": "x", "triggers": {}, "actions": {"A": {"type": "Compose", "inputs": "@parameters('p')"}}});
    assert!(
        definition::load_value(bare.clone(), &opts()).is_err(),
        "an undeclared parameter is refused"
    );
    let arm = json!({"type": "Microsoft.Logic/workflows", "properties": {"definition": {"parameters": {"p": {"type": "String"}}, "triggers": {}, "actions": {}}, "parameters": {"p": {"value": "v"}}}});
    let w = definition::load_value(arm, &opts()).unwrap();
    assert_eq!(w.parameters["p"].value, json!("v"));
}

#[test]
fn invalid_json_is_located() {
    let e = definition::load_str("{\n  \"definition\": {,\n}", &opts()).unwrap_err();
    assert!(
        e.reason.contains("not valid JSON") && e.reason.contains("line 2"),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("The template validation failed:"),
        "{e}"
    );
    let e = definition::load_str("[1,2]", &opts()).unwrap_err();
    assert!(e.reason.contains("must be a JSON object"), "{e}");
}

#[test]
fn broken_definitions() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            wf(json!({"A": {"type": "Frobnicate"}})),
            "definition.actions.A.type",
            "The action type 'Frobnicate' of action 'A' is not supported.",
        ),
        (
            wf(json!({"A": {"type": "ApiConnection", "inputs": {}}})),
            "definition.actions.A.type",
            "give it an enabled static result",
        ),
        (
            wf(json!({"A": {"inputs": 1}})),
            "definition.actions.A",
            "has no 'type'",
        ),
        (
            wf(
                json!({"A": {"type": "Compose", "runAfter": {"B": ["Succeeded"]}}, "B": {"type": "Compose", "runAfter": {"A": ["Succeeded"]}}}),
            ),
            "definition.actions",
            "form a cycle among the actions 'A', 'B'",
        ),
        (
            wf(json!({"A": {"type": "Compose", "runAfter": {"A": ["Succeeded"]}}})),
            "definition.actions",
            "cycle",
        ),
        (
            wf(json!({"A": {"type": "Compose", "runAfter": {"Ghost": ["Succeeded"]}}})),
            "definition.actions.A.runAfter",
            "names 'Ghost', which is not an action in the same scope",
        ),
        (
            wf(
                json!({"S": {"type": "Scope", "actions": {"In": {"type": "Compose"}}}, "B": {"type": "Compose", "runAfter": {"In": ["Succeeded"]}}}),
            ),
            "definition.actions.B.runAfter",
            "not an action in the same scope",
        ),
        (
            wf(
                json!({"A": {"type": "Compose", "runAfter": {}}, "B": {"type": "Compose", "runAfter": {"A": ["Done"]}}}),
            ),
            "definition.actions.B.runAfter.A",
            "allowed values are 'Succeeded', 'Failed', 'Skipped' and 'TimedOut'",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": "@concat('a',"}})),
            "definition.actions.A.inputs",
            "Unable to parse template language expression 'concat('a','",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": {"x": ["ok", "text @{add(1,2} more"]}}})),
            "definition.actions.A.inputs.x[1]",
            "Unable to parse template language expression 'add(1,2'",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": "@concat(\"a\")"}})),
            "definition.actions.A.inputs",
            "Unable to parse",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": "@body('Nope')"}})),
            "definition.actions.A.inputs",
            "The action(s) 'Nope' referenced by 'inputs' in action 'A' are not defined in the template.",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": "@items('L')"}})),
            "definition.actions.A.inputs",
            "must be a parent 'foreach' scope",
        ),
        (
            wf(json!({"A": {"type": "Compose", "inputs": "@parameters('missing')"}})),
            "definition.actions.A.inputs",
            "The workflow parameter 'missing'",
        ),
        (
            wf(json!({"A": {"type": "SetVariable", "inputs": {"name": "v", "value": 1}}})),
            "definition.actions.A.inputs.name",
            "is not initialized",
        ),
        (
            wf(
                json!({"S": {"type": "Scope", "actions": {"I": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "v", "type": "string"}]}}}}}),
            ),
            "definition.actions.S.actions.I",
            "must be at the top level",
        ),
        (
            wf(
                json!({"I": {"type": "InitializeVariable", "inputs": {"variables": [{"name": "v", "type": "text"}]}}}),
            ),
            "definition.actions.I.inputs.variables[0].type",
            "The variable type 'text' is not valid",
        ),
        (
            wf(
                json!({"L": {"type": "Foreach", "foreach": "@range(0,2)", "actions": {"R": {"type": "Response", "inputs": {}}}}}),
            ),
            "definition.actions.L.actions.R",
            "cannot be inside a Foreach or Until",
        ),
        (
            wf(
                json!({"L": {"type": "Until", "expression": "@true", "actions": {"T": {"type": "Terminate", "inputs": {"runStatus": "Failed"}}}}}),
            ),
            "definition.actions.L.actions.T",
            "cannot be inside",
        ),
        (
            wf(json!({"A": {"type": "Compose"}, "a": {"type": "Compose"}})),
            "definition.actions.a",
            "is used more than once",
        ),
        (
            wf(json!({"L": {"type": "Foreach", "actions": {}}})),
            "definition.actions.L",
            "requires the property 'foreach'",
        ),
        (
            wf(
                json!({"L": {"type": "Foreach", "foreach": "@range(0,2)", "runtimeConfiguration": {"concurrency": {"repetitions": 51}}}}),
            ),
            "definition.actions.L.runtimeConfiguration.concurrency.repetitions",
            "from 1 to 50",
        ),
        (
            wf(json!({"A": {"type": "Compose", "limit": {"timeout": "ten seconds"}}})),
            "definition.actions.A.limit.timeout",
            "is not an ISO 8601 duration",
        ),
        (
            json!({"definition": {"triggers": {"t": {"type": "Recurrence", "recurrence": {"frequency": "Fortnight"}}}, "actions": {}}}),
            "definition.triggers.t.recurrence.frequency",
            "must be one of",
        ),
        (
            json!({"definition": {"triggers": {"t": {"type": "Recurrence", "recurrence": {"frequency": "Month", "interval": 17}}}, "actions": {}}}),
            "definition.triggers.t.recurrence.interval",
            "from 1 to 16",
        ),
        (
            json!({"definition": {"triggers": {"t": {"type": "ApiConnectionWebhook"}}, "actions": {}}}),
            "definition.triggers.t.type",
            "not supported by Skybridge yet",
        ),
        (
            json!({"definition": {"parameters": {"p": {"type": "Int", "defaultValue": "abc"}}, "triggers": {}, "actions": {}}}),
            "definition.parameters.p",
            "is of type 'String' but the parameter is declared as 'int'",
        ),
        (
            json!({"definition": {"parameters": {"p": {"type": "String"}}, "triggers": {}, "actions": {}}}),
            "definition.parameters.p",
            "is not provided",
        ),
        (
            json!({"definition": {"parameters": {"p": {"type": "Text"}}, "triggers": {}, "actions": {}}}),
            "definition.parameters.p.type",
            "is not valid",
        ),
        (
            json!({"kind": "Eventual", "definition": {}}),
            "kind",
            "expected 'Stateful' or 'Stateless'",
        ),
        (json!({"hello": "world"}), "", "is neither a workflow.json"),
    ];
    for (i, (doc, path, reason)) in cases.into_iter().enumerate() {
        let e = err(doc);
        assert_eq!(e.path, path, "case {i}: {e}");
        assert!(e.reason.contains(reason), "case {i}: {e}");
    }
}

#[test]
fn deep_and_large_definitions_are_bounded() {
    let mut inner = json!({"Leaf": {"type": "Compose", "inputs": 1}});
    for i in 0..40 {
        inner = json!({format!("S{i}"): {"type": "Scope", "actions": inner}});
    }
    let e = err(wf(inner));
    assert!(e.reason.contains("nested deeper than"), "{e}");
    let mut many = serde_json::Map::new();
    for i in 0..6000 {
        many.insert(format!("A{i}"), json!({"type": "Compose", "inputs": i}));
    }
    let e = err(wf(Value::Object(many)));
    assert!(e.reason.contains("at most 5000 are allowed"), "{e}");
}

#[test]
fn standard_folder_layout() {
    let dir = std::env::temp_dir().join(format!("skybridge-wf-{}", uuid::Uuid::new_v4()));
    let folder = dir.join("OrderFlow");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        dir.join("parameters.json"),
        json!({"target": {"type": "String", "value": "@appsetting('TARGET_URL')"}}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("local.settings.json"),
        json!({"IsEncrypted": false, "Values": {"TARGET_URL": "https://t.example"}}).to_string(),
    )
    .unwrap();
    std::fs::write(
        folder.join("workflow.json"),
        format!("\u{feff}{}", json!({"definition": {"triggers": {}, "actions": {"A": {"type": "Compose", "inputs": "@parameters('target')"}}}, "kind": "Stateful"})),
    )
    .unwrap();
    let w = definition::load_path(&folder, &WorkflowOptions::default()).unwrap();
    assert_eq!(w.name, "OrderFlow");
    assert_eq!(w.parameters["target"].value, json!("https://t.example"));
    assert_eq!(w.app_settings["TARGET_URL"], "https://t.example");
    std::fs::write(folder.join("workflow.json"), "{ nope").unwrap();
    let e = definition::load_path(&folder, &WorkflowOptions::default()).unwrap_err();
    assert!(e.file.as_deref().unwrap().ends_with("workflow.json"), "{e}");
    assert!(
        e.to_string()
            .contains("workflow.json: The template validation failed"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
