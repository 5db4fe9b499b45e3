//! The JH customer-service dialect (`/api/im/*`): members chat with sales staff
//! from PC and WeChat by polling. Envelope `{"success": true, "data": …}`;
//! failures `{"success": false, "msg": …}` with HTTP 400 (see [`JhError`]).
//!
//! Times: the original wrote Beijing wall-clock time as if it were UTC, so every
//! time it stored or compares is `now + JH_TIME_OFFSET_HOURS` (default 8).

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Bson, Document};
use serde_json::{json, Map, Value};

use crate::http::endpoint::{int, string, Dialect, Endpoint, Param, Routes};
use crate::http::params::{BodyError, Params};
use crate::jh::JhError;
use crate::store::jh::{self as store, Pair};
use crate::store::view::{Flavor, JsonList};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&API_IM_SEND_MSG, send_msg)
        .add(
            &API_IM_GET_NEWEST_MSG_LIST_BY_LAST_TIME,
            get_newest_msg_list,
        )
        .add(&API_IM_REG_USER_INFO, reg_user_info)
        .add(&API_IM_GET_USER_STATUS, get_user_status)
        .add(
            &API_IM_GET_MSG_LIST_BY_PAGE_AND_USER_ID,
            get_msg_list_by_page,
        )
        .add(&API_IM_UPDATE_UNREAD_P2P_MESSAGES, update_unread)
        .add(&API_IM_UNREADCOUNT, unread_count);
}

type JhResult = Result<HttpResponse, JhError>;

const ROLES: [&str; 2] = ["MEMBER", "SALER"];
const TYPES: [&str; 3] = ["TEXT", "IMAGE", "VOICE"];
const CHANNELS: [&str; 2] = ["PC", "WX"];
const BUSTYPES: [&str; 3] = ["CHAT", "GOOD_CHAT", "ORDER_CHAT"];
/// The conversation of the read-state endpoints: `from` (the sender, of
/// role `fromrole`) to `to`.
const PAIR: [Param; 4] = [
    string("appid").required(),
    string("from").required(),
    string("fromrole").required().one_of(&ROLES),
    string("to").required(),
];

fn bad(msg: impl Into<String>) -> JhError {
    JhError::Bad(msg.into())
}

fn success<T: serde::Serialize + ?Sized>(data: &T) -> HttpResponse {
    #[derive(serde::Serialize)]
    struct Success<'a, T: ?Sized> {
        success: bool,
        data: &'a T,
    }
    HttpResponse::Ok().json(Success {
        success: true,
        data,
    })
}

/// Query string plus form or JSON body, with body errors in this dialect's
/// envelope; first, the client's admission (see [`admit`]).
async fn params(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Params, JhError> {
    admit(req, state)?;
    let mut payload = payload.into_inner();
    Params::read(req, &mut payload, state.cfg.max_body_bytes)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => bad("request body too large"),
            BodyError::Malformed(m) => bad(format!("malformed request body: {m}")),
        })
}

/// The JH service has no authentication, like the original; an operator
/// may restrict it to the addresses of `JH_ALLOWED_CLIENTS` and/or to
/// requests carrying `JH_KEY` in the `X-JH-Key` header (both off by default).
fn admit(req: &HttpRequest, state: &AppState) -> Result<(), JhError> {
    let cfg = &state.cfg;
    if !cfg.jh_allowed_clients.is_empty() {
        let ip = crate::ratelimit::client_ip(req, &cfg.trusted_proxies);
        if !ip.is_some_and(|ip| cfg.jh_allowed_clients.contains(&ip)) {
            return Err(JhError::Forbidden);
        }
    }
    if let Some(key) = &cfg.jh_key {
        let sent = req.headers().get("x-jh-key").and_then(|v| v.to_str().ok());
        if sent != Some(key.as_str()) {
            return Err(JhError::Forbidden);
        }
    }
    Ok(())
}

/// A required, non-blank parameter, as sent.
fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, JhError> {
    match p.raw(name) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(bad(format!("{name} is required"))),
    }
}

/// A required parameter that must be one of `allowed`.
fn one_of<'a>(p: &'a Params, name: &str, allowed: &[&str]) -> Result<&'a str, JhError> {
    let v = required(p, name)?.trim();
    allowed
        .iter()
        .find(|a| **a == v)
        .copied()
        .map(|_| v)
        .ok_or_else(|| bad(format!("{name} must be one of {}", allowed.join(", "))))
}

