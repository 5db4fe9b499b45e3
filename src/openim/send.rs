//! The OpenIM admin dialect (v3.8 semantics, see `shared/reference/openim_and_jh.md`
//! Part 1): `POST /auth/get_admin_token`, `POST /auth/user_token` and
//! `POST /msg/send_msg`, which stores into the Shiku collections through the
//! one message writer. Pipeline order as OpenIM: `operationID` header, `token`
//! header, body binding (HTTP 400), admin check, content, then the per
//! sessionType checks.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use bson::doc;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::domain::room::{is_locked, Denied, Seat};
use crate::http::endpoint::{
    boolean, int, note_read, object, string, Declared, Dialect, Endpoint, Routes,
};
use crate::openim::OpenImError;
use crate::secure::md5_hex;
use crate::store::model::{Member, Room, User, UserId};
use crate::store::msgs::NewMessage;
use crate::store::names::valid_room_jid;
use crate::store::openim::{platform_name, KICKED_TOKEN, NORMAL_TOKEN};
use crate::util::{now_ms, now_s, num};
use crate::AppState;

type OResult<T> = Result<T, OpenImError>;

pub fn routes(r: &mut Routes) {
    r.add(&MSG_SEND_MSG, send_msg)
        .add(&AUTH_GET_ADMIN_TOKEN, get_admin_token)
        .add(&AUTH_USER_TOKEN, user_token);
}

/// `PlatformID` of admin tokens (`constant.AdminPlatformID`).
const ADMIN_PLATFORM_ID: i64 = 10;

fn ok_resp(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"errCode": 0, "errMsg": "", "errDlt": "", "data": data}))
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// `GinParseOperationID`: every POST needs a non-empty `operationID` header.
fn operation_id(req: &HttpRequest) -> OResult<()> {
    header(req, "operationID")
        .map(|_| ())
        .ok_or_else(|| OpenImError::args("header must have operationID"))
}

// ---------------------------------------------------------------- tokens

/// OpenIM's JWT claims (`tokenverify.Claims`): `UserID`, `PlatformID` and the
/// registered `exp`/`nbf`/`iat` (seconds), HS256 with the shared secret.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "UserID")]
    pub user_id: String,
    #[serde(rename = "PlatformID")]
    pub platform_id: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

/// The shared secret, or 404 when the OpenIM endpoints are off (no private
/// secret configured: OpenIM's public default would hand out admin tokens).
fn secret(state: &AppState) -> OResult<&str> {
    state.cfg.openim_secret.as_deref().ok_or_else(|| {
        OpenImError::no_permission(state.cfg.openim_off_reason().unwrap_or_default())
            .with_status(actix_web::http::StatusCode::NOT_FOUND)
    })
}

/// Mints and records a token; answers `{token, expireTimeSeconds}`.
async fn issue(state: &AppState, user_id: &str, platform_id: i64) -> OResult<Value> {
    let ttl = state.cfg.openim_token_days * 86400;
    let now = now_s();
    let claims = Claims {
        user_id: user_id.to_string(),
        platform_id,
        exp: now + ttl,
        nbf: Some(now - 300),
        iat: Some(now),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret(state)?.as_bytes()),
    )
    .map_err(OpenImError::internal)?;
    state
        .sessions
        .save_openim_token(user_id, platform_id, &token, ttl)
        .await?;
    Ok(json!({"token": token, "expireTimeSeconds": ttl}))
}

/// `GinParseToken` + auth `parseToken`: the caller's claims, or OpenIM's
/// token error (1001 missing, 1501 expired, 1503 malformed, 1504 not yet
/// valid, 1505 bad signature/claims, 1506 kicked, 1507 never issued).
pub async fn parse_token(state: &AppState, req: &HttpRequest) -> OResult<Claims> {
    let key = DecodingKey::from_secret(secret(state)?.as_bytes());
    let token = header(req, "token").ok_or_else(|| OpenImError::args("header must have token"))?;
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_nbf = true;
    let claims = match jsonwebtoken::decode::<Claims>(token, &key, &v) {
        Ok(d) => d.claims,
        Err(e) => {
            return Err(match e.kind() {
                ErrorKind::ExpiredSignature => OpenImError::new(1501, "TokenExpiredError", ""),
                ErrorKind::ImmatureSignature => OpenImError::new(1504, "TokenNotValidYetError", ""),
                ErrorKind::InvalidSignature => OpenImError::new(1505, "signature is invalid", ""),
                ErrorKind::InvalidToken
                | ErrorKind::Base64(_)
                | ErrorKind::Json(_)
                | ErrorKind::Utf8(_) => OpenImError::new(1503, "TokenMalformedError", ""),
                _ => OpenImError::new(1505, "TokenUnknownError", ""),
            })
        }
    };
    match state
        .sessions
        .openim_token_status(&claims.user_id, claims.platform_id, token)
        .await?
    {
        None => Err(OpenImError::new(1507, "TokenNotExistError", "")),
        Some(NORMAL_TOKEN) => Ok(claims),
        Some(KICKED_TOKEN) => Err(OpenImError::new(1506, "TokenKickedError", "")),
        Some(_) => Err(OpenImError::new(1505, "TokenUnknownError", "")),
    }
}

