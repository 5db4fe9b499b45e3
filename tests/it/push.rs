//! Delivery through the real RocketMQ (`scripts/rocketmq.sh`): in push mode
//! each sender publishes the original imapi's `MessageBean` to the topic
//! and archives nothing; in archive mode the records are written as the IM
//! server archives them (room notices in the room's history only); a broker
//! that cannot be reached is counted, and the requests still succeed; the IM
//! server's user status reports are consumed as the original imapi did.

use std::time::Duration;

use bson::{doc, Document};
use serde_json::{json, Value};
use shiku_api::store::sessions::Kind;

use crate::common::{self, mq, TestApp};

const OP: (&str, &str) = ("operationID", "op-push");
const JID: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f1";

async fn push_app(topic: &str) -> TestApp {
    let app = TestApp::start_with(&[
        ("ROCKETMQ_NAMESRV", &mq::namesrv()),
        ("ROCKETMQ_TOPIC", topic),
    ])
    .await;
    app.load_seed().await;
    app
}

/// Every message record of the single-chat shards and of the room's group
/// collection: what push mode must leave alone.
async fn message_records(app: &TestApp) -> Vec<Document> {
    let c = &app.store().cfg;
    let mut all = app.dump(&c.msgs, "10").await;
    all.extend(app.dump(&c.room, &format!("mucmsg_{JID}")).await);
    all.extend(app.dump(&c.lastchat, "10").await);
    all.extend(app.dump(&c.lastchat, "lastChats_muc").await);
    all
}

/// The bean without what differs per run (a new id, the clock).
fn golden(bean: &Value) -> Value {
    let mut b = bean.clone();
    let id = b["messageId"].as_str().unwrap_or_default();
    assert!(
        id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()) || id == "push-text-0001",
        "a 32-hex message id: {bean}"
    );
    assert!(
        b["timeSend"].as_i64().unwrap() > 1_700_000_000_000,
        "ms: {bean}"
    );
    b["messageId"] = json!("<id>");
    b["timeSend"] = json!("<ms>");
    b
}