/// An optional parameter that, when sent, must be one of `allowed`.
fn opt_one_of<'a>(p: &'a Params, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, JhError> {
    match p.str(name) {
        None => Ok(None),
        Some(_) => one_of(p, name, allowed).map(Some),
    }
}

fn opt_i64(p: &Params, name: &str) -> Result<Option<i64>, JhError> {
    match p.str(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| bad(format!("{name} must be a number"))),
    }
}

/// Now, on the original's clock (Beijing wall-clock written as UTC by default).
fn jh_now(state: &AppState) -> i64 {
    crate::util::now_ms() + state.cfg.jh_time_offset_hours * 3_600_000
}

/// `Date.toJSON()`: `2017-08-17T14:10:50.209Z`.
fn iso(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

/// A stored value as the original (Node.js) wrote it in JSON: numbers without a
/// fraction as integers, dates as ISO strings, ObjectIds as hex.
fn js_value(b: &Bson) -> Value {
    match b {
        Bson::Double(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
            json!(*f as i64)
        }
        Bson::DateTime(d) => Value::String(iso(d.timestamp_millis())),
        Bson::Document(d) => record_json(d),
        Bson::Array(a) => Value::Array(a.iter().map(js_value).collect()),
        other => crate::util::bson_to_json(other),
    }
}

/// A stored record in its stored key order (what the poll and history answer).
pub(crate) fn record_json(d: &Document) -> Value {
    Value::Object(d.iter().map(|(k, v)| (k.clone(), js_value(v))).collect())
}

/// The saved record as mongoose's `toJSON` of a new document showed it: `__v`
/// (and `busid`) first, `_id` after `appid`.
fn new_record_json(d: &Document) -> Value {
    let mut m = Map::new();
    for k in ["__v", "busid"] {
        if let Some(v) = d.get(k) {
            m.insert(k.to_string(), js_value(v));
        }
    }
    for (k, v) in d {
        if k == "__v" || k == "busid" || k == "_id" {
            continue;
        }
        m.insert(k.clone(), js_value(v));
        if k == "appid" {
            if let Some(id) = d.get("_id") {
                m.insert("_id".to_string(), js_value(id));
            }
        }
    }
    Value::Object(m)
}

fn other_role(role: &str) -> &'static str {
    if role == "MEMBER" {
        "SALER"
    } else {
        "MEMBER"
    }
}

/// appid, from, to, fromrole of the conversation endpoints.
fn pair(p: &Params) -> Result<Pair<'_>, JhError> {
    Ok(Pair {
        appid: required(p, "appid")?,
        from: required(p, "from")?,
        to: required(p, "to")?,
        fromrole: one_of(p, "fromrole", &ROLES)?,
    })
}

pub const API_IM_REG_USER_INFO: Endpoint = Endpoint {
    path: "/api/im/regUserInfo",
    summary: "JH: register/heartbeat a user",
    dialect: Dialect::JhPost,
    auth: false,
    params: &[
        string("appid").required(),
        string("userid").required(),
        string("userrole").required().one_of(&ROLES),
        string("channel").one_of(&CHANNELS),
        string("userarea"),
    ],
    ..Endpoint::shiku("", "")
};

/// `POST /api/im/regUserInfo` {appid, userid, userrole, channel[, userarea]}.
async fn reg_user_info(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let appid = required(&p, "appid")?;
    let userid = required(&p, "userid")?;
    let userrole = one_of(&p, "userrole", &ROLES)?;
    let channel = opt_one_of(&p, "channel", &CHANNELS)?;
    let userarea = p.raw("userarea");
    let w = store::register_status(
        &state.store,
        appid,
        userid,
        userrole,
        channel,
        userarea,
        jh_now(&state),
    )
    .await?;
    let mut data = json!({"n": w.matched, "nModified": w.modified});
    if let Some(id) = w.upserted {
        data["upserted"] = json!([{"index": 0, "_id": id.to_hex()}]);
    }
    data["ok"] = json!(1);
    Ok(success(&data))
}

pub const API_IM_GET_USER_STATUS: Endpoint = Endpoint {
    path: "/api/im/getUserStatus",
    summary: "JH: a user's online status",
    dialect: Dialect::JhGet,
    auth: false,
    params: &[
        string("appid").required(),
        string("userid").required(),
        string("userrole").one_of(&ROLES),
    ],
    ..Endpoint::shiku("", "")
};

