//! Issue 5: `/friends/page` and `/friends/add` (seed sections 1.2 and 1.5).

use crate::common;

use bson::{doc, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

/// Seed section 1.2: the first three relations of user 100164.
const SEED_1_2_ITEMS: &str = r#"[
 {
  "account": "10000451059",
  "blacklist": 0,
  "chatRecordTimeOut": -1.0,
  "createTime": 1612772503,
  "encryptType": 0,
  "fromAddType": 4,
  "hideChatSwitch": 0,
  "hiding": -1,
  "isBeenBlack": 0,
  "isOpenSnapchat": 0,
  "lastTalkTime": 0,
  "modifyTime": 0,
  "msgNum": 0,
  "offlineNoPushMsg": 0,
  "openTopChatTime": 0,
  "orderKey": "K",
  "status": 2,
  "toFriendsRole": [
   2
  ],
  "toNickname": "客服公众号",
  "toUserId": 10000,
  "toUserType": 2,
  "userId": 100164
 },
 {
  "account": "100158644641",
  "blacklist": 0,
  "chatRecordTimeOut": -1.0,
  "createTime": 1612776011,
  "encryptType": 0,
  "fromAddType": 4,
  "hideChatSwitch": 0,
  "hiding": -1,
  "isBeenBlack": 0,
  "isOpenSnapchat": 0,
  "lastTalkTime": 0,
  "modifyTime": 0,
  "msgNum": 0,
  "offlineNoPushMsg": 0,
  "openTopChatTime": 0,
  "orderKey": "C",
  "status": 2,
  "toFriendsRole": [
   2
  ],
  "toNickname": "测试001",
  "toUserId": 100158,
  "toUserType": 2,
  "userId": 100164
 },
 {
  "account": "100159916320",
  "blacklist": 0,
  "chatRecordTimeOut": -1.0,
  "createTime": 1612776025,
  "encryptType": 0,
  "fromAddType": 4,
  "hideChatSwitch": 0,
  "hiding": -1,
  "isBeenBlack": 0,
  "isOpenSnapchat": 0,
  "lastTalkTime": 0,
  "modifyTime": 0,
  "msgNum": 0,
  "offlineNoPushMsg": 0,
  "openTopChatTime": 0,
  "orderKey": "P",
  "status": 2,
  "toFriendsRole": [
   2
  ],
  "toNickname": "朋友001",
  "toUserId": 100159,
  "toUserType": 2,
  "userId": 100164
 }
]"#;

fn imapi(app: &TestApp) -> String {
    app.store().cfg.imapi.clone()
}

async fn page(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> Value {
    let mut q = vec![("access_token", token), ("userId", "1")];
    q.extend_from_slice(extra);
    let (s, b) = app.get("/friends/page", &q).await;
    assert_eq!(s, 200);
    b
}

fn to_ids(b: &Value) -> Vec<i64> {
    b["data"]["pageData"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["toUserId"].as_i64().unwrap())
        .collect()
}

#[actix_web::test]
async fn page_answers_the_seed_shape_on_get_and_post() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let expected: Vec<Value> = serde_json::from_str(SEED_1_2_ITEMS).unwrap();
    let q = [
        ("access_token", token.as_str()),
        ("userId", "100164"),
        ("pageIndex", "0"),
        ("pageSize", "15"),
        ("flag", "rw"),
    ];
    for (s, b) in [
        app.get("/friends/page", &q).await,
        app.post_form("/friends/page", &q).await,
    ] {
        assert_eq!(s, 200);
        assert_eq!(b["resultCode"], 1);
        assert!(b.get("resultMsg").is_none());
        let d = &b["data"];
        assert_eq!(d["pageCount"], 1);
        assert_eq!(d["pageIndex"], 0);
        assert_eq!(d["pageSize"], 15);
        assert_eq!(d["start"], 0);
        // The seed showed 3; the seed data also holds the relation /friends/add created.
        assert_eq!(d["total"], 4);
        let items = d["pageData"].as_array().unwrap();
        assert_eq!(items.len(), 4);
        for (got, want) in items.iter().zip(expected.iter()) {
            assert_eq!(got, want);
            assert_eq!(
                serde_json::to_string(got).unwrap(),
                serde_json::to_string(want).unwrap()
            );
        }
        assert_eq!(items[3]["toUserId"], 100102);
        assert_eq!(items[3]["orderKey"], "A");
    }
}

