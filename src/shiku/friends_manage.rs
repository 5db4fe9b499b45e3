//! The everyday friend actions of the clients beyond the seed's list and add:
//! one relation, new-friend requests, the blacklist, unfriending, remarks,
//! the per-friend switches (after the original's `FriendsController`).
//! Storage in `store/friends.rs`.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Document};
use serde_json::Value;

use super::friends::friend_json;
use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{note_friend_change, user_or_unknown, ShikuError, ShikuResult};
use crate::store::model::{Friend, User};
use crate::util::{bson_i64, now_s, num, ok, ok_data, page_of_itself};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&FRIENDS_GET, get)
        .add(&FRIENDS_NEW_FRIEND_LIST, new_friend_list)
        .add(&FRIENDS_NEW_FRIEND_LIST_WEB, new_friend_list_web)
        .add(&FRIENDS_NEW_FRIEND_LAST, new_friend_last)
        .add(&FRIENDS_BLACKLIST, blacklist)
        .add(&FRIENDS_BLACKLIST_ADD, blacklist_add)
        .add(&FRIENDS_BLACKLIST_DELETE, blacklist_delete)
        .add(&FRIENDS_DELETE, delete)
        .add(&FRIENDS_REMARK, remark)
        .add(&FRIENDS_MODIFY_ENCRYPT_TYPE, modify_encrypt_type)
        .add(&FRIENDS_UPDATE_OFFLINE_NO_PUSH_MSG, update_offline_no_push)
        .add(&FRIENDS_UPDATE, update)
        .add(&FRIENDS_ATTENTION_ADD, attention_add)
        .add(&FRIENDS_ATTENTION_DELETE, attention_delete)
        .add(&FRIENDS_ATTENTION_BATCH_ADD, attention_batch_add)
        .add(&FRIENDS_QUERY_BLACKLIST_WEB, query_blacklist_web);
}

/// `toUserId` of every action here (an `int` of the original).
fn to_user(p: &Params) -> ShikuResult<i64> {
    Ok(p.i32_required("toUserId")? as i64)
}

/// The relation `me` → `to` as the original answers it (`getFriends`):
/// `isBeenBlack` is whether `to` blacklists `me` now.
async fn relation_json(state: &AppState, me: i64, to: i64) -> ShikuResult<Option<Value>> {
    let (mine, theirs) =
        futures::try_join!(state.store.friend(me, to), state.store.friend(to, me))?;
    let Some(mine) = mine else {
        return Ok(None);
    };
    let blacklisted = match theirs {
        Some(t) => t.blacklist()?.unwrap_or(0),
        None => 0,
    };
    let mut v = friend_json(&mine);
    v["isBeenBlack"] = blacklisted.into();
    Ok(Some(v))
}

fn answer(v: Option<Value>) -> HttpResponse {
    match v {
        Some(v) => ok_data(v),
        None => ok(),
    }
}

pub const FRIENDS_GET: Endpoint = Endpoint {
    path: "/friends/get",
    summary: "the caller's relation to one user (no data when none)",
    params: &[int("toUserId").required(), int("userId")],
    ..Endpoint::shiku("", "")
};

/// `/friends/get` (QZ sends `userId` too; the caller's own relation is read).
async fn get(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.i32_opt("userId")?;
    let to = to_user(&p)?;
    Ok(answer(relation_json(&state, me, to).await?))
}

// --- new friends ----------------------------------------------------------------

/// A `NewFriends` record as the clients read it: ids as numbers (stored as
/// strings by the newer servers), `toNickname` the peer's current nickname,
/// `status` the current relation's when there is one.
async fn new_friends_json(state: &AppState, me: i64, docs: &[Document]) -> ShikuResult<Vec<Value>> {
    let peers: Vec<i64> = docs
        .iter()
        .filter_map(|d| d.get("toUserId").and_then(bson_i64))
        .collect();
    let names = state.store.nicknames(&peers).await?;
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        let mut d = d.clone();
        d.remove("_id");
        let peer = d.get("toUserId").and_then(bson_i64);
        for k in ["userId", "toUserId"] {
            if let Some(n) = d.get(k).and_then(bson_i64) {
                d.insert(k, n);
            }
        }
        if let Some(peer) = peer {
            if let Some(n) = names.get(&peer) {
                d.insert("toNickname", n.as_str());
            }
            let friend = state.store.friend(me, peer).await?;
            if let Some(status) = friend.map(|f| f.status()).transpose()?.flatten() {
                d.insert("status", status);
            }
        }
        out.push(crate::util::entity_to_json(&d));
    }
    Ok(out)
}

