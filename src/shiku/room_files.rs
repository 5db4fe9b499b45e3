//! A room's shared files (Android's group files): `/room/add/share`,
//! `/room/share/find`, `/room/share/get`, `/room/share/delete`, after the
//! original's `Room.Share` (`imRoom.shiku_room_share`). The files themselves
//! are uploaded with `/upload/UploadServlet`; these keep the list.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use super::room::{
    nickname_of, note_room_change, notice_message, room_id, room_with_seat, str_of, Locked, Need,
};
use crate::domain::room::{Role, Seat};
use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::{Member, Room};
use crate::store::msgs::NewMessage;
use crate::util::{now_s, num, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&ROOM_ADD_SHARE, add_share)
        .add(&ROOM_SHARE_FIND, find)
        .add(&ROOM_SHARE_GET, get)
        .add(&ROOM_SHARE_DELETE, delete);
}

/// A share as the original answers it: `_id` as `shareId`.
fn share_json(d: &Document) -> Value {
    crate::util::sorted_object(crate::util::fields_json(d, Some("shareId")))
}

/// The room and the caller's member record; 1030104 when not a member.
async fn as_member(state: &AppState, id: &ObjectId, me: i64) -> ShikuResult<(Room, Document)> {
    let (room, member) = room_with_seat(state, id, me, Locked::Serve, Need::Read).await?;
    Ok((room, member.map(Member::into_doc).unwrap_or_default()))
}

fn share_id(p: &Params) -> ShikuResult<ObjectId> {
    p.object_id("shareId")
}

pub const ROOM_ADD_SHARE: Endpoint = Endpoint {
    path: "/room/add/share",
    summary: "add an uploaded file to the room's shared files (401 to the group)",
    params: &[
        string("roomId").required(),
        int("type").required(),
        int("size").required().min(0),
        int("userId").required(),
        string("url").required(),
        string("name").required(),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/add/share` (Android's `AddMucFileActivity`, GET after uploading
/// the file): members only; `userId` must be the caller's. The 401 notice
/// (content the share id, `fileName` the name) goes to the group; answers
/// the share.
async fn add_share(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let new = NewShare::read(&p, me)?;
    let (room, member) = as_member(&state, &id, me).await?;
    let nickname = nickname_of(&state, me).await?;
    let share = new.doc(id, me, &nickname);
    let share_hex = share
        .get_object_id("_id")
        .map(|o| o.to_hex())
        .unwrap_or_default();
    let jid = room.jid()?;
    let m = new.notice(me, str_of(&member, "nickname"), jid, &share_hex);
    state.store.add_room_share(share.clone()).await?;
    state.delivery.to_room(&state.store, &m, jid).await?;
    note_room_change(&state, &id, &[me]).await;
    Ok(ok_data(share_json(&share)))
}

/// The file `/room/add/share` is asked to keep.
struct NewShare<'a> {
    kind: i32,
    size: i64,
    url: &'a str,
    name: &'a str,
}

impl<'a> NewShare<'a> {
    /// `type`, `size`, `url` and `name`, checked; `userId` must be `me`.
    fn read(p: &'a Params, me: i64) -> ShikuResult<Self> {
        let kind = p.i32_required("type")?;
        let size = p
            .i64_opt("size")?
            .ok_or_else(|| ShikuError::missing("size"))?;
        if size < 0 {
            return Err(ShikuError::invalid("size"));
        }
        super::require_self(p, "userId", me)?;
        let url = p.required("url")?;
        let name = p.required("name")?;
        if url.len() > 2000 || !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ShikuError::invalid("url"));
        }
        if name.chars().count() > 255 {
            return Err(ShikuError::invalid("name"));
        }
        Ok(NewShare {
            kind,
            size,
            url,
            name,
        })
    }

    /// The share as stored, uploaded now by `me` into room `id`.
    fn doc(&self, id: ObjectId, me: i64, nickname: &str) -> Document {
        doc! {
            "_id": ObjectId::new(),
            "roomId": id,
            "name": self.name,
            "url": self.url,
            "time": now_s(),
            "userId": crate::util::int32_id(me),
            "nickname": nickname,
            "type": self.kind,
            // The original's `float size`: a Double.
            "size": self.size as f64,
        }
    }

    /// The 401 notice to the group: content the share id, with the file's
    /// name and size.
    fn notice(&self, me: i64, member_name: &str, jid: &str, share_hex: &str) -> NewMessage {
        let mut extra = BTreeMap::new();
        extra.insert("fileName".into(), json!(self.name));
        extra.insert("fileSize".into(), json!(self.size));
        notice_message(401, me, member_name, jid, None, share_hex, extra)
    }
}

pub const ROOM_SHARE_FIND: Endpoint = Endpoint {
    path: "/room/share/find",
    summary: "the room's shared files, newest first (members)",
    params: &[
        string("roomId").required(),
        PAGE[0],
        PAGE[1],
        int("time"),
        int("userId"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/share/find` (Android's group files: `roomId, pageIndex,
/// pageSize`): `time` (seconds) lists older ones, `userId` one uploader's.
async fn find(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let (_, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let before = p.i64_opt("time")?.filter(|t| *t >= 1);
    let uploader = p.i64_opt("userId")?.filter(|u| *u != 0);
    as_member(&state, &id, me).await?;
    let shares = state
        .store
        .room_shares_page(&id, uploader, before, skip, size)
        .await?;
    Ok(ok_data(Value::Array(
        shares.iter().map(share_json).collect(),
    )))
}

pub const ROOM_SHARE_GET: Endpoint = Endpoint {
    path: "/room/share/get",
    summary: "one shared file of the room (members; no data when gone)",
    params: &[string("roomId").required(), string("shareId").required()],
    ..Endpoint::shiku("", "")
};

async fn get(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let share = share_id(&p)?;
    as_member(&state, &id, me).await?;
    Ok(match state.store.room_share(&id, &share).await? {
        Some(s) => ok_data(share_json(&s)),
        None => ok(),
    })
}

pub const ROOM_SHARE_DELETE: Endpoint = Endpoint {
    path: "/room/share/delete",
    summary: "remove a shared file (its uploader, the owner or an admin; 402 to the group)",
    params: &[
        string("roomId").required(),
        string("shareId").required(),
        int("userId"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/room/share/delete` (Android sends its own `userId` too): the uploader,
/// the owner or an admin; the share's 401 notices go, a 402 tells the group.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = room_id(&p)?;
    let share_oid = share_id(&p)?;
    p.i32_opt("userId")?;
    let (room, member) = as_member(&state, &id, me).await?;
    let share = state
        .store
        .room_share(&id, &share_oid)
        .await?
        .ok_or_else(|| ShikuError::from(codes::DATA_GONE))?;
    let uploader = num(&share, "userId") == Some(me);
    let manages =
        Role::of(&member).is_some_and(Role::manages) || Seat::new(&room, me, None).is_owner();
    if !uploader && !manages {
        return Err(codes::NO_PERMISSION.into());
    }
    let jid = room.jid()?;
    let mut extra = BTreeMap::new();
    extra.insert(
        "fileName".into(),
        json!(share.get_str("name").unwrap_or("")),
    );
    let m = notice_message(
        402,
        me,
        str_of(&member, "nickname"),
        jid,
        None,
        &share_oid.to_hex(),
        extra,
    );
    state.store.delete_room_share(&id, jid, &share_oid).await?;
    state.delivery.to_room(&state.store, &m, jid).await?;
    note_room_change(&state, &id, &[me]).await;
    Ok(ok())
}