/// A JSON object body, each field read checked against the endpoint's declaration.
struct Body {
    map: Map<String, Value>,
    declared: Option<&'static Endpoint>,
}

fn json_body(body: &[u8], req: &HttpRequest) -> OResult<Body> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Body {
            map,
            declared: Declared::of(req),
        }),
        Ok(_) => Err(OpenImError::bind(
            "json: cannot unmarshal non-object into Go value",
        )),
        Err(e) => Err(OpenImError::bind(e.to_string())),
    }
}

/// Go's `encoding/json` matches keys case-insensitively when there is no exact match.
fn field<'a>(b: &'a Body, name: &str) -> Option<&'a Value> {
    note_read(b.declared, name);
    b.map.get(name).or_else(|| {
        b.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

fn type_error(strct: &str, name: &str, v: &Value, go: &str) -> OpenImError {
    OpenImError::bind(format!(
        "json: cannot unmarshal {} into Go struct field {strct}.{name} of type {go}",
        type_name(v)
    ))
}

/// A string field (`null` or absent = "").
fn str_field(m: &Body, strct: &str, name: &str) -> OResult<String> {
    match field(m, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(type_error(strct, name, v, "string")),
    }
}

/// An integer field (`null` or absent = 0).
fn int_field(m: &Body, strct: &str, name: &str, go: &str) -> OResult<i64> {
    match field(m, name) {
        None | Some(Value::Null) => Ok(0),
        Some(v @ Value::Number(n)) => {
            let i = n.as_i64().ok_or_else(|| type_error(strct, name, v, go))?;
            if go == "int32" && i32::try_from(i).is_err() {
                return Err(type_error(strct, name, v, go));
            }
            Ok(i)
        }
        Some(v) => Err(type_error(strct, name, v, go)),
    }
}

fn bool_field(m: &Body, strct: &str, name: &str) -> OResult<bool> {
    match field(m, name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(type_error(strct, name, v, "bool")),
    }
}

/// The body, or the binding error OpenIM answers for an unreadable one (HTTP
/// 400, errCode 1001), e.g. one over `MAX_BODY_BYTES`.
fn bytes(body: Result<web::Bytes, actix_web::Error>) -> OResult<web::Bytes> {
    body.map_err(|e| {
        OpenImError::args(e.to_string()).with_status(actix_web::http::StatusCode::BAD_REQUEST)
    })
}

fn required_msg(path: &str, field: &str, tag: &str) -> String {
    format!("Key: '{path}' Error:Field validation for '{field}' failed on the '{tag}' tag")
}

/// The JSON body of a token request, once the service has a secret, the
/// caller is within the attempt limit and the request has an operationID.
async fn token_request(
    state: &AppState,
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> OResult<Body> {
    secret(state)?;
    if !state.allow_attempt(req).await {
        return Err(
            OpenImError::new(1001, "ArgsError", "too many token requests")
                .with_status(actix_web::http::StatusCode::TOO_MANY_REQUESTS),
        );
    }
    operation_id(req)?;
    json_body(&bytes(body)?, req)
}

pub const AUTH_GET_ADMIN_TOKEN: Endpoint = Endpoint {
    path: "/auth/get_admin_token",
    summary: "OpenIM admin token",
    dialect: Dialect::OpenIm,
    auth: false,
    params: &[string("secret").required(), string("userID").required()],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// `POST /auth/get_admin_token` `{secret, userID}` (whitelisted: no `token` header).
async fn get_admin_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> OResult<HttpResponse> {
    let b = token_request(&state, &req, body).await?;
    let secret = str_field(&b, "GetAdminTokenReq", "secret")?;
    let user_id = str_field(&b, "GetAdminTokenReq", "userID")?;
    if user_id.is_empty() {
        return Err(OpenImError::args("userID is empty"));
    }
    if secret != self::secret(&state)? {
        return Err(OpenImError::no_permission("secret invalid"));
    }
    let admins = &state.cfg.openim_admin_user_ids;
    if !admins.iter().any(|a| a == &user_id) {
        return Err(OpenImError::args(format!(
            "userID is error., userID={user_id}, adminUserID={admins:?}"
        )));
    }
    Ok(ok_resp(issue(&state, &user_id, ADMIN_PLATFORM_ID).await?))
}

pub const AUTH_USER_TOKEN: Endpoint = Endpoint {
    path: "/auth/user_token",
    summary: "OpenIM user token (older clients)",
    dialect: Dialect::OpenIm,
    auth: false,
    params: &[
        string("secret").required(),
        int("platformID").required(),
        string("userID").required(),
    ],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// `POST /auth/user_token` `{secret, platformID, userID}` (v3.0–v3.8.2 clients).
/// The user is an admin id or an existing Shiku user; only admin tokens may send.
async fn user_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> OResult<HttpResponse> {
    let b = token_request(&state, &req, body).await?;
    let secret = str_field(&b, "UserTokenReq", "secret")?;
    let platform_id = int_field(&b, "UserTokenReq", "platformID", "int32")?;
    let user_id = str_field(&b, "UserTokenReq", "userID")?;
    if user_id.is_empty() {
        return Err(OpenImError::args("userID is empty"));
    }
    if platform_name(platform_id).is_empty() {
        return Err(OpenImError::args("platform is invalidate"));
    }
    if secret != self::secret(&state)? {
        return Err(OpenImError::no_permission("secret invalid"));
    }
    if !is_admin(&state, &user_id) {
        let known = match user_id.parse::<i64>() {
            Ok(uid) if uid > 0 => state
                .store
                .user_by_id(uid)
                .await
                .map_err(OpenImError::internal)?
                .is_some(),
            _ => false,
        };
        if !known {
            return Err(OpenImError::not_found("user not found"));
        }
    }
    Ok(ok_resp(issue(&state, &user_id, platform_id).await?))
}

// ---------------------------------------------------------------- send_msg

/// The validated request body.
struct SendReq {
    send_id: String,
    recv_id: String,
    group_id: String,
    sender_nickname: String,
    sender_platform_id: i64,
    content: Map<String, Value>,
    content_type: i64,
    session_type: i64,
    is_online_only: bool,
    send_time: i64,
    /// Extension (OpenIM generates it): lets an importer retry idempotently.
    client_msg_id: Option<String>,
}

/// The Go struct named in `SendMsgReq`'s binding errors.
const SEND_MSG_REQ: &str = "SendMsgReq";

/// gin `BindJSON` with the `binding` tags of `apistruct.SendMsgReq` and the
/// custom `required_if` (recvID for sessionType 1/4, groupID for 2/3).
fn bind_send(body: &[u8], req: &HttpRequest) -> OResult<SendReq> {
    let b = json_body(body, req)?;
    const S: &str = SEND_MSG_REQ;
    let send_id = str_field(&b, S, "sendID")?;
    let recv_id = str_field(&b, S, "recvID")?;
    let group_id = str_field(&b, S, "groupID")?;
    let sender_nickname = str_field(&b, S, "senderNickname")?;
    str_field(&b, S, "senderFaceURL")?;
    str_field(&b, S, "ex")?;
    let sender_platform_id = int_field(&b, S, "senderPlatformID", "int32")?;
    let content_type = int_field(&b, S, "contentType", "int32")?;
    let session_type = int_field(&b, S, "sessionType", "int32")?;
    let send_time = int_field(&b, S, "sendTime", "int64")?;
    let is_online_only = bool_field(&b, S, "isOnlineOnly")?;
    bool_field(&b, S, "notOfflinePush")?;
    check_offline_push_info(&b)?;
    let content = content_field(&b)?;
    let client_msg_id = client_msg_id_field(&b)?;
    let has_content = content.is_some();
    let r = SendReq {
        send_id,
        recv_id,
        group_id,
        sender_nickname,
        sender_platform_id,
        content: content.unwrap_or_default(),
        content_type,
        session_type,
        is_online_only,
        send_time,
        client_msg_id,
    };
    check_required(&r, has_content)?;
    Ok(r)
}

/// `offlinePushInfo` is not used, but must be an object (or absent/null).
fn check_offline_push_info(b: &Body) -> OResult<()> {
    match field(b, "offlinePushInfo") {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(v) => Err(type_error(
            SEND_MSG_REQ,
            "offlinePushInfo",
            v,
            "sdkws.OfflinePushInfo",
        )),
    }
}

/// The `content` object (none when absent or null).
fn content_field(b: &Body) -> OResult<Option<Map<String, Value>>> {
    match field(b, "content") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(v) => Err(type_error(
            SEND_MSG_REQ,
            "content",
            v,
            "map[string]interface {}",
        )),
    }
}

/// The optional `clientMsgID` (none when absent, null or empty): up to 64
/// letters, digits, `-` or `_`.
fn client_msg_id_field(b: &Body) -> OResult<Option<String>> {
    match field(b, "clientMsgID") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if crate::store::names::valid_key(s) => Ok(Some(s.clone())),
        Some(_) => Err(OpenImError::bind(
            "clientMsgID: up to 64 letters, digits, '-' or '_'",
        )),
    }
}

/// The `required`/`required_if` binding tags, all failures in one answer.
fn check_required(r: &SendReq, has_content: bool) -> OResult<()> {
    let mut errs = Vec::new();
    if matches!(r.session_type, 1 | 4) && r.recv_id.is_empty() {
        errs.push(required_msg("SendMsgReq.RecvID", "RecvID", "required_if"));
    }
    if r.send_id.is_empty() {
        errs.push(required_msg(
            "SendMsgReq.SendMsg.SendID",
            "SendID",
            "required",
        ));
    }
    if matches!(r.session_type, 2 | 3) && r.group_id.is_empty() {
        errs.push(required_msg(
            "SendMsgReq.SendMsg.GroupID",
            "GroupID",
            "required_if",
        ));
    }
    if !has_content {
        errs.push(required_msg(
            "SendMsgReq.SendMsg.Content",
            "Content",
            "required",
        ));
    }
    if r.content_type == 0 {
        errs.push(required_msg(
            "SendMsgReq.SendMsg.ContentType",
            "ContentType",
            "required",
        ));
    }
    if r.session_type == 0 {
        errs.push(required_msg(
            "SendMsgReq.SendMsg.SessionType",
            "SessionType",
            "required",
        ));
    }
    if !errs.is_empty() {
        return Err(OpenImError::bind(errs.join("\n")));
    }
    Ok(())
}

/// The Shiku form of an OpenIM element: message type, `content`, and the
/// extra keys of the message JSON.
#[derive(Debug, PartialEq)]
pub struct ShikuContent {
    pub msg_type: i32,
    pub content: String,
    pub extra: BTreeMap<String, Value>,
}

/// mapstructure `WeakDecode` of a string: numbers and booleans are accepted.
fn weak_str(m: &Map<String, Value>, strct: &str, key: &str) -> OResult<String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(if *b { "1" } else { "0" }.to_string()),
        Some(_) => Err(OpenImError::args(format!(
            "1 error(s) decoding:\n\n* '{strct}.{key}' expected type 'string'"
        ))),
    }
}

/// mapstructure `WeakDecode` of an integer: numeric strings and booleans are accepted.
fn weak_int(m: &Map<String, Value>, strct: &str, key: &str) -> OResult<i64> {
    let bad = || {
        OpenImError::args(format!(
            "1 error(s) decoding:\n\n* cannot parse '{strct}.{key}' as int"
        ))
    };
    match m.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(bad),
        Some(Value::Bool(b)) => Ok(*b as i64),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn sub_object<'a>(
    m: &'a Map<String, Value>,
    strct: &str,
    key: &str,
) -> OResult<std::borrow::Cow<'a, Map<String, Value>>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(std::borrow::Cow::Owned(Map::new())),
        Some(Value::Object(o)) => Ok(std::borrow::Cow::Borrowed(o)),
        Some(_) => Err(OpenImError::args(format!(
            "1 error(s) decoding:\n\n* '{strct}.{key}' expected a map"
        ))),
    }
}

