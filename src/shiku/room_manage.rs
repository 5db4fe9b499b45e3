//! The owner's and admins' room actions the clients call beyond the seed's:
//! `/room/delete`, `/room/updateEncryptType`, `/room/set/admin` and the PC
//! client's batch removal `room/member/deleteUsers`. Who may do what is
//! `domain::room::Seat`; the shared steps (dissolve, remove a member, notices)
//! are in `room.rs`.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Document};
use serde_json::json;

use super::room::{
    created_room, dissolve, invited_join, join_self, load_room, member_name, member_nickname,
    nickname_of, note_room_change, notice_message, notice_to_group, open_room, remove_member,
    room_id, room_json, room_with_seat, str_of, Locked, Need,
};
use crate::delivery::Join;
use crate::domain::room::{Removal, Role, Seat};
use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::{Member, Room};
use crate::store::msgs::NewMessage;
use crate::store::rooms::new_member_doc;
use crate::util::{entity_to_json, now_s, num, ok, ok_data, sorted_object};
use crate::AppState;
use bson::oid::ObjectId;
use serde_json::Value;

pub fn routes(r: &mut Routes) {
    r.add(&ROOM_DELETE, delete)
        .add(&ROOM_UPDATE_ENCRYPT_TYPE, update_encrypt_type)
        .add(&ROOM_SET_ADMIN, set_admin)
        .add(&ROOM_MEMBER_DELETE_USERS, delete_users)
        .add(&ROOM_JOIN, join)
        .add(&ROOM_LIST, list)
        .add(&ROOM_UPDATE_NOTICE, update_notice)
        .add(&ROOM_NOTICE_DELETE, delete_notice)
        .add(&ROOM_SET_INVISIBLE_GUARDIAN, set_invisible_guardian)
        .add(&ROOM_COPY_ROOM, copy_room);
}

/// Ids one `room/member/deleteUsers` may name.
const MAX_USER_IDS: usize = 500;

