#![recursion_limit = "256"]
//! The integration tests: one test crate (one link), one module per area,
//! sharing the helpers of `common` (the real app against the real test
//! database and Redis, and a client that speaks like the real ones).

mod common;

mod chat_manage;
mod cli;
mod collect;
mod e2e;
mod faults;
mod foundation;
mod friends;
mod friends_manage;
mod indexes;
mod isolation;
mod jh;
mod login;
mod profile;
mod public;
mod push;
mod push_tokens;
mod room;
mod room_manage;
mod scale;
mod send;
mod shutdown;
mod sweep;
mod tigase;
mod upload;
mod user;