/// The deployment's PC client (2022) posts `{userId, pageIndex:0, status:2,
/// pageSize:50000, token}` and reads the list under `data.data`.
#[actix_web::test]
async fn page_answers_the_list_under_data_for_the_pc_client() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let (_, b) = app
        .post_form(
            "/friends/page",
            &[
                ("access_token", token.as_str()),
                ("userId", "100164"),
                ("pageIndex", "0"),
                ("status", "2"),
                ("pageSize", "50000"),
                ("token", "task-token"),
                ("salt", "1700000000000"),
                ("secret", "x"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let list = b["data"]["data"].as_array().expect("data.data is the list");
    assert!(!list.is_empty());
    assert_eq!(b["data"]["data"], b["data"]["pageData"]);
    for f in list {
        assert!(
            f["toUserId"].is_i64() && f["toNickname"].is_string() && f["createTime"].is_i64(),
            "{f}"
        );
        assert!(f["userId"].is_i64());
    }
}

#[actix_web::test]
async fn paging_edges() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    // Last page.
    let b = page(&app, &token, &[("pageIndex", "1"), ("pageSize", "3")]).await;
    assert_eq!(to_ids(&b), vec![100102]);
    assert_eq!(b["data"]["pageCount"], 2);
    assert_eq!(b["data"]["start"], 3);
    assert_eq!(b["data"]["total"], 4);
    // Middle page, stored order.
    let b = page(&app, &token, &[("pageIndex", "1"), ("pageSize", "2")]).await;
    assert_eq!(to_ids(&b), vec![100159, 100102]);
    // Beyond the end: empty page, same total.
    let b = page(&app, &token, &[("pageIndex", "9"), ("pageSize", "2")]).await;
    assert_eq!(to_ids(&b), Vec::<i64>::new());
    assert_eq!(b["data"]["total"], 4);
    assert_eq!(b["data"]["start"], 18);
    // pageSize beyond the bound is clamped (the seed's clients ask 50000).
    let b = page(&app, &token, &[("pageSize", "50000")]).await;
    assert_eq!(b["data"]["pageSize"], 1000);
    assert_eq!(to_ids(&b).len(), 4);
    // Default page size is the original's 10.
    let b = page(&app, &token, &[]).await;
    assert_eq!(b["data"]["pageSize"], 10);
    // A user with no relations: empty page.
    let t2 = app.token_for(100174).await;
    let b = page(&app, &t2, &[]).await;
    assert_eq!(b["data"]["total"], 0);
    assert_eq!(b["data"]["pageCount"], 0);
    assert_eq!(b["data"]["pageData"], json!([]));
    // Bad parameters.
    let before = app.snapshot().await;
    let (_, b) = app
        .get("/friends/page", &[("access_token", token.as_str())])
        .await;
    assert_eq!(
        b["resultCode"], 1010101,
        "userId is required like the original"
    );
    let b = page(&app, &token, &[("pageIndex", "x")]).await;
    assert_eq!(b["resultCode"], 1010101);
    let b = page(&app, &token, &[("pageIndex", "-1")]).await;
    assert_eq!(b["resultCode"], 1010101);
    let (_, b) = app.get("/friends/page", &[("userId", "100164")]).await;
    assert_eq!(
        b,
        json!({"resultCode": 1030101, "resultMsg": "缺少访问令牌"})
    );
    assert_eq!(app.snapshot().await, before);
}

#[actix_web::test]
async fn blacklisted_and_other_relations_keyword_and_fresh_nicknames() {
    let app = TestApp::start().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "user",
        vec![
            doc! {"_id": 100400, "nickname": "owner"},
            doc! {"_id": 100401, "nickname": "新名字"},
            doc! {"_id": 100402, "nickname": "Bob"},
            doc! {"_id": 100403, "nickname": "Carol"},
            doc! {"_id": 100404, "nickname": "Dave"},
        ],
    )
    .await;
    // As the Java server stored them (minimal old-style documents too).
    app.insert(
        &db,
        "u_friends",
        vec![
            doc! {"userId": 100400, "toUserId": 100401, "status": 2, "toNickname": "旧名字",
            "blacklist": 0, "isBeenBlack": 0, "createTime": 10i64},
            doc! {"userId": 100400, "toUserId": 100402, "status": -1, "toNickname": "Bob",
            "blacklist": 1, "isBeenBlack": 0, "createTime": 11i64},
            doc! {"userId": 100400, "toUserId": 100403, "status": 1, "toNickname": "Carol",
            "remarkName": "同事 (work)", "createTime": 12i64},
            doc! {"userId": 100400, "toUserId": 100404, "status": 2, "toNickname": "Dave",
            "blacklist": 0, "isBeenBlack": 1, "createTime": 13i64},
            doc! {"userId": 100401, "toUserId": 100400, "status": 2, "toNickname": "owner"},
        ],
    )
    .await;
    let token = app.token_for(100400).await;
    // Default status 2: friends only; the blacklisted (-1) and followed (1) are not listed,
    // the one who blacklisted me still is, flagged isBeenBlack.
    let b = page(&app, &token, &[]).await;
    assert_eq!(to_ids(&b), vec![100401, 100404]);
    let items = b["data"]["pageData"].as_array().unwrap();
    assert_eq!(items[0]["toNickname"], "新名字", "nickname is refreshed");
    assert_eq!(items[1]["isBeenBlack"], 1);
    // Entity defaults fill what old documents lack.
    assert_eq!(items[0]["chatRecordTimeOut"], json!(-1.0));
    assert_eq!(items[0]["offlineNoPushMsg"], 0);
    assert_eq!(items[0]["fromAddType"], 0);
    assert!(items[0].get("_id").is_none() && items[0].get("id").is_none());
    // status <= 0: every relation.
    let b = page(&app, &token, &[("status", "0")]).await;
    assert_eq!(to_ids(&b), vec![100401, 100402, 100403, 100404]);
    let b = page(&app, &token, &[("status", "-1")]).await;
    assert_eq!(b["data"]["total"], 4);
    let b = page(&app, &token, &[("status", "1")]).await;
    assert_eq!(to_ids(&b), vec![100403]);
    // keyword: toNickname or remarkName, case-insensitive, literal (no regex injection).
    let b = page(&app, &token, &[("status", "0"), ("keyword", "DAVE")]).await;
    assert_eq!(to_ids(&b), vec![100404]);
    let b = page(&app, &token, &[("status", "0"), ("keyword", "(work)")]).await;
    assert_eq!(to_ids(&b), vec![100403]);
    let b = page(&app, &token, &[("status", "0"), ("keyword", ".*")]).await;
    assert_eq!(to_ids(&b), Vec::<i64>::new());
    // Another user's token sees only its own relations, whatever userId it sends.
    let other = app.token_for(100401).await;
    let (_, b) = app
        .get(
            "/friends/page",
            &[
                ("access_token", other.as_str()),
                ("userId", "100400"),
                ("status", "0"),
            ],
        )
        .await;
    assert_eq!(to_ids(&b), vec![100400]);
}

