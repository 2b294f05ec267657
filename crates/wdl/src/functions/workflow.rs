//! Workflow functions: everything that reads run-time state through the
//! [`Context`](crate::Context).

use serde_json::Value;

use crate::error::ExprError;
use crate::eval::select;
use crate::functions::Args;
use crate::functions::encoding::percent_decode;
use crate::value::Val;

fn convert(v: &Value) -> Result<Val, ExprError> {
    Val::from_json(v)
}

fn required(_a: &Args, v: Option<Value>, what: String) -> Result<Val, ExprError> {
    match v {
        Some(v) => convert(&v),
        None => Err(ExprError::not_found(what)),
    }
}

/// Reads `path` from `v`, giving null where a step is missing.
fn path(v: Val, steps: &[&str]) -> Val {
    steps.iter().fold(v, |cur, step| {
        select(cur, &Val::Str((*step).to_owned()), true).unwrap_or(Val::Null)
    })
}

pub(crate) fn parameters(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    required(
        a,
        a.ctx.parameter(&name),
        format!("The workflow parameter '{name}' is not found."),
    )
}

pub(crate) fn variables(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    required(
        a,
        a.ctx.variable(&name),
        format!("The variable '{name}' is not initialized."),
    )
}

pub(crate) fn appsetting(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    match a.ctx.app_setting(&name) {
        Some(s) => Ok(Val::Str(s)),
        None => Err(ExprError::not_found(format!(
            "The app setting '{name}' is not found."
        ))),
    }
}

fn trigger_val(a: &Args) -> Result<Val, ExprError> {
    required(
        a,
        a.ctx.trigger(),
        "The trigger result is not available.".to_owned(),
    )
}

fn action_val(a: &Args, name: &str) -> Result<Val, ExprError> {
    required(
        a,
        a.ctx.action(name),
        format!("The action '{name}' is not defined or has not run yet."),
    )
}

pub(crate) fn trigger(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    trigger_val(a)
}

pub(crate) fn trigger_outputs(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    Ok(path(trigger_val(a)?, &["outputs"]))
}

pub(crate) fn trigger_body(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    Ok(path(trigger_val(a)?, &["outputs", "body"]))
}

pub(crate) fn action(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    required(
        a,
        a.ctx.current_action(),
        "action() can only be used in trackedProperties, Until conditions and webhook unsubscribe."
            .to_owned(),
    )
}

pub(crate) fn actions(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    action_val(a, &name)
}

pub(crate) fn outputs(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    Ok(path(action_val(a, &name)?, &["outputs"]))
}

pub(crate) fn body(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    Ok(path(action_val(a, &name)?, &["outputs", "body"]))
}

