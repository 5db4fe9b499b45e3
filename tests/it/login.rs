//! The login hardening, replayed as each real client sends it (see
//! `tests/common/client.rs`): QZ (POST forms, `deviceId=web`, first login with
//! a key upload), Android (GET for the login itself, `language`, auto login),
//! iOS (one salt for the whole sequence); both stored password forms; the
//! refusals; sessions and keys shared with the Java server.

use crate::common;

use bson::{doc, Bson, Document};
use common::client::{self, API_KEY};
use common::TestApp;
use serde_json::{json, Value};

const PHONE: &str = "13800000777";
const UID: i64 = 100777;
const PASSWORD: &str = "secret-7";

async fn app_with_user(stored: &str, extra: &[(&str, &str)]) -> TestApp {
    let app = TestApp::start_with(extra).await;
    app.insert_user(UID as i32, PHONE, stored).await;
    app
}

/// Android's `user/login/auto/v1` request: the loginToken, and the serial
/// with its mac sealed with the loginKey, signed as an open request.
fn android_auto_login(
    login_token: &str,
    login_key: &[u8],
    salt: &str,
) -> Vec<(&'static str, String)> {
    let mac = client::hmac(
        login_key,
        &format!("{API_KEY}{UID}{login_token}0123abcd{salt}"),
    );
    let data = client::aes(
        login_key,
        json!({"serial": "0123abcd", "mac": mac})
            .to_string()
            .as_bytes(),
    );
    let mut p = vec![
        ("loginToken", login_token.to_string()),
        ("data", data),
        ("language", "zh".to_string()),
    ];
    client::sign_open(&mut p, salt);
    p
}

async fn one(app: &TestApp, coll: &str, filter: Document) -> Option<Document> {
    app.store()
        .client
        .database(&app.store().cfg.imapi)
        .collection::<Document>(coll)
        .find_one(filter)
        .await
        .unwrap()
}

/// `/auth/getLoginCode` as QZ posts it.
async fn qz_get_login_code(app: &TestApp, password: &str, salt: &str) -> Value {
    let mac = client::hmac(
        client::login_password(password).as_bytes(),
        &format!("{API_KEY}86{PHONE}{salt}"),
    );
    let mut p = vec![
        ("areaCode", "86".to_string()),
        ("account", PHONE.to_string()),
        ("deviceId", "web".to_string()),
        ("mac", mac),
    ];
    client::sign_open(&mut p, salt);
    app.post_pairs("/auth/getLoginCode", &p).await.1
}

/// QZ's `uploadLoginKeyParam` (with `access_token=` added after signing).
async fn qz_upload_key(app: &TestApp, uid: &str, password: &str, keys: &client::KeyPair) -> Value {
    let salt = client::salt();
    let mac = client::hmac(
        client::login_password(password).as_bytes(),
        &format!(
            "{API_KEY}{uid}{}{}{salt}",
            keys.private_sealed_b64, keys.public_b64
        ),
    );
    let mut p = vec![
        ("userId", uid.to_string()),
        ("privateKey", keys.private_sealed_b64.clone()),
        ("publicKey", keys.public_b64.clone()),
        ("mac", mac),
    ];
    client::sign_open(&mut p, &salt);
    p.push(("access_token", String::new()));
    app.post_pairs("/authkeys/uploadLoginKey", &p).await.1
}

/// QZ's `getLoginPrivateKeyParam`: it posts its whole input, plain password included.
async fn qz_private_key(app: &TestApp, uid: &str, password: &str) -> Value {
    let salt = client::salt();
    let mac = client::hmac(
        client::login_password(password).as_bytes(),
        &format!("{API_KEY}{uid}{salt}"),
    );
    let mut p = vec![
        ("userId", uid.to_string()),
        ("apiKey", API_KEY.to_string()),
        ("pwd", password.to_string()),
        ("areaCode", "86".to_string()),
        ("account", PHONE.to_string()),
        ("mac", mac),
    ];
    client::sign_open(&mut p, &salt);
    app.post_pairs("/authkeys/getLoginPrivateKey", &p).await.1
}

/// QZ's `/user/login/v1`: inner `{deviceId, userId, salt, mac}` with the salt
/// a JSON number, outer `noAccessToken`.
async fn qz_login_v1(app: &TestApp, uid: &str, password: &str, code: &[u8]) -> Value {
    let salt = client::salt();
    let lp = client::login_password(password);
    let mac = client::hmac(code, &format!("{API_KEY}{uid}web{salt}{uid}{salt}{lp}"));
    let inner =
        json!({"deviceId": "web", "userId": uid, "salt": salt.parse::<i64>().unwrap(), "mac": mac});
    let data = client::aes(code, inner.to_string().as_bytes());
    let mut p = vec![
        ("deviceId", "web".to_string()),
        ("userId", uid.to_string()),
        ("data", data),
        ("noAccessToken", "user/login/v1".to_string()),
    ];
    client::sign_open(&mut p, &salt);
    app.post_pairs("/user/login/v1", &p).await.1
}

