//! The phones' push tokens (`/user/<vendor>/set…`, Android's
//! `MiMessageReceiver`, `HuaweiPushRevicer`, `MeizuPushMsgReceiver`, …; iOS
//! `apns/setToken`), the logout that drops them, `/user/report`,
//! `/user/checkReportUrl` (`WebViewActivity`) and `/user/verify/password`
//! (`LoginActivity`'s `VerifyDialog`).

use crate::common::{self, client};

use bson::{doc, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

async fn seeded() -> (TestApp, String, String) {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100164).await;
    let b = app.token_for(100102).await;
    (app, a, b)
}

/// The registration the push service reads (without Redis: the sessions'
/// collection), decoded: the stored value is a JSON string of fastjson text.
async fn registration(app: &TestApp, key: &str) -> Option<Value> {
    let found = app
        .dump(&app.store().cfg.imapi, "shiku_api_sessions")
        .await
        .into_iter()
        .find(|d| d.get_str("_id") == Ok(key))?;
    let outer: String = serde_json::from_str(found.get_str("value").unwrap()).unwrap();
    Some(serde_json::from_str(&outer).unwrap())
}

async fn push_infos(app: &TestApp) -> Vec<Document> {
    app.dump(&app.store().cfg.imapi, "pushInfo").await
}

async fn login_log(app: &TestApp, uid: i32) -> Document {
    app.dump(&app.store().cfg.imapi, "userLoginLog")
        .await
        .into_iter()
        .find(|d| d.get("_id") == Some(&Bson::Int32(uid)))
        .unwrap()
}

/// `userLoginLog.deviceMap.<device>` of the user.
async fn device_entry(app: &TestApp, uid: i32, device: &str) -> Document {
    login_log(app, uid)
        .await
        .get_document("deviceMap")
        .unwrap()
        .get_document(device)
        .unwrap()
        .clone()
}

