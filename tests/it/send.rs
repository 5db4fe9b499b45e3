//! Sending: `/console/oneSendOne` and OpenIM `/msg/send_msg` (+ token endpoints),
//! stored through the one message writer. Records are read back raw from the
//! store and compared key by key with seed records of the same kind.

use crate::common;

use bson::{doc, Bson, Document};
use common::TestApp;
use futures::TryStreamExt;
use serde_json::{json, Value};
use shiku_api::store::sessions::Kind;

const ROOM_JID: &str = "6c1536dbf97540d1b906d76f4272a90d";
const OP: (&str, &str) = ("operationID", "op-1");

fn seed() -> Value {
    serde_json::from_str(shiku_api::seed::SEED_JSON).unwrap()
}

fn seed_doc(v: &Value) -> Document {
    match Bson::try_from(v.clone()).unwrap() {
        Bson::Document(d) => d,
        _ => unreachable!(),
    }
}

async fn start() -> TestApp {
    let app = TestApp::start().await;
    app.load_seed().await;
    app
}

async fn admin_token(app: &TestApp, uid: i64) -> String {
    let t = format!("adm{uid}x{}", rand::random::<u32>());
    app.state.sessions.save(Kind::Admin, uid, &t).await.unwrap();
    t
}

async fn find(app: &TestApp, db: &str, coll: &str, filter: Document) -> Vec<Document> {
    app.store()
        .client
        .database(db)
        .collection::<Document>(coll)
        .find(filter)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Same keys in the same order with the same BSON types as the seed record
/// (its `_id` aside); the `message` JSON has the seed's keys and JSON types.
fn assert_like_seed(ours: &Document, seed: &Document, extra_json_keys: &[&str]) {
    let ok: Vec<(&String, bson::spec::ElementType)> = ours
        .iter()
        .filter(|(k, _)| *k != "_id")
        .map(|(k, v)| (k, v.element_type()))
        .collect();
    let sk: Vec<(&String, bson::spec::ElementType)> = seed
        .iter()
        .filter(|(k, _)| *k != "_id")
        .map(|(k, v)| (k, v.element_type()))
        .collect();
    assert_eq!(ok, sk);
    if let (Ok(a), Ok(b)) = (ours.get_str("message"), seed.get_str("message")) {
        let a: Value = serde_json::from_str(a).unwrap();
        let b: Value = serde_json::from_str(b).unwrap();
        let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
        for (k, bv) in b {
            let av = a.get(k).unwrap_or_else(|| panic!("message lacks {k}"));
            assert_eq!(
                std::mem::discriminant(av),
                std::mem::discriminant(bv),
                "message key {k}"
            );
            assert_eq!(av.is_f64(), bv.is_f64(), "message key {k} number kind");
            if let (Some(ah), Some(bh)) = (av.as_object(), bv.as_object()) {
                assert_eq!(ah.keys().collect::<Vec<_>>(), bh.keys().collect::<Vec<_>>());
            }
        }
        for k in a.keys() {
            assert!(
                b.contains_key(k) || extra_json_keys.contains(&k.as_str()),
                "unexpected message key {k}"
            );
        }
    }
}

fn message_json(d: &Document) -> Value {
    serde_json::from_str(d.get_str("message").unwrap()).unwrap()
}

/// Both sides' records and last-chats of a single-chat message.
async fn assert_single(app: &TestApp, mid: &str, from: i64, to: i64, content: &str, t: i64) {
    let msgs = &app.store().cfg.msgs;
    let s = seed();
    let seed_rec = seed_doc(&s["msgs"]["10"][0]);
    let seed_last = seed_doc(&s["lastchat"]["10"][0]);
    for (owner, peer, direction, is_read) in [(from, to, 0, 1), (to, from, 1, 0)] {
        let shard = shiku_api::store::names::user_shard(owner);
        let recs = find(
            app,
            msgs,
            &shard,
            doc! {"messageId": mid, "sender": owner.to_string()},
        )
        .await;
        assert_eq!(recs.len(), 1, "one record for {owner}");
        let r = &recs[0];
        assert_like_seed(r, &seed_rec, &[]);
        assert_eq!(r.get_i32("direction").unwrap(), direction);
        assert_eq!(r.get_str("receiver").unwrap(), peer.to_string());
        assert_eq!(
            r.get_str("sender_jid").unwrap().split('/').next().unwrap(),
            from.to_string()
        );
        assert_eq!(r.get_str("receiver_jid").unwrap(), to.to_string());
        assert_eq!(r.get_i32("isRead").unwrap(), is_read);
        assert_eq!(r.get_i64("timeSend").unwrap(), t);
        assert_eq!(r.get_str("content").unwrap(), content);
        let m = message_json(r);
        assert_eq!(m["fromUserId"], from.to_string());
        assert_eq!(m["toUserId"], to.to_string());
        assert_eq!(m["messageHead"]["chatType"], 1);
        assert_eq!(m["messageHead"]["messageId"], mid);
        assert_eq!(m["messageHead"]["to"], to.to_string());
        assert_eq!(m["timeSend"], t);
        assert_eq!(m["content"], content);

        let last = find(
            app,
            &app.store().cfg.lastchat,
            &shard,
            doc! {"userId": owner.to_string(), "jid": peer.to_string()},
        )
        .await;
        assert_eq!(last.len(), 1);
        assert_like_seed(&last[0], &seed_last, &[]);
        assert_eq!(last[0].get_str("messageId").unwrap(), mid);
        assert_eq!(last[0].get_str("to").unwrap(), to.to_string());
    }
}

// ------------------------------------------------------------ console

#[actix_web::test]
async fn one_send_one_stores_both_sides_like_the_seed() {
    let app = start().await;
    let tok = admin_token(&app, 100164).await;
    for (i, via_post) in [false, true].into_iter().enumerate() {
        let content = format!("任务{i}");
        let params = [
            ("access_token", tok.as_str()),
            ("flag", "rw"),
            ("type", "1"),
            ("content", content.as_str()),
            ("sendPhone", "18094152050"),
            ("toUserPhone", "15730107952"),
        ];
        let (s, b) = if via_post {
            app.post_form("/console/oneSendOne", &params).await
        } else {
            app.get("/console/oneSendOne", &params).await
        };
        assert_eq!(s, 200);
        assert_eq!(b["resultCode"], 1);
        assert!(b["currentTime"].as_i64().unwrap() > 1_600_000_000_000);
        assert_eq!(b.as_object().unwrap().len(), 2, "{b}");
        let recs = find(
            &app,
            &app.store().cfg.msgs,
            "10",
            doc! {"content": &content, "direction": 0},
        )
        .await;
        assert_eq!(recs.len(), 1);
        let mid = recs[0].get_str("messageId").unwrap().to_string();
        let t = recs[0].get_i64("timeSend").unwrap();
        assert_single(&app, &mid, 100164, 100102, &content, t).await;
        let m = message_json(&recs[0]);
        assert_eq!(m["fromUserName"], "张益达");
        assert_eq!(m["toUserName"], "A9gz0");
    }
}

/// The task system logs in to the console (`/console/login`, a user with a
/// console role) and pushes with the token it gets.
#[actix_web::test]
async fn console_login_feeds_one_send_one() {
    let app = start().await;
    let imapi = app.store().cfg.imapi.clone();
    app.insert(
        &imapi,
        "userRoles",
        vec![doc! {"_id": bson::oid::ObjectId::new(), "userId": 100164,
        "phone": "8618094152050", "role": 5, "status": 1, "createTime": 1612772503i64}],
    )
    .await;
    let pw = common::client::md5_hex("123456");
    let refusals = [
        (
            vec![
                ("account", "18094152050"),
                ("password", "e10adc3949ba59abbe56e057f20f883f"),
            ],
            json!(0),
            "帐号或密码错误！",
        ),
        (
            vec![("account", "19999999999"), ("password", pw.as_str())],
            json!(0),
            "账号不存在",
        ),
        (
            vec![("account", "15730107952"), ("password", pw.as_str())],
            json!(10111),
            "权限不足",
        ),
    ];
    let before = app.snapshot().await;
    for (params, code, msg) in &refusals {
        let (s, b) = app.post_form("/console/login", params).await;
        assert_eq!(
            (s, &b["resultCode"], b["resultMsg"].as_str()),
            (200, code, Some(*msg)),
            "{b}"
        );
    }
    let (_, b) = app
        .post_form("/console/login", &[("account", "18094152050")])
        .await;
    assert_eq!(b["resultCode"], 1010101);
    assert_eq!(app.snapshot().await, before, "refusals store nothing");
    let (s, b) = app
        .post_form(
            "/console/login",
            &[
                ("account", "18094152050"),
                ("areaCode", "86"),
                ("password", &pw),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let d = &b["data"];
    let tok = d["access_Token"].as_str().unwrap().to_string();
    assert_eq!(tok.len(), 32);
    assert_eq!(d["account"], "100164");
    assert_eq!(d["adminId"], "8618094152050");
    assert_eq!(d["role"], "5");
    assert_eq!(d["nickname"], "张益达");
    assert_eq!(d["apiKey"], common::client::API_KEY);
    let role = find(
        &app,
        &imapi,
        "userRoles",
        doc! {"userId": 100164, "role": 5},
    )
    .await;
    assert!(role[0].get_i64("lastLoginTime").unwrap() > 1_600_000_000);
    // A user token is no console token; the console token pushes.
    let user_tok = app.token_for(100164).await;
    let push = |t: String| {
        let app = &app;
        async move {
            app.post_form(
                "/console/oneSendOne",
                &[
                    ("access_token", t.as_str()),
                    ("type", "1"),
                    ("content", "从控制台"),
                    ("sendPhone", "18094152050"),
                    ("toUserPhone", "15730107952"),
                ],
            )
            .await
            .1
        }
    };
    assert_eq!(push(user_tok).await["resultCode"], 1030102);
    assert_eq!(push(tok.clone()).await["resultCode"], 1);
    let recs = find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"content": "从控制台"},
    )
    .await;
    assert_eq!(recs.len(), 2, "both sides stored");
    // Logging in again keeps the live token.
    let (_, again) = app
        .post_form(
            "/console/login",
            &[("account", "18094152050"), ("password", &pw)],
        )
        .await;
    assert_eq!(again["data"]["access_Token"], tok.as_str());
}

#[actix_web::test]
async fn one_send_one_refusals_change_nothing() {
    let app = start().await;
    let user_tok = app.token_for(100164).await;
    let tok = admin_token(&app, 100164).await;
    let before = app.snapshot().await;
    let base = |t: &'static str| {
        vec![
            ("type", "1"),
            ("content", "x"),
            ("sendPhone", "18094152050"),
            ("toUserPhone", "15730107952"),
            ("access_token", t),
        ]
    };
    let (_, b) = app.get("/console/oneSendOne", &base("")[..4]).await;
    assert_eq!(
        b,
        json!({"resultCode": 1030101, "resultMsg": "缺少访问令牌"})
    );
    // A user's login token is not a console token.
    let user_tok: &'static str = Box::leak(user_tok.into_boxed_str());
    let (_, b) = app.get("/console/oneSendOne", &base(user_tok)).await;
    assert_eq!(b["resultCode"], 1030102);
    let tok: &'static str = Box::leak(tok.into_boxed_str());
    let mut unknown = base(tok);
    unknown[3] = ("toUserPhone", "19900000000");
    let (_, b) = app.get("/console/oneSendOne", &unknown).await;
    assert_eq!(
        b,
        json!({"detailMsg": "", "resultCode": 100211, "resultMsg": "该用户不存在"})
    );
    let mut unknown_sender = base(tok);
    unknown_sender[2] = ("sendPhone", "19900000000");
    let (_, b) = app.get("/console/oneSendOne", &unknown_sender).await;
    assert_eq!(b["resultCode"], 100211);
    for bad in ["4", "abc", "0"] {
        let mut p = base(tok);
        p[0] = ("type", bad);
        let (_, b) = app.get("/console/oneSendOne", &p).await;
        assert_eq!(b["resultCode"], 1010101, "type {bad}");
    }
    let (_, b) = app.get("/console/oneSendOne", &base(tok)[1..]).await;
    assert_eq!(b["resultCode"], 1010101);
    let mut same = base(tok);
    same[3] = ("toUserPhone", "18094152050");
    let (_, b) = app.get("/console/oneSendOne", &same).await;
    assert_eq!(b["resultCode"], 100508);
    assert_eq!(app.snapshot().await, before);
}

