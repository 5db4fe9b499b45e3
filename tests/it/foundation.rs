//! Foundation: envelope, parameters, auth, login, config, health, indexes, seed.

use crate::common;

use bson::{doc, Document};
use common::TestApp;
use serde_json::json;
use shiku_api::secure::{login_password as encode_password, md5_hex};

async fn insert_raw_user(app: &TestApp, id: i32, phone: &str, stored_password: &str) {
    app.insert_user(id, phone, stored_password).await;
}

#[actix_web::test]
async fn config_is_open_and_enveloped_on_get_and_post() {
    let app = TestApp::start().await;
    for (status, body) in [
        app.get("/config", &[]).await,
        app.post_form("/config", &[]).await,
    ] {
        assert_eq!(status, 200);
        assert_eq!(body["resultCode"], 1);
        assert!(body["currentTime"].as_i64().unwrap() > 1_600_000_000_000);
        assert_eq!(body["data"]["XMPPDomain"], "im.shiku.co");
        assert_eq!(body["data"]["xMPPDomain"], "im.shiku.co");
        assert_eq!(body["data"]["xmppPingTime"], 72);
        // An empty database: uploads go to this service, downloads to the file server.
        assert_eq!(body["data"]["uploadUrl"], format!("{}/", app.base));
        assert_eq!(body["data"]["apiUrl"], format!("{}/", app.base));
        assert_eq!(body["data"]["downloadUrl"], "http://files.test/");
        assert_eq!(body["data"]["showContactsUser"], 0);
        assert!(body.get("resultMsg").is_none());
    }
    let (s, t) = app.get("/getCurrentTime", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(t["resultCode"], 1);
    assert!(t["data"].as_i64().unwrap() > 1_600_000_000_000);
}

/// `/config` answers the configuration stored by the admin console
/// (`imapi.config`, `clientConfig`, `payConfig`, `_id` 10000 each), with the
/// operator's settings over it.
#[actix_web::test]
async fn config_answers_the_stored_configuration() {
    let app = TestApp::start_with(&[("XMPP_HOST", "im.example.net")]).await;
    let db = app.store().cfg.imapi.clone();
    app.insert(&db, "clientConfig", vec![doc! {"_id": 10000i64, "XMPPDomain": "im.deploy.cn",
        "XMPPHost": "10.0.0.1", "apiUrl": "http://113.207.109.120:8094/", "uploadUrl": "http://10.0.0.2:8088/",
        "downloadUrl": "http://10.0.0.2:8089/", "downloadAvatarUrl": "http://10.0.0.2:8089/",
        "showContactsUser": 0, "isOpenSecureChat": 1, "secretNobodyReads": "x",
        "jitsiServer": bson::Bson::Null}]).await;
    app.insert(
        &db,
        "config",
        vec![
            doc! {"_id": 10000i64, "XMPPTimeout": 200, "isOpenReceipt": 0,
            "locationModiyTime": 30, "isAuthApi": 1, "smsPassword": "hidden"},
        ],
    )
    .await;
    app.insert(
        &db,
        "payConfig",
        vec![doc! {"_id": 10000i64, "isOpenCloudWallet": 0}],
    )
    .await;
    let (_, b) = app.post_form("/config", &[]).await;
    let d = &b["data"];
    assert_eq!(d["XMPPDomain"], "im.deploy.cn");
    assert_eq!(d["xMPPDomain"], "im.deploy.cn");
    assert_eq!(
        d["XMPPHost"], "im.example.net",
        "the setting overrides the stored value"
    );
    assert_eq!(d["apiUrl"], "http://113.207.109.120:8094/");
    assert_eq!(d["uploadUrl"], "http://10.0.0.2:8088/");
    assert_eq!(d["downloadUrl"], "http://10.0.0.2:8089/");
    assert_eq!(d["isOpenSecureChat"], 1);
    assert_eq!(d["jitsiServer"], "", "a stored null keeps the default");
    assert_eq!(d["XMPPTimeout"], 200);
    assert_eq!(d["xmppPingTime"], 80);
    assert_eq!(d["isOpenReceipt"], 0);
    assert_eq!(d["locateInterval"], 30);
    assert_eq!(d["isOpenCloudWallet"], 0);
    for hidden in ["secretNobodyReads", "smsPassword", "isAuthApi", "_id"] {
        assert!(d.get(hidden).is_none(), "{hidden} is not part of ConfigVO");
    }
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "fastjson's order");
}

