//! End to end: every send path (`/console/oneSendOne`, OpenIM `/msg/send_msg`
//! sessionType 1, 3 and 4, history import with an old `sendTime`) is read back
//! through the client endpoints (`/tigase/shiku_msgs`, `/tigase/shiku_muc_msgs`,
//! `/tigase/getLastChatList`) as every participant, and a recall
//! (`/tigase/deleteMsg`) of an OpenIM message is seen by both sides.
//!
//! The writer (src/store/msgs.rs) and the readers (src/store/tigase.rs) were
//! built separately: these tests pin the contract between them.

use crate::common;

use bson::{doc, Document};
use common::TestApp;
use serde_json::{json, Value};
use shiku_api::store::sessions::Kind;

const ROOM: &str = "6c1536dbf97540d1b906d76f4272a90d";
/// Members of ROOM in the seed (100164 owns it); 100102 is not a member.
const MEMBERS: [i64; 3] = [100164, 100158, 100159];
const OUTSIDER: i64 = 100102;
const OP: (&str, &str) = ("operationID", "op-e2e");
/// The seed's single-chat history of 100164 and 100102, newest first.
const SEED_NEWEST: (&str, i64) = ("skimweb_100164161404837631184", 1614048376311);
const SEED_MIDDLE: (&str, i64) = ("skimweb_1001021613982280589440", 1613982280589);
const SEED_OLDEST: (&str, i64) = ("skimweb_1001641612924771586612", 1612924771586);

async fn start() -> TestApp {
    let app = TestApp::start().await;
    app.load_seed().await;
    app
}

async fn console_token(app: &TestApp, uid: i64) -> String {
    let t = format!("adm{uid}x{}", rand::random::<u32>());
    app.state.sessions.save(Kind::Admin, uid, &t).await.unwrap();
    t
}

/// OpenIM send; returns `(clientMsgID, sendTime)`.
async fn send(app: &TestApp, tok: &str, body: Value) -> (String, i64) {
    let (s, b) = app
        .post_json("/msg/send_msg", &[OP, ("token", tok)], &body)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["errCode"], 0, "{b}");
    (
        b["data"]["clientMsgID"].as_str().unwrap().to_string(),
        b["data"]["sendTime"].as_i64().unwrap(),
    )
}

fn single(send: i64, recv: i64, text: &str) -> Value {
    json!({
        "sendID": send.to_string(), "recvID": recv.to_string(),
        "senderPlatformID": 5, "content": {"content": text},
        "contentType": 101, "sessionType": 1,
    })
}

fn group(send: i64, text: &str) -> Value {
    json!({
        "sendID": send.to_string(), "groupID": ROOM, "senderPlatformID": 2,
        "content": {"content": text}, "contentType": 101, "sessionType": 3,
    })
}

/// A Shiku client call, alternately by GET and POST; asserts the success
/// envelope and answers `data`.
async fn call(app: &TestApp, path: &str, params: &[(&str, &str)], post: bool) -> Value {
    let (s, b) = if post {
        app.post_form(path, params).await
    } else {
        app.get(path, params).await
    };
    assert_eq!(s, 200, "{path}: {b}");
    assert_eq!(b["resultCode"], 1, "{path} {params:?}: {b}");
    b["data"].clone()
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}"))
}

fn ids(v: &Value) -> Vec<&str> {
    list(v)
        .iter()
        .map(|d| d["messageId"].as_str().unwrap())
        .collect()
}

/// `/tigase/shiku_msgs` of `owner` with `peer`, newest first.
async fn history(app: &TestApp, owner: i64, peer: i64, post: bool) -> Value {
    let tok = app.token_for(owner).await;
    let peer = peer.to_string();
    call(
        app,
        "/tigase/shiku_msgs",
        &[
            ("access_token", &tok),
            ("receiver", &peer),
            ("pageSize", "50"),
        ],
        post,
    )
    .await
}

async fn muc_history(app: &TestApp, uid: i64, post: bool) -> Value {
    let tok = app.token_for(uid).await;
    call(
        app,
        "/tigase/shiku_muc_msgs",
        &[("access_token", &tok), ("roomId", ROOM), ("pageSize", "50")],
        post,
    )
    .await
}

