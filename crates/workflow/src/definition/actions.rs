//! Actions: each type's shape, nesting rules (InitializeVariable at the top level, Response
//! and Terminate outside loops), and the `runAfter` graph of every container with its cycle
//! check.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::LoadError;
use super::json::{field, get, join_path, lenient_u64, option_list};
use super::model::*;
use super::parse::{Parser, secure_flags};
use crate::status::Status;

/// Action types Skybridge does not execute (connectors, code, webhooks): accepted only with an
/// enabled static result, so mocked workflows still load.
const STATIC_ONLY_TYPES: &[&str] = &[
    "apiconnection",
    "apiconnectionwebhook",
    "serviceprovider",
    "function",
    "invokefunction",
    "javascriptcode",
    "csharpscriptcode",
    "powershellcode",
    "httpwebhook",
    "xslt",
    "liquid",
    "flatfiledecoding",
    "flatfileencoding",
    "xmlvalidation",
    "sendtobatch",
    "expression",
    "agent",
];

impl Parser<'_> {
    /// Parses an `actions` object into a container with its runAfter graph.
    pub(super) fn container(
        &mut self,
        v: Option<&Value>,
        path: &str,
        depth: usize,
        in_loop: bool,
    ) -> Result<Container, LoadError> {
        let map = match v {
            None | Some(Value::Null) => return Ok(Container::default()),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(LoadError::new(path, "'actions' must be an object.")),
        };
        if depth > self.limits.max_depth {
            return Err(LoadError::new(
                path,
                format!(
                    "Control actions are nested deeper than {} levels.",
                    self.limits.max_depth
                ),
            ));
        }
        let mut actions = Vec::with_capacity(map.len());
        for (name, def) in map {
            actions.push(Arc::new(self.action(
                name,
                def,
                &join_path(path, name),
                depth,
                in_loop,
            )?));
        }
        build_graph(actions, path)
    }

    fn action(
        &mut self,
        name: &str,
        def: &Value,
        path: &str,
        depth: usize,
        in_loop: bool,
    ) -> Result<Action, LoadError> {
        self.claim_name(name, path, "action")?;
        if !def.is_object() {
            return Err(LoadError::new(
                path,
                format!("The action '{name}' must be an object."),
            ));
        }
        let type_name = field(def, "type")
            .and_then(Value::as_str)
            .ok_or_else(|| LoadError::new(path, format!("The action '{name}' has no 'type'.")))?;
        let inputs = field(def, "inputs").cloned().unwrap_or(Value::Null);
        let operation_options = option_list(field(def, "operationOptions"));
        let static_result = field(def, "runtimeConfiguration")
            .and_then(|r| field(r, "staticResult"))
            .filter(|s| {
                field(s, "staticResultOptions")
                    .and_then(Value::as_str)
                    .is_some_and(|o| o.eq_ignore_ascii_case("enabled"))
            })
            .and_then(|s| field(s, "name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(sr) = &static_result
            && get(&self.static_results, sr).is_none()
        {
            return Err(LoadError::new(
                join_path(path, "runtimeConfiguration.staticResult.name"),
                format!(
                    "The static result '{sr}' used by action '{name}' is not defined in 'staticResults'."
                ),
            ));
        }
        let run_after =
            parse_run_after(name, field(def, "runAfter"), &join_path(path, "runAfter"))?;
        let sub = |p: &mut Self, key: &str, loop_body: bool| {
            p.container(
                field(def, key),
                &join_path(path, key),
                depth + 1,
                in_loop || loop_body,
            )
        };
        let lower = type_name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "compose" => ActionKind::Compose,
            "response" => {
                if in_loop {
                    return Err(LoadError::new(
                        path,
                        format!(
                            "The Response action '{name}' cannot be inside a Foreach or Until loop."
                        ),
                    ));
                }
                self.has_response = true;
                ActionKind::Response
            }
            "initializevariable" => {
                if depth > 0 {
                    return Err(LoadError::new(
                        path,
                        format!(
                            "The InitializeVariable action '{name}' must be at the top level of the workflow, not inside another action."
                        ),
                    ));
                }
                ActionKind::InitializeVariable
            }
            "setvariable" => ActionKind::SetVariable,
            "incrementvariable" => ActionKind::IncrementVariable,
            "decrementvariable" => ActionKind::DecrementVariable,
            "appendtoarrayvariable" => ActionKind::AppendToArrayVariable,
            "appendtostringvariable" => ActionKind::AppendToStringVariable,
            "if" => ActionKind::If {
                expression: required(def, "expression", path, name)?,
                actions: Arc::new(sub(self, "actions", false)?),
                else_actions: Arc::new(match field(def, "else") {
                    Some(e) => self.container(
                        field(e, "actions"),
                        &join_path(path, "else.actions"),
                        depth + 1,
                        in_loop,
                    )?,
                    None => Container::default(),
                }),
            },
            "switch" => {
                let expression = required(def, "expression", path, name)?;
                let mut cases = Vec::new();
                if let Some(c) = field(def, "cases") {
                    let Value::Object(map) = c else {
                        return Err(LoadError::new(
                            join_path(path, "cases"),
                            "'cases' must be an object.",
                        ));
                    };
                    if map.len() > self.limits.max_switch_cases {
                        return Err(LoadError::new(
                            join_path(path, "cases"),
                            format!(
                                "A Switch may have at most {} cases.",
                                self.limits.max_switch_cases
                            ),
                        ));
                    }
                    for (case_name, case) in map {
                        let cp = join_path(&join_path(path, "cases"), case_name);
                        let value = field(case, "case").cloned().ok_or_else(|| {
                            LoadError::new(
                                &cp,
                                format!("The case '{case_name}' has no 'case' value."),
                            )
                        })?;
                        if !matches!(value, Value::String(_) | Value::Number(_)) {
                            return Err(LoadError::new(
                                join_path(&cp, "case"),
                                "A case value must be a string or an integer.",
                            ));
                        }
                        if cases.iter().any(|c: &SwitchCase| c.value == value) {
                            return Err(LoadError::new(
                                join_path(&cp, "case"),
                                format!("The case value {value} is used more than once."),
                            ));
                        }
                        let actions = self.container(
                            field(case, "actions"),
                            &join_path(&cp, "actions"),
                            depth + 1,
                            in_loop,
                        )?;
                        cases.push(SwitchCase {
                            name: case_name.clone(),
                            value,
                            actions: Arc::new(actions),
                        });
                    }
                }
                let default = match field(def, "default") {
                    Some(d) => self.container(
                        field(d, "actions"),
                        &join_path(path, "default.actions"),
                        depth + 1,
                        in_loop,
                    )?,
                    None => Container::default(),
                };
                ActionKind::Switch {
                    expression,
                    cases,
                    default: Arc::new(default),
                }
            }
            "foreach" => {
                let items = required(def, "foreach", path, name)?;
                let reps = field(def, "runtimeConfiguration")
                    .and_then(|r| field(r, "concurrency"))
                    .and_then(|c| field(c, "repetitions"));
                let sequential = operation_options.iter().any(|o| o == "sequential");
                let concurrency = match reps {
                    Some(r) => {
                        let n = lenient_u64(r).filter(|n| (1..=50).contains(n)).ok_or_else(|| {
                            LoadError::new(join_path(path, "runtimeConfiguration.concurrency.repetitions"), "The Foreach concurrency 'repetitions' must be an integer from 1 to 50.")
                        })?;
                        if sequential && n != 1 {
                            return Err(LoadError::new(
                                path,
                                "A Foreach cannot set both 'operationOptions: Sequential' and a concurrency above 1.",
                            ));
                        }
                        n as usize
                    }
                    None if sequential => 1,
                    None => 20,
                };
                ActionKind::Foreach {
                    items,
                    actions: Arc::new(sub(self, "actions", true)?),
                    concurrency,
                }
            }
            "until" => {
                let limit = field(def, "limit");
                ActionKind::Until {
                    expression: required(def, "expression", path, name)?,
                    actions: Arc::new(sub(self, "actions", true)?),
                    count: limit.and_then(|l| field(l, "count")).cloned(),
                    timeout: limit.and_then(|l| field(l, "timeout")).cloned(),
                }
            }
            "scope" => ActionKind::Scope {
                actions: Arc::new(sub(self, "actions", false)?),
            },
            "parsejson" => ActionKind::ParseJson,
            "query" => ActionKind::Query,
            "select" => ActionKind::Select,
            "join" => ActionKind::Join,
            "table" => ActionKind::Table,
            "terminate" => {
                if in_loop {
                    return Err(LoadError::new(
                        path,
                        format!(
                            "The Terminate action '{name}' cannot be inside a Foreach or Until loop."
                        ),
                    ));
                }
                ActionKind::Terminate
            }
            "wait" => ActionKind::Wait,
            "workflow" => ActionKind::Workflow,
            "http" => ActionKind::Http,
            other if STATIC_ONLY_TYPES.contains(&other) => {
                if static_result.is_none() {
                    return Err(LoadError::new(
                        join_path(path, "type"),
                        format!(
                            "The action type '{type_name}' of action '{name}' is not supported by Skybridge (connectors and code actions are out of scope); give it an enabled static result or replace it with an Http action."
                        ),
                    ));
                }
                ActionKind::StaticOnly
            }
            _ => {
                return Err(LoadError::new(
                    join_path(path, "type"),
                    format!("The action type '{type_name}' of action '{name}' is not supported."),
                ));
            }
        };
        if matches!(kind, ActionKind::InitializeVariable)
            && let Some(Value::Array(vars)) = field(&inputs, "variables")
        {
            for v in vars {
                if let Some(n) = field(v, "name").and_then(Value::as_str) {
                    self.variables.push(n.to_ascii_lowercase());
                }
            }
        }
        let (secure_inputs, secure_outputs) = secure_flags(def);
        Ok(Action {
            name: name.to_string(),
            type_name: type_name.to_string(),
            kind,
            inputs,
            run_after,
            timeout: field(def, "limit")
                .filter(|_| lower != "until")
                .and_then(|l| field(l, "timeout"))
                .cloned(),
            tracked_properties: field(def, "trackedProperties").cloned(),
            secure_inputs,
            secure_outputs,
            static_result,
            operation_options,
            path: path.to_string(),
        })
    }
}

