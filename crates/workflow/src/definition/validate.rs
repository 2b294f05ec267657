//! Whole-definition checks that need more than one action: every expression parses, names an
//! action, parameter or loop that exists where it is used, and variable actions name declared
//! variables. Messages follow the runtime's save-time validation wording.

use serde_json::Value;
use skybridge_wdl::{Accessor, Expr};

use super::LoadError;
use super::json::{field, join_path};
use super::model::*;

/// The expressions (text without `@`) a template string contains, or why it is malformed.
pub(crate) fn expressions_in(s: &str) -> Result<Vec<&str>, String> {
    if s.starts_with("@@") {
        return Ok(Vec::new());
    }
    if let Some(rest) = s.strip_prefix('@')
        && !rest.is_empty()
        && !rest.starts_with('{')
    {
        return Ok(vec![rest]);
    }
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'@' && bytes[i + 1] == b'@' && bytes.get(i + 2) == Some(&b'{') {
            i += 3;
            continue;
        }
        if bytes[i] == b'@' && bytes[i + 1] == b'{' {
            let start = i + 2;
            let mut j = start;
            let mut in_string = false;
            let mut end = None;
            while j < bytes.len() {
                match bytes[j] {
                    b'\'' => in_string = !in_string,
                    b'}' if !in_string => {
                        end = Some(j);
                        break;
                    }
                    _ => {}
                }
                j += 1;
            }
            let Some(end) = end else {
                return Err(format!(
                    "The template '{s}' is not valid: the '@{{' at offset {i} is not closed by '}}'."
                ));
            };
            out.push(&s[start..end]);
            i = end + 1;
            continue;
        }
        i += 1;
    }
    Ok(out)
}

struct Scope<'a> {
    foreach: Vec<&'a str>,
    until: Vec<&'a str>,
}

struct Checker<'a> {
    workflow: &'a Workflow,
}

pub(crate) fn validate(workflow: &Workflow, root: &str) -> Result<(), LoadError> {
    let c = Checker { workflow };
    let def = &workflow.definition;
    let mut scope = Scope {
        foreach: Vec::new(),
        until: Vec::new(),
    };
    for t in &def.triggers {
        let tp = join_path(&join_path(root, "triggers"), &t.name);
        for (i, cond) in t.conditions.iter().enumerate() {
            c.template(
                cond,
                &join_path(&tp, &format!("conditions[{i}].expression")),
                &t.name,
                "conditions",
                &scope,
            )?;
        }
        if let Some(ct) = &t.client_tracking_id {
            c.template(
                ct,
                &join_path(&tp, "correlation.clientTrackingId"),
                &t.name,
                "correlation",
                &scope,
            )?;
        }
    }
    c.container(&def.actions, &mut scope)?;
    for o in &def.outputs {
        c.template(
            &o.value,
            &join_path(&join_path(&join_path(root, "outputs"), &o.name), "value"),
            &o.name,
            "outputs",
            &scope,
        )?;
    }
    Ok(())
}

impl<'a> Checker<'a> {
    fn container(&self, container: &'a Container, scope: &mut Scope<'a>) -> Result<(), LoadError> {
        for a in &container.actions {
            self.action(a, scope)?;
        }
        Ok(())
    }

