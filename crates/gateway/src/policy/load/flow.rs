//! `choose` / `when` / `otherwise`.

use super::{El, Loader};
use crate::error::{LoadError, LoadErrorKind};
use crate::policy::ast::{Kind, Section, When};

pub(super) fn choose(
    ld: &Loader<'_, '_>,
    el: &El<'_>,
    path: &str,
    section: Option<Section>,
) -> Result<Kind, LoadError> {
    ld.deny_text(el)?;
    let mut whens = Vec::new();
    let mut otherwise = None;
    let (mut when_index, mut other_index) = (0, 0);
    for child in el.e.elements() {
        match child.name.as_str() {
            "when" => {
                when_index += 1;
                if otherwise.is_some() {
                    return Err(ld.error(
                        child.offset,
                        LoadErrorKind::Syntax("<when> after <otherwise>".into()),
                    ));
                }
                let w = El::new(child);
                let condition = ld
                    .param_bool(&w, "condition")?
                    .ok_or_else(|| ld.missing(&w, "condition"))?;
                ld.finish(&w)?;
                let policies = ld.policies(child, &format!("{path}/when[{when_index}]"), section);
                whens.push(When {
                    condition,
                    policies,
                });
            }
            "otherwise" => {
                other_index += 1;
                if otherwise.is_some() {
                    return Err(ld.error(
                        child.offset,
                        LoadErrorKind::Syntax("more than one <otherwise>".into()),
                    ));
                }
                let o = El::new(child);
                ld.finish(&o)?;
                otherwise =
                    Some(ld.policies(child, &format!("{path}/otherwise[{other_index}]"), section));
            }
            _ => return Err(ld.unknown_child(el.e, child)),
        }
    }
    if whens.is_empty() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "choose".into(),
                element: "when".into(),
            },
        ));
    }
    Ok(Kind::Choose {
        whens,
        otherwise: otherwise.unwrap_or_default(),
    })
}