#[actix_web::test]
async fn one_send_one_retried_five_times_stores_one_message() {
    let app = start().await;
    let tok = admin_token(&app, 100164).await;
    let params = [
        ("access_token", tok.as_str()),
        ("type", "1"),
        ("content", "只一次"),
        ("sendPhone", "18094152050"),
        ("toUserPhone", "8615730107952"),
        ("messageId", "task-42"),
    ];
    let mut calls = Vec::new();
    for _ in 0..5 {
        calls.push(app.post_form("/console/oneSendOne", &params));
    }
    for (_, b) in futures::future::join_all(calls).await {
        assert_eq!(b["resultCode"], 1);
    }
    let recs = find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"messageId": "task-42"},
    )
    .await;
    assert_eq!(recs.len(), 2);
    let t = recs[0].get_i64("timeSend").unwrap();
    assert_single(&app, "task-42", 100164, 100102, "只一次", t).await;
}

// ------------------------------------------------------------ OpenIM tokens

async fn openim_admin_token(app: &TestApp) -> String {
    let (s, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[OP],
            &json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["errCode"], 0);
    assert_eq!(b["errMsg"], "");
    assert_eq!(b["errDlt"], "");
    assert_eq!(b["data"]["expireTimeSeconds"], 90 * 86400);
    b["data"]["token"].as_str().unwrap().to_string()
}

