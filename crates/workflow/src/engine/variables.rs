//! Variables: InitializeVariable, SetVariable, Increment/Decrement and the two Append actions.
//! Variables are global to the run (parallel Foreach iterations share them, as in the runtime);
//! each operation is atomic under the run's variable lock.

use serde_json::{Value, json};

use super::outcome::Outcome;
use super::run::{RunState, lock};
use crate::definition::json_type_name;

/// A variable's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// `array`.
    Array,
    /// `boolean`.
    Boolean,
    /// `float`.
    Float,
    /// `integer`.
    Integer,
    /// `object`.
    Object,
    /// `string`.
    String,
}

impl VarType {
    /// Parses a type name, ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "array" => Self::Array,
            "boolean" | "bool" => Self::Boolean,
            "float" => Self::Float,
            "integer" | "int" => Self::Integer,
            "object" => Self::Object,
            "string" => Self::String,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Array => "Array",
            Self::Boolean => "Boolean",
            Self::Float => "Float",
            Self::Integer => "Integer",
            Self::Object => "Object",
            Self::String => "String",
        }
    }

    /// The value of an InitializeVariable without `value`.
    fn default_value(self) -> Value {
        match self {
            Self::Array => json!([]),
            Self::Boolean => json!(false),
            Self::Float => json!(0.0),
            Self::Integer => json!(0),
            Self::Object => json!({}),
            Self::String => json!(""),
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match (self, v) {
            (_, Value::Null) => true,
            (Self::Array, Value::Array(_))
            | (Self::Boolean, Value::Bool(_))
            | (Self::Object, Value::Object(_))
            | (Self::String, Value::String(_))
            | (Self::Float, Value::Number(_)) => true,
            (Self::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            _ => false,
        }
    }
}

/// A variable's state.
#[derive(Debug, Clone)]
pub(crate) struct Variable {
    pub name: String,
    pub ty: VarType,
    pub value: Value,
}

fn wrong_type(name: &str, ty: VarType, v: &Value) -> Outcome {
    Outcome::bad_request(
        "InvalidVariableValue",
        format!(
            "The variable '{name}' of type '{}' cannot be initialized or updated with value of type '{}'.",
            ty.name(),
            json_type_name(v)
        ),
    )
}

fn not_initialized(name: &str) -> Outcome {
    Outcome::bad_request(
        "InvalidTemplate",
        format!(
            "The variable '{name}' is not initialized; initialize it with an InitializeVariable action first."
        ),
    )
}

fn too_large(run: &RunState, name: &str, v: &Value) -> Option<Outcome> {
    let limit = run.engine.config.limits.max_variable_size;
    let size = match v {
        Value::String(s) => s.chars().count(),
        Value::Array(a) if a.len() > run.engine.config.limits.max_array_items => {
            return Some(Outcome::bad_request(
                "InvalidVariableValue",
                format!(
                    "The variable '{name}' would hold more than {} items.",
                    run.engine.config.limits.max_array_items
                ),
            ));
        }
        _ => return None,
    };
    (size > limit).then(|| {
        Outcome::bad_request(
            "InvalidVariableValue",
            format!("The variable '{name}' would exceed the maximum size of {limit} characters."),
        )
    })
}

fn str_field<'a>(inputs: &'a Value, key: &str) -> Option<&'a str> {
    crate::definition::field_ci(inputs, key).and_then(Value::as_str)
}

/// InitializeVariable with evaluated inputs.
pub(crate) fn initialize(run: &RunState, inputs: &Value) -> Outcome {
    let Some(Value::Array(list)) = crate::definition::field_ci(inputs, "variables") else {
        return Outcome::bad_request(
            "InvalidTemplate",
            "The inputs of InitializeVariable must have a 'variables' array.",
        );
    };
    let mut vars = lock(&run.variables);
    for v in list {
        let (Some(name), Some(ty)) = (
            str_field(v, "name"),
            str_field(v, "type").and_then(VarType::parse),
        ) else {
            return Outcome::bad_request(
                "InvalidTemplate",
                "A variable needs a 'name' and a valid 'type'.",
            );
        };
        let mut value = crate::definition::field_ci(v, "value")
            .cloned()
            .unwrap_or_else(|| ty.default_value());
        if ty == VarType::Float
            && let Some(i) = value.as_i64()
        {
            value = json!(i as f64);
        }
        if !ty.accepts(&value) {
            return wrong_type(name, ty, &value);
        }
        if let Some(o) = too_large(run, name, &value) {
            return o;
        }
        let key = name.to_ascii_lowercase();
        if vars.contains_key(&key) {
            return Outcome::bad_request(
                "InvalidTemplate",
                format!("The variable '{name}' has already been initialized."),
            );
        }
        if vars.len() >= 250 {
            return Outcome::bad_request(
                "InvalidTemplate",
                "A workflow may have at most 250 variables.",
            );
        }
        vars.insert(
            key,
            Variable {
                name: name.to_string(),
                ty,
                value,
            },
        );
    }
    Outcome {
        inputs: Some(inputs.clone()),
        ..Outcome::not_specified()
    }
}