/// `GET /api/im/getUserStatus` {appid, userid[, userrole]}: an array of status documents.
async fn get_user_status(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let appid = required(&p, "appid")?;
    let userid = required(&p, "userid")?;
    let userrole = opt_one_of(&p, "userrole", &ROLES)?;
    let docs = store::find_status(
        &state.store,
        appid,
        userid,
        userrole,
        state.cfg.max_page_size,
    )
    .await?;
    Ok(success(&JsonList(&docs, Flavor::Js)))
}

pub const API_IM_SEND_MSG: Endpoint = Endpoint {
    path: "/api/im/sendMsg",
    summary: "JH: send a message",
    dialect: Dialect::JhPost,
    auth: false,
    params: &[
        string("appid").required(),
        string("from").required(),
        string("fromarea"),
        string("fromrole").required().one_of(&ROLES),
        string("f_nickname"),
        string("f_avatar"),
        string("to").required(),
        string("t_nickname"),
        string("t_avatar"),
        string("content").required(),
        string("type").required().one_of(&TYPES),
        string("channel").required().one_of(&CHANNELS),
        string("bustype").one_of(&BUSTYPES),
        string("busid"),
        int("imageSize"),
        int("voiceLength"),
    ],
    ..Endpoint::shiku("", "")
};

/// `POST /api/im/sendMsg`: saves one message and answers the saved record.
async fn send_msg(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let s = send_params(&p)?;
    let record = message_record(&p, &s, jh_now(&state));
    store::insert_message(&state.store, record.clone()).await?;
    Ok(success(&new_record_json(&record)))
}

/// The checked parameters of `sendMsg`.
struct SendParams<'a> {
    appid: &'a str,
    from: &'a str,
    fromrole: &'a str,
    to: &'a str,
    content: &'a str,
    kind: &'a str,
    channel: &'a str,
    bustype: Option<&'a str>,
    busid: Option<&'a str>,
    voice_length: i32,
    image_size: i32,
}

/// Reads and checks the `sendMsg` parameters, in the original's order.
fn send_params(p: &Params) -> Result<SendParams<'_>, JhError> {
    let appid = required(p, "appid")?;
    let from = required(p, "from")?;
    let fromrole = one_of(p, "fromrole", &ROLES)?;
    let to = required(p, "to")?;
    let content = required(p, "content")?;
    let kind = one_of(p, "type", &TYPES)?;
    let channel = one_of(p, "channel", &CHANNELS)?;
    let bustype = opt_one_of(p, "bustype", &BUSTYPES)?;
    let busid = p.raw("busid");
    let voice_length = media_size(p, "voiceLength", kind, "VOICE")?;
    let image_size = media_size(p, "imageSize", kind, "IMAGE")?;
    Ok(SendParams {
        appid,
        from,
        fromrole,
        to,
        content,
        kind,
        channel,
        bustype,
        busid,
        voice_length,
        image_size,
    })
}

/// `imageSize`/`voiceLength`: the number sent for a message of type
/// `wanted` (it must fit an Int32), otherwise -1.
fn media_size(p: &Params, name: &str, kind: &str, wanted: &str) -> Result<i32, JhError> {
    let v = opt_i64(p, name)?;
    match v {
        Some(n) if kind == wanted => {
            i32::try_from(n).map_err(|_| bad(format!("{name} is out of range")))
        }
        _ => Ok(-1),
    }
}

/// The stored message record, keys in the original's order, sent at `now`.
fn message_record(p: &Params, s: &SendParams, now: i64) -> Document {
    let text = |name: &str| p.raw(name).unwrap_or("").to_string();
    let date = bson::DateTime::from_millis(now);
    let mut record = doc! {"_id": bson::oid::ObjectId::new()};
    if let Some(b) = s.busid {
        record.insert("busid", b);
    }
    record.extend(doc! {
        "fromarea": text("fromarea"),
        "content": s.content,
        "t_avatar": text("t_avatar"),
        "t_nickname": text("t_nickname"),
        "to": s.to,
        "f_avatar": text("f_avatar"),
        "f_nickname": text("f_nickname"),
        "from": s.from,
        "appid": s.appid,
        "__v": 0,
        "readtime": -1,
        "sendtime": now as f64,
        "update_at": date,
        "create_at": date,
        "imageSize": s.image_size,
        "voiceLength": s.voice_length,
        "channel": s.channel,
        "torole": other_role(s.fromrole),
        "fromrole": s.fromrole,
    });
    if let Some(b) = s.bustype {
        record.insert("bustype", b);
    }
    record.insert("type", s.kind);
    record.insert("status", 0);
    record
}

