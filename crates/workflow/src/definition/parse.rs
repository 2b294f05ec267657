//! JSON → model: the document wrappers, triggers, actions and their `runAfter` graphs.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::json::{field, get, join_path, lenient_u64, option_list};
use super::model::*;
use super::{LoadError, LoadLimits};
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

/// (definition, kind, ARM parameter values, path of the definition).
pub(crate) type Unwrapped = (Value, WorkflowKind, Vec<(String, Value)>, String);

/// Splits a document into its definition, kind, ARM parameter values and definition path.
pub(crate) fn unwrap_document(doc: Value) -> Result<Unwrapped, LoadError> {
    let Value::Object(mut obj) = doc else {
        return Err(LoadError::new("", "The workflow document must be a JSON object."));
    };
    let kind = match get(&obj, "kind") {
        None | Some(Value::Null) => WorkflowKind::Stateful,
        Some(Value::String(s)) => WorkflowKind::parse(s).ok_or_else(|| {
            LoadError::new(
                "kind",
                format!("The workflow kind '{s}' is not valid; expected 'Stateful' or 'Stateless'."),
            )
        })?,
        Some(_) => return Err(LoadError::new("kind", "The workflow kind must be a string.")),
    };
    let key = |obj: &Map<String, Value>, k: &str| {
        obj.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned()
    };
    if let Some(k) = key(&obj, "definition") {
        let def = obj.remove(&k).unwrap_or(Value::Null);
        return Ok((def, kind, Vec::new(), "definition".into()));
    }
    if let Some(k) = key(&obj, "properties") {
        let Some(Value::Object(mut props)) = obj.remove(&k) else {
            return Err(LoadError::new("properties", "'properties' must be an object."));
        };
        let def = key(&props, "definition")
            .and_then(|k| props.remove(&k))
            .ok_or_else(|| {
                LoadError::new("properties", "The resource has no 'properties.definition'.")
            })?;
        let mut params = Vec::new();
        if let Some(Value::Object(p)) = key(&props, "parameters").and_then(|k| props.remove(&k)) {
            for (name, v) in p {
                if let Some(value) = field(&v, "value") {
                    params.push((name, value.clone()));
                }
            }
        }
        return Ok((def, kind, params, "properties.definition".into()));
    }
    let looks_like_definition = ["triggers", "actions", "$schema", "contentVersion"]
        .iter()
        .any(|k| get(&obj, k).is_some());
    if looks_like_definition {
        return Ok((Value::Object(obj), kind, Vec::new(), String::new()));
    }
    Err(LoadError::new(
        "",
        "The document is neither a workflow.json ({\"definition\", \"kind\"}), a workflow definition nor a Microsoft.Logic/workflows resource.",
    ))
}

struct Parser<'a> {
    limits: &'a LoadLimits,
    names: HashMap<String, String>,
    static_results: Map<String, Value>,
    has_response: bool,
    variables: Vec<String>,
}

/// Parses the `definition` object at `root`.
pub(crate) fn parse_definition(
    def: &Value,
    root: &str,
    limits: &LoadLimits,
) -> Result<Definition, LoadError> {
    let Value::Object(obj) = def else {
        return Err(LoadError::new(root, "The workflow definition must be a JSON object."));
    };
    let content_version = get(obj, "contentVersion")
        .and_then(Value::as_str)
        .unwrap_or("1.0.0.0")
        .to_string();
    let parameters = parse_parameter_defs(get(obj, "parameters"), &join_path(root, "parameters"))?;
    let static_results = match get(obj, "staticResults") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(LoadError::new(
                join_path(root, "staticResults"),
                "'staticResults' must be an object.",
            ));
        }
    };
    let mut p = Parser {
        limits,
        names: HashMap::new(),
        static_results,
        has_response: false,
        variables: Vec::new(),
    };
    let triggers = p.triggers(get(obj, "triggers"), &join_path(root, "triggers"))?;
    let actions = p.container(get(obj, "actions"), &join_path(root, "actions"), 0, false)?;
    if p.names.len() > limits.max_actions {
        return Err(LoadError::new(
            join_path(root, "actions"),
            format!(
                "The workflow has {} actions; at most {} are allowed.",
                p.names.len(),
                limits.max_actions
            ),
        ));
    }
    let outputs = parse_outputs(get(obj, "outputs"), &join_path(root, "outputs"))?;
    Ok(Definition {
        content_version,
        parameters,
        triggers,
        actions: Arc::new(actions),
        outputs,
        static_results: p.static_results,
        has_response: p.has_response,
        action_names: p.names,
        variables: p.variables,
    })
}

