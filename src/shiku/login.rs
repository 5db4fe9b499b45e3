//! Logging in, as the original's `AuthKeysController` and `AccountController`:
//! the login hardening every current client uses, and the plain `/user/login`
//! of older clients. The crypto is in [`crate::secure`]; sessions, login codes
//! and auto-login keys in [`crate::store::sessions`]; key pairs, the login
//! password and the login log in [`crate::store::authkeys`].
//!
//! The secure login, step by step (MACs are base64 HmacMD5):
//! 1. `/auth/getLoginCode` `areaCode, account, salt, deviceId, mac`: mac over
//!    `apiKey + areaCode + account + salt`, keyed with the stored login password
//!    (a stored older `md5(p)` is converted on the fly). Answers `userId` (a
//!    string) and, once the user has a key pair, `code` = RSA(16 random bytes).
//! 2. `/authkeys/uploadLoginKey` (first secure login): the client's RSA key pair.
//! 3. `/authkeys/getLoginPrivateKey`: the uploaded (password-encrypted) private key.
//! 4. `/user/login/v1` `userId, salt, deviceId, data`: `data` is AES(code) of a
//!    JSON object whose `mac` covers `apiKey + userId + its other values + salt +
//!    password`, keyed with the code; the answer's `data.data` is AES(code) of
//!    the login result. The code serves one attempt.
//! 5. `/user/login/auto/v1` `loginToken, salt, data`: the same with the
//!    `loginKey` of an earlier login; 1030112 when the token is unknown.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::Document;
use serde_json::{json, Map, Value};

use crate::http::endpoint::{int, string, Endpoint, Param, Routes};
use crate::http::params::Params;
use crate::secure;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::User;
use crate::store::sessions::{KSession, SESSION_TTL};
use crate::store::users::password_matches;
use crate::store::Store;
use crate::util::{bson_to_json, num, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_LOGIN, login)
        .add(&AUTH_GET_LOGIN_CODE, get_login_code)
        .add(&AUTHKEYS_UPLOAD_LOGIN_KEY, upload_login_key)
        .add(&AUTHKEYS_GET_LOGIN_PRIVATE_KEY, get_login_private_key)
        .add(&USER_LOGIN_V1, login_v1)
        .add(&USER_LOGIN_AUTO_V1, login_auto_v1)
        .add(&USER_LOGIN_AUTO, login_auto)
        .add(&USER_REGISTER_V1, register_v1);
}

/// `KConstants.DeviceKey.RESOURCES`.
const DEVICES: [&str; 6] = ["android", "ios", "pc", "mac", "web", "chat"];

fn wrong_password() -> ShikuError {
    codes::WRONG_PASSWORD.into()
}
fn auth_failed() -> ShikuError {
    codes::AUTH_FAILED_MSG.into()
}
fn no_account() -> ShikuError {
    codes::NO_ACCOUNT.into()
}

/// The user `uid` and their `authKeys` record, read together; no account
/// without the user.
async fn account(state: &AppState, uid: i64) -> ShikuResult<(User, Option<Document>)> {
    let (user, keys) =
        futures::try_join!(state.store.user_by_id(uid), state.store.auth_keys_of(uid))?;
    Ok((user.ok_or_else(no_account)?, keys))
}

/// One login attempt against the per-client login limit (HTTP 429 beyond).
pub async fn count_login_attempt(state: &AppState, req: &HttpRequest) -> ShikuResult<()> {
    if state.allow_attempt(req).await {
        Ok(())
    } else {
        Err(ShikuError::RateLimited)
    }
}

/// Every login step counts against the per-client login limit, and is
/// signed like any open endpoint.
async fn admit(state: &AppState, req: &HttpRequest, p: &Params) -> ShikuResult<()> {
    count_login_attempt(state, req).await?;
    state.check_open_signature(p)
}

fn api_key(state: &AppState) -> ShikuResult<&str> {
    state.cfg.api_key.as_deref().ok_or_else(|| {
        tracing::warn!("secure login refused: API_KEY is not set");
        auth_failed()
    })
}

