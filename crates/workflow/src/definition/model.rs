//! The typed model of a loaded workflow.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::status::Status;

/// Stateful workflows keep run history; Stateless ones run in memory only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkflowKind {
    /// Persisted run history (the default).
    #[default]
    Stateful,
    /// No run history; tighter limits.
    Stateless,
}

impl WorkflowKind {
    /// Parses `Stateful`/`Stateless`, ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("stateful") {
            Some(Self::Stateful)
        } else if s.eq_ignore_ascii_case("stateless") {
            Some(Self::Stateless)
        } else {
            None
        }
    }

    /// The runtime's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stateful => "Stateful",
            Self::Stateless => "Stateless",
        }
    }
}

/// A loaded, validated workflow.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Name (URL segment; `workflow().name`).
    pub name: String,
    /// The workflow app it belongs to.
    pub app: String,
    /// Stateful or Stateless.
    pub kind: WorkflowKind,
    /// The definition.
    pub definition: Arc<Definition>,
    /// Resolved parameter values by lower-cased name: (declared name, value, secure).
    pub parameters: HashMap<String, ResolvedParameter>,
    /// App settings (`appsetting('x')`).
    pub app_settings: HashMap<String, String>,
    /// The identity resource it runs as.
    pub identity_resource: Option<String>,
}

impl Workflow {
    /// The text values of its secure parameters (`securestring`, and the strings inside a
    /// `secureobject`), which run history must not show.
    pub fn secret_values(&self) -> Vec<String> {
        fn strings(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) if !s.is_empty() => out.push(s.clone()),
                Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
                Value::Object(o) => o.values().for_each(|x| strings(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for p in self.parameters.values().filter(|p| p.secure) {
            strings(&p.value, &mut out);
        }
        out
    }
}

/// A parameter's value after parameters.json, app settings and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedParameter {
    /// The name as declared.
    pub name: String,
    /// The value.
    pub value: Value,
    /// `securestring` / `secureobject`: never shown in history.
    pub secure: bool,
}

/// A definition parameter declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDef {
    /// Name.
    pub name: String,
    /// Declared type, lower-cased (`int`, `string`, `securestring`, ...).
    pub ty: String,
    /// `defaultValue`.
    pub default: Option<Value>,
    /// `allowedValues`.
    pub allowed: Option<Vec<Value>>,
}

/// A declared run output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDef {
    /// Name.
    pub name: String,
    /// Declared type.
    pub ty: String,
    /// The template evaluated when the run ends.
    pub value: Value,
}

/// The `definition` object.
#[derive(Debug, Clone)]
pub struct Definition {
    /// `contentVersion` (default `1.0.0.0`).
    pub content_version: String,
    /// Declared parameters.
    pub parameters: Vec<ParameterDef>,
    /// Triggers in document order.
    pub triggers: Vec<Trigger>,
    /// Top-level actions.
    pub actions: Arc<Container>,
    /// Run outputs.
    pub outputs: Vec<OutputDef>,
    /// `staticResults` by name (as written).
    pub static_results: serde_json::Map<String, Value>,
    /// Whether any action is a Response (a Request caller then waits for it).
    pub has_response: bool,
    /// Every action name, lower-cased → (name as written, whether inside a Foreach/Until).
    pub action_names: HashMap<String, String>,
    /// Variables declared by InitializeVariable, lower-cased.
    pub variables: Vec<String>,
}

impl Definition {
    /// A trigger by name, ignoring case.
    pub fn trigger(&self, name: &str) -> Option<&Trigger> {
        self.triggers
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// A set of sibling actions (top level, a Scope, an If branch, a loop body) and their
/// `runAfter` graph.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// Actions in document order.
    pub actions: Vec<Arc<Action>>,
    /// `preds[i]`: (predecessor index, accepted statuses) of action `i`.
    pub preds: Vec<Vec<(usize, Vec<Status>)>>,
    /// `succs[i]`: indexes of the actions that run after action `i`.
    pub succs: Vec<Vec<usize>>,
}

impl Container {
    /// Predecessor indexes only, for status resolution.
    pub fn pred_indexes(&self) -> Vec<Vec<usize>> {
        self.preds
            .iter()
            .map(|p| p.iter().map(|(j, _)| *j).collect())
            .collect()
    }

