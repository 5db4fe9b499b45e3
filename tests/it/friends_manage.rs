//! Issue 17: the everyday friend actions (QZ's signed forms, WX's and
//! Android's requests): one relation, the blacklist, unfriending, remarks,
//! per-friend switches, new-friend records.

use crate::common;
use common::{qz, refused};

use bson::{doc, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

fn imapi(app: &TestApp) -> String {
    app.store().cfg.imapi.clone()
}

async fn relation(app: &TestApp, a: i32, b: i32) -> Option<Document> {
    app.dump(&imapi(app), "u_friends")
        .await
        .into_iter()
        .find(|d| d.get_i32("userId") == Ok(a) && d.get_i32("toUserId") == Ok(b))
}

async fn friend_ops(app: &TestApp, user: i32) -> Vec<String> {
    let mut v: Vec<String> = app
        .dump(&imapi(app), "offlineOperation")
        .await
        .into_iter()
        .filter(|d| d.get_i32("userId") == Ok(user) && d.get_str("tag") == Ok("friend"))
        .map(|d| d.get_str("friendId").unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[actix_web::test]
async fn blacklisting_a_friend_and_back() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "friendGroup",
        vec![doc! {"userId": 100164, "groupName": "同事",
        "userIdList": [100102, 100158], "createTime": 1i64}],
    )
    .await;
    let me = app.token_for(100164).await;
    refused(
        &app,
        "/friends/blacklist/add",
        &qz(&me, &[("toUserId", "100164")]),
        100508,
    )
    .await;
    refused(
        &app,
        "/friends/blacklist/add",
        &qz(&me, &[("toUserId", "100999")]),
        100211,
    )
    .await;
    refused(
        &app,
        "/friends/blacklist/add",
        &qz(&me, &[("toUserId", "x")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/friends/blacklist/delete",
        &qz(&me, &[("toUserId", "100102")]),
        100513,
    )
    .await;

    let (s, b) = app
        .post_pairs(
            "/friends/blacklist/add",
            &qz(&me, &[("toUserId", "100102")]),
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let d = &b["data"];
    assert_eq!(d["userId"], 100164);
    assert_eq!(d["toUserId"], 100102);
    assert_eq!(d["blacklist"], 1);
    assert_eq!(d["status"], 2);
    assert_eq!(d["isBeenBlack"], 0);
    assert!(d.get("_id").is_none());
    let mine = relation(&app, 100164, 100102).await.unwrap();
    assert_eq!(mine.get("blacklist"), Some(&Bson::Int32(1)));
    assert_eq!(mine.get("status"), Some(&Bson::Int32(2)));
    let theirs = relation(&app, 100102, 100164).await.unwrap();
    assert_eq!(theirs.get("isBeenBlack"), Some(&Bson::Int32(1)));
    // The conversation leaves my chat list (not theirs), the user my labels.
    let last = app.dump(&app.store().cfg.lastchat, "10").await;
    let jids: Vec<(&str, &str)> = last
        .iter()
        .map(|d| (d.get_str("userId").unwrap(), d.get_str("jid").unwrap()))
        .collect();
    assert_eq!(jids, [("100102", "100164")]);
    let labels = app.dump(&db, "friendGroup").await;
    assert_eq!(
        labels[0].get_array("userIdList").unwrap(),
        &vec![Bson::Int32(100158)]
    );
    assert_eq!(friend_ops(&app, 100164).await, ["100102"]);
    // The blacklist lists them; the other side sees isBeenBlack through /friends/get.
    let (_, b) = app
        .get("/friends/blacklist", &[("access_token", &me)])
        .await;
    let ids: Vec<i64> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["toUserId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [100102]);
    let other = app.token_for(100102).await;
    let (_, b) = app
        .post_pairs(
            "/friends/get",
            &qz(&other, &[("userId", "100102"), ("toUserId", "100164")]),
        )
        .await;
    assert_eq!(b["data"]["isBeenBlack"], 1, "{b}");
    refused(
        &app,
        "/friends/blacklist/add",
        &qz(&me, &[("toUserId", "100102")]),
        100509,
    )
    .await;

    let (_, b) = app
        .post_pairs(
            "/friends/blacklist/delete",
            &qz(&me, &[("toUserId", "100102")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["blacklist"], 0);
    assert_eq!(b["data"]["status"], 2);
    assert_eq!(
        relation(&app, 100164, 100102)
            .await
            .unwrap()
            .get("blacklist"),
        Some(&Bson::Int32(0))
    );
    assert_eq!(
        relation(&app, 100102, 100164)
            .await
            .unwrap()
            .get("isBeenBlack"),
        Some(&Bson::Int32(0))
    );
    let (_, b) = app
        .get("/friends/blacklist", &[("access_token", &me)])
        .await;
    assert_eq!(b["data"], json!([]));
}

#[actix_web::test]
async fn blacklisting_a_stranger_makes_and_unmakes_both_relations() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let (_, b) = app
        .post_pairs(
            "/friends/blacklist/add",
            &qz(&me, &[("toUserId", "100174")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let mine = relation(&app, 100164, 100174).await.unwrap();
    assert_eq!(mine.get("status"), Some(&Bson::Int32(0)));
    assert_eq!(mine.get("blacklist"), Some(&Bson::Int32(1)));
    assert_eq!(mine.get_str("toNickname"), Ok("周仕彦"));
    assert!(matches!(mine.get("createTime"), Some(Bson::Int64(_))));
    let theirs = relation(&app, 100174, 100164).await.unwrap();
    assert_eq!(theirs.get("status"), Some(&Bson::Int32(0)));
    assert_eq!(theirs.get("isBeenBlack"), Some(&Bson::Int32(1)));
    assert_eq!(theirs.get("blacklist"), Some(&Bson::Int32(0)));
    let (_, b) = app
        .post_pairs(
            "/friends/blacklist/delete",
            &qz(&me, &[("toUserId", "100174")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(b.get("data").is_none(), "{b}");
    assert!(relation(&app, 100164, 100174).await.is_none());
    assert!(relation(&app, 100174, 100164).await.is_none());
}

#[actix_web::test]
async fn unfriending_removes_both_sides_but_not_the_messages() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "friendGroup",
        vec![doc! {"userId": 100158, "groupName": "家人",
        "userIdList": [100164], "createTime": 1i64}],
    )
    .await;
    let me = app.token_for(100164).await;
    refused(
        &app,
        "/friends/delete",
        &qz(&me, &[("toUserId", "100164")]),
        100508,
    )
    .await;
    refused(
        &app,
        "/friends/delete",
        &qz(&me, &[("toUserId", "100174")]),
        100510,
    )
    .await;
    refused(&app, "/friends/delete", &qz(&me, &[]), 1010101).await;
    let msgs_before = app.dump(&app.store().cfg.msgs, "10").await;

    let (s, b) = app
        .post_pairs("/friends/delete", &qz(&me, &[("toUserId", "100158")]))
        .await;
    assert_eq!((s, &b["resultCode"]), (200, &json!(1)), "{b}");
    assert!(relation(&app, 100164, 100158).await.is_none());
    assert!(relation(&app, 100158, 100164).await.is_none());
    assert!(relation(&app, 100164, 100102).await.is_some());
    assert_eq!(
        app.dump(&db, "friendGroup").await[0]
            .get_array("userIdList")
            .unwrap(),
        &Vec::<Bson>::new()
    );
    assert_eq!(friend_ops(&app, 100164).await, ["100158"]);
    assert_eq!(friend_ops(&app, 100158).await, ["100164"]);
    assert_eq!(app.dump(&app.store().cfg.msgs, "10").await, msgs_before);
    refused(
        &app,
        "/friends/delete",
        &qz(&me, &[("toUserId", "100158")]),
        100510,
    )
    .await;
    // No relation: /friends/get answers no data.
    let (_, b) = app
        .post_pairs("/friends/get", &qz(&me, &[("toUserId", "100158")]))
        .await;
    assert_eq!(b["resultCode"], 1);
    assert!(b.get("data").is_none(), "{b}");
}

/// WX: the business card's remark, the pin of a chat (`type` 2 with the peer
/// as `userId` too), the encryption switch.
#[actix_web::test]
async fn remarks_and_per_friend_switches() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let form = |extra: &[(&'static str, &str)]| {
        let mut p = vec![("access_token", me.clone())];
        p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };
    let (_, b) = app
        .post_pairs(
            "/friends/remark",
            &form(&[("toUserId", "100102"), ("remarkName", "张三")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let r = relation(&app, 100164, 100102).await.unwrap();
    assert_eq!(r.get_str("remarkName"), Ok("张三"));
    assert_eq!(r.get_str("orderKey"), Ok("Z"));
    assert_eq!(r.get("status"), Some(&Bson::Int32(2)));
    // A remark of someone not yet related: a stranger's relation holds it.
    let (_, b) = app
        .post_pairs(
            "/friends/remark",
            &form(&[
                ("toUserId", "100174"),
                ("remarkName", "老周"),
                ("describe", "同学"),
            ]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let r = relation(&app, 100164, 100174).await.unwrap();
    assert_eq!(
        (r.get_str("remarkName"), r.get_str("describe")),
        (Ok("老周"), Ok("同学"))
    );
    assert_eq!(r.get("status"), Some(&Bson::Int32(0)));
    refused(
        &app,
        "/friends/remark",
        &form(&[("toUserId", "100999"), ("remarkName", "x")]),
        100211,
    )
    .await;
    refused(
        &app,
        "/friends/remark",
        &form(&[("remarkName", "x")]),
        1010101,
    )
    .await;

    // Pin (WX sends the peer as userId as well); the answer is the relation
    // after the change (iOS keeps its `openTopChatTime` as the pin time).
    let before_s = chrono::Utc::now().timestamp();
    let (_, b) = app
        .post_pairs(
            "/friends/update/OfflineNoPushMsg",
            &form(&[
                ("type", "2"),
                ("offlineNoPushMsg", "1"),
                ("userId", "100102"),
                ("toUserId", "100102"),
            ]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let top = relation(&app, 100164, 100102)
        .await
        .unwrap()
        .get_i64("openTopChatTime")
        .unwrap();
    assert_eq!(b["data"]["openTopChatTime"], json!(top));
    assert!(
        top >= before_s && top < before_s + 60,
        "seconds, Int64: {top}"
    );
    let (_, b) = app
        .post_pairs(
            "/friends/update/OfflineNoPushMsg",
            &form(&[
                ("type", "0"),
                ("offlineNoPushMsg", "1"),
                ("userId", "100102"),
                ("toUserId", "100102"),
            ]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        relation(&app, 100164, 100102)
            .await
            .unwrap()
            .get("offlineNoPushMsg"),
        Some(&Bson::Int32(1))
    );
    refused(
        &app,
        "/friends/update/OfflineNoPushMsg",
        &form(&[("type", "2"), ("toUserId", "100102")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/friends/update/OfflineNoPushMsg",
        &form(&[("type", "7"), ("userId", "1"), ("toUserId", "100102")]),
        1010101,
    )
    .await;

    // Encryption: both sides.
    let (_, b) = app
        .post_pairs(
            "/friends/modify/encryptType",
            &qz(&me, &[("toUserId", "100159"), ("encryptType", "2")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        relation(&app, 100164, 100159)
            .await
            .unwrap()
            .get("encryptType"),
        Some(&Bson::Int32(2))
    );
    assert_eq!(
        relation(&app, 100159, 100164)
            .await
            .unwrap()
            .get("encryptType"),
        Some(&Bson::Int32(2))
    );
    refused(
        &app,
        "/friends/modify/encryptType",
        &qz(&me, &[("toUserId", "100159"), ("encryptType", "9")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/friends/modify/encryptType",
        &qz(&me, &[("toUserId", "100999"), ("encryptType", "1")]),
        100510,
    )
    .await;
}

/// The new-friend records the IM server keeps (`imapi.NewFriends`; ids as
/// strings from the newer servers, numbers from older ones).
#[actix_web::test]
async fn new_friend_records_for_qz_android_and_wx() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let db = imapi(&app);
    app.insert(&db, "NewFriends", vec![
        doc! {"userId": "100164", "toUserId": "100174", "direction": 1, "type": 500,
            "content": "你好", "createTime": 1700000000i64, "modifyTime": 1700000100i64, "from": "100174"},
        doc! {"userId": 100164, "toUserId": 100102, "direction": 0, "type": 501,
            "content": "", "createTime": 1600000000i64, "modifyTime": 1600000000i64},
        doc! {"userId": "100174", "toUserId": "100164", "direction": 0, "type": 500,
            "content": "你好", "createTime": 1700000000i64, "modifyTime": 1700000100i64},
    ]).await;
    let me = app.token_for(100164).await;
    // Android: GET with userId (required, then the caller's are read).
    let (_, b) = app
        .get(
            "/friends/newFriend/list",
            &[
                ("access_token", &me),
                ("userId", "100164"),
                ("pageIndex", "0"),
                ("pageSize", "100"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let list = b["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["toUserId"], 100174);
    assert_eq!(list[0]["userId"], 100164);
    assert_eq!(list[0]["toNickname"], "周仕彦");
    assert_eq!(list[0]["type"], 500);
    assert_eq!(list[0]["content"], "你好");
    assert!(list[0].get("status").is_none(), "no relation, no status");
    assert_eq!(list[1]["toUserId"], 100102);
    assert_eq!(list[1]["status"], 2);
    let (_, b) = app
        .get("/friends/newFriend/list", &[("access_token", &me)])
        .await;
    assert_eq!(b["resultCode"], 1010101);
    // WX: a page object.
    let (_, b) = app
        .get(
            "/friends/newFriendListWeb",
            &[("access_token", &me), ("pageSize", "1")],
        )
        .await;
    assert_eq!(b["data"]["pageData"].as_array().unwrap().len(), 1);
    assert_eq!(b["data"]["pageData"][0]["toUserId"], 100174);
    // QZ, on a 502: the pair's record, toUserId a number.
    let (_, b) = app
        .post_pairs(
            "/friends/newFriend/last",
            &qz(&me, &[("toUserId", "100174")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["toUserId"], json!(100174));
    assert_eq!(b["data"]["direction"], 1);
    let (_, b) = app
        .post_pairs(
            "/friends/newFriend/last",
            &qz(&me, &[("toUserId", "100159")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1020101, "{b}");
    assert!(b.get("data").is_none());
    let _: Value = b;
}

/// Takes the official-account role (2) from a seed user: an ordinary user,
/// whose "verify friends" setting applies.
async fn make_ordinary(app: &TestApp, user: i32) {
    app.store()
        .client
        .database(&imapi(app))
        .collection::<Document>("userRoles")
        .delete_many(doc! {"userId": user})
        .await
        .unwrap();
}

/// Android's and WX's "add": a request to a user who verifies friends, then
/// their add back makes both friends; Android's "stop following".
#[actix_web::test]
async fn attention_add_requests_then_befriends() {
    let app = TestApp::start().await;
    app.load_seed().await;
    make_ordinary(&app, 100164).await;
    let a = app.token_for(100174).await;
    let b_tok = app.token_for(100164).await;
    refused(
        &app,
        "/friends/attention/add",
        &vec![("access_token", a.clone()), ("toUserId", "100174".into())],
        100501,
    )
    .await;
    refused(
        &app,
        "/friends/attention/add",
        &vec![("access_token", a.clone()), ("toUserId", "100999".into())],
        100211,
    )
    .await;
    let (_, r) = app
        .get(
            "/friends/attention/add",
            &[
                ("access_token", &a),
                ("toUserId", "100164"),
                ("fromAddType", "4"),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"], json!({"fromAddType": 4, "type": 1}));
    let ab = relation(&app, 100174, 100164).await.unwrap();
    assert_eq!(ab.get("status"), Some(&Bson::Int32(1)));
    assert_eq!(ab.get("fromAddType"), Some(&Bson::Int32(4)));
    assert!(relation(&app, 100164, 100174).await.is_none());
    // The other adds back: friends both ways.
    let (_, r) = app
        .post_form(
            "/friends/attention/add",
            &[("access_token", &b_tok), ("toUserId", "100174")],
        )
        .await;
    assert_eq!(r["data"]["type"], 2, "{r}");
    assert_eq!(
        relation(&app, 100174, 100164).await.unwrap().get("status"),
        Some(&Bson::Int32(2))
    );
    assert_eq!(
        relation(&app, 100164, 100174).await.unwrap().get("status"),
        Some(&Bson::Int32(2))
    );
    // Unfollow removes only the caller's side.
    let (_, r) = app
        .get(
            "/friends/attention/delete",
            &[("access_token", &a), ("toUserId", "100164")],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(relation(&app, 100174, 100164).await.is_none());
    assert!(relation(&app, 100164, 100174).await.is_some());
    refused(
        &app,
        "/friends/attention/delete",
        &vec![("access_token", a.clone()), ("toUserId", "100164".into())],
        100510,
    )
    .await;
}

/// The deployment's users are official accounts (role 2, `userType` 2):
/// as with the original, adding one needs no verification whatever its
/// `friendsVerify` (iOS shows them as friends at once and opens the chat).
/// A user who allows no followers (`allowAtt` 0) refuses with 1100801 and
/// nothing is written.
#[actix_web::test]
async fn official_accounts_are_befriended_at_once() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100174).await;
    let users = app
        .store()
        .client
        .database(&imapi(&app))
        .collection::<Document>("user");
    users
        .update_one(
            doc! {"_id": 100164},
            doc! {"$set": {"settings.friendsVerify": 1}},
        )
        .await
        .unwrap();
    // As iOS posts it (JXServer addAttention: toUserId, fromAddType).
    let add = |to: &'static str| {
        let (app, a) = (&app, a.clone());
        async move {
            let form = [
                ("access_token", a.as_str()),
                ("toUserId", to),
                ("fromAddType", "5"),
            ];
            app.post_form("/friends/attention/add", &form).await.1
        }
    };
    let r = add("100164").await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"], json!({"fromAddType": 5, "type": 2}));
    for (x, y) in [(100174, 100164), (100164, 100174)] {
        let rel = relation(&app, x, y).await.unwrap();
        assert_eq!(rel.get("status"), Some(&Bson::Int32(2)), "{x} -> {y}");
        assert_eq!(rel.get("toUserType"), Some(&Bson::Int32(2)), "{x} -> {y}");
    }
    // A role the console disabled (status -1) makes no official account.
    users
        .update_one(
            doc! {"_id": 100159},
            doc! {"$set": {"settings.friendsVerify": 1}},
        )
        .await
        .unwrap();
    app.store()
        .client
        .database(&imapi(&app))
        .collection::<Document>("userRoles")
        .update_many(doc! {"userId": 100159}, doc! {"$set": {"status": -1}})
        .await
        .unwrap();
    let r = add("100159").await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"]["type"], 1, "a request: {r}");
    // allowAtt 0: refused before anything is written.
    users
        .update_one(
            doc! {"_id": 100158},
            doc! {"$set": {"settings.allowAtt": 0}},
        )
        .await
        .unwrap();
    let (s, r) = app
        .post_form(
            "/friends/attention/add",
            &[("access_token", &a), ("toUserId", "100158")],
        )
        .await;
    assert_eq!((s, r["resultCode"].as_i64()), (200, Some(1100801)), "{r}");
    assert_eq!(r["resultMsg"], "关注失败，目标用户拒绝关注");
    assert!(relation(&app, 100174, 100158).await.is_none());
    assert!(relation(&app, 100158, 100174).await.is_none());
}

/// Android's "keep messages for" and WX's blacklist page.
#[actix_web::test]
async fn chat_record_days_and_the_blacklist_page() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let (_, r) = app
        .get(
            "/friends/update",
            &[
                ("access_token", &me),
                ("toUserId", "100102"),
                ("chatRecordTimeOut", "7.0"),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        relation(&app, 100164, 100102)
            .await
            .unwrap()
            .get("chatRecordTimeOut"),
        Some(&Bson::Double(7.0))
    );
    refused(
        &app,
        "/friends/update",
        &vec![
            ("access_token", me.clone()),
            ("toUserId", "100102".into()),
            ("chatRecordTimeOut", "soon".into()),
        ],
        1010101,
    )
    .await;
    refused(
        &app,
        "/friends/update",
        &vec![
            ("access_token", me.clone()),
            ("toUserId", "100174".into()),
            ("chatRecordTimeOut", "1".into()),
        ],
        100510,
    )
    .await;
    app.post_pairs(
        "/friends/blacklist/add",
        &qz(&me, &[("toUserId", "100159")]),
    )
    .await;
    let (_, r) = app
        .get("/friends/queryBlacklistWeb", &[("access_token", &me)])
        .await;
    assert_eq!(r["data"]["pageData"][0]["toUserId"], 100159, "{r}");
    assert_eq!(r["data"]["pageIndex"], 0);
}

/// Android's contacts screen adds every registered contact at once.
#[actix_web::test]
async fn batch_add_befriends_the_listed_users() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100174).await;
    // 100158 blacklisted the caller: passed over.
    let other = app.token_for(100158).await;
    app.get(
        "/friends/blacklist/add",
        &[("access_token", &other), ("toUserId", "100174")],
    )
    .await;
    let (_, b) = app
        .get(
            "/friends/attention/batchAdd",
            &[
                ("access_token", &me),
                ("toUserIds", "100164,100102,100174,10000,100999,100158"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    for peer in [100164, 100102] {
        assert_eq!(
            relation(&app, 100174, peer).await.unwrap().get("status"),
            Some(&Bson::Int32(2))
        );
        assert_eq!(
            relation(&app, peer, 100174).await.unwrap().get("status"),
            Some(&Bson::Int32(2))
        );
    }
    assert!(relation(&app, 100174, 10000).await.is_none());
    assert_eq!(
        relation(&app, 100174, 100158).await.unwrap().get("status"),
        Some(&Bson::Int32(0))
    );
    refused(
        &app,
        "/friends/attention/batchAdd",
        &vec![("access_token", me.clone()), ("toUserIds", "1,x".into())],
        1010101,
    )
    .await;
}

/// 100174's stored "ways to add me".
async fn ways_of(app: &TestApp) -> String {
    app.dump(&imapi(app), "user")
        .await
        .into_iter()
        .find(|u| u.get_i32("_id") == Ok(100174))
        .unwrap()
        .get_document("settings")
        .unwrap()
        .get_str("friendFromList")
        .unwrap()
        .to_string()
}

/// Android's privacy screen (`PrivacySettingActivity`: `friendFromList`,
/// empty when every way is unticked) and its "add" (`BasicInfoActivity`:
/// `toUserId`, `fromAddType`): a way the user turned off is refused with
/// the original's text; a user who blacklisted the caller cannot be re-added.
#[actix_web::test]
async fn ways_to_add_me_and_the_blacklist_are_honoured() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let target = app.token_for(100174).await;
    let adder = app.token_for(100158).await;
    let ways = |list: &'static str| {
        let p = common::android(
            100174,
            &target,
            &[("userId", "100174"), ("friendFromList", list)],
        );
        let app = &app;
        async move {
            let (_, r) = app.get_pairs("/user/settings/update", &p).await;
            assert_eq!(r["resultCode"], 1, "{r}");
        }
    };
    let add = |uid: i64, tok: &str, to: &'static str, way: &'static str| {
        let p = common::android(uid, tok, &[("toUserId", to), ("fromAddType", way)]);
        let app = &app;
        async move {
            let before = app.snapshot().await;
            let (_, r) = app.get_pairs("/friends/attention/add", &p).await;
            if r["resultCode"] != 1 {
                assert!(app.snapshot().await == before, "a refused add wrote: {r}");
            }
            r
        }
    };
    ways("2").await;
    assert_eq!(ways_of(&app).await, "2");
    let r = add(100158, &adder, "100174", "1").await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(0), &json!("用户禁止二维码添加好友")),
        "{r}"
    );
    let r = add(100158, &adder, "100174", "5").await;
    assert_eq!(r["resultMsg"], "用户禁止昵称搜索添加好友", "{r}");
    let r = add(100158, &adder, "100174", "2").await;
    assert_eq!(r["resultCode"], 1, "{r}");
    // Every way unticked: sent empty, stored empty, every add refused.
    ways("").await;
    assert_eq!(ways_of(&app).await, "");
    let other = app.token_for(100159).await;
    let r = add(100159, &other, "100174", "0").await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(0), &json!("添加失败,该用户禁止该方式添加好友")),
        "{r}"
    );

    // 100164 blacklists his friend 100102; 100102's add back is refused.
    let owner = app.token_for(100164).await;
    let p = common::android(100164, &owner, &[("toUserId", "100102")]);
    let (_, r) = app.get_pairs("/friends/blacklist/add", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let peer = app.token_for(100102).await;
    let r = add(100102, &peer, "100164", "6").await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(0), &json!("加好友失败")),
        "{r}"
    );
    assert_eq!(
        relation(&app, 100164, 100102)
            .await
            .unwrap()
            .get("blacklist"),
        Some(&Bson::Int32(1))
    );
}