fn parse_parameter_defs(v: Option<&Value>, path: &str) -> Result<Vec<ParameterDef>, LoadError> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(LoadError::new(path, "'parameters' must be an object.")),
    };
    if map.len() > 50 {
        return Err(LoadError::new(path, "At most 50 parameters are allowed."));
    }
    let mut out = Vec::new();
    for (name, decl) in map {
        let p = join_path(path, name);
        let ty = field(decl, "type").and_then(Value::as_str).ok_or_else(|| {
            LoadError::new(&p, format!("The parameter '{name}' must declare a 'type'."))
        })?;
        let ty = ty.to_ascii_lowercase();
        const TYPES: [&str; 8] = [
            "int",
            "float",
            "string",
            "securestring",
            "bool",
            "array",
            "object",
            "secureobject",
        ];
        if !TYPES.contains(&ty.as_str()) {
            return Err(LoadError::new(
                join_path(&p, "type"),
                format!(
                    "The parameter type '{ty}' is not valid; expected one of {}.",
                    TYPES.join(", ")
                ),
            ));
        }
        let allowed = match field(decl, "allowedValues") {
            Some(Value::Array(a)) => Some(a.clone()),
            _ => None,
        };
        out.push(ParameterDef {
            name: name.clone(),
            ty,
            default: field(decl, "defaultValue").cloned(),
            allowed,
        });
    }
    Ok(out)
}

fn parse_outputs(v: Option<&Value>, path: &str) -> Result<Vec<OutputDef>, LoadError> {
    let map = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(LoadError::new(path, "'outputs' must be an object.")),
    };
    map.iter()
        .map(|(name, o)| {
            let p = join_path(path, name);
            Ok(OutputDef {
                name: name.clone(),
                ty: field(o, "type")
                    .and_then(Value::as_str)
                    .unwrap_or("Object")
                    .to_string(),
                value: field(o, "value")
                    .cloned()
                    .ok_or_else(|| LoadError::new(&p, format!("The output '{name}' has no 'value'.")))?,
            })
        })
        .collect()
}

fn secure_flags(def: &Value) -> (bool, bool) {
    let props = field(def, "runtimeConfiguration")
        .and_then(|r| field(r, "secureData"))
        .and_then(|s| field(s, "properties"));
    let list = option_list(props);
    (
        list.iter().any(|p| p == "inputs"),
        list.iter().any(|p| p == "outputs"),
    )
}

