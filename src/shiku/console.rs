//! `/console/*`: the console endpoints of this deployment.
//!
//! `/console/oneSendOne` (seed 3.2, "推送任务消息") lets the task-management
//! system push a chat message from one user to another, both given by phone.
//! Like every `/console` path of the original it goes through the filter's
//! admin check: `access_token` must be a console token (`/console/login`,
//! `adminToken:userId:<token>`, 30 minutes), not a user's login token.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::msgs::NewMessage;
use crate::store::sessions::Kind;
use crate::util::{num, ok};
use crate::AppState;
use serde_json::json;

pub fn routes(r: &mut Routes) {
    r.add(&CONSOLE_LOGIN, login)
        .add(&CONSOLE_ONE_SEND_ONE, one_send_one);
}

pub const CONSOLE_LOGIN: Endpoint = Endpoint {
    path: "/console/login",
    summary: "console login of a user with a console role; answers access_Token",
    auth: false,
    params: &[
        string("account").required(),
        string("password").required(),
        string("areaCode"),
    ],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// `AdminController.login`: console administrators are users with a console
/// role in `userRoles`; the password is what the user logs in with (the
/// stored form, or md5 of the password). Answers the console token the task
/// system passes to `/console/oneSendOne` as `access_token`.
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    super::login::count_login_attempt(&state, &req).await?;
    let account = p.required("account")?;
    let password = p.required("password")?;
    let area = p.str("areaCode").unwrap_or("86");
    let user = state
        .store
        .user_by_telephone(&format!("{area}{account}"))
        .await?
        .ok_or_else(|| ShikuError::Failure("账号不存在".into()))?;
    let uid = user.id()?.0;
    let role = state
        .store
        .console_role(uid)
        .await?
        .ok_or_else(|| ShikuError::from(codes::CONSOLE_NO_PERMISSION_MSG))?;
    if num(&role, "status") == Some(-1) {
        return Err(ShikuError::Failure("您的账号已被禁用".into()));
    }
    let keys = state.store.auth_keys_of(uid).await?;
    let stored = crate::store::Store::login_password_of(keys.as_ref(), &user);
    let legacy = crate::store::users::legacy_password(keys.as_ref());
    if !crate::store::users::password_matches(password, &stored, legacy) {
        return Err(ShikuError::Failure("帐号或密码错误！".into()));
    }
    let token = match state.sessions.token_of(Kind::Admin, uid).await? {
        Some(t) if state.sessions.user_of(Kind::Admin, &t).await? == Some(uid) => t,
        _ => uuid::Uuid::new_v4().simple().to_string(),
    };
    state.sessions.save(Kind::Admin, uid, &token).await?;
    state.store.console_logged_in(uid).await?;
    let mut data = json!({
        "access_Token": token,
        "account": uid.to_string(),
        "adminId": user.get_str("telephone").unwrap_or(""),
        "nickname": user.get_str("nickname").unwrap_or(""),
        "role": num(&role, "role").unwrap_or(0).to_string(),
    });
    if let Some(k) = &state.cfg.api_key {
        data["apiKey"] = json!(k);
    }
    Ok(crate::util::ok_data(data))
}

/// Message types a push may carry: 1 text, 2 image, 3 voice, 5 gif, 6 video,
/// 9 file (`content` is the text or the file URL).
const SENDABLE_TYPES: [i32; 6] = [1, 2, 3, 5, 6, 9];

pub const CONSOLE_ONE_SEND_ONE: Endpoint = Endpoint {
    path: "/console/oneSendOne",
    summary: "send a message between two users by phone",
    params: &[
        int("type").required(),
        string("content").required(),
        string("sendPhone").required(),
        string("toUserPhone").required(),
        string("messageId"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/console/oneSendOne`: one chat message from the user of `sendPhone` to
/// the user of `toUserPhone`.
async fn one_send_one(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    state.admin(&req, &p).await?;
    let msg_type = p.i32_required("type")?;
    if !SENDABLE_TYPES.contains(&msg_type) {
        return Err(ShikuError::invalid("type"));
    }
    let content = p.required("content")?.to_string();
    let send_phone = p.required("sendPhone")?;
    let to_phone = p.required("toUserPhone")?;
    let message_id = push_message_id(&p)?;
    let not_found = || ShikuError::from(codes::NO_USER);
    let from = state
        .store
        .user_by_phone(send_phone)
        .await?
        .ok_or_else(not_found)?;
    let to = state
        .store
        .user_by_phone(to_phone)
        .await?
        .ok_or_else(not_found)?;
    let (from_id, to_id) = (from.id()?.0, to.id()?.0);
    if from_id == to_id {
        return Err(ShikuError::from(codes::NOT_OPERATE_SELF));
    }
    let m = NewMessage {
        message_id,
        from_user_id: from_id,
        from_user_name: from.get_str("nickname").unwrap_or("").to_string(),
        from_jid: format!("{from_id}/Server"),
        to: to_id.to_string(),
        to_user_id: to_id.to_string(),
        to_user_name: to.get_str("nickname").unwrap_or("").to_string(),
        msg_type,
        content,
        time_send: crate::util::now_ms(),
        extra: Default::default(),
    };
    state.delivery.to_user(&state.store, &m, to_id).await?;
    Ok(ok())
}

/// The push's `messageId` (optional; makes a retried push idempotent): the
/// one sent (see [`crate::store::names::valid_key`]), or a new random one.
fn push_message_id(p: &Params) -> ShikuResult<String> {
    match p.str("messageId") {
        None => Ok(uuid::Uuid::new_v4().simple().to_string()),
        Some(id) if crate::store::names::valid_key(id) => Ok(id.to_string()),
        Some(_) => Err(ShikuError::invalid("messageId")),
    }
}
