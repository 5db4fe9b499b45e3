//! The HTTP layer shared by the dialects: endpoint declarations and the
//! router derived from them, Spring-style parameters, request logging and the
//! OpenAPI document. Each dialect (`shiku`, `openim`, `jh`) declares its
//! endpoints next to their handlers; [`routes`] is the one list of them all.

pub mod endpoint;
pub mod logging;
pub mod openapi;
pub mod params;

use actix_web::web;

pub use endpoint::{Endpoint, Routes};

/// Every endpoint of every dialect, registered (or only listed) in one pass.
pub fn routes(r: &mut Routes) {
    crate::shiku::routes(r);
    crate::openim::routes(r);
    crate::jh::routes(r);
    r.other(|cfg| {
        cfg.service(web::resource("/openapi.json").route(web::get().to(openapi::openapi)));
    });
}

/// Registers every route of every dialect.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes(&mut Routes::register(cfg));
}

/// The declarations of every endpoint, in registration order.
pub fn endpoints() -> Vec<&'static Endpoint> {
    let mut r = Routes::list();
    routes(&mut r);
    r.endpoints()
}

/// CORS preflights (`OPTIONS` from a browser client such as WX on another
/// origin) are answered at once, 204 with the CORS headers every answer
/// carries, whatever the path.
pub async fn preflight(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::OPTIONS {
        let (req, _) = req.into_parts();
        let answer = actix_web::HttpResponse::NoContent().finish();
        return Ok(actix_web::dev::ServiceResponse::new(req, answer));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    /// The README's endpoint list is the declarations', so it cannot drift.
    #[test]
    fn readme_lists_every_endpoint() {
        let readme = include_str!("../../README.md");
        let start = readme.find("## Endpoints").expect("an Endpoints section");
        let end = start
            + readme[start..]
                .find("### What the real clients call")
                .unwrap_or(readme.len() - start);
        let readme = &readme[start..end];
        let missing: Vec<&str> = super::endpoints()
            .iter()
            .map(|e| e.path)
            .filter(|p| !readme.contains(&format!("| `{p}` | ")))
            .collect();
        assert!(missing.is_empty(), "not in the README: {missing:?}");
    }
}