fn device(p: &Params) -> ShikuResult<&str> {
    let d = p.required("deviceId")?;
    if DEVICES.contains(&d) {
        Ok(d)
    } else {
        Err(ShikuError::invalid("deviceId"))
    }
}

fn user_id_of(user: &User) -> ShikuResult<i64> {
    Ok(user.id()?.0)
}

/// `authLogingetCode`: whether `mac` is keyed with the user's login password;
/// a stored older form that matches once converted is stored converted, in
/// both places the original keeps it.
async fn password_mac_matches(
    store: &Store,
    user_id: i64,
    stored: &str,
    mac: &str,
    message: &str,
) -> ShikuResult<bool> {
    if stored.is_empty() {
        return Ok(false);
    }
    if secure::mac_matches(mac, stored.as_bytes(), message) {
        return Ok(true);
    }
    match secure::login_password_from_md5(stored) {
        Some(new) if secure::mac_matches(mac, new.as_bytes(), message) => {
            store.set_login_password(user_id, &new).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn login_key_pair<'a>(keys: Option<&'a Document>, field: &str) -> Option<&'a str> {
    keys?
        .get_document("loginKeyPair")
        .ok()?
        .get_str(field)
        .ok()
        .filter(|s| !s.is_empty())
}

pub const AUTH_GET_LOGIN_CODE: Endpoint = Endpoint {
    path: "/auth/getLoginCode",
    summary: "secure login step 1: the one-time code, RSA-sealed with the user's login key",
    auth: false,
    params: &[
        string("areaCode"),
        string("account").required(),
        string("deviceId").required(),
        string("mac").required(),
        string("salt"),
    ],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn get_login_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let device = device(&p)?;
    let area = p.str("areaCode").unwrap_or("86");
    let account = p.required("account")?;
    let mac = p.required("mac")?;
    let salt = p.str("salt").unwrap_or("");
    let api_key = api_key(&state)?;
    let user = match state
        .store
        .user_by_telephone(&format!("{area}{account}"))
        .await?
    {
        Some(u) => u,
        None => state
            .store
            .user_by_account(account)
            .await?
            .ok_or_else(|| ShikuError::from(codes::NO_USER))?,
    };
    let uid = user_id_of(&user)?;
    let keys = state.store.auth_keys_of(uid).await?;
    let stored = Store::login_password_of(keys.as_ref(), &user);
    let message = format!("{api_key}{area}{account}{salt}");
    if !password_mac_matches(&state.store, uid, &stored, mac, &message).await? {
        return Err(wrong_password());
    }
    let mut data = json!({"userId": uid.to_string()});
    // Without a key pair the answer has no `code` at all: the client uploads one.
    if let Some(public) = login_key_pair(keys.as_ref(), "publicKey") {
        let code = secure::random_key();
        match secure::rsa_encrypt(public, &code) {
            Some(sealed) => {
                state.sessions.save_login_code(uid, device, &code).await?;
                data["code"] = json!(secure::b64(&sealed));
            }
            None => {
                tracing::warn!("login public key of {uid} does not parse; asking for a new one")
            }
        }
    }
    Ok(ok_data(data))
}

pub const AUTHKEYS_UPLOAD_LOGIN_KEY: Endpoint = Endpoint {
    path: "/authkeys/uploadLoginKey",
    summary: "secure login: upload the user's RSA login key pair (first secure login)",
    auth: false,
    params: &[
        int("userId").required(),
        string("publicKey").required(),
        string("privateKey").required(),
        string("mac").required(),
        string("salt"),
    ],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn upload_login_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let uid = i64::from(p.i32_required("userId")?);
    let public = p.required("publicKey")?;
    let private = p.required("privateKey")?;
    let mac = p.required("mac")?;
    let salt = p.str("salt").unwrap_or("");
    let api_key = api_key(&state)?;
    if !secure::is_rsa_public_key(public) || secure::unb64(private).is_none() {
        return Err(ShikuError::invalid("publicKey"));
    }
    let (user, keys) = account(&state, uid).await?;
    let stored = Store::login_password_of(keys.as_ref(), &user);
    let message = format!("{api_key}{uid}{private}{public}{salt}");
    if stored.is_empty() || !secure::mac_matches(mac, stored.as_bytes(), &message) {
        return Err(auth_failed());
    }
    state.store.upload_login_key(uid, public, private).await?;
    Ok(ok())
}

pub const AUTHKEYS_GET_LOGIN_PRIVATE_KEY: Endpoint = Endpoint {
    path: "/authkeys/getLoginPrivateKey",
    summary: "secure login: the uploaded (password-encrypted) private key",
    auth: false,
    params: &[int("userId"), string("mac").required(), string("salt")],
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn get_login_private_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let uid = p.i64_or("userId", 0)?;
    let mac = p.required("mac")?;
    let salt = p.str("salt").unwrap_or("");
    let api_key = api_key(&state)?;
    let (user, keys) = account(&state, uid).await?;
    let Some(private) = login_key_pair(keys.as_ref(), "privateKey") else {
        return Ok(ok());
    };
    let stored = Store::login_password_of(keys.as_ref(), &user);
    let message = format!("{api_key}{uid}{salt}");
    if !password_mac_matches(&state.store, uid, &stored, mac, &message).await? {
        return Err(wrong_password());
    }
    Ok(ok_data(json!({"privateKey": private})))
}

/// Decrypts a client's `data` (AES with `key`) and checks its `mac` over
/// `prefix + the other values sorted by name + suffix`. `None` when any of it fails.
fn open_sealed(key: &[u8], data: &str, prefix: &str, suffix: &str) -> Option<Map<String, Value>> {
    let plain = secure::aes_decrypt(key, &secure::unb64(data)?)?;
    let Value::Object(obj) = serde_json::from_slice(&plain).ok()? else {
        return None;
    };
    let mac = obj.get("mac")?.as_str()?;
    let message = format!("{prefix}{}{suffix}", secure::joined_json_values(&obj));
    secure::mac_matches(mac, key, &message).then_some(obj)
}

fn sealed_answer(key: &[u8], result: &Map<String, Value>) -> HttpResponse {
    let text = serde_json::to_vec(result).expect("JSON serializes");
    let sealed = secure::aes_encrypt(key, &text).expect("16-byte key");
    ok_data(json!({"data": secure::b64(&sealed)}))
}

pub const USER_LOGIN_V1: Endpoint = Endpoint {
    path: "/user/login/v1",
    summary:
        "secure login: data = AES(code, {..., mac}); answers data.data = AES(code, login result)",
    auth: false,
    params: &[
        int("userId").required(),
        string("deviceId").required(),
        string("data").required(),
        string("salt"),
    ],
    shared: &DEVICE,
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn login_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let uid = i64::from(p.i32_required("userId")?);
    let data = p.required("data")?;
    let device = device(&p)?;
    let salt = p.str("salt").unwrap_or("");
    let api_key = api_key(&state)?;
    let (user, keys) = account(&state, uid).await?;
    let code = state
        .sessions
        .take_login_code(uid, device)
        .await?
        .ok_or_else(auth_failed)?;
    let stored = Store::login_password_of(keys.as_ref(), &user);
    let inner = open_sealed(
        &code,
        data,
        &format!("{api_key}{uid}"),
        &format!("{salt}{stored}"),
    )
    .ok_or_else(auth_failed)?;
    let login = Login::new(&req, &p, device, &inner);
    let result = login_success(&state, &user, keys.as_ref(), &login).await?;
    Ok(sealed_answer(&code, &result))
}

pub const USER_REGISTER_V1: Endpoint = Endpoint {
    path: "/user/register/v1",
    summary: "secure registration: data = AES(md5(apiKey), {telephone, password, nickname, ..., mac}); answers data.data = AES(md5(apiKey), login result)",
    auth: false,
    params: &[
        string("data").required(),
        string("salt").required(),
        string("deviceId"),
    ],
    shared: &DEVICE,
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// `/user/register/v1` (QZ's registration form; the original's
/// `AccountController.registerV1`): `data` is AES(md5(apiKey)) of the form
/// as JSON with its `mac` over `apiKey + the other values sorted by name +
/// salt`, keyed with md5(apiKey); `password` is the login password in its
/// newer form. 10110 when it does not open, 100109 while `clientConfig`
/// closes registration, 100107 without a telephone, 1040108 without a
/// nickname, 1040107 when the telephone is taken. The message key pairs sent
/// (`rsa/dhPublicKey`, `rsa/dhPrivateKey`) are stored in `auth_keys`; the
/// answer is the secure login's result, sealed with md5(apiKey). SMS codes
/// are not checked (the service sends none).
async fn register_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let api_key = api_key(&state)?;
    let key = secure::md5(api_key.as_bytes());
    let salt = p.required("salt")?;
    let inner = open_sealed(&key, p.required("data")?, api_key, salt).ok_or_else(auth_failed)?;
    let [_, client_config, _] = state.store.client_config().await?;
    if num(&client_config, "isOpenRegister") == Some(0) {
        return Err(codes::REGISTRATION_CLOSED.into());
    }
    let form = RegisterForm::read(&inner)?;
    // Every parameter is checked before the account is written.
    let device = match p.str("deviceId") {
        Some(_) => device(&p)?,
        None => "web",
    };
    let (uid, _) = super::account::create_account(
        &state,
        &super::account::NewAccount {
            area: &form.area,
            phone: &form.phone,
            password: &form.password.to_ascii_lowercase(),
            nickname: &form.nickname,
            sex: form.sex,
            user_type: state.cfg.new_user_type.unwrap_or(form.user_type),
        },
    )
    .await?;
    let uid = i64::from(uid);
    state.store.set_msg_keys(uid, sent_msg_keys(&inner)).await?;
    let (user, keys) = account(&state, uid).await?;
    let login = Login::new(&req, &p, device, &inner);
    let result = login_success(&state, &user, keys.as_ref(), &login).await?;
    Ok(sealed_answer(&key, &result))
}

/// A value of the opened registration form as text (trimmed; `""` when
/// absent or neither a string nor a number).
fn form_text(inner: &Map<String, Value>, k: &str) -> String {
    match inner.get(k) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The registration form of `/user/register/v1`, checked.
struct RegisterForm {
    area: String,
    phone: String,
    password: String,
    nickname: String,
    sex: i32,
    /// The `userType` sent (the deployment's `NEW_USER_TYPE` wins).
    user_type: i32,
}

impl RegisterForm {
    /// Reads and checks the form, in the original's order: telephone,
    /// nickname, the number's shape, the nickname's length, the password.
    fn read(inner: &Map<String, Value>) -> ShikuResult<Self> {
        let text = |k: &str| form_text(inner, k);
        let (phone, area, password, nickname) = (
            text("telephone"),
            text("areaCode"),
            text("password"),
            text("nickname"),
        );
        let area = if area.is_empty() {
            "86".to_string()
        } else {
            area
        };
        if phone.is_empty() {
            return Err(codes::FILL_IN_TELEPHONE.into());
        }
        if nickname.is_empty() {
            return Err(codes::FILL_IN_NICKNAME.into());
        }
        super::account::telephone_of(&area, &phone)?;
        if nickname.chars().count() > 64 {
            return Err(codes::NICKNAME_WRONGFUL.into());
        }
        if password.len() != 32 || !password.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ShikuError::invalid("password"));
        }
        Ok(RegisterForm {
            sex: text("sex").parse().unwrap_or(0),
            user_type: text("userType").parse().unwrap_or(0),
            area,
            phone,
            password,
            nickname,
        })
    }
}