async fn chat_list(app: &TestApp, uid: i64, post: bool) -> Value {
    let tok = app.token_for(uid).await;
    call(
        app,
        "/tigase/getLastChatList",
        &[("access_token", &tok)],
        post,
    )
    .await
}

/// The raw record of `owner`'s copy of a single-chat message.
async fn raw_single(app: &TestApp, owner: i64, mid: &str) -> Document {
    app.store()
        .user_msgs(owner)
        .find_one(doc! {"messageId": mid, "sender": owner.to_string()})
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no record of {mid} for {owner}"))
}

/// What both sides of a single chat see after a send of `mid` from `from` to
/// `to`: the message on top of each side's history with the side's own
/// `direction`/`sender`/`receiver`, the `message` string exactly as stored,
/// and the conversation on top of each side's list with this message.
async fn assert_single_seen(app: &TestApp, mid: &str, from: i64, to: i64, text: &str, t: i64) {
    let sender_copy = raw_single(app, from, mid).await;
    let stored_message = sender_copy.get_str("message").unwrap().to_string();
    for (i, (owner, peer, direction)) in [(from, to, 0), (to, from, 1)].into_iter().enumerate() {
        let post = i == 1;
        let raw = raw_single(app, owner, mid).await;
        let h = history(app, owner, peer, post).await;
        let top = &list(&h)[0];
        assert_eq!(top["messageId"], mid, "{owner} sees {mid} first: {h}");
        assert_eq!(top["direction"], direction, "{owner}");
        assert_eq!(top["sender"], owner.to_string());
        assert_eq!(top["receiver"], peer.to_string());
        assert_eq!(
            top["sender_jid"].as_str().unwrap().split('/').next(),
            Some(from.to_string().as_str())
        );
        assert_eq!(top["receiver_jid"], to.to_string());
        assert_eq!(top["content"], text);
        assert_eq!(top["contentType"], 1);
        assert_eq!(top["timeSend"], t);
        assert_eq!(top["isRead"], if direction == 0 { 1 } else { 0 });
        // The client parses this string: byte for byte what was stored, the
        // same on both sides.
        assert_eq!(
            top["message"].as_str().unwrap(),
            raw.get_str("message").unwrap()
        );
        assert_eq!(top["message"].as_str().unwrap(), stored_message);
        let m: Value = serde_json::from_str(&stored_message).unwrap();
        assert_eq!(m["messageHead"]["messageId"], mid);
        assert_eq!(m["messageHead"]["chatType"], 1);
        assert_eq!(m["fromUserId"], from.to_string());
        assert_eq!(m["toUserId"], to.to_string());
        assert_eq!(m["content"], text);
        assert_eq!(m["timeSend"], t);
        // Exactly one copy per side.
        assert_eq!(ids(&h).iter().filter(|x| **x == mid).count(), 1);

        let l = chat_list(app, owner, !post).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], peer.to_string(), "{owner}'s list: {l}");
        assert_eq!(top["userId"], owner.to_string());
        assert_eq!(top["isRoom"], 0);
        assert_eq!(top["messageId"], mid);
        assert_eq!(top["content"], text);
        assert_eq!(top["timeSend"], t);
        assert_eq!(top["type"], 1);
        assert_eq!(top["from"], sender_copy.get_str("sender_jid").unwrap());
        assert_eq!(top["to"], to.to_string());
        assert_eq!(
            list(&l)
                .iter()
                .filter(|c| c["jid"] == peer.to_string().as_str())
                .count(),
            1,
            "one conversation with {peer}"
        );
    }
}

// ------------------------------------------------------------ single chat

