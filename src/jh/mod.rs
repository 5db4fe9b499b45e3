//! The JH customer-service dialect (`/api/im/*`), over its own collection.

pub mod endpoints;
pub mod error;

pub use endpoints::routes;
pub use error::JhError;