/// Without a private secret (unset, OpenIM's public default, too short) the
/// OpenIM endpoints are off: a token minted with the public default is useless
/// and nothing is stored.
#[actix_web::test]
async fn openim_is_off_without_a_private_secret() {
    for weak in ["openIM123", "", "short-secret"] {
        let app = TestApp::start_with(&[("OPENIM_SECRET", weak)]).await;
        app.load_seed().await;
        let before = app.snapshot().await;
        let (s, b) = app
            .post_json(
                "/auth/get_admin_token",
                &[OP],
                &json!({"secret": weak, "userID": "imAdmin"}),
            )
            .await;
        assert_eq!(s, 404, "{weak:?}: {b}");
        assert_eq!(b["errCode"], 1002);
        assert!(
            b["errDlt"].as_str().unwrap().contains("OPENIM_SECRET"),
            "{b}"
        );
        let (s, b) = app
            .post_json(
                "/auth/user_token",
                &[OP],
                &json!({"secret": weak, "platformID": 1, "userID": "100164"}),
            )
            .await;
        assert_eq!((s, b["errCode"].as_i64()), (404, Some(1002)), "{b}");
        let forged = jwt(
            json!({"UserID": "imAdmin", "PlatformID": 10, "exp": 4102444800i64}),
            "openIM123",
        );
        let (s, b) = app
            .post_json(
                "/msg/send_msg",
                &[OP, ("token", forged.as_str())],
                &json!({"sendID": "100164", "recvID": "100102", "content": {"content": "x"},
                        "contentType": 101, "sessionType": 1}),
            )
            .await;
        assert_eq!((s, b["errCode"].as_i64()), (404, Some(1002)), "{b}");
        assert_eq!(app.snapshot().await, before, "{weak:?}: nothing stored");
    }
}

