//! `GET /openapi.json`: an OpenAPI 3 description of every endpoint of the three
//! dialects, generated from one table so it cannot drift into a second copy of
//! the routes' parameter lists.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/openapi.json").route(web::get().to(openapi)));
}

/// (name, type, required). Types: "string", "integer".
pub type P = (&'static str, &'static str, bool);

/// One endpoint of the API; the table below is also what the bad-input sweep
/// (`tests/sweep.rs`) and the schemathesis run iterate over.
pub struct Endpoint {
    pub path: &'static str,
    pub summary: &'static str,
    /// Shiku endpoints answer GET and POST (Spring `@RequestMapping`).
    pub dialect: Dialect,
    pub auth: bool,
    pub params: &'static [P],
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dialect {
    Shiku,
    ShikuUpload,
    OpenIm,
    JhGet,
    JhPost,
    Plain,
}

/// Endpoints that count against the per-client login limit (HTTP 429 beyond).
const LOGIN_LIMITED: &[&str] = &[
    "/user/login",
    "/auth/getLoginCode",
    "/authkeys/uploadLoginKey",
    "/authkeys/getLoginPrivateKey",
    "/user/login/v1",
    "/user/login/auto/v1",
    "/console/login",
];

const PAGE: [P; 2] = [
    ("pageIndex", "integer", false),
    ("pageSize", "integer", false),
];

const SINGLE_HISTORY: [P; 6] = [
    ("receiver", "integer", true),
    PAGE[0],
    PAGE[1],
    ("startTime", "integer", false),
    ("endTime", "integer", false),
    ("maxType", "integer", false),
];

const GROUP_HISTORY: [P; 6] = [
    ("roomId", "string", true),
    PAGE[0],
    PAGE[1],
    ("startTime", "integer", false),
    ("endTime", "integer", false),
    ("maxType", "integer", false),
];

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/config",
        summary: "client configuration",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[],
    },
    Endpoint {
        path: "/getCurrentTime",
        summary: "server time (ms)",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[],
    },
    Endpoint {
        path: "/health",
        summary: "200 when MongoDB answers, 503 otherwise",
        dialect: Dialect::Plain,
        auth: false,
        params: &[],
    },
    Endpoint {
        path: "/user/login",
        summary: "log in with telephone (or userId) and md5(password)",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("telephone", "string", false),
            ("areaCode", "string", false),
            ("password", "string", true),
            ("userId", "integer", false),
        ],
    },
    Endpoint {
        path: "/auth/getLoginCode",
        summary: "secure login step 1: the one-time code, RSA-sealed with the user's login key",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("areaCode", "string", false),
            ("account", "string", true),
            ("deviceId", "string", true),
            ("mac", "string", true),
            ("salt", "string", false),
        ],
    },
    Endpoint {
        path: "/authkeys/uploadLoginKey",
        summary: "secure login: upload the user's RSA login key pair (first secure login)",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("userId", "integer", true),
            ("publicKey", "string", true),
            ("privateKey", "string", true),
            ("mac", "string", true),
            ("salt", "string", false),
        ],
    },
    Endpoint {
        path: "/authkeys/getLoginPrivateKey",
        summary: "secure login: the uploaded (password-encrypted) private key",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("userId", "integer", false),
            ("mac", "string", true),
            ("salt", "string", false),
        ],
    },
    Endpoint {
        path: "/user/login/v1",
        summary: "secure login: data = AES(code, {..., mac}); answers data.data = AES(code, login result)",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("userId", "integer", true),
            ("deviceId", "string", true),
            ("data", "string", true),
            ("salt", "string", false),
        ],
    },
    Endpoint {
        path: "/user/login/auto/v1",
        summary: "auto login with loginToken; data sealed with loginKey (1030112 when unknown)",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("loginToken", "string", true),
            ("data", "string", true),
            ("salt", "string", false),
        ],
    },
    Endpoint {
        path: "/user/login/auto",
        summary: "older auto login by access token",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[],
    },
    Endpoint {
        path: "/console/login",
        summary: "console login of a user with a console role; answers access_Token",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("account", "string", true),
            ("password", "string", true),
            ("areaCode", "string", false),
        ],
    },
    Endpoint {
        path: "/user/register",
        summary: "register a user",
        dialect: Dialect::Shiku,
        auth: false,
        params: &[
            ("telephone", "string", true),
            ("areaCode", "string", false),
            ("password", "string", true),
            ("nickname", "string", false),
            ("sex", "integer", false),
        ],
    },
    Endpoint {
        path: "/user/logout",
        summary: "end the session",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[],
    },
    Endpoint {
        path: "/user/get",
        summary: "a user's profile (own by default)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("userId", "integer", false)],
    },
    Endpoint {
        path: "/friends/page",
        summary: "the caller's friends, paged",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[PAGE[0], PAGE[1], ("userId", "integer", false)],
    },
    Endpoint {
        path: "/friends/attention/list",
        summary: "the caller's relations as one list (optionally one status)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("status", "integer", false)],
    },
    Endpoint {
        path: "/friendGroup/list",
        summary: "the caller's friend labels",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[],
    },
    Endpoint {
        path: "/friends/add",
        summary: "add a friend",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("toUserId", "integer", true)],
    },
    Endpoint {
        path: "/room/add",
        summary: "create a room",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("jid", "string", true),
            ("name", "string", true),
            ("desc", "string", false),
            ("phones", "string", false),
        ],
    },
    Endpoint {
        path: "/room/get",
        summary: "a room with its members",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true)],
    },
    Endpoint {
        path: "/room/getRoom",
        summary: "a room with the caller's member (null when not in it)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true)],
    },
    Endpoint {
        path: "/room/update",
        summary: "change room settings / post a notice",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("roomId", "string", true),
            ("roomName", "string", false),
            ("talkTime", "integer", false),
            ("notice", "string", false),
            ("desc", "string", false),
        ],
    },
    Endpoint {
        path: "/room/noticesPage",
        summary: "room notices, newest first",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true), PAGE[0], PAGE[1]],
    },
    Endpoint {
        path: "/room/member/list",
        summary: "room members",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true)],
    },
    Endpoint {
        path: "/room/transfer",
        summary: "transfer ownership",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true), ("toUserId", "integer", true)],
    },
    Endpoint {
        path: "/room/member/delete",
        summary: "leave, remove a member, or (owner leaving) dissolve",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true), ("userId", "integer", true)],
    },
    Endpoint {
        path: "/room/member/update",
        summary: "add members by phone",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("roomId", "string", true), ("phones", "string", true)],
    },
    Endpoint {
        path: "/room/member/setOfflineNoPushMsg",
        summary: "do-not-disturb (type 0) or pin (type 1)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("roomId", "string", true),
            ("userId", "integer", false),
            ("type", "integer", false),
            ("offlineNoPushMsg", "integer", true),
        ],
    },
    Endpoint {
        path: "/room/list/his",
        summary: "the caller's rooms",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[PAGE[0], PAGE[1]],
    },
    Endpoint {
        path: "/tigase/shiku_msgs",
        summary: "single-chat history, newest first",
        dialect: Dialect::Shiku,
        auth: true,
        params: &SINGLE_HISTORY,
    },
    Endpoint {
        path: "/tigase/chat_msgs",
        summary: "single-chat history under the later server's name (the PC client's)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &SINGLE_HISTORY,
    },
    Endpoint {
        path: "/tigase/shiku_muc_msgs",
        summary: "group history, newest first",
        dialect: Dialect::Shiku,
        auth: true,
        params: &GROUP_HISTORY,
    },
    Endpoint {
        path: "/tigase/chat_muc_msgs",
        summary: "group history under the later server's name (the PC client's)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &GROUP_HISTORY,
    },
    Endpoint {
        path: "/tigase/dialog/get",
        summary: "the caller's pinned conversations",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[],
    },
    Endpoint {
        path: "/tigase/getLastChatList",
        summary: "conversation list",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[PAGE[0], PAGE[1]],
    },
    Endpoint {
        path: "/tigase/deleteMsg",
        summary: "delete my copies (delete=1) or recall (delete=2)",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("type", "integer", true),
            ("delete", "integer", true),
            ("messageId", "string", true),
            ("roomJid", "string", false),
        ],
    },
    Endpoint {
        path: "/tigase/search",
        summary: "search people, rooms and messages",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[("content", "string", true)],
    },
    Endpoint {
        path: "/tigase/dialog/add",
        summary: "pin a conversation",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("jid", "string", true),
            ("isRoom", "integer", false),
            ("isAdaptive", "integer", false),
        ],
    },
    Endpoint {
        path: "/tigase/dialog/delete",
        summary: "unpin a conversation",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("jid", "string", true),
            ("isRoom", "integer", false),
            ("isAdaptive", "integer", false),
        ],
    },
    Endpoint {
        path: "/upload/UploadServlet",
        summary: "upload files (multipart `file`)",
        dialect: Dialect::ShikuUpload,
        auth: false,
        params: &[("validTime", "integer", false)],
    },
    Endpoint {
        path: "/console/oneSendOne",
        summary: "send a message between two users by phone",
        dialect: Dialect::Shiku,
        auth: true,
        params: &[
            ("type", "integer", true),
            ("content", "string", true),
            ("sendPhone", "string", true),
            ("toUserPhone", "string", true),
        ],
    },
    Endpoint {
        path: "/msg/send_msg",
        summary: "OpenIM admin send",
        dialect: Dialect::OpenIm,
        auth: true,
        // JSON body fields (OpenIM endpoints take a JSON object, not a form).
        params: &[
            ("sendID", "string", true),
            ("recvID", "string", false),
            ("groupID", "string", false),
            ("senderNickname", "string", false),
            ("senderFaceURL", "string", false),
            ("senderPlatformID", "integer", false),
            ("content", "object", true),
            ("contentType", "integer", true),
            ("sessionType", "integer", true),
            ("isOnlineOnly", "boolean", false),
            ("notOfflinePush", "boolean", false),
            ("sendTime", "integer", false),
            ("ex", "string", false),
        ],
    },
    Endpoint {
        path: "/auth/get_admin_token",
        summary: "OpenIM admin token",
        dialect: Dialect::OpenIm,
        auth: false,
        params: &[("secret", "string", true), ("userID", "string", true)],
    },
    Endpoint {
        path: "/auth/user_token",
        summary: "OpenIM user token (older clients)",
        dialect: Dialect::OpenIm,
        auth: false,
        params: &[
            ("secret", "string", true),
            ("platformID", "integer", true),
            ("userID", "string", true),
        ],
    },
    Endpoint {
        path: "/api/im/sendMsg",
        summary: "JH: send a message",
        dialect: Dialect::JhPost,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("from", "string", true),
            ("fromarea", "string", false),
            ("fromrole", "string", true),
            ("f_nickname", "string", false),
            ("f_avatar", "string", false),
            ("to", "string", true),
            ("t_nickname", "string", false),
            ("t_avatar", "string", false),
            ("content", "string", true),
            ("type", "string", true),
            ("channel", "string", true),
            ("bustype", "string", false),
            ("busid", "string", false),
        ],
    },
    Endpoint {
        path: "/api/im/getNewestMsgListByLastTime",
        summary: "JH: poll messages newer than lasttime",
        dialect: Dialect::JhGet,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("from", "string", true),
            ("to", "string", true),
            ("fromrole", "string", true),
            ("lasttime", "integer", false),
        ],
    },
    Endpoint {
        path: "/api/im/regUserInfo",
        summary: "JH: register/heartbeat a user",
        dialect: Dialect::JhPost,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("userid", "string", true),
            ("userrole", "string", true),
            ("channel", "string", false),
        ],
    },
    Endpoint {
        path: "/api/im/getUserStatus",
        summary: "JH: a user's online status",
        dialect: Dialect::JhGet,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("userid", "string", true),
            ("userrole", "string", false),
        ],
    },
    Endpoint {
        path: "/api/im/getMsgListByPageAndUserId",
        summary: "JH: history pages",
        dialect: Dialect::JhGet,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("from", "string", true),
            ("to", "string", true),
            ("fromrole", "string", true),
            ("page", "integer", false),
            ("limit", "integer", false),
            ("lasttime", "integer", false),
        ],
    },
    Endpoint {
        path: "/api/im/updateUnreadP2pMessages",
        summary: "JH: mark messages read",
        dialect: Dialect::JhPost,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("from", "string", true),
            ("fromrole", "string", true),
            ("to", "string", true),
        ],
    },
    Endpoint {
        path: "/api/im/unreadcount",
        summary: "JH: unread count",
        dialect: Dialect::JhGet,
        auth: false,
        params: &[
            ("appid", "string", true),
            ("from", "string", true),
            ("fromrole", "string", true),
            ("to", "string", true),
        ],
    },
];