pub const FRIENDS_NEW_FRIEND_LIST: Endpoint = Endpoint {
    path: "/friends/newFriend/list",
    summary: "friend requests and answers, latest first (userId required, the caller's are listed)",
    params: &[int("userId").required(), PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

/// `/friends/newFriend/list`: `userId` is required by the original and then
/// ignored (the caller's records); `pageSize` 10 by default.
async fn new_friend_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.i32_required("userId")?;
    let (items, _, _) = new_friends_page(&state, me, &p).await?;
    Ok(ok_data(Value::Array(items)))
}

async fn new_friends_page(
    state: &AppState,
    me: i64,
    p: &Params,
) -> ShikuResult<(Vec<Value>, i64, i64)> {
    let (index, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let docs = state.store.new_friends_page(me, skip, size).await?;
    Ok((new_friends_json(state, me, &docs).await?, index, size))
}

pub const FRIENDS_NEW_FRIEND_LIST_WEB: Endpoint = Endpoint {
    path: "/friends/newFriendListWeb",
    summary: "friend requests and answers as a page (web client)",
    params: &[PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

/// `/friends/newFriendListWeb` (WX): the same records as a page object; like
/// the original, `total` is the length of this page.
async fn new_friend_list_web(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let (items, index, size) = new_friends_page(&state, me, &p).await?;
    Ok(ok_data(page_of_itself(items, index, size)))
}

pub const FRIENDS_NEW_FRIEND_LAST: Endpoint = Endpoint {
    path: "/friends/newFriend/last",
    summary: "the latest friend request or answer with one user",
    params: &[int("toUserId").required()],
    ..Endpoint::shiku("", "")
};

/// `/friends/newFriend/last` (QZ, on a 502 while its new-friends page is
/// open): the record of the pair, `toUserId` a number; none is the
/// original's internal-error code, which QZ ignores.
async fn new_friend_last(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    let Some(d) = state.store.new_friend_last(me, to).await? else {
        return Err(codes::NO_NEW_FRIEND.into());
    };
    let mut items = new_friends_json(&state, me, &[d]).await?;
    Ok(ok_data(items.remove(0)))
}

// --- blacklist --------------------------------------------------------------------

pub const FRIENDS_BLACKLIST: Endpoint = Endpoint {
    path: "/friends/blacklist",
    summary: "the users the caller blacklisted",
    params: &[PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

async fn blacklist(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let (items, _, _) = blacklist_page(&state, me, &p).await?;
    Ok(ok_data(Value::Array(items)))
}

async fn blacklist_page(
    state: &AppState,
    me: i64,
    p: &Params,
) -> ShikuResult<(Vec<Value>, i64, i64)> {
    let (index, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let docs = state.store.blacklisted(me, skip, size).await?;
    Ok((docs.iter().map(friend_json).collect(), index, size))
}

pub const FRIENDS_QUERY_BLACKLIST_WEB: Endpoint = Endpoint {
    path: "/friends/queryBlacklistWeb",
    summary: "the users the caller blacklisted, as a page (web)",
    params: &[PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

async fn query_blacklist_web(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let (items, index, size) = blacklist_page(&state, me, &p).await?;
    Ok(ok_data(page_of_itself(items, index, size)))
}

pub const FRIENDS_BLACKLIST_ADD: Endpoint = Endpoint {
    path: "/friends/blacklist/add",
    summary: "blacklist a user (friend or stranger)",
    params: &[
        int("toUserId").required(),
        int("isNotify").one_of(&["0", "1"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/blacklist/add`: 100508 for oneself, 100509 when already done;
/// answers the relation after the change. The 507 is the client's to send
/// (the original sends it only for `isNotify` 1, which no client sets).
async fn blacklist_add(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    p.i32_or("isNotify", 0)?;
    if to == me {
        return Err(codes::NOT_OPERATE_SELF.into());
    }
    if let Some(f) = state.store.friend(me, to).await? {
        if f.blacklist()? == Some(1) {
            return Err(codes::NOT_REPEAT.into());
        }
    }
    let (me_user, to_user) =
        futures::try_join!(user_or_unknown(&state, me), user_or_unknown(&state, to))?;
    state.store.blacklist(&me_user, &to_user, now_s()).await?;
    note_friend_change(&state, me, to).await;
    Ok(answer(relation_json(&state, me, to).await?))
}

pub const FRIENDS_BLACKLIST_DELETE: Endpoint = Endpoint {
    path: "/friends/blacklist/delete",
    summary: "take a user off the blacklist",
    params: &[
        int("toUserId").required(),
        int("isNotify").one_of(&["0", "1"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/blacklist/delete`: 100513 when not blacklisted; a friendship
/// comes back as it was, a stranger's relation made by the blacklisting goes.
async fn blacklist_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    p.i32_or("isNotify", 0)?;
    let mine = state
        .store
        .friend(me, to)
        .await?
        .filter(|f| num(f, "blacklist") == Some(1))
        .ok_or_else(|| ShikuError::from(codes::NOT_ON_BLACKLIST))?;
    state.store.unblacklist(me, to, &mine, now_s()).await?;
    note_friend_change(&state, me, to).await;
    Ok(answer(relation_json(&state, me, to).await?))
}

// --- the relation ---------------------------------------------------------------

pub const FRIENDS_DELETE: Endpoint = Endpoint {
    path: "/friends/delete",
    summary: "end a friendship (both directions)",
    params: &[int("toUserId").required()],
    ..Endpoint::shiku("", "")
};

/// `/friends/delete`: 100508 for oneself, 100510 without a relation. Both
/// relations, both chat-list entries and the labels go; the messages stay
/// (the newest server also deletes both histories). The 505 is the client's.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    if to == me {
        return Err(codes::NOT_OPERATE_SELF.into());
    }
    if state.store.friend(me, to).await?.is_none() {
        return Err(codes::NOT_YOUR_FRIEND.into());
    }
    state.store.unfriend(me, to).await?;
    note_friend_change(&state, me, to).await;
    note_friend_change(&state, to, me).await;
    Ok(ok())
}

pub const FRIENDS_REMARK: Endpoint = Endpoint {
    path: "/friends/remark",
    summary: "the caller's remark name (and description) of a user",
    params: &[
        int("toUserId").required(),
        string("remarkName"),
        string("describe"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/remark` (WX's business card): an empty `remarkName` clears it;
/// a user without a relation gets a stranger's relation holding the remark.
async fn remark(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    let remark = p.raw("remarkName").unwrap_or("").trim();
    let describe = p.raw("describe").map(str::trim);
    if remark.chars().count() > 64 {
        return Err(ShikuError::invalid("remarkName"));
    }
    if describe.is_some_and(|d| d.chars().count() > 500) {
        return Err(ShikuError::invalid("describe"));
    }
    if to == me {
        return Err(codes::NOT_OPERATE_SELF.into());
    }
    let (me_user, to_user) =
        futures::try_join!(user_or_unknown(&state, me), user_or_unknown(&state, to))?;
    state
        .store
        .set_remark(&me_user, &to_user, remark, describe, now_s())
        .await?;
    note_friend_change(&state, me, to).await;
    Ok(ok())
}

pub const FRIENDS_MODIFY_ENCRYPT_TYPE: Endpoint = Endpoint {
    path: "/friends/modify/encryptType",
    summary: "the message encryption with a friend (0 none, 1 DES, 2 AES, 3 end-to-end)",
    params: &[
        int("toUserId").required(),
        int("encryptType").default(0).one_of(&["0", "1", "2", "3"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/modify/encryptType`: on both relations (100510 without one).
async fn modify_encrypt_type(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    let kind = p.i32_within("encryptType", 0, 0..=3)?;
    if state.store.friend(me, to).await?.is_none() {
        return Err(codes::NOT_YOUR_FRIEND.into());
    }
    let now = now_s();
    state
        .store
        .set_friend_fields(me, to, doc! {"encryptType": kind, "modifyTime": now})
        .await?;
    state
        .store
        .set_friend_fields(to, me, doc! {"encryptType": kind, "modifyTime": now})
        .await?;
    note_friend_change(&state, me, to).await;
    Ok(ok())
}

pub const FRIENDS_UPDATE_OFFLINE_NO_PUSH_MSG: Endpoint = Endpoint {
    path: "/friends/update/OfflineNoPushMsg",
    summary: "per-friend switch: do-not-disturb (type 0), burn after reading (1), pin (2)",
    params: &[
        int("userId").required(),
        int("toUserId").required(),
        int("offlineNoPushMsg").default(0).one_of(&["0", "1"]),
        int("type").default(0).one_of(&["0", "1", "2"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/update/OfflineNoPushMsg` (WX pins with `type` 2 and sends the
/// peer as `userId` too: the caller's relation is changed). Answers the
/// relation after the change, as the original (iOS reads the pin's
/// `openTopChatTime` from it); none: nothing to change.
async fn update_offline_no_push(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.i32_required("userId")?;
    let to = to_user(&p)?;
    let value = p.i32_within("offlineNoPushMsg", 0, 0..=1)?;
    let kind = p.i32_or("type", 0)?;
    let now = now_s();
    let set = match kind {
        0 => doc! {"offlineNoPushMsg": value},
        1 => doc! {"isOpenSnapchat": value},
        2 => doc! {"openTopChatTime": if value == 1 { now } else { 0 }},
        _ => return Err(ShikuError::invalid("type")),
    };
    let after = state.store.set_friend_fields(me, to, set).await?;
    if after.is_some() {
        note_friend_change(&state, me, to).await;
    }
    Ok(answer(after.as_ref().map(friend_json)))
}

pub const FRIENDS_UPDATE: Endpoint = Endpoint {
    path: "/friends/update",
    summary:
        "how many days the caller keeps the chat with a friend (chatRecordTimeOut; -1 for ever)",
    params: &[
        int("toUserId").required(),
        string("chatRecordTimeOut").required(),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/update` (Android's chat settings, "message keeping days"):
/// `chatRecordTimeOut` (days, a decimal; -1 or 0 keep for ever) on the
/// caller's relation, stored as the Double the relation holds.
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    let days: f64 = p
        .required("chatRecordTimeOut")?
        .parse()
        .ok()
        .filter(|d: &f64| d.is_finite() && *d >= -1.0 && *d <= 36500.0)
        .ok_or_else(|| ShikuError::invalid("chatRecordTimeOut"))?;
    let set = doc! {"chatRecordTimeOut": days, "modifyTime": now_s()};
    if state.store.set_friend_fields(me, to, set).await?.is_none() {
        return Err(codes::NOT_YOUR_FRIEND.into());
    }
    note_friend_change(&state, me, to).await;
    Ok(ok())
}

pub const FRIENDS_ATTENTION_ADD: Endpoint = Endpoint {
    path: "/friends/attention/add",
    summary: "follow a user: friends at once, or a request (type 1) when they verify friends",
    params: &[int("toUserId").required(), int("fromAddType").default(0)],
    ..Endpoint::shiku("", "")
};

/// `/friends/attention/add` (Android's and WX's "add friend"; the original's
/// `followUser`): 100501 for oneself, 100211 for an unknown user, 1100801
/// for a user who allows no followers (`settings.allowAtt` 0). When the
/// other user verifies friends (`settings.friendsVerify` 1, and is no
/// official account) and does not follow the caller, the caller follows
/// (status 1, `type` 1: the client then sends its 500 greeting); otherwise
/// both become friends (`type` 2). A user the caller had blacklisted is
/// taken off the list instead.
async fn attention_add(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    let from_add_type = p.i32_or("fromAddType", 0)?;
    if to == me {
        return Err(codes::NOT_ADD_SELF.into());
    }
    let (me_user, to_user) =
        futures::try_join!(user_or_unknown(&state, me), user_or_unknown(&state, to))?;
    refuse_way(to_user.setting_text("friendFromList"), from_add_type)?;
    let (mine, theirs) =
        futures::try_join!(state.store.friend(me, to), state.store.friend(to, me))?;
    // The other user blacklisted the caller: no way back in (the original's
    // `isBeenBlack` check, before anything else), nothing written.
    if let Some(m) = &mine {
        if m.is_been_black()? == Some(1) {
            return Err(ShikuError::coded(codes::FAILURE, "加好友失败"));
        }
    }
    let now = now_s();
    let blacklisted = match &mine {
        Some(m) => m.blacklist()? == Some(1),
        None => false,
    };
    if let (true, Some(m)) = (blacklisted, &mine) {
        state.store.unblacklist(me, to, m, now).await?;
        note_friend_change(&state, me, to).await;
        return Ok(ok());
    }
    let status_of = |f: &Option<Friend>| match f {
        Some(f) => f.status().map(|s| s.unwrap_or(0)),
        None => Ok(0),
    };
    let status = status_of(&mine)?;
    if status < 1 && to_user.setting("allowAtt") == Some(0) {
        return Err(codes::FOLLOW_REFUSED.into());
    }
    // Verification is the other user's setting, except for official
    // accounts (role 2, which every user registered as `userType` 2 holds):
    // they are followed as friends at once (the original's "过滤公众号").
    let verifies = to_user.setting("friendsVerify") == Some(1)
        && (status >= 1 || !state.store.roles_of(to).await?.contains(&2));
    let they_follow = status_of(&theirs)? >= 1;
    let kind = if verifies && !they_follow {
        if status < 1 {
            state
                .store
                .follow(&me_user, &to_user, from_add_type, now)
                .await?;
        }
        1
    } else {
        state.store.befriend(&me_user, &to_user, now).await?;
        2
    };
    note_friend_change(&state, me, to).await;
    Ok(ok_data(
        serde_json::json!({"fromAddType": from_add_type, "type": kind}),
    ))
}

/// The other user's "ways to add me" (`settings.friendFromList`, a comma
/// list of `fromAddType`s: 1 QR code, 2 card, 3 room, 4 phone, 5 nickname),
/// as the original checks it: an empty list refuses every way, 0 (system)
/// and 6 (other) pass any other list; a user without the setting has the
/// original's default, every way.
fn refuse_way(ways: Option<&str>, from_add_type: i32) -> ShikuResult<()> {
    let Some(ways) = ways else {
        return Ok(());
    };
    let allowed: Vec<i32> = ways
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect();
    let text = if allowed.is_empty() {
        "添加失败,该用户禁止该方式添加好友"
    } else if from_add_type == 0 || from_add_type == 6 || allowed.contains(&from_add_type) {
        return Ok(());
    } else {
        match from_add_type {
            1 => "用户禁止二维码添加好友",
            2 => "用户禁止名片添加好友",
            3 => "用户禁止从群组中添加好友",
            4 => "用户禁止手机号搜索添加好友",
            5 => "用户禁止昵称搜索添加好友",
            _ => "添加好友失败",
        }
    };
    Err(ShikuError::coded(codes::FAILURE, text))
}

pub const FRIENDS_ATTENTION_DELETE: Endpoint = Endpoint {
    path: "/friends/attention/delete",
    summary: "stop following a user (the caller's relation only)",
    params: &[int("toUserId").required()],
    ..Endpoint::shiku("", "")
};

/// `/friends/attention/delete` (Android, public accounts): the caller's
/// relation goes, the other side's stays; 100508 for oneself.
async fn attention_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = to_user(&p)?;
    if to == me {
        return Err(codes::NOT_OPERATE_SELF.into());
    }
    if !state.store.unfollow(me, to).await? {
        return Err(codes::NOT_YOUR_FRIEND.into());
    }
    note_friend_change(&state, me, to).await;
    Ok(ok())
}

/// Ids one batch may name.
const MAX_BATCH: usize = 500;

pub const FRIENDS_ATTENTION_BATCH_ADD: Endpoint = Endpoint {
    path: "/friends/attention/batchAdd",
    summary: "befriend several users at once (comma list; Android's phone contacts)",
    params: &[string("toUserIds").required()],
    ..Endpoint::shiku("", "")
};

/// `/friends/attention/batchAdd` (Android's contacts screen, "add all"):
/// each listed user becomes a friend both ways, without verification, as the
/// original's `batchFollowUser`; oneself, the system account, unknown users,
/// friends already and users who blacklisted the caller are passed over.
async fn attention_batch_add(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let ids = batch_ids(&p)?;
    let me_user = user_or_unknown(&state, me).await?;
    let now = now_s();
    for to in ids {
        if to == me || to == crate::store::friends::SYSTEM_USER_ID {
            continue;
        }
        let Some(to_user) = state.store.user_by_id(to).await? else {
            continue;
        };
        let mine = state.store.friend(me, to).await?;
        let skip = match &mine {
            Some(m) => m.is_been_black()? == Some(1) || m.status()? == Some(2),
            None => false,
        };
        if skip {
            continue;
        }
        state.store.befriend(&me_user, &to_user, now).await?;
        note_friend_change(&state, me, to).await;
        // The original's `notify`: 510 to the user added, content their id.
        let name = |u: &User| u.nickname().ok().flatten().unwrap_or("").to_string();
        let notice = crate::delivery::user_notice(
            510,
            (me, &name(&me_user)),
            (to, &name(&to_user)),
            &to.to_string(),
        );
        state.delivery.notify(&notice, to)?;
    }
    Ok(ok())
}

/// `toUserIds`: distinct user ids, at most [`MAX_BATCH`].
fn batch_ids(p: &Params) -> ShikuResult<Vec<i64>> {
    p.user_ids("toUserIds", MAX_BATCH)
}