/// Collects validator failures ("required" = non-zero) in field order.
struct Checks(Vec<String>);

impl Checks {
    fn str(&mut self, path: &str, name: &str, v: &str) {
        if v.is_empty() {
            self.0
                .push(required_msg(&format!("{path}.{name}"), name, "required"));
        }
    }
    fn int(&mut self, path: &str, name: &str, v: i64) {
        if v == 0 {
            self.0
                .push(required_msg(&format!("{path}.{name}"), name, "required"));
        }
    }
    fn done(self) -> OResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(OpenImError::args(self.0.join("\n")))
        }
    }
}

/// `getSendMsgReq`: the content of contentType 101–105, decoded and validated
/// like OpenIM's element structs (failures answer 1001 with the validator
/// text in `errDlt`), mapped to Shiku message types 1 text, 2 image, 3 voice,
/// 6 video, 9 file. Every other contentType is refused with 1001.
pub fn map_content(content_type: i64, c: &Map<String, Value>) -> OResult<ShikuContent> {
    let mut extra = BTreeMap::new();
    let mut ck = Checks(Vec::new());
    let (msg_type, content) = match content_type {
        101 => text_elem(c, &mut ck)?,
        102 => picture_elem(c, &mut ck, &mut extra)?,
        103 => sound_elem(c, &mut ck, &mut extra)?,
        104 => video_elem(c, &mut ck, &mut extra)?,
        105 => file_elem(c, &mut ck, &mut extra)?,
        _ => return Err(OpenImError::args("")),
    };
    ck.done()?;
    Ok(ShikuContent {
        msg_type,
        content,
        extra,
    })
}

