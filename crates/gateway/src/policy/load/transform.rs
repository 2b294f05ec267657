//! Transformation and advanced-flow policies: headers, query, URI, backend, status, body,
//! variables, return/mock responses, forward-request, send-request and trace.

use super::{El, Loader};
use crate::error::{LoadError, LoadErrorKind};
use crate::policy::ast::{
    ExistsAction, ForwardRequest, Kind, ManagedIdentity, Param, ReturnResponse, SendRequest,
    SetHeader, SetStatus, Severity, Trace,
};

pub(super) fn load(ld: &Loader<'_, '_>, name: &str, el: &El<'_>) -> Result<Kind, LoadError> {
    Ok(match name {
        "set-variable" => {
            ld.deny_text(el)?;
            no_children(ld, el)?;
            Kind::SetVariable {
                name: ld.req_literal(el, "name")?,
                value: ld.req_param(el, "value")?,
            }
        }
        "set-header" => Kind::SetHeader(set_header(ld, el)?),
        "set-query-parameter" => Kind::SetQueryParameter(set_header(ld, el)?),
        "rewrite-uri" => {
            ld.deny_text(el)?;
            no_children(ld, el)?;
            Kind::RewriteUri {
                template: ld.req_param(el, "template")?,
                copy_unmatched: ld
                    .literal_bool(el, "copy-unmatched-params")?
                    .unwrap_or(true),
            }
        }
        "set-backend-service" => {
            ld.deny_text(el)?;
            no_children(ld, el)?;
            let base = ld.param(el, "base-url")?;
            let id = ld.literal(el, "backend-id")?;
            match (base, id) {
                (Some(b), None) => Kind::SetBackendService(b),
                (None, Some(id)) => {
                    let url = ld.session.backends.get(&id).ok_or_else(|| {
                        ld.invalid(
                            el,
                            el.attr("backend-id")
                                .map_or(el.e.offset, |a| a.value_offset),
                            "backend-id",
                            format!("no backend named {id:?}"),
                        )
                    })?;
                    Kind::SetBackendService(Param::Const(url.clone()))
                }
                (Some(_), Some(_)) => {
                    return Err(ld.invalid(
                        el,
                        el.e.offset,
                        "base-url",
                        "use either base-url or backend-id, not both",
                    ));
                }
                (None, None) => return Err(ld.missing(el, "base-url")),
            }
        }
        "set-method" => Kind::SetMethod(
            ld.text_param(el)?
                .ok_or_else(|| ld.invalid(el, el.e.offset, "text", "a method is required"))?,
        ),
        "set-status" => Kind::SetStatus(set_status(ld, el)?),
        "set-body" => Kind::SetBody(set_body(ld, el)?),
        "mock-response" => {
            ld.deny_text(el)?;
            no_children(ld, el)?;
            let status = ld.literal_typed(
                el,
                "status-code",
                |s| s.parse::<u16>().ok().filter(|c| (100..=599).contains(c)),
                "a status code",
            )?;
            Kind::MockResponse {
                status: status.unwrap_or(200),
                content_type: ld.literal(el, "content-type")?,
            }
        }
        "return-response" => Kind::ReturnResponse(Box::new(return_response(ld, el)?)),
        "forward-request" => Kind::ForwardRequest(forward_request(ld, el)?),
        "send-request" => Kind::SendRequest(Box::new(send_request(ld, el)?)),
        _ => Kind::Trace(Box::new(trace(ld, el)?)),
    })
}