    /// Every action in this container and, recursively, inside its control actions.
    pub fn walk(&self, f: &mut dyn FnMut(&Action)) {
        for a in &self.actions {
            f(a);
            for c in a.kind.children() {
                c.walk(f);
            }
        }
    }
}

/// One action.
#[derive(Debug, Clone)]
pub struct Action {
    /// Name as written.
    pub name: String,
    /// `type` as written.
    pub type_name: String,
    /// What it does.
    pub kind: ActionKind,
    /// `inputs` (Null when absent).
    pub inputs: Value,
    /// `runAfter`: predecessor names with accepted statuses.
    pub run_after: Vec<(String, Vec<Status>)>,
    /// `limit.timeout` (an ISO 8601 duration or an expression).
    pub timeout: Option<Value>,
    /// `trackedProperties`.
    pub tracked_properties: Option<Value>,
    /// `runtimeConfiguration.secureData.properties` contains `inputs`.
    pub secure_inputs: bool,
    /// `runtimeConfiguration.secureData.properties` contains `outputs`.
    pub secure_outputs: bool,
    /// `runtimeConfiguration.staticResult.name` when `staticResultOptions` is `Enabled`.
    pub static_result: Option<String>,
    /// `operationOptions`, lower-cased.
    pub operation_options: Vec<String>,
    /// JSON path, for messages.
    pub path: String,
}

impl Action {
    /// Whether `operationOptions` has `option` (case-insensitive).
    pub fn has_option(&self, option: &str) -> bool {
        self.operation_options
            .iter()
            .any(|o| o.eq_ignore_ascii_case(option))
    }
}

/// A Switch case.
#[derive(Debug, Clone)]
pub struct SwitchCase {
    /// The case's name (its key).
    pub name: String,
    /// The `case` value.
    pub value: Value,
    /// Its actions.
    pub actions: Arc<Container>,
}

/// The action catalogue.
#[derive(Debug, Clone)]
pub enum ActionKind {
    /// `Compose`.
    Compose,
    /// `Response`.
    Response,
    /// `InitializeVariable`.
    InitializeVariable,
    /// `SetVariable`.
    SetVariable,
    /// `IncrementVariable`.
    IncrementVariable,
    /// `DecrementVariable`.
    DecrementVariable,
    /// `AppendToArrayVariable`.
    AppendToArrayVariable,
    /// `AppendToStringVariable`.
    AppendToStringVariable,
    /// `If`.
    If {
        /// The condition (a template string or the designer's object form).
        expression: Value,
        /// `actions`.
        actions: Arc<Container>,
        /// `else.actions`.
        else_actions: Arc<Container>,
    },
    /// `Switch`.
    Switch {
        /// The value switched on.
        expression: Value,
        /// `cases`.
        cases: Vec<SwitchCase>,
        /// `default.actions`.
        default: Arc<Container>,
    },
    /// `Foreach`.
    Foreach {
        /// The `foreach` template (must give an array).
        items: Value,
        /// Body.
        actions: Arc<Container>,
        /// Iterations in parallel (1 for `Sequential`).
        concurrency: usize,
    },
    /// `Until`.
    Until {
        /// The exit condition, checked after each iteration.
        expression: Value,
        /// Body.
        actions: Arc<Container>,
        /// `limit.count` (template or number).
        count: Option<Value>,
        /// `limit.timeout` (template or ISO 8601).
        timeout: Option<Value>,
    },
    /// `Scope`.
    Scope {
        /// Body.
        actions: Arc<Container>,
    },
    /// `ParseJson`.
    ParseJson,
    /// `Query` (Filter array).
    Query,
    /// `Select`.
    Select,
    /// `Join`.
    Join,
    /// `Table` (CSV or HTML).
    Table,
    /// `Terminate`.
    Terminate,
    /// `Wait` (Delay, Delay until).
    Wait,
    /// `Workflow` (call a child workflow).
    Workflow,
    /// `Http`.
    Http,
    /// A type Skybridge cannot execute (connectors, code), allowed only with an enabled static
    /// result.
    StaticOnly,
}

impl ActionKind {
    /// The containers nested in a control action.
    pub fn children(&self) -> Vec<&Arc<Container>> {
        match self {
            Self::If {
                actions,
                else_actions,
                ..
            } => vec![actions, else_actions],
            Self::Switch { cases, default, .. } => {
                let mut v: Vec<&Arc<Container>> = cases.iter().map(|c| &c.actions).collect();
                v.push(default);
                v
            }
            Self::Foreach { actions, .. }
            | Self::Until { actions, .. }
            | Self::Scope { actions } => vec![actions],
            _ => Vec::new(),
        }
    }

