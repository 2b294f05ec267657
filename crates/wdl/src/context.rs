//! What the workflow functions read: the [`Context`] trait the engine
//! implements, plus [`MapContext`], a JSON-backed implementation for tests and
//! the `skybridge expr --context FILE` command.

use std::time::SystemTime;

use serde_json::Value;
use uuid::Uuid;

/// The run-time state that workflow functions (`parameters()`, `body()`,
/// `item()`, `utcNow()`, …) read.
///
/// Every method has a default that reports "not available", so an engine can
/// implement only what a given evaluation site supports (for example,
/// `item()` only inside a Foreach). A `None` becomes the runtime-style
/// "cannot be evaluated" error naming the function.
///
/// Action and trigger *result objects* have the shape the runtime exposes
/// through `actions('X')` and `trigger()`:
/// `{name, inputs, outputs, startTime, endTime, status, code, trackingId,
/// clientTrackingId, error?}`. The shorthands are derived from them:
/// `outputs('X')` is `.outputs`, `body('X')` is `.outputs.body`,
/// `triggerOutputs()` is `trigger().outputs`, `triggerBody()` is
/// `trigger().outputs.body`.
pub trait Context {
    /// `parameters(name)`: a workflow definition parameter's value.
    fn parameter(&self, _name: &str) -> Option<Value> {
        None
    }

    /// `variables(name)`: a variable's current value.
    fn variable(&self, _name: &str) -> Option<Value> {
        None
    }

    /// `appsetting(name)`: an app setting (Standard only).
    fn app_setting(&self, _name: &str) -> Option<String> {
        None
    }

    /// `trigger()`: the trigger's result object.
    fn trigger(&self) -> Option<Value> {
        None
    }

    /// `actions(name)`: a named action's result object. Inside a loop this is
    /// the current iteration's instance.
    fn action(&self, _name: &str) -> Option<Value> {
        None
    }

    /// `action()`: the *current* action's result object (only meaningful in
    /// trackedProperties, Until conditions and webhook `unsubscribe`).
    fn current_action(&self) -> Option<Value> {
        None
    }

    /// `item()`: the current item of the innermost Foreach (or the current
    /// record of a Query/Select).
    fn item(&self) -> Option<Value> {
        None
    }

    /// `items(loop)`: the current item of the named Foreach.
    fn items(&self, _loop_name: &str) -> Option<Value> {
        None
    }

    /// `iterationIndexes(loop)`: the zero-based index of the named Until
    /// loop's current iteration.
    fn iteration_index(&self, _loop_name: &str) -> Option<i64> {
        None
    }

    /// `result(scope)`: the array of result objects of the scope's top-level
    /// actions.
    fn result(&self, _scope_name: &str) -> Option<Value> {
        None
    }

    /// `workflow()`: `{id, name, type, location, run: {id, name, type}, tags}`.
    fn workflow(&self) -> Option<Value> {
        None
    }

    /// `listCallbackUrl()`: the callback URL of the current webhook trigger
    /// or action.
    fn list_callback_url(&self) -> Option<String> {
        None
    }

    /// The clock behind `utcNow()`, `getFutureTime()` and `getPastTime()`.
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// The source of `guid()`.
    fn new_guid(&self) -> Uuid {
        Uuid::new_v4()
    }

    /// The source of `rand(min, max)`: an integer in `min..max_exclusive`
    /// (callers guarantee `min < max_exclusive`).
    fn random_int(&self, min: i64, max_exclusive: i64) -> i64 {
        let width = (i128::from(max_exclusive) - i128::from(min)).max(1) as u128;
        let r = Uuid::new_v4().as_u128() % width;
        (i128::from(min) + r as i128) as i64
    }
}

/// A context that provides nothing but the real clock and random sources;
/// enough for expressions that use no workflow functions.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyContext;

impl Context for EmptyContext {}

/// Why a JSON document could not be turned into a [`MapContext`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The document is not a JSON object.
    #[error("the context document must be a JSON object")]
    NotAnObject,
    /// A member has the wrong type.
    #[error("context member '{0}' has the wrong type")]
    WrongType(String),
    /// `utcNow` is not an RFC 3339 timestamp.
    #[error("context member 'utcNow' is not a timestamp: {0}")]
    BadTime(String),
    /// `guid` is not a GUID.
    #[error("context member 'guid' is not a GUID: {0}")]
    BadGuid(String),
}

