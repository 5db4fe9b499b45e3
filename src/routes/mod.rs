//! HTTP handlers. They parse parameters, authorize, call the store and shape the
//! JSON; nothing else. One module per URL family.

pub mod account;
pub mod basic;
pub mod console;
pub mod friends;
pub mod jh;
pub mod login;
pub mod openapi;
pub mod openim;
pub mod room;
pub mod tigase;
pub mod upload;
pub mod user;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    basic::configure(cfg);
    login::configure(cfg);
    account::configure(cfg);
    user::configure(cfg);
    friends::configure(cfg);
    room::configure(cfg);
    tigase::configure(cfg);
    upload::configure(cfg);
    console::configure(cfg);
    openim::configure(cfg);
    jh::configure(cfg);
    openapi::configure(cfg);
}

/// A Shiku endpoint: like Spring's `@RequestMapping`, it answers GET and POST.
pub fn get_post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::post().to(handler))
}
