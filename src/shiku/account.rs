//! `/user/register`, `/user/logout`: sessions compatible with the original's
//! (same Redis keys when `REDIS_URL` is set, same password hashes).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::User;
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
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    super::login::count_login_attempt(&state, &req).await?;
    let phone = p.required("telephone")?;
    let area = p.str("areaCode").unwrap_or("86");
    let password = p.required("password")?;
    let nickname = p.str("nickname").unwrap_or(phone);
    let sex = p.i32_or("sex", 0)?;
    let sent_type = p.i32_or("userType", 0)?;
    let user_type = state.cfg.new_user_type.unwrap_or(sent_type);
    telephone_of(area, phone)?;
    if nickname.chars().count() > 64 {
        return Err(ShikuError::invalid("nickname"));
    }
    // Clients send md5(password); it is stored as the newer server stores
    // it, never as sent (a password in clear would be kept in clear).
    let stored = crate::secure::login_password_from_md5(&password.to_ascii_lowercase())
        .ok_or_else(|| ShikuError::invalid("password"))?;
    let (user_id, now) = create_account(
        &state,
        &NewAccount {
            area,
            phone,
            password: &stored,
            nickname,
            sex,
            user_type,
        },
    )
    .await?;
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

/// `areaCode` + `telephone` as the users' `telephone` holds it: digits only
/// (a number of at most 20, an area code of at most 6), else 1010101.
pub(super) fn telephone_of(area: &str, phone: &str) -> ShikuResult<String> {
    let digits = |s: &str, max: usize| s.len() <= max && s.chars().all(|c| c.is_ascii_digit());
    if !digits(phone, 20) || !digits(area, 6) {
        return Err(ShikuError::invalid("telephone"));
    }
    Ok(format!("{area}{phone}"))
}

/// What a registration stores.
pub(super) struct NewAccount<'a> {
    pub area: &'a str,
    pub phone: &'a str,
    /// The login password in its stored (newer) form.
    pub password: &'a str,
    pub nickname: &'a str,
    pub sex: i32,
    pub user_type: i32,
}

/// Labels every new user starts with (the original's `autoCreateGroup`).
const DEFAULT_LABELS: [&str; 2] = ["家人", "同事"];

/// Makes an account as the original's `registerIMUser` does: 1040107 when
/// the telephone is taken (checked against the stored users, then claimed,
/// so that of concurrent registrations one wins); the user document, the
/// official-account role for `userType` 2, the two default labels, and the
/// friendship with the system account 10000 (客服公众号) when it exists.
/// Answers the new userId and the time (s).
pub(super) async fn create_account(
    state: &AppState,
    a: &NewAccount<'_>,
) -> ShikuResult<(i32, i64)> {
    use crate::store::claims::Claim;
    let telephone = format!("{}{}", a.area, a.phone);
    if state.store.user_by_telephone(&telephone).await?.is_some()
        || !state.store.claim(Claim::Telephone, &telephone).await?
    {
        return Err(codes::PHONE_TAKEN.into());
    }
    let now = crate::util::now_s();
    let made = async {
        let user_id = state.store.next_user_id().await?;
        let user = new_user_doc(
            user_id,
            a.area,
            a.phone,
            a.password,
            a.nickname,
            a.sex,
            a.user_type,
            now,
        );
        state.store.insert_user(user.clone()).await?;
        Ok::<_, ShikuError>((user_id, user))
    }
    .await;
    let (user_id, user) = match made {
        Ok(made) => made,
        Err(e) => {
            let _ = state.store.release(Claim::Telephone, &telephone).await;
            return Err(e);
        }
    };
    account_extras(state, a, &telephone, (user_id, User::new(user)), now).await?;
    Ok((user_id, now))
}

/// What a new account gets besides its user document: the login password
/// where the login reads it, the official-account role, the default labels
/// and the system account as a friend.
async fn account_extras(
    state: &AppState,
    a: &NewAccount<'_>,
    telephone: &str,
    (user_id, user): (i32, User),
    now: i64,
) -> ShikuResult<()> {
    state
        .store
        .set_login_password(i64::from(user_id), a.password)
        .await?;
    if a.user_type == 2 {
        state
            .store
            .add_official_role(user_id, telephone, now)
            .await?;
    }
    for label in DEFAULT_LABELS {
        state.store.add_label(i64::from(user_id), label).await?;
    }
    let system = crate::store::friends::SYSTEM_USER_ID;
    if let Some(sys) = state.store.user_by_id(system).await? {
        state.store.befriend(&user, &sys, now).await?;
    }
    Ok(())
}

pub const USER_LOGOUT: Endpoint = Endpoint {
    path: "/user/logout",
    summary: "end the session (`deviceKey` android/ios: that phone's push registration goes too)",
    params: &[string("deviceKey")],
    ..Endpoint::shiku("", "")
};

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let token = crate::shiku::auth::token(&req, &p).unwrap_or_default();
    crate::shiku::push_tokens::forget_device(&state, uid, p.str("deviceKey")).await?;
    state.sessions.close(Kind::Login, uid, token).await?;
    Ok(ok())
}