#[actix_web::test]
async fn console_one_send_one_is_seen_by_both_sides() {
    let app = start().await;
    let tok = console_token(&app, 100164).await;
    let (s, b) = app
        .post_form(
            "/console/oneSendOne",
            &[
                ("access_token", &tok),
                ("type", "1"),
                ("content", "控制台任务"),
                ("sendPhone", "18094152050"),
                ("toUserPhone", "15730107952"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].clone()), (200, json!(1)), "{b}");
    let rec = app
        .store()
        .user_msgs(100164)
        .find_one(doc! {"content": "控制台任务", "direction": 0})
        .await
        .unwrap()
        .unwrap();
    let mid = rec.get_str("messageId").unwrap();
    let t = rec.get_i64("timeSend").unwrap();
    assert!(t > SEED_NEWEST.1);
    assert_single_seen(&app, mid, 100164, 100102, "控制台任务", t).await;
    // The seed's conversation continues below it, in order.
    let h = history(&app, 100102, 100164, false).await;
    assert_eq!(ids(&h), [mid, SEED_NEWEST.0, SEED_MIDDLE.0, SEED_OLDEST.0]);
}

#[actix_web::test]
async fn openim_single_chat_is_seen_by_both_sides() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (mid, t) = send(&app, &tok, single(100102, 100164, "hello from OpenIM")).await;
    assert_single_seen(&app, &mid, 100102, 100164, "hello from OpenIM", t).await;
    let m: Value = serde_json::from_str(
        raw_single(&app, 100164, &mid)
            .await
            .get_str("message")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m["messageHead"]["from"], "100102/web");
    assert_eq!(m["fromUserName"], "A9gz0");
    assert_eq!(m["toUserName"], "张益达");
    // A third user sees nothing of it.
    let h = history(&app, 100158, 100102, false).await;
    assert!(list(&h).is_empty(), "{h}");
    let l = chat_list(&app, 100158, true).await;
    assert!(
        list(&l).iter().all(|c| c["messageId"] != mid.as_str()),
        "{l}"
    );
}

#[actix_web::test]
async fn openim_notification_is_seen_by_receiver_and_system_account() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let body = json!({
        "sendID": "10005", "recvID": "100102", "senderNickname": "系统通知",
        "content": {"content": "您有新的任务"}, "contentType": 101, "sessionType": 4,
    });
    let (mid, t) = send(&app, &tok, body).await;
    assert_single_seen(&app, &mid, 10005, 100102, "您有新的任务", t).await;
    let h = history(&app, 100102, 10005, true).await;
    let m: Value = serde_json::from_str(list(&h)[0]["message"].as_str().unwrap()).unwrap();
    assert_eq!(m["messageHead"]["from"], "10005/Server");
    assert_eq!(m["fromUserName"], "系统通知");
    let l = chat_list(&app, 100102, false).await;
    assert_eq!(list(&l)[0]["fromUserName"], "系统通知");
    // The receiver's other conversation (with 100164) is still listed below.
    assert!(list(&l)[1..].iter().any(|c| c["jid"] == "100164"), "{l}");
}