fn jwt(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_web::test]
async fn admin_token_claims_and_refusals() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.validate_nbf = true;
    let c = jsonwebtoken::decode::<Value>(
        &tok,
        &jsonwebtoken::DecodingKey::from_secret(common::OPENIM_SECRET.as_bytes()),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(c["UserID"], "imAdmin");
    assert_eq!(c["PlatformID"], 10);
    let now = chrono::Utc::now().timestamp();
    assert!((c["exp"].as_i64().unwrap() - (now + 90 * 86400)).abs() < 5);

    let cases = [
        (
            vec![],
            json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
            1001,
            "header must have operationID",
        ),
        (
            vec![OP],
            json!({"secret": "nope", "userID": "imAdmin"}),
            1002,
            "secret invalid",
        ),
        (
            vec![OP],
            json!({"secret": common::OPENIM_SECRET, "userID": ""}),
            1001,
            "userID is empty",
        ),
    ];
    for (h, body, code, dlt) in cases {
        let (s, b) = app.post_json("/auth/get_admin_token", &h, &body).await;
        assert_eq!(s, 200);
        assert_eq!(b["errCode"], code);
        assert_eq!(b["errDlt"], dlt);
    }
    let (_, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[OP],
            &json!({"secret": common::OPENIM_SECRET, "userID": "100164"}),
        )
        .await;
    assert_eq!(b["errCode"], 1001);
    assert!(b["errDlt"]
        .as_str()
        .unwrap()
        .starts_with("userID is error."));

    // Older clients: /auth/user_token.
    let (_, b) = app
        .post_json(
            "/auth/user_token",
            &[OP],
            &json!({"secret": common::OPENIM_SECRET, "platformID": 1, "userID": "100164"}),
        )
        .await;
    assert_eq!(b["errCode"], 0, "{b}");
    let user_tok = b["data"]["token"].as_str().unwrap().to_string();
    let (_, b) = app
        .post_json(
            "/auth/user_token",
            &[OP],
            &json!({"secret": common::OPENIM_SECRET, "platformID": 1, "userID": "999999"}),
        )
        .await;
    assert_eq!(b["errCode"], 1004);
    // A non-admin user token is refused by send_msg with 1002.
    let (s, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &user_tok)],
            &json!({"sendID": "100164", "recvID": "100102", "content": {"content": "x"}, "contentType": 101, "sessionType": 1}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"errCode": 1002, "errMsg": "NoPermissionError", "errDlt": "only app manager can send message"})
    );
}

// ------------------------------------------------------------ send_msg

fn text(send: &str, recv: &str, body: &str) -> Value {
    json!({
        "sendID": send, "recvID": recv, "groupID": "",
        "senderNickname": "", "senderFaceURL": "", "senderPlatformID": 5,
        "content": {"content": body}, "contentType": 101, "sessionType": 1,
        "isOnlineOnly": false, "notOfflinePush": false,
        "offlinePushInfo": {"title": "t", "desc": "", "ex": "", "iOSPushSound": "default", "iOSBadgeCount": true},
        "ex": "ex"
    })
}

#[actix_web::test]
async fn send_msg_single_chat_and_history_import() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let h = [OP, ("token", tok.as_str())];
    let (s, b) = app
        .post_json("/msg/send_msg", &h, &text("100102", "100164", "hello!!"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["errCode"], 0, "{b}");
    assert_eq!(
        (b["errMsg"].clone(), b["errDlt"].clone()),
        (json!(""), json!(""))
    );
    let d = &b["data"];
    let cid = d["clientMsgID"].as_str().unwrap().to_string();
    assert_eq!(cid.len(), 32);
    assert!(cid.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(d["serverMsgID"].as_str().unwrap().len(), 32);
    assert_ne!(d["serverMsgID"], d["clientMsgID"]);
    let t = d["sendTime"].as_i64().unwrap();
    assert!((t - chrono::Utc::now().timestamp_millis()).abs() < 10_000);
    assert_single(&app, &cid, 100102, 100164, "hello!!", t).await;
    let rec = &find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"messageId": &cid, "direction": 0},
    )
    .await[0];
    let m = message_json(rec);
    assert_eq!(m["fromUserName"], "A9gz0");
    assert_eq!(m["toUserName"], "张益达");
    assert_eq!(m["messageHead"]["from"], "100102/web");
    assert_eq!(m["type"], 1);

    // History import: an old sendTime is kept and does not replace the last chat.
    let old = 1_600_000_000_000i64;
    let mut body = text("100164", "100102", "旧消息");
    body["sendTime"] = json!(old);
    let (_, b) = app.post_json("/msg/send_msg", &h, &body).await;
    assert_eq!(b["data"]["sendTime"], old);
    let icid = b["data"]["clientMsgID"].as_str().unwrap().to_string();
    let recs = find(&app, &app.store().cfg.msgs, "10", doc! {"messageId": &icid}).await;
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert_eq!(r.get_i64("timeSend").unwrap(), old);
    }
    // In history order (timeSend descending) it sorts below the seed's messages.
    let hist = app
        .store()
        .user_msgs(100164)
        .find(doc! {"sender": "100164", "receiver": "100102"})
        .sort(doc! {"timeSend": -1})
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(hist.last().unwrap().get_str("messageId").unwrap(), icid);
    assert_eq!(hist[0].get_str("messageId").unwrap(), cid);
    for owner in [100164i64, 100102] {
        let peer = if owner == 100164 { "100102" } else { "100164" };
        let last = find(
            &app,
            &app.store().cfg.lastchat,
            "10",
            doc! {"userId": owner.to_string(), "jid": peer},
        )
        .await;
        assert_eq!(last.len(), 1);
        assert_eq!(
            last[0].get_str("messageId").unwrap(),
            cid,
            "newer kept for {owner}"
        );
    }
}

