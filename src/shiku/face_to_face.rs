//! Face-to-face groups (Android's "面对面建群"): people nearby type the same
//! four digits and see each other (`/room/location/query`); the first to join
//! makes the room, owned by them, and the others join it
//! (`/room/location/join`); `/room/location/exit` leaves the waiting list.
//! The 933 updates the original pushes to the waiting members are single
//! chats the chat server does not keep, so nothing of them is stored.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use super::room::{create_or_release, join_self, nickname_of, note_room_change, room_json};
use crate::domain::room::{is_locked, Role};
use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::claims::Claim;
use crate::store::model::Room;
use crate::store::rooms::{new_member_doc, new_room_doc};
use crate::util::{bson_to_json, now_s, ok, ok_data, sorted_object};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&LOCATION_QUERY, query)
        .add(&LOCATION_JOIN, join)
        .add(&LOCATION_EXIT, exit);
}

/// How near (km) people must be to share a group.
const NEAR_KM: f64 = 5.0;

fn km_between((lng1, lat1): (f64, f64), (lng2, lat2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lng2 - lng1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

fn loc_of(d: &Document) -> Option<(f64, f64)> {
    let l = d.get_document("loc").ok()?;
    Some((l.get_f64("lng").ok()?, l.get_f64("lat").ok()?))
}

/// A waiting group as the original answers it (a `Room` with its members).
fn waiting_json(d: &Document) -> Value {
    let members: Vec<Value> = d
        .get_array("members")
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_document())
                .map(|m| json!({"userId": bson_to_json(m.get("userId").unwrap_or(&bson::Bson::Null)), "nickname": m.get_str("nickname").unwrap_or(""), "role": 3}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "jid": d.get_str("_id").unwrap_or(""),
        "name": d.get_str("name").unwrap_or(""),
        "loc": d.get("loc").map(bson_to_json).unwrap_or(json!({})),
        "localRoomKey": d.get_str("password").unwrap_or(""),
        "members": members,
        "maxUserSize": 1000, "s": 1, "isLook": 1, "showRead": 0, "isNeedVerify": 0, "showMember": 1,
        "allowSendCard": 1, "isAttritionNotice": 1, "talkTime": 0, "isSecretGroup": 0, "encryptType": 0,
    })
}

pub const LOCATION_QUERY: Endpoint = Endpoint {
    path: "/room/location/query",
    summary: "the face-to-face group of these four digits within 5 km (made when none), with who is waiting",
    params: &[
        string("longitude").required(),
        string("latitude").required(),
        string("password").required(),
        int("isQuery").required().one_of(&["0", "1"]),
        string("name"),
    ],
    ..Endpoint::shiku("", "")
};

async fn query(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.required("longitude")?;
    p.required("latitude")?;
    let here = p.point()?.ok_or_else(|| ShikuError::missing("latitude"))?;
    let password = p.required("password")?;
    if password.len() > 16 {
        return Err(ShikuError::invalid("password"));
    }
    p.i32_required("isQuery")?;
    let nickname = nickname_of(&state, me).await?;
    let nearest = state
        .store
        .location_rooms_of(password)
        .await?
        .into_iter()
        .filter_map(|d| Some((km_between(here, loc_of(&d)?), d)))
        .filter(|(km, _)| *km <= NEAR_KM)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, d)| d);
    let room = nearest.unwrap_or_else(|| {
        let name = p
            .str("name")
            .map(str::to_string)
            .unwrap_or_else(|| nickname.clone());
        doc! {
            "_id": uuid::Uuid::new_v4().simple().to_string(),
            "password": password,
            "name": name,
            "loc": {"lng": here.0, "lat": here.1},
            "createTime": now_s(),
        }
    });
    state.store.join_location_room(&room, me, &nickname).await?;
    let jid = room.get_str("_id").unwrap_or_default().to_string();
    let room = state.store.location_room(&jid).await?.unwrap_or(room);
    Ok(ok_data(waiting_json(&room)))
}

pub const LOCATION_JOIN: Endpoint = Endpoint {
    path: "/room/location/join",
    summary: "join a face-to-face group (the first makes the room; 100415 once expired)",
    params: &[string("jid").required()],
    ..Endpoint::shiku("", "")
};

async fn join(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let jid = p.required("jid")?;
    if !crate::store::names::valid_room_jid(jid) {
        return Err(ShikuError::invalid("jid"));
    }
    let nickname = nickname_of(&state, me).await?;
    let now = now_s();
    if let Some(room) = state.store.room_by_jid(jid).await? {
        join_made_room(&state, &room, jid, me, &nickname).await?;
        return Ok(ok_data(sorted_object(room_json(&room))));
    }
    let waiting = state
        .store
        .location_room(jid)
        .await?
        .ok_or_else(|| ShikuError::from(codes::ROOM_EXPIRED))?;
    if !state.store.claim(Claim::RoomJid, jid).await? {
        return Err(ShikuError::Failure("房间已经存在".into()));
    }
    let room = make_room(&state, &waiting, jid, me, &nickname, now).await?;
    Ok(ok_data(sorted_object(room_json(&room))))
}

/// Joins the room already made for `jid` (100401 when locked), unless a
/// member already: only someone of its waiting group (who typed its digits
/// nearby; 100415 for anyone else, unlike the original, which let any jid
/// be joined past the room's verification), 100423 when full, else the 907
/// notice to the group.
async fn join_made_room(
    state: &AppState,
    room: &Room,
    jid: &str,
    me: i64,
    nickname: &str,
) -> ShikuResult<()> {
    let id = room.id()?;
    if is_locked(room) {
        return Err(codes::ROOM_LOCKED.into());
    }
    if state.store.room_member(&id, me).await?.is_none() {
        if !waits_in(state, jid, me).await? {
            return Err(codes::ROOM_EXPIRED.into());
        }
        join_self(state, room, me, nickname, Role::MEMBER).await?;
    }
    Ok(())
}

/// Whether `me` is in the (unexpired) waiting group `jid`.
async fn waits_in(state: &AppState, jid: &str, me: i64) -> ShikuResult<bool> {
    let Some(waiting) = state.store.location_room(jid).await? else {
        return Ok(false);
    };
    let members = waiting
        .get_array("members")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    Ok(members.iter().any(|m| {
        m.as_document()
            .and_then(|m| m.get("userId"))
            .and_then(crate::store::model::UserId::from_bson)
            == Some(crate::store::model::UserId(me))
    }))
}

/// Makes the room of the waiting group `jid` (whose name is claimed), owned
/// by `me`, with the group's place and digits; the claim is released when
/// the room cannot be stored.
async fn make_room(
    state: &AppState,
    waiting: &Document,
    jid: &str,
    me: i64,
    nickname: &str,
    now: i64,
) -> ShikuResult<Document> {
    let id = ObjectId::new();
    let mut room = new_room_doc(id, jid, nickname, "", me, nickname, now);
    if let Some(loc) = waiting.get("loc") {
        room.insert("loc", loc.clone());
    }
    room.insert("localRoomKey", waiting.get_str("password").unwrap_or(""));
    let joins = vec![(new_member_doc(id, me, nickname, Role::OWNER, now), None)];
    create_or_release(state, &room, &joins, jid).await?;
    note_room_change(state, &id, &[me]).await;
    Ok(room)
}

pub const LOCATION_EXIT: Endpoint = Endpoint {
    path: "/room/location/exit",
    summary: "leave a face-to-face group's waiting list",
    params: &[string("jid").required()],
    ..Endpoint::shiku("", "")
};

async fn exit(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let jid = p.required("jid")?;
    state.store.leave_location_room(jid, me).await?;
    Ok(ok())
}
