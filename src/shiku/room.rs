//! `/room/*`: rooms, members, notices. Behaviour follows the newer
//! Shiku server (`com.shiku.im` RoomController / RoomManagerImplForIM) with the
//! deployment's own parameters (`phones` instead of `text`, `/room/noticesPage`).
//!
//! Every handler validates its parameters and the caller's role before the first
//! write, so a refused request changes nothing.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Map, Value};

use crate::delivery::Join;
use crate::domain::room::{has_room_for, is_hidden, is_locked, Removal, Role, Seat};
use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::claims::Claim;
use crate::store::model::{Fields, Member, Room};
use crate::store::msgs::NewMessage;
use crate::store::names;
use crate::store::rooms::{new_member_doc, new_notice_doc, new_room_doc};
use crate::store::users::SyncTag;
use crate::util::{entity_to_json, now_ms, now_s, num, ok, ok_data, page_data, sorted_object};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&ROOM_ADD, add)
        .add(&ROOM_GET, get)
        .add(&ROOM_GET_ROOM, get_room)
        .add(&ROOM_UPDATE, update)
        .add(&ROOM_NOTICES_PAGE, notices_page)
        .add(&ROOM_MEMBER_LIST, member_list)
        .add(&ROOM_MEMBER_GET_MEMBER_LIST_BY_PAGE, member_list_by_page)
        .add(&ROOM_MEMBER_GET, member_get)
        .add(&ROOM_TRANSFER, transfer)
        .add(&ROOM_MEMBER_DELETE, member_delete)
        .add(&ROOM_MEMBER_UPDATE, member_update)
        .add(&ROOM_MEMBER_SET_OFFLINE_NO_PUSH_MSG, set_offline_no_push)
        .add(&ROOM_LIST_HIS, history_list);
}

// --- errors (KConstants.ResultCode, newer server) --------------------------------

// --- helpers ---------------------------------------------------------------------

/// `roomId` as an ObjectId (the original answers ParamsAuthFail for a bad one).
pub(super) fn room_id(p: &Params) -> ShikuResult<ObjectId> {
    p.object_id("roomId")
}

pub(super) async fn load_room(state: &AppState, id: &ObjectId) -> ShikuResult<Room> {
    state
        .store
        .room_by_id(id)
        .await?
        .ok_or_else(|| codes::NOT_ROOM.into())
}

/// The room, refused with 100401 when the console locked it (`s` = -1).
pub(super) async fn open_room(state: &AppState, id: &ObjectId) -> ShikuResult<Room> {
    let room = load_room(state, id).await?;
    if is_locked(&room) {
        return Err(codes::ROOM_LOCKED.into());
    }
    Ok(room)
}

/// Whether an action serves a room the console locked.
#[derive(Clone, Copy)]
pub(super) enum Locked {
    /// Refused with 100401 ([`open_room`]).
    Refuse,
    /// Served as any other room ([`load_room`]).
    Serve,
}

/// What the caller's [`Seat`] must allow.
#[derive(Clone, Copy)]
pub(super) enum Need {
    /// [`Seat::may_read`]: a member.
    Read,
    /// [`Seat::may_manage`]: the owner or an admin.
    Manage,
}

/// The room and the caller's member record, once the caller's [`Seat`]
/// allows what the action needs.
pub(super) async fn room_with_seat(
    state: &AppState,
    id: &ObjectId,
    me: i64,
    locked: Locked,
    need: Need,
) -> ShikuResult<(Room, Option<Member>)> {
    let room = match locked {
        Locked::Refuse => open_room(state, id).await?,
        Locked::Serve => load_room(state, id).await?,
    };
    let member = state.store.room_member(id, me).await?;
    let seat = Seat::new(&room, me, member.as_ref());
    match need {
        Need::Read => seat.may_read()?,
        Need::Manage => seat.may_manage()?,
    }
    Ok((room, member))
}

pub(super) fn str_of<'a>(d: &'a Document, key: &str) -> &'a str {
    d.get_str(key).unwrap_or("")
}

/// Tells the other devices of `users` that the room changed: the original's
/// `updateOfflineOperation` (`offlineOperation` `room` records, read by
/// `/user/offlineOperation`).
pub(super) async fn note_room_change(state: &AppState, id: &ObjectId, users: &[i64]) {
    let key = id.to_hex();
    let write = state
        .store
        .note_offline_operations(users, SyncTag::Room, &key);
    super::note_for_other_devices("room", write).await;
}

/// The push service's offline members of room `jid` (`roomPush_member`,
/// whom `message-push` pushes its messages to) follow its membership, as
/// the original imapi kept them: members who join while offline are added
/// (the user status reports keep the rest), members who leave are removed.
/// The membership is already written: a failure here is logged, not
/// answered.
pub(super) async fn follow_push_members(state: &AppState, jid: &str, joined: &[i64], left: &[i64]) {
    if !state.sessions.in_redis() {
        return;
    }
    let result = async {
        let users = state.store.users_by_ids(joined).await?;
        let offline: Vec<(&str, i64)> = users
            .iter()
            .filter(|u| num(u, "onlinestate") != Some(1))
            .filter_map(|u| u.id().ok())
            .map(|u| (jid, u.0))
            .collect();
        state.sessions.set_room_push(&offline, true).await?;
        let gone: Vec<(&str, i64)> = left.iter().map(|u| (jid, *u)).collect();
        state.sessions.set_room_push(&gone, false).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(jid, "room push members not updated: {e}");
    }
}

pub(super) async fn nickname_of(state: &AppState, user_id: i64) -> ShikuResult<String> {
    Ok(state
        .store
        .user_by_id(user_id)
        .await?
        .map(|u| str_of(&u, "nickname").to_string())
        .unwrap_or_default())
}

/// A member's nickname in the room (`""` when not a member).
pub(super) async fn member_nickname(
    state: &AppState,
    room: &ObjectId,
    user_id: i64,
) -> ShikuResult<String> {
    Ok(state
        .store
        .room_member(room, user_id)
        .await?
        .map(|m| str_of(&m, "nickname").to_string())
        .unwrap_or_default())
}

/// A member's name in notices about them: their user nickname, else the
/// nickname of their member record.
pub(super) async fn notice_name(state: &AppState, member: &Member) -> ShikuResult<String> {
    let name = nickname_of(state, member.user()?.0).await?;
    Ok(if name.is_empty() {
        str_of(member, "nickname").to_string()
    } else {
        name
    })
}

/// The nickname in a member record (`""` without one).
pub(super) fn member_name(member: Option<&Member>) -> String {
    member
        .map(|m| str_of(m, "nickname").to_string())
        .unwrap_or_default()
}

/// A member as the original serializes `Room.Member` (no `_id`, no `roomId`).
pub(super) fn member_json(m: &Document) -> Value {
    let mut m = m.clone();
    m.remove("_id");
    m.remove("roomId");
    entity_to_json(&m)
}