fn strip(mut d: Document) -> Document {
    d.remove("_id");
    d
}

#[actix_web::test]
async fn add_creates_both_sides_like_the_seed() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let db = imapi(&app);
    let token = app.token_for(100174).await;
    let before_s = chrono::Utc::now().timestamp();
    let (s, b) = app
        .get(
            "/friends/add",
            &[
                ("access_token", token.as_str()),
                ("toUserId", "100158"),
                ("flag", "rw"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b.as_object().unwrap().len(), 2, "{b}");
    assert_eq!(b["resultCode"], 1);
    assert!(b["currentTime"].as_i64().unwrap() > 1_600_000_000_000);

    let all = app.dump(&db, "u_friends").await;
    assert_eq!(all.len(), 10);
    let mine: Vec<Document> = all
        .iter()
        .filter(|d| d.get_i32("userId") == Ok(100174) || d.get_i32("toUserId") == Ok(100174))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 2);
    let ab = mine
        .iter()
        .find(|d| d.get_i32("userId") == Ok(100174))
        .unwrap();
    let ba = mine
        .iter()
        .find(|d| d.get_i32("userId") == Ok(100158))
        .unwrap();
    let t = ab.get_i64("createTime").unwrap();
    assert!(
        t >= before_s && t <= before_s + 60,
        "createTime in seconds, Int64"
    );
    assert!(matches!(ab.get("_id"), Some(Bson::ObjectId(_))));
    // Field for field (and BSON type for type) like the seed's relation 100164 → 100102,
    // which the seed's /friends/add created.
    let expected_ab = doc! {
        "account": "100158644641", "blacklist": 0, "chatRecordTimeOut": -1.0,
        "createTime": t, "encryptType": 0, "fromAddType": 4, "hideChatSwitch": 0,
        "hiding": -1, "isBeenBlack": 0, "isOpenSnapchat": 0, "lastTalkTime": 0i64,
        "modifyTime": 0i64, "msgNum": 0i64, "offlineNoPushMsg": 0, "openTopChatTime": 0i64,
        "orderKey": "C", "status": 2, "toFriendsRole": [2], "toNickname": "测试001",
        "toUserId": 100158, "toUserType": 2, "userId": 100174,
    };
    assert_eq!(strip(ab.clone()), expected_ab);
    let expected_ba = doc! {
        "account": "100174285603", "blacklist": 0, "chatRecordTimeOut": -1.0,
        "createTime": t, "encryptType": 0, "fromAddType": 4, "hideChatSwitch": 0,
        "hiding": -1, "isBeenBlack": 0, "isOpenSnapchat": 0, "lastTalkTime": 0i64,
        "modifyTime": 0i64, "msgNum": 0i64, "offlineNoPushMsg": 0, "openTopChatTime": 0i64,
        "orderKey": "Z", "status": 2, "toFriendsRole": [2], "toNickname": "周仕彦",
        "toUserId": 100174, "toUserType": 2, "userId": 100158,
    };
    assert_eq!(strip(ba.clone()), expected_ba);
    // The seed's own pair has the same shape (same keys, same types).
    let seed_pair = all
        .iter()
        .find(|d| d.get_i32("userId") == Ok(100164) && d.get_i32("toUserId") == Ok(100102))
        .unwrap();
    let keys = |d: &Document| {
        let mut k = d.keys().cloned().collect::<Vec<_>>();
        k.sort();
        k
    };
    assert_eq!(keys(seed_pair), keys(ab));
    for (k, v) in seed_pair {
        assert_eq!(v.element_type(), ab.get(k).unwrap().element_type(), "{k}");
    }

    // Both now list each other.
    let (_, b) = app
        .get(
            "/friends/page",
            &[("access_token", token.as_str()), ("userId", "100174")],
        )
        .await;
    assert_eq!(b["data"]["pageData"][0]["toUserId"], 100158);
    let t2 = app.token_for(100158).await;
    let (_, b) = app
        .post_form(
            "/friends/page",
            &[("access_token", t2.as_str()), ("userId", "0")],
        )
        .await;
    assert_eq!(to_ids(&b), vec![100164, 100174]);

    // Adding again, in either direction: refused, nothing duplicated or changed.
    let before = app.snapshot().await;
    for (tok, to) in [(&token, "100158"), (&t2, "100174")] {
        let (s, b) = app
            .post_form(
                "/friends/add",
                &[("access_token", tok.as_str()), ("toUserId", to)],
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["resultCode"], 100512);
        assert_eq!(b["resultMsg"], "对方已经是你的好友");
        assert!(b["currentTime"].is_i64());
    }
    assert_eq!(app.snapshot().await, before);
}

