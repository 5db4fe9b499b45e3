//! The account checks around registration and passwords that the clients
//! call besides the login: whether a telephone is taken, whether a user
//! chats securely, the signed password change of the secure clients, and
//! the SMS and picture codes this service does not send (a clear refusal,
//! so that a client shows why).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::http::endpoint::{string, Endpoint, Routes};
use crate::http::params::Params;
use crate::secure;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&VERIFY_TELEPHONE, verify_telephone)
        .add(&SEND_SMS, send_sms)
        .add(&GET_IMG_CODE, img_code)
        .add(&IS_SUPPORT_SECURE_CHAT, is_support_secure_chat)
        .add(&GET_RANDOM_STR, get_random_str)
        .add(&PASSWORD_UPDATE_V1, password_update_v1)
        .add(&PASSWORD_RESET_V1, password_reset_v1)
        .add(&VERIFY_PASSWORD, verify_password);
}

/// `areaCode` (default 86) + `telephone`, digits only.
fn telephone(p: &Params) -> ShikuResult<String> {
    let phone = p.required("telephone")?;
    super::account::telephone_of(p.str("areaCode").unwrap_or("86"), phone)
}

pub const VERIFY_TELEPHONE: Endpoint = Endpoint {
    path: "/verify/telephone",
    summary: "whether a telephone is free to register (1040107 when taken)",
    auth: false,
    params: &[
        string("telephone").required(),
        string("areaCode"),
        string("verifyType"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/verify/telephone` (Android's registration, before the SMS step).
async fn verify_telephone(state: web::Data<AppState>, p: Params) -> ShikuResult<HttpResponse> {
    let telephone = telephone(&p)?;
    p.str("verifyType");
    if state.store.user_by_telephone(&telephone).await?.is_some() {
        return Err(codes::PHONE_TAKEN.into());
    }
    Ok(ok())
}

pub const SEND_SMS: Endpoint = Endpoint {
    path: "/basic/randcode/sendSms",
    summary: "an SMS code (this service sends none: a refusal saying so)",
    auth: false,
    params: &[
        string("telephone"),
        string("areaCode"),
        string("imgCode"),
        string("language"),
        string("isRegister"),
        string("version"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/basic/randcode/sendSms`: the deployment runs without SMS (`/config`
/// announces `isOpenSMSCode` 0, so the clients skip it); asked anyway, the
/// answer says that no code is sent.
async fn send_sms(p: Params) -> ShikuResult<HttpResponse> {
    for k in [
        "telephone",
        "areaCode",
        "imgCode",
        "language",
        "isRegister",
        "version",
    ] {
        p.str(k);
    }
    Err(codes::NO_SMS.into())
}

pub const GET_IMG_CODE: Endpoint = Endpoint {
    path: "/getImgCode",
    summary: "the picture code before an SMS (none without SMS: a refusal saying so)",
    auth: false,
    params: &[string("telephone"), string("areaCode")],
    ..Endpoint::shiku("", "")
};

async fn img_code(p: Params) -> ShikuResult<HttpResponse> {
    p.str("telephone");
    p.str("areaCode");
    Err(codes::NO_SMS.into())
}

pub const IS_SUPPORT_SECURE_CHAT: Endpoint = Endpoint {
    path: "/authkeys/isSupportSecureChat",
    summary: "whether a user has message key pairs (end-to-end chat)",
    auth: false,
    params: &[string("telephone").required(), string("areaCode")],
    ..Endpoint::shiku("", "")
};

/// `/authkeys/isSupportSecureChat` (Android's password recovery, to know
/// whether the reset must carry new message keys): `isSupportSecureChat` 1
/// when the user's `auth_keys` hold a message key pair; 100211 for nobody.
async fn is_support_secure_chat(
    state: web::Data<AppState>,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let telephone = telephone(&p)?;
    let user = state
        .store
        .user_by_telephone(&telephone)
        .await?
        .ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    let uid = user.id()?.0;
    let keys = state.store.auth_keys_of(uid).await?;
    let secure = keys.is_some_and(|k| {
        ["msgRsaKeyPair", "msgDHKeyPair"].iter().any(|f| {
            k.get_document(f)
                .is_ok_and(|d| d.get_str("publicKey").is_ok_and(|s| !s.is_empty()))
        })
    });
    Ok(ok_data(json!({"isSupportSecureChat": i32::from(secure)})))
}

pub const GET_RANDOM_STR: Endpoint = Endpoint {
    path: "/user/getRandomStr",
    summary: "a one-hour random string, RSA-sealed with the caller's message key, for the signed password change",
    ..Endpoint::shiku("", "")
};

/// `/user/getRandomStr`: 100220 without an RSA message key pair.
async fn get_random_str(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let public = state
        .store
        .auth_keys_of(me)
        .await?
        .and_then(|k| {
            k.get_document("msgRsaKeyPair")
                .ok()
                .and_then(|d| d.get_str("publicKey").ok().map(str::to_string))
        })
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ShikuError::from(codes::NO_KEY_PAIR))?;
    let random = uuid::Uuid::new_v4().simple().to_string();
    let sealed = secure::rsa_encrypt(&public, random.as_bytes())
        .ok_or_else(|| ShikuError::from(codes::NO_KEY_PAIR))?;
    state.sessions.save_random_str(me, &random).await?;
    Ok(ok_data(json!({"userRandomStr": secure::b64(&sealed)})))
}

pub const PASSWORD_UPDATE_V1: Endpoint = Endpoint {
    path: "/user/password/update/v1",
    summary: "the signed password change of the secure clients (mac over the random string)",
    params: &[
        string("oldPassword").required(),
        string("newPassword").required(),
        string("mac").required(),
        string("rsaPublicKey"),
        string("rsaPrivateKey"),
        string("dhPublicKey"),
        string("dhPrivateKey"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/password/update/v1`: `newPassword` is base64 of the new login
/// password's 16 bytes; `mac` = HmacMD5(AES(md5-bytes of the new password,
/// apiKey), the string of `/user/getRandomStr`), or 10110. Then as
/// `/user/password/update` (100209, 1040103; every session ends), and the
/// message keys sent are stored.
async fn password_update_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let api_key = state
        .cfg
        .api_key
        .clone()
        .ok_or_else(|| ShikuError::from(codes::AUTH_FAILED_MSG))?;
    let new_b64 = p.required("newPassword")?;
    let old_b64 = p.required("oldPassword")?;
    let mac = p.required("mac")?;
    let (Some(new), Some(old)) = (secure::unb64(new_b64), secure::unb64(old_b64)) else {
        return Err(ShikuError::invalid("newPassword"));
    };
    if new.len() != 16 || old.len() != 16 {
        return Err(ShikuError::invalid("newPassword"));
    }
    let random = state
        .sessions
        .random_str(me)
        .await?
        .ok_or_else(|| ShikuError::from(codes::AUTH_FAILED_MSG))?;
    let key = secure::aes_encrypt(&new, api_key.as_bytes())
        .ok_or_else(|| ShikuError::from(codes::AUTH_FAILED_MSG))?;
    if !secure::mac_matches(mac, &key, &random) {
        return Err(codes::AUTH_FAILED_MSG.into());
    }
    let (new_hex, old_hex) = (hex::encode(&new), hex::encode(&old));
    super::profile::change_password(&state, me, &old_hex, &new_hex).await?;
    let pairs = super::login::msg_key_pairs(|k| p.str(k).unwrap_or("").to_string());
    state.store.set_msg_keys(me, pairs).await?;
    Ok(ok())
}

pub const PASSWORD_RESET_V1: Endpoint = Endpoint {
    path: "/user/password/reset/v1",
    summary: "the secure clients' password reset with an SMS code (none sent here: 1040104)",
    auth: false,
    params: &[
        string("telephone"),
        string("randcode"),
        string("newPassword"),
        string("areaCode"),
        string("mac"),
        string("salt"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/password/reset/v1`: like `/user/password/reset`, only an SMS code
/// authorises it, and this service sends none.
async fn password_reset_v1(p: Params) -> ShikuResult<HttpResponse> {
    p.str("mac");
    p.str("salt");
    Err(super::profile::sms_reset_refused(&p))
}

pub const VERIFY_PASSWORD: Endpoint = Endpoint {
    path: "/user/verify/password",
    summary:
        "whether `password` (the login password's stored form) is the caller's: 100222 when not",
    params: &[string("password").required()],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// `/user/verify/password` (Android, after an SMS or third-party login of a
/// secure-chat user: the password unlocks the private key). Compared with
/// `auth_keys.password`, as the original; counted against the login limit.
async fn verify_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let sent = p.required("password")?;
    let keys = state.store.auth_keys_of(me).await?;
    let stored = keys
        .as_ref()
        .and_then(|k| k.get_str("password").ok())
        .unwrap_or("");
    if stored.is_empty() || !sent.eq_ignore_ascii_case(stored) {
        return Err(codes::PASSWORD_WRONG.into());
    }
    Ok(ok())
}
