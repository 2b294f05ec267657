//! Collection functions (arrays, strings and sometimes objects).

use crate::error::ExprError;
use crate::functions::Args;
use crate::functions::logical::{compare, values_equal};
use crate::functions::string::{check_size, from_utf16, utf16};
use crate::text::to_text;
use crate::value::{Obj, Val};

/// `contains`: substring for strings (case-sensitive), item for arrays, key
/// for objects.
pub(crate) fn contains(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let found = match a.get(0) {
        Val::Str(s) => s.contains(to_text(a.get(1)).as_str()),
        Val::Array(items) => items.iter().any(|i| values_equal(i, a.get(1))),
        Val::Object(obj) => match a.get(1) {
            Val::Str(k) => obj.position(k).is_some(),
            _ => false,
        },
        _ => return Err(a.type_error(0, "an object, an array or a string")),
    };
    Ok(Val::Bool(found))
}

/// `empty`: null counts as empty; numbers and booleans are errors (observed).
pub(crate) fn empty(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Bool(match a.get(0) {
        Val::Null => true,
        Val::Str(s) => s.is_empty(),
        Val::Array(items) => items.is_empty(),
        Val::Object(obj) => obj.0.is_empty(),
        _ => return Err(a.type_error(0, "an object, an array or a string")),
    }))
}

fn first_or_last(a: &mut Args, last: bool) -> Result<Val, ExprError> {
    a.exactly(1)?;
    match a.take(0) {
        Val::Str(s) => {
            let units = utf16(&s);
            let pick = if last { units.last() } else { units.first() };
            Ok(Val::Str(
                pick.map(|u| from_utf16(&[*u])).unwrap_or_default(),
            ))
        }
        Val::Array(mut items) => Ok(if last {
            items.pop().unwrap_or(Val::Null)
        } else if items.is_empty() {
            Val::Null
        } else {
            items.swap_remove(0)
        }),
        other => {
            let actual = other.type_name();
            Err(ExprError::ArgType {
                function: a.name.to_owned(),
                position: "first".to_owned(),
                expected: "an array or a string".to_owned(),
                actual: actual.to_owned(),
            })
        }
    }
}

pub(crate) fn first(a: &mut Args) -> Result<Val, ExprError> {
    first_or_last(a, false)
}

pub(crate) fn last(a: &mut Args) -> Result<Val, ExprError> {
    first_or_last(a, true)
}

fn push_unique(out: &mut Vec<Val>, v: Val) {
    if !out.iter().any(|o| values_equal(o, &v)) {
        out.push(v);
    }
}

/// Checks that all arguments are arrays or all are objects.
fn same_kind(a: &Args) -> Result<bool, ExprError> {
    a.count(1, None)?;
    let arrays = (0..a.len()).all(|i| matches!(a.get(i), Val::Array(_)));
    let objects = (0..a.len()).all(|i| matches!(a.get(i), Val::Object(_)));
    if !arrays && !objects {
        return Err(a.invalid("expects parameters of same type: either all arrays or all objects."));
    }
    Ok(arrays)
}

/// `intersection`: items (or key/value pairs) present in every collection,
/// deduplicated in first-appearance order.
pub(crate) fn intersection(a: &mut Args) -> Result<Val, ExprError> {
    let arrays = same_kind(a)?;
    let all = a.take_all();
    let mut iter = all.into_iter();
    let first = iter.next().unwrap_or(Val::Null);
    let rest: Vec<Val> = iter.collect();
    if arrays {
        let Val::Array(items) = first else {
            return Ok(Val::Array(vec![]));
        };
        let mut out = Vec::new();
        for item in items {
            let everywhere = rest.iter().all(|c| match c {
                Val::Array(other) => other.iter().any(|o| values_equal(o, &item)),
                _ => false,
            });
            if everywhere {
                push_unique(&mut out, item);
            }
        }
        return Ok(Val::Array(out));
    }
    let Val::Object(obj) = first else {
        return Ok(Val::Object(Obj::default()));
    };
    let mut out = Obj::default();
    for (key, value) in obj.0 {
        let mut last = value;
        let mut everywhere = true;
        for c in &rest {
            match c {
                Val::Object(other) => match other.0.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) if values_equal(v, &last) => last = v.clone(),
                    _ => everywhere = false,
                },
                _ => everywhere = false,
            }
        }
        if everywhere {
            out.insert_json_key(key, last);
        }
    }
    Ok(Val::Object(out))
}