/// The extra keys of the message JSON that an element fills.
type Extra = BTreeMap<String, Value>;

/// `TextElem` (101): Shiku text, the text as content.
fn text_elem(c: &Map<String, Value>, ck: &mut Checks) -> OResult<(i32, String)> {
    let text = weak_str(c, "TextElem", "content")?;
    ck.str("TextElem", "Content", &text);
    Ok((1, text))
}

/// `PictureElem` (102): Shiku image, the source picture's URL as content,
/// its size and dimensions as extras.
fn picture_elem(
    c: &Map<String, Value>,
    ck: &mut Checks,
    extra: &mut Extra,
) -> OResult<(i32, String)> {
    let mut url = String::new();
    for (key, name) in [
        ("sourcePicture", "SourcePicture"),
        ("bigPicture", "BigPicture"),
        ("snapshotPicture", "SnapshotPicture"),
    ] {
        let p = sub_object(c, "PictureElem", key)?;
        let path = format!("PictureElem.{name}");
        let ty = weak_str(&p, &path, "type")?;
        let w = weak_int(&p, &path, "width")?;
        let h = weak_int(&p, &path, "height")?;
        let u = weak_str(&p, &path, "url")?;
        let size = weak_int(&p, &path, "size")?;
        ck.str(&path, "Type", &ty);
        ck.int(&path, "Width", w);
        ck.int(&path, "Height", h);
        ck.str(&path, "Url", &u);
        if key == "sourcePicture" {
            url = u;
            extra.insert("fileSize".into(), json!(size));
            extra.insert("location_x".into(), json!(w as f64));
            extra.insert("location_y".into(), json!(h as f64));
        }
    }
    Ok((2, url))
}

