//! Issue 17: the caller's profile, settings and password (Android's and
//! WX's requests), and finding people (`/nearby/*`).

use crate::common;

use bson::{doc, Bson, Document};
use common::{client, TestApp};
use serde_json::json;

fn imapi(app: &TestApp) -> String {
    app.store().cfg.imapi.clone()
}

async fn user(app: &TestApp, id: i32) -> Document {
    app.store()
        .user_by_id(id as i64)
        .await
        .unwrap()
        .unwrap()
        .into_doc()
}

async fn refused(app: &TestApp, path: &str, params: &[(&str, &str)], code: i64) {
    let before = app.snapshot().await;
    let (s, b) = app.get(path, params).await;
    assert_eq!(
        (s, b["resultCode"].as_i64()),
        (200, Some(code)),
        "{path} {params:?}: {b}"
    );
    assert!(app.snapshot().await == before, "{path} changed something");
}

/// Android's `BasicInfoEditActivity` (GET: nickname, sex, birthday, region
/// ids) and `SetAccountActivity` (account, once).
#[actix_web::test]
async fn android_edits_the_profile_and_chooses_an_account_once() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let (s, b) = app
        .get(
            "/user/update",
            &[
                ("access_token", &t),
                ("nickname", "张益达2"),
                ("sex", "0"),
                ("birthday", "631152000"),
                ("countryId", "1"),
                ("provinceId", "2"),
                ("cityId", "3"),
                ("areaId", "4"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let d = &b["data"];
    assert_eq!(d["nickname"], "张益达2");
    assert_eq!(d["sex"], 0);
    assert_eq!(d["birthday"], 631152000);
    assert_eq!(d["userId"], 100164);
    assert_eq!(
        d["role"],
        json!([2]),
        "the own profile, as /user/get answers it"
    );
    let u = user(&app, 100164).await;
    assert_eq!(u.get("sex"), Some(&Bson::Int32(0)));
    assert_eq!(u.get("birthday"), Some(&Bson::Int64(631152000)));
    assert_eq!(u.get("cityId"), Some(&Bson::Int32(3)));
    assert!(u.get_i64("modifyTime").unwrap() > 1_700_000_000);
    assert_eq!(
        u.get_str("telephone"),
        Ok("8618094152050"),
        "other fields kept"
    );
    let ops: Vec<Document> = app.dump(&imapi(&app), "offlineOperation").await;
    assert!(ops
        .iter()
        .any(|o| o.get_str("tag") == Ok("friend") && o.get_str("friendId") == Ok("100164")));

    let long = "名".repeat(65);
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("nickname", &long)],
        1040109,
    )
    .await;
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("sex", "7")],
        1010101,
    )
    .await;
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("birthday", "soon")],
        1010101,
    )
    .await;

    let (_, b) = app
        .get(
            "/user/update",
            &[("access_token", &t), ("account", "zhangyida")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["account"], "zhangyida");
    let u = user(&app, 100164).await;
    assert_eq!(
        u.get_str("encryAccount"),
        Ok(client::md5_hex("zhangyida").as_str())
    );
    assert_eq!(u.get("setAccountCount"), Some(&Bson::Int32(1)));
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("account", "again")],
        0,
    )
    .await;
    let other = app.token_for(100102).await;
    refused(
        &app,
        "/user/update",
        &[("access_token", &other), ("account", "zhangyida")],
        0,
    )
    .await;
    refused(
        &app,
        "/user/update",
        &[
            ("access_token", &other),
            ("account", "x".repeat(19).as_str()),
        ],
        0,
    )
    .await;
}