    /// Whether it contains other actions.
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            Self::If { .. }
                | Self::Switch { .. }
                | Self::Foreach { .. }
                | Self::Until { .. }
                | Self::Scope { .. }
        )
    }
}

/// A trigger.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// Name.
    pub name: String,
    /// `type` as written.
    pub type_name: String,
    /// What fires it.
    pub kind: TriggerKind,
    /// `inputs` (Null when absent).
    pub inputs: Value,
    /// `conditions[].expression`.
    pub conditions: Vec<Value>,
    /// `correlation.clientTrackingId`.
    pub client_tracking_id: Option<Value>,
    /// `runtimeConfiguration.secureData` has `inputs`.
    pub secure_inputs: bool,
    /// `runtimeConfiguration.secureData` has `outputs`.
    pub secure_outputs: bool,
    /// `operationOptions`, lower-cased.
    pub operation_options: Vec<String>,
}

/// Trigger kinds.
#[derive(Debug, Clone)]
pub enum TriggerKind {
    /// `Request` (kind `Http`, the "manual" trigger).
    Request {
        /// Allowed method (upper-cased); any when absent.
        method: Option<String>,
        /// `relativePath` (`orders/{id}`), without leading `/`.
        relative_path: Option<String>,
        /// `schema`.
        schema: Option<Value>,
        /// `operationOptions: EnableSchemaValidation`.
        validate_schema: bool,
    },
    /// `Recurrence`.
    Recurrence(Recurrence),
}

/// Recurrence frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Months.
    Month,
}

impl Frequency {
    /// Parses a frequency, ignoring case.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "second" => Self::Second,
            "minute" => Self::Minute,
            "hour" => Self::Hour,
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            _ => return None,
        })
    }

    /// The largest interval the runtime accepts for this frequency.
    pub fn max_interval(self) -> u64 {
        match self {
            Self::Second => 9_999_999,
            Self::Minute => 72_000,
            Self::Hour => 12_000,
            Self::Day => 500,
            Self::Week => 71,
            Self::Month => 16,
        }
    }
}

/// A Recurrence trigger's `recurrence`.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    /// Frequency.
    pub frequency: Frequency,
    /// Interval (≥ 1).
    pub interval: u64,
    /// `startTime` as written (no offset when `time_zone` is set).
    pub start_time: Option<String>,
    /// Windows (or IANA) time-zone name.
    pub time_zone: Option<String>,
    /// `schedule.hours`.
    pub hours: Vec<u32>,
    /// `schedule.minutes`.
    pub minutes: Vec<u32>,
    /// `schedule.weekDays` as 0 = Sunday … 6 = Saturday.
    pub week_days: Vec<u32>,
    /// `schedule.monthDays`.
    pub month_days: Vec<u32>,
}