#[actix_web::test]
async fn history_import_lands_in_history_order_and_keeps_the_newest_on_top() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    // Between the seed's middle and oldest messages.
    let old = 1_613_000_000_000i64;
    let mut body = single(100164, 100102, "导入的旧消息");
    body["sendTime"] = json!(old);
    body["clientMsgID"] = json!("import-0001");
    let (mid, t) = send(&app, &tok, body.clone()).await;
    assert_eq!((mid.as_str(), t), ("import-0001", old));
    // The importer retries: nothing new is stored or shown.
    assert_eq!(send(&app, &tok, body).await, (mid.clone(), old));
    for (i, (owner, peer, direction)) in [(100164i64, 100102i64, 0), (100102, 100164, 1)]
        .into_iter()
        .enumerate()
    {
        let h = history(&app, owner, peer, i == 0).await;
        assert_eq!(
            ids(&h),
            [SEED_NEWEST.0, SEED_MIDDLE.0, mid.as_str(), SEED_OLDEST.0],
            "{owner}'s history"
        );
        let imported = &list(&h)[2];
        assert_eq!(imported["direction"], direction);
        assert_eq!(imported["timeSend"], old);
        assert_eq!(
            imported["message"].as_str().unwrap(),
            raw_single(&app, owner, &mid)
                .await
                .get_str("message")
                .unwrap()
        );
        // A time window around the imported message finds it alone.
        let tk = app.token_for(owner).await;
        let (p, s, e) = (
            peer.to_string(),
            (old - 5_000).to_string(),
            (old + 5_000).to_string(),
        );
        let w = call(
            &app,
            "/tigase/shiku_msgs",
            &[
                ("access_token", &tk),
                ("receiver", &p),
                ("startTime", &s),
                ("endTime", &e),
            ],
            i == 1,
        )
        .await;
        assert_eq!(ids(&w), [mid.as_str()]);
        // The conversation still shows the newest message.
        let l = chat_list(&app, owner, i == 1).await;
        let conv = list(&l)
            .iter()
            .find(|c| c["jid"] == peer.to_string().as_str())
            .unwrap();
        assert_eq!(conv["messageId"], SEED_NEWEST.0, "{owner}: {l}");
        assert_eq!(conv["content"], "123");
        assert_eq!(conv["timeSend"], SEED_NEWEST.1);
    }
    // Then a live message goes on top, and the import stays where it was.
    let (live, lt) = send(&app, &tok, single(100102, 100164, "新消息")).await;
    assert_single_seen(&app, &live, 100102, 100164, "新消息", lt).await;
    let h = history(&app, 100164, 100102, false).await;
    assert_eq!(
        ids(&h),
        [
            live.as_str(),
            SEED_NEWEST.0,
            SEED_MIDDLE.0,
            mid.as_str(),
            SEED_OLDEST.0
        ]
    );
    // Recalling the imported message removes it on both sides and leaves the
    // live message on top of both lists.
    let st = app.token_for(100164).await;
    call(
        &app,
        "/tigase/deleteMsg",
        &[
            ("access_token", &st),
            ("type", "1"),
            ("delete", "2"),
            ("messageId", &mid),
        ],
        true,
    )
    .await;
    for (owner, peer) in [(100164i64, 100102i64), (100102, 100164)] {
        let h = history(&app, owner, peer, true).await;
        assert_eq!(
            ids(&h),
            [live.as_str(), SEED_NEWEST.0, SEED_MIDDLE.0, SEED_OLDEST.0]
        );
        let l = chat_list(&app, owner, false).await;
        assert_eq!(list(&l)[0]["jid"], peer.to_string());
        assert_eq!(list(&l)[0]["messageId"], live.as_str(), "{owner}: {l}");
        assert_eq!(list(&l)[0]["timeSend"], lt);
    }
}

// ------------------------------------------------------------ group chat

#[actix_web::test]
async fn openim_group_message_is_seen_by_every_member_only() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (mid, t) = send(&app, &tok, group(100158, "大家好")).await;
    let raw = app
        .store()
        .mucmsg(ROOM)
        .find_one(doc! {"messageId": &mid})
        .await
        .unwrap()
        .unwrap();
    let stored = raw.get_str("message").unwrap();
    let m: Value = serde_json::from_str(stored).unwrap();
    assert_eq!(m["messageHead"]["chatType"], 2);
    assert_eq!(m["messageHead"]["to"], ROOM);
    assert_eq!(m["messageHead"]["from"], "100158/android");
    for (i, uid) in MEMBERS.into_iter().enumerate() {
        let h = muc_history(&app, uid, i % 2 == 0).await;
        let top = &list(&h)[0];
        assert_eq!(top["messageId"], mid.as_str(), "{uid}: {h}");
        assert_eq!(top["message"].as_str().unwrap(), stored, "{uid}");
        assert_eq!(top["sender"], "100158");
        assert_eq!(top["room_jid"], ROOM);
        assert_eq!(top["content"], "大家好");
        assert_eq!(top["timeSend"], t);
        assert_eq!(ids(&h).iter().filter(|x| **x == mid).count(), 1);

        let l = chat_list(&app, uid, i % 2 == 1).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], ROOM, "{uid}'s list: {l}");
        assert_eq!(top["isRoom"], 1);
        assert_eq!(top["messageId"], mid.as_str());
        assert_eq!(top["content"], "大家好");
        assert_eq!(top["timeSend"], t);
        assert_eq!(top["type"], 1);
        assert_eq!(top["from"], "100158/android");
        assert_eq!(list(&l).iter().filter(|c| c["jid"] == ROOM).count(), 1);
    }
    // A non-member is refused the history and does not get the conversation.
    let out = app.token_for(OUTSIDER).await;
    for post in [false, true] {
        let params = [("access_token", out.as_str()), ("roomId", ROOM)];
        let (s, b) = if post {
            app.post_form("/tigase/shiku_muc_msgs", &params).await
        } else {
            app.get("/tigase/shiku_muc_msgs", &params).await
        };
        assert_eq!(s, 200);
        assert_eq!(b["resultCode"], 100409, "{b}");
        assert!(b.get("data").is_none());
    }
    let l = chat_list(&app, OUTSIDER, false).await;
    assert!(list(&l).iter().all(|c| c["jid"] != ROOM), "{l}");
}

