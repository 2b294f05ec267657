//! Workflow definitions: the typed model the engine runs, loaded from Logic Apps Standard
//! `workflow.json` files (`{definition, kind}`), bare definitions or ARM
//! `Microsoft.Logic/workflows` resources, and validated completely before anything runs.
//!
//! Loading is tolerant where the runtime is (a UTF-8 BOM, `"type": "compose"`, `"SUCCEEDED"` in
//! `runAfter`, `"interval": "1"`) and strict where it is: an unknown action type, a `runAfter`
//! naming a missing or non-sibling action, a cycle, an expression that does not parse or that
//! names an action or parameter that does not exist is a [`LoadError`] with the JSON path.

mod actions;
mod json;
mod model;
mod params;
mod parse;
mod recurrence;
mod validate;

use std::collections::HashMap;
use std::path::Path;

pub(crate) use json::{
    field as field_ci, get as get_ci, lenient_u16, lenient_u64, type_name as json_type_name,
};
pub use model::*;
pub use params::ParameterSources;

use serde_json::Value;

/// Limits checked at load time.
#[derive(Debug, Clone)]
pub struct LoadLimits {
    /// Actions in the whole definition (Logic Apps Consumption allows 500; we are permissive so
    /// generated workflows and benchmarks fit).
    pub max_actions: usize,
    /// Nesting depth of control actions.
    pub max_depth: usize,
    /// Switch cases.
    pub max_switch_cases: usize,
    /// Action and trigger name length.
    pub max_name_len: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        Self {
            max_actions: 5_000,
            max_depth: 16,
            max_switch_cases: 25,
            max_name_len: 80,
        }
    }
}

/// A definition that could not be loaded, shaped like the runtime's `InvalidTemplate` errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}The template validation failed: '{reason}' (at '{path}').", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct LoadError {
    /// The file, when loading from disk.
    pub file: Option<String>,
    /// JSON path of the offending value (`definition.actions.Compose.runAfter`).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl LoadError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: None,
            path: path.into(),
            reason: reason.into(),
        }
    }

    fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.display().to_string());
        self
    }
}

/// Everything that names and configures a workflow besides its document.
#[derive(Debug, Clone, Default)]
pub struct WorkflowOptions {
    /// The workflow name (URL segment, `workflow().name`).
    pub name: String,
    /// The workflow app it belongs to (host `<app>.workflows.<domain>`).
    pub app: String,
    /// Parameter values and app settings.
    pub parameters: ParameterSources,
    /// The identity resource it runs as (a world `[[resource]]`), for outbound authentication.
    pub identity_resource: Option<String>,
    /// Overrides the document's `kind`.
    pub kind: Option<WorkflowKind>,
    /// Load-time limits.
    pub limits: LoadLimits,
}

/// Loads a workflow from JSON text (a `workflow.json`, a bare definition or an ARM resource).
pub fn load_str(text: &str, options: &WorkflowOptions) -> Result<Workflow, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        LoadError::new(
            "",
            format!(
                "The workflow document is not valid JSON: {} at line {} column {}.",
                json::describe_serde_error(&e),
                e.line(),
                e.column()
            ),
        )
    })?;
    load_value(doc, options)
}

/// Loads a workflow from a parsed document.
pub fn load_value(doc: Value, options: &WorkflowOptions) -> Result<Workflow, LoadError> {
    let (definition, kind, arm_parameters, root) = parse::unwrap_document(doc)?;
    let mut sources = options.parameters.clone();
    for (k, v) in arm_parameters {
        sources.values.entry(k).or_insert(v);
    }
    let app_settings: HashMap<String, String> = sources.app_settings.clone();
    let parsed = parse::parse_definition(&definition, &root, &options.limits)?;
    let parameters = params::resolve(&parsed.parameters, &sources, &root)?;
    let workflow = Workflow {
        name: options.name.clone(),
        app: options.app.clone(),
        kind: options.kind.unwrap_or(kind),
        definition: std::sync::Arc::new(parsed),
        parameters,
        app_settings,
        identity_resource: options.identity_resource.clone(),
    };
    validate::validate(&workflow, &root)?;
    Ok(workflow)
}

/// Loads a workflow from a `workflow.json` file or a folder holding one. For a folder (the
/// Standard layout), the app root's `parameters.json` and `local.settings.json` (`Values`) are
/// read as well when present; explicit `options.parameters` win over them.
pub fn load_path(path: &Path, options: &WorkflowOptions) -> Result<Workflow, LoadError> {
    let file = if path.is_dir() {
        path.join("workflow.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        LoadError::new("", format!("The workflow file cannot be read: {e}.")).in_file(&file)
    })?;
    let mut options = options.clone();
    if path.is_dir()
        && let Some(app_root) = path.parent()
    {
        let mut from_files = ParameterSources::default();
        params::read_app_files(app_root, &mut from_files).map_err(|e| e.in_file(app_root))?;
        options.parameters = from_files.overlaid_by(&options.parameters);
    }
    if options.name.is_empty() {
        options.name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("workflow")
            .to_string();
    }
    load_str(&text, &options).map_err(|e| e.in_file(&file))
}