pub const API_IM_GET_NEWEST_MSG_LIST_BY_LAST_TIME: Endpoint = Endpoint {
    path: "/api/im/getNewestMsgListByLastTime",
    summary: "JH: poll messages newer than lasttime",
    dialect: Dialect::JhGet,
    auth: false,
    params: &[
        string("appid").required(),
        string("from").required(),
        string("to").required(),
        string("fromrole").required().one_of(&ROLES),
        int("lasttime"),
    ],
    ..Endpoint::shiku("", "")
};

/// `GET /api/im/getNewestMsgListByLastTime` {appid, from, to, fromrole, lasttime}:
/// both directions, strictly newer than `lasttime`, newest first, bounded.
async fn get_newest_msg_list(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let pair = pair(&p)?;
    let lasttime = opt_i64(&p, "lasttime")?;
    let time = lasttime.map(|t| doc! {"$gt": t});
    let docs = store::find_pair(&state.store, &pair, time, 0, state.cfg.max_page_size).await?;
    Ok(success(&JsonList(&docs, Flavor::Js)))
}

pub const API_IM_GET_MSG_LIST_BY_PAGE_AND_USER_ID: Endpoint = Endpoint {
    path: "/api/im/getMsgListByPageAndUserId",
    summary: "JH: history pages",
    dialect: Dialect::JhGet,
    auth: false,
    params: &[
        string("appid").required(),
        string("from").required(),
        string("to").required(),
        string("fromrole").required().one_of(&ROLES),
        int("page"),
        int("limit"),
        int("lasttime"),
    ],
    ..Endpoint::shiku("", "")
};

/// `GET /api/im/getMsgListByPageAndUserId` {appid, page=1, limit=10, from, to,
/// fromrole[, lasttime]}: pages of the pair's history, newest first; `lasttime`
/// (when sent) keeps pages stable: only messages at or before it.
async fn get_msg_list_by_page(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let pair = pair(&p)?;
    let page = opt_i64(&p, "page")?.unwrap_or(1);
    let limit = opt_i64(&p, "limit")?.unwrap_or(10);
    if page < 1 {
        return Err(bad("page must be at least 1"));
    }
    if limit < 1 {
        return Err(bad("limit must be at least 1"));
    }
    let limit = limit.min(state.cfg.max_page_size);
    let skip = (page - 1)
        .checked_mul(limit)
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| bad("page is out of range"))?;
    let lasttime = opt_i64(&p, "lasttime")?;
    let time = lasttime.map(|t| doc! {"$lte": t});
    let docs = store::find_pair(&state.store, &pair, time, skip, limit).await?;
    Ok(success(&JsonList(&docs, Flavor::Js)))
}

pub const API_IM_UPDATE_UNREAD_P2P_MESSAGES: Endpoint = Endpoint {
    path: "/api/im/updateUnreadP2pMessages",
    summary: "JH: mark messages read",
    dialect: Dialect::JhPost,
    auth: false,
    params: &PAIR,
    ..Endpoint::shiku("", "")
};

/// `POST /api/im/updateUnreadP2pMessages` {appid, from (sender), fromrole, to (receiver)}.
async fn update_unread(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let pair = pair(&p)?;
    let (n, modified) = store::mark_read(&state.store, &pair, jh_now(&state)).await?;
    Ok(success(&json!({"n": n, "nModified": modified, "ok": 1})))
}

pub const API_IM_UNREADCOUNT: Endpoint = Endpoint {
    path: "/api/im/unreadcount",
    summary: "JH: unread count",
    dialect: Dialect::JhGet,
    auth: false,
    params: &PAIR,
    ..Endpoint::shiku("", "")
};

/// `GET /api/im/unreadcount` {appid, from (sender), fromrole, to (receiver)}: an integer.
async fn unread_count(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> JhResult {
    let p = params(&req, payload, &state).await?;
    let pair = pair(&p)?;
    let n = store::count_unread(&state.store, &pair).await?;
    Ok(success(&json!(n)))
}