    fn action(&self, a: &'a Action, scope: &mut Scope<'a>) -> Result<(), LoadError> {
        let p = |k: &str| join_path(&a.path, k);
        self.template(&a.inputs, &p("inputs"), &a.name, "inputs", scope)?;
        if let Some(t) = &a.tracked_properties {
            self.template(
                t,
                &p("trackedProperties"),
                &a.name,
                "trackedProperties",
                scope,
            )?;
        }
        if let Some(t) = &a.timeout {
            self.template(t, &p("limit.timeout"), &a.name, "limit", scope)?;
            if let Some(s) = t.as_str()
                && !s.starts_with('@')
                && crate::time::parse_iso_duration(s).is_none()
            {
                return Err(LoadError::new(
                    p("limit.timeout"),
                    format!(
                        "The 'limit.timeout' value '{s}' of action '{}' is not an ISO 8601 duration.",
                        a.name
                    ),
                ));
            }
        }
        self.variable_name(a)?;
        match &a.kind {
            ActionKind::If { expression, .. } | ActionKind::Switch { expression, .. } => {
                self.template(expression, &p("expression"), &a.name, "expression", scope)?;
            }
            ActionKind::Foreach { items, .. } => {
                self.template(items, &p("foreach"), &a.name, "foreach", scope)?;
            }
            ActionKind::Until { count, timeout, .. } => {
                if let Some(c) = count {
                    self.template(c, &p("limit.count"), &a.name, "limit", scope)?;
                }
                if let Some(t) = timeout {
                    self.template(t, &p("limit.timeout"), &a.name, "limit", scope)?;
                }
            }
            _ => {}
        }
        match &a.kind {
            ActionKind::Foreach { actions, .. } => {
                scope.foreach.push(&a.name);
                let r = self.container(actions, scope);
                scope.foreach.pop();
                r?;
            }
            ActionKind::Until {
                actions,
                expression,
                ..
            } => {
                scope.until.push(&a.name);
                // The condition sees the loop's own iteration index.
                let r = self
                    .template(expression, &p("expression"), &a.name, "expression", scope)
                    .and_then(|()| self.container(actions, scope));
                scope.until.pop();
                r?;
            }
            kind => {
                for child in kind.children() {
                    self.container(child, scope)?;
                }
            }
        }
        Ok(())
    }

    fn variable_name(&self, a: &Action) -> Result<(), LoadError> {
        let vars = &self.workflow.definition.variables;
        let check = |name: &Value, path: String| -> Result<(), LoadError> {
            if let Some(n) = name.as_str()
                && !n.contains('@')
                && !vars.contains(&n.to_ascii_lowercase())
            {
                return Err(LoadError::new(
                    path,
                    format!(
                        "The variable '{n}' used by action '{}' is not initialized by any InitializeVariable action.",
                        a.name
                    ),
                ));
            }
            Ok(())
        };
        match a.kind {
            ActionKind::SetVariable
            | ActionKind::IncrementVariable
            | ActionKind::DecrementVariable
            | ActionKind::AppendToArrayVariable
            | ActionKind::AppendToStringVariable => match field(&a.inputs, "name") {
                Some(n) => check(n, join_path(&a.path, "inputs.name")),
                None => Err(LoadError::new(
                    join_path(&a.path, "inputs"),
                    format!("The action '{}' requires 'inputs.name'.", a.name),
                )),
            },
            ActionKind::InitializeVariable => match field(&a.inputs, "variables") {
                Some(Value::Array(list)) if !list.is_empty() => {
                    for (i, v) in list.iter().enumerate() {
                        let vp = join_path(&a.path, &format!("inputs.variables[{i}]"));
                        if field(v, "name").and_then(Value::as_str).is_none() {
                            return Err(LoadError::new(vp, "A variable needs a 'name'."));
                        }
                        let ty = field(v, "type").and_then(Value::as_str).unwrap_or("");
                        if crate::engine::variables::VarType::parse(ty).is_none() {
                            return Err(LoadError::new(
                                join_path(&vp, "type"),
                                format!(
                                    "The variable type '{ty}' is not valid; expected Array, Boolean, Float, Integer, Object or String."
                                ),
                            ));
                        }
                    }
                    Ok(())
                }
                _ => Err(LoadError::new(
                    join_path(&a.path, "inputs.variables"),
                    format!(
                        "The InitializeVariable action '{}' needs a non-empty 'inputs.variables' array.",
                        a.name
                    ),
                )),
            },
            _ => Ok(()),
        }
    }