#[actix_web::test]
async fn add_refusals_change_nothing() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100174).await;
    let before = app.snapshot().await;
    let (_, b) = app
        .get(
            "/friends/add",
            &[("access_token", token.as_str()), ("toUserId", "100174")],
        )
        .await;
    assert_eq!(b["resultCode"], 100501);
    assert_eq!(b["resultMsg"], "不能添加自己");
    let (_, b) = app
        .get(
            "/friends/add",
            &[("access_token", token.as_str()), ("toUserId", "999999")],
        )
        .await;
    assert_eq!(
        b,
        json!({"detailMsg": "", "resultCode": 100211, "resultMsg": "该用户不存在"})
    );
    let (_, b) = app
        .get("/friends/add", &[("access_token", token.as_str())])
        .await;
    assert_eq!(b["resultCode"], 1010101);
    let (_, b) = app
        .get(
            "/friends/add",
            &[("access_token", token.as_str()), ("toUserId", "abc")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);
    let (_, b) = app.get("/friends/add", &[("toUserId", "100158")]).await;
    assert_eq!(b["resultCode"], 1030101);
    let (_, b) = app
        .get(
            "/friends/add",
            &[("access_token", "nope"), ("toUserId", "100158")],
        )
        .await;
    assert_eq!(b["resultCode"], 1030102);
    assert_eq!(app.snapshot().await, before);
}