/// The message key pairs sent with a registration (those with a public key),
/// as `set_msg_keys` takes them.
fn sent_msg_keys(inner: &Map<String, Value>) -> Vec<(&'static str, String, String)> {
    msg_key_pairs(|k| form_text(inner, k))
}

/// The message key pairs a request carries (`rsaPublicKey`/`rsaPrivateKey`,
/// `dhPublicKey`/`dhPrivateKey`; a pair without its public key is not sent),
/// as `(stored pair, public, private)`; `text` reads one sent value.
pub(super) fn msg_key_pairs(text: impl Fn(&str) -> String) -> Vec<(&'static str, String, String)> {
    [
        ("msgRsaKeyPair", "rsaPublicKey", "rsaPrivateKey"),
        ("msgDHKeyPair", "dhPublicKey", "dhPrivateKey"),
    ]
    .iter()
    .filter_map(|(pair, public, private)| {
        let (public, private) = (text(public), text(private));
        (!public.is_empty()).then(|| (*pair, public, private))
    })
    .collect()
}

pub const USER_LOGIN_AUTO_V1: Endpoint = Endpoint {
    path: "/user/login/auto/v1",
    summary: "auto login with loginToken; data sealed with loginKey (1030112 when unknown)",
    auth: false,
    params: &[
        string("loginToken").required(),
        string("data").required(),
        string("salt"),
        string("deviceId"),
    ],
    shared: &DEVICE,
    login_limited: true,
    ..Endpoint::shiku("", "")
};