#[actix_web::test]
async fn group_history_import_lands_in_order_below_the_live_message() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (live, lt) = send(&app, &tok, group(100164, "现在")).await;
    // Between the seed's text messages (1613789771972) and its 915 notices (1612925644963).
    let old = 1_613_000_000_000i64;
    let mut body = group(100159, "很久以前");
    body["sendTime"] = json!(old);
    let (imp, t) = send(&app, &tok, body).await;
    assert_eq!(t, old);
    for (i, uid) in MEMBERS.into_iter().enumerate() {
        let h = muc_history(&app, uid, i == 1).await;
        let got = ids(&h);
        assert_eq!(got[0], live, "{uid}: {h}");
        assert_eq!(
            got.len(),
            8,
            "{uid}: the seed's 6, the live one, the import"
        );
        let pos = got.iter().position(|x| *x == imp).unwrap();
        let times: Vec<i64> = list(&h)
            .iter()
            .map(|d| d["timeSend"].as_i64().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        assert!(times[pos - 1] > old && times[pos + 1] < old, "{times:?}");
        let l = chat_list(&app, uid, i == 2).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], ROOM);
        assert_eq!(top["messageId"], live.as_str(), "{uid}: {l}");
        assert_eq!(top["timeSend"], lt);
    }
}

// ------------------------------------------------------------ recall

/// Sends `first` then `second` from `from` to `to` over OpenIM, has `from`
/// recall `second`, and checks what both sides see.
async fn recall_case(app: &TestApp, from: i64, to: i64) -> (String, String) {
    let tok = common::openim_admin_token(app).await;
    let (a, ta) = send(app, &tok, single(from, to, "第一条")).await;
    let (b, tb) = send(app, &tok, single(from, to, "要撤回的")).await;
    assert!(tb >= ta);
    assert_single_seen(app, &b, from, to, "要撤回的", tb).await;
    // Only the sender may recall; the receiver's attempt changes nothing.
    let rt = app.token_for(to).await;
    let before = app.snapshot().await;
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", &rt),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", &b),
            ],
        )
        .await;
    assert_ne!(r["resultCode"], 1, "{r}");
    assert!(
        app.snapshot().await == before,
        "a refused recall changed data"
    );

    let st = app.token_for(from).await;
    let (s, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &st),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", &b),
            ],
        )
        .await;
    assert_eq!((s, r["resultCode"].clone()), (200, json!(1)), "{r}");

    for (i, (owner, peer)) in [(from, to), (to, from)].into_iter().enumerate() {
        let h = history(app, owner, peer, i == 0).await;
        assert!(
            !ids(&h).contains(&b.as_str()),
            "{owner} still sees the recalled message"
        );
        assert_eq!(ids(&h)[0], a, "{owner}: {h}");
        let l = chat_list(app, owner, i == 1).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], peer.to_string(), "{owner}: {l}");
        assert_eq!(top["messageId"], a.as_str(), "{owner}: {l}");
        assert_eq!(top["content"], "第一条");
        assert_eq!(top["timeSend"], ta);
        assert_eq!(top["from"], format!("{from}/web"));
        assert_eq!(top["to"], to.to_string());
    }
    (a, b)
}

#[actix_web::test]
async fn recall_of_an_openim_message_is_seen_by_both_sides() {
    let app = start().await;
    recall_case(&app, 100164, 100102).await;
}