#[actix_web::test]
async fn send_msg_group_and_notification() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let h = [OP, ("token", tok.as_str())];
    let body = json!({"sendID": "100164", "groupID": ROOM_JID, "content": {"content": "群消息"}, "contentType": 101, "sessionType": 3, "senderPlatformID": 5});
    let (_, b) = app.post_json("/msg/send_msg", &h, &body).await;
    assert_eq!(b["errCode"], 0, "{b}");
    let cid = b["data"]["clientMsgID"].as_str().unwrap();
    let t = b["data"]["sendTime"].as_i64().unwrap();
    let coll = format!("mucmsg_{ROOM_JID}");
    let recs = find(&app, &app.store().cfg.room, &coll, doc! {"messageId": cid}).await;
    assert_eq!(recs.len(), 1);
    let s = seed();
    let seed_rec = seed_doc(&s["room"][&coll][0]);
    assert_like_seed(&recs[0], &seed_rec, &[]);
    let m = message_json(&recs[0]);
    assert_eq!(m["messageHead"]["chatType"], 2);
    assert_eq!(m["messageHead"]["to"], ROOM_JID);
    assert_eq!(m["toUserId"], ROOM_JID);
    assert_eq!(m["toUserName"], "测试群");
    assert_eq!(recs[0].get_i64("timeSend").unwrap(), t);
    assert_eq!(recs[0].get_str("sender").unwrap(), "100164");
    // No single-chat records for a group message.
    assert!(
        find(&app, &app.store().cfg.msgs, "10", doc! {"messageId": cid})
            .await
            .is_empty()
    );
    let last = find(
        &app,
        &app.store().cfg.lastchat,
        "lastChats_muc",
        doc! {"jid": ROOM_JID},
    )
    .await;
    assert_eq!(last.len(), 1);
    assert_like_seed(&last[0], &seed_doc(&s["lastchat"]["lastChats_muc"][0]), &[]);
    assert_eq!(last[0].get_str("messageId").unwrap(), cid);
    assert_eq!(last[0].get_str("content").unwrap(), "群消息");

    // sessionType 4: a single chat from a system account without a user document.
    let body = json!({"sendID": "10005", "recvID": "100102", "content": {"content": "通知"}, "contentType": 101, "sessionType": 4, "senderNickname": "系统通知"});
    let (_, b) = app.post_json("/msg/send_msg", &h, &body).await;
    assert_eq!(b["errCode"], 0, "{b}");
    let cid = b["data"]["clientMsgID"].as_str().unwrap();
    let t = b["data"]["sendTime"].as_i64().unwrap();
    assert_single(&app, cid, 10005, 100102, "通知", t).await;
    let rec = &find(&app, &app.store().cfg.msgs, "0", doc! {"messageId": cid}).await[0];
    let m = message_json(rec);
    assert_eq!(m["fromUserName"], "系统通知");
    assert_eq!(m["messageHead"]["from"], "10005/Server");
}

