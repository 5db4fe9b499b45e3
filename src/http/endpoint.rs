//! Endpoint declarations: each endpoint is declared once, next to its handler,
//! as a `const` [`Endpoint`] (path, dialect, auth, parameters with their type,
//! requirement, default and limits). The router ([`Routes`]), `/openapi.json`
//! and the bad-input sweep of the tests are all derived from these
//! declarations; and a parameter read that its declaration does not name is
//! recorded ([`undeclared_reads`]) so that a test can fail on it.

use std::collections::BTreeSet;
use std::sync::Mutex;

use actix_web::{http::Method, web, FromRequest, Handler, HttpRequest, Responder};

/// How an endpoint is reached and which envelope it answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Shiku: GET and POST (Spring `@RequestMapping`), query or form/JSON body.
    Shiku,
    /// Shiku upload: multipart body (also answered on GET, as the original).
    ShikuUpload,
    /// OpenIM: POST with a JSON object body.
    OpenIm,
    /// JH, documented as GET (also answered on POST).
    JhGet,
    /// JH, documented as POST (also answered on GET).
    JhPost,
    /// Operational endpoints (`/health`): GET, no envelope.
    Plain,
}

impl Dialect {
    pub fn methods(self) -> &'static [Method] {
        const GET_POST: &[Method] = &[Method::GET, Method::POST];
        match self {
            Dialect::OpenIm => &[Method::POST],
            Dialect::Plain => &[Method::GET],
            _ => GET_POST,
        }
    }

    /// Parameters every endpoint of the dialect may read besides its own: the
    /// session token and the request-signing parameters (`auth.rs`).
    pub fn common_params(self) -> &'static [&'static str] {
        match self {
            Dialect::Shiku | Dialect::ShikuUpload => &["access_token", "secret", "salt", "time"],
            _ => &[],
        }
    }
}

/// The JSON type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Bool,
    Object,
}

impl Ty {
    pub fn openapi(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Int => "integer",
            Ty::Bool => "boolean",
            Ty::Object => "object",
        }
    }
}

/// One parameter of an endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// The value that applies when the parameter is absent or blank.
    pub default: Option<i64>,
    /// Inclusive bounds of an integer (values beyond are refused or clamped,
    /// as the handler documents).
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The closed set of values a string may take (empty: any).
    pub one_of: &'static [&'static str],
}

impl Param {
    const fn of(name: &'static str, ty: Ty) -> Param {
        Param {
            name,
            ty,
            required: false,
            default: None,
            min: None,
            max: None,
            one_of: &[],
        }
    }
    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }
    pub const fn default(mut self, v: i64) -> Param {
        self.default = Some(v);
        self
    }
    pub const fn min(mut self, v: i64) -> Param {
        self.min = Some(v);
        self
    }
    pub const fn max(mut self, v: i64) -> Param {
        self.max = Some(v);
        self
    }
    pub const fn one_of(mut self, values: &'static [&'static str]) -> Param {
        self.one_of = values;
        self
    }
}

/// An optional string parameter (`.required()` to require it).
pub const fn string(name: &'static str) -> Param {
    Param::of(name, Ty::Str)
}
/// An optional integer parameter.
pub const fn int(name: &'static str) -> Param {
    Param::of(name, Ty::Int)
}
/// An optional boolean (JSON bodies).
pub const fn boolean(name: &'static str) -> Param {
    Param::of(name, Ty::Bool)
}
/// An optional JSON object (JSON bodies).
pub const fn object(name: &'static str) -> Param {
    Param::of(name, Ty::Object)
}

/// `pageIndex` (from 0) and `pageSize`.
pub const PAGE: [Param; 2] = [int("pageIndex").default(0).min(0), int("pageSize").min(0)];

/// One endpoint of the API.
#[derive(Debug)]
pub struct Endpoint {
    pub path: &'static str,
    pub summary: &'static str,
    pub dialect: Dialect,
    /// Whether a session (Shiku `access_token`, OpenIM `token`) is required.
    pub auth: bool,
    pub params: &'static [Param],
    /// A group of parameters several endpoints share (e.g. the device
    /// description every login takes), declared once.
    pub shared: &'static [Param],
    /// Counts against the per-client login limit (HTTP 429 beyond it).
    pub login_limited: bool,
}