/// When the message left on top after a recall went the other way, the
/// conversation shows that message's own sender and receiver.
#[actix_web::test]
async fn recall_falls_back_to_a_message_of_the_other_direction() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (b, _) = send(&app, &tok, single(100102, 100164, "撤回我")).await;
    let st = app.token_for(100102).await;
    call(
        &app,
        "/tigase/deleteMsg",
        &[
            ("access_token", &st),
            ("type", "1"),
            ("delete", "2"),
            ("messageId", &b),
        ],
        true,
    )
    .await;
    // The newest remaining message is the seed's 100164 → 100102 one.
    for (owner, peer) in [(100164i64, 100102i64), (100102, 100164)] {
        let h = history(&app, owner, peer, false).await;
        assert_eq!(ids(&h), [SEED_NEWEST.0, SEED_MIDDLE.0, SEED_OLDEST.0]);
        let l = chat_list(&app, owner, true).await;
        let conv = list(&l)
            .iter()
            .find(|c| c["jid"] == peer.to_string().as_str())
            .unwrap();
        assert_eq!(conv["messageId"], SEED_NEWEST.0, "{owner}: {l}");
        assert_eq!(conv["content"], "123");
        assert_eq!(conv["timeSend"], SEED_NEWEST.1);
        assert_eq!(conv["from"], "100164/web");
        assert_eq!(conv["to"], "100102", "{owner}: {l}");
        assert_eq!(conv["fromUserName"], "张益达");
        assert_eq!(conv["toUserName"], "A9gz0");
    }
}

#[actix_web::test]
async fn recall_of_an_openim_group_message_is_seen_by_every_member() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (a, ta) = send(&app, &tok, group(100164, "留下")).await;
    let (b, _) = send(&app, &tok, group(100164, "撤回")).await;
    let st = app.token_for(100164).await;
    call(
        &app,
        "/tigase/deleteMsg",
        &[
            ("access_token", &st),
            ("type", "2"),
            ("delete", "2"),
            ("roomJid", ROOM),
            ("messageId", &b),
        ],
        false,
    )
    .await;
    for uid in MEMBERS {
        let h = muc_history(&app, uid, true).await;
        assert!(!ids(&h).contains(&b.as_str()), "{uid}");
        assert_eq!(ids(&h)[0], a);
        let l = chat_list(&app, uid, false).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], ROOM);
        assert_eq!(top["messageId"], a.as_str(), "{uid}: {l}");
        assert_eq!(top["content"], "留下");
        assert_eq!(top["timeSend"], ta);
    }
}

/// A send retried after its message was recalled (a slow importer, a client
/// retry) stores nothing and does not bring the recalled message back into
/// either side's conversation list.
#[actix_web::test]
async fn a_retry_after_recall_does_not_resurrect_the_message() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let (a, ta) = send(&app, &tok, single(100164, 100102, "第一条")).await;
    let mut body = single(100164, 100102, "要撤回的");
    body["clientMsgID"] = json!("retry-after-recall");
    let (b, _) = send(&app, &tok, body.clone()).await;
    let st = app.token_for(100164).await;
    call(
        &app,
        "/tigase/deleteMsg",
        &[
            ("access_token", &st),
            ("type", "1"),
            ("delete", "2"),
            ("messageId", &b),
        ],
        false,
    )
    .await;
    let (b2, _) = send(&app, &tok, body).await;
    assert_eq!(b2, b);
    for (owner, peer) in [(100164i64, 100102i64), (100102, 100164)] {
        let h = history(&app, owner, peer, false).await;
        assert!(!ids(&h).contains(&b.as_str()), "{owner}: {h}");
        let l = chat_list(&app, owner, true).await;
        let top = &list(&l)[0];
        assert_eq!(top["messageId"], a.as_str(), "{owner}: {l}");
        assert_eq!(top["timeSend"], ta);
    }
    // The same for a group message.
    let (ga, gta) = send(&app, &tok, group(100164, "留下")).await;
    let mut body = group(100164, "撤回");
    body["clientMsgID"] = json!("group-retry-after-recall");
    let (gb, _) = send(&app, &tok, body.clone()).await;
    call(
        &app,
        "/tigase/deleteMsg",
        &[
            ("access_token", &st),
            ("type", "2"),
            ("delete", "2"),
            ("roomJid", ROOM),
            ("messageId", &gb),
        ],
        true,
    )
    .await;
    send(&app, &tok, body).await;
    for uid in MEMBERS {
        let h = muc_history(&app, uid, false).await;
        assert!(!ids(&h).contains(&gb.as_str()), "{uid}: {h}");
        let l = chat_list(&app, uid, true).await;
        let top = &list(&l)[0];
        assert_eq!(top["jid"], ROOM);
        assert_eq!(top["messageId"], ga.as_str(), "{uid}: {l}");
        assert_eq!(top["timeSend"], gta);
    }
}

