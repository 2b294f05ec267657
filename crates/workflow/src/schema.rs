//! A JSON Schema validator for ParseJson and Request-trigger bodies: the subset workflow
//! schemas use (`type` including type lists such as `["string","null"]`, `properties`,
//! `required`, `additionalProperties`, `items`, `enum`, `const`, numeric and length bounds,
//! `allOf`/`anyOf`/`oneOf`/`not`, and local `$ref`s). `pattern` and `format` are not checked.
//! Messages follow the Newtonsoft.Json.Schema wording the runtime reports.

use serde_json::{Value, json};

const MAX_DEPTH: usize = 64;
const MAX_ERRORS: usize = 100;

/// One validation failure.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    /// Where in the value (`items[0].name`).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// The failing keyword (`type`, `required`, ...).
    pub error_type: &'static str,
    /// The offending value.
    pub value: Value,
}

impl SchemaError {
    /// The runtime's error object.
    pub fn to_json(&self) -> Value {
        json!({
            "message": self.message,
            "lineNumber": 0,
            "linePosition": 0,
            "path": self.path,
            "value": self.value,
            "errorType": self.error_type,
            "childErrors": [],
        })
    }
}

/// Validates `value` against `schema`; an empty list means valid.
pub fn validate(schema: &Value, value: &Value) -> Vec<SchemaError> {
    let mut v = Validator {
        root: schema,
        errors: Vec::new(),
    };
    v.check(schema, value, "", 0);
    v.errors
}

struct Validator<'a> {
    root: &'a Value,
    errors: Vec<SchemaError>,
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Float",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