    /// Checks every expression in a template value.
    fn template(
        &self,
        v: &Value,
        path: &str,
        owner: &str,
        property: &str,
        scope: &Scope<'_>,
    ) -> Result<(), LoadError> {
        match v {
            Value::String(s) => {
                let exprs = expressions_in(s).map_err(|m| LoadError::new(path, m))?;
                for text in exprs {
                    let expr = skybridge_wdl::parse(text).map_err(|e| {
                        LoadError::new(
                            path,
                            format!(
                                "Unable to parse template language expression '{text}': {} (offset {}).",
                                e.message, e.position
                            ),
                        )
                    })?;
                    self.references(&expr, path, owner, property, scope)?;
                }
                Ok(())
            }
            Value::Array(items) => items.iter().enumerate().try_for_each(|(i, x)| {
                self.template(x, &format!("{path}[{i}]"), owner, property, scope)
            }),
            Value::Object(map) => map.iter().try_for_each(|(k, x)| {
                self.template(x, &join_path(path, k), owner, property, scope)
            }),
            _ => Ok(()),
        }
    }

    fn references(
        &self,
        e: &Expr,
        path: &str,
        owner: &str,
        property: &str,
        scope: &Scope<'_>,
    ) -> Result<(), LoadError> {
        match e {
            Expr::Call { name, args } => {
                let lit = args.first().and_then(|a| match a {
                    Expr::Str(s) => Some(s.as_str()),
                    _ => None,
                });
                let f = name.to_ascii_lowercase();
                let def = &self.workflow.definition;
                if let Some(target) = lit {
                    match f.as_str() {
                        "actions"
                        | "body"
                        | "outputs"
                        | "result"
                        | "formdatavalue"
                        | "formdatamultivalues"
                        | "multipartbody"
                            if !def.action_names.contains_key(&target.to_ascii_lowercase()) =>
                        {
                            return Err(LoadError::new(
                                path,
                                format!(
                                    "The action(s) '{target}' referenced by '{property}' in action '{owner}' are not defined in the template."
                                ),
                            ));
                        }
                        "items" | "repeatitems"
                            if !scope.foreach.iter().any(|l| l.eq_ignore_ascii_case(target)) =>
                        {
                            return Err(LoadError::new(
                                path,
                                format!(
                                    "The template action '{owner}' is not valid: action '{target}' must be a parent 'foreach' scope of action '{owner}' to be referenced by 'repeatItems' or 'items' functions."
                                ),
                            ));
                        }
                        "iterationindexes"
                            if !scope.until.iter().any(|l| l.eq_ignore_ascii_case(target)) =>
                        {
                            return Err(LoadError::new(
                                path,
                                format!(
                                    "The template action '{owner}' is not valid: action '{target}' must be a parent 'until' scope of action '{owner}' to be referenced by the 'iterationIndexes' function."
                                ),
                            ));
                        }
                        "parameters"
                            if !self
                                .workflow
                                .parameters
                                .contains_key(&target.to_ascii_lowercase()) =>
                        {
                            return Err(LoadError::new(
                                path,
                                format!(
                                    "The workflow parameter '{target}' referenced by '{property}' in '{owner}' is not declared and has no value in parameters.json."
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                if f == "item" && scope.foreach.is_empty() && property != "inputs" {
                    // item() outside a Foreach is valid only inside Query/Select/Table inputs.
                    return Err(LoadError::new(
                        path,
                        format!(
                            "The template function 'item' used by '{property}' in '{owner}' is only valid inside a 'foreach' scope."
                        ),
                    ));
                }
                args.iter()
                    .try_for_each(|a| self.references(a, path, owner, property, scope))
            }
            Expr::Access { base, path: steps } => {
                self.references(base, path, owner, property, scope)?;
                steps.iter().try_for_each(|s| match s {
                    Accessor::Index { index, .. } => {
                        self.references(index, path, owner, property, scope)
                    }
                    Accessor::Property { .. } => Ok(()),
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expressions_in;

    #[test]
    fn finds_expressions() {
        assert_eq!(expressions_in("@add(1,2)").unwrap(), vec!["add(1,2)"]);
        assert_eq!(expressions_in("@@{x}").unwrap(), Vec::<&str>::new());
        assert_eq!(
            expressions_in("a @{x()} b @{concat('}', 'y')}").unwrap(),
            vec!["x()", "concat('}', 'y')"]
        );
        assert_eq!(expressions_in("a @@{x} b").unwrap(), Vec::<&str>::new());
        assert!(expressions_in("a @{x( b").is_err());
        assert_eq!(expressions_in("@").unwrap(), Vec::<&str>::new());
    }
}