async fn login_auto_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
    let login_token = p.required("loginToken")?;
    let data = p.required("data")?;
    let salt = p.str("salt").unwrap_or("");
    let api_key = api_key(&state)?;
    let invalid = || ShikuError::from(codes::LOGIN_TOKEN_EXPIRED);
    if login_token.len() > 128 {
        return Err(invalid());
    }
    let k = state
        .sessions
        .login_token_key(login_token)
        .await?
        .ok_or_else(invalid)?;
    let key = secure::unb64(&k.login_key).ok_or_else(invalid)?;
    let uid = k.user_id;
    let inner = open_sealed(&key, data, &format!("{api_key}{uid}{login_token}"), salt)
        .ok_or_else(auth_failed)?;
    let user = state.store.user_by_id(uid).await?.ok_or_else(no_account)?;
    let login = Login::new(&req, &p, &k.device_id, &inner);
    let session = state
        .sessions
        .open_session(uid, &k.device_id, &login.language, Some(login_token))
        .await?;
    let result = auto_login_result(&state, &user, &session, &login).await?;
    Ok(sealed_answer(&key, &result))
}

pub const USER_LOGIN_AUTO: Endpoint = Endpoint {
    path: "/user/login/auto",
    summary: "older auto login by access token",
    params: &[string("deviceId")],
    shared: &DEVICE,
    ..Endpoint::shiku("", "")
};

