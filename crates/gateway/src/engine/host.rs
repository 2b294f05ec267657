//! The `context` object model: how expressions read the request in flight through
//! [`Host`] (`context.Request.Headers`, `context.Subscription.Id`, bodies, variables, …).

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;

use super::state::Exec;
use crate::expr::{Dict, EvalError, Host, Obj, Side, Value};

fn header_dict(h: &HeaderMap) -> Dict {
    let mut d = Dict {
        ignore_case: true,
        ..Dict::default()
    };
    for name in h.keys() {
        let values: Vec<String> = h
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        d.entries.push((name.as_str().to_owned(), values));
    }
    d
}

fn opt_obj(present: bool, obj: Obj) -> Value {
    if present {
        Value::Obj(obj)
    } else {
        Value::Null
    }
}

impl Host for Exec<'_> {
    fn now_ms(&self) -> i64 {
        self.services.clock.now_ms()
    }

    fn property(&mut self, obj: Obj, name: &str) -> Result<Value, EvalError> {
        let s = |v: &str| Value::str(v);
        let facts = self.facts;
        Ok(match (obj, name) {
            (Obj::Context, "Api") => Value::Obj(Obj::Api),
            (Obj::Context, "Deployment") => Value::Obj(Obj::Deployment),
            (Obj::Context, "Elapsed") => Value::TimeSpan(self.now_ms() - self.started_ms),
            (Obj::Context, "LastError") => opt_obj(self.last_error.is_some(), Obj::LastError),
            (Obj::Context, "Operation") => Value::Obj(Obj::Operation),
            (Obj::Context, "Product") => opt_obj(facts.product.is_some(), Obj::Product),
            (Obj::Context, "Request") => Value::Obj(Obj::Request),
            (Obj::Context, "RequestId") => Value::Guid(self.request_id),
            (Obj::Context, "Response") => Value::Obj(Obj::Response),
            (Obj::Context, "Subscription") => {
                opt_obj(facts.subscription.is_some(), Obj::Subscription)
            }
            (Obj::Context, "Timestamp") => Value::DateTime(self.started_ms),
            (Obj::Context, "Tracing") => Value::Bool(false),
            (Obj::Context, "User") => opt_obj(facts.user.is_some(), Obj::User),
            (Obj::Context, "Variables") => Value::Obj(Obj::Variables),
            (Obj::Request, "Body") => Value::Obj(Obj::Body(Side::Request)),
            (Obj::Request, "Headers") => Value::Dict(Arc::new(header_dict(&self.request.headers))),
            (Obj::Request, "IpAddress") => s(&self.request.client_ip.to_string()),
            (Obj::Request, "MatchedParameters") => Value::Dict(Arc::new(Dict {
                entries: facts
                    .matched
                    .iter()
                    .map(|(k, v)| (k.clone(), vec![v.clone()]))
                    .collect(),
                ignore_case: true,
                single: true,
            })),
            (Obj::Request, "Method") => s(&self.request.method),
            (Obj::Request, "Url") => Value::Url(Arc::new(self.request.url())),
            (Obj::Request, "OriginalUrl") => Value::Url(self.request.original.get().clone()),
            (Obj::Response, "Body") => Value::Obj(Obj::Body(Side::Response)),
            (Obj::Response, "Headers") => {
                Value::Dict(Arc::new(header_dict(&self.response.headers)))
            }
            (Obj::Response, "StatusCode") => Value::Int(i64::from(self.response.status)),
            (Obj::Response, "StatusReason") => {
                s(&self.response.reason.clone().unwrap_or_else(|| {
                    http::StatusCode::from_u16(self.response.status)
                        .ok()
                        .and_then(|c| c.canonical_reason())
                        .unwrap_or("")
                        .to_owned()
                }))
            }
            (Obj::Variables, "Count") => Value::Int(self.vars.len() as i64),
            (Obj::Subscription, _) => {
                let sub = facts.subscription.as_deref().cloned().unwrap_or_default();
                match name {
                    "Id" => s(&sub.id),
                    "Name" => s(&sub.name),
                    "Key" => s(&sub.key),
                    "PrimaryKey" => s(&sub.primary_key),
                    "SecondaryKey" => s(&sub.secondary_key),
                    _ => Value::Null,
                }
            }
            (Obj::User, _) => {
                let u = facts.user.as_deref().cloned().unwrap_or_default();
                match name {
                    "Id" => s(&u.id),
                    "Email" => s(&u.email),
                    "FirstName" => s(&u.first_name),
                    "LastName" => s(&u.last_name),
                    _ => s(""),
                }
            }
            (Obj::LastError, _) => {
                let e = self.last_error.clone().unwrap_or_default();
                s(match name {
                    "Source" => &e.source,
                    "Reason" => &e.reason,
                    "Message" => &e.message,
                    "Scope" => &e.scope,
                    "Section" => &e.section,
                    "Path" => &e.path,
                    _ => &e.policy_id,
                })
            }
            (Obj::Api, "ServiceUrl") => match &facts.api.service_url {
                Some(u) => Value::Url(Arc::new(u.clone())),
                None => Value::Null,
            },
            (Obj::Api, "IsCurrentRevision") => Value::Bool(true),
            (Obj::Api, _) => s(match name {
                "Id" => &facts.api.id,
                "Name" => &facts.api.name,
                "Path" => &facts.api.path,
                "Version" => &facts.api.version,
                _ => &facts.api.revision,
            }),
            (Obj::Operation, _) => s(match name {
                "Id" => &facts.operation.id,
                "Name" => &facts.operation.name,
                "Method" => &facts.operation.method,
                _ => &facts.operation.url_template,
            }),
            (Obj::Product, _) => {
                let p = facts.product.as_deref().cloned().unwrap_or_default();
                match name {
                    "SubscriptionRequired" => Value::Bool(p.subscription_required),
                    "ApprovalRequired" => Value::Bool(false),
                    "State" => s("published"),
                    "Name" => s(&p.name),
                    _ => s(&p.id),
                }
            }
            (Obj::Deployment, _) => {
                let d = &self.services.deployment;
                s(match name {
                    "Region" => &d.region,
                    "ServiceName" => &d.service_name,
                    "GatewayId" => &d.gateway_id,
                    _ => &d.service_id,
                })
            }
            (o, n) => {
                return Err(EvalError(format!(
                    "'{o:?}' does not contain a definition for '{n}'"
                )));
            }
        })
    }

    fn variable(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn variable_count(&self) -> usize {
        self.vars.len()
    }

    fn read_body(&mut self, side: Side, preserve: bool) -> Result<Bytes, EvalError> {
        let body = match side {
            Side::Request => &mut self.request.body,
            Side::Response => &mut self.response.body,
        };
        let bytes = body.clone();
        if !preserve {
            // APIM streams the body once; reading it without preserveContent consumes it.
            *body = Bytes::new();
        }
        Ok(bytes)
    }

    fn trace(&mut self, message: String) {
        Exec::trace(self, "context.Trace", "verbose", message);
    }
}