/// Every field the clients read from the login result, with its JSON type.
fn assert_login_result(r: &Value) {
    assert_eq!(r["userId"], json!(UID), "userId is a number: {r}");
    let token = r["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|c| c.is_ascii_hexdigit()));
    for key in ["httpKey", "messageKey", "payKey", "loginKey"] {
        assert_eq!(client::unb64(r[key].as_str().unwrap()).len(), 16, "{key}");
    }
    assert_eq!(r["loginToken"].as_str().unwrap().len(), 32);
    assert_eq!(r["nickname"], "张益达");
    assert_eq!(r["payPassword"], 0);
    assert_eq!(r["sex"], 1);
    assert_eq!(r["birthday"], 0);
    assert_eq!(r["offlineNoPushMsg"], 0);
    assert_eq!(r["multipleDevices"], 1);
    assert!(
        r["login"]["offlineTime"].is_i64(),
        "QZ reads login.offlineTime: {r}"
    );
    assert!(r["settings"].is_object());
    assert!(r["isupdate"].is_i64());
    assert_eq!(r["friendCount"], 0);
    assert_eq!(r["role"], json!([2]));
    assert_eq!(r["myInviteCode"], "");
    assert_eq!(r["walletUserNo"], 0);
    assert!(
        r.get("authKey").is_none(),
        "authKey makes clients wait for a device grant"
    );
}

/// After login every QZ call is signed with `httpKey`: `/user/get` is its first.
async fn qz_user_get(app: &TestApp, r: &Value) -> Value {
    let mut p = vec![("userId", UID.to_string())];
    client::sign_user(
        &mut p,
        UID,
        r["access_token"].as_str().unwrap(),
        r["httpKey"].as_str().unwrap(),
    );
    app.post_pairs("/user/get", &p).await.1
}

#[actix_web::test]
async fn qz_first_secure_login_of_an_old_password_user() {
    // The older server stored md5(p); the secure login converts it on the fly.
    let app = app_with_user(&client::md5_hex(PASSWORD), &[]).await;
    let salt = client::salt();
    let first = qz_get_login_code(&app, PASSWORD, &salt).await;
    assert_eq!(first["resultCode"], 1, "{first}");
    assert_eq!(
        first["data"],
        json!({"userId": UID.to_string()}),
        "no code before a key upload"
    );
    let keys = client::key_pair(PASSWORD);
    let up = qz_upload_key(&app, &UID.to_string(), PASSWORD, &keys).await;
    assert_eq!(up["resultCode"], 1, "{up}");
    // QZ retries getLoginCode with the same salt.
    let again = qz_get_login_code(&app, PASSWORD, &salt).await;
    let code_b64 = again["data"]["code"]
        .as_str()
        .expect("a code now")
        .to_string();
    let pk = qz_private_key(&app, &UID.to_string(), PASSWORD).await;
    assert_eq!(pk["data"]["privateKey"], keys.private_sealed_b64.as_str());
    let code = client::open_code(&keys.private_sealed_b64, PASSWORD, &code_b64);
    assert_eq!(code.len(), 16);
    let body = qz_login_v1(&app, &UID.to_string(), PASSWORD, &code).await;
    assert_eq!(body["resultCode"], 1, "{body}");
    let r = client::open_result(&code, &body);
    assert_login_result(&r);
    assert_eq!(r["login"]["offlineTime"], 0, "first login: zeros");
    let me = qz_user_get(&app, &r).await;
    assert_eq!(me["resultCode"], 1, "{me}");
    assert_eq!(me["data"]["userId"], json!(UID));

    // Stored as the Java server stores it.
    let lp = client::login_password(PASSWORD);
    let ak = one(&app, "auth_keys", doc! {"_id": UID as i32})
        .await
        .unwrap();
    assert_eq!(ak.get("_id"), Some(&Bson::Int32(UID as i32)));
    assert_eq!(
        ak.get_str("password").unwrap(),
        lp,
        "converted to the newer form"
    );
    let pair = ak.get_document("loginKeyPair").unwrap();
    assert_eq!(pair.get_str("publicKey").unwrap(), keys.public_b64);
    assert_eq!(pair.get_str("privateKey").unwrap(), keys.private_sealed_b64);
    assert!(
        matches!(pair.get("modifyTime"), Some(Bson::Int64(_))),
        "{pair}"
    );
    assert!(matches!(ak.get("createTime"), Some(Bson::Int64(_))));
    let user = one(&app, "user", doc! {"_id": UID as i32}).await.unwrap();
    assert_eq!(
        user.get_str("password").unwrap(),
        lp,
        "user.password follows"
    );
    assert_eq!(
        user.get_str("nickname").unwrap(),
        "张益达",
        "other fields kept"
    );
    let log = one(&app, "userLoginLog", doc! {"_id": UID as i32})
        .await
        .unwrap();
    let log = log.get_document("loginLog").unwrap();
    assert_eq!(log.get_str("model").unwrap(), "web");
    assert!(matches!(log.get("loginTime"), Some(Bson::Int64(_))));
    assert!(matches!(log.get("latitude"), Some(Bson::Double(_))));

    // The code served once: a replay of the login is refused.
    let replay = qz_login_v1(&app, &UID.to_string(), PASSWORD, &code).await;
    assert_eq!(replay["resultCode"], 10110, "{replay}");
    // A second QZ login (keys uploaded) gets the same live session back.
    let code_b64 = qz_get_login_code(&app, PASSWORD, &client::salt()).await["data"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let code = client::open_code(&keys.private_sealed_b64, PASSWORD, &code_b64);
    let r2 = client::open_result(
        &code,
        &qz_login_v1(&app, &UID.to_string(), PASSWORD, &code).await,
    );
    assert_eq!(r2["access_token"], r["access_token"]);
    assert_eq!(r2["httpKey"], r["httpKey"]);
    assert!(
        r2["login"]["loginTime"].as_i64().unwrap() > 0,
        "the previous login"
    );
}

/// Android: POST for the key steps, GET for `/user/login/v1` and the auto
/// login, `language` on every call; the user has the newer stored form and a
/// key pair uploaded while the Java server ran.
#[actix_web::test]
async fn android_login_then_auto_login() {
    let lp = client::login_password(PASSWORD);
    let app = app_with_user(&lp, &[]).await;
    let keys = client::key_pair(PASSWORD);
    app.insert(
        &app.store().cfg.imapi,
        "auth_keys",
        vec![
            doc! {"_id": UID as i32, "password": &lp, "createTime": 1612772503i64,
            "loginKeyPair": {"publicKey": &keys.public_b64, "privateKey": &keys.private_sealed_b64,
                             "createTime": 1612772503i64},
            "payPassword": ""},
        ],
    )
    .await;
    let salt = client::salt();
    let mac = client::hmac(lp.as_bytes(), &format!("{API_KEY}86{PHONE}{salt}"));
    let mut p = vec![
        ("areaCode", "86".to_string()),
        ("account", PHONE.to_string()),
        ("mac", mac),
        ("deviceId", "android".to_string()),
        ("language", "zh".to_string()),
    ];
    client::sign_open(&mut p, &salt);
    let (_, code_body) = app.post_pairs("/auth/getLoginCode", &p).await;
    assert_eq!(code_body["data"]["userId"], UID.to_string());
    let salt = client::salt();
    let mac = client::hmac(lp.as_bytes(), &format!("{API_KEY}{UID}{salt}"));
    let mut p = vec![
        ("userId", UID.to_string()),
        ("mac", mac),
        ("language", "zh".to_string()),
    ];
    client::sign_open(&mut p, &salt);
    let (_, pk) = app.post_pairs("/authkeys/getLoginPrivateKey", &p).await;
    let code = client::open_code(
        pk["data"]["privateKey"].as_str().unwrap(),
        PASSWORD,
        code_body["data"]["code"].as_str().unwrap(),
    );
    // The device parameters, all strings, sorted by name for the mac.
    let salt = client::salt();
    let inner = [
        ("xmppVersion", "1".to_string()),
        ("model", "Pixel 5".to_string()),
        ("osVersion", "13".to_string()),
        ("serial", "0123abcd".to_string()),
    ];
    let mac = client::hmac(
        &code,
        &format!("{API_KEY}{UID}{}{salt}{lp}", client::joined(&inner)),
    );
    let mut obj: serde_json::Map<String, Value> = inner
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    obj.insert("mac".into(), json!(mac));
    let mut p = vec![
        (
            "data",
            client::aes(&code, Value::Object(obj).to_string().as_bytes()),
        ),
        ("userId", UID.to_string()),
        ("deviceId", "android".to_string()),
        ("language", "zh".to_string()),
    ];
    client::sign_open(&mut p, &salt);
    let (s, body) = app.get_pairs("/user/login/v1", &p).await;
    assert_eq!((s, body["resultCode"].as_i64()), (200, Some(1)), "{body}");
    let r = client::open_result(&code, &body);
    assert_login_result(&r);
    assert_eq!(r["isupdate"], 1, "a new serial");
    let (_, me) = app
        .get(
            "/user/get",
            &[
                ("access_token", r["access_token"].as_str().unwrap()),
                ("language", "zh"),
            ],
        )
        .await;
    assert_eq!(me["data"]["userId"], json!(UID));
    let log = one(&app, "userLoginLog", doc! {"_id": UID as i32})
        .await
        .unwrap();
    assert_eq!(
        log.get_document("loginLog")
            .unwrap()
            .get_str("model")
            .unwrap(),
        "Pixel 5"
    );

    // Next app start: GET user/login/auto/v1 with loginToken and data sealed with loginKey.
    let login_token = r["loginToken"].as_str().unwrap();
    let login_key = client::unb64(r["loginKey"].as_str().unwrap());
    let salt = client::salt();
    let p = android_auto_login(login_token, &login_key, &salt);
    let (_, auto) = app.get_pairs("/user/login/auto/v1", &p).await;
    assert_eq!(auto["resultCode"], 1, "{auto}");
    let a = client::open_result(&login_key, &auto);
    assert_eq!(a["access_token"], r["access_token"], "the session goes on");
    assert_eq!(a["httpKey"], r["httpKey"]);
    assert_eq!(a["payPassword"], "0", "a string in the auto-login result");
    assert_eq!(a["walletUserNo"], 0);
    assert_eq!(a["serialStatus"], 2, "same serial as the last login");
    assert_eq!(a["userId"], json!(UID));
    assert!(a.get("loginToken").is_none(), "no new pair on auto login");

    // A bad auto login: unknown token → 1030112 (back to the password login),
    // a wrong mac → 10110.
    let mut p = vec![("loginToken", "f".repeat(32)), ("data", "eA==".to_string())];
    client::sign_open(&mut p, &client::salt());
    let (s, bad) = app.get_pairs("/user/login/auto/v1", &p).await;
    assert_eq!(
        (s, bad["resultCode"].as_i64()),
        (200, Some(1030112)),
        "{bad}"
    );
    assert_eq!(bad["resultMsg"], "身份认证已失效,请重新登陆");
    let wrong = client::aes(
        &login_key,
        json!({"serial": "x", "mac": "AAAA"}).to_string().as_bytes(),
    );
    let (_, bad) = app
        .get_pairs(
            "/user/login/auto/v1",
            &[
                ("loginToken", login_token.to_string()),
                ("data", wrong),
                ("salt", salt),
            ],
        )
        .await;
    assert_eq!(bad["resultCode"], 10110);

    // Logout (as iOS posts it) ends the auto-login pair too: the same,
    // correctly sealed auto login then answers 1030112, and the pair's keys
    // are gone (`cleanLoginTokenKeys`).
    let token = r["access_token"].as_str().unwrap();
    let (_, out) = app
        .post_pairs(
            "/user/logout",
            &[
                ("access_token", token.to_string()),
                ("userId", UID.to_string()),
                ("deviceKey", "android".to_string()),
            ],
        )
        .await;
    assert_eq!(out["resultCode"], 1, "{out}");
    let salt = client::salt();
    let p = android_auto_login(login_token, &login_key, &salt);
    let (_, after) = app.get_pairs("/user/login/auto/v1", &p).await;
    assert_eq!(after["resultCode"], 1030112, "{after}");
    for key in [
        format!("login:loginTokenKeys:{login_token}"),
        format!("login:loginToken:{UID}:android"),
    ] {
        assert!(
            one(&app, "shiku_api_sessions", doc! {"_id": &key})
                .await
                .is_none(),
            "{key} left after logout"
        );
    }
}

/// iOS: POST forms, `deviceId=ios`, one salt reused for every step, and the
/// device parameters as strings (`latitude` "0").
#[actix_web::test]
async fn ios_login_with_one_salt() {
    let lp = client::login_password(PASSWORD);
    let app = app_with_user(&lp, &[]).await;
    let salt = client::salt();
    let code_mac = client::hmac(lp.as_bytes(), &format!("{API_KEY}86{PHONE}{salt}"));
    let code_req = [
        ("areaCode", "86".to_string()),
        ("account", PHONE.to_string()),
        ("salt", salt.clone()),
        ("deviceId", "ios".to_string()),
        ("mac", code_mac),
    ];
    let (_, first) = app.post_pairs("/auth/getLoginCode", &code_req).await;
    assert!(
        first["data"].get("code").is_none(),
        "iOS needs the key absent: {first}"
    );
    assert!(
        first["data"]["userId"].is_string(),
        "iOS appends userId as a string"
    );
    let keys = client::key_pair(PASSWORD);
    let mac = client::hmac(
        lp.as_bytes(),
        &format!(
            "{API_KEY}{UID}{}{}{salt}",
            keys.private_sealed_b64, keys.public_b64
        ),
    );
    let (_, up) = app
        .post_pairs(
            "/authkeys/uploadLoginKey",
            &[
                ("userId", UID.to_string()),
                ("salt", salt.clone()),
                ("privateKey", keys.private_sealed_b64.clone()),
                ("publicKey", keys.public_b64.clone()),
                ("mac", mac),
            ],
        )
        .await;
    assert_eq!(up["resultCode"], 1);
    let (_, again) = app.post_pairs("/auth/getLoginCode", &code_req).await;
    let code = client::open_code(
        &keys.private_sealed_b64,
        PASSWORD,
        again["data"]["code"].as_str().unwrap(),
    );
    let inner = [
        ("grant_type", "client_credentials".to_string()),
        ("serial", "6F1E-UUID".to_string()),
        ("latitude", "0".to_string()),
        ("longitude", "0".to_string()),
        ("appId", "com.shiku.im".to_string()),
        ("xmppVersion", "1".to_string()),
        ("loginType", "0".to_string()),
    ];
    let mac = client::hmac(
        &code,
        &format!("{API_KEY}{UID}{}{salt}{lp}", client::joined(&inner)),
    );
    let mut obj: serde_json::Map<String, Value> = inner
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    obj.insert("mac".into(), json!(mac));
    let (_, body) = app
        .post_pairs(
            "/user/login/v1",
            &[
                ("userId", UID.to_string()),
                ("salt", salt.clone()),
                (
                    "data",
                    client::aes(&code, Value::Object(obj).to_string().as_bytes()),
                ),
                ("deviceId", "ios".to_string()),
            ],
        )
        .await;
    let r = client::open_result(&code, &body);
    assert_login_result(&r);
}

#[actix_web::test]
async fn refusals_store_nothing_and_create_no_session() {
    let lp = client::login_password(PASSWORD);
    let app = app_with_user(&lp, &[]).await;
    let keys = client::key_pair(PASSWORD);
    app.insert_user(100778, "13800000778", &client::login_password("other"))
        .await;
    let before = app.snapshot().await;
    // Wrong password.
    let bad = qz_get_login_code(&app, "wrong", &client::salt()).await;
    assert_eq!(bad["resultCode"], 1040102, "{bad}");
    assert_eq!(bad["resultMsg"], "帐号或密码错误");
    // Unknown account.
    let mut p = vec![
        ("areaCode", "86".to_string()),
        ("account", "13999999999".to_string()),
        ("deviceId", "web".to_string()),
        ("mac", "AAAA".to_string()),
    ];
    client::sign_open(&mut p, &client::salt());
    let (_, b) = app.post_pairs("/auth/getLoginCode", &p).await;
    assert_eq!(b["resultCode"], 100211);
    // An unknown device.
    let (_, b) = app
        .post_form(
            "/auth/getLoginCode",
            &[
                ("areaCode", "86"),
                ("account", PHONE),
                ("deviceId", "toaster"),
                ("mac", "x"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);
    // A key upload for another user: signed with someone else's password.
    let up = qz_upload_key(&app, "100778", PASSWORD, &keys).await;
    assert_eq!(up["resultCode"], 10110, "{up}");
    // A garbage key.
    let (_, b) = app
        .post_form(
            "/authkeys/uploadLoginKey",
            &[
                ("userId", "100777"),
                ("publicKey", "xx"),
                ("privateKey", "yy"),
                ("mac", "zz"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);
    // Private key: wrong password.
    assert_eq!(
        qz_private_key(&app, "100777", "wrong").await["resultCode"],
        json!(1),
        "no key yet: empty success"
    );
    // A login without a code, and a malformed one.
    let no_code = qz_login_v1(&app, "100777", PASSWORD, &[7u8; 16]).await;
    assert_eq!(no_code["resultCode"], 10110);
    let (s, b) = app
        .post_form(
            "/user/login/v1",
            &[("userId", "100777"), ("deviceId", "web"), ("data", "%%%")],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(10110)));
    let (_, b) = app
        .post_form(
            "/user/login/v1",
            &[("userId", "100777"), ("deviceId", "web")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing stored by any refusal"
    );
}

#[actix_web::test]
async fn a_code_serves_its_own_device_once_and_a_bad_mac_burns_it() {
    let lp = client::login_password(PASSWORD);
    let app = app_with_user(&lp, &[]).await;
    let keys = client::key_pair(PASSWORD);
    qz_upload_key(&app, "100777", PASSWORD, &keys).await;
    // Issued to "web", used by "android": refused.
    let code_b64 = qz_get_login_code(&app, PASSWORD, &client::salt()).await["data"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let code = client::open_code(&keys.private_sealed_b64, PASSWORD, &code_b64);
    let salt = client::salt();
    let mac = client::hmac(&code, &format!("{API_KEY}{UID}1{salt}{lp}"));
    let data = client::aes(
        &code,
        json!({"xmppVersion": "1", "mac": mac})
            .to_string()
            .as_bytes(),
    );
    let (_, b) = app
        .get_pairs(
            "/user/login/v1",
            &[
                ("userId", UID.to_string()),
                ("deviceId", "android".into()),
                ("salt", salt),
                ("data", data),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 10110, "{b}");
    // A wrong password inside data: refused, and the code is gone.
    let code_b64 = qz_get_login_code(&app, PASSWORD, &client::salt()).await["data"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let code = client::open_code(&keys.private_sealed_b64, PASSWORD, &code_b64);
    let b = qz_login_v1(&app, "100777", "wrong", &code).await;
    assert_eq!(b["resultCode"], 10110);
    let b = qz_login_v1(&app, "100777", PASSWORD, &code).await;
    assert_eq!(b["resultCode"], 10110, "one attempt per code");
    let sessions = app.dump(&app.store().cfg.imapi, "shiku_api_sessions").await;
    assert!(
        sessions
            .iter()
            .all(|d| !d.get_str("_id").unwrap().starts_with("sesson:")),
        "no session was created"
    );
}

#[actix_web::test]
async fn without_api_key_the_secure_login_is_refused() {
    let lp = client::login_password(PASSWORD);
    let app = app_with_user(&lp, &[("API_KEY", "")]).await;
    let before = app.snapshot().await;
    let b = qz_get_login_code(&app, PASSWORD, &client::salt()).await;
    assert_eq!(b["resultCode"], 10110, "{b}");
    assert_eq!(app.snapshot().await, before);
}

#[actix_web::test]
async fn login_attempts_are_limited_per_client() {
    let app = app_with_user(
        &client::login_password(PASSWORD),
        &[("LOGIN_PER_MINUTE", "3")],
    )
    .await;
    for _ in 0..3 {
        let b = qz_get_login_code(&app, "wrong", &client::salt()).await;
        assert_eq!(b["resultCode"], 1040102);
    }
    let mut p = vec![
        ("areaCode", "86".to_string()),
        ("account", PHONE.to_string()),
        ("deviceId", "web".to_string()),
        ("mac", "x".to_string()),
    ];
    client::sign_open(&mut p, &client::salt());
    let (s, _) = app.post_pairs("/auth/getLoginCode", &p).await;
    assert_eq!(s, 429);
}

/// The plain login of older clients keeps working for both stored forms, and
/// now answers the keys newer clients sign with.
#[actix_web::test]
async fn plain_login_answers_the_complete_result() {
    for stored in [client::md5_hex(PASSWORD), client::login_password(PASSWORD)] {
        let app = app_with_user(&stored, &[]).await;
        let (_, b) = app
            .get(
                "/user/login",
                &[
                    ("telephone", PHONE),
                    ("password", &client::md5_hex(PASSWORD)),
                ],
            )
            .await;
        assert_eq!(b["resultCode"], 1, "{b}");
        assert_login_result(&b["data"]);
        assert_eq!(qz_user_get(&app, &b["data"]).await["resultCode"], 1);
    }
}

/// With signing on (`AUTH_API=1`, the original's `isAuthApi`), a wrong or
/// replayed `secret` is refused with 10110 and a right one served.
#[actix_web::test]
async fn signed_requests_when_signing_is_on() {
    let app = app_with_user(&client::md5_hex(PASSWORD), &[("AUTH_API", "1")]).await;
    // Before login: a wrong secret on an open endpoint.
    let (_, b) = app
        .post_form(
            "/auth/getLoginCode",
            &[
                ("areaCode", "86"),
                ("account", PHONE),
                ("deviceId", "web"),
                ("mac", "x"),
                ("salt", "1"),
                ("secret", "AAAAAAAAAAAAAAAAAAAAAA=="),
            ],
        )
        .await;
    assert_eq!(b, json!({"resultCode": 10110, "resultMsg": "权限验证失败"}));
    let (_, login) = app
        .get(
            "/user/login",
            &[
                ("telephone", PHONE),
                ("password", &client::md5_hex(PASSWORD)),
            ],
        )
        .await;
    let r = &login["data"];
    let token = r["access_token"].as_str().unwrap();
    // Unsigned and wrongly signed requests are refused.
    let (_, b) = app.post_form("/user/get", &[("access_token", token)]).await;
    assert_eq!(b["resultCode"], 10110);
    let mut p = vec![("userId", UID.to_string())];
    client::sign_user(&mut p, UID, token, &client::b64(&[9u8; 16]));
    let (_, b) = app.post_pairs("/user/get", &p).await;
    assert_eq!(b["resultCode"], 10110);
    // The right one is served, once.
    let mut p = vec![("userId", UID.to_string())];
    client::sign_user(&mut p, UID, token, r["httpKey"].as_str().unwrap());
    let (_, b) = app.post_pairs("/user/get", &p).await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app.post_pairs("/user/get", &p).await;
    assert_eq!(b["resultCode"], 10110, "a replayed secret");
}

/// The password login of the iPhone app (`deviceId` ios).
async fn login_as_ios(app: &TestApp) -> Value {
    let (_, login) = app
        .get(
            "/user/login",
            &[
                ("telephone", PHONE),
                ("password", &client::md5_hex(PASSWORD)),
                ("deviceId", "ios"),
            ],
        )
        .await;
    login
}

/// Sessions and keys are the Java server's: a session it stored in Redis is
/// served here (signed with its httpKey), and a login here leaves exactly the
/// keys it reads.
#[actix_web::test]
async fn sessions_are_shared_with_the_java_server_through_redis() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        panic!("TEST_REDIS_URL is not set: scripts/test.sh starts redis-server");
    };
    let app = app_with_user(
        &client::login_password(PASSWORD),
        &[("REDIS_URL", &url), ("AUTH_API", "1")],
    )
    .await;
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let set = |k: String, v: String| redis::cmd("SET").arg(k).arg(v).clone();
    // As Redisson's JsonJacksonCodec stores them.
    let token = format!("java{}", rand::random::<u64>());
    let http_key = client::b64(&[5u8; 16]);
    let ksession = json!({"@class": "com.shiku.im.user.model.KSession", "userId": UID, "deviceId": "android",
        "language": "zh", "loginToken": "lt", "accessToken": token, "httpKey": http_key,
        "payKey": client::b64(&[6u8; 16]), "messageKey": client::b64(&[7u8; 16])});
    let _: () = set(format!("loginToken:userId:{token}"), format!("\"{UID}\""))
        .query_async(&mut con)
        .await
        .unwrap();
    let _: () = set(format!("sesson:{token}"), ksession.to_string())
        .query_async(&mut con)
        .await
        .unwrap();
    let mut p = vec![("userId", UID.to_string())];
    client::sign_user(&mut p, UID, &token, &http_key);
    let (_, b) = app.post_pairs("/user/get", &p).await;
    assert_eq!(b["resultCode"], 1, "a Java session is honoured: {b}");

    // A login here: the keys the Java filter and login read.
    let login = login_as_ios(&app).await;
    let r = &login["data"];
    let tok = r["access_token"].as_str().unwrap();
    let get = |k: String| redis::cmd("GET").arg(k).clone();
    let uid: String = get(format!("loginToken:userId:{tok}"))
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(
        uid,
        format!("\"{UID}\""),
        "a JSON string, as Redisson writes it"
    );
    let s: String = get(format!("sesson:{tok}"))
        .query_async(&mut con)
        .await
        .unwrap();
    let s: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["@class"], "com.shiku.im.user.model.KSession");
    assert_eq!(s["userId"], json!(UID));
    assert_eq!(s["accessToken"], tok);
    assert_eq!(s["httpKey"], r["httpKey"]);
    assert_eq!(s["deviceId"], "ios");
    let dev: String = get(format!("loginToken:token:{UID}:ios"))
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(dev, format!("\"{tok}\""));
    let lt = r["loginToken"].as_str().unwrap();
    let k: String = get(format!("login:loginTokenKeys:{lt}"))
        .query_async(&mut con)
        .await
        .unwrap();
    let k: Value = serde_json::from_str(&k).unwrap();
    assert_eq!(k["@class"], "com.shiku.im.user.model.UserLoginTokenKey");
    assert_eq!(
        (k["userId"].clone(), k["loginKey"].clone()),
        (json!(UID), r["loginKey"].clone())
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("sesson:{tok}"))
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(ttl > 2_500_000, "30 days");

    // Logout takes the user's pointers only while they point at this session:
    // one a Java login wrote meanwhile stays.
    let exists = |k: String| redis::cmd("EXISTS").arg(k).clone();
    let _: () = set(
        format!("loginToken:token:{UID}"),
        "\"java-meanwhile\"".into(),
    )
    .query_async(&mut con)
    .await
    .unwrap();
    let mut p = vec![];
    client::sign_user(&mut p, UID, tok, r["httpKey"].as_str().unwrap());
    let (_, b) = app.post_pairs("/user/logout", &p).await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let kept: String = get(format!("loginToken:token:{UID}"))
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(kept, "\"java-meanwhile\"");
    for key in [
        format!("sesson:{tok}"),
        format!("loginToken:token:{UID}:ios"),
        format!("login:loginToken:{UID}:ios"),
        format!("login:loginTokenKeys:{lt}"),
    ] {
        let n: i64 = exists(key.clone()).query_async(&mut con).await.unwrap();
        assert_eq!(n, 0, "{key} left after logout");
    }
    // Pointing at the session, the user's pointer goes with it.
    let _: () = redis::cmd("DEL")
        .arg(format!("loginToken:token:{UID}"))
        .query_async(&mut con)
        .await
        .unwrap();
    let login = login_as_ios(&app).await;
    let r = &login["data"];
    let tok = r["access_token"].as_str().unwrap();
    let mut p = vec![];
    client::sign_user(&mut p, UID, tok, r["httpKey"].as_str().unwrap());
    let (_, b) = app.post_pairs("/user/logout", &p).await;
    assert_eq!(b["resultCode"], 1, "{b}");
    for key in [
        format!("loginToken:token:{UID}"),
        format!("login:loginToken:{UID}:ios"),
    ] {
        let n: i64 = exists(key.clone()).query_async(&mut con).await.unwrap();
        assert_eq!(n, 0, "{key} left after logout");
    }
}

/// QZ's registration form (`reinforce/store.js` `SubmitRegister`): the form
/// as JSON with `password` = the login password, the message key pairs,
/// `salt` and `mac`, sealed with md5(apiKey); `deviceId=web`, `salt`.
fn qz_register_params(phone: &str, nickname: &str, mac_key: &[u8]) -> Vec<(&'static str, String)> {
    let salt = client::salt();
    let mut form = serde_json::Map::new();
    for (k, v) in [
        ("areaCode", "86"),
        ("telephone", phone),
        ("nickname", nickname),
        ("sex", "1"),
        ("birthday", "0"),
        ("userType", "1"),
        ("isSmsRegister", "0"),
        ("rsaPublicKey", "rsa-public"),
        ("rsaPrivateKey", "rsa-private-sealed"),
        ("dhPublicKey", "dh-public"),
        ("dhPrivateKey", "dh-private-sealed"),
    ] {
        form.insert(k.to_string(), json!(v));
    }
    form.insert("password".into(), json!(client::login_password(PASSWORD)));
    form.insert("salt".into(), json!(salt));
    let values: Vec<(&str, String)> = form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_string()))
        .collect();
    let mac = client::hmac(
        mac_key,
        &format!("{API_KEY}{}{salt}", client::joined(&values)),
    );
    form.insert("mac".into(), json!(mac));
    let data = client::aes(
        &client::md5(API_KEY.as_bytes()),
        &serde_json::to_vec(&form).unwrap(),
    );
    vec![
        ("data", data),
        ("deviceId", "web".to_string()),
        ("salt", salt),
    ]
}

#[actix_web::test]
async fn qz_registers_securely_and_is_logged_in() {
    let app = TestApp::start().await;
    let key = client::md5(API_KEY.as_bytes());
    let (s, b) = app
        .post_pairs(
            "/user/register/v1",
            &qz_register_params("13700000555", "新用户", &key),
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let r = client::open_result(&key, &b);
    let uid = r["userId"].as_i64().unwrap();
    assert!(r["access_token"].as_str().unwrap().len() >= 32, "{r}");
    assert!(r["loginToken"].is_string() && r["loginKey"].is_string() && r["httpKey"].is_string());
    assert_eq!(r["nickname"], "新用户");
    // Stored: the user (login password in its newer form), the message keys,
    // the two default labels.
    let u = app.store().user_by_id(uid).await.unwrap().unwrap();
    assert_eq!(u.get_str("telephone"), Ok("8613700000555"));
    assert_eq!(
        u.get_str("password"),
        Ok(client::login_password(PASSWORD).as_str())
    );
    assert_eq!(u.get_i32("sex"), Ok(1));
    let keys = app.store().auth_keys_of(uid).await.unwrap().unwrap();
    assert_eq!(
        keys.get_str("password"),
        Ok(client::login_password(PASSWORD).as_str())
    );
    assert_eq!(
        keys.get_document("msgRsaKeyPair")
            .unwrap()
            .get_str("publicKey"),
        Ok("rsa-public")
    );
    assert_eq!(
        keys.get_document("msgDHKeyPair")
            .unwrap()
            .get_str("privateKey"),
        Ok("dh-private-sealed")
    );
    let imapi = app.store().cfg.imapi.clone();
    let labels: Vec<String> = app
        .dump(&imapi, "friendGroup")
        .await
        .iter()
        .map(|l| l.get_str("groupName").unwrap().to_string())
        .collect();
    assert_eq!(labels, ["家人", "同事"]);
    // The token works, and /user/get answers the own message keys.
    let (_, me) = app
        .get(
            "/user/get",
            &[("access_token", r["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(me["data"]["rsaMsgPublicKey"], "rsa-public");

    // The same telephone again: 1040107 (what QZ tests); a wrong mac: 10110.
    let before = app.snapshot().await;
    let (_, b) = app
        .post_pairs(
            "/user/register/v1",
            &qz_register_params("13700000555", "又一个", &key),
        )
        .await;
    assert_eq!(b["resultCode"], 1040107, "{b}");
    let (_, b) = app
        .post_pairs(
            "/user/register/v1",
            &qz_register_params("13700000556", "x", b"wrong key 16byte"),
        )
        .await;
    assert_eq!(b["resultCode"], 10110, "{b}");
    let (_, b) = app
        .post_pairs("/user/register/v1", &qz_register_params("", "x", &key))
        .await;
    assert_eq!(b["resultCode"], 100107, "{b}");
    // A device the original does not know: refused before anything is written.
    let mut params = qz_register_params("13700000557", "x", &key);
    params[1].1 = "toaster".into();
    let (_, b) = app.post_pairs("/user/register/v1", &params).await;
    assert_eq!(b["resultCode"], 1010101, "{b}");
    assert!(app.snapshot().await == before);
}

/// Review #4: concurrent registrations of one telephone make one account.
#[actix_web::test]
async fn concurrent_registrations_make_one_account() {
    let app = TestApp::start().await;
    let pw = client::md5_hex(PASSWORD);
    let calls = (0..8).map(|i| {
        let app = &app;
        let pw = pw.clone();
        async move {
            app.get(
                "/user/register",
                &[
                    ("telephone", "13700000001"),
                    ("areaCode", "86"),
                    ("password", &pw),
                    ("nickname", &format!("race{i}")),
                ],
            )
            .await
            .1["resultCode"]
                .as_i64()
        }
    });
    let mut codes = futures::future::join_all(calls).await;
    codes.sort();
    assert_eq!(
        codes.iter().filter(|c| **c == Some(1)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(1040107)).count(),
        7,
        "{codes:?}"
    );
    let users: Vec<Document> = app
        .dump(&app.store().cfg.imapi, "user")
        .await
        .into_iter()
        .filter(|u| u.get_str("telephone") == Ok("8613700000001"))
        .collect();
    assert_eq!(users.len(), 1);
}