#[actix_web::test]
async fn token_errors_use_the_filter_envelope() {
    let app = TestApp::start().await;
    let (s, b) = app.get("/user/logout", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"resultCode": 1030101, "resultMsg": "缺少访问令牌"})
    );
    let (_, b) = app
        .post_form("/user/logout", &[("access_token", "nope")])
        .await;
    assert_eq!(
        b,
        json!({"resultCode": 1030102, "resultMsg": "访问令牌过期或无效"})
    );
    // An expired Mongo session is refused even before the TTL monitor removes it.
    app.store()
        .sessions()
        .insert_one(doc! {"_id": "loginToken:userId:old", "value": "\"100164\"",
        "expireAt": bson::DateTime::from_millis(1000)})
        .await
        .unwrap();
    let (_, b) = app.get("/user/logout", &[("access_token", "old")]).await;
    assert_eq!(b["resultCode"], 1030102);
}

#[actix_web::test]
async fn login_accepts_both_original_password_schemes() {
    let app = TestApp::start().await;
    let md5_pw = md5_hex(b"secret1");
    // Newer server: stored = encodeFromOldPassword(md5(pw)); older: stored = md5(pw).
    insert_raw_user(&app, 100201, "13800000001", &encode_password("secret1")).await;
    insert_raw_user(&app, 100202, "13800000002", &md5_pw).await;
    for phone in ["13800000001", "13800000002"] {
        let (s, b) = app
            .get(
                "/user/login",
                &[
                    ("telephone", phone),
                    ("areaCode", "86"),
                    ("password", &md5_pw),
                ],
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["resultCode"], 1, "{b}");
        let token = b["data"]["access_token"].as_str().unwrap().to_string();
        assert_eq!(token.len(), 32);
        // 30 days, the newer server's `loginToken:userId:*` expiry.
        assert_eq!(b["data"]["expires_in"], 2592000);
        assert_eq!(b["data"]["nickname"], "张益达");
        assert_eq!(b["data"]["settings"]["chatSyncTimeLen"], 30.0);
        // Logging in again reuses the live token, like KSessionUtil.
        let (_, again) = app
            .post_form(
                "/user/login",
                &[("telephone", phone), ("password", &md5_pw)],
            )
            .await;
        assert_eq!(again["data"]["access_token"], token.as_str());
        // The token works, and logout ends it.
        let (_, out) = app.get("/user/logout", &[("access_token", &token)]).await;
        assert_eq!(out["resultCode"], 1);
        let (_, after) = app.get("/user/logout", &[("access_token", &token)]).await;
        assert_eq!(after["resultCode"], 1030102);
    }
    let (_, bad) = app
        .get(
            "/user/login",
            &[("telephone", "13800000001"), ("password", &md5_hex(b"x"))],
        )
        .await;
    assert_eq!(bad["resultCode"], 0);
    assert_eq!(bad["resultMsg"], "帐号或密码错误");
    let (_, unknown) = app
        .get(
            "/user/login",
            &[("telephone", "13999999999"), ("password", &md5_pw)],
        )
        .await;
    assert_eq!(unknown["resultCode"], 0);
    assert_eq!(unknown["resultMsg"], "帐号不存在, 请注册!");
}

#[actix_web::test]
async fn parameter_errors_are_1010101_not_500() {
    let app = TestApp::start().await;
    let (s, b) = app
        .get("/user/login", &[("userId", "abc"), ("password", "x")])
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["resultCode"], 1010101);
    assert_eq!(b["resultMsg"], "请求参数验证失败，缺少必填参数或参数错误");
    let (_, b) = app.post_form("/user/login", &[]).await;
    assert_eq!(b["resultCode"], 1010101);
}

