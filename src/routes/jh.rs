//! Routes of this area (see its issue).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