/// A [`Context`] backed by one JSON object.
///
/// Recognised members (all optional):
///
/// | member | meaning |
/// |---|---|
/// | `parameters` | object: name → value |
/// | `variables` | object: name → value |
/// | `appsettings` | object: name → string |
/// | `trigger` | the trigger result object |
/// | `actions` | object: action name → action result object |
/// | `action` | the current action's result object (for `action()`) |
/// | `item` | the current Foreach item |
/// | `items` | object: loop name → current item |
/// | `iterationIndexes` | object: Until loop name → integer |
/// | `results` | object: scope name → array of result objects |
/// | `workflow` | the `workflow()` object |
/// | `callbackUrl` | string for `listCallbackUrl()` |
/// | `utcNow` | RFC 3339 timestamp used as the fixed clock |
/// | `guid` | the GUID `guid()` returns |
/// | `random` | integer offset: `rand(min,max)` returns `min + random % (max-min)` |
///
/// Names are matched exactly first, then ignoring case.
#[derive(Debug, Clone, Default)]
pub struct MapContext {
    doc: serde_json::Map<String, Value>,
    now: Option<SystemTime>,
    guid: Option<Uuid>,
    random: Option<i64>,
}

impl MapContext {
    /// Builds a context from a JSON object as described on [`MapContext`].
    pub fn from_json(value: Value) -> Result<MapContext, ContextError> {
        let Value::Object(doc) = value else {
            return Err(ContextError::NotAnObject);
        };
        let now = match doc.get("utcNow") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                crate::datetime::parse::parse_lenient(s, &crate::culture::INVARIANT)
                    .map(|d| d.to_system_time())
                    .ok_or_else(|| ContextError::BadTime(s.clone()))?,
            ),
            Some(_) => return Err(ContextError::WrongType("utcNow".into())),
        };
        let guid = match doc.get("guid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(Uuid::parse_str(s).map_err(|e| ContextError::BadGuid(e.to_string()))?)
            }
            Some(_) => return Err(ContextError::WrongType("guid".into())),
        };
        let random = match doc.get("random") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| ContextError::WrongType("random".into()))?,
            ),
        };
        for key in [
            "parameters",
            "variables",
            "appsettings",
            "actions",
            "items",
            "iterationIndexes",
            "results",
        ] {
            if doc.get(key).is_some_and(|v| !v.is_object() && !v.is_null()) {
                return Err(ContextError::WrongType(key.into()));
            }
        }
        Ok(MapContext {
            doc,
            now,
            guid,
            random,
        })
    }

    fn member(&self, section: &str, name: &str) -> Option<&Value> {
        let map = self.doc.get(section)?.as_object()?;
        map.get(name).or_else(|| {
            map.iter()
                .find(|(k, _)| crate::value::eq_ignore_case(k, name))
                .map(|(_, v)| v)
        })
    }

    fn top(&self, key: &str) -> Option<Value> {
        self.doc.get(key).cloned()
    }
}

impl Context for MapContext {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.member("parameters", name).cloned()
    }

    fn variable(&self, name: &str) -> Option<Value> {
        self.member("variables", name).cloned()
    }

    fn app_setting(&self, name: &str) -> Option<String> {
        match self.member("appsettings", name)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    fn trigger(&self) -> Option<Value> {
        self.top("trigger")
    }

    fn action(&self, name: &str) -> Option<Value> {
        self.member("actions", name).cloned()
    }

    fn current_action(&self) -> Option<Value> {
        self.top("action")
    }

    fn item(&self) -> Option<Value> {
        self.top("item")
    }

    fn items(&self, loop_name: &str) -> Option<Value> {
        self.member("items", loop_name).cloned()
    }

    fn iteration_index(&self, loop_name: &str) -> Option<i64> {
        self.member("iterationIndexes", loop_name)?.as_i64()
    }

    fn result(&self, scope_name: &str) -> Option<Value> {
        self.member("results", scope_name).cloned()
    }

    fn workflow(&self) -> Option<Value> {
        self.top("workflow")
    }

    fn list_callback_url(&self) -> Option<String> {
        self.doc.get("callbackUrl")?.as_str().map(str::to_owned)
    }

    fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(SystemTime::now)
    }

    fn new_guid(&self) -> Uuid {
        self.guid.unwrap_or_else(Uuid::new_v4)
    }

    fn random_int(&self, min: i64, max_exclusive: i64) -> i64 {
        match self.random {
            Some(r) => {
                let width = (i128::from(max_exclusive) - i128::from(min)).max(1);
                (i128::from(min) + i128::from(r).rem_euclid(width)) as i64
            }
            None => EmptyContext.random_int(min, max_exclusive),
        }
    }
}