/// `SoundElem` (103): Shiku voice, the URL as content, size and duration
/// as extras.
fn sound_elem(
    c: &Map<String, Value>,
    ck: &mut Checks,
    extra: &mut Extra,
) -> OResult<(i32, String)> {
    let url = weak_str(c, "SoundElem", "sourceUrl")?;
    let size = weak_int(c, "SoundElem", "dataSize")?;
    let duration = weak_int(c, "SoundElem", "duration")?;
    ck.str("SoundElem", "SourceURL", &url);
    if duration == 0 {
        ck.int("SoundElem", "Duration", duration);
    } else if duration < 1 {
        ck.0.push(required_msg("SoundElem.Duration", "Duration", "min"));
    }
    extra.insert("fileSize".into(), json!(size));
    extra.insert("fileTime".into(), json!(duration));
    Ok((3, url))
}

/// `VideoElem` (104): Shiku video, the URL as content, size and duration
/// as extras.
fn video_elem(
    c: &Map<String, Value>,
    ck: &mut Checks,
    extra: &mut Extra,
) -> OResult<(i32, String)> {
    let url = weak_str(c, "VideoElem", "videoUrl")?;
    let vtype = weak_str(c, "VideoElem", "videoType")?;
    let size = weak_int(c, "VideoElem", "videoSize")?;
    let duration = weak_int(c, "VideoElem", "duration")?;
    let snap = weak_str(c, "VideoElem", "snapshotUrl")?;
    let sw = weak_int(c, "VideoElem", "snapshotWidth")?;
    let sh = weak_int(c, "VideoElem", "snapshotHeight")?;
    ck.str("VideoElem", "VideoURL", &url);
    ck.str("VideoElem", "VideoType", &vtype);
    ck.int("VideoElem", "VideoSize", size);
    ck.int("VideoElem", "Duration", duration);
    ck.str("VideoElem", "SnapshotURL", &snap);
    ck.int("VideoElem", "SnapshotWidth", sw);
    ck.int("VideoElem", "SnapshotHeight", sh);
    extra.insert("fileSize".into(), json!(size));
    extra.insert("fileTime".into(), json!(duration));
    Ok((6, url))
}