/// The older auto login (`/user/login/auto`, by access token): the session
/// goes on and its keys are answered in clear.
async fn login_auto(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let uid = state.user(&req, &p).await?;
    let token = crate::shiku::auth::token(&req, &p).unwrap_or_default();
    let user = state.store.user_by_id(uid).await?.ok_or_else(no_account)?;
    let login = Login::new(&req, &p, "", &Map::new());
    let session = match state.sessions.session(token).await? {
        Some(s) => s,
        None => {
            state
                .sessions
                .open_session(uid, "chatim", &login.language, None)
                .await?
        }
    };
    let result = auto_login_result(&state, &user, &session, &login).await?;
    Ok(ok_data(Value::Object(result)))
}

/// What a login records of the device (`userLoginLog.loginLog`), sent by the
/// clients beside the credentials (or inside the sealed `data`).
pub const DEVICE: [Param; 9] = [
    string("apiVersion"),
    string("osVersion"),
    string("model"),
    string("serial"),
    string("location"),
    string("area"),
    string("latitude"),
    string("longitude"),
    string("language"),
];

pub const USER_LOGIN: Endpoint = Endpoint {
    path: "/user/login",
    summary: "log in with telephone (or userId) and md5(password)",
    auth: false,
    params: &[
        string("telephone"),
        string("areaCode"),
        string("password").required(),
        int("userId"),
        string("deviceId"),
    ],
    shared: &DEVICE,
    login_limited: true,
    ..Endpoint::shiku("", "")
};