/// `union`: all items deduplicated in first-appearance order; for objects the
/// last value of a key wins but the key keeps its first position (observed).
pub(crate) fn union(a: &mut Args) -> Result<Val, ExprError> {
    let arrays = same_kind(a)?;
    if arrays {
        let mut out = Vec::new();
        for c in a.take_all() {
            if let Val::Array(items) = c {
                items.into_iter().for_each(|i| push_unique(&mut out, i));
            }
        }
        return Ok(Val::Array(out));
    }
    let mut out = Obj::default();
    for c in a.take_all() {
        if let Val::Object(obj) = c {
            for (k, v) in obj.0 {
                match out.0.iter_mut().find(|(k2, _)| *k2 == k) {
                    Some(slot) => slot.1 = v,
                    None => out.0.push((k, v)),
                }
            }
        }
    }
    Ok(Val::Object(out))
}

/// `join(array, delimiter)`: items in their display form.
pub(crate) fn join(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let delim = a.str(1)?.to_owned();
    let Val::Array(items) = a.get(0) else {
        return Err(a.type_error(0, "an array"));
    };
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&delim);
        }
        out.push_str(&to_text(item));
        check_size(out.len())?;
    }
    Ok(Val::Str(out))
}

pub(crate) fn reverse(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    match a.take(0) {
        Val::Array(mut items) => {
            items.reverse();
            Ok(Val::Array(items))
        }
        other => Err(type_err(a, &other, "an array")),
    }
}

fn type_err(a: &Args, v: &Val, expected: &str) -> ExprError {
    ExprError::ArgType {
        function: a.name.to_owned(),
        position: "first".to_owned(),
        expected: expected.to_owned(),
        actual: v.type_name().to_owned(),
    }
}

/// Shared by `skip` and `take`: a negative count counts as zero.
fn skip_take(a: &mut Args, take: bool) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let n = a.int(1)?.max(0) as usize;
    match a.take(0) {
        Val::Array(mut items) => {
            let n = n.min(items.len());
            Ok(Val::Array(if take {
                items.truncate(n);
                items
            } else {
                items.split_off(n)
            }))
        }
        Val::Str(s) => {
            let units = utf16(&s);
            let n = n.min(units.len());
            Ok(Val::Str(from_utf16(if take {
                &units[..n]
            } else {
                &units[n..]
            })))
        }
        other => Err(type_err(a, &other, "an array or a string")),
    }
}

pub(crate) fn skip(a: &mut Args) -> Result<Val, ExprError> {
    skip_take(a, false)
}

pub(crate) fn take(a: &mut Args) -> Result<Val, ExprError> {
    skip_take(a, true)
}

/// `sort(array, key?)`: a stable sort on simple values, or on the `key`
/// property of object items.
pub(crate) fn sort(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, Some(2))?;
    let key = a.opt_str(1)?.map(str::to_owned);
    let Val::Array(items) = a.take(0) else {
        return Err(a.type_error(0, "an array"));
    };
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let k = match &key {
            None => item.clone(),
            Some(name) => match &item {
                Val::Object(obj) => obj.get(name).cloned().unwrap_or(Val::Null),
                _ => {
                    return Err(a.invalid(format!(
                        "expects the items of the array to be objects with the property '{name}'."
                    )));
                }
            },
        };
        if matches!(k, Val::Array(_) | Val::Object(_)) {
            return Err(a.invalid(
                "can only sort by values of a simple type (integer, float, string or boolean).",
            ));
        }
        keyed.push((k, item));
    }
    let mut failed = false;
    keyed.sort_by(|x, y| {
        compare(&x.0, &y.0).unwrap_or_else(|| {
            failed = true;
            std::cmp::Ordering::Equal
        })
    });
    if failed {
        return Err(a.invalid("cannot compare items of different types."));
    }
    Ok(Val::Array(keyed.into_iter().map(|(_, v)| v).collect()))
}

/// `chunk(collection, length)`: consecutive pieces of at most `length`.
pub(crate) fn chunk(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let n = a.int(1)?;
    if n <= 0 {
        return Err(a.invalid("expects its second parameter 'length' to be a positive integer."));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    match a.take(0) {
        Val::Str(s) => Ok(Val::Array(
            utf16(&s)
                .chunks(n)
                .map(|c| Val::Str(from_utf16(c)))
                .collect(),
        )),
        Val::Array(items) => Ok(Val::Array(
            items.chunks(n).map(|c| Val::Array(c.to_vec())).collect(),
        )),
        other => Err(type_err(a, &other, "an array or a string")),
    }
}