impl Parser<'_> {
    fn claim_name(&mut self, name: &str, path: &str, what: &str) -> Result<(), LoadError> {
        if name.is_empty() || name.chars().count() > self.limits.max_name_len {
            return Err(LoadError::new(
                path,
                format!(
                    "The {what} name '{name}' is not valid: it must have 1 to {} characters.",
                    self.limits.max_name_len
                ),
            ));
        }
        if let Some(first) = self.names.insert(name.to_ascii_lowercase(), name.to_string()) {
            return Err(LoadError::new(
                path,
                format!("The {what} name '{name}' is used more than once (also as '{first}'); names must be unique in a workflow, ignoring case."),
            ));
        }
        Ok(())
    }

    fn triggers(&mut self, v: Option<&Value>, path: &str) -> Result<Vec<Trigger>, LoadError> {
        let map = match v {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(LoadError::new(path, "'triggers' must be an object.")),
        };
        if map.len() > 10 {
            return Err(LoadError::new(path, "At most 10 triggers are allowed."));
        }
        let mut out = Vec::new();
        for (name, def) in map {
            let p = join_path(path, name);
            self.claim_name(name, &p, "trigger")?;
            if !def.is_object() {
                return Err(LoadError::new(&p, format!("The trigger '{name}' must be an object.")));
            }
            let type_name = field(def, "type").and_then(Value::as_str).ok_or_else(|| {
                LoadError::new(&p, format!("The trigger '{name}' has no 'type'."))
            })?;
            let inputs = field(def, "inputs").cloned().unwrap_or(Value::Null);
            let options = option_list(field(def, "operationOptions"));
            let kind = match type_name.to_ascii_lowercase().as_str() {
                "request" => TriggerKind::Request {
                    method: field(&inputs, "method")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_uppercase),
                    relative_path: field(&inputs, "relativePath")
                        .and_then(Value::as_str)
                        .map(|s| s.trim_matches('/').to_string())
                        .filter(|s| !s.is_empty()),
                    schema: field(&inputs, "schema").cloned().filter(|s| !s.is_null()),
                    validate_schema: options.iter().any(|o| o == "enableschemavalidation"),
                },
                "recurrence" => TriggerKind::Recurrence(parse_recurrence(
                    field(def, "recurrence"),
                    &join_path(&p, "recurrence"),
                )?),
                other => {
                    return Err(LoadError::new(
                        join_path(&p, "type"),
                        format!(
                            "The trigger type '{type_name}' is not supported{}; use a Request or Recurrence trigger.",
                            if ["http", "httpwebhook", "apiconnection", "apiconnectionwebhook", "serviceprovider"].contains(&other) { " by Skybridge yet" } else { "" }
                        ),
                    ));
                }
            };
            let conditions = match field(def, "conditions") {
                Some(Value::Array(c)) => c
                    .iter()
                    .filter_map(|c| field(c, "expression").cloned())
                    .collect(),
                _ => Vec::new(),
            };
            let (secure_inputs, secure_outputs) = secure_flags(def);
            out.push(Trigger {
                name: name.clone(),
                type_name: type_name.to_string(),
                kind,
                inputs,
                conditions,
                client_tracking_id: field(def, "correlation")
                    .and_then(|c| field(c, "clientTrackingId"))
                    .cloned(),
                secure_inputs,
                secure_outputs,
                operation_options: options,
            });
        }
        Ok(out)
    }

    /// Parses an `actions` object into a container with its runAfter graph.
    fn container(
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
            actions.push(Arc::new(self.action(name, def, &join_path(path, name), depth, in_loop)?));
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
            return Err(LoadError::new(path, format!("The action '{name}' must be an object.")));
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
                format!("The static result '{sr}' used by action '{name}' is not defined in 'staticResults'."),
            ));
        }
        let run_after = parse_run_after(name, field(def, "runAfter"), &join_path(path, "runAfter"))?;
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
                    return Err(LoadError::new(path, format!("The Response action '{name}' cannot be inside a Foreach or Until loop.")));
                }
                self.has_response = true;
                ActionKind::Response
            }
            "initializevariable" => {
                if depth > 0 {
                    return Err(LoadError::new(path, format!("The InitializeVariable action '{name}' must be at the top level of the workflow, not inside another action.")));
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
                    Some(e) => self.container(field(e, "actions"), &join_path(path, "else.actions"), depth + 1, in_loop)?,
                    None => Container::default(),
                }),
            },
            "switch" => {
                let expression = required(def, "expression", path, name)?;
                let mut cases = Vec::new();
                if let Some(c) = field(def, "cases") {
                    let Value::Object(map) = c else {
                        return Err(LoadError::new(join_path(path, "cases"), "'cases' must be an object."));
                    };
                    if map.len() > self.limits.max_switch_cases {
                        return Err(LoadError::new(join_path(path, "cases"), format!("A Switch may have at most {} cases.", self.limits.max_switch_cases)));
                    }
                    for (case_name, case) in map {
                        let cp = join_path(&join_path(path, "cases"), case_name);
                        let value = field(case, "case").cloned().ok_or_else(|| {
                            LoadError::new(&cp, format!("The case '{case_name}' has no 'case' value."))
                        })?;
                        if !matches!(value, Value::String(_) | Value::Number(_)) {
                            return Err(LoadError::new(join_path(&cp, "case"), "A case value must be a string or an integer."));
                        }
                        if cases.iter().any(|c: &SwitchCase| c.value == value) {
                            return Err(LoadError::new(join_path(&cp, "case"), format!("The case value {value} is used more than once.")));
                        }
                        let actions = self.container(field(case, "actions"), &join_path(&cp, "actions"), depth + 1, in_loop)?;
                        cases.push(SwitchCase { name: case_name.clone(), value, actions: Arc::new(actions) });
                    }
                }
                let default = match field(def, "default") {
                    Some(d) => self.container(field(d, "actions"), &join_path(path, "default.actions"), depth + 1, in_loop)?,
                    None => Container::default(),
                };
                ActionKind::Switch { expression, cases, default: Arc::new(default) }
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
                            return Err(LoadError::new(path, "A Foreach cannot set both 'operationOptions: Sequential' and a concurrency above 1."));
                        }
                        n as usize
                    }
                    None if sequential => 1,
                    None => 20,
                };
                ActionKind::Foreach { items, actions: Arc::new(sub(self, "actions", true)?), concurrency }
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
            "scope" => ActionKind::Scope { actions: Arc::new(sub(self, "actions", false)?) },
            "parsejson" => ActionKind::ParseJson,
            "query" => ActionKind::Query,
            "select" => ActionKind::Select,
            "join" => ActionKind::Join,
            "table" => ActionKind::Table,
            "terminate" => {
                if in_loop {
                    return Err(LoadError::new(path, format!("The Terminate action '{name}' cannot be inside a Foreach or Until loop.")));
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
                        format!("The action type '{type_name}' of action '{name}' is not supported by Skybridge (connectors and code actions are out of scope); give it an enabled static result or replace it with an Http action."),
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
                    format!("The 'runAfter' entry '{pred}' of action '{name}' must be an array of statuses."),
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
                    format!("The 'runAfter' property of action '{}' names '{pred}', which is not an action in the same scope.", a.name),
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

fn parse_recurrence(v: Option<&Value>, path: &str) -> Result<Recurrence, LoadError> {
    let Some(r) = v.filter(|r| r.is_object()) else {
        return Err(LoadError::new(path, "A Recurrence trigger needs a 'recurrence' object."));
    };
    let frequency = field(r, "frequency")
        .and_then(Value::as_str)
        .and_then(Frequency::parse)
        .ok_or_else(|| {
            LoadError::new(
                join_path(path, "frequency"),
                "The recurrence 'frequency' must be one of Second, Minute, Hour, Day, Week, Month.",
            )
        })?;
    let interval = match field(r, "interval") {
        None => 1,
        Some(i) => lenient_u64(i)
            .filter(|i| (1..=frequency.max_interval()).contains(i))
            .ok_or_else(|| {
                LoadError::new(
                    join_path(path, "interval"),
                    format!(
                        "The recurrence 'interval' must be an integer from 1 to {} for frequency {frequency:?}.",
                        frequency.max_interval()
                    ),
                )
            })?,
    };
    let start_time = field(r, "startTime").and_then(Value::as_str).map(str::to_string);
    if let Some(s) = &start_time
        && crate::time::parse_time(s).is_none()
    {
        return Err(LoadError::new(join_path(path, "startTime"), format!("The recurrence 'startTime' '{s}' is not a valid date and time.")));
    }
    let schedule = field(r, "schedule");
    let list = |key: &str, max: u32| -> Result<Vec<u32>, LoadError> {
        match schedule.and_then(|s| field(s, key)) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    lenient_u64(x)
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n <= max)
                        .ok_or_else(|| LoadError::new(join_path(path, &format!("schedule.{key}")), format!("The schedule '{key}' values must be integers from 0 to {max}.")))
                })
                .collect(),
            Some(x) => lenient_u64(x)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n <= max)
                .map(|n| vec![n])
                .ok_or_else(|| LoadError::new(join_path(path, &format!("schedule.{key}")), format!("The schedule '{key}' must be a list of integers."))),
        }
    };
    let hours = list("hours", 23)?;
    let minutes = list("minutes", 59)?;
    let month_days = list("monthDays", 31)?;
    let week_days = match schedule.and_then(|s| field(s, "weekDays")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|d| {
                d.as_str().and_then(weekday).ok_or_else(|| {
                    LoadError::new(join_path(path, "schedule.weekDays"), format!("The week day {d} is not valid; use Monday … Sunday."))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(LoadError::new(join_path(path, "schedule.weekDays"), "'weekDays' must be a list.")),
    };
    Ok(Recurrence {
        frequency,
        interval,
        start_time,
        time_zone: field(r, "timeZone").and_then(Value::as_str).map(str::to_string),
        hours,
        minutes,
        week_days,
        month_days,
    })
}

fn weekday(s: &str) -> Option<u32> {
    const DAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s.trim()))
        .and_then(|i| u32::try_from(i).ok())
}
