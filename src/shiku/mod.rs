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
pub mod collect;
pub mod console;
pub mod error;
pub mod face_to_face;
pub mod friends;
pub mod friends_manage;
pub mod labels;
pub mod login;
pub mod media;
pub mod profile;
pub mod public;
pub mod push_tokens;
pub mod quick_replies;
pub mod report;
pub mod room;
pub mod room_files;
pub mod room_helpers;
pub mod room_manage;
pub mod secure_chat;
pub mod tigase;
pub mod upload;
pub mod user;

pub use error::{ShikuError, ShikuResult};

use crate::http::params::Params;
use crate::http::Routes;
use crate::store::model::User;
use crate::store::users::SyncTag;
use crate::AppState;

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
    collect::routes(r);
    public::routes(r);
    push_tokens::routes(r);
    quick_replies::routes(r);
    report::routes(r);
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

/// The stored user `id`; 100211 (`NO_USER`) when there is none.
pub(crate) async fn user_or_unknown(state: &AppState, id: i64) -> ShikuResult<User> {
    state
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(|| codes::NO_USER.into())
}

/// `owner`'s other devices re-read the relation to `other` (the
/// `offlineOperation` `friend` record; `other == owner` for the profile).
pub(crate) async fn note_friend_change(state: &AppState, owner: i64, other: i64) {
    let key = other.to_string();
    note_for_other_devices(
        "friend",
        state
            .store
            .note_offline_operation(owner, SyncTag::Friend, &key),
    )
    .await;
}

/// The user named by the `name` parameter must be the caller (1030104,
/// `NO_PERMISSION`, otherwise).
pub(crate) fn require_self(p: &Params, name: &str, me: i64) -> ShikuResult<()> {
    if p.i32_required(name)? as i64 != me {
        return Err(codes::NO_PERMISSION.into());
    }
    Ok(())
}