/// `FileElem` (105): Shiku file, the URL as content, size and name as extras.
fn file_elem(c: &Map<String, Value>, ck: &mut Checks, extra: &mut Extra) -> OResult<(i32, String)> {
    let url = weak_str(c, "FileElem", "sourceUrl")?;
    let name = weak_str(c, "FileElem", "fileName")?;
    let size = weak_int(c, "FileElem", "fileSize")?;
    ck.str("FileElem", "SourceURL", &url);
    ck.str("FileElem", "FileName", &name);
    ck.int("FileElem", "FileSize", size);
    extra.insert("fileSize".into(), json!(size));
    extra.insert("fileName".into(), json!(name));
    Ok((9, url))
}

/// OpenIM's random 32-hex ids (`GetMsgIDByMD5`, msg `GetMsgID`).
fn client_msg_id(send_id: &str) -> String {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let r: i64 = rand::random::<i64>().rem_euclid(nanos.max(1));
    md5_hex(format!("{nanos}{send_id}{r}").as_bytes())
}

fn server_msg_id(send_id: &str, client_supplied: Option<&str>) -> String {
    match client_supplied {
        // A retried import gets the same answer every time; another sender's
        // message with the same client id gets another.
        Some(id) => md5_hex(format!("server-{send_id}-{id}").as_bytes()),
        None => {
            let t = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
            md5_hex(format!("{t}-{send_id}-{}", rand::random::<u32>()).as_bytes())
        }
    }
}

/// The Shiku resource of the sender jid for an OpenIM platform id.
fn resource(platform_id: i64) -> &'static str {
    match platform_id {
        1 | 9 => "ios",
        2 | 8 => "android",
        3 | 7 => "pc",
        4 => "mac",
        5 | 6 => "web",
        _ => "Server",
    }
}

/// Who sends: the Shiku user of `sendID` (its nickname unless
/// `senderNickname` is given), or, for an admin sender that is no Shiku user
/// (`openIMAdmin` in the seed, or a configured admin id), the system account
/// of the original's server messages (single chats and notifications only).
/// Answers the userId, the name and the platform of the sender's resource.
fn sender(
    state: &AppState,
    r: &SendReq,
    from_id: Option<i64>,
    sender_doc: Option<&User>,
) -> OResult<(i64, String, i64)> {
    let admin = is_admin(state, &r.send_id);
    let as_system = sender_doc.is_none() && r.session_type != 3 && (from_id.is_none() || admin);
    let from_id = match (r.session_type, from_id) {
        _ if as_system => SYSTEM_SENDER,
        (_, None) => return Err(OpenImError::not_found("record not found")),
        (1 | 3, Some(_)) if sender_doc.is_none() => {
            return Err(OpenImError::not_found("record not found"))
        }
        (_, Some(id)) => id,
    };
    let name = if r.sender_nickname.is_empty() {
        nickname(sender_doc).unwrap_or_else(|| r.send_id.clone())
    } else {
        r.sender_nickname.clone()
    };
    let platform = if r.session_type == 4 || as_system {
        0
    } else {
        r.sender_platform_id
    };
    Ok((from_id, name, platform))
}

/// A group message: OpenIM's checks on the room and the sender, then the
/// record (none for `isOnlineOnly`); the time stored.
async fn to_room(
    state: &AppState,
    r: &SendReq,
    room: Option<Room>,
    m: &mut NewMessage,
) -> OResult<i64> {
    let jid = r.group_id.as_str();
    let room = room.ok_or_else(|| OpenImError::not_found("record not found"))?;
    if is_locked(&room) {
        return Err(OpenImError::new(1204, "DismissedAlreadyError", ""));
    }
    if num(&room, "userId") != Some(m.from_user_id) {
        let room_oid = room.get_object_id("_id").map_err(OpenImError::internal)?;
        let member = state.store.room_member(&room_oid, m.from_user_id).await?;
        group_sender_may_speak(&room, m.from_user_id, member.as_ref())?;
    }
    m.to = jid.to_string();
    m.to_user_id = jid.to_string();
    m.to_user_name = room.get_str("name").unwrap_or("").to_string();
    if r.is_online_only {
        return Ok(m.time_send);
    }
    Ok(state.delivery.to_room(&state.store, m, jid).await?)
}

