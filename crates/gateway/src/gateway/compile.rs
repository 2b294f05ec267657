//! Configuration → the immutable runtime snapshot a request works against: APIs with parsed
//! templates, subscriptions by key, and the effective policy of every (operation, product
//! context), composed at load time. All problems are reported together.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderName;

use super::routing::{Template, parse_template};
use crate::config::{GatewayConfig, PolicySource};
use crate::engine::state::{
    ApiInfo, BackendBase, OperationInfo, ProductInfo, SubscriptionInfo, UserInfo,
};
use crate::error::{LoadError, LoadErrorKind, LoadErrors};
use crate::expr::UrlValue;
use crate::policy::ast::Document;
use crate::policy::compose::{Program, Scopes, compose};
use crate::policy::load::{Session, Source};

/// Entra's public authority, the default for `validate-azure-ad-token`.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// An operation ready for matching.
#[derive(Debug)]
pub struct OpRt {
    /// `context.Operation`.
    pub info: Arc<OperationInfo>,
    /// Upper-case method or `*`.
    pub method: String,
    /// Parsed template.
    pub template: Template,
    /// Effective policy by product context (`None`: no product).
    pub programs: HashMap<Option<String>, Arc<Program>>,
}

/// An API ready for matching.
#[derive(Debug)]
pub struct ApiRt {
    /// `context.Api`.
    pub info: Arc<ApiInfo>,
    /// Path segments.
    pub segments: Vec<String>,
    /// Backend base.
    pub backend: Option<Arc<BackendBase>>,
    /// Whether keys are required (absent an open product).
    pub subscription_required: bool,
    /// Key header.
    pub key_header: HeaderName,
    /// Key header as configured (APIM names it in this case in its 401 challenge).
    pub key_header_name: String,
    /// Key query parameter.
    pub key_query: String,
    /// Operations.
    pub operations: Vec<OpRt>,
    /// The open product containing it, if any.
    pub open_product: Option<String>,
}

/// What a subscription grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubScope {
    /// All APIs.
    All,
    /// One product.
    Product(String),
    /// One API.
    Api(String),
}

/// A subscription.
#[derive(Debug)]
pub struct SubRt {
    /// `context.Subscription` (its `key` is filled per request).
    pub info: SubscriptionInfo,
    /// Scope.
    pub scope: SubScope,
    /// Only active subscriptions grant access.
    pub active: bool,
    /// Owner.
    pub user: Option<Arc<UserInfo>>,
}

/// A product.
#[derive(Debug)]
pub struct ProductRt {
    /// `context.Product`.
    pub info: Arc<ProductInfo>,
    /// API ids.
    pub apis: Vec<String>,
}

/// The compiled gateway.
#[derive(Debug)]
pub struct Compiled {
    /// APIs, longest path first.
    pub apis: Vec<ApiRt>,
    /// Products by id.
    pub products: HashMap<String, ProductRt>,
    /// Subscriptions by key (primary and secondary).
    pub subscriptions: HashMap<String, Arc<SubRt>>,
    /// The global-scope program (for failures before an operation is known).
    pub global: Arc<Program>,
    /// Policy files read, with their modification times.
    pub files: Vec<(PathBuf, Option<SystemTime>)>,
    /// Strip the key before forwarding.
    pub strip_key: bool,
    /// Request body limit.
    pub max_body: usize,
}

struct Builder<'c> {
    base: Option<&'c Path>,
    errors: Vec<LoadError>,
    files: Vec<(PathBuf, Option<SystemTime>)>,
}

fn config_error(what: impl Into<String>) -> LoadError {
    LoadError::at_start("config", LoadErrorKind::Config(what.into()))
}

