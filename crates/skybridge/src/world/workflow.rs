//! `[[workflow]]` in the world file: Logic Apps workflows (a Standard workflow folder or a
//! `workflow.json`/definition file, relative to the world file), their parameters and app
//! settings, the workflow app that hosts them (`<app>.workflows.<domain>`) and the identity
//! resource they run as. [`check`] runs when the file is parsed; [`load`] reads and validates
//! the definitions, reporting `file:line:col` of the entry with the definition's JSON path.

use std::collections::BTreeMap;

use serde::Deserialize;
use skybridge_workflow::definition::{self, ParameterSources, WorkflowKind, WorkflowOptions};
use toml::Spanned;

use super::{LoadedWorld, WorldError};

/// The app of workflows that name neither `app` nor `resource`.
pub const DEFAULT_APP: &str = "workflows";

/// `[[workflow]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// The workflow's name (URL segment, `workflow().name`), unique in the world.
    pub name: Spanned<String>,
    /// A Standard workflow folder (holding `workflow.json`; the app root's `parameters.json`
    /// and `local.settings.json` are read too) or a JSON file, relative to the world file.
    pub path: Spanned<String>,
    /// The workflow app (a DNS label); default: `resource`, else `workflows`.
    pub app: Option<Spanned<String>>,
    /// The `[[resource]]` whose managed identities the workflow's Http actions use.
    pub resource: Option<Spanned<String>>,
    /// `Stateful` or `Stateless`, overriding the document's `kind`.
    pub kind: Option<Spanned<String>>,
    /// Parameter values (override parameters.json).
    #[serde(default)]
    pub parameters: BTreeMap<String, toml::Value>,
    /// App settings (`appsetting('x')`; override local.settings.json).
    #[serde(default)]
    pub app_settings: BTreeMap<String, String>,
}

impl Workflow {
    /// The workflow app this workflow belongs to.
    pub fn app(&self) -> String {
        self.app
            .as_ref()
            .map(|a| a.get_ref().clone())
            .or_else(|| self.resource.as_ref().map(|r| r.get_ref().clone()))
            .unwrap_or_else(|| DEFAULT_APP.to_string())
            .to_ascii_lowercase()
    }
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Checks names, apps, kinds and resource references without reading any file.
pub fn check(loaded: &LoadedWorld) -> Result<(), WorldError> {
    let world = &loaded.world;
    let mut seen = std::collections::HashSet::new();
    for w in &world.workflows {
        let name = w.name.get_ref();
        let valid_name = !name.is_empty()
            && name.len() <= 80
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            return Err(loaded.error(
                w.name.span(),
                format!("workflow name '{name}' must be 1-80 letters, digits, '-' or '_'"),
            ));
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(loaded.error(
                w.name.span(),
                format!("workflow '{name}' is declared twice"),
            ));
        }
        if let Some(app) = &w.app
            && !is_dns_label(app.get_ref())
        {
            return Err(loaded.error(app.span(), "app must be a DNS label (letters, digits, '-')"));
        }
        if let Some(kind) = &w.kind
            && WorkflowKind::parse(kind.get_ref()).is_none()
        {
            return Err(loaded.error(kind.span(), "kind must be 'Stateful' or 'Stateless'"));
        }
        if let Some(r) = &w.resource {
            if !world
                .resources
                .iter()
                .any(|x| x.name.get_ref() == r.get_ref())
            {
                return Err(loaded.error(
                    r.span(),
                    format!(
                        "unknown resource '{}' (declare it with [[resource]])",
                        r.get_ref()
                    ),
                ));
            }
            if w.app.is_none() && !is_dns_label(r.get_ref()) {
                return Err(loaded.error(r.span(), "the resource name becomes the workflow app's host name: give the workflow an `app` that is a DNS label"));
            }
        }
    }
    Ok(())
}