/// The five update actions. `op` is the action type lower-cased.
pub(crate) fn update(run: &RunState, op: &str, inputs: &Value) -> Outcome {
    let Some(name) = str_field(inputs, "name") else {
        return Outcome::bad_request(
            "InvalidTemplate",
            "The variable action needs 'inputs.name'.",
        );
    };
    let given = crate::definition::field_ci(inputs, "value").cloned();
    let mut vars = lock(&run.variables);
    let Some(var) = vars.get_mut(&name.to_ascii_lowercase()) else {
        return not_initialized(name);
    };
    let new_value = match op {
        "setvariable" => {
            let mut v = given.unwrap_or(Value::Null);
            if var.ty == VarType::Float
                && let Some(i) = v.as_i64()
            {
                v = json!(i as f64);
            }
            if !var.ty.accepts(&v) {
                return wrong_type(&var.name, var.ty, &v);
            }
            v
        }
        "incrementvariable" | "decrementvariable" => {
            let sign = if op == "incrementvariable" { 1 } else { -1 };
            let by = given.unwrap_or(json!(1));
            match (var.ty, &var.value, &by) {
                (VarType::Integer, Value::Number(cur), Value::Number(b)) if b.is_i64() => {
                    let (Some(c), Some(b)) = (cur.as_i64(), b.as_i64()) else {
                        return wrong_type(&var.name, var.ty, &by);
                    };
                    match b.checked_mul(sign).and_then(|d| c.checked_add(d)) {
                        Some(n) => json!(n),
                        None => {
                            return Outcome::bad_request(
                                "InvalidVariableValue",
                                format!("The variable '{}' would overflow.", var.name),
                            );
                        }
                    }
                }
                (VarType::Float | VarType::Integer, Value::Number(cur), Value::Number(b))
                    if var.ty == VarType::Float =>
                {
                    json!(cur.as_f64().unwrap_or(0.0) + sign as f64 * b.as_f64().unwrap_or(0.0))
                }
                (VarType::Integer | VarType::Float, Value::Null, Value::Number(b)) => {
                    if var.ty == VarType::Integer {
                        json!(b.as_i64().unwrap_or(0) * sign)
                    } else {
                        json!(b.as_f64().unwrap_or(0.0) * sign as f64)
                    }
                }
                (VarType::Integer | VarType::Float, _, _) => {
                    return wrong_type(&var.name, var.ty, &by);
                }
                _ => {
                    return Outcome::bad_request(
                        "InvalidVariableType",
                        format!(
                            "The variable '{}' of type '{}' cannot be incremented or decremented; only Integer and Float variables can.",
                            var.name,
                            var.ty.name()
                        ),
                    );
                }
            }
        }
        "appendtoarrayvariable" => {
            if var.ty != VarType::Array {
                return Outcome::bad_request(
                    "InvalidVariableType",
                    format!(
                        "The variable '{}' of type '{}' cannot be appended to as an array.",
                        var.name,
                        var.ty.name()
                    ),
                );
            }
            let mut items = var.value.as_array().cloned().unwrap_or_default();
            items.push(given.unwrap_or(Value::Null));
            Value::Array(items)
        }
        "appendtostringvariable" => {
            if var.ty != VarType::String {
                return Outcome::bad_request(
                    "InvalidVariableType",
                    format!(
                        "The variable '{}' of type '{}' cannot be appended to as a string.",
                        var.name,
                        var.ty.name()
                    ),
                );
            }
            let add = match given {
                Some(Value::String(s)) => s,
                Some(Value::Null) | None => String::new(),
                Some(other) => {
                    match skybridge_wdl::eval_template_str("@{parameters('v')}", &Single(other)) {
                        Ok(Value::String(s)) => s,
                        _ => String::new(),
                    }
                }
            };
            let mut s = var.value.as_str().unwrap_or("").to_string();
            s.push_str(&add);
            Value::String(s)
        }
        _ => {
            return Outcome::bad_request(
                "InvalidTemplate",
                format!("Unknown variable operation '{op}'."),
            );
        }
    };
    if let Some(o) = too_large(run, &var.name, &new_value) {
        return o;
    }
    var.value = new_value.clone();
    let outputs = json!({"body": {"name": var.name, "value": new_value}});
    Outcome {
        inputs: Some(inputs.clone()),
        outputs: Some(outputs),
        ..Outcome::not_specified()
    }
}

/// A context with one parameter `v`, to reuse the expression language's text rules.
struct Single(Value);

impl skybridge_wdl::Context for Single {
    fn parameter(&self, _name: &str) -> Option<Value> {
        Some(self.0.clone())
    }
}
