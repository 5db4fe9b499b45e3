//! `/tigase/*`: chat history, the conversation list, delete/recall, search and
//! pinned dialogs. Parameters and defaults are the original
//! `TigaseController`'s; every list is bounded by `max_page_size`.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::Document;
use serde_json::{json, Map, Value};

use crate::domain::room::Seat;
use crate::http::endpoint::{int, string, Endpoint, Param, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::names;
use crate::store::tigase::{DeleteKind, Window};
use crate::store::view::{Flavor, JsonList};
use crate::util::{
    doc_to_json, entity_to_json, literal_regex, now_s, ok, ok_data, ok_json, ok_json_msg,
};
use crate::AppState;

/// Results per category of `/tigase/search`.
const SEARCH_LIMIT: i64 = 50;
/// Longest search text taken (characters).
const SEARCH_MAX_CHARS: usize = 100;

/// The parameters of a single chat's history (`shiku_msgs`, `chat_msgs`).
const SINGLE_HISTORY: [Param; 6] = [
    int("receiver").required(),
    PAGE[0],
    PAGE[1],
    int("startTime"),
    int("endTime"),
    int("maxType"),
];

/// The parameters of a room's history (`shiku_muc_msgs`, `chat_muc_msgs`).
const GROUP_HISTORY: [Param; 6] = [
    string("roomId").required(),
    PAGE[0],
    PAGE[1],
    int("startTime"),
    int("endTime"),
    int("maxType"),
];

pub fn routes(r: &mut Routes) {
    r.add(&TIGASE_SHIKU_MSGS, shiku_msgs)
        .add(&TIGASE_CHAT_MSGS, shiku_msgs)
        .add(&TIGASE_SHIKU_MUC_MSGS, shiku_muc_msgs)
        .add(&TIGASE_CHAT_MUC_MSGS, shiku_muc_msgs)
        .add(&TIGASE_DIALOG_GET, dialog_get)
        .add(&TIGASE_GET_LAST_CHAT_LIST, last_chat_list)
        .add(&TIGASE_DELETE_MSG, delete_msg)
        .add(&TIGASE_SEARCH, search)
        .add(&TIGASE_DIALOG_ADD, dialog_add)
        .add(&TIGASE_DIALOG_DELETE, dialog_delete);
}

fn docs_json(docs: &[Document]) -> Value {
    Value::Array(docs.iter().map(doc_to_json).collect())
}

/// `pageIndex` (default 0) and `pageSize` (default `default`, capped).
fn paging(p: &Params, state: &AppState, default: i64) -> ShikuResult<(u64, i64)> {
    let (_, size, skip) = p.page_skip(default, state.cfg.max_page_size)?;
    Ok((skip, size))
}

/// `startTime`/`endTime` (ms, 0 or absent = unbounded) as a history window.
fn window(p: &Params) -> ShikuResult<Window> {
    let start = p.i64_or("startTime", 0)?;
    let end = p.i64_or("endTime", 0)?;
    Ok(Window {
        start: (start > 0).then_some(start),
        end: (end > 0).then_some(end),
    })
}

pub const TIGASE_SHIKU_MSGS: Endpoint = Endpoint {
    path: "/tigase/shiku_msgs",
    summary: "single-chat history, newest first",
    params: &SINGLE_HISTORY,
    ..Endpoint::shiku("", "")
};

pub const TIGASE_CHAT_MSGS: Endpoint = Endpoint {
    path: "/tigase/chat_msgs",
    summary: "single-chat history under the later server's name (the PC client's)",
    params: &SINGLE_HISTORY,
    ..Endpoint::shiku("", "")
};

/// Single-chat history. Like the original, `startTime`/`endTime` (ms) are
/// widened to whole seconds plus one second on each side and inclusive;
/// `maxType` (default 200) keeps `contentType < maxType`.
async fn shiku_msgs(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let receiver = p.i32_required("receiver")? as i64;
    let requested = window(&p)?;
    let max_type = p.i32_or("maxType", 200)?;
    let (skip, limit) = paging(&p, &state, 20)?;
    let window = Window {
        start: requested
            .start
            .map(|t| (t / 1000).saturating_sub(1).saturating_mul(1000)),
        end: requested
            .end
            .map(|t| (t / 1000).saturating_add(1).saturating_mul(1000)),
    };
    let docs = state
        .store
        .single_history(uid, receiver, window, max_type, skip, limit)
        .await?;
    Ok(ok_json(&JsonList(&docs, Flavor::Java)))
}

pub const TIGASE_SHIKU_MUC_MSGS: Endpoint = Endpoint {
    path: "/tigase/shiku_muc_msgs",
    summary: "group history, newest first",
    params: &GROUP_HISTORY,
    ..Endpoint::shiku("", "")
};

pub const TIGASE_CHAT_MUC_MSGS: Endpoint = Endpoint {
    path: "/tigase/chat_muc_msgs",
    summary: "group history under the later server's name (the PC client's)",
    params: &GROUP_HISTORY,
    ..Endpoint::shiku("", "")
};

/// Group history: members only; nothing from before the member joined (or
/// cleared the history), nor what they hid.
async fn shiku_muc_msgs(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let jid = p.required("roomId")?.to_string();
    let window = window(&p)?;
    p.i32_or("maxType", 200)?;
    let (skip, limit) = paging(&p, &state, 20)?;
    // The member's hidden ids do not depend on the room lookup: one round trip less.
    let ((_room, member), hidden) = futures::try_join!(
        state.store.room_and_member(&jid, uid),
        state.store.hidden_room_msgs(uid, &jid)
    )?;
    let view = crate::store::Store::view_of(&member, hidden)?;
    let docs = state
        .store
        .group_history(&jid, &view, window, skip, limit)
        .await?;
    Ok(ok_json_msg(&JsonList(&docs, Flavor::Java)))
}

pub const TIGASE_GET_LAST_CHAT_LIST: Endpoint = Endpoint {
    path: "/tigase/getLastChatList",
    summary: "conversation list",
    params: &[PAGE[0], PAGE[1], int("startTime"), int("endTime")],
    ..Endpoint::shiku("", "")
};

/// The conversation list. As in the original, when `startTime` is given it
/// alone bounds `timeSend` (`endTime` only applies without it).
async fn last_chat_list(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let start = p.i64_or("startTime", 0)?;
    let end = p.i64_or("endTime", 0)?;
    p.i64_or("pageIndex", 0)?;
    let size = p.i64_or("pageSize", 0)?;
    let max = state.cfg.max_page_size;
    let limit = if size <= 0 { max } else { size.min(max) };
    let window = if start != 0 {
        Window {
            start: Some(start),
            end: None,
        }
    } else if end != 0 {
        Window {
            start: None,
            end: Some(end),
        }
    } else {
        Window::default()
    };
    let lasts = state.store.last_chat_list(uid, window, limit).await?;
    Ok(ok_data(Value::Array(
        lasts.iter().map(|l| doc_to_json(l)).collect(),
    )))
}

pub const TIGASE_DELETE_MSG: Endpoint = Endpoint {
    path: "/tigase/deleteMsg",
    summary: "delete my copies (delete=1) or recall (delete=2)",
    params: &[
        int("type").required(),
        int("delete").required(),
        string("messageId").required(),
        string("roomJid"),
    ],
    ..Endpoint::shiku("", "")
};

/// `type` 1 single / 2 group, `delete` 1 my copy / 2 recall, `messageId`
/// comma-separated, `roomJid` for groups.
async fn delete_msg(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let chat_type = p.i32_or("type", 1)?;
    let kind = match p.i32_or("delete", 1)? {
        1 => DeleteKind::Mine,
        2 => DeleteKind::Recall,
        _ => return Err(ShikuError::invalid("delete")),
    };
    let mut ids: Vec<String> = Vec::new();
    for id in p.str("messageId").unwrap_or_default().split(',') {
        let id = id.trim();
        if !id.is_empty() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(ShikuError::missing("messageId"));
    }
    if ids.len() as i64 > state.cfg.max_page_size {
        return Err(ShikuError::invalid("messageId"));
    }
    match chat_type {
        1 => state.store.delete_single(uid, &ids, kind).await?,
        2 => {
            // Android's "delete for me" in a group sends no `roomJid`: the
            // original answered success and hid nothing (the app deletes its
            // own copy and ignores the answer); without the room there is
            // no collection to look in.
            if kind == DeleteKind::Mine && p.str("roomJid").is_none() {
                return Ok(ok());
            }
            let jid = p.required("roomJid")?;
            let (room, member) = state.store.room_and_member(jid, uid).await?;
            let managers = Seat::new(&room, uid, Some(&member)).may_recall_others();
            state
                .store
                .delete_group(uid, jid, &ids, kind, managers)
                .await?
        }
        _ => return Err(ShikuError::invalid("type")),
    }
    Ok(ok())
}

/// The user fields `/tigase/search` answers, in the seed's order.
const PERSON_FIELDS: &[&str] = &[
    "account",
    "encryAccount",
    "setAccountCount",
    "userType",
    "offlineNoPushMsg",
    "areaCode",
    "telephone",
    "phone",
    "name",
    "nickname",
    "birthday",
    "sex",
    "active",
    "loc",
    "description",
    "countryId",
    "provinceId",
    "cityId",
    "areaId",
    "level",
    "vip",
    "balance",
    "msgNum",
    "totalRecharge",
    "totalConsume",
    "friendsCount",
    "fansCount",
    "attCount",
    "createTime",
    "modifyTime",
    "idcard",
    "idcardUrl",
    "isAuth",
    "onlinestate",
    "settings",
    "num",
    "isPasuse",
    "withdrawBurnReadTime",
    "realNameCertified",
];

/// A person found: the seed's user fields, `userId` last; then, for the
/// deployment's PC client (QZ `searchItem.vue` shows `toNickname` and opens
/// the chat with `toUserId`, the names of a friend record), the same two
/// values under those names.
fn person_json(d: &Document) -> Value {
    let mut m = Map::new();
    let stored = |k: &str| d.get(k).filter(|v| !crate::util::is_unset(v));
    for k in PERSON_FIELDS {
        if let Some(v) = stored(k) {
            m.insert(k.to_string(), crate::util::bson_to_json(v));
        }
    }
    if let Some(id) = stored("_id") {
        m.insert("userId".into(), crate::util::bson_to_json(id));
        m.insert("toUserId".into(), crate::util::bson_to_json(id));
    }
    if let Some(name) = stored("nickname") {
        m.insert("toNickname".into(), crate::util::bson_to_json(name));
    }
    Value::Object(m)
}

/// A room as stored; with the caller's `member` record, keys sorted.
fn room_json(room: &Document, member: Option<&Document>) -> Value {
    match (entity_to_json(room), member) {
        (Value::Object(mut m), Some(member)) => {
            m.insert("member".into(), super::room::member_json(member));
            crate::util::sorted_object(m)
        }
        (v, _) => v,
    }
}

pub const TIGASE_SEARCH: Endpoint = Endpoint {
    path: "/tigase/search",
    summary: "search people, rooms and messages",
    params: &[string("content").required()],
    ..Endpoint::shiku("", "")
};

/// People (the caller and their friends) by nickname, the caller's rooms by
/// name, and the caller's single and group text messages by content. The
/// text is matched literally and case-insensitively.
async fn search(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let text: String = p
        .required("content")?
        .chars()
        .take(SEARCH_MAX_CHARS)
        .collect();
    let pattern = literal_regex(&text);
    let limit = SEARCH_LIMIT.min(state.cfg.max_page_size);
    let store = &state.store;
    let jids = store
        .tigase_user_room_jids(uid, state.cfg.max_page_size)
        .await?;
    let msgs = store.search_single_msgs(uid, &pattern, limit).await?;
    let people = store.search_people(uid, &pattern, limit).await?;
    let muc = store.search_group_msgs(uid, &jids, &pattern, limit).await?;
    let rooms = store.search_rooms(&jids, uid, &pattern, limit).await?;
    Ok(ok_data(json!({
        "shikuMsgs": docs_json(&msgs),
        "friend": people.iter().map(person_json).collect::<Vec<_>>(),
        "mucmsgs": docs_json(&muc),
        "group": rooms.iter().map(|(r, m)| room_json(r, m.as_deref())).collect::<Vec<_>>(),
    })))
}

/// A dialog target: a userId (numeric) or a room jid.
enum Target {
    User(i64),
    Room(String),
}

fn target(jid: &str) -> ShikuResult<Target> {
    if !jid.is_empty() && jid.bytes().all(|b| b.is_ascii_digit()) {
        let id: i64 = jid.parse().map_err(|_| ShikuError::invalid("jid"))?;
        if id <= 0 || id > i32::MAX as i64 {
            return Err(ShikuError::invalid("jid"));
        }
        Ok(Target::User(id))
    } else if names::valid_room_jid(jid) {
        Ok(Target::Room(jid.to_string()))
    } else {
        Err(ShikuError::invalid("jid"))
    }
}

pub const TIGASE_DIALOG_ADD: Endpoint = Endpoint {
    path: "/tigase/dialog/add",
    summary: "pin a conversation",
    params: &[string("jid").required(), int("isRoom"), int("isAdaptive")],
    ..Endpoint::shiku("", "")
};

/// Pins a conversation. `stick_dialog.isRoom` follows seed 2.7: 1 for a
/// friend (jid = userId), 0 for a room (jid = room jid). With `isAdaptive=1`
/// the friend's / member's `openTopChatTime` is set too.
async fn dialog_add(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let jid = p.required("jid")?.to_string();
    let adaptive = p.i32_or("isAdaptive", 0)? == 1;
    let store = &state.store;
    match target(&jid)? {
        Target::User(to) => {
            if adaptive && store.friend(uid, to).await?.is_none() {
                return Err(ShikuError::from(codes::NO_FRIEND));
            }
            store.stick_add(uid, &jid, 1).await?;
            if adaptive {
                store.set_friend_top(uid, to, now_s()).await?;
            }
        }
        Target::Room(room_jid) => {
            let (room, _member) = store.room_and_member(&room_jid, uid).await?;
            store.stick_add(uid, &jid, 0).await?;
            if adaptive {
                store.set_member_top(&room.id()?, uid, now_s()).await?;
            }
        }
    }
    Ok(ok())
}

pub const TIGASE_DIALOG_GET: Endpoint = Endpoint {
    path: "/tigase/dialog/get",
    summary: "the caller's pinned conversations",
    ..Endpoint::shiku("", "")
};

/// The caller's pinned conversations, newest pin first (`StickDialog`
/// records: `jid`, `isRoom`, `time` in seconds). QZ calls it first at start.
async fn dialog_get(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let docs = state.store.sticks_of(uid, state.cfg.max_page_size).await?;
    let items = docs.iter().map(crate::util::entity_to_json).collect();
    Ok(ok_data(Value::Array(items)))
}

pub const TIGASE_DIALOG_DELETE: Endpoint = Endpoint {
    path: "/tigase/dialog/delete",
    summary: "unpin a conversation",
    params: &[string("jid").required(), int("isRoom"), int("isAdaptive")],
    ..Endpoint::shiku("", "")
};

/// Unpins a conversation; with `isAdaptive=1` also clears `openTopChatTime`.
async fn dialog_delete(
    req: HttpRequest,
    p: Params,
    state: web::Data<AppState>,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let jid = p.required("jid")?.to_string();
    let adaptive = p.i32_or("isAdaptive", 0)? == 1;
    let store = &state.store;
    let t = target(&jid)?;
    store.stick_delete(uid, &jid).await?;
    if adaptive {
        match t {
            Target::User(to) => store.set_friend_top(uid, to, 0).await?,
            Target::Room(room_jid) => {
                if let Some(room) = store.room_by_jid(&room_jid).await? {
                    store.set_member_top(&room.id()?, uid, 0).await?;
                }
            }
        }
    }
    Ok(ok())
}