/// The plain login of older clients: `userId` or `telephone` with the md5 of
/// the password (or the stored form itself), answered in clear.
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    admit(&state, &req, &p).await?;
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
    let uid = user_id_of(&user)?;
    let keys = state.store.auth_keys_of(uid).await?;
    let legacy = crate::store::users::legacy_password(keys.as_ref());
    if !password_matches(sent, user.get_str("password").unwrap_or(""), legacy) {
        return Err(ShikuError::Failure("帐号或密码错误".into()));
    }
    if num(&user, "status") == Some(-1) {
        return Err(ShikuError::Failure("您的账号已被锁定".into()));
    }
    let device = p
        .str("deviceId")
        .filter(|d| DEVICES.contains(d))
        .unwrap_or("android");
    let login = Login::new(&req, &p, device, &Map::new());
    let result = login_success(&state, &user, keys.as_ref(), &login).await?;
    Ok(ok_data(Value::Object(result)))
}

/// What a client says about the device it logs in from (`LoginExample`):
/// the encrypted `data` first, the clear parameters otherwise.
struct Login {
    device_id: String,
    language: String,
    serial: String,
    log: Document,
}

impl Login {
    fn new(req: &HttpRequest, p: &Params, device_id: &str, inner: &Map<String, Value>) -> Self {
        let text = |k: &str| -> Option<String> {
            match inner.get(k) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => p.str(k).map(str::to_string),
            }
        };
        let float = |k: &str| text(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let mut log = bson::doc! {"isFirstLogin": 0, "loginTime": crate::util::now_s()};
        for (key, from) in [
            ("apiVersion", "apiVersion"),
            ("osVersion", "osVersion"),
            ("model", "model"),
            ("serial", "serial"),
            ("location", "location"),
            ("address", "area"),
        ] {
            if let Some(v) = text(from) {
                log.insert(key, v);
            }
        }
        if !log.contains_key("model") && !device_id.is_empty() {
            log.insert("model", device_id);
        }
        log.insert("latitude", float("latitude"));
        log.insert("longitude", float("longitude"));
        let ip = req
            .connection_info()
            .realip_remote_addr()
            .unwrap_or("")
            .to_string();
        log.insert("ipAddress", ip);
        Login {
            device_id: device_id.to_string(),
            language: p.str("language").unwrap_or("zh").to_string(),
            serial: text("serial").unwrap_or_default(),
            log,
        }
    }
}

/// The previous login as the result reports it (`User.LoginLog`); zeros for
/// a user's first login.
fn previous_login(prev: Option<&Document>) -> Value {
    let mut v = json!({"isFirstLogin": 1, "latitude": 0.0, "loginTime": 0, "longitude": 0.0, "offlineTime": 0});
    if let Some(d) = prev {
        for (k, b) in d {
            v[k] = bson_to_json(b);
        }
    }
    v
}

fn nonempty(keys: Option<&Document>, field: &str) -> bool {
    keys.and_then(|k| k.get_str(field).ok())
        .is_some_and(|s| !s.is_empty())
}

/// The fields both login results share (`createAutoLoginResultMap` and the
/// user's own): session keys, identity, settings, roles, the previous login;
/// with the previous login's serial (read once, before this login is recorded).
async fn common_result(
    state: &AppState,
    user: &Document,
    session: &KSession,
    login: &Login,
) -> ShikuResult<(Map<String, Value>, String)> {
    let uid = session.user_id;
    let (prev, roles) = futures::try_join!(state.store.last_login(uid), state.store.roles_of(uid))?;
    state.store.record_login(uid, login.log.clone()).await?;
    let settings = user.get("settings").map(bson_to_json).unwrap_or(json!({}));
    let mut m = session_fields(session);
    m.insert(
        "nickname".into(),
        json!(user.get_str("nickname").unwrap_or("")),
    );
    m.insert(
        "multipleDevices".into(),
        settings.get("multipleDevices").cloned().unwrap_or(json!(1)),
    );
    m.insert("login".into(), previous_login(prev.as_ref()));
    m.insert("settings".into(), settings);
    let roles = roles_or_stored(user, roles);
    if !roles.is_empty() {
        m.insert("role".into(), json!(roles));
    }
    m.insert(
        "myInviteCode".into(),
        json!(user.get_str("myInviteCode").unwrap_or("")),
    );
    if let Some(v) = user.get("realNameCertified") {
        m.insert("realNameCertified".into(), bson_to_json(v));
    }
    let prev_serial = prev
        .as_ref()
        .and_then(|d| d.get_str("serial").ok())
        .unwrap_or("");
    m.insert(
        "isupdate".into(),
        json!((prev_serial.is_empty() || prev_serial != login.serial) as i32),
    );
    let prev_serial = prev_serial.to_string();
    Ok((m, prev_serial))
}

