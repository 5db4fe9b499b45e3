//! The Shiku dialect (the original `imapi`): envelope and result codes
//! (`error`), session and signature checks (`auth`), and the endpoints, one
//! module per URL family as the original's controllers.

pub mod account;
pub mod account_security;
pub mod address_book;
pub mod auth;
pub mod basic;
pub mod chat_manage;
pub mod codes;
pub mod console;
pub mod error;
pub mod face_to_face;
pub mod friends;
pub mod friends_manage;
pub mod labels;
pub mod login;
pub mod media;
pub mod profile;
pub mod room;
pub mod room_files;
pub mod room_helpers;
pub mod room_manage;
pub mod secure_chat;
pub mod tigase;
pub mod upload;
pub mod user;

pub use error::{ShikuError, ShikuResult};

use crate::http::Routes;

pub fn routes(r: &mut Routes) {
    basic::routes(r);
    login::routes(r);
    account::routes(r);
    account_security::routes(r);
    user::routes(r);
    profile::routes(r);
    address_book::routes(r);
    friends::routes(r);
    friends_manage::routes(r);
    labels::routes(r);
    room::routes(r);
    room_manage::routes(r);
    room_files::routes(r);
    room_helpers::routes(r);
    face_to_face::routes(r);
    secure_chat::routes(r);
    tigase::routes(r);
    chat_manage::routes(r);
    upload::routes(r);
    media::routes(r);
    console::routes(r);
}

/// A record kept for the user's other devices (`offlineOperation`) after the
/// change itself is stored: like the original, the answer does not wait on
/// its success; a failure is logged.
pub(crate) async fn note_for_other_devices(
    what: &'static str,
    write: impl std::future::Future<Output = crate::store::error::StoreResult<()>>,
) {
    if let Err(e) = write.await {
        tracing::warn!(error = %e, "offlineOperation {what} record not written");
    }
}