/// The room entity JSON: stored fields, `id`, and the embedded notice with `id`.
pub(super) fn room_json(room: &Document) -> Map<String, Value> {
    let mut r = room.clone();
    let notice = r.remove("notice");
    let mut out = match entity_to_json(&r) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(bson::Bson::Document(n)) = notice {
        out.insert("notice".into(), entity_to_json(&n));
    }
    out
}

/// A system notice of the room as the original sends it (from `10005/Server`).
#[allow(clippy::too_many_arguments)]
pub(super) fn notice_message(
    msg_type: i32,
    from: i64,
    from_name: &str,
    jid: &str,
    to_user: Option<(i64, &str)>,
    content: &str,
    extra: BTreeMap<String, Value>,
) -> NewMessage {
    let mut extra = extra;
    extra.insert("objectId".into(), json!(jid));
    NewMessage {
        message_id: uuid::Uuid::new_v4().simple().to_string(),
        from_user_id: from,
        from_user_name: from_name.to_string(),
        from_jid: "10005/Server".to_string(),
        to: jid.to_string(),
        to_user_id: to_user.map(|(u, _)| u.to_string()).unwrap_or_default(),
        to_user_name: to_user.map(|(_, n)| n.to_string()).unwrap_or_default(),
        msg_type,
        content: content.to_string(),
        time_send: now_ms(),
        extra,
    }
}

/// A notice from `from` (the owner) to the whole group, addressed to the
/// room's jid as the original's owner actions send it (935 encryption
/// type, 806 secret-group keys).
pub(super) async fn notice_to_group(
    state: &AppState,
    room: &Room,
    from: i64,
    msg_type: i32,
    content: &str,
) -> ShikuResult<()> {
    let jid = room.jid()?;
    let from_name = room.text("nickname")?.unwrap_or("");
    let mut notice = notice_message(
        msg_type,
        from,
        from_name,
        jid,
        None,
        content,
        BTreeMap::new(),
    );
    notice.to_user_id = jid.to_string();
    state.delivery.to_room(&state.store, &notice, jid).await?;
    Ok(())
}

/// `me` joins `room` by themself as `role` under `name` (100423 when the
/// room is full), with the 907 notice to the group.
pub(super) async fn join_self(
    state: &AppState,
    room: &Room,
    me: i64,
    name: &str,
    role: i32,
) -> ShikuResult<()> {
    if !has_room_for(room, 1) {
        return Err(codes::ROOM_FULL.into());
    }
    let id = room.id()?;
    let join = (
        new_member_doc(id, me, name, role, now_s()),
        Some(new_member_message(room, me, name, me, name)),
    );
    state
        .delivery
        .add_members(&state.store, &id, room.jid()?, &[join])
        .await?;
    note_room_change(state, &id, &[me]).await;
    follow_push_members(state, room.jid()?, &[me], &[]).await;
    Ok(())
}

/// The 907 "new member" notice (`createNewMemberMessage`): `fileName` = room id,
/// `fileSize` = showRead, `other` = the room settings in fastjson's order.
pub(super) fn new_member_message(
    room: &Document,
    from: i64,
    from_name: &str,
    to: i64,
    to_name: &str,
) -> NewMessage {
    let g = |k: &str| num(room, k).unwrap_or(0);
    let other = format!(
        "{{\"lsLook\":{},\"allowSendCard\":{},\"isSecretGroup\":{},\"joinSeqNo\":0,\"isNeedVerify\":{},\"showMember\":{},\"showRead\":{},\"maxUserSize\":{}}}",
        g("isLook"),
        g("allowSendCard"),
        g("isSecretGroup"),
        g("isNeedVerify"),
        g("showMember"),
        g("showRead"),
        g("maxUserSize"),
    );
    let mut extra = BTreeMap::new();
    extra.insert(
        "fileName".into(),
        json!(room
            .get_object_id("_id")
            .map(|o| o.to_hex())
            .unwrap_or_default()),
    );
    extra.insert("fileSize".into(), json!(g("showRead")));
    extra.insert("other".into(), json!(other));
    notice_message(
        907,
        from,
        from_name,
        str_of(room, "jid"),
        Some((to, to_name)),
        str_of(room, "name"),
        extra,
    )
}

/// An invited member joining room `id` at `at` (an ordinary member), with
/// the 907 that announces him.
pub(super) fn invited_join(
    room: &Document,
    id: ObjectId,
    from: i64,
    from_name: &str,
    user: i64,
    nick: &str,
    at: i64,
) -> Join {
    (
        new_member_doc(id, user, nick, Role::MEMBER, at),
        Some(new_member_message(room, from, from_name, user, nick)),
    )
}

/// The answer to a room creation: the entity as it was saved (`userSize` 0),
/// with no members and no notices.
pub(super) fn created_room(room: &Document) -> HttpResponse {
    let mut out = room_json(room);
    out.insert("members".into(), json!([]));
    out.insert("notices".into(), json!([]));
    ok_data(sorted_object(out))
}

/// `keys` (secret groups, the apps' `SecureFlagGroup`): the group's key
/// sealed with each member's public key, a JSON object by user id.
fn group_keys(p: &Params) -> ShikuResult<BTreeMap<i64, String>> {
    let Some(raw) = p.str("keys") else {
        return Ok(BTreeMap::new());
    };
    let keys: BTreeMap<String, String> =
        serde_json::from_str(raw).map_err(|_| ShikuError::invalid("keys"))?;
    keys.into_iter()
        .map(|(u, k)| match u.parse::<i32>() {
            Ok(u) if u > 0 && !k.is_empty() && k.len() <= 4096 => Ok((i64::from(u), k)),
            _ => Err(ShikuError::invalid("keys")),
        })
        .collect()
}

/// Each joining member keeps his sealed copy of the group key as
/// `chatKeyGroup` (what `/room/get` answers in `member`).
fn seal_group_keys(joins: &mut [Join], keys: &BTreeMap<i64, String>) {
    for (member, _) in joins {
        if let Some(k) = num(member, "userId").and_then(|u| keys.get(&u)) {
            member.insert("chatKeyGroup", k);
        }
    }
}

/// `phones`: a JSON array of phone numbers (numbers or strings).
fn parse_phones(p: &Params) -> ShikuResult<Vec<String>> {
    let Some(raw) = p.str("phones") else {
        return Ok(vec![]);
    };
    let v: Value = serde_json::from_str(raw).map_err(|_| ShikuError::invalid("phones"))?;
    let Value::Array(items) = v else {
        return Err(ShikuError::invalid("phones"));
    };
    let mut out = Vec::new();
    for it in items {
        let s = match it {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ShikuError::invalid("phones")),
        };
        if s.is_empty() || s.len() > 32 {
            return Err(ShikuError::invalid("phones"));
        }
        out.push(s);
    }
    if out.len() as i64 > 1000 {
        return Err(ShikuError::invalid("phones"));
    }
    Ok(out)
}