fn schema(t: &str) -> Value {
    json!({"type": t})
}

/// The schema of one parameter: its type; for a required string, not blank
/// (handlers trim, and a blank value counts as missing); for the JH dialect the
/// closed sets of values its handlers accept (anything else is a 400).
fn param_schema(e: &Endpoint, name: &str, t: &str, required: bool) -> Value {
    let mut s = schema(t);
    if required && t == "string" {
        s["minLength"] = json!(1);
        s["pattern"] = json!("\\S");
    }
    if matches!(e.dialect, Dialect::JhGet | Dialect::JhPost) {
        let values: &[&str] = match name {
            "fromrole" | "userrole" => &["MEMBER", "SALER"],
            "type" => &["TEXT", "IMAGE", "VOICE"],
            "channel" => &["PC", "WX"],
            "bustype" => &["CHAT", "GOOD_CHAT", "ORDER_CHAT"],
            _ => &[],
        };
        if !values.is_empty() {
            s["enum"] = json!(values);
        }
    }
    s
}

fn openim_envelope() -> Value {
    json!({"description": "OpenIM envelope {errCode, errMsg, errDlt, data}; errCode 0 on success",
           "content": {"application/json": {"schema": {"type": "object", "required": ["errCode"],
               "properties": {"errCode": {"type": "integer"}, "errMsg": {"type": "string"}, "errDlt": {"type": "string"}, "data": {}}}}}})
}