impl Endpoint {
    /// A Shiku endpoint without parameters; fill in with struct update syntax.
    pub const fn shiku(path: &'static str, summary: &'static str) -> Endpoint {
        Endpoint {
            path,
            summary,
            dialect: Dialect::Shiku,
            auth: true,
            params: &[],
            shared: &[],
            login_limited: false,
        }
    }

    /// Every parameter: its own, then the shared group.
    pub fn all_params(&self) -> impl Iterator<Item = &'static Param> {
        self.params.iter().chain(self.shared.iter())
    }

    /// Whether a handler of this endpoint may read `name`.
    pub fn declares(&self, name: &str) -> bool {
        self.all_params().any(|p| p.name == name) || self.dialect.common_params().contains(&name)
    }
}

/// The declaration of the endpoint a request was routed to (route data).
#[derive(Clone, Copy)]
pub struct Declared(pub &'static Endpoint);

impl Declared {
    pub fn of(req: &HttpRequest) -> Option<&'static Endpoint> {
        req.app_data::<Declared>().map(|d| d.0)
    }
}

static UNDECLARED: Mutex<BTreeSet<(&'static str, String)>> = Mutex::new(BTreeSet::new());

/// Notes that a handler of `e` read `name`; an undeclared name is recorded
/// (and logged once), so that the sweep can prove the declarations complete.
pub fn note_read(e: Option<&'static Endpoint>, name: &str) {
    if let Some(e) = e {
        if !e.declares(name) {
            let mut set = UNDECLARED.lock().unwrap_or_else(|p| p.into_inner());
            if set.insert((e.path, name.to_string())) {
                tracing::warn!(path = e.path, param = name, "undeclared parameter read");
            }
        }
    }
}

/// Every (path, parameter) read so far that its declaration does not name.
pub fn undeclared_reads() -> Vec<(String, String)> {
    let set = UNDECLARED.lock().unwrap_or_else(|p| p.into_inner());
    set.iter()
        .map(|(p, n)| (p.to_string(), n.clone()))
        .collect()
}

/// Collects the endpoints of every dialect and, when given a service config,
/// registers them: one resource per declaration, answering the dialect's
/// methods, with the declaration as route data.
pub struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    endpoints: Vec<&'static Endpoint>,
}

impl<'a> Routes<'a> {
    pub fn register(cfg: &'a mut web::ServiceConfig) -> Self {
        Routes {
            cfg: Some(cfg),
            endpoints: Vec::new(),
        }
    }

    pub fn list() -> Routes<'static> {
        Routes {
            cfg: None,
            endpoints: Vec::new(),
        }
    }

    pub fn add<F, Args>(&mut self, e: &'static Endpoint, handler: F) -> &mut Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.endpoints.push(e);
        if let Some(cfg) = self.cfg.as_deref_mut() {
            let mut resource = web::resource(e.path).app_data(Declared(e));
            for m in e.dialect.methods() {
                resource = resource.route(web::method(m.clone()).to(handler.clone()));
            }
            cfg.service(resource);
        }
        self
    }

    /// Routes that are not API endpoints (file downloads, `/openapi.json`).
    pub fn other(&mut self, f: impl FnOnce(&mut web::ServiceConfig)) -> &mut Self {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            f(cfg);
        }
        self
    }

    pub fn endpoints(self) -> Vec<&'static Endpoint> {
        self.endpoints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: Endpoint = Endpoint {
        path: "/test/declared",
        params: &[int("a").required()],
        ..Endpoint::shiku("/test/declared", "test")
    };

    #[test]
    fn undeclared_reads_are_recorded() {
        note_read(Some(&E), "a");
        note_read(Some(&E), "access_token");
        note_read(Some(&E), "b");
        let reads: Vec<_> = undeclared_reads()
            .into_iter()
            .filter(|(p, _)| p == "/test/declared")
            .collect();
        assert_eq!(reads, vec![("/test/declared".to_string(), "b".to_string())]);
    }

    #[test]
    fn every_route_is_declared_once() {
        let all = crate::http::endpoints();
        let mut paths: Vec<_> = all.iter().map(|e| e.path).collect();
        paths.sort();
        let n = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), n, "a path declared twice");
        assert!(n >= 51);
    }
}