impl Builder<'_> {
    fn source(&mut self, src: &PolicySource, inline_label: String) -> Option<Source> {
        if let Some(xml) = src.inline() {
            return Some(Source {
                label: inline_label,
                text: xml.to_owned(),
            });
        }
        let file = src.file()?;
        let path = match self.base {
            Some(base) if file.is_relative() => base.join(&file),
            _ => file,
        };
        let label = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                self.files.push((path, mtime));
                Some(Source { label, text })
            }
            Err(e) => {
                self.errors
                    .push(LoadError::at_start(label, LoadErrorKind::Io(e.to_string())));
                self.files.push((path, None));
                None
            }
        }
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Compiles `config`; relative policy files resolve against `base`.
pub fn compile(config: &GatewayConfig, base: Option<&Path>) -> Result<Compiled, LoadErrors> {
    let mut b = Builder {
        base,
        errors: Vec::new(),
        files: Vec::new(),
    };

    let mut named = HashMap::new();
    for nv in &config.named_values {
        if !valid_name(&nv.name) {
            b.errors.push(config_error(format!(
                "named value {:?}: names use letters, digits, '.', '-', '_'",
                nv.name
            )));
        }
        if named.insert(nv.name.clone(), nv.value.clone()).is_some() {
            b.errors.push(config_error(format!(
                "named value {:?} is defined twice",
                nv.name
            )));
        }
    }
    let mut fragments = HashMap::new();
    for (id, src) in &config.fragments {
        if let Some(s) = b.source(src, format!("inline:fragment:{id}")) {
            fragments.insert(id.clone(), s);
        }
    }
    let backends: HashMap<String, String> = config
        .backends
        .iter()
        .map(|x| (x.name.clone(), x.url.clone()))
        .collect();
    let authority = config.authority_url.as_deref().unwrap_or(DEFAULT_AUTHORITY);
    let session = Session::new(&named, &fragments, &backends, authority);

    let load = |b: &mut Builder<'_>, src: &PolicySource, label: String| -> Option<Document> {
        let source = b.source(src, label)?;
        session.document(&source)
    };
    let global = config
        .policies
        .global
        .as_ref()
        .and_then(|s| load(&mut b, s, "inline:global".into()));
    let mut product_docs = BTreeMap::new();
    for (id, s) in &config.policies.products {
        if !config.products.iter().any(|p| &p.name == id) {
            b.errors.push(config_error(format!(
                "policies.products names unknown product {id:?}"
            )));
        }
        if let Some(d) = load(&mut b, s, format!("inline:product:{id}")) {
            product_docs.insert(id.clone(), d);
        }
    }
    let mut api_docs = BTreeMap::new();
    for (id, s) in &config.policies.apis {
        if !config.apis.iter().any(|a| &a.name == id) {
            b.errors.push(config_error(format!(
                "policies.apis names unknown API {id:?}"
            )));
        }
        if let Some(d) = load(&mut b, s, format!("inline:api:{id}")) {
            api_docs.insert(id.clone(), d);
        }
    }
    let mut op_docs = BTreeMap::new();
    for (id, s) in &config.policies.operations {
        if let Some(d) = load(&mut b, s, format!("inline:operation:{id}")) {
            op_docs.insert(id.clone(), d);
        }
    }
    b.errors.extend(session.take_errors());

    // Products.
    let mut products = HashMap::new();
    for p in &config.products {
        for api in &p.apis {
            if !config.apis.iter().any(|a| &a.name == api) {
                b.errors.push(config_error(format!(
                    "product {:?} names unknown API {api:?}",
                    p.name
                )));
            }
        }
        let info = ProductInfo {
            id: p.name.clone(),
            name: p.display_name.clone().unwrap_or_else(|| p.name.clone()),
            subscription_required: p.subscription_required,
        };
        if products
            .insert(
                p.name.clone(),
                ProductRt {
                    info: Arc::new(info),
                    apis: p.apis.clone(),
                },
            )
            .is_some()
        {
            b.errors.push(config_error(format!(
                "product {:?} is defined twice",
                p.name
            )));
        }
    }

    // APIs and operations, with their programs.
    let mut apis = Vec::new();
    let mut known_ops = Vec::new();
    for a in &config.apis {
        if apis.iter().any(|x: &ApiRt| x.info.id == a.name) {
            b.errors
                .push(config_error(format!("API {:?} is defined twice", a.name)));
            continue;
        }
        let backend = match &a.service_url {
            Some(u) => match BackendBase::parse(u) {
                Some(base) => Some(Arc::new(base)),
                None => {
                    b.errors.push(config_error(format!(
                        "API {:?}: service_url {u:?} is not an absolute http(s) URL",
                        a.name
                    )));
                    None
                }
            },
            None => None,
        };
        let key_header_name = a
            .subscription_key_header
            .as_deref()
            .unwrap_or("Ocp-Apim-Subscription-Key");
        let Ok(key_header) = HeaderName::from_bytes(key_header_name.as_bytes()) else {
            b.errors.push(config_error(format!(
                "API {:?}: {key_header_name:?} is not a header name",
                a.name
            )));
            continue;
        };
        let open: Vec<&String> = config
            .products
            .iter()
            .filter(|p| !p.subscription_required && p.apis.contains(&a.name))
            .map(|p| &p.name)
            .collect();
        if open.len() > 1 {
            b.errors.push(config_error(format!(
                "API {:?} is in more than one open product ({open:?}); APIM allows one",
                a.name
            )));
        }
        let segments: Vec<String> = a
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let info = Arc::new(ApiInfo {
            id: a.name.clone(),
            name: a.display_name.clone().unwrap_or_else(|| a.name.clone()),
            path: segments.join("/"),
            service_url: backend.as_deref().map(|bb| UrlValue {
                scheme: bb.scheme.clone(),
                host: bb.host.clone(),
                port: bb.port,
                path: if bb.path.is_empty() {
                    "/".into()
                } else {
                    bb.path.clone()
                },
                query: Vec::new(),
            }),
            version: a.version.clone().unwrap_or_default(),
            revision: a.revision.clone().unwrap_or_else(|| "1".into()),
        });
        let containing: Vec<&String> = config
            .products
            .iter()
            .filter(|p| p.apis.contains(&a.name))
            .map(|p| &p.name)
            .collect();
        let mut operations = Vec::new();
        for (i, op) in a.operations.iter().enumerate() {
            let Some((id, name, method, template_text)) = op.parts() else {
                b.errors.push(config_error(format!(
                    "API {:?} operation {}: expected \"METHOD /template\"",
                    a.name,
                    i + 1
                )));
                continue;
            };
            let template = match parse_template(&template_text) {
                Ok(t) => t,
                Err(e) => {
                    b.errors.push(config_error(format!(
                        "API {:?} operation {id:?}: {e}",
                        a.name
                    )));
                    continue;
                }
            };
            if operations.iter().any(|o: &OpRt| o.info.id == id) {
                b.errors.push(config_error(format!(
                    "API {:?}: operation {id:?} is defined twice",
                    a.name
                )));
                continue;
            }
            known_ops.push(format!("{}/{id}", a.name));
            let op_doc = op_docs.get(&format!("{}/{id}", a.name));
            let scopes = Scopes {
                global: global.as_ref(),
                product: None,
                api: api_docs.get(&a.name),
                operation: op_doc,
            };
            let mut programs = HashMap::new();
            programs.insert(None, Arc::new(compose(&scopes)));
            for p in &containing {
                let with_product = Scopes {
                    product: product_docs.get(*p),
                    ..scopes
                };
                programs.insert(Some((*p).clone()), Arc::new(compose(&with_product)));
            }
            operations.push(OpRt {
                info: Arc::new(OperationInfo {
                    id,
                    name,
                    method: method.clone(),
                    url_template: template_text,
                }),
                method,
                template,
                programs,
            });
        }
        apis.push(ApiRt {
            info,
            segments,
            backend,
            subscription_required: a.subscription_required,
            key_header,
            key_header_name: key_header_name.to_owned(),
            key_query: a
                .subscription_key_query
                .clone()
                .unwrap_or_else(|| "subscription-key".into()),
            operations,
            open_product: open.first().map(|s| (*s).clone()),
        });
    }
    for id in config.policies.operations.keys() {
        if !known_ops.contains(id) {
            b.errors.push(config_error(format!(
                "policies.operations names unknown operation {id:?} (use \"api/operation\")"
            )));
        }
    }
    for (i, x) in apis.iter().enumerate() {
        if apis[..i].iter().any(|y| {
            y.segments
                .join("/")
                .eq_ignore_ascii_case(&x.segments.join("/"))
        }) {
            b.errors.push(config_error(format!(
                "API {:?} has the same path as another API",
                x.info.id
            )));
        }
    }
    apis.sort_by_key(|a| std::cmp::Reverse(a.segments.len()));

    // Subscriptions.
    let mut subscriptions = HashMap::new();
    for s in &config.subscriptions {
        let scope = if s.scope == "all" || s.scope == "/apis" {
            SubScope::All
        } else if let Some(p) = s
            .scope
            .strip_prefix("product:")
            .or_else(|| s.scope.strip_prefix("/products/"))
        {
            if !products.contains_key(p) {
                b.errors.push(config_error(format!(
                    "subscription {:?} names unknown product {p:?}",
                    s.name
                )));
            }
            SubScope::Product(p.to_owned())
        } else if let Some(a) = s
            .scope
            .strip_prefix("api:")
            .or_else(|| s.scope.strip_prefix("/apis/"))
        {
            if !config.apis.iter().any(|x| x.name == a) {
                b.errors.push(config_error(format!(
                    "subscription {:?} names unknown API {a:?}",
                    s.name
                )));
            }
            SubScope::Api(a.to_owned())
        } else {
            b.errors.push(config_error(format!(
                "subscription {:?}: scope must be all, product:<id> or api:<id>",
                s.name
            )));
            continue;
        };
        let sub = Arc::new(SubRt {
            info: SubscriptionInfo {
                id: s.name.clone(),
                name: s.display_name.clone().unwrap_or_else(|| s.name.clone()),
                key: String::new(),
                primary_key: s.primary_key.clone(),
                secondary_key: s.secondary_key.clone(),
            },
            scope,
            active: s
                .state
                .as_deref()
                .is_none_or(|st| st.eq_ignore_ascii_case("active")),
            user: s.owner.as_ref().map(|o| {
                Arc::new(UserInfo {
                    id: o.id.clone(),
                    email: o.email.clone(),
                    first_name: o.first_name.clone(),
                    last_name: o.last_name.clone(),
                })
            }),
        });
        for key in [&s.primary_key, &s.secondary_key] {
            if key.trim().is_empty() {
                b.errors.push(config_error(format!(
                    "subscription {:?} has an empty key",
                    s.name
                )));
            } else if subscriptions.insert(key.clone(), sub.clone()).is_some() {
                b.errors.push(config_error(format!(
                    "subscription {:?} reuses a key of another subscription",
                    s.name
                )));
            }
        }
    }

    if !b.errors.is_empty() {
        return Err(LoadErrors(b.errors));
    }
    Ok(Compiled {
        apis,
        products,
        subscriptions,
        global: Arc::new(compose(&Scopes {
            global: global.as_ref(),
            ..Scopes::default()
        })),
        files: b.files,
        strip_key: config.strip_subscription_key,
        max_body: config.max_body_bytes.unwrap_or(16 * 1024 * 1024),
    })
}