/// Review #3: a `clientMsgID` names one message of one sender. Another
/// sender's message with the same id reaches its receiver (before the fix it
/// was answered with success and dropped); the same sender reusing it for
/// another content is refused, and nothing is written.
#[actix_web::test]
async fn a_client_msg_id_is_scoped_to_its_sender() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let with_id = |mut body: Value| {
        body["clientMsgID"] = json!("collide1");
        body
    };
    let (s, first) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &with_id(single(100164, 100102, "from 164")),
        )
        .await;
    assert_eq!((s, &first["errCode"]), (200, &json!(0)), "{first}");
    let (_, second) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &with_id(single(100174, 100102, "from 174")),
        )
        .await;
    assert_eq!(second["errCode"], 0, "{second}");
    assert_ne!(first["data"]["serverMsgID"], second["data"]["serverMsgID"]);
    let h174 = history(&app, 100102, 100174, false).await;
    assert!(
        list(&h174).iter().any(|m| m["content"] == "from 174"),
        "{h174}"
    );
    let h164 = history(&app, 100102, 100164, true).await;
    assert!(
        list(&h164).iter().any(|m| m["content"] == "from 164"),
        "{h164}"
    );
    // A retry of the same message: the same answer, nothing more.
    let (_, again) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &with_id(single(100164, 100102, "from 164")),
        )
        .await;
    assert_eq!(
        again["data"]["serverMsgID"], first["data"]["serverMsgID"],
        "{again}"
    );
    // Reused for another content, or another peer: refused, nothing written.
    let before = app.snapshot().await;
    for body in [
        single(100164, 100102, "changed"),
        single(100164, 100159, "from 164"),
    ] {
        let (s, b) = app
            .post_json("/msg/send_msg", &[OP, ("token", &tok)], &with_id(body))
            .await;
        assert_eq!((s, &b["errCode"]), (200, &json!(1001)), "{b}");
    }
    let (_, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &with_id(group(100164, "in the room")),
        )
        .await;
    assert_eq!(b["errCode"], 0, "{b}");
    let after_group = app.snapshot().await;
    assert!(after_group != before);
    let (_, b) = app
        .post_json(
            "/msg/send_msg",
            &[OP, ("token", &tok)],
            &with_id(group(100158, "someone else")),
        )
        .await;
    assert_eq!(b["errCode"], 1001, "another sender's id in the room: {b}");
    assert!(app.snapshot().await == after_group);
}

/// Review #10: the first messages of a new pair, sent at once, leave one
/// conversation record per side (before: two, one of them stale for good).
#[actix_web::test]
async fn concurrent_first_messages_make_one_chat_list_entry() {
    let app = start().await;
    let tok = common::openim_admin_token(&app).await;
    let sends = (0..10).map(|i| {
        let (app, tok) = (&app, tok.clone());
        async move { send(app, &tok, single(100159, 100174, &format!("race {i}"))).await }
    });
    futures::future::join_all(sends).await;
    let records: Vec<Document> = app
        .dump(&app.store().cfg.lastchat, "10")
        .await
        .into_iter()
        .filter(|d| {
            (d.get_str("userId") == Ok("100159") && d.get_str("jid") == Ok("100174"))
                || (d.get_str("userId") == Ok("100174") && d.get_str("jid") == Ok("100159"))
        })
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let chats = chat_list(&app, 100159, false).await;
    let peers: Vec<&Value> = list(&chats)
        .iter()
        .filter(|c| c["jid"] == "100174")
        .collect();
    assert_eq!(peers.len(), 1, "{chats}");
}