/// The session's keys and user id, as the login results start.
fn session_fields(session: &KSession) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("access_token".into(), json!(session.access_token));
    m.insert("httpKey".into(), json!(session.http_key));
    m.insert("messageKey".into(), json!(session.message_key));
    m.insert("payKey".into(), json!(session.pay_key));
    m.insert("expires_in".into(), json!(SESSION_TTL.as_secs()));
    m.insert("userId".into(), json!(session.user_id));
    m
}

/// The user's roles (`userRoles`), or else the `role` list stored on the user.
fn roles_or_stored(user: &Document, roles: Vec<i64>) -> Vec<i64> {
    let stored_roles: Vec<i64> = match user.get_array("role") {
        Ok(a) => a.iter().filter_map(crate::util::bson_i64).collect(),
        Err(_) => Vec::new(),
    };
    if roles.is_empty() {
        stored_roles
    } else {
        roles
    }
}

/// `loginSuccessV1`: a new auto-login pair, the session, and the user.
async fn login_success(
    state: &AppState,
    user: &User,
    keys: Option<&Document>,
    login: &Login,
) -> ShikuResult<Map<String, Value>> {
    if num(user, "status") == Some(-1) {
        return Err(ShikuError::from(codes::LOCKED));
    }
    let uid = user_id_of(user)?;
    let pair = state
        .sessions
        .issue_login_token(uid, &login.device_id)
        .await?;
    let session = state
        .sessions
        .open_session(
            uid,
            &login.device_id,
            &login.language,
            Some(&pair.login_token),
        )
        .await?;
    let (mut m, _) = common_result(state, user, &session, login).await?;
    m.insert("loginKey".into(), json!(pair.login_key));
    m.insert("loginToken".into(), json!(pair.login_token));
    let pay_password = nonempty(keys, "payPassword")
        || matches!(user.get_str("payPassword"), Ok(p) if !p.is_empty() && p != "0");
    m.insert("payPassword".into(), json!(pay_password as i32));
    m.insert("sex".into(), json!(num(user, "sex").unwrap_or(0)));
    m.insert(
        "birthday".into(),
        user.get("birthday").map(bson_to_json).unwrap_or(json!(0)),
    );
    m.insert(
        "offlineNoPushMsg".into(),
        json!(num(user, "offlineNoPushMsg").unwrap_or(0)),
    );
    m.insert(
        "friendCount".into(),
        json!(state.store.count_friends(uid).await?),
    );
    m.insert(
        "walletUserNo".into(),
        json!(nonempty(keys, "walletUserNo") as i32),
    );
    Ok(m)
}

/// `loginAutoV1`: the session's keys (no new auto-login pair) and the user.
async fn auto_login_result(
    state: &AppState,
    user: &Document,
    session: &KSession,
    login: &Login,
) -> ShikuResult<Map<String, Value>> {
    if num(user, "status") == Some(-1) {
        return Err(ShikuError::from(codes::LOCKED));
    }
    let keys = state.store.auth_keys_of(session.user_id).await?;
    let (mut m, prev_serial) = common_result(state, user, session, login).await?;
    let serial_status = if login.serial.is_empty() {
        1
    } else if login.serial == prev_serial {
        2
    } else {
        3
    };
    m.insert("serialStatus".into(), json!(serial_status));
    m.insert("tokenExists".into(), json!(true));
    m.insert("name".into(), json!(user.get_str("name").unwrap_or("")));
    let pay_password = nonempty(keys.as_ref(), "payPassword");
    m.insert(
        "payPassword".into(),
        json!(if pay_password { "1" } else { "0" }),
    );
    m.insert(
        "walletUserNo".into(),
        json!(nonempty(keys.as_ref(), "walletUserNo") as i32),
    );
    Ok(m)
}