/// A single chat: the receiver must be a Shiku user other than the sender;
/// then both sides' records (none for `isOnlineOnly`); the time stored.
async fn to_user(
    state: &AppState,
    r: &SendReq,
    recv_id: Option<i64>,
    recv_doc: Option<User>,
    m: &mut NewMessage,
) -> OResult<i64> {
    let (Some(recv), Some(recv_doc)) = (recv_id, recv_doc) else {
        return Err(OpenImError::not_found("userID not found"));
    };
    if recv == m.from_user_id {
        return Err(OpenImError::args("sendID and recvID are the same user"));
    }
    m.to = recv.to_string();
    m.to_user_id = recv.to_string();
    m.to_user_name = nickname(Some(&recv_doc)).unwrap_or_default();
    if r.is_online_only {
        return Ok(m.time_send);
    }
    Ok(state.delivery.to_user(&state.store, m, recv).await?)
}

/// The system account of the original's server messages (`10005/Server`).
const SYSTEM_SENDER: i64 = 10005;

fn shiku_user_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0)
}

/// A user's stored nickname (none when absent or not a string).
fn nickname(u: Option<&User>) -> Option<String> {
    u.and_then(|u| u.nickname().ok().flatten())
        .map(str::to_string)
}

/// OpenIM's checks of a group message's sender (`verify.go`), on Shiku's
/// records: a member (1203), not muted (1402), and not in a room muted for
/// everyone but the owner and admins (1403).
fn group_sender_may_speak(room: &Room, from_id: i64, member: Option<&Member>) -> OResult<()> {
    Seat::new(room, from_id, member)
        .may_speak(now_s())
        .map_err(|d| match d {
            Denied::Muted => OpenImError::new(1402, "MutedInGroup", ""),
            Denied::RoomMuted => OpenImError::new(1403, "MutedGroup", ""),
            _ => OpenImError::new(1203, "NotInGroupYetError", ""),
        })
}

pub const MSG_SEND_MSG: Endpoint = Endpoint {
    path: "/msg/send_msg",
    summary: "OpenIM admin send",
    dialect: Dialect::OpenIm,
    params: &[
        string("sendID").required(),
        string("recvID"),
        string("groupID"),
        string("senderNickname"),
        string("senderFaceURL"),
        int("senderPlatformID"),
        object("content").required(),
        int("contentType").required(),
        int("sessionType").required(),
        boolean("isOnlineOnly"),
        boolean("notOfflinePush"),
        object("offlinePushInfo"),
        string("clientMsgID"),
        int("sendTime"),
        string("ex"),
    ],
    ..Endpoint::shiku("", "")
};