/// OpenIM's group checks on Shiku's records: member (1203), member muted (1402),
/// room muted for all but owner and admins (1403), room disabled (1204); each
/// refusal changes nothing.
#[actix_web::test]
async fn send_msg_group_membership_and_mutes() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let h = [OP, ("token", tok.as_str())];
    let room_id = bson::oid::ObjectId::parse_str("60210278cb36d459fe88c196").unwrap();
    let members = app.store().room_members(&room_id);
    let rooms = app.store().rooms();
    let now = chrono::Utc::now().timestamp();
    let set_member = |user: i32, set: Document| {
        let members = members.clone();
        async move {
            let r = members
                .update_one(doc! {"roomId": room_id, "userId": user}, doc! {"$set": set})
                .await
                .unwrap();
            assert_eq!(r.matched_count, 1);
        }
    };
    let set_room = |set: Document| {
        let rooms = rooms.clone();
        async move {
            let r = rooms
                .update_one(doc! {"_id": room_id}, doc! {"$set": set})
                .await
                .unwrap();
            assert_eq!(r.matched_count, 1);
        }
    };
    let send = |from: &'static str| {
        let app = &app;
        async move {
            let body = json!({"sendID": from, "groupID": ROOM_JID, "content": {"content": format!("from {from}")}, "contentType": 101, "sessionType": 3});
            app.post_json("/msg/send_msg", &h, &body).await
        }
    };
    let refused = |from: &'static str, code: i64, msg: &'static str| {
        let app = &app;
        let send = &send;
        async move {
            let before = app.snapshot().await;
            let (s, b) = send(from).await;
            assert_eq!(
                (s, b),
                (200, json!({"errCode": code, "errMsg": msg, "errDlt": ""})),
                "{from}"
            );
            assert!(app.snapshot().await == before, "{from}: nothing stored");
        }
    };
    let stored = |from: &'static str| {
        let app = &app;
        let send = &send;
        async move {
            let (_, b) = send(from).await;
            assert_eq!(b["errCode"], 0, "{from}: {b}");
            let cid = b["data"]["clientMsgID"].as_str().unwrap().to_string();
            let coll = format!("mucmsg_{ROOM_JID}");
            let recs = find(app, &app.store().cfg.room, &coll, doc! {"messageId": &cid}).await;
            assert_eq!(recs.len(), 1, "{from}");
            assert_eq!(recs[0].get_str("sender").unwrap(), from);
        }
    };

    // 100102 exists but is not in the room.
    refused("100102", 1203, "NotInGroupYetError").await;
    // A muted member (seconds, as the original stores it; or milliseconds).
    set_member(100158, doc! {"talkTime": now + 3600}).await;
    refused("100158", 1402, "MutedInGroup").await;
    set_member(100158, doc! {"talkTime": (now + 3600) * 1000}).await;
    refused("100158", 1402, "MutedInGroup").await;
    // The mute has ended.
    set_member(100158, doc! {"talkTime": now - 10}).await;
    stored("100158").await;
    // The whole room muted (the original also copies the time onto every
    // member record): members refused, an admin and the owner still speak.
    let until = now + 3600;
    set_room(doc! {"talkTime": until}).await;
    for user in [100158, 100159, 100164] {
        set_member(user, doc! {"talkTime": until}).await;
    }
    set_member(100159, doc! {"role": 2}).await;
    refused("100158", 1403, "MutedGroup").await;
    stored("100159").await;
    stored("100164").await;
    // An admin muted personally (a different time) is refused.
    set_member(100159, doc! {"talkTime": until + 60}).await;
    refused("100159", 1402, "MutedInGroup").await;
    // A room disabled from the console takes nothing, not even from the owner.
    set_room(doc! {"s": -1}).await;
    refused("100164", 1204, "DismissedAlreadyError").await;
}

#[actix_web::test]
async fn send_msg_media_types_map_to_shiku_types() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let h = [OP, ("token", tok.as_str())];
    let mut body = text("100164", "100102", "");
    body["contentType"] = json!(105);
    body["content"] =
        json!({"sourceUrl": "http://files.test/a.pdf", "fileName": "a.pdf", "fileSize": 2048});
    let (_, b) = app.post_json("/msg/send_msg", &h, &body).await;
    assert_eq!(b["errCode"], 0, "{b}");
    let cid = b["data"]["clientMsgID"].as_str().unwrap();
    let recs = find(&app, &app.store().cfg.msgs, "10", doc! {"messageId": cid}).await;
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].get_i32("contentType").unwrap(), 9);
    assert_eq!(
        recs[0].get_str("content").unwrap(),
        "http://files.test/a.pdf"
    );
    let m = message_json(&recs[0]);
    assert_eq!(m["type"], 9);
    assert_eq!(m["fileName"], "a.pdf");
    assert_eq!(m["fileSize"], 2048);
}

#[actix_web::test]
async fn send_msg_retried_five_times_stores_one_message() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let h = [OP, ("token", tok.as_str())];
    let mut body = text("100164", "100102", "import once");
    body["clientMsgID"] = json!("imp-0001");
    body["sendTime"] = json!(1_610_000_000_000i64);
    let mut first: Option<Value> = None;
    for _ in 0..5 {
        let (_, b) = app.post_json("/msg/send_msg", &h, &body).await;
        assert_eq!(b["errCode"], 0);
        match &first {
            None => first = Some(b["data"].clone()),
            Some(f) => assert_eq!(&b["data"], f),
        }
    }
    assert_eq!(first.unwrap()["clientMsgID"], "imp-0001");
    let recs = find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"messageId": "imp-0001"},
    )
    .await;
    assert_eq!(recs.len(), 2);
}

/// headers, body, HTTP status, errCode, errMsg, errDlt.
type Row<'a> = (Vec<(&'a str, &'a str)>, Value, u16, i64, &'a str, &'a str);