#[actix_web::test]
async fn add_upgrades_an_existing_non_friend_relation_without_duplicating() {
    let app = TestApp::start().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "user",
        vec![
            // A stored `role` (which the original never stores) is not what counts.
            doc! {"_id": 100500, "nickname": "甲", "userType": 1, "role": [2],
            "settings": {"chatRecordTimeOut": "7.0", "hiding": 0}},
            doc! {"_id": 100501, "nickname": "乙", "userType": 2},
        ],
    )
    .await;
    // Roles live in `userRoles`: 100501 is an official account (2), 100500 a guest (1).
    app.insert(
        &db,
        "userRoles",
        vec![
            doc! {"userId": 100501, "role": 2, "status": 1},
            doc! {"userId": 100500, "role": 1, "status": 1},
        ],
    )
    .await;
    // 100500 follows 100501 (status 1) with a remark and an unknown field.
    app.insert(
        &db,
        "u_friends",
        vec![
            doc! {"userId": 100500, "toUserId": 100501, "status": 1, "toNickname": "乙",
            "remarkName": "老乙", "blacklist": 0, "createTime": 100i64, "custom": "keep"},
        ],
    )
    .await;
    let token = app.token_for(100500).await;
    let (_, b) = app
        .post_form(
            "/friends/add",
            &[("access_token", token.as_str()), ("toUserId", "100501")],
        )
        .await;
    assert_eq!(b["resultCode"], 1);
    let all = app.dump(&db, "u_friends").await;
    assert_eq!(all.len(), 2);
    let ab = all
        .iter()
        .find(|d| d.get_i32("userId") == Ok(100500))
        .unwrap();
    assert_eq!(ab.get_i32("status"), Ok(2));
    assert_eq!(ab.get_str("remarkName"), Ok("老乙"));
    assert_eq!(ab.get_str("custom"), Ok("keep"));
    assert_eq!(ab.get_i64("createTime"), Ok(100));
    assert_eq!(ab.get_i32("toUserType"), Ok(2));
    assert_eq!(
        ab.get_array("toFriendsRole").unwrap(),
        &vec![Bson::Int32(2)]
    );
    assert!(ab.get_i64("modifyTime").unwrap() > 1_600_000_000);
    let ba = all
        .iter()
        .find(|d| d.get_i32("userId") == Ok(100501))
        .unwrap();
    assert_eq!(ba.get_i32("status"), Ok(2));
    assert_eq!(ba.get_str("toNickname"), Ok("甲"));
    assert_eq!(ba.get_str("orderKey"), Ok("J"));
    // toUserType holds only 0 and 2 (the original's addFriends): 甲 has no role 2.
    assert_eq!(ba.get_i32("toUserType"), Ok(0));
    assert_eq!(
        ba.get_array("toFriendsRole").unwrap(),
        &vec![Bson::Int32(1)]
    );
    // The acting user's other devices are told (offlineOperation, tag friend).
    let ops = app.dump(&db, "offlineOperation").await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0].get_i32("userId"), Ok(100500));
    assert_eq!(ops[0].get_str("tag"), Ok("friend"));
    assert_eq!(ops[0].get_str("friendId"), Ok("100501"));
    assert!(ops[0].get_i64("operationTime").unwrap() > 1_600_000_000);
    assert!(matches!(ops[0].get("_id"), Some(Bson::ObjectId(_))));
    // The relation's owner's own chat-record setting; the friend's hiding flag.
    assert_eq!(ba.get_f64("chatRecordTimeOut"), Ok(-1.0));
    assert_eq!(ba.get_i32("hiding"), Ok(0));
    assert!(ba.get("account").is_none());
}