fn required(def: &Value, key: &str, path: &str, name: &str) -> Result<Value, LoadError> {
    match field(def, key) {
        Some(v) if !v.is_null() => Ok(v.clone()),
        _ => Err(LoadError::new(
            path,
            format!("The action '{name}' requires the property '{key}'."),
        )),
    }
}

fn parse_run_after(
    name: &str,
    v: Option<&Value>,
    path: &str,
) -> Result<Vec<(String, Vec<Status>)>, LoadError> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(LoadError::new(path, "'runAfter' must be an object.")),
    };
    let mut out = Vec::new();
    for (pred, statuses) in map {
        let p = join_path(path, pred);
        let list = match statuses {
            Value::Array(a) => a,
            _ => {
                return Err(LoadError::new(
                    &p,
                    format!(
                        "The 'runAfter' entry '{pred}' of action '{name}' must be an array of statuses."
                    ),
                ));
            }
        };
        let mut parsed = Vec::new();
        for s in list {
            let st = s
                .as_str()
                .and_then(Status::parse)
                .filter(|st| Status::RUN_AFTER.contains(st))
                .ok_or_else(|| {
                    LoadError::new(
                        &p,
                        format!("The 'runAfter' property of action '{name}' contains the status {s} for '{pred}'; the allowed values are 'Succeeded', 'Failed', 'Skipped' and 'TimedOut'."),
                    )
                })?;
            if !parsed.contains(&st) {
                parsed.push(st);
            }
        }
        // The designer never writes an empty list; treat it as the default.
        if parsed.is_empty() {
            parsed.push(Status::Succeeded);
        }
        out.push((pred.clone(), parsed));
    }
    Ok(out)
}