/// Android's privacy screen reads `//user/settings` (double slash) and
/// writes `user/settings/update`.
#[actix_web::test]
async fn android_privacy_settings() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let (s, b) = app
        .get(
            "//user/settings",
            &[("access_token", &t), ("userId", "100164")],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert_eq!(b["data"]["friendsVerify"], 1);
    assert_eq!(b["data"]["chatRecordTimeOut"], "-1.0");
    let (_, b) = app
        .get(
            "/user/settings/update",
            &[
                ("access_token", &t),
                ("friendsVerify", "0"),
                ("hiding", "1"),
                ("chatRecordTimeOut", "7天"),
                ("chatSyncTimeLen", "15.5"),
                ("friendFromList", "1,2"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        b["data"]["settings"]["friendsVerify"], 0,
        "the profile after the change"
    );
    assert_eq!(b["data"]["settings"]["friendFromList"], "1,2");
    let s = user(&app, 100164)
        .await
        .get_document("settings")
        .unwrap()
        .clone();
    assert_eq!(s.get("friendsVerify"), Some(&Bson::Int32(0)));
    assert_eq!(s.get("hiding"), Some(&Bson::Int32(1)));
    assert_eq!(s.get("chatRecordTimeOut"), Some(&Bson::String("7".into())));
    assert_eq!(s.get("chatSyncTimeLen"), Some(&Bson::Double(15.5)));
    assert_eq!(s.get("friendFromList"), Some(&Bson::String("1,2".into())));
    assert_eq!(s.get("allowAtt"), Some(&Bson::Int32(1)), "not sent, kept");
    // The relations pointing at the user carry the new hiding.
    let rel = app
        .dump(&imapi(&app), "u_friends")
        .await
        .into_iter()
        .find(|d| d.get_i32("toUserId") == Ok(100164))
        .unwrap();
    assert_eq!(rel.get("hiding"), Some(&Bson::Int32(1)));
    refused(
        &app,
        "/user/settings/update",
        &[("access_token", &t), ("allowAtt", "500")],
        1010101,
    )
    .await;
    refused(
        &app,
        "/user/settings/update",
        &[("access_token", &t), ("friendFromList", "1,x")],
        1010101,
    )
    .await;
    refused(&app, "//user/settings", &[("access_token", &t)], 1010101).await;
}

/// Review of 0674d29 #4: a stored user without some settings (an older or
/// foreign document) is answered the original's defaults, as its bean has
/// them: iOS posts back what it was shown, and a missing `allowAtt` became 0.
#[actix_web::test]
async fn missing_settings_read_as_the_originals_defaults() {
    let app = TestApp::start().await;
    app.load_seed().await;
    app.store()
        .client
        .database(&imapi(&app))
        .collection::<Document>("user")
        .update_one(
            doc! {"_id": 100158},
            doc! {"$unset": {"settings.allowAtt": "", "settings.allowGreet": "",
            "settings.chatSyncTimeLen": "", "settings.friendFromList": ""}},
        )
        .await
        .unwrap();
    let t = app.token_for(100158).await;
    // As iOS asks (JXServer getFriendSettings: userId, access_token).
    let (_, b) = app
        .post_form(
            "/user/settings",
            &[("access_token", &t), ("userId", "100158")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["allowAtt"], 1);
    assert_eq!(b["data"]["allowGreet"], 1);
    assert_eq!(b["data"]["chatSyncTimeLen"], json!(-1.0));
    assert_eq!(b["data"]["friendFromList"], "1,2,3,4,5");
    assert_eq!(b["data"]["friendsVerify"], 1, "stored values as they are");
    let (_, b) = app
        .post_form("/user/get", &[("access_token", &t), ("userId", "100158")])
        .await;
    assert_eq!(b["data"]["settings"]["allowAtt"], 1, "{b}");
    let s = user(&app, 100158).await;
    assert!(
        s.get_document("settings")
            .unwrap()
            .get("allowAtt")
            .is_none(),
        "nothing written"
    );
}

/// Android's privacy screen, the rest of its writes, one setting per request
/// as it sends them (GET, with its `userId`): the allow types
/// (`PrivacySettingActivity.updateAllowType`), "do not sync" (`chatSyncTimeLen`
/// -2) and the always/never lists (`PrivacyWhitelistActivity`, a comma list;
/// blank empties it). `//user/settings` answers them back.
#[actix_web::test]
async fn android_privacy_allow_types_and_lists() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let set = |k: &'static str, v: &'static str| {
        let (app, t) = (&app, t.clone());
        async move {
            let params = common::android(100164, &t, &[("userId", "100164"), (k, v)]);
            let (s, b) = app.get_pairs("/user/settings/update", &params).await;
            assert_eq!(
                (s, b["resultCode"].as_i64()),
                (200, Some(1)),
                "{k}={v}: {b}"
            );
        }
    };
    set("allowMsg", "2").await;
    set("allowCall", "3").await;
    set("allowJoinRoom", "1").await;
    set("chatSyncTimeLen", "-2.0").await;
    set("noAllowMsgList", "100102,100174").await;
    set("throughoutAllowCallList", "100158").await;
    set("throughoutAllowCallList", "").await;
    let s = user(&app, 100164)
        .await
        .get_document("settings")
        .unwrap()
        .clone();
    assert_eq!(s.get("allowMsg"), Some(&Bson::Int32(2)));
    assert_eq!(s.get("allowCall"), Some(&Bson::Int32(3)));
    assert_eq!(s.get("allowJoinRoom"), Some(&Bson::Int32(1)));
    assert_eq!(s.get("chatSyncTimeLen"), Some(&Bson::Double(-2.0)));
    assert_eq!(
        s.get("noAllowMsgList"),
        Some(&Bson::Array(vec![
            Bson::String("100102".into()),
            Bson::String("100174".into())
        ]))
    );
    assert_eq!(s.get("throughoutAllowCallList"), Some(&Bson::Array(vec![])));
    assert_eq!(
        s.get("friendsVerify"),
        Some(&Bson::Int32(1)),
        "not sent, kept"
    );
    let (_, b) = app
        .get(
            "//user/settings",
            &[("access_token", &t), ("userId", "100164")],
        )
        .await;
    let d = &b["data"];
    assert_eq!(d["allowMsg"], 2, "{b}");
    assert_eq!(d["chatSyncTimeLen"], -2.0, "{b}");
    assert_eq!(
        d["noAllowMsgList"],
        serde_json::json!(["100102", "100174"]),
        "{b}"
    );
    refused(
        &app,
        "/user/settings/update",
        &[("access_token", &t), ("noAllowMsgList", "100102,abc")],
        1010101,
    )
    .await;
    refused(
        &app,
        "/user/settings/update",
        &[("access_token", &t), ("chatSyncTimeLen", "-3")],
        1010101,
    )
    .await;
}

/// Android's `DescriptionActivity` (`user/update` with `description`): its
/// multi-line field may send line breaks, stored as sent; other control
/// characters stay refused.
#[actix_web::test]
async fn a_signature_may_span_lines() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let (_, b) = app
        .get_pairs(
            "/user/update",
            &common::android(100164, &t, &[("description", "第一行\n第二行")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["description"], "第一行\n第二行", "{b}");
    assert_eq!(
        user(&app, 100164).await.get_str("description"),
        Ok("第一行\n第二行")
    );
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("description", "a\u{7}b")],
        1010101,
    )
    .await;
    refused(
        &app,
        "/user/update",
        &[("access_token", &t), ("nickname", "a\nb")],
        1040109,
    )
    .await;
}

/// Android's `ChangePasswordActivity`: both passwords in the login-password
/// form; afterwards every session ends and the new password logs in.
#[actix_web::test]
async fn password_change_ends_the_sessions() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let old = client::login_password("123456");
    let new = client::login_password("654321");
    let with = |o: &str, n: &str| {
        vec![
            ("access_token", t.clone()),
            ("telephone", "18094152050".into()),
            ("areaCode", "86".into()),
            ("oldPassword", o.to_string()),
            ("newPassword", n.to_string()),
        ]
    };
    let (_, b) = app
        .post_pairs("/user/password/update", &with(&new, &new))
        .await;
    assert_eq!(b["resultCode"], 100209, "{b}");
    let (_, b) = app
        .post_pairs(
            "/user/password/update",
            &with(&client::login_password("wrong"), &new),
        )
        .await;
    assert_eq!(b["resultCode"], 1040103, "{b}");
    let (_, b) = app
        .post_pairs("/user/password/update", &with(&old, &new))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        user(&app, 100164).await.get_str("password"),
        Ok(new.as_str())
    );
    let (_, b) = app.get("/user/get", &[("access_token", &t)]).await;
    assert_eq!(b["resultCode"], 1030102, "the caller's token ends too: {b}");
    let (_, b) = app
        .get(
            "/user/login",
            &[
                ("telephone", "18094152050"),
                ("areaCode", "86"),
                ("password", &client::md5_hex("654321")),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");

    // A reset needs an SMS code this service never sent.
    refused(
        &app,
        "/user/password/reset",
        &[
            ("telephone", "18094152050"),
            ("randcode", "1234"),
            ("newPassword", &old),
        ],
        1040104,
    )
    .await;
    refused(
        &app,
        "/user/password/reset",
        &[("telephone", "18094152050")],
        1010102,
    )
    .await;
}

/// Android's search (`nickname` as keyword) and nearby screen (a point);
/// WX's search box (`nearbyUserWeb`, `data.pageData[0].userId`).
#[actix_web::test]
async fn finding_people() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let db = imapi(&app);
    let t = app.token_for(100164).await;
    let ids = |b: &serde_json::Value| -> Vec<i64> {
        b["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{b}"))
            .iter()
            .map(|u| u["userId"].as_i64().unwrap())
            .collect()
    };
    // By account, by phone; the nickname only when the deployment allows it.
    let (_, b) = app
        .get(
            "/nearby/user",
            &[
                ("access_token", &t),
                ("nickname", "100174285603"),
                ("pageIndex", "0"),
                ("pageSize", "20"),
            ],
        )
        .await;
    assert_eq!(ids(&b), [100174]);
    let found = &b["data"][0];
    assert_eq!(found["nickname"], "周仕彦");
    assert!(
        found.get("password").is_none() && found.get("telephone").is_none(),
        "{found}"
    );
    let (_, b) = app
        .get(
            "/nearby/user",
            &[("access_token", &t), ("nickname", "13983001174")],
        )
        .await;
    assert_eq!(ids(&b), [100174]);
    let (_, b) = app
        .get(
            "/nearby/user",
            &[("access_token", &t), ("nickname", "周仕")],
        )
        .await;
    assert_eq!(ids(&b), Vec::<i64>::new());
    app.insert(&db, "config", vec![doc! {"nicknameSearchUser": 2}])
        .await;
    let (_, b) = app
        .get(
            "/nearby/user",
            &[("access_token", &t), ("nickname", "周仕")],
        )
        .await;
    assert_eq!(ids(&b), [100174]);
    // Nobody without a keyword or a point; never the system account.
    let (_, b) = app.get("/nearby/user", &[("access_token", &t)]).await;
    assert_eq!(b["data"], json!([]));
    let (_, b) = app
        .get(
            "/nearby/user",
            &[("access_token", &t), ("nickname", "10000451059")],
        )
        .await;
    assert_eq!(ids(&b), Vec::<i64>::new());
    // Near a point: users who share their position, not the caller.
    for (id, lng, lat) in [
        (100174, 116.40, 39.90),
        (100102, 116.41, 39.91),
        (100158, 121.47, 31.23),
        (100164, 116.40, 39.90),
    ] {
        app.store()
            .set_user_fields(id, doc! {"loc": {"lng": lng, "lat": lat}})
            .await
            .unwrap();
    }
    let (_, b) = app
        .get(
            "/nearby/user",
            &[
                ("access_token", &t),
                ("longitude", "116.40"),
                ("latitude", "39.90"),
                ("pageSize", "20"),
            ],
        )
        .await;
    let mut near = ids(&b);
    near.sort();
    assert_eq!(near, [100102, 100174]);
    refused(
        &app,
        "/nearby/user",
        &[
            ("access_token", &t),
            ("longitude", "500"),
            ("latitude", "39.9"),
        ],
        1010101,
    )
    .await;
    // A user who blacklisted the caller is not found.
    let other = app.token_for(100174).await;
    app.get(
        "/friends/blacklist/add",
        &[("access_token", &other), ("toUserId", "100164")],
    )
    .await;
    let (_, b) = app
        .get(
            "/nearby/user",
            &[("access_token", &t), ("nickname", "100174285603")],
        )
        .await;
    assert_eq!(ids(&b), Vec::<i64>::new());
    // WX.
    let (_, b) = app
        .post_form(
            "/nearby/nearbyUserWeb",
            &[
                ("access_token", &t),
                ("pageIndex", "0"),
                ("pageSize", "10"),
                ("nickname", "15730107952"),
            ],
        )
        .await;
    assert_eq!(b["data"]["pageData"][0]["userId"], 100102, "{b}");
    assert_eq!(b["data"]["pageData"][0]["friends"]["status"], 2);
}

