//! `/user/login`, `/user/register`, `/user/logout`: sessions compatible with the
//! original's (same Redis keys when `REDIS_URL` is set, same password hashes).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::get_post;
use crate::error::{ShikuError, ShikuResult};
use crate::params::Params;
use crate::store::sessions::Kind;
use crate::store::users::{new_user_doc, password_matches};
use crate::util::{bson_to_json, num, ok, ok_data};
use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_post("/user/login", login))
        .service(get_post("/user/login/v1", login))
        .service(get_post("/user/register", register))
        .service(get_post("/user/logout", logout));
}

/// Reuses the user's live token (as `KSessionUtil` does) or mints a new one.
async fn issue_token(state: &AppState, user_id: i64) -> ShikuResult<String> {
    let token = match state.sessions.token_of(Kind::Login, user_id).await? {
        Some(t) => t,
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    state.sessions.save(Kind::Login, user_id, &token).await?;
    Ok(token)
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    if let Some(addr) = req.peer_addr() {
        if !state.login_limiter.allow(addr.ip()) {
            return Err(ShikuError::RateLimited);
        }
    }
    let user_id = p.i64_or("userId", 0)?;
    let user = if user_id != 0 {
        state.store.user_by_id(user_id).await?
    } else {
        let phone = p.required("telephone")?;
        let area = p.str("areaCode").unwrap_or("86");
        let telephone = if phone.starts_with(area) && phone.len() > 11 {
            phone.to_string()
        } else {
            format!("{area}{phone}")
        };
        state.store.user_by_telephone(&telephone).await?
    };
    let Some(user) = user else {
        return Err(ShikuError::Failure("帐号不存在, 请注册!".into()));
    };
    let sent = p.required("password")?;
    if !password_matches(sent, user.get_str("password").unwrap_or("")) {
        return Err(ShikuError::Failure("帐号或密码错误".into()));
    }
    if num(&user, "status") == Some(-1) {
        return Err(ShikuError::Failure("您的账号已被锁定".into()));
    }
    let uid = num(&user, "_id").ok_or_else(|| ShikuError::Internal("user without _id".into()))?;
    let token = issue_token(&state, uid).await?;
    let friend_count = state.store.count_friends(uid).await?;
    let settings = user.get("settings").map(bson_to_json).unwrap_or(json!({}));
    let multiple = settings.get("multipleDevices").cloned().unwrap_or(json!(1));
    let pay_password =
        matches!(user.get_str("payPassword"), Ok(p) if !p.is_empty() && p != "0") as i32;
    let mut data = json!({
        "access_token": token,
        "birthday": user.get("birthday").map(bson_to_json).unwrap_or(json!(0)),
        "expires_in": Kind::Login.ttl().as_secs(),
        "friendCount": friend_count,
        "isupdate": 0,
        "multipleDevices": multiple,
        "myInviteCode": user.get_str("myInviteCode").unwrap_or(""),
        "nickname": user.get_str("nickname").unwrap_or(""),
        "offlineNoPushMsg": num(&user, "offlineNoPushMsg").unwrap_or(0),
        "payPassword": pay_password,
        "settings": settings,
        "sex": num(&user, "sex").unwrap_or(0),
        "userId": uid,
    });
    if let Some(role) = user.get("role") {
        data["role"] = bson_to_json(role);
    }
    Ok(ok_data(data))
}

async fn register(state: web::Data<AppState>, p: Params) -> ShikuResult<HttpResponse> {
    let phone = p.required("telephone")?;
    let area = p.str("areaCode").unwrap_or("86");
    let password = p.required("password")?;
    let nickname = p.str("nickname").unwrap_or(phone);
    let sex = p.i32_or("sex", 0)?;
    if !phone.chars().all(|c| c.is_ascii_digit())
        || phone.len() > 20
        || !area.chars().all(|c| c.is_ascii_digit())
    {
        return Err(ShikuError::invalid("telephone"));
    }
    if nickname.chars().count() > 64 {
        return Err(ShikuError::invalid("nickname"));
    }
    let telephone = format!("{area}{phone}");
    if state.store.user_by_telephone(&telephone).await?.is_some() {
        return Err(ShikuError::coded(
            crate::error::shiku::code::PHONE_REGISTERED,
            "手机号码已注册!",
        ));
    }
    // Stored as the newer server stores it; clients send md5(password).
    let stored = crate::secure::login_password_from_md5(&password.to_ascii_lowercase())
        .unwrap_or_else(|| password.to_string());
    let user_id = state.store.next_user_id().await?;
    let now = crate::util::now_s();
    state
        .store
        .insert_user(new_user_doc(
            user_id, area, phone, &stored, nickname, sex, now,
        ))
        .await?;
    let token = issue_token(&state, user_id as i64).await?;
    Ok(ok_data(json!({
        "access_token": token,
        "createTime": now,
        "expires_in": Kind::Login.ttl().as_secs(),
        "name": "",
        "nickname": nickname,
        "userId": user_id,
    })))
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    state.sessions.remove(Kind::Login, uid).await?;
    Ok(ok())
}