fn no_children(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<(), LoadError> {
    match el.e.elements().next() {
        Some(child) => Err(ld.unknown_child(el.e, child)),
        None => Ok(()),
    }
}

/// `set-header` / `set-query-parameter` (also inside return-response and send-request).
pub(super) fn set_header(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<SetHeader, LoadError> {
    ld.deny_text(el)?;
    let name = ld.req_param(el, "name")?;
    let action = ld
        .param(el, "exists-action")?
        .unwrap_or(Param::Const("override".into()));
    if let Param::Const(a) = &action
        && ExistsAction::parse(a).is_none()
    {
        let offset = el
            .attr("exists-action")
            .map_or(el.e.offset, |a| a.value_offset);
        return Err(ld.invalid(
            el,
            offset,
            "exists-action",
            "expected override, skip, append or delete",
        ));
    }
    let mut values = Vec::new();
    for child in el.e.elements() {
        if child.name != "value" {
            return Err(ld.unknown_child(el.e, child));
        }
        let v = El::new(child);
        ld.finish(&v)?;
        values.push(ld.text_param(&v)?.unwrap_or(Param::Const(String::new())));
    }
    Ok(SetHeader {
        name,
        action,
        values,
    })
}

fn set_status(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<SetStatus, LoadError> {
    ld.deny_text(el)?;
    no_children(ld, el)?;
    let code = ld
        .param_int(el, "code")?
        .ok_or_else(|| ld.missing(el, "code"))?;
    if let Param::Const(c) = code
        && !(100..=599).contains(&c)
    {
        return Err(ld.invalid(
            el,
            el.e.offset,
            "code",
            format!("{c} is not an HTTP status code"),
        ));
    }
    Ok(SetStatus {
        code,
        reason: ld.param(el, "reason")?,
    })
}

fn set_body(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<Param<String>, LoadError> {
    if let Some(t) = ld.literal(el, "template")? {
        let offset = el.attr("template").map_or(el.e.offset, |a| a.value_offset);
        return Err(ld.error(
            offset,
            LoadErrorKind::Unsupported(format!("set-body template={t:?} (Liquid templates)")),
        ));
    }
    if let Some(nil) = ld.literal(el, "xsi-nil")?
        && nil != "blank"
        && nil != "null"
    {
        return Err(ld.invalid(el, el.e.offset, "xsi-nil", "expected blank or null"));
    }
    Ok(ld.text_param(el)?.unwrap_or(Param::Const(String::new())))
}

fn return_response(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<ReturnResponse, LoadError> {
    ld.deny_text(el)?;
    let mut r = ReturnResponse {
        response_var: ld.literal(el, "response-variable-name")?,
        status: None,
        headers: Vec::new(),
        body: None,
    };
    for child in el.e.elements() {
        let c = El::new(child);
        match child.name.as_str() {
            "set-status" if r.status.is_none() => r.status = Some(set_status(ld, &c)?),
            "set-header" => r.headers.push(set_header(ld, &c)?),
            "set-body" if r.body.is_none() => r.body = Some(set_body(ld, &c)?),
            _ => return Err(ld.unknown_child(el.e, child)),
        }
        ld.finish(&c)?;
    }
    Ok(r)
}

fn forward_request(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<ForwardRequest, LoadError> {
    ld.deny_text(el)?;
    no_children(ld, el)?;
    let secs = ld.param_int(el, "timeout")?;
    let ms = ld.param_int(el, "timeout-ms")?;
    let (timeout, timeout_in_ms) = match (secs, ms) {
        (_, Some(ms)) => (ms, true),
        (Some(secs), None) => (secs, false),
        (None, None) => (Param::Const(300), false),
    };
    if let Some(v) = ld.literal(el, "http-version")?
        && v != "1"
        && v != "2or1"
    {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::Unsupported(format!(
                "forward-request http-version={v:?} (HTTP/2-only backends)"
            )),
        ));
    }
    if el.attr("continue-timeout").is_some() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::Unsupported("forward-request continue-timeout".into()),
        ));
    }
    // Requests and responses are always buffered, so these two change nothing observable
    // except streaming latency; they are accepted and documented.
    ld.literal_bool(el, "buffer-request-body")?;
    ld.literal_bool(el, "buffer-response")?;
    Ok(ForwardRequest {
        timeout,
        timeout_in_ms,
        follow_redirects: ld.literal_bool(el, "follow-redirects")?.unwrap_or(false),
        fail_on_error_status: ld
            .literal_bool(el, "fail-on-error-status-code")?
            .unwrap_or(false),
    })
}

/// `authentication-managed-identity` attributes (also inside send-request).
pub(super) fn managed_identity(
    ld: &Loader<'_, '_>,
    el: &El<'_>,
) -> Result<ManagedIdentity, LoadError> {
    ld.deny_text(el)?;
    no_children(ld, el)?;
    Ok(ManagedIdentity {
        resource: ld.req_param(el, "resource")?,
        client_id: ld.literal(el, "client-id")?,
        output_var: ld.literal(el, "output-token-variable-name")?,
        ignore_error: ld.literal_bool(el, "ignore-error")?.unwrap_or(false),
    })
}

fn send_request(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<SendRequest, LoadError> {
    ld.deny_text(el)?;
    let copy = match ld.literal(el, "mode")?.as_deref() {
        None | Some("new") => false,
        Some("copy") => true,
        Some(other) => {
            return Err(ld.invalid(
                el,
                el.e.offset,
                "mode",
                format!("expected new or copy, found {other:?}"),
            ));
        }
    };
    let mut r = SendRequest {
        copy,
        response_var: ld.req_literal(el, "response-variable-name")?,
        timeout_secs: ld.literal_int(el, "timeout")?.unwrap_or(60),
        ignore_error: ld.literal_bool(el, "ignore-error")?.unwrap_or(false),
        url: None,
        method: None,
        headers: Vec::new(),
        body: None,
        managed_identity: None,
        basic: None,
    };
    for child in el.e.elements() {
        let c = El::new(child);
        match child.name.as_str() {
            "set-url" if r.url.is_none() => r.url = ld.text_param(&c)?,
            "set-method" if r.method.is_none() => r.method = ld.text_param(&c)?,
            "set-header" => r.headers.push(set_header(ld, &c)?),
            "set-body" if r.body.is_none() => r.body = Some(set_body(ld, &c)?),
            "authentication-managed-identity" if r.managed_identity.is_none() => {
                r.managed_identity = Some(managed_identity(ld, &c)?);
            }
            "authentication-basic" if r.basic.is_none() => {
                r.basic = Some((ld.req_param(&c, "username")?, ld.req_param(&c, "password")?));
            }
            "authentication-certificate" | "proxy" => {
                return Err(ld.error(
                    child.offset,
                    LoadErrorKind::Unsupported(format!("<{}> inside send-request", child.name)),
                ));
            }
            _ => return Err(ld.unknown_child(el.e, child)),
        }
        ld.finish(&c)?;
    }
    if !r.copy && r.url.is_none() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "send-request".into(),
                element: "set-url".into(),
            },
        ));
    }
    Ok(r)
}

fn trace(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<Trace, LoadError> {
    ld.deny_text(el)?;
    let severity = match ld.literal(el, "severity")?.as_deref() {
        None | Some("verbose") => Severity::Verbose,
        Some("information") => Severity::Information,
        Some("error") => Severity::Error,
        Some(other) => {
            return Err(ld.invalid(
                el,
                el.e.offset,
                "severity",
                format!("expected verbose, information or error, found {other:?}"),
            ));
        }
    };
    let source = ld.req_literal(el, "source")?;
    let mut message = None;
    let mut metadata = Vec::new();
    for child in el.e.elements() {
        let c = El::new(child);
        match child.name.as_str() {
            "message" if message.is_none() => {
                message = Some(ld.text_param(&c)?.unwrap_or(Param::Const(String::new())))
            }
            "metadata" => metadata.push((ld.req_literal(&c, "name")?, ld.req_param(&c, "value")?)),
            _ => return Err(ld.unknown_child(el.e, child)),
        }
        ld.finish(&c)?;
    }
    let message = message.ok_or_else(|| {
        ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "trace".into(),
                element: "message".into(),
            },
        )
    })?;
    Ok(Trace {
        source,
        severity,
        message,
        metadata,
    })
}
