//! One error type per API dialect, each mapped to that dialect's envelope.
//! Driver errors never reach clients: they are logged and answered generically.

pub mod jh;
pub mod openim;
pub mod shiku;

pub use jh::JhError;
pub use openim::OpenImError;
pub use shiku::{ShikuError, ShikuResult};