pub const ROOM_DELETE: Endpoint = Endpoint {
    path: "/room/delete",
    summary: "dissolve a room (the owner)",
    params: &[string("roomId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/delete` (QZ, when the caller's role is 1): the owner dissolves the
/// room, as `/room/member/delete` of himself does.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let room = load_room(&state, &id).await?;
    Seat::new(&room, me, None).may_act_as_owner()?;
    dissolve(&state, &room, me).await?;
    Ok(ok())
}

pub const ROOM_UPDATE_ENCRYPT_TYPE: Endpoint = Endpoint {
    path: "/room/updateEncryptType",
    summary: "the room's message encryption (0 none, 1 DES, 2 AES, 3 end-to-end; the owner)",
    params: &[
        string("roomId").required(),
        int("encryptType").default(0).one_of(&["0", "1", "2", "3"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/updateEncryptType` (QZ's group settings): the owner sets
/// `encryptType`; the 935 notice (content the new type) goes to the group.
/// QZ then reads `/room/get` again.
async fn update_encrypt_type(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let encrypt = p.i32_within("encryptType", 0, 0..=3)?;
    let room = open_room(&state, &id).await?;
    Seat::new(&room, me, None).may_act_as_owner()?;
    state
        .store
        .change_room(&id, doc! {"encryptType": encrypt})
        .await?;
    notice_to_group(&state, &room, me, 935, &encrypt.to_string()).await?;
    note_room_change(&state, &id, &[me]).await;
    Ok(ok())
}

pub const ROOM_SET_ADMIN: Endpoint = Endpoint {
    path: "/room/set/admin",
    summary: "make a member an admin (type 2) or a member again (type 3; the owner)",
    params: &[
        string("roomId").required(),
        int("touserId").required(),
        int("type").required().one_of(&["2", "3"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/set/admin` (WX's group management: `touserId`, lower-case u;
/// `type` 2 sets, 3 unsets): the owner only; 100412 for himself, 100409 for
/// a non-member, 100442 beyond `adminMaxNumber`. The 913 notice (content 1
/// set, 0 unset) goes to the group.
async fn set_admin(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let (target, role) = admin_params(&p)?;
    let room = open_room(&state, &id).await?;
    Seat::new(&room, me, None).may_act_as_owner()?;
    if target == me {
        return Err(codes::OWNER_NOT_ADMIN.into());
    }
    let (my_member, target_member) = futures::try_join!(
        state.store.room_member(&id, me),
        state.store.room_member(&id, target)
    )?;
    let target_member = target_member.ok_or_else(|| ShikuError::from(codes::NOT_MEMBER))?;
    check_admin_limit(&state, &room, &id, role, &target_member).await?;
    let jid = room.jid()?;
    let my_name = member_name(my_member.as_ref());
    let notice = admin_notice(&state, &room, me, &my_name, &target_member, target, role).await?;
    state
        .store
        .set_member_fields(&id, target, doc! {"role": role})
        .await?;
    state
        .delivery
        .to_room_and_member(&state.store, &notice, jid, target)
        .await?;
    note_room_change(&state, &id, &[me, target]).await;
    Ok(ok())
}

/// `touserId` and `type` (2 admin, 3 member) of a `/room/set/admin`.
fn admin_params(p: &Params) -> ShikuResult<(i64, i32)> {
    let target = p.i32_required("touserId")? as i64;
    let role = p.i32_required("type")?;
    if role != Role::ADMIN && role != Role::MEMBER {
        return Err(ShikuError::invalid("type"));
    }
    Ok((target, role))
}

/// 100442 when making the member an admin would pass the room's
/// `adminMaxNumber` (0: no bound; an admin already counts).
async fn check_admin_limit(
    state: &AppState,
    room: &Room,
    id: &ObjectId,
    role: i32,
    target_member: &Document,
) -> ShikuResult<()> {
    let max_admins = num(room, "adminMaxNumber").unwrap_or(0);
    if role == Role::ADMIN
        && Role::of(target_member) != Some(Role::Admin)
        && max_admins > 0
        && state.store.count_members_with_role(id, Role::ADMIN).await? >= max_admins as u64
    {
        return Err(codes::ADMIN_LIMIT.into());
    }
    Ok(())
}

/// The 913 notice of a `/room/set/admin` (content 1 set, 0 unset), to the
/// member by his room name (else his nickname), `other` carrying the room's
/// `isAttritionNotice`.
async fn admin_notice(
    state: &AppState,
    room: &Room,
    me: i64,
    my_name: &str,
    target_member: &Document,
    target: i64,
    role: i32,
) -> ShikuResult<NewMessage> {
    let mut to_name = str_of(target_member, "nickname").to_string();
    if to_name.is_empty() {
        to_name = nickname_of(state, target).await?;
    }
    let mut other = BTreeMap::new();
    other.insert(
        "other".into(),
        json!(format!(
            "{{\"isAttritionNotice\":{}}}",
            num(room, "isAttritionNotice").unwrap_or(1)
        )),
    );
    Ok(notice_message(
        913,
        me,
        my_name,
        room.jid()?,
        Some((target, &to_name)),
        if role == Role::ADMIN { "1" } else { "0" },
        other,
    ))
}

pub const ROOM_MEMBER_DELETE_USERS: Endpoint = Endpoint {
    path: "/room/member/deleteUsers",
    summary: "remove several members at once (comma list; the caller's own id leaves)",
    params: &[string("roomId").required(), string("userIds").required()],
    ..Endpoint::shiku("", "")
};

/// `room/member/deleteUsers` (the deployment's PC client: `userIds` a comma
/// list; `userIds` = the caller leaves): `/room/member/delete` for each id,
/// all checked before any is removed, so a refusal removes nobody. The owner
/// naming himself dissolves the room.
async fn delete_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let targets = p.user_ids("userIds", MAX_USER_IDS)?;
    if targets.is_empty() {
        return Err(ShikuError::missing("userIds"));
    }
    let room = open_room(&state, &id).await?;
    let mut ids = targets.clone();
    ids.push(me);
    let members = state.store.members_of(&id, &ids).await?;
    let member_of = |u: i64| members.iter().find(|m| num(m, "userId") == Some(u));
    let seat = Seat::new(&room, me, member_of(me));
    let mut removals = Vec::new();
    for &t in &targets {
        match seat.may_remove(t, member_of(t))? {
            Removal::Dissolve => {
                dissolve(&state, &room, me).await?;
                return Ok(ok());
            }
            _ => removals.push(member_of(t).ok_or_else(|| ShikuError::from(codes::NOT_MEMBER))?),
        }
    }
    let my_name = member_name(member_of(me));
    for target_member in removals {
        remove_member(&state, &room, me, &my_name, target_member).await?;
    }
    Ok(ok())
}

pub const ROOM_JOIN: Endpoint = Endpoint {
    path: "/room/join",
    summary: "join a room (from the public list or a QR code)",
    params: &[
        string("roomId").required(),
        int("type").default(2).one_of(&["1", "2"]),
        int("operationType").default(0),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/join` (Android's public-room list and QR scan; `type` 1 when the
/// caller created the room, which only its owner may claim): 100423 when
/// full, 100401 when locked; already a member is a success. The 907 goes to
/// the group, from the one who joins.
async fn join(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let kind = p.i32_or("type", 2)?;
    p.i32_or("operationType", 0)?;
    let room = open_room(&state, &id).await?;
    if state.store.room_member(&id, me).await?.is_some() {
        return Ok(ok());
    }
    let role = if kind == 1 && Seat::new(&room, me, None).is_owner() {
        Role::OWNER
    } else {
        Role::MEMBER
    };
    let name = nickname_of(&state, me).await?;
    join_self(&state, &room, me, &name, role).await?;
    Ok(ok())
}

pub const ROOM_LIST: Endpoint = Endpoint {
    path: "/room/list",
    summary: "public rooms, newest first (roomName narrows by name or description)",
    params: &[PAGE[0], PAGE[1], string("roomName"), int("isJoinGroup")],
    ..Endpoint::shiku("", "")
};

/// `/room/list` (Android's "all rooms"): the public rooms (`isLook` 0, not
/// secret); with `roomName`, those whose name or description holds it.
async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    state.user(&req, &p).await?;
    p.i32_opt("isJoinGroup")?;
    let (_, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let name = p.search_text("roomName", crate::http::params::MAX_SEARCH_CHARS);
    let rooms = state.store.public_rooms(name, skip, size).await?;
    Ok(ok_data(Value::Array(
        rooms.iter().map(|r| sorted_object(room_json(r))).collect(),
    )))
}

/// `noticeId` as an ObjectId.
fn notice_id(p: &Params) -> ShikuResult<ObjectId> {
    p.object_id("noticeId")
}

pub const ROOM_UPDATE_NOTICE: Endpoint = Endpoint {
    path: "/room/updateNotice",
    summary: "edit a room notice (owner and admins)",
    params: &[
        string("roomId").required(),
        string("noticeId").required(),
        string("noticeContent").required(),
    ],
    ..Endpoint::shiku("", "")
};

/// Longest notice text.
const MAX_NOTICE_CHARS: usize = 5000;

/// `/room/updateNotice` (Android's notice list, POST): owner and admins; the
/// 934 notice (the new text) goes to the group; answers the notice.
async fn update_notice(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let notice = notice_id(&p)?;
    let text = p.required("noticeContent")?;
    if text.chars().count() > MAX_NOTICE_CHARS {
        return Err(ShikuError::invalid("noticeContent"));
    }
    let (room, member) = room_with_seat(&state, &id, me, Locked::Refuse, Need::Manage).await?;
    let edited = state
        .store
        .edit_room_notice(&id, &notice, text, now_s())
        .await?
        .ok_or_else(|| ShikuError::invalid("noticeId"))?;
    let jid = room.jid()?;
    let my_name = member_name(member.as_ref());
    let m = notice_message(934, me, &my_name, jid, None, text, BTreeMap::new());
    state.delivery.to_room(&state.store, &m, jid).await?;
    note_room_change(&state, &id, &[me]).await;
    Ok(ok_data(entity_to_json(&edited)))
}

pub const ROOM_NOTICE_DELETE: Endpoint = Endpoint {
    path: "/room/notice/delete",
    summary: "delete a room notice (owner and admins)",
    params: &[string("roomId").required(), string("noticeId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/notice/delete`: owner and admins; a room showing that notice shows
/// none afterwards.
async fn delete_notice(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let notice = notice_id(&p)?;
    room_with_seat(&state, &id, me, Locked::Refuse, Need::Manage).await?;
    if !state.store.delete_room_notice(&id, &notice).await? {
        return Err(ShikuError::invalid("noticeId"));
    }
    note_room_change(&state, &id, &[me]).await;
    Ok(ok())
}

pub const ROOM_SET_INVISIBLE_GUARDIAN: Endpoint = Endpoint {
    path: "/room/setInvisibleGuardian",
    summary: "make a member invisible (4) or guardian (5), or undo it (-1, 0; the owner)",
    params: &[
        string("roomId").required(),
        int("touserId").required(),
        int("type").required().one_of(&["4", "5", "-1", "0"]),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/setInvisibleGuardian` (Android's member management): the owner
/// turns an ordinary member into an invisible one (4) or a guardian (5), or
/// back (-1 from invisible, 0 from guardian); the original's code 0 texts
/// otherwise. Its 930 goes to that member alone, which the chat server does
/// not keep (single-chat 9xx), so nothing else is stored.
async fn set_invisible_guardian(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let target = p.i32_required("touserId")? as i64;
    let kind = p.i32_required("type")?;
    let room = load_room(&state, &id).await?;
    if !Seat::new(&room, me, None).is_owner() {
        return Err(ShikuError::Failure("只有群主才有操作权限".into()));
    }
    let member = state
        .store
        .room_member(&id, target)
        .await?
        .ok_or_else(|| ShikuError::Failure("该成员不在群组中".into()))?;
    let new_role = invisible_guardian_role(kind, num(&member, "role").unwrap_or(3))?;
    state
        .store
        .set_member_fields(&id, target, doc! {"role": new_role})
        .await?;
    note_room_change(&state, &id, &[me, target]).await;
    tell_invisible_guardian(&state, &room, &id, me, &member, target, kind).await?;
    Ok(ok())
}

/// The role a `/room/setInvisibleGuardian` of `kind` gives a member of
/// `role`; the original's code 0 texts when it does not apply.
fn invisible_guardian_role(kind: i32, role: i64) -> ShikuResult<i32> {
    Ok(match (kind, role) {
        (4 | 5, 3) => kind,
        (4 | 5, r) => {
            let is = match r {
                1 => "群主",
                2 => "管理员",
                4 => "隐身人",
                _ => "监控人",
            };
            return Err(ShikuError::Failure(format!("该成员已经是：{is}")));
        }
        (-1, 4) | (0, 5) => Role::MEMBER,
        (-1, _) => return Err(ShikuError::Failure("该成员不是隐身人".into())),
        (0, _) => return Err(ShikuError::Failure("该成员不是监控人".into())),
        _ => return Err(ShikuError::invalid("type")),
    })
}

/// The original's `sendGroupOne`: a 930 to the member only (content 1
/// invisible, 2 guardian, -1/0 no longer), from the owner's member name;
/// it exists only on a message queue.
async fn tell_invisible_guardian(
    state: &AppState,
    room: &Room,
    id: &ObjectId,
    me: i64,
    member: &Document,
    target: i64,
    kind: i32,
) -> ShikuResult<()> {
    if !state.delivery.publishes() {
        return Ok(());
    }
    let my_name = member_nickname(state, id, me).await?;
    let content = match kind {
        4 => 1,
        5 => 2,
        k => k,
    };
    let notice = notice_message(
        930,
        me,
        &my_name,
        room.jid()?,
        Some((target, str_of(member, "nickname"))),
        &content.to_string(),
        BTreeMap::new(),
    );
    state.delivery.notify(&notice, target)?;
    Ok(())
}

pub const ROOM_COPY_ROOM: Endpoint = Endpoint {
    path: "/room/copyRoom",
    summary: "a new room with the same members (the owner; name + \"-新群\")",
    params: &[string("roomId").required()],
    ..Endpoint::shiku("", "")
};

/// `/room/copyRoom` (Android's "copy this group"): the owner gets a new room
/// (new id and jid, the name with "-新群", the description, secrecy and
/// keeping time of the old one, settings as a new room's) holding every
/// member of the old one as an ordinary member, each with their copy of a
/// secret group's key, and each announced (907). Answers the room as
/// `/room/add` does.
async fn copy_room(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let old = load_room(&state, &id).await?;
    Seat::new(&old, me, None).may_act_as_owner()?;
    let ids = state.store.room_member_ids(&id).await?;
    let members = state.store.members_of(&id, &ids).await?;
    let owner_name = nickname_of(&state, me).await?;
    let now = now_s();
    let new_id = ObjectId::new();
    let jid = uuid::Uuid::new_v4().simple().to_string();
    let room = copied_room_doc(&old, new_id, &jid, me, &owner_name, now);
    let joins = copied_joins(&room, new_id, &members, me, &owner_name, now);
    state
        .delivery
        .create_room(&state.store, room.clone(), &joins)
        .await?;
    let users: Vec<i64> = joins.iter().filter_map(|(d, _)| num(d, "userId")).collect();
    note_room_change(&state, &new_id, &users).await;
    super::room::follow_push_members(&state, &jid, &users, &[]).await;
    Ok(created_room(&room))
}

/// The new room of a `/room/copyRoom`: a new room's settings with the old
/// one's name (plus "-新群"), description, secrecy and keeping time.
fn copied_room_doc(
    old: &Document,
    new_id: ObjectId,
    jid: &str,
    me: i64,
    owner_name: &str,
    now: i64,
) -> Document {
    let name = format!("{}-新群", str_of(old, "name"));
    let mut room = crate::store::rooms::new_room_doc(
        new_id,
        jid,
        &name,
        str_of(old, "desc"),
        me,
        owner_name,
        now,
    );
    for k in ["isSecretGroup", "chatRecordTimeOut", "allowHostUpdate"] {
        if let Some(v) = old.get(k) {
            room.insert(k, v.clone());
        }
    }
    if num(old, "isSecretGroup") == Some(1) {
        room.insert("encryptType", 3);
    }
    room
}

/// The members of a copied room: the caller as owner, then every other
/// member of the old one as an ordinary member announced by a 907, each
/// with his `chatKeyGroup` from the old room.
fn copied_joins(
    room: &Document,
    new_id: ObjectId,
    members: &[Member],
    me: i64,
    owner_name: &str,
    now: i64,
) -> Vec<Join> {
    let key_of = |u: i64| {
        members
            .iter()
            .find(|m| num(m, "userId") == Some(u))
            .and_then(|m| m.get_str("chatKeyGroup").ok().map(str::to_string))
    };
    let with_key = |mut d: bson::Document, u: i64| {
        if let Some(k) = key_of(u) {
            d.insert("chatKeyGroup", k);
        }
        d
    };
    let mut joins = vec![(
        with_key(new_member_doc(new_id, me, owner_name, Role::OWNER, now), me),
        None,
    )];
    for (i, m) in members.iter().enumerate() {
        let Some(u) = num(m, "userId").filter(|u| *u != me) else {
            continue;
        };
        let nick = str_of(m, "nickname").to_string();
        let (doc, notice) =
            invited_join(room, new_id, me, owner_name, u, &nick, now + 1 + i as i64);
        joins.push((with_key(doc, u), notice));
    }
    joins
}