fn matches_type(t: &str, v: &Value) -> bool {
    match t.to_ascii_lowercase().as_str() {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => {
            v.as_i64().is_some()
                || v.as_u64().is_some()
                || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

fn capitalise(t: &str) -> String {
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

impl<'a> Validator<'a> {
    fn fail(&mut self, path: &str, kind: &'static str, message: String, value: &Value) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(SchemaError {
                path: path.to_string(),
                message,
                error_type: kind,
                value: value.clone(),
            });
        }
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn check(&mut self, schema: &'a Value, value: &Value, path: &str, depth: usize) {
        if depth > MAX_DEPTH || self.errors.len() >= MAX_ERRORS {
            return;
        }
        let Value::Object(s) = schema else {
            if schema == &Value::Bool(false) {
                self.fail(
                    path,
                    "valid",
                    "Schema always fails validation.".into(),
                    value,
                );
            }
            return;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) => self.check(target, value, path, depth + 1),
                None => self.fail(
                    path,
                    "$ref",
                    format!("Could not resolve schema reference '{r}'."),
                    value,
                ),
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !types.is_empty() && !types.iter().any(|t| matches_type(t, value)) {
                let expected = types
                    .iter()
                    .map(|t| capitalise(t))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.fail(
                    path,
                    "type",
                    format!(
                        "Invalid type. Expected {expected} but got {}.",
                        type_of(value)
                    ),
                    value,
                );
                return;
            }
        }
        if let Some(Value::Array(options)) = s.get("enum")
            && !options.contains(value)
        {
            self.fail(
                path,
                "enum",
                format!("Value {value} is not defined in enum."),
                value,
            );
        }
        if let Some(c) = s.get("const")
            && c != value
        {
            self.fail(
                path,
                "const",
                format!("Value {value} does not match const."),
                value,
            );
        }
        match value {
            Value::Object(obj) => {
                if let Some(Value::Array(req)) = s.get("required") {
                    let missing: Vec<&str> = req
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|k| !obj.contains_key(*k))
                        .collect();
                    if !missing.is_empty() {
                        self.fail(
                            path,
                            "required",
                            format!(
                                "Required properties are missing from object: {}.",
                                missing.join(", ")
                            ),
                            value,
                        );
                    }
                }
                let props = s.get("properties").and_then(Value::as_object);
                for (k, v) in obj {
                    match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.check(ps, v, &join(path, k), depth + 1),
                        None => match s.get("additionalProperties") {
                            Some(Value::Bool(false)) => self.fail(
                                &join(path, k),
                                "additionalProperties",
                                format!("Property '{k}' has not been defined and the schema does not allow additional properties."),
                                v,
                            ),
                            Some(extra @ Value::Object(_)) => self.check(extra, v, &join(path, k), depth + 1),
                            _ => {}
                        },
                    }
                }
            }
            Value::Array(items) => {
                match s.get("items") {
                    Some(Value::Array(tuple)) => {
                        for (i, (item_schema, item)) in tuple.iter().zip(items).enumerate() {
                            self.check(item_schema, item, &format!("{path}[{i}]"), depth + 1);
                        }
                    }
                    Some(item_schema) => {
                        for (i, item) in items.iter().enumerate() {
                            self.check(item_schema, item, &format!("{path}[{i}]"), depth + 1);
                        }
                    }
                    None => {}
                }
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    self.fail(
                        path,
                        "minItems",
                        format!(
                            "Array item count {} is less than minimum count of {min}.",
                            items.len()
                        ),
                        value,
                    );
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                    && (items.len() as u64) > max
                {
                    self.fail(
                        path,
                        "maxItems",
                        format!(
                            "Array item count {} exceeds maximum count of {max}.",
                            items.len()
                        ),
                        value,
                    );
                }
            }
            Value::String(text) => {
                let len = text.chars().count() as u64;
                if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                    && len < min
                {
                    self.fail(
                        path,
                        "minLength",
                        format!("String '{text}' is less than minimum length of {min}."),
                        value,
                    );
                }
                if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                    && len > max
                {
                    self.fail(
                        path,
                        "maxLength",
                        format!("String '{text}' exceeds maximum length of {max}."),
                        value,
                    );
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                let kind = if n.is_f64() { "Float" } else { "Integer" };
                if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                    && x < min
                {
                    self.fail(
                        path,
                        "minimum",
                        format!("{kind} {n} is less than minimum value of {min}."),
                        value,
                    );
                }
                if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                    && x > max
                {
                    self.fail(
                        path,
                        "maximum",
                        format!("{kind} {n} exceeds maximum value of {max}."),
                        value,
                    );
                }
                if let Some(min) = s.get("exclusiveMinimum").and_then(Value::as_f64)
                    && x <= min
                {
                    self.fail(
                        path,
                        "minimum",
                        format!(
                            "{kind} {n} equals or is less than exclusive minimum value of {min}."
                        ),
                        value,
                    );
                }
                if let Some(max) = s.get("exclusiveMaximum").and_then(Value::as_f64)
                    && x >= max
                {
                    self.fail(
                        path,
                        "maximum",
                        format!("{kind} {n} equals or exceeds exclusive maximum value of {max}."),
                        value,
                    );
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            for sub in all {
                self.check(sub, value, path, depth + 1);
            }
        }
        let passes = |this: &Self, sub: &'a Value| {
            let mut inner = Validator {
                root: this.root,
                errors: Vec::new(),
            };
            inner.check(sub, value, path, depth + 1);
            inner.errors.is_empty()
        };
        if let Some(Value::Array(any)) = s.get("anyOf")
            && !any.iter().any(|sub| passes(self, sub))
        {
            self.fail(
                path,
                "anyOf",
                "JSON does not match any schemas from 'anyOf'.".into(),
                value,
            );
        }
        if let Some(Value::Array(one)) = s.get("oneOf") {
            let n = one.iter().filter(|sub| passes(self, sub)).count();
            if n != 1 {
                self.fail(
                    path,
                    "oneOf",
                    format!(
                        "JSON is valid against {n} schemas from 'oneOf'; exactly one is required."
                    ),
                    value,
                );
            }
        }
        if let Some(not) = s.get("not")
            && passes(self, not)
        {
            self.fail(
                path,
                "not",
                "JSON is valid against schema from 'not'.".into(),
                value,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_designer_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"enum": ["a", "b"]}
            },
            "required": ["id"]
        });
        assert!(validate(&schema, &json!({"id": 1, "name": null, "tags": ["x"]})).is_empty());
        let errors = validate(&schema, &json!({"name": 3, "tags": [1], "kind": "c"}));
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.contains(&"Required properties are missing from object: id."),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"Invalid type. Expected String, Null but got Integer."),
            "{messages:?}"
        );
        assert!(errors.iter().any(|e| e.path == "tags[0]"));
        assert!(errors.iter().any(|e| e.error_type == "enum"));
    }

    #[test]
    fn refs_and_combinators() {
        let schema = json!({
            "definitions": {"pos": {"type": "integer", "minimum": 1}},
            "anyOf": [{"$ref": "#/definitions/pos"}, {"type": "string", "minLength": 2}]
        });
        assert!(validate(&schema, &json!(5)).is_empty());
        assert!(validate(&schema, &json!("ab")).is_empty());
        assert_eq!(validate(&schema, &json!(0)).len(), 1);
        let deep = (0..200).fold(json!({"type": "string"}), |s, _| json!({"items": s}));
        let value = (0..200).fold(json!(1), |v, _| json!([v]));
        assert!(
            validate(&deep, &value).is_empty(),
            "depth is bounded, not a stack overflow"
        );
    }
}
