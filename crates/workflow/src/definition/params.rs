//! Parameter values: `parameters.json` (Standard), app settings (`local.settings.json`
//! `Values`, the world file), definition `parameters` with their types and defaults.
//!
//! Inside `parameters.json` the only expressions the runtime allows are app-setting references
//! (`@appsetting('X')`); they are evaluated here, once, against the app settings.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::LoadError;
use super::json::{field, join_path, type_name};
use super::model::{ParameterDef, ResolvedParameter};

/// Where parameter values and app settings come from.
#[derive(Debug, Clone, Default)]
pub struct ParameterSources {
    /// Parameter values by name (from parameters.json or the world file); may contain
    /// `@appsetting('X')`.
    pub values: HashMap<String, Value>,
    /// App settings.
    pub app_settings: HashMap<String, String>,
}

impl ParameterSources {
    /// `self`, with every value and setting of `other` replacing ours.
    pub fn overlaid_by(mut self, other: &ParameterSources) -> ParameterSources {
        self.values
            .extend(other.values.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.app_settings.extend(
            other
                .app_settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        self
    }
}

/// Reads `parameters.json` and `local.settings.json` from a Standard app root when present.
pub(crate) fn read_app_files(root: &Path, into: &mut ParameterSources) -> Result<(), LoadError> {
    let read = |name: &str| -> Result<Option<Value>, LoadError> {
        let path = root.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        serde_json::from_str(text)
            .map(Some)
            .map_err(|e| LoadError::new(name, format!("{name} is not valid JSON: {e}.")))
    };
    if let Some(Value::Object(settings)) = read("local.settings.json")?
        && let Some(Value::Object(values)) = super::json::get(&settings, "Values")
    {
        for (k, v) in values {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            into.app_settings.insert(k.clone(), text);
        }
    }
    if let Some(doc) = read("parameters.json")? {
        let Value::Object(map) = doc else {
            return Err(LoadError::new(
                "parameters.json",
                "parameters.json must be a JSON object.",
            ));
        };
        for (name, entry) in map {
            let value = field(&entry, "value").cloned().ok_or_else(|| {
                LoadError::new(
                    join_path("parameters.json", &name),
                    format!("The parameter '{name}' in parameters.json has no 'value'."),
                )
            })?;
            into.values.insert(name, value);
        }
    }
    Ok(())
}

/// Only `appsetting()` resolves while parameters are being read.
struct AppSettingsOnly<'a>(&'a HashMap<String, String>);

impl skybridge_wdl::Context for AppSettingsOnly<'_> {
    fn app_setting(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned().or_else(|| {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    }
}

/// Resolves every parameter: declared ones get their provided value (type-checked, numbers
/// and booleans given as strings converted) or their default; undeclared values from
/// parameters.json are available as they are, as in Standard.
pub(crate) fn resolve(
    defs: &[ParameterDef],
    sources: &ParameterSources,
    root: &str,
) -> Result<HashMap<String, ResolvedParameter>, LoadError> {
    let ctx = AppSettingsOnly(&sources.app_settings);
    let mut out = HashMap::new();
    let lookup = |name: &str| {
        sources.values.get(name).or_else(|| {
            sources
                .values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    let evaluate = |name: &str, v: &Value| -> Result<Value, LoadError> {
        skybridge_wdl::evaluate_template(v, &ctx).map_err(|e| {
            LoadError::new(
                join_path("parameters", name),
                format!("The value of parameter '{name}' cannot be evaluated: {e}"),
            )
        })
    };
    for (name, v) in &sources.values {
        if defs.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        out.insert(
            name.to_ascii_lowercase(),
            ResolvedParameter {
                name: name.clone(),
                value: evaluate(name, v)?,
                secure: false,
            },
        );
    }
    for def in defs {
        let path = join_path(&join_path(root, "parameters"), &def.name);
        let raw = match lookup(&def.name) {
            Some(v) => evaluate(&def.name, v)?,
            None => match &def.default {
                Some(d) => d.clone(),
                None => {
                    return Err(LoadError::new(
                        path,
                        format!(
                            "The value for the workflow parameter '{}' is not provided and it has no 'defaultValue'.",
                            def.name
                        ),
                    ));
                }
            },
        };
        let value = coerce(&def.ty, raw).map_err(|actual| {
            LoadError::new(
                &path,
                format!(
                    "The value of the workflow parameter '{}' is of type '{actual}' but the parameter is declared as '{}'.",
                    def.name, def.ty
                ),
            )
        })?;
        if let Some(allowed) = &def.allowed
            && !allowed.contains(&value)
        {
            return Err(LoadError::new(
                &path,
                format!(
                    "The value {value} of parameter '{}' is not one of its 'allowedValues'.",
                    def.name
                ),
            ));
        }
        out.insert(
            def.name.to_ascii_lowercase(),
            ResolvedParameter {
                name: def.name.clone(),
                value,
                secure: def.ty.starts_with("secure"),
            },
        );
    }
    Ok(out)
}

/// Checks a value against a declared parameter type, converting numbers and booleans written
/// as strings (the runtime tolerates `"5"` for an int).
fn coerce(ty: &str, v: Value) -> Result<Value, &'static str> {
    let actual = type_name(&v);
    match (ty, &v) {
        ("string" | "securestring", Value::String(_))
        | ("array", Value::Array(_))
        | ("object" | "secureobject", Value::Object(_))
        | ("bool", Value::Bool(_)) => Ok(v),
        ("int", Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(v),
        ("float", Value::Number(_)) => Ok(v),
        ("int", Value::String(s)) => s.trim().parse::<i64>().map(Value::from).map_err(|_| actual),
        ("float", Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or(actual),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        // A null value stands for "not given" in many generated files.
        (_, Value::Null) => Ok(v),
        _ => Err(actual),
    }
}