fn shiku_unavailable() -> Value {
    json!({"description": "database unavailable (Shiku error envelope, resultCode 1020101)",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}})
}

fn shiku_envelope() -> Value {
    json!({"description": "Shiku envelope: resultCode 1 on success, the original's codes otherwise (HTTP 200)",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}})
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let mut params: Vec<Value> = e
            .params
            .iter()
            .map(|(n, t, req)| json!({"name": n, "in": "query", "required": req, "schema": param_schema(e, n, t, *req)}))
            .collect();
        let mut item = Map::new();
        match e.dialect {
            Dialect::Shiku => {
                if e.auth {
                    params.push(json!({"name": "access_token", "in": "query", "required": true, "schema": schema("string")}));
                }
                let form_props: Map<String, Value> = e
                    .params
                    .iter()
                    .map(|(n, t, req)| (n.to_string(), param_schema(e, n, t, *req)))
                    .collect();
                let mut responses = json!({"200": shiku_envelope(), "503": shiku_unavailable()});
                if LOGIN_LIMITED.contains(&e.path) {
                    responses["429"] = json!({"description": "too many login attempts from this address (Shiku envelope, resultCode 0)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShikuEnvelope"}}}});
                }
                let get =
                    json!({"summary": e.summary, "parameters": params, "responses": responses});
                let mut post = get.clone();
                post["requestBody"] = json!({"required": false, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": form_props}}}});
                post["parameters"] = json!(params
                    .iter()
                    .filter(|p| p["name"] == "access_token")
                    .collect::<Vec<_>>());
                item.insert("get".into(), get);
                item.insert("post".into(), post);
            }
            Dialect::ShikuUpload => {
                item.insert(
                    "post".into(),
                    json!({"summary": e.summary, "parameters": params,
                        "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object",
                            "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}, "validTime": schema("integer")}}}}},
                        "responses": {"200": {"description": "upload result"}}}),
                );
            }
            Dialect::OpenIm => {
                let mut headers = vec![
                    json!({"name": "operationID", "in": "header", "required": true, "schema": schema("string")}),
                ];
                if e.auth {
                    headers.push(json!({"name": "token", "in": "header", "required": true, "schema": schema("string")}));
                }
                let props: Map<String, Value> = e
                    .params
                    .iter()
                    .map(|(n, t, req)| (n.to_string(), param_schema(e, n, t, *req)))
                    .collect();
                let required: Vec<&str> = e.params.iter().filter(|p| p.2).map(|p| p.0).collect();
                let mut body = json!({"type": "object", "properties": props});
                if !required.is_empty() {
                    body["required"] = json!(required);
                }
                item.insert(
                    "post".into(),
                    json!({"summary": e.summary, "parameters": headers,
                        "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
                        "responses": {"200": openim_envelope(),
                                      "400": openim_envelope(),
                                      "503": {"description": "database unavailable"}}}),
                );
            }
            Dialect::JhGet | Dialect::JhPost | Dialect::Plain => {
                let op = json!({"summary": e.summary, "parameters": params,
                    "responses": {"200": {"description": "success"}, "400": {"description": "{\"success\": false, \"msg\": ...}"}, "503": {"description": "database unavailable"}}});
                item.insert(
                    (if e.dialect == Dialect::JhPost {
                        "post"
                    } else {
                        "get"
                    })
                    .into(),
                    op,
                );
            }
        }
        paths.insert(e.path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "shiku-api", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Shiku IM HTTP API (drop-in for the Java imapi), OpenIM admin send, JH customer-service IM"},
        "paths": paths,
        "components": {"schemas": {"ShikuEnvelope": {"type": "object", "required": ["resultCode"], "properties": {
            "currentTime": {"type": "integer"}, "resultCode": {"type": "integer"}, "resultMsg": {"type": "string"},
            "detailMsg": {"type": "string"}, "data": {}}}}},
    })
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
