//! The OpenIM admin dialect: tokens and `/msg/send_msg`, written into the
//! Shiku collections through the one message writer.

pub mod error;
pub mod send;

pub use error::OpenImError;
pub use send::routes;