#[actix_web::test]
async fn page_query_is_served_by_an_index() {
    let app = TestApp::start().await;
    app.load_seed().await;
    app.store().create_all_indexes().await.unwrap();
    let db = app.store().client.database(&imapi(&app));
    let plan = db
        .run_command(
            doc! {"explain": {"find": "u_friends", "filter": {"userId": 100164, "status": 2},
            "sort": {"_id": 1}, "skip": 0, "limit": 10}, "verbosity": "queryPlanner"},
        )
        .await
        .unwrap();
    let text = format!("{plan:?}");
    eprintln!("{text}");
    assert!(!text.contains("COLLSCAN"), "{text}");
}

/// Android's data-download screen (`DataDownloadActivity`): `GET user/get`,
/// `friends/attention/list`, `friendGroup/list`, `room/list/his`; any failure
/// keeps the app on that screen.
#[actix_web::test]
async fn android_data_download_screen() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let imapi = app.store().cfg.imapi.clone();
    let gid = bson::oid::ObjectId::new();
    app.insert(&imapi, "friendGroup", vec![
        bson::doc! {"_id": gid, "userId": 100164, "groupName": "同事", "userIdList": [100102], "createTime": 1612772503i64},
        bson::doc! {"_id": bson::oid::ObjectId::new(), "userId": 100102, "groupName": "not mine", "userIdList": [], "createTime": 1612772503i64},
    ]).await;
    let q = |extra: &[(&'static str, &'static str)]| {
        let mut p = vec![
            ("access_token", token.as_str()),
            ("language", "zh"),
            ("salt", "1700000000000"),
            ("secret", "c2lnbg=="),
        ];
        p.extend_from_slice(extra);
        p
    };
    let (_, me) = app.get("/user/get", &q(&[])).await;
    assert_eq!(me["resultCode"], 1);
    // A request 100164 sent and nobody answered: not a contact.
    app.insert(
        &app.store().cfg.imapi,
        "u_friends",
        vec![
            bson::doc! {"userId": 100164, "toUserId": 100174, "status": 1, "blacklist": 0,
            "isBeenBlack": 0, "createTime": 1_700_000_000i64, "modifyTime": 1_700_000_000i64},
        ],
    )
    .await;
    let (s, att) = app.get("/friends/attention/list", &q(&[])).await;
    assert_eq!((s, att["resultCode"].as_i64()), (200, Some(1)), "{att}");
    let list = att["data"].as_array().expect("a list");
    let page = |status: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let (_, all) = app
                .get(
                    "/friends/page",
                    &[
                        ("access_token", token.as_str()),
                        ("userId", "100164"),
                        ("status", status),
                        ("pageSize", "100"),
                    ],
                )
                .await;
            all["data"]["pageData"].clone()
        }
    };
    assert_eq!(
        att["data"],
        page("2").await,
        "the friends, as /friends/page answers them (the original's queryFollow)"
    );
    assert!(!list.is_empty());
    assert!(page("0")
        .await
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["toUserId"] == 100174 && f["status"] == 1));
    assert!(list
        .iter()
        .all(|f| f["status"] == 2 && f["toUserId"] != 100174));
    assert!(list
        .iter()
        .all(|f| f["userId"] == 100164 && f["toUserId"].is_i64() && f["status"].is_i64()));
    let (_, friends_only) = app
        .get("/friends/attention/list", &q(&[("status", "2")]))
        .await;
    assert!(friends_only["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == 2));
    let (_, groups) = app.get("/friendGroup/list", &q(&[])).await;
    assert_eq!(groups["resultCode"], 1, "{groups}");
    assert_eq!(
        groups["data"],
        serde_json::json!([{"groupId": gid.to_hex(), "userId": 100164, "groupName": "同事",
                            "userIdList": [100102], "createTime": 1612772503}])
    );
    let (_, rooms) = app
        .get(
            "/room/list/his",
            &q(&[("type", "0"), ("pageIndex", "0"), ("pageSize", "1000")]),
        )
        .await;
    assert_eq!(rooms["resultCode"], 1);
    assert!(rooms["data"].is_array());
    for path in ["/friends/attention/list", "/friendGroup/list"] {
        let (_, b) = app.get(path, &[]).await;
        assert_eq!(b["resultCode"], 1030101, "{path}");
    }
    let (_, b) = app
        .get("/friends/attention/list", &q(&[("status", "x")]))
        .await;
    assert_eq!(b["resultCode"], 1010101);
}

async fn my_labels(app: &TestApp, imapi: &str) -> Vec<bson::Document> {
    app.dump(imapi, "friendGroup")
        .await
        .into_iter()
        .filter(|d| d.get_i32("userId") == Ok(100164))
        .collect()
}

/// Android's label screens (`CreateLabelActivity`, `SetLabelActivity`,
/// `LabelActivity`): GET requests with `access_token`; the stored
/// `friendGroup` documents keep the original's types; another user's label is
/// never changed.
#[actix_web::test]
async fn android_label_screens() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let imapi = app.store().cfg.imapi.clone();
    let foreign = bson::oid::ObjectId::new();
    app.insert(&imapi, "friendGroup", vec![
        bson::doc! {"_id": foreign, "userId": 100102, "groupName": "他的", "userIdList": [100164], "createTime": 1612772503i64},
    ]).await;
    let get = |path: &'static str, extra: Vec<(&'static str, String)>| {
        let mut p = vec![("access_token", token.clone())];
        p.extend(extra);
        let app = &app;
        async move { app.get_pairs(path, &p).await }
    };

    // CreateLabelActivity: add, then the chosen friends.
    let (s, b) = get("/friendGroup/add", vec![("groupName", "家人".into())]).await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let gid = b["data"]["groupId"].as_str().unwrap().to_string();
    assert_eq!(gid.len(), 24);
    assert_eq!(b["data"]["groupName"], "家人");
    assert_eq!(b["data"]["userId"], 100164);
    assert_eq!(b["data"]["userIdList"], serde_json::json!([]));
    assert!(b["data"]["createTime"].is_i64());
    let stored = my_labels(&app, &imapi).await;
    assert_eq!(stored.len(), 1);
    let l = &stored[0];
    assert_eq!(l.get_object_id("_id").unwrap().to_hex(), gid);
    assert!(matches!(l.get("createTime"), Some(bson::Bson::Int64(_))));
    assert_eq!(l.get("userId"), Some(&bson::Bson::Int32(100164)));

    // The caller's other devices are told (multipleDevices is 1): one label record.
    let label_ops = || async {
        app.dump(&imapi, "offlineOperation")
            .await
            .into_iter()
            .filter(|d| d.get_str("tag") == Ok("label"))
            .collect::<Vec<_>>()
    };
    let ops = label_ops().await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0].get("userId"), Some(&bson::Bson::Int32(100164)));
    assert_eq!(ops[0].get_str("friendId"), Ok("100164"));
    let first_time = ops[0].get_i64("operationTime").unwrap();
    assert!(first_time > 1_600_000_000);

    let (_, b) = get("/friendGroup/add", vec![("groupName", "家人".into())]).await;
    assert_eq!(b["resultCode"], 100701, "{b}");
    assert_eq!(b["resultMsg"], "分组名称已存在");

    let (_, b) = get(
        "/friendGroup/updateGroupUserList",
        vec![
            ("groupId", gid.clone()),
            ("userIdListStr", "100102,100174".into()),
        ],
    )
    .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let l = &my_labels(&app, &imapi).await[0];
    assert_eq!(
        l.get_array("userIdList").unwrap(),
        &vec![bson::Bson::Int32(100102), bson::Bson::Int32(100174)]
    );

    // Rename.
    let (_, b) = get(
        "/friendGroup/update",
        vec![("groupId", gid.clone()), ("groupName", "亲人".into())],
    )
    .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        my_labels(&app, &imapi).await[0]
            .get_str("groupName")
            .unwrap(),
        "亲人"
    );

    // SetLabelActivity: the labels of one friend (a second label, then none).
    let (_, b) = get("/friendGroup/add", vec![("groupName", "同事".into())]).await;
    let gid2 = b["data"]["groupId"].as_str().unwrap().to_string();
    let (_, b) = get(
        "/friendGroup/updateFriend",
        vec![("toUserId", "100102".into()), ("groupIdStr", gid2.clone())],
    )
    .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, list) = get("/friendGroup/list", vec![]).await;
    let by_name = |n: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["groupName"] == n)
            .unwrap()["userIdList"]
            .clone()
    };
    assert_eq!(by_name("亲人"), serde_json::json!([100174]));
    assert_eq!(by_name("同事"), serde_json::json!([100102]));
    // Still one record for all those changes.
    assert_eq!(label_ops().await.len(), 1);
    let (_, b) = get(
        "/friendGroup/updateFriend",
        vec![("toUserId", "100174".into()), ("groupIdStr", "".into())],
    )
    .await;
    assert_eq!(b["resultCode"], 1);
    let (_, list) = get("/friendGroup/list", vec![]).await;
    assert!(list["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| !l["userIdList"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(100174))));

    // Another user's label: nothing changes.
    let theirs = || async {
        app.dump(&imapi, "friendGroup")
            .await
            .into_iter()
            .find(|d| d.get_object_id("_id") == Ok(foreign))
            .unwrap()
    };
    let before = theirs().await;
    for (path, extra) in [
        (
            "/friendGroup/update",
            vec![
                ("groupId", foreign.to_hex()),
                ("groupName", "x".to_string()),
            ],
        ),
        (
            "/friendGroup/updateGroupUserList",
            vec![("groupId", foreign.to_hex()), ("userIdListStr", "1".into())],
        ),
        ("/friendGroup/delete", vec![("groupId", foreign.to_hex())]),
    ] {
        get(path, extra).await;
    }
    assert_eq!(theirs().await, before);

    // Refusals.
    for (path, extra, code) in [
        ("/friendGroup/add", vec![], 1010101),
        (
            "/friendGroup/add",
            vec![("groupName", "x".repeat(65))],
            1010101,
        ),
        (
            "/friendGroup/update",
            vec![("groupId", "zz".to_string()), ("groupName", "y".into())],
            1010101,
        ),
        (
            "/friendGroup/delete",
            vec![("groupId", "".to_string())],
            1010101,
        ),
        (
            "/friendGroup/updateFriend",
            vec![("toUserId", "abc".to_string())],
            1010101,
        ),
    ] {
        let (s, b) = get(path, extra).await;
        assert_eq!(
            (s, b["resultCode"].as_i64()),
            (200, Some(code)),
            "{path}: {b}"
        );
    }

    // LabelActivity: delete.
    let (_, b) = get("/friendGroup/delete", vec![("groupId", gid.clone())]).await;
    assert_eq!(b["resultCode"], 1);
    let left = my_labels(&app, &imapi).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].get_str("groupName").unwrap(), "同事");
}

/// Relations with fields stored as null (the original's fastjson writes no
/// nulls; iOS sends messages to a present `NSNull`): left out of the list.
#[actix_web::test]
async fn stored_nulls_are_left_out_of_the_contact_list() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    app.store()
        .client
        .database(&app.store().cfg.imapi)
        .collection::<Document>("u_friends")
        .update_one(
            doc! {"userId": 100164, "toUserId": 100102},
            doc! {"$set": {"remarkName": Bson::Null, "describe": Bson::Null}},
        )
        .await
        .unwrap();
    let (_, b) = app
        .post_form("/friends/attention/list", &[("access_token", &token)])
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let friend = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["toUserId"] == 100102)
        .expect("100102 listed")
        .clone();
    assert!(friend.get("describe").is_none(), "{friend}");
    assert!(!b.to_string().contains("null"), "{b}");
}