#[actix_web::test]
async fn register_then_login_stores_the_original_user_shape() {
    let app = TestApp::start().await;
    let pw = md5_hex(b"pw");
    let (_, b) = app
        .post_form(
            "/user/register",
            &[
                ("telephone", "13700000009"),
                ("password", &pw),
                ("nickname", "新人"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let uid = b["data"]["userId"].as_i64().unwrap();
    assert_eq!(uid, 100001);
    let u = app.store().user_by_id(uid).await.unwrap().unwrap();
    assert_eq!(u.get("_id"), Some(&bson::Bson::Int32(100001)));
    assert_eq!(u.get_str("telephone").unwrap(), "8613700000009");
    assert_eq!(u.get_str("password").unwrap(), encode_password("pw"));
    assert!(matches!(u.get("createTime"), Some(bson::Bson::Int64(_))));
    // The deployment's userType (2) with its userRoles document; what the
    // original computes for /user/get is not stored.
    assert_eq!(u.get_i32("userType"), Ok(2));
    for computed in [
        "role",
        "myInviteCode",
        "notLetSeeHim",
        "notSeeHim",
        "showLastLoginTime",
        "walletUserNo",
        "isOpenResetPwd",
    ] {
        assert!(u.get(computed).is_none(), "{computed} stored");
    }
    let imapi = app.store().cfg.imapi.clone();
    let roles = app.dump(&imapi, "userRoles").await;
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].get_i32("userId"), Ok(100001));
    assert_eq!(roles[0].get_i32("role"), Ok(2));
    assert_eq!(roles[0].get_i32("status"), Ok(1));
    assert_eq!(roles[0].get_str("phone"), Ok("8613700000009"));
    assert!(matches!(roles[0].get("_id"), Some(bson::Bson::ObjectId(_))));
    // The counter has the original's shape (createIdxUserCollection).
    let idx = app.dump(&imapi, "idx_user").await;
    assert_eq!(idx.len(), 1);
    let mut counter = idx[0].clone();
    assert!(matches!(
        counter.remove("_id"),
        Some(bson::Bson::ObjectId(_))
    ));
    assert_eq!(
        counter,
        bson::doc! {"id": 100001, "stub": "id", "call": 300000, "videoMeetingNo": 350000, "inviteCodeNo": 1001}
    );
    let (_, me) = app
        .get(
            "/user/get",
            &[("access_token", b["data"]["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(me["data"]["role"], serde_json::json!([2]));
    assert_eq!(me["data"]["userType"], 2);
    let (_, dup) = app
        .post_form(
            "/user/register",
            &[("telephone", "13700000009"), ("password", &pw)],
        )
        .await;
    assert_eq!(dup["resultCode"], 1040107);
    assert_eq!(app.dump(&app.store().cfg.imapi, "user").await.len(), 1);
    let (_, l) = app
        .get(
            "/user/login",
            &[("telephone", "13700000009"), ("password", &pw)],
        )
        .await;
    assert_eq!(l["resultCode"], 1);
}

/// With `NEW_USER_TYPE=sent` the client's `userType` is stored, as the
/// original does (QZ sends 1): no role document then. An existing counter of
/// the original's is used as it is.
#[actix_web::test]
async fn register_can_store_the_sent_user_type() {
    let app = TestApp::start_with(&[("NEW_USER_TYPE", "sent")]).await;
    let imapi = app.store().cfg.imapi.clone();
    let counter_id = bson::oid::ObjectId::new();
    app.insert(
        &imapi,
        "idx_user",
        vec![
            bson::doc! {"_id": counter_id, "id": 100480, "stub": "id", "call": 300007,
            "videoMeetingNo": 350002, "inviteCodeNo": 1003},
        ],
    )
    .await;
    let (_, b) = app
        .post_form(
            "/user/register",
            &[
                ("telephone", "13700000010"),
                ("password", &md5_hex(b"pw")),
                ("userType", "1"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["userId"], 100481);
    let u = app.store().user_by_id(100481).await.unwrap().unwrap();
    assert_eq!(u.get_i32("userType"), Ok(1));
    assert!(app.dump(&imapi, "userRoles").await.is_empty());
    assert_eq!(
        app.dump(&imapi, "idx_user").await,
        vec![
            bson::doc! {"_id": counter_id, "id": 100481, "stub": "id", "call": 300007,
            "videoMeetingNo": 350002, "inviteCodeNo": 1003}
        ]
    );
}

#[actix_web::test]
async fn redis_sessions_use_the_original_keys() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        panic!("TEST_REDIS_URL is not set: scripts/test.sh starts redis-server");
    };
    let app = TestApp::start_with(&[("REDIS_URL", &url)]).await;
    insert_raw_user(&app, 100301, "13800000301", &md5_hex(b"pw")).await;
    // A session written by the Java server (plain string values) is honoured.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("loginToken:userId:javatoken")
        .arg("100301")
        .query_async(&mut con)
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("loginToken:token:100301")
        .arg("javatoken")
        .query_async(&mut con)
        .await
        .unwrap();
    let (_, b) = app
        .get(
            "/user/login",
            &[("telephone", "13800000301"), ("password", &md5_hex(b"pw"))],
        )
        .await;
    assert_eq!(b["data"]["access_token"], "javatoken");
    let ttl: i64 = redis::cmd("TTL")
        .arg("loginToken:userId:javatoken")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(ttl > 2_500_000, "30-day expiry, got {ttl}");
    let (_, out) = app
        .get("/user/logout", &[("access_token", "javatoken")])
        .await;
    assert_eq!(out["resultCode"], 1);
    let gone: Option<String> = redis::cmd("GET")
        .arg("loginToken:token:100301")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(gone, None);
}

#[actix_web::test]
async fn health_reports_both_ways() {
    let app = TestApp::start().await;
    let (s, b) = app.get("/health", &[]).await;
    assert_eq!((s, b["mongodb"].as_str()), (200, Some("up")));
    // The same app pointed at a port nothing listens on.
    let dead = TestApp::start_with(&[
        (
            "MONGODB_URI",
            "mongodb://127.0.0.1:1/?directConnection=true",
        ),
        ("MONGO_TIMEOUT_MS", "300"),
    ])
    .await;
    let (s, b) = dead.get("/health", &[]).await;
    assert_eq!((s, b["mongodb"].as_str()), (503, Some("down")));
    // And a token check during the outage fails fast with the envelope.
    let (s, b) = dead.get("/user/logout", &[("access_token", "x")]).await;
    assert_eq!(s, 503);
    assert_eq!(b["resultCode"], 1020101);
}

#[actix_web::test]
async fn indexes_twice_is_a_noop_and_seed_twice_is_identical() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let n1 = app.store().create_all_indexes().await.unwrap();
    let list1: Vec<_> = app.store().users().list_index_names().await.unwrap();
    let n2 = app.store().create_all_indexes().await.unwrap();
    assert_eq!(n1, n2);
    assert_eq!(list1, app.store().users().list_index_names().await.unwrap());
    let before = app.snapshot().await;
    app.load_seed().await;
    assert_eq!(before, app.snapshot().await);
}

/// Indexes an earlier build of this service created and replaced are dropped by
/// `indexes`; the original server's and unknown ones are left alone.
#[actix_web::test]
async fn indexes_drops_only_our_retired_indexes() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let msgs = app.store().msgs_db().collection::<Document>("10");
    let last = app.store().lastchat_db().collection::<Document>("10");
    for (coll, keys) in [
        (&msgs, doc! {"sender": 1, "receiver": 1, "timeSend": -1}),
        (&msgs, doc! {"receiver": 1, "ts": 1}),
        (&last, doc! {"userId": 1, "timeSend": -1}),
    ] {
        coll.create_index(mongodb::IndexModel::builder().keys(keys).build())
            .await
            .unwrap();
    }
    app.store().create_all_indexes().await.unwrap();
    let names = |c: &mongodb::Collection<Document>| {
        let c = c.clone();
        async move { c.list_index_names().await.unwrap() }
    };
    let m = names(&msgs).await;
    assert!(
        !m.contains(&"sender_1_receiver_1_timeSend_-1".to_string()),
        "{m:?}"
    );
    for kept in [
        "receiver_1_ts_1",
        "sender_1_receiver_1_seqNo_1_timeSend_-1",
        "sender_1_receiver_1_delayedTime_1_timeSend_-1",
    ] {
        assert!(m.contains(&kept.to_string()), "{kept}: {m:?}");
    }
    let l = names(&last).await;
    assert!(!l.contains(&"userId_1_timeSend_-1".to_string()), "{l:?}");
    assert!(
        l.contains(&"userId_1_isRoom_1_timeSend_-1".to_string()),
        "{l:?}"
    );
}

#[actix_web::test]
async fn login_is_rate_limited_per_ip() {
    let app = TestApp::start_with(&[("LOGIN_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        let (s, b) = app
            .get(
                "/user/login",
                &[("telephone", "13900000000"), ("password", "x")],
            )
            .await;
        assert_eq!((s, b["resultCode"].as_i64()), (200, Some(0)));
    }
    let (s, b) = app
        .get(
            "/user/login",
            &[("telephone", "13900000000"), ("password", "x")],
        )
        .await;
    assert_eq!(s, 429);
    assert_eq!(b["resultCode"], 0);
    assert_eq!(b["resultMsg"], "请求过于频繁，请稍后再试");
}

#[actix_web::test]
async fn openapi_describes_every_dialect() {
    let app = TestApp::start().await;
    let (s, doc) = app.get("/openapi.json", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/tigase/shiku_msgs",
        "/room/add",
        "/msg/send_msg",
        "/api/im/sendMsg",
        "/upload/UploadServlet",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["paths"]["/tigase/shiku_msgs"].get("post").is_some());
}

/// Review #16: behind a trusted proxy each client (by `X-Forwarded-For`)
/// has its own allowance; a client's own `X-Forwarded-For` changes nothing
/// without one; registrations and OpenIM token requests count too.
#[actix_web::test]
async fn the_login_limit_is_per_client_behind_a_proxy_and_covers_registration() {
    let login = |app: &TestApp, xff: &'static str| {
        let req = app
            .http
            .get(format!("{}/user/login", app.base))
            .query(&[("telephone", "13900000000"), ("password", "x")])
            .header("X-Forwarded-For", xff);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let app =
        TestApp::start_with(&[("LOGIN_PER_MINUTE", "2"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    assert_eq!(login(&app, "1.2.3.4").await, 200);
    assert_eq!(
        login(&app, "9.9.9.9, 1.2.3.4").await,
        200,
        "the address the proxy appended counts"
    );
    assert_eq!(login(&app, "1.2.3.4").await, 429);
    assert_eq!(login(&app, "5.6.7.8").await, 200, "another client");

    // Without a trusted proxy the header is the client's word: ignored.
    let app = TestApp::start_with(&[("LOGIN_PER_MINUTE", "2")]).await;
    assert_eq!(login(&app, "1.1.1.1").await, 200);
    assert_eq!(login(&app, "2.2.2.2").await, 200);
    assert_eq!(login(&app, "3.3.3.3").await, 429);
    let (s, _) = app
        .get(
            "/user/register",
            &[("telephone", "13700000077"), ("password", &md5_hex(b"pw"))],
        )
        .await;
    assert_eq!(s, 429, "registration counts too");
    let (s, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[("operationID", "op-limit")],
            &json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
        )
        .await;
    assert_eq!(s, 429, "{b}");
}

/// Review #24: the stored password is no password: for a user whose login
/// password is kept in the newer form, sending the stored value fails; a
/// registration never stores what it is sent (a non-md5 one is refused).
#[actix_web::test]
async fn the_stored_password_does_not_log_in() {
    let app = TestApp::start().await;
    let pw = md5_hex(b"pw");
    let (_, b) = app
        .post_form(
            "/user/register",
            &[("telephone", "13700000033"), ("password", &pw)],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let stored = app
        .store()
        .user_by_telephone("8613700000033")
        .await
        .unwrap()
        .unwrap()
        .get_str("password")
        .unwrap()
        .to_string();
    assert_eq!(stored, encode_password("pw"));
    let (_, b) = app
        .get(
            "/user/login",
            &[("telephone", "13700000033"), ("password", &stored)],
        )
        .await;
    assert_eq!(b["resultCode"], 0, "the stored value: {b}");
    let (_, b) = app
        .get(
            "/user/login",
            &[("telephone", "13700000033"), ("password", &pw)],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let before = app.snapshot().await;
    let (_, b) = app
        .post_form(
            "/user/register",
            &[("telephone", "13700000034"), ("password", "plain-text")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101, "{b}");
    assert!(app.snapshot().await == before);
}
