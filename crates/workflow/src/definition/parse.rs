//! JSON → model: the document wrappers, triggers, actions and their `runAfter` graphs.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::json::{field, get, join_path, option_list};
use super::model::*;
use super::{LoadError, LoadLimits};

/// (definition, kind, ARM parameter values, path of the definition).
pub(crate) type Unwrapped = (Value, WorkflowKind, Vec<(String, Value)>, String);

/// Splits a document into its definition, kind, ARM parameter values and definition path.
pub(crate) fn unwrap_document(doc: Value) -> Result<Unwrapped, LoadError> {
    let Value::Object(mut obj) = doc else {
        return Err(LoadError::new(
            "",
            "The workflow document must be a JSON object.",
        ));
    };
    let kind = match get(&obj, "kind") {
        None | Some(Value::Null) => WorkflowKind::Stateful,
        Some(Value::String(s)) => WorkflowKind::parse(s).ok_or_else(|| {
            LoadError::new(
                "kind",
                format!(
                    "The workflow kind '{s}' is not valid; expected 'Stateful' or 'Stateless'."
                ),
            )
        })?,
        Some(_) => {
            return Err(LoadError::new(
                "kind",
                "The workflow kind must be a string.",
            ));
        }
    };
    let key =
        |obj: &Map<String, Value>, k: &str| obj.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned();
    if let Some(k) = key(&obj, "definition") {
        let def = obj.remove(&k).unwrap_or(Value::Null);
        return Ok((def, kind, Vec::new(), "definition".into()));
    }
    if let Some(k) = key(&obj, "properties") {
        let Some(Value::Object(mut props)) = obj.remove(&k) else {
            return Err(LoadError::new(
                "properties",
                "'properties' must be an object.",
            ));
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

/// State shared while one definition is parsed (names are unique across the workflow).
pub(super) struct Parser<'a> {
    pub(super) limits: &'a LoadLimits,
    pub(super) names: HashMap<String, String>,
    pub(super) static_results: Map<String, Value>,
    pub(super) has_response: bool,
    pub(super) variables: Vec<String>,
}

/// Parses the `definition` object at `root`.
pub(crate) fn parse_definition(
    def: &Value,
    root: &str,
    limits: &LoadLimits,
) -> Result<Definition, LoadError> {
    let Value::Object(obj) = def else {
        return Err(LoadError::new(
            root,
            "The workflow definition must be a JSON object.",
        ));
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
                value: field(o, "value").cloned().ok_or_else(|| {
                    LoadError::new(&p, format!("The output '{name}' has no 'value'."))
                })?,
            })
        })
        .collect()
}

pub(super) fn secure_flags(def: &Value) -> (bool, bool) {
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
    pub(super) fn claim_name(
        &mut self,
        name: &str,
        path: &str,
        what: &str,
    ) -> Result<(), LoadError> {
        if name.is_empty() || name.chars().count() > self.limits.max_name_len {
            return Err(LoadError::new(
                path,
                format!(
                    "The {what} name '{name}' is not valid: it must have 1 to {} characters.",
                    self.limits.max_name_len
                ),
            ));
        }
        if let Some(first) = self
            .names
            .insert(name.to_ascii_lowercase(), name.to_string())
        {
            return Err(LoadError::new(
                path,
                format!(
                    "The {what} name '{name}' is used more than once (also as '{first}'); names must be unique in a workflow, ignoring case."
                ),
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
                return Err(LoadError::new(
                    &p,
                    format!("The trigger '{name}' must be an object."),
                ));
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
                "recurrence" => TriggerKind::Recurrence(super::recurrence::parse_recurrence(
                    field(def, "recurrence"),
                    &join_path(&p, "recurrence"),
                )?),
                other => {
                    return Err(LoadError::new(
                        join_path(&p, "type"),
                        format!(
                            "The trigger type '{type_name}' is not supported{}; use a Request or Recurrence trigger.",
                            if [
                                "http",
                                "httpwebhook",
                                "apiconnection",
                                "apiconnectionwebhook",
                                "serviceprovider"
                            ]
                            .contains(&other)
                            {
                                " by Skybridge yet"
                            } else {
                                ""
                            }
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
}
