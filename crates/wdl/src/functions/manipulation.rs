//! JSON and XML manipulation: `addProperty`, `setProperty`,
//! `removeProperty`, `xpath`. (`coalesce` is lazy and lives in the
//! evaluator.)
//!
//! Property names match the way member access does: exact case first, then
//! ignoring case. `setProperty` moves the property to the end and keeps the
//! existing key's spelling (observed in the runtime).

use crate::error::ExprError;
use crate::functions::Args;
use crate::value::{Obj, Val};
use crate::xml;

fn object_and_name(a: &mut Args, arity: usize) -> Result<(Obj, String), ExprError> {
    a.exactly(arity)?;
    let name = match a.get(1) {
        Val::Str(s) => s.clone(),
        _ => return Err(a.type_error(1, "of type string")),
    };
    match a.take(0) {
        Val::Object(obj) => Ok((obj, name)),
        other => Err(ExprError::ArgType {
            function: a.name.to_owned(),
            position: "first".to_owned(),
            expected: "of type object".to_owned(),
            actual: other.type_name().to_owned(),
        }),
    }
}

pub(crate) fn add_property(a: &mut Args) -> Result<Val, ExprError> {
    let (mut obj, name) = object_and_name(a, 3)?;
    if obj.position(&name).is_some() {
        return Err(a.invalid(format!(
            "expects the property '{name}' to not exist in the object; use setProperty to change it."
        )));
    }
    obj.0.push((name, a.take(2)));
    Ok(Val::Object(obj))
}

pub(crate) fn set_property(a: &mut Args) -> Result<Val, ExprError> {
    let (mut obj, name) = object_and_name(a, 3)?;
    let key = match obj.position(&name) {
        Some(i) => obj.0.remove(i).0,
        None => name,
    };
    obj.0.push((key, a.take(2)));
    Ok(Val::Object(obj))
}

pub(crate) fn remove_property(a: &mut Args) -> Result<Val, ExprError> {
    let (mut obj, name) = object_and_name(a, 2)?;
    if let Some(i) = obj.position(&name) {
        obj.0.remove(i);
    }
    Ok(Val::Object(obj))
}

/// `xpath(xml, expression)`: the first argument must be XML (observed: a
/// plain string is refused); node sets come back as arrays.
pub(crate) fn xpath(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let expr = a.str(1)?.to_owned();
    let Some(content) = a.get(0).as_content().filter(|c| c.is_xml()) else {
        return Err(a.type_error(0, "an XML object"));
    };
    xml::xpath::evaluate(&content.text(), &expr).map_err(|m| a.invalid(m))
}