#[actix_web::test]
async fn push_mode_publishes_the_originals_beans_and_archives_nothing() {
    let topic = format!("xmppMessage_{}", common::unique_prefix());
    let app = push_app(&topic).await;
    let before = message_records(&app).await;

    // 1. An OpenIM text (chat type 1): a single-chat bean.
    let tok = common::openim_admin_token(&app).await;
    let (_, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &json!({"sendID": "100164", "recvID": "100102", "clientMsgID": "push-text-0001",
                "content": {"content": "你好"}, "contentType": 101, "sessionType": 1,
                "senderPlatformID": 5}),
        )
        .await;
    assert_eq!(b["errCode"], 0, "{b}");
    // 2. A console task push.
    let admin = format!("adm{}", rand::random::<u32>());
    app.state
        .sessions
        .save(Kind::Admin, 100164, &admin)
        .await
        .unwrap();
    let (_, b) = app
        .post_form(
            "/console/oneSendOne",
            &[
                ("access_token", &admin),
                ("type", "1"),
                ("content", "控制台任务"),
                ("sendPhone", "18094152050"),
                ("toUserPhone", "15730107952"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    // 3. A room created with one invitee: the 907 to the invitee and the group.
    let owner = app.token_for(100164).await;
    let (_, b) = app
        .post_form(
            "/room/add",
            &[
                ("access_token", &owner),
                ("jid", JID),
                ("name", "推送群"),
                ("desc", ""),
                ("phones", "[15730107952]"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let room_id = b["data"]["id"].as_str().unwrap().to_string();
    // The owner makes the member invisible and visible again (930 to them).
    for kind in ["4", "-1"] {
        let (_, b) = app
            .get(
                "/room/setInvisibleGuardian",
                &[
                    ("access_token", &owner),
                    ("roomId", &room_id),
                    ("touserId", "100102"),
                    ("type", kind),
                ],
            )
            .await;
        assert_eq!(b["resultCode"], 1, "{b}");
    }
    // The owner removes the member (904), then dissolves the room (903).
    let (_, b) = app
        .get(
            "/room/member/delete",
            &[
                ("access_token", &owner),
                ("roomId", &room_id),
                ("userId", "100102"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app
        .get(
            "/room/delete",
            &[("access_token", &owner), ("roomId", &room_id)],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    // 4. A batch follow (Android's contacts screen): a 510.
    let me = app.token_for(100174).await;
    let (_, b) = app
        .get(
            "/friends/attention/batchAdd",
            &[("access_token", &me), ("toUserIds", "100102")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    // 5. QZ's device signal: a 10086 to oneself.
    let signal = r#"{"seeMessageUserId":"100102","seeEquipment":"app"}"#;
    let (_, b) = app
        .post_form(
            "/tigase/systemToUser/sendMessage",
            &[
                ("access_token", &owner),
                ("type", "10086"),
                ("body", signal),
                ("toUserId", "100164"),
                ("salt", "1700000000000"),
                ("secret", "c2lnbmVkLWJ5LXF6"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");

    // 1 + 1 + 2 (907) + 2 (930) + 2 (904) + 2 (903) + 1 + 1.
    let beans = mq::read_topic(&topic, Duration::from_secs(30), |b| b.len() >= 12).await;
    assert_eq!(beans.len(), 12, "{beans:#?}");
    let of_type = |t: i64| {
        beans
            .iter()
            .filter(move |b| b["type"] == t)
            .collect::<Vec<_>>()
    };

    let text = beans
        .iter()
        .find(|b| b["messageId"] == "push-text-0001")
        .unwrap();
    assert_eq!(
        golden(text),
        json!({"content": "你好", "fileSize": 0, "fromUserId": "100164", "fromUserName": "张益达",
            "messageId": "<id>", "msgType": 0, "timeSend": "<ms>", "toUserId": "100102",
            "toUserName": "A9gz0", "type": 1}),
        "the OpenIM text"
    );
    let task = beans.iter().find(|b| b["content"] == "控制台任务").unwrap();
    assert_eq!(
        golden(task),
        json!({"content": "控制台任务", "fileSize": 0, "fromUserId": "100164", "fromUserName": "张益达",
            "messageId": "<id>", "msgType": 0, "timeSend": "<ms>", "toUserId": "100102",
            "toUserName": "A9gz0", "type": 1}),
        "the console task push"
    );
    // The 907: the single-chat copy to the new member, then the group copy,
    // with one message id; the room switches in `other` as the seed's.
    let new_member = of_type(907);
    assert_eq!(new_member.len(), 2, "{new_member:#?}");
    // (Published in this order; queues do not keep an order between them.)
    let single = *new_member.iter().find(|b| b["msgType"] == 0).unwrap();
    let group = *new_member.iter().find(|b| b["msgType"] == 1).unwrap();
    assert_eq!(single["messageId"], group["messageId"]);
    let other = group["other"].as_str().unwrap().to_string();
    assert!(other.starts_with("{\"lsLook\":"), "{other}");
    let expected = |msg_type: i64| {
        let mut b = json!({"content": "推送群", "fileName": room_id, "fileSize": 0,
            "fromUserId": "100164", "fromUserName": "张益达", "messageId": "<id>", "msgType": msg_type,
            "objectId": JID, "other": other, "timeSend": "<ms>", "toUserId": "100102",
            "toUserName": "A9gz0", "type": 907});
        if msg_type == 1 {
            b["roomJid"] = json!(JID);
        }
        b
    };
    assert_eq!(golden(single), expected(0), "the member's single-chat copy");
    assert_eq!(golden(group), expected(1), "the group copy");
    // The keys as fastjson writes them: alphabetical.
    let keys: Vec<&String> = group.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // 930: single-chat only, to the member, content a number.
    let mut hidden: Vec<Value> = of_type(930).into_iter().cloned().collect();
    hidden.sort_by_key(|b| -b["content"].as_i64().unwrap());
    assert_eq!(hidden.len(), 2, "{hidden:#?}");
    for (b, content) in hidden.iter().zip([1, -1]) {
        assert_eq!(
            golden(b),
            json!({"content": content, "fileSize": 0, "fromUserId": "100164", "fromUserName": "张益达",
                "messageId": "<id>", "msgType": 0, "objectId": JID, "timeSend": "<ms>",
                "toUserId": "100102", "toUserName": "A9gz0", "type": 930}),
        );
    }
    // 904: the removed member's single-chat copy and the group's (the room
    // announces departures), one id; from the owner, content the room name.
    let removed = of_type(904);
    assert_eq!(removed.len(), 2, "{removed:#?}");
    assert_eq!(removed[0]["messageId"], removed[1]["messageId"]);
    for b in &removed {
        assert_eq!(
            (
                &b["toUserId"],
                &b["fromUserId"],
                &b["content"],
                &b["objectId"]
            ),
            (
                &json!("100102"),
                &json!("100164"),
                &json!("推送群"),
                &json!(JID)
            ),
            "{b}"
        );
    }
    // 903: a copy to every member left (the owner), then the group's.
    let dissolved = of_type(903);
    let single = dissolved.iter().find(|b| b["msgType"] == 0).unwrap();
    let group = dissolved.iter().find(|b| b["msgType"] == 1).unwrap();
    assert_eq!(dissolved.len(), 2, "{dissolved:#?}");
    assert_eq!(single["toUserId"], "100164");
    assert_eq!(
        (&group["roomJid"], &group["content"]),
        (&json!(JID), &json!("推送群"))
    );
    assert_eq!(single["messageId"], group["messageId"]);
    assert_eq!(
        golden(of_type(510)[0]),
        json!({"content": 100102, "fileSize": 0, "fromUserId": "100174", "fromUserName": "周仕彦",
            "messageId": "<id>", "msgType": 0, "timeSend": "<ms>", "toUserId": "100102",
            "toUserName": "A9gz0", "type": 510}),
        "the batch follow's 510"
    );
    assert_eq!(
        golden(of_type(10086)[0]),
        json!({"content": signal, "fileSize": 0, "fromUserId": "10005", "fromUserName": "10005",
            "messageId": "<id>", "msgType": 0, "timeSend": "<ms>", "toUserId": "100164", "type": 10086}),
        "QZ's device signal"
    );

    // The IM server archives what message-push hands it: nothing here.
    assert_eq!(message_records(&app).await, before);
    let (_, h) = app.get("/health", &[]).await;
    assert_eq!(h["delivery"], "push");
    assert_eq!(h["rocketmq"]["nameServer"], "up");
    assert_eq!(h["rocketmq"]["published"], 12);
    assert_eq!(h["rocketmq"]["failedPublishes"], 0);
}

/// Archive mode (no message queue): the records are written as the IM
/// server archives them: the 907 in the room's history, no single-chat copy
/// for the new member (the original archiver drops single-chat 9xx).
#[actix_web::test]
async fn archive_mode_keeps_a_907_in_the_rooms_history_only() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let (_, b) = app
        .post_form(
            "/room/add",
            &[
                ("access_token", &owner),
                ("jid", JID),
                ("name", "存档群"),
                ("phones", "[15730107952]"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let c = &app.store().cfg;
    let group: Vec<Document> = app
        .dump(&c.room, &format!("mucmsg_{JID}"))
        .await
        .into_iter()
        .filter(|d| d.get_i32("contentType") == Ok(907))
        .collect();
    assert_eq!(group.len(), 1);
    let id = group[0].get_str("messageId").unwrap();
    let copies: Vec<Document> = app
        .dump(&c.msgs, "10")
        .await
        .into_iter()
        .filter(|d| d.get_str("messageId") == Ok(id))
        .collect();
    assert!(copies.is_empty(), "{copies:?}");
    let privates: Vec<Document> = app
        .dump(&c.lastchat, "10")
        .await
        .into_iter()
        .filter(|d| d.get_str("messageId") == Ok(id))
        .collect();
    assert!(privates.is_empty(), "{privates:?}");
    let (_, h) = app.get("/health", &[]).await;
    assert_eq!(h["delivery"], "archive");
    assert!(h.get("rocketmq").is_none());
}

/// A name server nobody answers on: the service starts, sends succeed as
/// in the original (which swallows a failed publish), nothing is stored,
/// and each lost bean is counted on `/health` after its retries.
#[actix_web::test]
async fn an_unreachable_broker_is_counted_not_fatal() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    let app = TestApp::start_with(&[
        ("ROCKETMQ_NAMESRV", &addr),
        ("ROCKETMQ_SEND_TIMEOUT_MS", "300"),
    ])
    .await;
    app.load_seed().await;
    let before = message_records(&app).await;
    let tok = common::openim_admin_token(&app).await;
    let (s, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &json!({"sendID": "100164", "recvID": "100102", "content": {"content": "丢了"},
                "contentType": 101, "sessionType": 1, "senderPlatformID": 5}),
        )
        .await;
    assert_eq!((s, &b["errCode"]), (200, &json!(0)), "{b}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, h) = app.get("/health", &[]).await;
        assert_eq!(h["rocketmq"]["nameServer"], "down", "{h}");
        if h["rocketmq"]["failedPublishes"] == 1 {
            assert_eq!(h["rocketmq"]["published"], 0);
            assert_eq!(
                h["status"], "ok",
                "a message queue outage is reported, not fatal"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not counted: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(message_records(&app).await, before);
}

/// Stopping the service (SIGTERM, as a deployment's rolling restart does) right
/// after it answered sends: the beans still being published are sent before
/// the process ends, not dropped with the HTTP workers.
#[actix_web::test]
async fn beans_being_published_at_sigterm_are_still_sent() {
    use std::process::{Command, Stdio};
    let prefix = common::unique_prefix();
    let topic = format!("xmppMessage_{prefix}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = common::test_env(
        &prefix,
        &[
            ("BIND_ADDR", &format!("127.0.0.1:{port}")),
            ("ROCKETMQ_NAMESRV", &mq::namesrv()),
            ("ROCKETMQ_TOPIC", &topic),
        ],
    );
    let bin = env!("CARGO_BIN_EXE_shiku-api");
    let seeded = Command::new(bin)
        .args(["seed", "--messages", "0"])
        .env_clear()
        .envs(&env)
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let mut child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "service did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An OpenIM call as the admin console makes it: JSON body, operationID header.
    let call = |path: &str, token: Option<&str>, body: Value| {
        let mut rb = http
            .post(format!("{base}{path}"))
            .header("operationID", "op-sigterm")
            .json(&body);
        if let Some(t) = token {
            rb = rb.header("token", t);
        }
        async move { rb.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let admin = call(
        "/auth/get_admin_token",
        None,
        json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
    )
    .await;
    let tok = admin["data"]["token"].as_str().unwrap().to_string();
    let ids: Vec<String> = (0..5).map(|i| format!("sigterm-{prefix}-{i}")).collect();
    for id in &ids {
        let b = call(
            "/msg/send_msg",
            Some(&tok),
            json!({"sendID": "100164", "recvID": "100102", "clientMsgID": id,
                "content": {"content": "晚安"}, "contentType": 101, "sessionType": 1,
                "senderPlatformID": 5}),
        )
        .await;
        assert_eq!(b["errCode"], 0, "{b}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&env["UPLOAD_DIR"]);
    assert!(status.success(), "a clean stop: {status:?}");
    let beans = mq::read_topic(&topic, Duration::from_secs(30), |b| b.len() >= ids.len()).await;
    let mut sent: Vec<&str> = beans
        .iter()
        .filter_map(|b| b["messageId"].as_str())
        .collect();
    sent.sort();
    assert_eq!(sent, ids.iter().map(String::as_str).collect::<Vec<_>>());
}

/// The user's login record and `onlinestate`.
async fn presence(app: &TestApp, uid: i64) -> (Document, Option<bson::Bson>) {
    let imapi = app.store().cfg.imapi.clone();
    let mine = |d: &Document| d.get("_id") == Some(&bson::Bson::Int32(uid as i32));
    let log = app
        .dump(&imapi, "userLoginLog")
        .await
        .into_iter()
        .find(mine)
        .unwrap();
    let user = app
        .dump(&imapi, "user")
        .await
        .into_iter()
        .find(mine)
        .unwrap();
    (log, user.get("onlinestate").cloned())
}

/// Publishes a status report until it is applied (a new consumer group may
/// start after the first ones): answers the login record and its android
/// entry.
async fn report_until(app: &TestApp, topic: &str, uid: i64, online: i32) -> (Document, Document) {
    let text = format!("{uid}:{online}:android");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        mq::publish_text(topic, &text).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (log, state) = presence(app, uid).await;
        let android = log
            .get_document("deviceMap")
            .ok()
            .and_then(|m| m.get_document("android").ok().cloned());
        if let (Some(bson::Bson::Int32(s)), Some(a)) = (&state, &android) {
            if *s == online && a.get("online") == Some(&bson::Bson::Int32(online)) {
                // Copies of an earlier report still on their way land first.
                tokio::time::sleep(Duration::from_millis(1500)).await;
                let (again, state) = presence(app, uid).await;
                if state == Some(bson::Bson::Int32(online)) {
                    let a = again
                        .get_document("deviceMap")
                        .unwrap()
                        .get_document("android");
                    return (again.clone(), a.unwrap().clone());
                }
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{text} not applied: {log}"
        );
    }
}

async fn redis_list(r: &mut redis::aio::MultiplexedConnection, key: &str) -> Vec<String> {
    redis::cmd("LRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .query_async(r)
        .await
        .unwrap()
}

async fn redis_get(r: &mut redis::aio::MultiplexedConnection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query_async(r).await.unwrap()
}

async fn redis_ttl(r: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("TTL").arg(key).query_async(r).await.unwrap()
}

/// The IM server's user status reports (`userStatusMessage`,
/// `<userId>:<1|0>:<resource>`), as the original imapi's
/// `UserStatusConsumer` applied them: `user_online:<id>` and
/// `user.onlinestate`, the device's `deviceMap` entry, and the rooms'
/// offline members the push service pushes to (`roomPush_member:<jid>`, all
/// of the user's rooms but those set to do-not-disturb).
#[actix_web::test]
async fn user_status_reports_keep_presence_and_room_pushes() {
    let redis_url = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL: run scripts/test.sh");
    let unique = common::unique_prefix();
    let topic = format!("userStatus_{unique}");
    let app = TestApp::start_with(&[
        ("ROCKETMQ_NAMESRV", &mq::namesrv()),
        ("ROCKETMQ_TOPIC", &format!("xmppMessage_{unique}")),
        ("ROCKETMQ_STATUS_TOPIC", &topic),
        ("ROCKETMQ_STATUS_GROUP", &format!("status_{unique}")),
        ("REDIS_URL", &redis_url),
    ])
    .await;
    app.load_seed().await;
    // A user and two rooms of this test alone (Redis is shared by the tests).
    let imapi = app.store().cfg.imapi.clone();
    let uid: i64 = 300_000 + i64::from(rand::random::<u16>());
    let mut user = app
        .dump(&imapi, "user")
        .await
        .into_iter()
        .find(|d| d.get("_id") == Some(&bson::Bson::Int32(100164)))
        .unwrap();
    user.insert("_id", uid as i32);
    user.insert("onlinestate", 0);
    app.insert(&imapi, "user", vec![user]).await;
    let log = doc! {"_id": uid as i32, "loginLog": {"loginTime": 1_700_000_000i64}};
    app.insert(&imapi, "userLoginLog", vec![log]).await;
    let pushed = uuid::Uuid::new_v4().simple().to_string();
    let quiet = uuid::Uuid::new_v4().simple().to_string();
    for jid in [&pushed, &quiet] {
        let room = bson::oid::ObjectId::new();
        app.store()
            .add_user_room_jid(uid, jid, &room)
            .await
            .unwrap();
    }
    let dnd = doc! {"offlineNoPushMsg": 1};
    app.store()
        .set_user_room_jid_fields(uid, &quiet, dnd)
        .await
        .unwrap();
    let consumer = app
        .state
        .start_status_consumer()
        .await
        .unwrap()
        .expect("push mode consumes");
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut r = client.get_multiplexed_async_connection().await.unwrap();
    let online_key = format!("user_online:{uid}");
    let pushed_key = format!("roomPush_member:{pushed}");

    let (_, android) = report_until(&app, &topic, uid, 1).await;
    assert!(matches!(android.get("loginTime"), Some(bson::Bson::Int64(t)) if *t > 1_700_000_000));
    assert_eq!(android.get_str("deviceKey").unwrap(), "android");
    assert_eq!(redis_get(&mut r, &online_key).await.as_deref(), Some("1"));
    let ttl = redis_ttl(&mut r, &online_key).await;
    assert!(ttl > 172_000 && ttl <= 172_800, "{ttl}");
    assert!(redis_list(&mut r, &pushed_key).await.is_empty());

    // Offline: pushed to in his rooms but the do-not-disturb one.
    let (log, android) = report_until(&app, &topic, uid, 0).await;
    assert!(matches!(android.get("offlineTime"), Some(bson::Bson::Int64(t)) if *t > 1_700_000_000));
    let login = log.get_document("loginLog").unwrap();
    assert!(
        matches!(login.get("offlineTime"), Some(bson::Bson::Int64(_))),
        "{log}"
    );
    assert_eq!(redis_get(&mut r, &online_key).await, None);
    assert_eq!(redis_list(&mut r, &pushed_key).await, [uid.to_string()]);
    let quiet_key = format!("roomPush_member:{quiet}");
    assert!(redis_list(&mut r, &quiet_key).await.is_empty());
    let ttl = redis_ttl(&mut r, &pushed_key).await;
    assert!(ttl > 600_000 && ttl <= 604_800, "{ttl}");

    // Invited while offline: pushed to in that room at once; removed: no
    // longer (the original's addRoomPushMember / removeRoomPushMember).
    let seed_room = "60210278cb36d459fe88c196";
    let seed_key = "roomPush_member:6c1536dbf97540d1b906d76f4272a90d";
    let owner = app.token_for(100164).await;
    let who = format!("[\"{uid}\"]");
    let (_, b) = app
        .post_form(
            "/room/member/update",
            &[
                ("access_token", &owner),
                ("roomId", seed_room),
                ("text", &who),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(redis_list(&mut r, seed_key)
        .await
        .contains(&uid.to_string()));
    let id = uid.to_string();
    let (_, b) = app
        .post_form(
            "/room/member/delete",
            &[
                ("access_token", &owner),
                ("roomId", seed_room),
                ("userId", &id),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(!redis_list(&mut r, seed_key)
        .await
        .contains(&uid.to_string()));

    // Online again: out of the lists.
    report_until(&app, &topic, uid, 1).await;
    assert!(redis_list(&mut r, &pushed_key).await.is_empty());

    // /health counts what the consumer did: a report it cannot read is
    // counted, not applied.
    mq::publish_text(&topic, "not-a-report").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let reports = loop {
        let (s, h) = app.get("/health", &[]).await;
        assert_eq!(s, 200, "{h}");
        let reports = h["statusReports"].clone();
        if reports["notUnderstood"].as_u64().unwrap_or(0) >= 1 {
            break reports;
        }
        assert!(std::time::Instant::now() < deadline, "{h}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(reports["applied"].as_u64().unwrap() >= 3, "{reports}");
    assert_eq!(reports["givenUp"], 0, "{reports}");
    assert!(reports["pending"].is_u64(), "{reports}");
    consumer.stop(Duration::from_secs(5)).await;
}
