//! `/user/register`, `/user/logout`: sessions compatible with the original's
//! (same Redis keys when `REDIS_URL` is set, same password hashes).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::sessions::Kind;
use crate::store::users::new_user_doc;
use crate::util::{ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_REGISTER, register).add(&USER_LOGOUT, logout);
}

pub const USER_REGISTER: Endpoint = Endpoint {
    path: "/user/register",
    summary: "register a user",
    auth: false,
    params: &[
        string("telephone").required(),
        string("areaCode"),
        string("password").required(),
        string("nickname"),
        int("sex"),
        int("userType"),
        string("deviceId"),
        string("language"),
    ],
    ..Endpoint::shiku("", "")
};

async fn register(state: web::Data<AppState>, p: Params) -> ShikuResult<HttpResponse> {
    let phone = p.required("telephone")?;
    let area = p.str("areaCode").unwrap_or("86");
    let password = p.required("password")?;
    let nickname = p.str("nickname").unwrap_or(phone);
    let sex = p.i32_or("sex", 0)?;
    let sent_type = p.i32_or("userType", 0)?;
    let user_type = state.cfg.new_user_type.unwrap_or(sent_type);
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
        return Err(codes::PHONE_TAKEN.into());
    }
    // Stored as the newer server stores it; clients send md5(password).
    let stored = crate::secure::login_password_from_md5(&password.to_ascii_lowercase())
        .unwrap_or_else(|| password.to_string());
    let user_id = state.store.next_user_id().await?;
    let now = crate::util::now_s();
    state
        .store
        .insert_user(new_user_doc(
            user_id, area, phone, &stored, nickname, sex, user_type, now,
        ))
        .await?;
    if user_type == 2 {
        state
            .store
            .add_official_role(user_id, &telephone, now)
            .await?;
    }
    let device = p.str("deviceId").unwrap_or("android");
    let language = p.str("language").unwrap_or("zh");
    let token = state
        .sessions
        .open_session(user_id as i64, device, language, None)
        .await?
        .access_token;
    Ok(ok_data(json!({
        "access_token": token,
        "createTime": now,
        "expires_in": crate::store::sessions::SESSION_TTL.as_secs(),
        "name": "",
        "nickname": nickname,
        "userId": user_id,
    })))
}

pub const USER_LOGOUT: Endpoint = Endpoint {
    path: "/user/logout",
    summary: "end the session",
    ..Endpoint::shiku("", "")
};

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let token = crate::shiku::auth::token(&req, &p).unwrap_or_default();
    state.sessions.close(Kind::Login, uid, token).await?;
    Ok(ok())
}
