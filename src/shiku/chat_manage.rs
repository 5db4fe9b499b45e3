//! The clients' chat housekeeping beyond the histories: clearing a
//! conversation, dropping a chat-list entry, reading one message, and QZ's
//! "seen on another device" signal (after the original's `TigaseController`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{bson_to_json, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&TIGASE_EMPTY_MY_MSG, empty_my_msg)
        .add(&TIGASE_DEL_LAST_CHAT_LIST, del_last_chat_list)
        .add(&TIGASE_GET_MESSAGE, get_message)
        .add(&TIGASE_SYSTEM_TO_USER_SEND_MESSAGE, system_to_user);
}

pub const TIGASE_EMPTY_MY_MSG: Endpoint = Endpoint {
    path: "/tigase/emptyMyMsg",
    summary: "clear the caller's copies of a single chat (type 0) or of every single chat (type 1)",
    params: &[int("type").default(0).one_of(&["0", "1"]), int("toUserId")],
    ..Endpoint::shiku("", "")
};

/// `/tigase/emptyMyMsg` (Android's chat settings: `type` 0 with `toUserId`;
/// its general settings: `type` 1): the caller's copies are marked deleted,
/// the other side keeps theirs; the chat-list entries go.
async fn empty_my_msg(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let peer = match p.i32_or("type", 0)? {
        0 => Some(
            p.i32_opt("toUserId")?
                .filter(|u| *u != 0)
                .ok_or_else(|| ShikuError::missing("toUserId"))? as i64,
        ),
        1 => None,
        _ => return Err(ShikuError::invalid("type")),
    };
    state.store.empty_single(me, peer).await?;
    Ok(ok())
}

pub const TIGASE_DEL_LAST_CHAT_LIST: Endpoint = Endpoint {
    path: "/tigase/delLastChatList",
    summary: "remove a single chat from the caller's conversation list",
    params: &[
        string("toUserId").required(),
        int("isJid").default(0).one_of(&["0", "1"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/tigase/delLastChatList` (WX's older list; no server of the original has
/// it): the caller's entry of a single chat goes. A room's entry is shared
/// by its members (`lastChats_muc`), so `isJid` 1 changes nothing.
async fn del_last_chat_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = p.required("toUserId")?;
    if p.i32_or("isJid", 0)? == 0 {
        let peer: i64 = to.parse().map_err(|_| ShikuError::invalid("toUserId"))?;
        state
            .store
            .forget_single_last_chat(me, &peer.to_string())
            .await?;
    }
    Ok(ok())
}

pub const TIGASE_GET_MESSAGE: Endpoint = Endpoint {
    path: "/tigase/getMessage",
    summary: "one stored message: the caller's copy of a single chat, or a group message of a room the caller is in",
    params: &[
        string("messageId").required(),
        string("roomJid"),
        int("type").default(1),
    ],
    ..Endpoint::shiku("", "")
};

/// `/tigase/getMessage`: the record as stored (no `data` when there is none).
async fn get_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = p.required("messageId")?;
    p.i32_or("type", 1)?;
    let found = match p.str("roomJid") {
        None => state.store.own_single_message(me, id).await?,
        Some(jid) => {
            state.store.room_and_member(jid, me).await?;
            state.store.group_message(jid, id).await?
        }
    };
    Ok(match found {
        Some(d) => ok_data(bson_to_json(&bson::Bson::Document(d))),
        None => ok(),
    })
}

/// Longest `body` of a device signal.
const MAX_SIGNAL_BYTES: usize = 4096;

pub const TIGASE_SYSTEM_TO_USER_SEND_MESSAGE: Endpoint = Endpoint {
    path: "/tigase/systemToUser/sendMessage",
    summary: "a system signal to the caller's other devices (QZ: 10086, a chat seen)",
    params: &[
        int("type").required(),
        string("body").required(),
        int("toUserId").required(),
    ],
    ..Endpoint::shiku("", "")
};

/// `/tigase/systemToUser/sendMessage` (the deployment's own endpoint; QZ
/// sends `type` 10086 with `body` `{seeMessageUserId, seeEquipment}` to
/// itself when it opens a chat, so its phone clears the unread marks). A
/// signal for one's own devices only: nothing is stored (the original
/// stores nothing either); it is delivered by the message queue when the
/// service publishes to one (see the README's push section).
async fn system_to_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let kind = p.i32_required("type")?;
    let body = p.required("body")?;
    if body.len() > MAX_SIGNAL_BYTES || serde_json::from_str::<Value>(body).is_err() {
        return Err(ShikuError::invalid("body"));
    }
    super::require_self(&p, "toUserId", me)?;
    let signal = crate::delivery::user_notice(kind, (0, ""), (me, ""), body);
    state.delivery.notify(&signal, me)?;
    Ok(ok())
}