async fn upload(
    app: &TestApp,
    uid: i64,
    tok: &str,
    path: &str,
    get: bool,
    extra: &[(&'static str, &str)],
) -> Value {
    let p = common::android(uid, tok, extra);
    let (status, r) = if get {
        app.get_pairs(path, &p).await
    } else {
        app.post_pairs(path, &p).await
    };
    assert_eq!(status, 200);
    r
}

#[actix_web::test]
async fn android_tokens_are_recorded_and_the_last_one_wins() {
    let (app, a, b) = seeded().await;
    // Xiaomi (most phones): POST regId, deviceId "1".
    let r = upload(
        &app,
        100164,
        &a,
        "/user/xmpush/setRegId",
        false,
        &[("regId", "mi-reg-1"), ("deviceId", "1")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let infos = push_infos(&app).await;
    assert_eq!(infos.len(), 1);
    let i = &infos[0];
    assert_eq!(i.get("userId"), Some(&Bson::Int32(100164)));
    assert_eq!(i.get_str("deviceKey").unwrap(), "android");
    assert_eq!(i.get_str("pushServer").unwrap(), "xiaomi");
    assert_eq!(i.get_str("pushToken").unwrap(), "mi-reg-1");
    assert!(
        matches!(i.get("time"), Some(Bson::Int64(t)) if *t > 1_700_000_000 && *t < 10_000_000_000)
    );
    let android = device_entry(&app, 100164, "android").await;
    assert_eq!(android.get_str("pushServer").unwrap(), "xiaomi");
    assert_eq!(android.get_str("pushToken").unwrap(), "mi-reg-1");
    assert_eq!(
        registration(&app, "impush:andoird:100164").await.unwrap(),
        json!({"deviceKey": "android", "loginTime": 0, "offlineTime": 0, "online": 0,
               "pushServer": "xiaomi", "pushToken": "mi-reg-1"})
    );

    // Huawei (GET, with the area): now the registration.
    let r = upload(
        &app,
        100164,
        &a,
        "/user/hwpush/setToken",
        true,
        &[("token", "hw-token-1"), ("adress", "CN"), ("deviceId", "3")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let reg = registration(&app, "impush:andoird:100164").await.unwrap();
    assert_eq!(reg["pushServer"], "huawei");
    assert_eq!(reg["pushToken"], "hw-token-1");
    assert_eq!(reg["adress"], "CN");
    assert_eq!(push_infos(&app).await.len(), 2);

    // Another account on the same phone takes the token over.
    let r = upload(
        &app,
        100102,
        &b,
        "/user/hwpush/setToken",
        true,
        &[("token", "hw-token-1"), ("adress", "CN"), ("deviceId", "3")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(registration(&app, "impush:andoird:100164").await.is_none());
    assert_eq!(
        registration(&app, "impush:andoird:100102").await.unwrap()["pushToken"],
        "hw-token-1"
    );
    let infos = push_infos(&app).await;
    assert_eq!(infos.len(), 2);
    let hw = infos
        .iter()
        .find(|d| d.get_str("pushServer") == Ok("huawei"))
        .unwrap();
    assert_eq!(hw.get("userId"), Some(&Bson::Int32(100102)));
    let android = device_entry(&app, 100164, "android").await;
    assert_eq!(android.get_str("pushToken").unwrap(), "");
    let log = login_log(&app, 100164).await;
    assert!(
        matches!(log.get_document("loginLog").unwrap().get("offlineTime"), Some(Bson::Int64(t)) if *t > 1_700_000_000)
    );

    // Meizu, vivo, OPPO without a pushId: the original's 0 "null pushId";
    // Xiaomi without a regId: success; nothing changes either way.
    let before = app.snapshot().await;
    for path in [
        "/user/MZPush/setPushId",
        "/user/VIVOPush/setPushId",
        "/user/OPPOPush/setPushId",
    ] {
        let r = upload(
            &app,
            100164,
            &a,
            path,
            false,
            &[("pushId", ""), ("deviceId", "4")],
        )
        .await;
        assert_eq!(
            (&r["resultCode"], &r["resultMsg"]),
            (&json!(0), &json!("null pushId")),
            "{path}: {r}"
        );
    }
    let r = upload(&app, 100164, &a, "/user/fcmPush/setToken", false, &[]).await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(0), &json!("null Token")),
        "{r}"
    );
    let r = upload(
        &app,
        100164,
        &a,
        "/user/xmpush/setRegId",
        false,
        &[("regId", ""), ("deviceId", "1")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let long = "x".repeat(513);
    let r = upload(
        &app,
        100164,
        &a,
        "/user/OPPOPush/setPushId",
        false,
        &[("pushId", long.as_str())],
    )
    .await;
    assert_eq!(r["resultCode"], 1010101, "{r}");
    assert!(app.snapshot().await == before);

    // vivo, then a logout with `deviceKey` (SettingActivity) drops it.
    let r = upload(
        &app,
        100164,
        &a,
        "/user/VIVOPush/setPushId",
        false,
        &[("pushId", "vivo-1"), ("deviceId", "5")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        registration(&app, "impush:andoird:100164").await.unwrap()["pushServer"],
        "vivo"
    );
    let r = upload(
        &app,
        100164,
        &a,
        "/user/logout",
        false,
        &[("deviceKey", "android")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(registration(&app, "impush:andoird:100164").await.is_none());
    let android = device_entry(&app, 100164, "android").await;
    assert_eq!(android.get_str("pushServer").unwrap(), "");
}

#[actix_web::test]
async fn iphone_tokens_keep_the_voip_token_beside_the_push_token() {
    let (app, a, _) = seeded().await;
    let p = |extra: &[(&'static str, &str)]| common::app_request(100164, &a, extra, false);
    // A VoIP token before any push token: nothing to attach it to.
    let (_, r) = app
        .post_pairs("/user/apns/setToken", &p(&[("token", "voip-1")]))
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(registration(&app, "impush:ios:100164").await.is_none());
    let (_, r) = app
        .post_pairs(
            "/user/apns/setToken",
            &p(&[
                ("token", "apns-1"),
                ("isVoip", "0"),
                ("appId", "com.example.im"),
            ]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let (_, r) = app
        .post_pairs(
            "/user/apns/setToken",
            &p(&[("token", "voip-2"), ("isVoip", "1")]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        registration(&app, "impush:ios:100164").await.unwrap(),
        json!({"appId": "com.example.im", "deviceKey": "ios", "loginTime": 0, "offlineTime": 0, "online": 0,
               "pushServer": "apns", "pushToken": "apns-1", "voipToken": "voip-2"})
    );
    let ios = device_entry(&app, 100164, "ios").await;
    assert_eq!(ios.get_str("pushServer").unwrap(), "apns");
    assert_eq!(ios.get_str("appId").unwrap(), "com.example.im");
}

/// iOS's other push services, as `JXServer` uploads them after login
/// (`POST user/jPush/setJPushIOSRegId regId, deviceId=4, appId`;
/// `POST user/channelId/set deviceId=2, channelId, appId`): JPush is kept
/// always, Baidu and APNs only when the console's `iosPushServer` names them
/// (the other uploads are answered and not kept, as by the original).
#[actix_web::test]
async fn iphone_jpush_and_baidu_registrations_follow_the_consoles_choice() {
    let (app, a, _) = seeded().await;
    let p = |extra: &[(&'static str, &str)]| {
        common::app_request(
            100164,
            &a,
            &[extra, &[("appId", "com.example.im")]].concat(),
            false,
        )
    };
    let (_, r) = app
        .post_pairs(
            "/user/jPush/setJPushIOSRegId",
            &p(&[("regId", "jp-ios-1"), ("deviceId", "4")]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        registration(&app, "impush:ios:100164").await.unwrap(),
        json!({"deviceKey": "ios", "loginTime": 0, "offlineTime": 0, "online": 0,
               "pushServer": "Jpush", "pushToken": "jp-ios-1"})
    );
    assert_eq!(
        device_entry(&app, 100164, "ios")
            .await
            .get_str("pushServer")
            .unwrap(),
        "Jpush"
    );
    // APNs (the default) keeps Baidu's upload out.
    let (_, r) = app
        .post_pairs(
            "/user/channelId/set",
            &p(&[("deviceId", "2"), ("channelId", "bd-1")]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        registration(&app, "impush:ios:100164").await.unwrap()["pushToken"],
        "jp-ios-1"
    );
    // The deviceId is required, as by the original's binding.
    let (_, r) = app
        .post_pairs("/user/channelId/set", &p(&[("channelId", "bd-1")]))
        .await;
    assert_eq!(r["resultCode"], 1010101, "{r}");
    // The console chooses Baidu: its upload is kept, the APNs one is not.
    app.store()
        .client
        .database(&app.store().cfg.imapi)
        .collection::<Document>("config")
        .update_one(doc! {}, doc! {"$set": {"iosPushServer": "baidu"}})
        .upsert(true)
        .await
        .unwrap();
    let (_, r) = app
        .post_pairs(
            "/user/channelId/set",
            &p(&[("deviceId", "2"), ("channelId", "bd-2")]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let (_, r) = app
        .post_pairs(
            "/user/apns/setToken",
            &p(&[("token", "apns-9"), ("isVoip", "0"), ("deviceId", "2")]),
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let reg = registration(&app, "impush:ios:100164").await.unwrap();
    assert_eq!(
        (&reg["pushServer"], &reg["pushToken"]),
        (&json!("baidu"), &json!("bd-2"))
    );
    assert_eq!(
        device_entry(&app, 100164, "ios")
            .await
            .get_str("pushToken")
            .unwrap(),
        "bd-2"
    );
}

/// With Redis the registration is under the original's key, as a Redisson
/// JSON string, for 7 days: what the Java push service reads.
#[actix_web::test]
async fn the_push_service_finds_the_registration_in_redis() {
    let url = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL: run scripts/test.sh");
    let app = TestApp::start_with(&[("REDIS_URL", &url)]).await;
    app.load_seed().await;
    // A user id of this test alone (Redis is shared by the tests).
    let uid: i64 = 200_000 + i64::from(rand::random::<u16>());
    let mut user = app
        .dump(&app.store().cfg.imapi, "user")
        .await
        .into_iter()
        .find(|d| d.get("_id") == Some(&Bson::Int32(100164)))
        .unwrap();
    user.insert("_id", uid as i32);
    app.insert(&app.store().cfg.imapi, "user", vec![user]).await;
    let tok = app.token_for(uid).await;
    let r = upload(
        &app,
        uid,
        &tok,
        "/user/xmpush/setRegId",
        false,
        &[("regId", "mi-redis"), ("deviceId", "1")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    // A user with no login log yet (registered, not logged in since): the
    // log starts with the device.
    let entry = device_entry(&app, uid as i32, "android").await;
    assert_eq!(entry.get_str("pushToken"), Ok("mi-redis"));
    assert_eq!(entry.get_str("pushServer"), Ok("xiaomi"));
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("impush:andoird:{uid}");
    let stored: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut con)
        .await
        .unwrap();
    let text: String = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        text,
        r#"{"deviceKey":"android","loginTime":0,"offlineTime":0,"online":0,"pushServer":"xiaomi","pushToken":"mi-redis"}"#
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut con)
        .await
        .unwrap();
    assert!((600_000..=604_800).contains(&ttl), "{ttl}");
    let r = upload(
        &app,
        uid,
        &tok,
        "/user/logout",
        false,
        &[("deviceKey", "android")],
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let gone: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(gone, None);
}

#[actix_web::test]
async fn reports_are_stored_for_the_console() {
    let (app, a, _) = seeded().await;
    let room = "60210278cb36d459fe88c196";
    for extra in [
        vec![("toUserId", "100102"), ("reason", "101")],
        vec![("roomId", room), ("reason", "210")],
        vec![
            ("webUrl", "https://bad.example/page?id=1"),
            ("reason", "304"),
        ],
    ] {
        let r = upload(&app, 100164, &a, "/user/report", true, &extra).await;
        assert_eq!(r["resultCode"], 1, "{extra:?}: {r}");
    }
    let reports = app.dump(&app.store().cfg.imapi, "Report").await;
    assert_eq!(reports.len(), 3);
    let user = &reports[0];
    assert_eq!(user.get("userId"), Some(&Bson::Int64(100164)));
    assert_eq!(user.get("toUserId"), Some(&Bson::Int64(100102)));
    assert_eq!(user.get_str("roomId").unwrap(), "");
    assert!(user.get("webUrl").is_none());
    assert_eq!(user.get("reason"), Some(&Bson::Int32(101)));
    assert_eq!(user.get("status"), Some(&Bson::Int32(1)));
    assert!(
        matches!(user.get("time"), Some(Bson::Int64(t)) if *t > 1_700_000_000 && *t < 10_000_000_000)
    );
    assert_eq!(reports[1].get_str("roomId").unwrap(), room);
    assert_eq!(reports[1].get("toUserId"), Some(&Bson::Int64(0)));
    assert_eq!(
        reports[2].get_str("webUrl").unwrap(),
        "https://bad.example/page?id=1"
    );

    // Nothing named, or a room id that is none: refused, nothing stored.
    for extra in [
        vec![("reason", "101")],
        vec![("roomId", "nope"), ("reason", "210")],
        vec![("toUserId", "x")],
    ] {
        let p = common::android(100164, &a, &extra);
        common::refused(&app, "/user/report", &p, 1010101).await;
    }

    // At most 50 reports a day: the 50th is taken, the 51st refused;
    // yesterday's don't count.
    let now = chrono::Utc::now().timestamp();
    let earlier: Vec<Document> = (0..46)
        .map(|i| {
            doc! {"userId": 100164i64, "toUserId": 100102i64, "roomId": "", "reason": 101,
            "time": now - 60 - i, "status": 1}
        })
        .chain([
            doc! {"userId": 100164i64, "toUserId": 100102i64, "roomId": "", "reason": 101,
            "time": now - 90_000, "status": 1},
        ])
        .collect();
    app.insert(&app.store().cfg.imapi, "Report", earlier).await;
    let p = common::android(100164, &a, &[("toUserId", "100102"), ("reason", "101")]);
    let (_, r) = app.post_pairs("/user/report", &p).await;
    assert_eq!(r["resultCode"], 1, "the 50th: {r}");
    common::refused(&app, "/user/report", &p, 0).await;
}

/// `WebViewActivity` asks before it opens a page, signed as before login;
/// the console blocks a reported page's host by `webStatus` -1.
#[actix_web::test]
async fn pages_of_blocked_hosts_are_not_shown() {
    let (app, a, _) = seeded().await;
    let check = |url: &'static str| {
        let app = &app;
        let a = a.clone();
        async move {
            let mut p: Vec<(&'static str, String)> = vec![
                ("webUrl", url.to_string()),
                ("language", "zh".to_string()),
                ("access_token", a),
            ];
            client::sign_open(&mut p, &client::salt());
            let (status, r) = app.get_pairs("/user/checkReportUrl", &p).await;
            assert_eq!(status, 200);
            r
        }
    };
    let r = check("https://bad.example/page").await;
    assert_eq!(
        (&r["resultCode"], &r["data"]),
        (&json!(1), &json!(true)),
        "{r}"
    );
    app.insert(
        &app.store().cfg.imapi,
        "Report",
        vec![doc! {"userId": 100102i64, "toUserId": 0i64, "roomId": "", "webUrl": "https://BAD.example/other",
                   "reason": 304, "time": 1_700_000_000i64, "status": 1, "webStatus": -1}],
    )
    .await;
    let r = check("https://bad.example/page").await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(100203), &json!("该网页地址已被举报")),
        "{r}"
    );
    let r = check("http://m.bad.example/").await;
    assert_eq!(r["resultCode"], 100203, "a subdomain: {r}");
    // Look-alike hosts and links naming the host elsewhere are shown.
    for fine in [
        "https://good.example/",
        "weixin://dl/chat",
        "https://bad.example.evil.net/",
        "https://notbad.example/",
        "https://good.example/?next=bad.example",
    ] {
        let r = check(fine).await;
        assert_eq!(r["resultCode"], 1, "{fine}: {r}");
    }
    // No login needed; no address is a missing parameter.
    let (_, r) = app
        .get(
            "/user/checkReportUrl",
            &[("webUrl", "https://good.example/")],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let (_, r) = app.get("/user/checkReportUrl", &[]).await;
    assert_eq!(r["resultCode"], 1010102, "{r}");
}

#[actix_web::test]
async fn the_password_is_verified_against_the_stored_login_password() {
    let (app, a, _) = seeded().await;
    let stored = client::login_password("123456");
    app.insert(
        &app.store().cfg.imapi,
        "auth_keys",
        vec![doc! {"_id": 100164, "password": stored.as_str()}],
    )
    .await;
    let p = common::android(100164, &a, &[("password", stored.as_str())]);
    let (_, r) = app.get_pairs("/user/verify/password", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let wrong = client::login_password("654321");
    let p = common::android(100164, &a, &[("password", wrong.as_str())]);
    common::refused(&app, "/user/verify/password", &p, 100222).await;
    let p = common::android(100164, &a, &[]);
    common::refused(&app, "/user/verify/password", &p, 1010101).await;
}

/// A token taken over by another account on an old phone leaves the
/// previous holder's newer phone alone: only a registration that still is
/// that token is dropped.
#[actix_web::test]
async fn a_taken_token_leaves_the_holders_newer_phone_alone() {
    let (app, a, b) = seeded().await;
    let hw = [
        ("token", "hw-old-phone"),
        ("adress", "CN"),
        ("deviceId", "3"),
    ];
    let r = upload(&app, 100164, &a, "/user/hwpush/setToken", true, &hw).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    // 100164 moves to a new Xiaomi phone: its registration is the new token.
    let mi = [("regId", "mi-new-phone"), ("deviceId", "1")];
    let r = upload(&app, 100164, &a, "/user/xmpush/setRegId", false, &mi).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    // 100102 logs in on the old Huawei phone, which uploads its token.
    let r = upload(&app, 100102, &b, "/user/hwpush/setToken", true, &hw).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let reg = registration(&app, "impush:andoird:100164").await.unwrap();
    assert_eq!(reg["pushToken"], "mi-new-phone");
    let android = device_entry(&app, 100164, "android").await;
    assert_eq!(android.get_str("pushServer").unwrap(), "xiaomi");
    assert_eq!(android.get_str("pushToken").unwrap(), "mi-new-phone");
    assert_eq!(
        registration(&app, "impush:andoird:100102").await.unwrap()["pushToken"],
        "hw-old-phone"
    );
    let infos = push_infos(&app).await;
    let old = infos
        .iter()
        .find(|d| d.get_str("pushToken") == Ok("hw-old-phone"))
        .unwrap();
    assert_eq!(old.get("userId"), Some(&Bson::Int32(100102)));
}