#[actix_web::test]
async fn send_msg_error_table() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let secret = common::OPENIM_SECRET;
    let now = chrono::Utc::now().timestamp();
    let expired = jwt(
        json!({"UserID": "imAdmin", "PlatformID": 10, "exp": now - 10}),
        secret,
    );
    let wrong_sig = jwt(
        json!({"UserID": "imAdmin", "PlatformID": 10, "exp": now + 100}),
        "other",
    );
    let never = jwt(
        json!({"UserID": "imAdmin", "PlatformID": 10, "exp": now + 100}),
        secret,
    );
    let future = jwt(
        json!({"UserID": "imAdmin", "PlatformID": 10, "exp": now + 100, "nbf": now + 50}),
        secret,
    );
    let good = text("100164", "100102", "x");
    let t = tok.as_str();
    let before = app.snapshot().await;
    let mut rows: Vec<Row> = vec![
        (
            vec![("token", t)],
            good.clone(),
            200,
            1001,
            "ArgsError",
            "header must have operationID",
        ),
        (
            vec![OP],
            good.clone(),
            200,
            1001,
            "ArgsError",
            "header must have token",
        ),
        (
            vec![OP, ("token", "abc")],
            good.clone(),
            200,
            1503,
            "TokenMalformedError",
            "",
        ),
        (
            vec![OP, ("token", &expired)],
            good.clone(),
            200,
            1501,
            "TokenExpiredError",
            "",
        ),
        (
            vec![OP, ("token", &wrong_sig)],
            good.clone(),
            200,
            1505,
            "signature is invalid",
            "",
        ),
        (
            vec![OP, ("token", &never)],
            good.clone(),
            200,
            1507,
            "TokenNotExistError",
            "",
        ),
        (
            vec![OP, ("token", &future)],
            good.clone(),
            200,
            1504,
            "TokenNotValidYetError",
            "",
        ),
    ];
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let h = vec![OP, ("token", t)];
    rows.extend([
        (h.clone(), without("sendID"), 400, 1001, "ArgsError",
         "Key: 'SendMsgReq.SendMsg.SendID' Error:Field validation for 'SendID' failed on the 'required' tag"),
        (h.clone(), without("recvID"), 400, 1001, "ArgsError",
         "Key: 'SendMsgReq.RecvID' Error:Field validation for 'RecvID' failed on the 'required_if' tag"),
        (h.clone(), with("sessionType", json!(3)), 400, 1001, "ArgsError",
         "Key: 'SendMsgReq.SendMsg.GroupID' Error:Field validation for 'GroupID' failed on the 'required_if' tag"),
        (h.clone(), with("contentType", json!(999)), 200, 1001, "ArgsError", ""),
        (h.clone(), with("contentType", json!(110)), 200, 1001, "ArgsError", ""),
        (h.clone(), with("content", json!({})), 200, 1001, "ArgsError",
         "Key: 'TextElem.Content' Error:Field validation for 'Content' failed on the 'required' tag"),
        (h.clone(), { let mut b = with("sessionType", json!(2)); b["groupID"] = json!(ROOM_JID); b }, 200, 1001, "ArgsError", "unknown sessionType"),
        (h.clone(), with("sessionType", json!(5)), 200, 1001, "ArgsError", "unknown sessionType"),
        (h.clone(), with("sendID", json!("123456789")), 200, 1004, "RecordNotFoundError", "record not found"),
        (h.clone(), with("recvID", json!("123456789")), 200, 1004, "RecordNotFoundError", "userID not found"),
        (h.clone(), { let mut b = with("sessionType", json!(3)); b["groupID"] = json!("nosuchgroup"); b }, 200, 1004, "RecordNotFoundError", "record not found"),
        (h.clone(), with("sendID", json!(100164)), 400, 1001, "ArgsError",
         "json: cannot unmarshal number into Go struct field SendMsgReq.sendID of type string"),
    ]);
    for (headers, body, status, code, msg, dlt) in rows {
        let (s, b) = app.post_json("/msg/send_msg", &headers, &body).await;
        assert_eq!(
            (s, b.clone()),
            (
                status,
                json!({"errCode": code, "errMsg": msg, "errDlt": dlt})
            ),
            "{body}"
        );
    }
    // Not JSON at all.
    let r = app
        .http
        .post(format!("{}/msg/send_msg", app.base))
        .header("operationID", "1")
        .header("token", t)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["errCode"], 1001);
    // A kicked token.
    app.state
        .sessions
        .kick_openim_token("imAdmin", 10, t)
        .await
        .unwrap();
    let before_kick = app.snapshot().await;
    let (_, b) = app.post_json("/msg/send_msg", &h, &good).await;
    assert_eq!(b["errCode"], 1506);
    assert_eq!(b["errMsg"], "TokenKickedError");
    assert_eq!(app.snapshot().await, before_kick);
    // Nothing but the kick changed anything.
    let strip = |snap: Vec<(String, String, Vec<Document>)>| {
        snap.into_iter()
            .filter(|(_, c, _)| c != "shiku_api_sessions")
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(app.snapshot().await), strip(before));
}