/// Resolves `runAfter` names to sibling indexes and refuses missing predecessors and cycles.
fn build_graph(actions: Vec<Arc<Action>>, path: &str) -> Result<Container, LoadError> {
    let index: HashMap<String, usize> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.to_ascii_lowercase(), i))
        .collect();
    let n = actions.len();
    let mut preds = vec![Vec::new(); n];
    let mut succs = vec![Vec::new(); n];
    for (i, a) in actions.iter().enumerate() {
        for (pred, statuses) in &a.run_after {
            let Some(&j) = index.get(&pred.to_ascii_lowercase()) else {
                return Err(LoadError::new(
                    join_path(&a.path, "runAfter"),
                    format!(
                        "The 'runAfter' property of action '{}' names '{pred}', which is not an action in the same scope.",
                        a.name
                    ),
                ));
            };
            preds[i].push((j, statuses.clone()));
            succs[j].push(i);
        }
    }
    // Kahn's algorithm: whatever cannot be ordered is on (or behind) a cycle.
    let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut ordered = 0;
    while let Some(i) = queue.pop() {
        ordered += 1;
        for &s in &succs[i] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                queue.push(s);
            }
        }
    }
    if ordered < n {
        let stuck: Vec<String> = (0..n)
            .filter(|&i| indegree[i] > 0)
            .map(|i| format!("'{}'", actions[i].name))
            .collect();
        return Err(LoadError::new(
            path,
            format!(
                "The 'runAfter' dependencies form a cycle among the actions {}.",
                stuck.join(", ")
            ),
        ));
    }
    Ok(Container {
        actions,
        preds,
        succs,
    })
}
