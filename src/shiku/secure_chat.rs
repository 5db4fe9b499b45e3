//! End-to-end encrypted chats (Android's secure chat): the members' RSA
//! public keys, each member's copy of a secret group's key (`chatKeyGroup`,
//! sealed with that member's key), the owner's key reset, and a friend's
//! past DH keys. The server never sees a key in clear.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use bson::doc;
use serde_json::{json, Map, Value};

use super::room::{load_room, notice_to_group, room_id};
use crate::domain::room::Seat;
use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::Fields;
use crate::util::{bson_to_json, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&GET_MEMBER_RSA_PUBLIC_KEY, member_key)
        .add(&GET_ALL_MEMBER_RSA_PUBLIC_KEY, all_member_keys)
        .add(&UPDATE_GROUP_CHAT_KEY, update_group_chat_key)
        .add(&RESET_GROUP_CHAT_KEY, reset_group_chat_key)
        .add(&GET_DH_MSG_KEY_LIST, dh_key_list);
}

/// The members a `keys` map may name at once.
const MAX_KEYS: usize = 10_000;

pub const GET_MEMBER_RSA_PUBLIC_KEY: Endpoint = Endpoint {
    path: "/room/getMemberRsaPublicKey",
    summary: "a member's RSA message public key (both in the room)",
    params: &[string("roomId").required(), int("userId").default(0)],
    ..Endpoint::shiku("", "")
};

/// `/room/getMemberRsaPublicKey` (Android, to send a member who lost the
/// group key a copy, 805): the caller and `userId` must be members; code 0
/// when that member has no key pair.
async fn member_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let target = p.i32_or("userId", 0)? as i64;
    load_room(&state, &id).await?;
    let (mine, theirs) = futures::try_join!(
        state.store.room_member(&id, me),
        state.store.room_member(&id, target)
    )?;
    if mine.is_none() || theirs.is_none() {
        return Err(codes::NO_PERMISSION.into());
    }
    let keys = state.store.rsa_public_keys(&[target]).await?;
    let Some((_, key)) = keys.into_iter().next() else {
        return Err(ShikuError::Failure("该成员不是端对端账号".into()));
    };
    Ok(ok_data(json!({"rsaPublicKey": key})))
}

pub const GET_ALL_MEMBER_RSA_PUBLIC_KEY: Endpoint = Endpoint {
    path: "/room/getAllMemberRsaPublicKey",
    summary: "every member's RSA message public key, by userId (members)",
    params: &[string("roomId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/getAllMemberRsaPublicKey` (the owner, before a key reset): `data`
/// maps each member's userId (a string) to their key; members without a key
/// pair are left out.
async fn all_member_keys(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let room = load_room(&state, &id).await?;
    let mine = state.store.room_member(&id, me).await?;
    Seat::new(&room, me, mine.as_ref()).may_read()?;
    let members = state.store.room_member_ids(&id).await?;
    let keys = state.store.rsa_public_keys(&members).await?;
    let map: Map<String, Value> = keys
        .into_iter()
        .map(|(u, k)| (u.to_string(), json!(k)))
        .collect();
    Ok(ok_data(Value::Object(map)))
}

pub const UPDATE_GROUP_CHAT_KEY: Endpoint = Endpoint {
    path: "/room/updateGroupChatKey",
    summary: "store the caller's sealed copy of a secret group's key (chatKeyGroup)",
    params: &[string("roomId").required(), string("key").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/updateGroupChatKey` (Android, on an 805 with a copy of the key):
/// the caller's member record keeps it as `chatKeyGroup`.
async fn update_group_chat_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let key = p.required("key")?;
    if key.len() > 4096 {
        return Err(ShikuError::invalid("key"));
    }
    let room = load_room(&state, &id).await?;
    let mine = state.store.room_member(&id, me).await?;
    Seat::new(&room, me, mine.as_ref()).may_read()?;
    state
        .store
        .set_member_fields(&id, me, doc! {"chatKeyGroup": key})
        .await?;
    Ok(ok())
}

pub const RESET_GROUP_CHAT_KEY: Endpoint = Endpoint {
    path: "/room/resetGroupChatKey",
    summary: "the owner's new key for a secret group: each member's sealed copy (keys, JSON); the history goes",
    params: &[string("roomId").required(), string("keys").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/resetGroupChatKey` (Android's group manager, the owner of a
/// secret group): `keys` maps each member's userId to their sealed copy of
/// the new key. As the original: the group's history (unreadable with the
/// new key) is dropped, each member's `chatKeyGroup` set, and an 806 tells
/// the group to re-read the room. Unlike the original, a room that is not
/// secret or an empty `keys` is refused before anything is dropped.
async fn reset_group_chat_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let keys: BTreeMap<String, String> =
        serde_json::from_str(p.required("keys")?).map_err(|_| ShikuError::invalid("keys"))?;
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(ShikuError::invalid("keys"));
    }
    let keys: Vec<(i64, String)> = keys
        .into_iter()
        .map(|(u, k)| {
            u.parse::<i64>()
                .map(|u| (u, k))
                .map_err(|_| ShikuError::invalid("keys"))
        })
        .collect::<Result<_, _>>()?;
    let room = load_room(&state, &id).await?;
    Seat::new(&room, me, None).may_act_as_owner()?;
    if room.int("isSecretGroup")? != Some(1) {
        return Err(ShikuError::invalid("roomId"));
    }
    let jid = room.jid()?;
    state.store.drop_room_history(jid).await?;
    for (user, key) in &keys {
        state
            .store
            .set_member_fields(&id, *user, doc! {"chatKeyGroup": key})
            .await?;
    }
    notice_to_group(&state, &room, me, 806, room.name()?.unwrap_or("")).await?;
    Ok(ok())
}

pub const GET_DH_MSG_KEY_LIST: Endpoint = Endpoint {
    path: "/authkeys/getDHMsgKeyList",
    summary: "a user's past DH message public keys (own, or a friend's)",
    params: &[int("userId").default(0)],
    ..Endpoint::shiku("", "")
};

/// `/authkeys/getDHMsgKeyList` (Android, when a secure message does not
/// verify with the keys it knows): `userId` 0 the caller, else someone the
/// caller has a relation with (1010101 otherwise); `publicKeyList` the
/// stored `dhMsgKeyList` (`[]` when none: Android reads it unguarded).
async fn dh_key_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let asked = p.i32_or("userId", 0)? as i64;
    let whose = if asked == 0 { me } else { asked };
    if whose != me && state.store.friend(me, whose).await?.is_none() {
        return Err(ShikuError::invalid("userId"));
    }
    let list = state
        .store
        .auth_keys_of(whose)
        .await?
        .and_then(|k| k.get("dhMsgKeyList").map(bson_to_json))
        .unwrap_or_else(|| json!([]));
    Ok(ok_data(json!({"userId": asked, "publicKeyList": list})))
}