/// Android's registration and recovery checks, and the secure clients'
/// signed password change (`/user/getRandomStr`, `/user/password/update/v1`).
#[actix_web::test]
async fn account_checks_and_the_signed_password_change() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let (_, b) = app
        .get(
            "/verify/telephone",
            &[("areaCode", "86"), ("telephone", "18094152050")],
        )
        .await;
    assert_eq!(b["resultCode"], 1040107, "{b}");
    let (_, b) = app
        .get(
            "/verify/telephone",
            &[("areaCode", "86"), ("telephone", "13000000999")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    for path in ["/basic/randcode/sendSms", "/getImgCode"] {
        let (s, b) = app
            .get(path, &[("areaCode", "86"), ("telephone", "13000000999")])
            .await;
        assert_eq!((s, b["resultCode"].as_i64()), (200, Some(0)), "{b}");
        assert_eq!(b["resultMsg"], "短信验证码服务未开通");
    }
    let (_, b) = app
        .get(
            "/authkeys/isSupportSecureChat",
            &[("areaCode", "86"), ("telephone", "18094152050")],
        )
        .await;
    assert_eq!(b["data"], json!({"isSupportSecureChat": 0}), "{b}");
    let (_, b) = app
        .get(
            "/authkeys/isSupportSecureChat",
            &[("telephone", "13000000999")],
        )
        .await;
    assert_eq!(b["resultCode"], 100211);

    let t = app.token_for(100164).await;
    let (_, b) = app.get("/user/getRandomStr", &[("access_token", &t)]).await;
    assert_eq!(b["resultCode"], 100220, "no message key pair yet: {b}");
    let keys = client::key_pair("123456");
    app.store()
        .set_msg_keys(
            100164,
            vec![("msgRsaKeyPair", keys.public_b64.clone(), "sealed".into())],
        )
        .await
        .unwrap();
    let (_, b) = app
        .get(
            "/authkeys/isSupportSecureChat",
            &[("telephone", "18094152050")],
        )
        .await;
    assert_eq!(b["data"]["isSupportSecureChat"], 1);
    let (_, b) = app.get("/user/getRandomStr", &[("access_token", &t)]).await;
    let sealed = client::unb64(b["data"]["userRandomStr"].as_str().unwrap());
    let random =
        String::from_utf8(keys.private.decrypt(rsa::Pkcs1v15Encrypt, &sealed).unwrap()).unwrap();
    let old = hex::decode(client::login_password("123456")).unwrap();
    let new = hex::decode(client::login_password("654321")).unwrap();
    let key = client::unb64(&client::aes(&new, client::API_KEY.as_bytes()));
    let params = |mac: &str| {
        vec![
            ("access_token", t.clone()),
            ("oldPassword", client::b64(&old)),
            ("newPassword", client::b64(&new)),
            ("mac", mac.to_string()),
            ("dhPublicKey", "dh-pub".to_string()),
            ("dhPrivateKey", "dh-priv".to_string()),
        ]
    };
    let before = app.snapshot().await;
    let (_, b) = app
        .post_pairs("/user/password/update/v1", &params("d3Jvbmc="))
        .await;
    assert_eq!(b["resultCode"], 10110, "{b}");
    assert!(app.snapshot().await == before);
    // A new string replaces the old one.
    let (_, b) = app.get("/user/getRandomStr", &[("access_token", &t)]).await;
    let sealed = client::unb64(b["data"]["userRandomStr"].as_str().unwrap());
    let random2 =
        String::from_utf8(keys.private.decrypt(rsa::Pkcs1v15Encrypt, &sealed).unwrap()).unwrap();
    assert_ne!(random, random2);
    let (_, b) = app
        .post_pairs(
            "/user/password/update/v1",
            &params(&client::hmac(&key, &random2)),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        user(&app, 100164).await.get_str("password"),
        Ok(client::login_password("654321").as_str())
    );
    let k = app.store().auth_keys_of(100164).await.unwrap().unwrap();
    assert_eq!(
        k.get_document("msgDHKeyPair").unwrap().get_str("publicKey"),
        Ok("dh-pub")
    );
    let (_, b) = app.get("/user/get", &[("access_token", &t)]).await;
    assert_eq!(b["resultCode"], 1030102, "sessions end");
    let (_, b) = app
        .get(
            "/user/password/reset/v1",
            &[
                ("telephone", "18094152050"),
                ("randcode", "1"),
                ("newPassword", "x"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1040104);
}

/// Android's `CoreManager` going to the background (`/user/outtime`) and its
/// QR scan of a business card (`/user/getByAccount`).
#[actix_web::test]
async fn going_offline_and_finding_by_account() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let before = chrono::Utc::now().timestamp();
    let (_, b) = app
        .get(
            "/user/outtime",
            &[("access_token", &t), ("userId", "100164")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let log = app
        .dump(&imapi(&app), "userLoginLog")
        .await
        .into_iter()
        .find(|d| d.get_i32("_id") == Ok(100164))
        .unwrap();
    let off = log
        .get_document("loginLog")
        .unwrap()
        .get_i64("offlineTime")
        .unwrap();
    assert!(off >= before && off < before + 60, "{off}");
    assert_eq!(
        log.get_document("loginLog").unwrap().get_i64("loginTime"),
        Ok(1612835799),
        "kept"
    );
    refused(
        &app,
        "/user/outtime",
        &[("access_token", &t), ("userId", "100102")],
        1030104,
    )
    .await;

    let (_, b) = app
        .get(
            "/user/getByAccount",
            &[("access_token", &t), ("account", "100174285603")],
        )
        .await;
    assert_eq!(b["data"]["userId"], 100174, "{b}");
    assert_eq!(b["data"]["nickname"], "周仕彦");
    assert!(
        b["data"].get("telephone").is_none() && b["data"].get("password").is_none(),
        "{b}"
    );
    let (_, b) = app
        .get(
            "/user/getByAccount",
            &[("access_token", &t), ("account", "100102")],
        )
        .await;
    assert_eq!(b["data"]["userId"], 100102);
    refused(
        &app,
        "/user/getByAccount",
        &[("access_token", &t), ("account", "nobody")],
        100211,
    )
    .await;
}

/// WX's chat header (`/user/getOnLineDevice`) and Android's bound accounts
/// (`//user/getBindInfo`, `//user/unbind`).
#[actix_web::test]
async fn online_state_and_third_party_accounts() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    let (_, b) = app
        .get(
            "/user/getOnLineDevice",
            &[("access_token", &t), ("userId", "100102")],
        )
        .await;
    assert_eq!(b["resultCode"], 1);
    assert!(b.get("data").is_none(), "offline: {b}");
    app.store()
        .set_user_fields(100102, doc! {"onlinestate": 1})
        .await
        .unwrap();
    let (_, b) = app
        .get(
            "/user/getOnLineDevice",
            &[("access_token", &t), ("userId", "100102")],
        )
        .await;
    assert_eq!(b["data"], "online");

    app.insert(&imapi(&app), "sdkLoginInfo", vec![doc! {"userId": 100164, "type": 2, "loginInfo": "wx-open-id", "createTime": 1_600_000_000i64}]).await;
    let (_, b) = app.get("//user/getBindInfo", &[("access_token", &t)]).await;
    assert_eq!(b["data"][0]["type"], 2, "{b}");
    assert_eq!(b["data"][0]["loginInfo"], "wx-open-id");
    assert!(b["data"][0]["id"].is_string());
    refused(
        &app,
        "//user/unbind",
        &[("access_token", &t), ("type", "1")],
        100208,
    )
    .await;
    let (_, b) = app
        .get("//user/unbind", &[("access_token", &t), ("type", "2")])
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(app.dump(&imapi(&app), "sdkLoginInfo").await.is_empty());
}