/// Resolves phones to users `(userId, nickname)`, without duplicates. A phone
/// matches `phone` or `telephone`; a short number that matches no phone is
/// tried as a userId (the seed's own example mixes both). Unknown entries are
/// refused, listed in the error, before anything is written.
async fn resolve_phones(state: &AppState, phones: &[String]) -> ShikuResult<Vec<(i64, String)>> {
    let mut users: Vec<(i64, String)> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for ph in phones {
        let mut user = state.store.user_by_phone(ph).await?;
        if user.is_none() && ph.len() <= 9 {
            if let Ok(id) = ph.parse::<i64>() {
                user = state.store.user_by_id(id).await?;
            }
        }
        match user.and_then(|u| num(&u, "_id").map(|id| (id, str_of(&u, "nickname").to_string()))) {
            Some((id, nick)) => {
                if !users.iter().any(|(u, _)| *u == id) {
                    users.push((id, nick));
                }
            }
            None => unknown.push(ph),
        }
    }
    if !unknown.is_empty() {
        return Err(ShikuError::coded(
            100211,
            format!("该用户不存在: {}", unknown.join(",")),
        ));
    }
    Ok(users)
}

// --- handlers --------------------------------------------------------------------

pub const ROOM_ADD: Endpoint = Endpoint {
    path: "/room/add",
    summary: "create a room",
    params: &[
        string("jid").required(),
        string("name").required(),
        string("desc"),
        string("phones"),
        string("text"),
        int("showRead").min(0).max(1),
        int("isLook").min(0).max(1),
        int("isNeedVerify").min(0).max(1),
        int("showMember").min(0).max(1),
        int("allowSendCard").min(0).max(1),
        int("allowInviteFriend").min(0).max(1),
        int("allowUploadFile").min(0).max(1),
        int("allowConference").min(0).max(1),
        int("allowSpeakCourse").min(0).max(1),
        int("isSecretGroup").min(0).max(1),
        string("keys"),
        string("longitude"),
        string("latitude"),
    ],
    ..Endpoint::shiku("", "")
};

/// The switches a new room may be created with (Android's create-group
/// dialog sends them all); absent ones keep the original's defaults.
const CREATION_SWITCHES: [&str; 10] = [
    "isSecretGroup",
    "showRead",
    "isLook",
    "isNeedVerify",
    "showMember",
    "allowSendCard",
    "allowInviteFriend",
    "allowUploadFile",
    "allowConference",
    "allowSpeakCourse",
];

/// `/room/add`: `jid`, `name`, `desc`, the members (`phones`, and `text`: a
/// JSON array of user ids, as the web client sends), the [`CREATION_SWITCHES`],
/// the place (`longitude`/`latitude`) and, for a secret group, `keys`.
async fn add(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let new = NewRoom::read(&p)?;
    let owner = super::user_or_unknown(&state, me).await?;
    let owner_name = str_of(&owner, "nickname").to_string();
    let mut invited = resolve_phones(&state, &new.phones).await?;
    for (u, nick) in users_named(&state, &new.ids).await? {
        if !invited.iter().any(|(v, _)| *v == u) {
            invited.push((u, nick));
        }
    }
    invited.retain(|(u, _)| *u != me);
    claim_room_jid(&state, new.jid).await?;

    let now = now_s();
    let id = ObjectId::new();
    let mut room = new_room_doc(id, new.jid, new.name, new.desc, me, &owner_name, now);
    room.extend(new.settings);
    let mut joins = creation_joins(&room, id, new.jid, me, &owner_name, &invited, now);
    seal_group_keys(&mut joins, &new.keys);
    create_or_release(&state, &room, &joins, new.jid).await?;
    let users: Vec<i64> = std::iter::once(me)
        .chain(invited.iter().map(|(u, _)| *u))
        .collect();
    note_room_change(&state, &id, &users).await;

    // The original answers the entity as it was saved: userSize 0, no members.
    Ok(created_room(&room))
}

/// The parameters of a `/room/add`, checked in the order the original reads them.
struct NewRoom<'a> {
    jid: &'a str,
    name: &'a str,
    desc: &'a str,
    phones: Vec<String>,
    /// `text`: members by user id.
    ids: Vec<i64>,
    /// The switches and `loc` sent, replacing the defaults.
    settings: Document,
    /// A secret group's key sealed for each member (`keys`).
    keys: BTreeMap<i64, String>,
}

impl<'a> NewRoom<'a> {
    /// `jid` (required, a valid room jid), `name`, `desc` and `phones`.
    fn read(p: &'a Params) -> ShikuResult<Self> {
        let jid = p.required("jid")?;
        if !names::valid_room_jid(jid) {
            return Err(ShikuError::invalid("jid"));
        }
        let name = p.str("name").unwrap_or("我的群组");
        let desc = p.str("desc").unwrap_or("");
        let phones = parse_phones(p)?;
        let mut settings = Document::new();
        for k in CREATION_SWITCHES {
            if let Some(v) = p.i32_opt(k)? {
                if !(0..=1).contains(&v) {
                    return Err(ShikuError::invalid(k));
                }
                settings.insert(k, v);
            }
        }
        if let Some((lng, lat)) = p.point()? {
            if lng != 0.0 || lat != 0.0 {
                settings.insert("loc", doc! {"lng": lng, "lat": lat});
            }
        }
        Ok(NewRoom {
            jid,
            name,
            desc,
            phones,
            ids: parse_id_list(p, "text")?,
            settings,
            keys: group_keys(p)?,
        })
    }
}

/// Refuses a jid some room has, then claims it.
async fn claim_room_jid(state: &AppState, jid: &str) -> ShikuResult<()> {
    // Checked against the stored rooms, then claimed, so that of concurrent
    // creations with one jid exactly one makes the room.
    if state.store.room_by_jid(jid).await?.is_some()
        || !state.store.claim(Claim::RoomJid, jid).await?
    {
        return Err(ShikuError::Failure("房间已经存在".into()));
    }
    Ok(())
}

/// The members of a new room: the owner, then each invited user with his 907.
fn creation_joins(
    room: &Document,
    id: ObjectId,
    jid: &str,
    me: i64,
    owner_name: &str,
    invited: &[(i64, String)],
    now: i64,
) -> Vec<Join> {
    // The owner's own 907 goes only to him as a single chat (not stored here);
    // each invited member's 907 is also a group message.
    let mut joins = vec![(new_member_doc(id, me, owner_name, Role::OWNER, now), None)];
    joins.extend(invited.iter().map(|(u, nick)| {
        // The creation's notices have ids made from the room and the member,
        // so a retry of a creation that failed half-way announces nobody twice.
        let mut notice = new_member_message(room, me, owner_name, *u, nick);
        notice.message_id = crate::secure::md5_hex(format!("907:{jid}:{u}").as_bytes());
        (
            new_member_doc(id, *u, nick, Role::MEMBER, now),
            Some(notice),
        )
    }));
    joins
}