#[actix_web::test]
async fn openim_tokens_live_in_redis_like_openim() {
    let Ok(redis_url) = std::env::var("TEST_REDIS_URL") else {
        return;
    };
    let app = TestApp::start_with(&[("REDIS_URL", redis_url.as_str())]).await;
    app.load_seed().await;
    let tok = openim_admin_token(&app).await;
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let status: Option<i64> = redis::cmd("HGET")
        .arg("UID_PID_TOKEN_STATUS:imAdmin:Admin")
        .arg(&tok)
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(status, Some(0));
    let h = [OP, ("token", tok.as_str())];
    let (_, b) = app
        .post_json("/msg/send_msg", &h, &text("100164", "100102", "via redis"))
        .await;
    assert_eq!(b["errCode"], 0, "{b}");
    let _: () = redis::cmd("HSET")
        .arg("UID_PID_TOKEN_STATUS:imAdmin:Admin")
        .arg(&tok)
        .arg(2)
        .query_async(&mut con)
        .await
        .unwrap();
    let (_, b) = app
        .post_json("/msg/send_msg", &h, &text("100164", "100102", "kicked"))
        .await;
    assert_eq!(b["errCode"], 1506);
}

/// Review #9: the seed's own example (`"sendID":"openIMAdmin"`, an admin
/// that is no Shiku user) is sent as the system account of the original's
/// server messages, `10005/Server`; a numeric sender that is nobody is
/// still refused.
#[actix_web::test]
async fn an_admin_sender_sends_as_the_system_account() {
    let app = start().await;
    let tok = openim_admin_token(&app).await;
    let mut body = text("openIMAdmin", "100102", "系统通知");
    body["senderNickname"] = json!("任务系统");
    let (s, b) = app
        .post_json("/msg/send_msg", &[OP, ("token", &tok)], &body)
        .await;
    assert_eq!((s, &b["errCode"]), (200, &json!(0)), "{b}");
    let imported = find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"receiver": "10005", "sender": "100102"},
    )
    .await;
    assert_eq!(imported.len(), 1, "the receiver's copy");
    let m = message_json(&imported[0]);
    assert_eq!(m["fromUserId"], "10005");
    assert_eq!(m["fromUserName"], "任务系统");
    assert_eq!(imported[0].get_str("sender_jid"), Ok("10005/Server"));
    let (_, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &text("imAdmin", "100102", "x"),
        )
        .await;
    assert_eq!(b["errCode"], 0, "a configured admin id too: {b}");
    let (_, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &text("123456789", "100102", "x"),
        )
        .await;
    assert_eq!(b["errCode"], 1004, "{b}");
}

/// Review defect 3, the other direction: one `messageId` used by 100164 to
/// 100102 and then by 100102 back to 100164 (same content) is two messages.
/// 100164's inbound copy must not be taken for its own outbound one: each
/// side ends with both copies, and each history answers both messages.
#[actix_web::test]
async fn an_id_used_back_in_the_other_direction_is_another_message() {
    let app = start().await;
    let tok = admin_token(&app, 100164).await;
    let push = |from: &'static str, to: &'static str| {
        let (app, tok) = (&app, tok.clone());
        async move {
            let (s, b) = app
                .post_form(
                    "/console/oneSendOne",
                    &[
                        ("access_token", tok.as_str()),
                        ("type", "1"),
                        ("content", "来回同号"),
                        ("sendPhone", from),
                        ("toUserPhone", to),
                        ("messageId", "swapped-id-1"),
                    ],
                )
                .await;
            assert_eq!((s, &b["resultCode"]), (200, &json!(1)), "{b}");
        }
    };
    push("18094152050", "15730107952").await; // 100164 → 100102
    push("15730107952", "18094152050").await; // 100102 → 100164
    let recs = find(
        &app,
        &app.store().cfg.msgs,
        "10",
        doc! {"messageId": "swapped-id-1"},
    )
    .await;
    let mut seen: Vec<(String, String, i32)> = recs
        .iter()
        .map(|d| {
            (
                d.get_str("sender").unwrap().to_string(),
                d.get_str("receiver").unwrap().to_string(),
                d.get_i32("direction").unwrap(),
            )
        })
        .collect();
    seen.sort();
    let own = |a: &str, b: &str, d: i32| (a.to_string(), b.to_string(), d);
    assert_eq!(
        seen,
        vec![
            own("100102", "100164", 0),
            own("100102", "100164", 1),
            own("100164", "100102", 0),
            own("100164", "100102", 1),
        ],
        "each owner keeps its outbound and its inbound copy"
    );
    for (me, peer) in [(100164, "100102"), (100102, "100164")] {
        let t = app.token_for(me).await;
        let (_, h) = app
            .get(
                "/tigase/shiku_msgs",
                &[("access_token", t.as_str()), ("receiver", peer)],
            )
            .await;
        let ids: Vec<&Value> = h["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["messageId"] == "swapped-id-1")
            .collect();
        assert_eq!(ids.len(), 2, "{me}'s history: {h}");
    }
}