/// Reads and validates every workflow of the world.
pub fn load(
    loaded: &LoadedWorld,
    injected: &BTreeMap<String, String>,
) -> Result<Vec<skybridge_workflow::Workflow>, WorldError> {
    let mut out = Vec::new();
    for w in &loaded.world.workflows {
        let mut sources = ParameterSources::default();
        for (k, v) in &w.parameters {
            let json = serde_json::to_value(v)
                .map_err(|e| loaded.error(w.name.span(), format!("parameter '{k}': {e}")))?;
            sources.values.insert(k.clone(), json);
        }
        // Skybridge's own settings first; the world's override them.
        sources.app_settings = injected
            .clone()
            .into_iter()
            .chain(w.app_settings.clone())
            .collect();
        let options = WorkflowOptions {
            name: w.name.get_ref().clone(),
            app: w.app(),
            parameters: sources,
            identity_resource: w.resource.as_ref().map(|r| r.get_ref().clone()),
            kind: w
                .kind
                .as_ref()
                .and_then(|k| WorkflowKind::parse(k.get_ref())),
            ..WorkflowOptions::default()
        };
        let path = loaded.resolve_path(w.path.get_ref());
        if !path.exists() {
            return Err(loaded.error(w.path.span(), format!("{} does not exist", path.display())));
        }
        let workflow = definition::load_path(&path, &options).map_err(|e| {
            loaded.error(
                w.path.span(),
                format!("workflow '{}': {e}", w.name.get_ref()),
            )
        })?;
        out.push(workflow);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(dir: &std::path::Path, body: &str) -> Result<LoadedWorld, WorldError> {
        let text = format!(
            "version = 1\n[[tenant]]\nname = \"home\"\n[[resource]]\nname = \"orders-sync\"\ntenant = \"home\"\n{body}"
        );
        LoadedWorld::parse(dir.join("world.toml"), text)
    }

    #[test]
    fn workflows_are_checked_and_loaded() {
        let dir = std::env::temp_dir().join(format!("skybridge-world-wf-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("app/hello")).unwrap();
        std::fs::write(
            dir.join("app/hello/workflow.json"),
            r#"{"definition": {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": {"A": {"type": "Compose", "inputs": "@parameters('p')"}}}}"#,
        )
        .unwrap();
        let ok = world(&dir, "[[workflow]]\nname = \"hello\"\npath = \"app/hello\"\nresource = \"orders-sync\"\n[workflow.parameters]\np = 5\n").unwrap();
        let loaded = load(&ok, &BTreeMap::new()).unwrap();
        assert_eq!(loaded[0].app, "orders-sync");
        assert_eq!(loaded[0].identity_resource.as_deref(), Some("orders-sync"));
        assert_eq!(loaded[0].parameters["p"].value, serde_json::json!(5));

        let e = world(
            &dir,
            "[[workflow]]\nname = \"hello\"\npath = \"app/hello\"\nresource = \"nope\"\n",
        )
        .err()
        .unwrap();
        assert_eq!(e.line, 10, "{e}");
        assert!(e.message.contains("unknown resource 'nope'"), "{e}");
        let e = world(
            &dir,
            "[[workflow]]\nname = \"a\"\npath = \"x\"\n[[workflow]]\nname = \"A\"\npath = \"y\"\n",
        )
        .err()
        .unwrap();
        assert!(e.message.contains("declared twice"), "{e}");
        let e = world(
            &dir,
            "[[workflow]]\nname = \"a\"\npath = \"x\"\napp = \"not a label\"\n",
        )
        .err()
        .unwrap();
        assert!(e.message.contains("DNS label"), "{e}");
        // A definition error names the entry's position and the definition's JSON path.
        let bad = world(
            &dir,
            "[[workflow]]\nname = \"hello\"\npath = \"app/hello\"\n",
        )
        .unwrap();
        let e = load(&bad, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.line, 9, "{e}");
        assert!(
            e.message.contains("definition.actions.A.inputs") && e.message.contains("'p'"),
            "{e}"
        );
        let missing = world(
            &dir,
            "[[workflow]]\nname = \"hello\"\npath = \"app/missing\"\n",
        )
        .unwrap();
        assert!(
            load(&missing, &BTreeMap::new())
                .unwrap_err()
                .message
                .contains("does not exist")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