/// Stores the new room and its members; on a failure the jid is released.
pub(super) async fn create_or_release(
    state: &AppState,
    room: &Document,
    joins: &[Join],
    jid: &str,
) -> ShikuResult<()> {
    if let Err(e) = state
        .delivery
        .create_room(&state.store, room.clone(), joins)
        .await
    {
        let _ = state.store.release(Claim::RoomJid, jid).await;
        return Err(e.into());
    }
    let users: Vec<i64> = joins.iter().filter_map(|(d, _)| num(d, "userId")).collect();
    follow_push_members(state, jid, &users, &[]).await;
    Ok(())
}

pub const ROOM_GET: Endpoint = Endpoint {
    path: "/room/get",
    summary: "a room with its members",
    params: &[
        string("roomId").required(),
        int("pageSize").default(500).min(1),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/get`: the room, the caller's `member`, `members` (owner and admins
/// first; the hidden ones only to the owner and themselves, with `userSize`
/// counted alike) and `notices` (newest first). Someone not in the room gets
/// the room alone (joining by QR code).
async fn get(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    // 500 by default, as the original: iOS sends none and keeps the answer
    // as the room's whole member list.
    let page_size = p.i64_or("pageSize", 500)?.clamp(1, state.cfg.max_page_size);
    // Independent reads, issued together.
    let (room, members, notices) = futures::try_join!(
        open_room(&state, &id),
        async { Ok::<_, ShikuError>(state.store.room_member_list(&id, None, page_size).await?) },
        async {
            Ok::<_, ShikuError>(
                state
                    .store
                    .latest_notices(&id, 0, state.cfg.max_page_size)
                    .await?,
            )
        },
    )?;
    // A list shorter than the page holds every member: the caller's record is
    // in it or nowhere (no round trip for it).
    let member = if (members.len() as i64) < page_size {
        members
            .iter()
            .find(|m| m.user().is_ok_and(|u| u.0 == me))
            .cloned()
    } else {
        state.store.room_member(&id, me).await?
    };
    let mut out = room_json(&room);
    // For everyone, members or not (iOS keeps it from a scanned QR code's
    // answer when it joins).
    cap_show_read(&room, &mut out);
    let Some(member) = member else {
        // Not (or no longer) in it: the room alone, as the original answers
        // it for joining by a scanned QR code (Android reads `isNeedVerify`,
        // `userId`, `jid` and joins); no member or notice is shown. No
        // `member` key at all: the original leaves nulls out, and iOS takes
        // a present `null` for a member (and ends).
        out.remove("notice");
        out.insert("members".into(), json!([]));
        out.insert("notices".into(), json!([]));
        return Ok(ok_data(sorted_object(out)));
    };
    // Hidden members (invisible, guardian) are for the owner's eyes.
    let seat = Seat::new(&room, me, Some(&member));
    let complete = (members.len() as i64) < page_size;
    let hidden = if seat.is_owner() {
        0
    } else if complete {
        members.iter().filter(|m| is_hidden(m)).count() as i64
    } else {
        state.store.count_hidden_members(&id).await? as i64
    };
    if let Some(size) = num(&room, "userSize") {
        out.insert("userSize".into(), json!(seat.visible_size(size, hidden)));
    }
    out.insert("member".into(), member_json(&member));
    out.insert(
        "members".into(),
        Value::Array(
            members
                .iter()
                .filter(|m| seat.sees(m))
                .map(|m| member_json(m))
                .collect(),
        ),
    );
    out.insert(
        "notices".into(),
        Value::Array(notices.iter().map(entity_to_json).collect()),
    );
    Ok(ok_data(sorted_object(out)))
}

/// Read receipts are off in a room of more than 50 members whatever the
/// owner set (the original's `/room/get` and `/room/getRoom`): the clients
/// send one per message read to every member when it is on.
fn cap_show_read(room: &Room, out: &mut Map<String, Value>) {
    if num(room, "userSize").unwrap_or(0) > SHOW_READ_MAX_MEMBERS {
        out.insert("showRead".into(), json!(0));
    }
}

/// The largest room whose members see read receipts.
const SHOW_READ_MAX_MEMBERS: i64 = 50;

pub const ROOM_GET_ROOM: Endpoint = Endpoint {
    path: "/room/getRoom",
    summary:
        "a room with its owner and admins (`members`) and the caller's member (absent when not in it)",
    params: &[string("roomId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/getRoom` (Android and the web client, on opening a group): the room
/// with its owner and admins as `members` (not the whole list) and the
/// caller's `member`, which is absent when the caller is no longer in it
/// (kicked: the client shows so). A disabled room is answered too, with its
/// `s`, so the client can say it is.
async fn get_room(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let (room, member, managers, hidden) = futures::try_join!(
        load_room(&state, &id),
        async { Ok(state.store.room_member(&id, me).await?) },
        async { Ok(state.store.room_managers(&id).await?) },
        async { Ok(state.store.count_hidden_members(&id).await?) },
    )?;
    let mut out = room_json(&room);
    let seat = Seat::new(&room, me, member.as_ref());
    if let Some(size) = num(&room, "userSize") {
        out.insert(
            "userSize".into(),
            json!(seat.visible_size(size, hidden as i64)),
        );
    }
    // Absent, not null, when the caller is out (see `get`).
    if let Some(m) = member.as_deref() {
        out.insert("member".into(), member_json(m));
    }
    cap_show_read(&room, &mut out);
    // The owner and admins, as the original (`getAdministrationMemberList`):
    // Android's group chat walks this list when it opens.
    out.insert(
        "members".into(),
        Value::Array(managers.iter().map(|m| member_json(m)).collect()),
    );
    Ok(ok_data(sorted_object(out)))
}

/// The latest `talkTime` accepted (ms of the year 2286: a client sending
/// milliseconds by mistake still fits).
const MAX_TALK_TIME: i64 = 9_999_999_999_999;

/// Room settings a `/room/update` may switch, with the notice type each sends.
const TOGGLES: &[(&str, i32)] = &[
    ("showRead", 915),
    ("isNeedVerify", 916),
    ("isLook", 917),
    ("showMember", 918),
    ("allowSendCard", 919),
    ("allowInviteFriend", 921),
    ("allowUploadFile", 922),
    ("allowConference", 923),
    ("allowSpeakCourse", 924),
];

pub const ROOM_UPDATE: Endpoint = Endpoint {
    path: "/room/update",
    summary: "change room settings / post a notice",
    params: &[
        string("roomId").required(),
        string("roomName"),
        int("talkTime"),
        string("notice"),
        int("showRead"),
        int("isNeedVerify"),
        int("isLook"),
        int("showMember"),
        int("allowSendCard"),
        int("allowInviteFriend"),
        int("allowUploadFile"),
        int("allowConference"),
        int("allowSpeakCourse"),
        string("desc"),
        string("subject"),
        int("maxUserSize"),
        int("allowHostUpdate"),
        int("isAttritionNotice"),
        string("chatRecordTimeOut"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/update`: owner/admins only. Like the original, the first matching
/// change wins: `roomName` (902), `talkTime` (920: mute all until then),
/// `notice` (905, answers `noticeId`), a
/// setting switch (915…924); otherwise `desc`, `subject`, `maxUserSize`,
/// `allowHostUpdate`, `isAttritionNotice`, `chatRecordTimeOut` (days the
/// messages are kept, -1 for ever; announced with a 932) are saved together.
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let changes = RoomChange::read(&p)?;
    let (room, member) = room_with_seat(&state, &id, me, Locked::Refuse, Need::Manage).await?;
    let my_name = member_name(member.as_ref());
    for change in changes {
        if let Some(answer) = change.apply(&state, &room, &id, me, &my_name).await? {
            note_room_change(&state, &id, &[me]).await;
            return Ok(answer);
        }
    }
    Ok(ok())
}

/// What one `/room/update` changes: the first of these that the request
/// carries and that changes something (the original's order), each with the
/// notice that announces it.
enum RoomChange {
    /// `roomName` (902).
    Rename(String),
    /// `talkTime` (920): everyone but the managers muted until then (s; 0 ends it).
    Mute(i64),
    /// `notice` (905): a new notice, which becomes the room's latest.
    Notice(String),
    /// One of [`TOGGLES`] (its own notice type).
    Toggle(&'static str, i32, i32),
    /// The silent settings: `desc`, `subject`, `maxUserSize`,
    /// `allowHostUpdate`, `isAttritionNotice`.
    Settings(Document),
}

impl RoomChange {
    /// Reads and checks the request before anything is written: the changes
    /// it carries, in the order they are tried ([`RoomChange::Settings`] last).
    fn read(p: &Params) -> ShikuResult<Vec<RoomChange>> {
        let toggles = Self::read_toggles(p)?;
        // `RoomVO.talkTime`; -2 = not given.
        let talk_time = p.i64_or("talkTime", -2)?;
        if !(-2..=MAX_TALK_TIME).contains(&talk_time) {
            return Err(ShikuError::invalid("talkTime"));
        }
        let settings = Self::read_settings(p)?;
        let notice = p.str("notice");
        if notice.is_some_and(|t| t.chars().count() > 10000) {
            return Err(ShikuError::invalid("notice"));
        }
        let mut changes = Vec::new();
        if let Some(name) = p.str("roomName") {
            if name.chars().count() > 100 {
                return Err(ShikuError::invalid("roomName"));
            }
            changes.push(RoomChange::Rename(name.to_string()));
        }
        if talk_time > -2 {
            changes.push(RoomChange::Mute(talk_time));
        }
        if let Some(text) = notice {
            changes.push(RoomChange::Notice(text.to_string()));
        }
        changes.extend(
            toggles
                .into_iter()
                .map(|(k, t, v)| RoomChange::Toggle(k, t, v)),
        );
        changes.push(RoomChange::Settings(settings));
        Ok(changes)
    }

    /// The [`TOGGLES`] the request carries (0 or 1 each), with their notice types.
    fn read_toggles(p: &Params) -> ShikuResult<Vec<(&'static str, i32, i32)>> {
        let mut toggles = Vec::new();
        for (k, t) in TOGGLES {
            let v = p.i32_or(k, -1)?;
            if v != -1 {
                if !(0..=1).contains(&v) {
                    return Err(ShikuError::invalid(k));
                }
                toggles.push((*k, *t, v));
            }
        }
        Ok(toggles)
    }

    /// The silent settings the request carries, as stored.
    fn read_settings(p: &Params) -> ShikuResult<Document> {
        let mut settings = Document::new();
        for k in ["desc", "subject"] {
            if let Some(v) = p.str(k) {
                settings.insert(k, v);
            }
        }
        if let Some(n) = p.i32_opt("maxUserSize")?.filter(|n| *n >= 0) {
            if n > 10000 {
                return Err(codes::MAX_USER_SIZE.into());
            }
            settings.insert("maxUserSize", n);
        }
        for k in ["allowHostUpdate", "isAttritionNotice"] {
            let v = p.i32_or(k, -1)?;
            if v != -1 {
                settings.insert(k, v);
            }
        }
        // A Double as the original stores it ("7.0", "0.04", "-1.0"); 0 = not given.
        if let Some(v) = p.str("chatRecordTimeOut") {
            let days = v
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && (-1.0..=36500.0).contains(d))
                .ok_or_else(|| ShikuError::invalid("chatRecordTimeOut"))?;
            if days != 0.0 {
                settings.insert("chatRecordTimeOut", days);
            }
        }
        Ok(settings)
    }

    /// Makes the change; `None` when it would change nothing (the next one
    /// of the request is tried then).
    async fn apply(
        self,
        state: &AppState,
        room: &Room,
        id: &ObjectId,
        me: i64,
        my_name: &str,
    ) -> ShikuResult<Option<HttpResponse>> {
        // The notice type and content that announce the change.
        let (t, content, notice_id) = match self {
            // The same name again changes nothing (the original announces no rename).
            RoomChange::Rename(name) if name == str_of(room, "name") => return Ok(None),
            RoomChange::Rename(name) => {
                state.store.change_room(id, doc! {"name": &name}).await?;
                (902, name, None)
            }
            RoomChange::Mute(until) => {
                // The room and, like the original, every member record.
                state.store.mute_room(id, until).await?;
                (920, until.to_string(), None)
            }
            RoomChange::Notice(text) => {
                let notice_id = Self::store_notice(state, id, me, &text).await?;
                (905, text, Some(notice_id))
            }
            RoomChange::Toggle(k, _, v)
                if k == "showRead" && num(room, "showRead") == Some(v as i64) =>
            {
                return Ok(None)
            }
            RoomChange::Toggle(k, t, v) => {
                state.store.change_room(id, doc! {k: v}).await?;
                (t, v.to_string(), None)
            }
            RoomChange::Settings(set) => {
                let keep_days = set.get_f64("chatRecordTimeOut").ok();
                Self::save_settings(state, room, id, set).await?;
                match keep_days {
                    // Java's `String.valueOf(double)`: "7.0", "0.04".
                    Some(d) if d.fract() == 0.0 => (932, format!("{d:.1}"), None),
                    Some(d) => (932, d.to_string(), None),
                    None => return Ok(Some(ok())),
                }
            }
        };
        let jid = room.jid()?;
        let m = notice_message(t, me, my_name, jid, None, &content, BTreeMap::new());
        state.delivery.to_room(&state.store, &m, jid).await?;
        Ok(Some(match notice_id {
            Some(notice_id) => ok_data(json!({ "noticeId": notice_id })),
            None => ok(),
        }))
    }

    /// Stores a new notice of the room, from the caller; answers its id.
    async fn store_notice(
        state: &AppState,
        id: &ObjectId,
        me: i64,
        text: &str,
    ) -> ShikuResult<String> {
        let user_nick = nickname_of(state, me).await?;
        let doc = new_notice_doc(*id, text, me, &user_nick, now_s());
        let notice_id = doc
            .get_object_id("_id")
            .map(|o| o.to_hex())
            .unwrap_or_default();
        state.store.add_room_notice(id, doc).await?;
        Ok(notice_id)
    }

    /// Saves the silent settings; 100402 when `maxUserSize` would be below
    /// the room's member count.
    async fn save_settings(
        state: &AppState,
        room: &Room,
        id: &ObjectId,
        mut set: Document,
    ) -> ShikuResult<()> {
        if let Some(n) = set.get("maxUserSize").and_then(crate::util::bson_i64) {
            if n < num(room, "userSize").unwrap_or(0) {
                return Err(codes::MAX_BELOW_MEMBERS.into());
            }
        }
        set.insert("modifyTime", now_s());
        state.store.set_room_fields(id, set).await?;
        Ok(())
    }
}

pub const ROOM_NOTICES_PAGE: Endpoint = Endpoint {
    path: "/room/noticesPage",
    summary: "room notices, newest first",
    params: &[string("roomId").required(), PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

/// `/room/noticesPage`: members only; newest first, paged.
async fn notices_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let (index, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    room_with_seat(&state, &id, me, Locked::Serve, Need::Read).await?;
    let (items, total) = state.store.room_notices_page(&id, skip, size).await?;
    Ok(ok_data(page_data(
        items.iter().map(entity_to_json).collect(),
        index,
        size,
        total as i64,
    )))
}

pub const ROOM_MEMBER_GET_MEMBER_LIST_BY_PAGE: Endpoint = Endpoint {
    path: "/room/member/getMemberListByPage",
    summary:
        "room members paged by join time: owner and admins first (joinTime 0), then by createTime",
    params: &[
        string("roomId").required(),
        int("joinTime").default(0).min(0),
        int("pageSize").default(100).min(1),
        int("pageIndex"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/member/getMemberListByPage`: members only (`pageIndex` is accepted
/// and ignored, as the original); `joinTime` in seconds (0: the first page).
async fn member_list_by_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let join_time = p.i64_or("joinTime", 0)?;
    if join_time < 0 {
        return Err(ShikuError::invalid("joinTime"));
    }
    let size = p.i64_or("pageSize", 100)?.clamp(1, state.cfg.max_page_size);
    p.i64_opt("pageIndex")?;
    let (room, member) = room_with_seat(&state, &id, me, Locked::Serve, Need::Read).await?;
    let owner = Seat::new(&room, me, member.as_ref()).role() == Some(Role::Owner);
    let list = state.store.member_page(&id, join_time, size, owner).await?;
    Ok(ok_data(Value::Array(
        list.iter().map(member_json).collect(),
    )))
}

pub const ROOM_MEMBER_GET: Endpoint = Endpoint {
    path: "/room/member/get",
    summary: "one member record of a room (the caller's by default)",
    params: &[string("roomId").required(), int("userId").default(0)],
    ..Endpoint::shiku("", "")
};

/// `/room/member/get`: `userId` (0: the caller). Like the original, any
/// logged-in user may read a member record; 100411 without the room, 100409
/// when the user is not in it.
async fn member_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let user = match p.i64_or("userId", 0)? {
        0 => me,
        u => u,
    };
    load_room(&state, &id).await?;
    let member = state
        .store
        .room_member(&id, user)
        .await?
        .ok_or_else(|| ShikuError::from(codes::NOT_MEMBER))?;
    Ok(ok_data(member_json(&member)))
}

pub const ROOM_MEMBER_LIST: Endpoint = Endpoint {
    path: "/room/member/list",
    summary: "room members",
    params: &[string("roomId").required(), string("keyword")],
    ..Endpoint::shiku("", "")
};

/// `/room/member/list`: members only; the member list (`keyword` filters by
/// nickname), hidden members (invisible, guardian) for the owner and
/// themselves only, as in `/room/get`.
async fn member_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let (room, member) = room_with_seat(&state, &id, me, Locked::Serve, Need::Read).await?;
    let seat = Seat::new(&room, me, member.as_ref());
    let list = state
        .store
        .room_member_list(
            &id,
            p.search_text("keyword", crate::http::params::MAX_SEARCH_CHARS),
            state.cfg.max_page_size,
        )
        .await?;
    Ok(ok_data(Value::Array(
        list.iter()
            .filter(|m| seat.sees(m))
            .map(|m| member_json(m))
            .collect(),
    )))
}

pub const ROOM_TRANSFER: Endpoint = Endpoint {
    path: "/room/transfer",
    summary: "transfer ownership",
    params: &[string("roomId").required(), int("toUserId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/transfer`: the owner hands the room to another member (925; 934 is the notice edit).
async fn transfer(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = p.i64_or("toUserId", 0)?;
    if to == 0 {
        return Err(ShikuError::from(codes::SPECIFY_NEW_OWNER));
    }
    let id = room_id(&p)?;
    let room = open_room(&state, &id).await?;
    let seat = Seat::new(&room, me, None);
    if Some(to) == seat.owner() {
        return Err(ShikuError::from(codes::NOT_TRANSFER_TO_SELF));
    }
    seat.may_transfer()?;
    let Some(target) = state.store.room_member(&id, to).await? else {
        return Err(ShikuError::from(codes::NOT_TRANSFER_TO_NON_MEMBER));
    };
    let my_name = member_nickname(&state, &id, me).await?;
    let to_name = notice_name(&state, &target).await?;
    let jid = room.jid()?.to_string();
    let m = notice_message(
        925,
        me,
        &my_name,
        &jid,
        Some((to, &to_name)),
        "",
        BTreeMap::new(),
    );
    state
        .delivery
        .to_room_and_member(&state.store, &m, &jid, to)
        .await?;
    state.store.transfer_room(&id, me, to, &to_name).await?;
    note_room_change(&state, &id, &[me, to]).await;
    Ok(ok())
}

pub const ROOM_MEMBER_DELETE: Endpoint = Endpoint {
    path: "/room/member/delete",
    summary: "leave, remove a member, or (owner leaving) dissolve",
    params: &[string("roomId").required(), int("userId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/member/delete`: the owner removing himself dissolves the room; a
/// member removing himself leaves; owner/admins remove ordinary members.
async fn member_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let target = p
        .i64_opt("userId")?
        .ok_or_else(|| ShikuError::missing("userId"))?;
    let room = open_room(&state, &id).await?;
    let (my_member, target_member) = futures::try_join!(
        state.store.room_member(&id, me),
        state.store.room_member(&id, target)
    )?;
    let seat = Seat::new(&room, me, my_member.as_ref());
    if seat.may_remove(target, target_member.as_ref())? == Removal::Dissolve {
        dissolve(&state, &room, me).await?;
        return Ok(ok());
    }
    let Some(target_member) = target_member else {
        return Err(codes::NOT_MEMBER.into());
    };
    let my_name = member_name(my_member.as_ref());
    remove_member(&state, &room, me, &my_name, &target_member).await?;
    Ok(ok())
}

/// Dissolves the room (903 is only pushed: the group history is dropped with
/// the room).
pub(super) async fn dissolve(state: &AppState, room: &Room, me: i64) -> ShikuResult<()> {
    let id = room
        .get_object_id("_id")
        .map_err(|_| crate::store::StoreError::Corrupt("room without _id".into()))?;
    let jid = room.jid()?;
    // The 903 exists only on a message queue: its members and sender are
    // read only when there is one.
    let (members, owner, owner_name) = if state.delivery.publishes() {
        // From the owner, whoever dissolves it (the original's `destroyRoom`).
        let owner = room.owner()?.0;
        let members = state.store.room_member_ids(&id).await?;
        let mut name = member_nickname(state, &id, owner).await?;
        if name.is_empty() {
            name = str_of(room, "nickname").to_string();
        }
        (members, owner, name)
    } else {
        (vec![], me, String::new())
    };
    state.store.dissolve_room(&id, jid).await?;
    note_room_change(state, &id, &[me]).await;
    if let Err(e) = state.sessions.drop_room_push(jid).await {
        tracing::warn!(jid, "room push members not dropped: {e}");
    }
    if !members.is_empty() {
        let m = notice_message(
            903,
            owner,
            &owner_name,
            jid,
            None,
            str_of(room, "name"),
            BTreeMap::new(),
        );
        state.delivery.room_dissolved(&m, jid, &members)?;
    }
    Ok(())
}

/// Removes a member (a removal `Seat::may_remove` allowed): the 904 notice,
/// then the member.
pub(super) async fn remove_member(
    state: &AppState,
    room: &Room,
    me: i64,
    my_name: &str,
    target_member: &Member,
) -> ShikuResult<()> {
    let id = room.id()?;
    let jid = room.jid()?;
    let target = target_member.user()?.0;
    let to_name = notice_name(state, target_member).await?;
    // The removed member is always told; the group only when the room
    // announces departures (the original's `sendChatToOneGroupMsg` or
    // `sendGroupOne`).
    let m = notice_message(
        904,
        me,
        my_name,
        jid,
        Some((target, &to_name)),
        str_of(room, "name"),
        BTreeMap::new(),
    );
    if num(room, "isAttritionNotice") == Some(1) {
        state
            .delivery
            .to_room_and_member(&state.store, &m, jid, target)
            .await?;
    } else if target != me {
        state.delivery.to_user(&state.store, &m, target).await?;
    }
    state.store.leave_room(&id, jid, target).await?;
    // The caller's other devices only, as the original: the removed member
    // learns it from the 904 notice (a record would have his apps reload a
    // room he is no longer in at every start).
    note_room_change(state, &id, &[me]).await;
    follow_push_members(state, jid, &[], &[target]).await;
    Ok(())
}

pub const ROOM_MEMBER_UPDATE: Endpoint = Endpoint {
    path: "/room/member/update",
    summary: "add members (`phones`, or `text`: a JSON array of user ids), or change one member (`userId` with `nickname`, `talkTime` or `remarkName`)",
    params: &[
        string("roomId").required(),
        string("phones"),
        string("text"),
        int("userId"),
        string("nickname"),
        int("talkTime").min(-1),
        string("remarkName"),
        string("keys"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/member/update`, the original's three forms: `phones` (the
/// deployment's document) or `text` (the apps: user ids) add members, 907
/// each; `userId` with `nickname` / `talkTime` / `remarkName` changes that
/// member. Users already in the room are skipped; unknown phones refuse the
/// whole request, unknown ids are skipped (as the original's `text`).
async fn member_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let invited = if p.str("phones").is_some() {
        let phones = parse_phones(&p)?;
        if phones.is_empty() {
            return Err(ShikuError::missing("phones"));
        }
        resolve_phones(&state, &phones).await?
    } else if p.str("text").is_some() {
        users_named(&state, &parse_id_list(&p, "text")?).await?
    } else if let Some(target) = p.i64_opt("userId")? {
        return change_member(&state, &p, me, id, target).await;
    } else {
        return Err(ShikuError::missing("phones"));
    };
    let keys = group_keys(&p)?;
    let room = open_room(&state, &id).await?;
    let new_users = users_to_add(&state, &room, &id, me, invited).await?;
    let my_name = nickname_of(&state, me).await?;
    let jid = room.jid()?.to_string();
    let now = now_s();
    let mut joins: Vec<_> = new_users
        .iter()
        .enumerate()
        .map(|(i, (u, nick))| invited_join(&room, id, me, &my_name, *u, nick, now + 1 + i as i64))
        .collect();
    seal_group_keys(&mut joins, &keys);
    state
        .delivery
        .add_members(&state.store, &id, &jid, &joins)
        .await?;
    let users: Vec<i64> = std::iter::once(me)
        .chain(new_users.iter().map(|(u, _)| *u))
        .collect();
    note_room_change(&state, &id, &users).await;
    follow_push_members(&state, &jid, &users[1..], &[]).await;
    Ok(ok())
}

/// The users among `ids` that exist, with their nicknames (unknown ids are
/// left out, as the original's `text` skips them).
async fn users_named(state: &AppState, ids: &[i64]) -> ShikuResult<Vec<(i64, String)>> {
    Ok(state
        .store
        .users_by_ids(ids)
        .await?
        .iter()
        .filter_map(|u| {
            let name = u.nickname().ok().flatten().unwrap_or("");
            Some((u.id().ok()?.0, name.to_string()))
        })
        .collect())
}

/// `text`: a JSON array of user ids (numbers or digit strings), at most 1000
/// (none when absent).
fn parse_id_list(p: &Params, name: &'static str) -> ShikuResult<Vec<i64>> {
    let raw = p.str(name).unwrap_or("[]");
    let items: Vec<Value> = serde_json::from_str(raw).map_err(|_| ShikuError::invalid(name))?;
    if items.len() > 1000 {
        return Err(ShikuError::invalid(name));
    }
    let mut ids = Vec::with_capacity(items.len());
    for it in items {
        let id = match &it {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|id| (1..=i64::from(i32::MAX)).contains(id))
        .ok_or_else(|| ShikuError::invalid(name))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// `/room/member/update` with `userId`: that member's `nickname` (one's
/// own), `talkTime` (a mute until then, seconds, -1 for good; by the owner
/// or an admin) or `remarkName`; the 901 (new nickname) and 906 (mute)
/// notices.
async fn change_member(
    state: &AppState,
    p: &Params,
    me: i64,
    id: ObjectId,
    target: i64,
) -> ShikuResult<HttpResponse> {
    let change = MemberChange::read(p)?;
    let room = open_room(state, &id).await?;
    let (my_member, target_member) = futures::try_join!(
        state.store.room_member(&id, me),
        state.store.room_member(&id, target)
    )?;
    let seat = Seat::new(&room, me, my_member.as_ref());
    let (renames, mutes) = (change.nickname.is_some(), change.talk_time.is_some());
    seat.may_update_member(target, target_member.as_ref(), renames, mutes)?;
    let Some(target_member) = target_member else {
        return Err(codes::NOT_MEMBER.into());
    };
    state
        .store
        .set_member_fields(&id, target, change.fields())
        .await?;
    let jid = room.jid()?;
    let my_name = member_name(my_member.as_ref());
    let old_name = str_of(&target_member, "nickname").to_string();
    let notice = |t: i32, content: &str| {
        notice_message(
            t,
            me,
            &my_name,
            jid,
            Some((target, &old_name)),
            content,
            BTreeMap::new(),
        )
    };
    if let Some(n) = change.nickname.filter(|n| *n != old_name) {
        state
            .delivery
            .to_room(&state.store, &notice(901, n), jid)
            .await?;
    }
    if let Some(t) = change.talk_time {
        let m = notice(906, &t.to_string());
        state
            .delivery
            .to_room_and_member(&state.store, &m, jid, target)
            .await?;
    }
    note_room_change(state, &id, &[me, target]).await;
    Ok(ok())
}

/// What a `/room/member/update` with `userId` changes, checked before
/// anything is read or written.
struct MemberChange<'a> {
    nickname: Option<&'a str>,
    remark: Option<&'a str>,
    /// Seconds; -1 mutes for good (the web client's "永久禁言"), 0 ends it.
    talk_time: Option<i64>,
}

impl<'a> MemberChange<'a> {
    fn read(p: &'a Params) -> ShikuResult<Self> {
        let change = MemberChange {
            nickname: p.str("nickname"),
            remark: p.str("remarkName"),
            talk_time: p.i64_opt("talkTime")?,
        };
        if change.nickname.is_none() && change.remark.is_none() && change.talk_time.is_none() {
            return Err(ShikuError::missing("nickname"));
        }
        if change.talk_time.is_some_and(|t| t < -1) {
            return Err(ShikuError::invalid("talkTime"));
        }
        for (name, v) in [("nickname", change.nickname), ("remarkName", change.remark)] {
            if v.is_some_and(|v| v.chars().count() > 100 || v.chars().any(char::is_control)) {
                return Err(ShikuError::invalid(name));
            }
        }
        Ok(change)
    }

    /// The member fields to set, with `modifyTime`.
    fn fields(&self) -> Document {
        let mut set = doc! {};
        if let Some(n) = self.nickname {
            set.insert("nickname", n);
        }
        if let Some(t) = self.talk_time {
            set.insert("talkTime", t);
        }
        if let Some(r) = self.remark {
            set.insert("remarkName", r);
        }
        set.insert("modifyTime", now_s());
        set
    }
}

/// Of the `users` invited, those the caller may invite and that are not yet
/// in the room; refused when the caller may not invite them or the room
/// cannot hold them.
async fn users_to_add(
    state: &AppState,
    room: &Room,
    id: &ObjectId,
    me: i64,
    users: Vec<(i64, String)>,
) -> ShikuResult<Vec<(i64, String)>> {
    let my_member = state.store.room_member(id, me).await?;
    let single_is_friend = match users.as_slice() {
        [(u, _)] => state.store.friend(me, *u).await?.is_some(),
        _ => false,
    };
    Seat::new(room, me, my_member.as_ref()).may_invite_users(users.len(), single_is_friend)?;
    let ids: Vec<i64> = users.iter().map(|(u, _)| *u).collect();
    let present = state.store.members_among(id, &ids).await?;
    let new_users: Vec<(i64, String)> = users
        .into_iter()
        .filter(|(u, _)| !present.contains(u))
        .collect();
    if !has_room_for(room, new_users.len() as i64) {
        return Err(ShikuError::from(codes::ROOM_FULL));
    }
    Ok(new_users)
}

pub const ROOM_MEMBER_SET_OFFLINE_NO_PUSH_MSG: Endpoint = Endpoint {
    path: "/room/member/setOfflineNoPushMsg",
    summary: "do-not-disturb (type 0) or pin (type 1)",
    params: &[
        string("roomId").required(),
        int("userId"),
        int("type"),
        int("offlineNoPushMsg").required(),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/member/setOfflineNoPushMsg`: `type` 0 do-not-disturb, 1 pin
/// (`openTopChatTime` and the `stick_dialog` record), for the caller only.
async fn set_offline_no_push(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let value = p.i32_within("offlineNoPushMsg", 0, 0..=1)?;
    let kind = p.i32_within("type", 0, 0..=1)?;
    let target = p.i64_or("userId", 0)?;
    if target != 0 && target != me {
        return Err(codes::NO_PERMISSION.into());
    }
    let (room, _) = room_with_seat(&state, &id, me, Locked::Serve, Need::Read).await?;
    let now = now_s();
    if kind == 0 {
        state
            .store
            .set_member_fields(&id, me, doc! {"offlineNoPushMsg": value, "modifyTime": now})
            .await?;
        state
            .store
            .set_user_room_jid_fields(me, room.jid()?, doc! {"offlineNoPushMsg": value})
            .await?;
    } else {
        let top: i64 = if value == 0 { 0 } else { now };
        state
            .store
            .set_member_fields(&id, me, doc! {"openTopChatTime": top, "modifyTime": now})
            .await?;
        // The pinned-dialog record too, which the PC client reads pins from
        // (`/tigase/dialog/get`), as the BASIC server writes it.
        let jid = room.jid()?;
        if value == 1 {
            state.store.stick_add(me, jid, 0).await?;
        } else {
            state.store.stick_delete(me, jid).await?;
        }
    }
    note_room_change(&state, &id, &[me]).await;
    Ok(ok())
}

pub const ROOM_LIST_HIS: Endpoint = Endpoint {
    path: "/room/list/his",
    summary: "the caller's rooms",
    params: &[PAGE[0], PAGE[1], int("type").default(0)],
    ..Endpoint::shiku("", "")
};

/// `/room/list/his`: the caller's rooms, each with his `member`.
/// `type` 0 all, 1 rooms he owns, 2 rooms he joined.
async fn history_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let kind = p.i32_or("type", 0)?;
    let (_, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let ids = state.store.user_room_ids(me).await?;
    if ids.is_empty() {
        return Ok(ok_data(json!([])));
    }
    let owner = match kind {
        1 => Some((true, me)),
        2 => Some((false, me)),
        _ => None,
    };
    let rooms = state.store.rooms_page(&ids, owner, skip, size).await?;
    let mut out = Vec::with_capacity(rooms.len());
    for room in rooms {
        let Ok(rid) = room.get_object_id("_id") else {
            continue;
        };
        let mut r = room_json(&room);
        if let Some(m) = state.store.room_member(&rid, me).await? {
            r.insert("member".into(), member_json(&m));
        }
        r.insert("notices".into(), json!([]));
        out.push(sorted_object(r));
    }
    Ok(ok_data(Value::Array(out)))
}
