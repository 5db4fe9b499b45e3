//! Request-scoped structured logs. Every request runs inside a `request` span
//! (request id, method, route, user id once authenticated); store calls and
//! errors logged while serving it carry those fields. One line is written per
//! request when it ends, with its query string redacted: tokens, passwords,
//! signatures, keys and codes never reach the log.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    HttpMessage,
};
use tracing::Instrument;

/// Parameter names whose values are never logged (matched case-insensitively
/// as substrings: `access_token`, `loginToken`, `password`, `secret`, `privateKey`…).
const SECRET_NAMES: &[&str] = &[
    "token", "password", "passwd", "secret", "key", "mac", "code", "data", "salt",
];

/// Whether the value of parameter `name` must not be logged.
pub fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| n.contains(s))
}

/// `query` with the value of every secret parameter replaced by `***`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret(&url_decoded(k)) => format!("{k}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn url_decoded(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("{s}="))
        .ok()
        .and_then(|v| v.into_iter().next().map(|(k, _)| k))
        .unwrap_or_else(|| s.to_string())
}

/// The request id of the request being served (also answered as `X-Request-Id`).
#[derive(Clone)]
pub struct RequestId(pub String);

/// A new request id: 32 hex digits, unique per process start (a random
/// prefix) and request (a counter): no random draw per request.
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(rand::random);
    format!("{prefix:016x}{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Records the authenticated user on the current request's span.
pub fn record_user(user_id: i64) {
    tracing::Span::current().record("user_id", user_id);
}

/// The middleware: opens the request's span, serves the request inside it,
/// writes the request line.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let route = req.match_pattern().unwrap_or_else(|| "-".to_string());
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        route = %route,
        user_id = tracing::field::Empty,
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    // The line's fields are written only when it is logged (not at LOG=warn
    // for a success): the URI is kept (a reference-counted copy).
    let (uri, peer) = (req.uri().clone(), req.peer_addr());
    let described = || {
        let peer = peer.map(|a| a.ip().to_string()).unwrap_or_default();
        let target = match uri.query() {
            None | Some("") => uri.path().to_string(),
            Some(q) => format!("{}?{}", uri.path(), redact_query(q)),
        };
        (peer, target)
    };
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let _in_span = span.enter();
    match &result {
        Ok(res) if res.status().as_u16() >= 500 => {
            let (peer, target) = described();
            tracing::warn!(%peer, %target, status = res.status().as_u16(), ms, "request");
        }
        Ok(res) => {
            if tracing::enabled!(tracing::Level::INFO) {
                let (peer, target) = described();
                tracing::info!(%peer, %target, status = res.status().as_u16(), ms, "request");
            }
        }
        Err(e) => {
            let (peer, target) = described();
            tracing::warn!(%peer, %target, error = %e, ms, "request");
        }
    }
    result.map(|mut res| {
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&id) {
            res.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-request-id"),
                v,
            );
        }
        res
    })
}

/// Installs the subscriber (on standard error): `LOG` is an env-filter
/// directive (`info`, `warn,shiku_api=debug`, …); `LOG_FORMAT=json` writes one
/// JSON object a line.
pub fn init(filter: &str) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT")
        .map(|f| f == "json")
        .unwrap_or(false);
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The subscriber of the tests: captured per test like `println!`.
pub fn init_for_tests(filter: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let q =
            "access_token=abc&userId=5&secret=s1&loginToken=x&password=p&privateKey=k&pageIndex=0";
        assert_eq!(
            redact_query(q),
            "access_token=***&userId=5&secret=***&loginToken=***&password=***&privateKey=***&pageIndex=0"
        );
        assert_eq!(redact_query("acc%65ss_token=zz"), "acc%65ss_token=***");
    }
}