/// `POST /msg/send_msg`.
async fn send_msg(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> OResult<HttpResponse> {
    secret(&state)?;
    operation_id(&req)?;
    let claims = parse_token(&state, &req).await?;
    let r = bind_send(&bytes(body)?, &req)?;
    if !is_admin(&state, &claims.user_id) {
        return Err(OpenImError::no_permission(
            "only app manager can send message",
        ));
    }
    let mapped = map_content(r.content_type, &r.content)?;
    if !matches!(r.session_type, 1 | 3 | 4) {
        return Err(OpenImError::args("unknown sessionType"));
    }
    let from_id = shiku_user_id(&r.send_id);
    let group = r.session_type == 3;
    let recv_id = if group {
        None
    } else {
        shiku_user_id(&r.recv_id)
    };
    let (sender_doc, recv_doc, room) = read_parties(&state, &r, from_id, recv_id).await?;
    let from = sender(&state, &r, from_id, sender_doc.as_ref())?;
    let (message_id, server_id) = message_ids(&r);
    let mut m = new_message(&r, message_id, from, mapped);
    let stored_time = if group {
        to_room(&state, &r, room, &mut m).await?
    } else {
        to_user(&state, &r, recv_id, recv_doc, &mut m).await?
    };
    Ok(ok_resp(json!({
        "serverMsgID": server_id,
        "clientMsgID": m.message_id,
        "sendTime": stored_time,
    })))
}

/// Whether `user_id` is one of the configured OpenIM admin ids.
fn is_admin(state: &AppState, user_id: &str) -> bool {
    state.cfg.openim_admin_user_ids.iter().any(|a| a == user_id)
}

/// The sender's and the receiver's Shiku users (one read) and, for a group
/// message to a valid jid, the room. They do not depend on each other: read
/// together; the checks that follow keep OpenIM's order.
async fn read_parties(
    state: &AppState,
    r: &SendReq,
    from_id: Option<i64>,
    recv_id: Option<i64>,
) -> OResult<(Option<User>, Option<User>, Option<Room>)> {
    let group = r.session_type == 3;
    let ids: Vec<i64> = from_id.into_iter().chain(recv_id).collect();
    let (users, room) = futures::try_join!(
        async {
            state
                .store
                .users_by_ids(&ids)
                .await
                .map_err(OpenImError::internal)
        },
        async {
            if group && valid_room_jid(&r.group_id) {
                state
                    .store
                    .room_by_jid(&r.group_id)
                    .await
                    .map_err(OpenImError::internal)
            } else {
                Ok(None)
            }
        },
    )?;
    let pick = |id: Option<i64>| {
        let id = UserId(id?);
        users.iter().find(|u| u.id().ok() == Some(id)).cloned()
    };
    Ok((pick(from_id), pick(recv_id), room))
}

/// The message's `messageId` (the client's, or a new random one) and the
/// `serverMsgID` answered.
fn message_ids(r: &SendReq) -> (String, String) {
    let message_id = r
        .client_msg_id
        .clone()
        .unwrap_or_else(|| client_msg_id(&r.send_id));
    let server_id = server_msg_id(&r.send_id, r.client_msg_id.as_deref());
    (message_id, server_id)
}

/// The message to store, from the sender (userId, name, platform) and the
/// mapped content; the receiver is filled in by [`to_room`] or [`to_user`].
fn new_message(
    r: &SendReq,
    message_id: String,
    (from_id, from_name, platform): (i64, String, i64),
    mapped: ShikuContent,
) -> NewMessage {
    let time_send = if r.send_time == 0 {
        now_ms()
    } else {
        r.send_time
    };
    NewMessage {
        message_id,
        from_user_id: from_id,
        from_user_name: from_name,
        from_jid: format!("{from_id}/{}", resource(platform)),
        to: String::new(),
        to_user_id: String::new(),
        to_user_name: String::new(),
        msg_type: mapped.msg_type,
        content: mapped.content,
        time_send,
        extra: mapped.extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn text_is_weakly_decoded_and_required() {
        let c = map_content(101, &obj(json!({"content": "hi"}))).unwrap();
        assert_eq!((c.msg_type, c.content.as_str()), (1, "hi"));
        let c = map_content(101, &obj(json!({"content": 123}))).unwrap();
        assert_eq!(c.content, "123");
        let e = map_content(101, &obj(json!({}))).unwrap_err();
        assert_eq!(e.code, 1001);
        assert_eq!(
            e.detail,
            "Key: 'TextElem.Content' Error:Field validation for 'Content' failed on the 'required' tag"
        );
    }

    #[test]
    fn media_map_to_shiku_types() {
        let pic = json!({"url": "http://x/a.jpg", "type": "jpg", "width": 640, "height": 480, "size": 1234});
        let c = map_content(
            102,
            &obj(json!({"sourcePicture": pic, "bigPicture": pic, "snapshotPicture": pic})),
        )
        .unwrap();
        assert_eq!(c.msg_type, 2);
        assert_eq!(c.content, "http://x/a.jpg");
        assert_eq!(c.extra["location_x"], json!(640.0));
        assert_eq!(c.extra["fileSize"], json!(1234));
        let c = map_content(
            105,
            &obj(json!({"sourceUrl": "http://x/f.pdf", "fileName": "f.pdf", "fileSize": 9})),
        )
        .unwrap();
        assert_eq!(
            (c.msg_type, c.extra["fileName"].clone()),
            (9, json!("f.pdf"))
        );
        assert_eq!(
            map_content(103, &obj(json!({"sourceUrl": "u", "duration": 3})))
                .unwrap()
                .msg_type,
            3
        );
        assert!(map_content(103, &obj(json!({"sourceUrl": "u", "duration": -1}))).is_err());
        assert_eq!(
            map_content(110, &obj(json!({"data": "x"})))
                .unwrap_err()
                .code,
            1001
        );
    }
}