/// All `(key, value)` pairs of a form body: a `$formdata` list, a
/// `$multipart` list with `Content-Disposition` names, an urlencoded content
/// envelope, or an urlencoded string.
fn form_pairs(body: &Val) -> Vec<(String, Val)> {
    let decode = |s: &str| String::from_utf8_lossy(&percent_decode(s, true)).into_owned();
    let from_query = |q: &str| {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), Val::Str(decode(v)))
            })
            .collect::<Vec<_>>()
    };
    match body {
        Val::Str(s) => from_query(s),
        Val::Object(obj) => {
            if let Some(Val::Array(items)) = obj.get("$formdata") {
                return items
                    .iter()
                    .filter_map(|i| match i {
                        Val::Object(o) => match (o.get("key"), o.get("value")) {
                            (Some(Val::Str(k)), v) => {
                                Some((k.clone(), v.cloned().unwrap_or(Val::Null)))
                            }
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
            }
            if let Some(Val::Array(parts)) = obj.get("$multipart") {
                return parts
                    .iter()
                    .filter_map(|p| {
                        let Val::Object(o) = p else { return None };
                        let Some(Val::Object(h)) = o.get("headers") else {
                            return None;
                        };
                        let Some(Val::Str(cd)) = h.get("Content-Disposition") else {
                            return None;
                        };
                        let name = cd.split(';').find_map(|s| {
                            s.trim()
                                .strip_prefix("name=")
                                .map(|n| n.trim_matches('"').to_owned())
                        })?;
                        Some((name, o.get("body").cloned().unwrap_or(Val::Null)))
                    })
                    .collect();
            }
            match body.as_content() {
                Some(c) => from_query(&c.text()),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn form_values(body: &Val, key: &str) -> Vec<Val> {
    form_pairs(body)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

fn single_form_value(a: &Args, body: &Val, key: &str) -> Result<Val, ExprError> {
    let mut values = form_values(body, key);
    match values.len() {
        0 => Ok(Val::Null),
        1 => Ok(values.swap_remove(0)),
        n => Err(a.invalid(format!(
            "found {n} values for the key '{key}'; use formDataMultiValues for keys with several values."
        ))),
    }
}

pub(crate) fn form_data_value(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (name, key) = (a.str(0)?.to_owned(), a.str(1)?.to_owned());
    let body = path(action_val(a, &name)?, &["outputs", "body"]);
    single_form_value(a, &body, &key)
}

pub(crate) fn form_data_multi_values(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (name, key) = (a.str(0)?.to_owned(), a.str(1)?.to_owned());
    let body = path(action_val(a, &name)?, &["outputs", "body"]);
    Ok(Val::Array(form_values(&body, &key)))
}

pub(crate) fn trigger_form_data_value(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let key = a.str(0)?.to_owned();
    let body = path(trigger_val(a)?, &["outputs", "body"]);
    single_form_value(a, &body, &key)
}

pub(crate) fn trigger_form_data_multi_values(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let key = a.str(0)?.to_owned();
    let body = path(trigger_val(a)?, &["outputs", "body"]);
    Ok(Val::Array(form_values(&body, &key)))
}

fn multipart_part(a: &Args, body: Val, index: i64) -> Result<Val, ExprError> {
    let parts = path(body, &["$multipart"]);
    let Val::Array(mut parts) = parts else {
        return Err(a.invalid("expects the body to have multiple parts ('$multipart')."));
    };
    if index < 0 || index as usize >= parts.len() {
        return Err(a.invalid(format!(
            "was invoked with index {index}, but the body has {} parts.",
            parts.len()
        )));
    }
    Ok(path(parts.swap_remove(index as usize), &["body"]))
}

pub(crate) fn multipart_body(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (name, index) = (a.str(0)?.to_owned(), a.int(1)?);
    let body = path(action_val(a, &name)?, &["outputs", "body"]);
    multipart_part(a, body, index)
}

pub(crate) fn trigger_multipart_body(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let index = a.int(0)?;
    let body = path(trigger_val(a)?, &["outputs", "body"]);
    multipart_part(a, body, index)
}

pub(crate) fn item(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    required(
        a,
        a.ctx.item(),
        "item() can only be used inside a Foreach loop or a data operation.".to_owned(),
    )
}

pub(crate) fn items(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    required(
        a,
        a.ctx.items(&name),
        format!("The loop '{name}' is not an enclosing Foreach loop."),
    )
}

pub(crate) fn iteration_indexes(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    match a.ctx.iteration_index(&name) {
        Some(i) => Ok(Val::Int(i)),
        None => Err(ExprError::not_found(format!(
            "The loop '{name}' is not an enclosing Until loop."
        ))),
    }
}

pub(crate) fn list_callback_url(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    match a.ctx.list_callback_url() {
        Some(u) => Ok(Val::Str(u)),
        None => Err(ExprError::not_found(
            "listCallbackUrl() is only available in HttpWebhook and ApiConnectionWebhook triggers and actions.",
        )),
    }
}

pub(crate) fn result(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let name = a.str(0)?.to_owned();
    required(
        a,
        a.ctx.result(&name),
        format!("The scope '{name}' is not defined or has not finished."),
    )
}

pub(crate) fn workflow(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(0)?;
    required(
        a,
        a.ctx.workflow(),
        "The workflow object is not available.".to_owned(),
    )
}
