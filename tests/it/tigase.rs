//! `/tigase/*`: history, conversation list, delete/recall, search, pinned dialogs.

use crate::common;

use bson::{doc, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};
use shiku_api::util::doc_to_json;

const ROOM: &str = "6c1536dbf97540d1b906d76f4272a90d";
const ROOM_OID: &str = "60210278cb36d459fe88c196";
const NEWEST: &str = "skimweb_100164161404837631184";
const MIDDLE: &str = "skimweb_1001021613982280589440";
const OLDEST: &str = "skimweb_1001641612924771586612";
const G_TEXT_NEW: &str = "skimweb_1001641613789795464562";
const G_TEXT_OLD: &str = "skimweb_1001641613789771972876";

async fn seeded() -> (TestApp, String, String, String) {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100164).await;
    let b = app.token_for(100102).await;
    let c = app.token_for(100158).await;
    (app, a, b, c)
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["messageId"].as_str().unwrap().to_string())
        .collect()
}

fn jids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["jid"].as_str().unwrap().to_string())
        .collect()
}

async fn msgs(app: &TestApp) -> Vec<Document> {
    app.dump(&app.store().cfg.msgs, "10").await
}

fn find<'a>(docs: &'a [Document], sender: &str, id: &str) -> &'a Document {
    docs.iter()
        .find(|d| d.get_str("sender") == Ok(sender) && d.get_str("messageId") == Ok(id))
        .unwrap()
}

fn deleted(d: &Document) -> bool {
    matches!(d.get("delayedTime"), Some(Bson::Int64(_)))
        && matches!(d.get("deleteTime"), Some(Bson::Int64(t)) if *t > 1_600_000_000)
}

async fn last_single(app: &TestApp, owner: &str, peer: &str) -> Option<Document> {
    app.dump(&app.store().cfg.lastchat, "10")
        .await
        .into_iter()
        .find(|d| d.get_str("userId") == Ok(owner) && d.get_str("jid") == Ok(peer))
}

#[actix_web::test]
async fn single_history_is_the_callers_copies_newest_first() {
    let (app, a, b, _) = seeded().await;
    let stored = msgs(&app).await;
    for (_, body) in [
        app.get(
            "/tigase/shiku_msgs",
            &[("access_token", &a), ("receiver", "100102")],
        )
        .await,
        app.post_form(
            "/tigase/shiku_msgs",
            &[("access_token", &a), ("receiver", "100102")],
        )
        .await,
    ] {
        assert_eq!(body["resultCode"], 1, "{body}");
        assert!(body.get("resultMsg").is_none());
        assert_eq!(ids(&body), [NEWEST, MIDDLE, OLDEST]);
        // Field by field, in stored order, `message` byte for byte.
        assert_eq!(
            body["data"][0],
            doc_to_json(find(&stored, "100164", NEWEST))
        );
        assert_eq!(body["data"][0]["_id"], "60346c7b1bb77153b4e8bc67");
        assert_eq!(body["data"][1]["direction"], 1);
    }
    // The other side sees its own copies.
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[("access_token", &b), ("receiver", "100164")],
        )
        .await;
    assert_eq!(body["data"][0]["_id"], "60346c7b1bb77153b4e8bc68");
    assert_eq!(body["data"][0]["sender"], "100102");
    // Paging.
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", &a),
                ("receiver", "100102"),
                ("pageIndex", "1"),
                ("pageSize", "2"),
            ],
        )
        .await;
    assert_eq!(ids(&body), [OLDEST]);
    // Windows: widened to whole seconds +-1 s, inclusive, on timeSend.
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", &a),
                ("receiver", "100102"),
                ("startTime", "1613982281300"),
            ],
        )
        .await;
    assert_eq!(ids(&body), [NEWEST, MIDDLE]);
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", &a),
                ("receiver", "100102"),
                ("endTime", "1612924771000"),
            ],
        )
        .await;
    assert_eq!(ids(&body), [OLDEST]);
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", &a),
                ("receiver", "100102"),
                ("startTime", "1612924771586"),
                ("endTime", "1613982280589"),
            ],
        )
        .await;
    assert_eq!(ids(&body), [MIDDLE, OLDEST]);
    // maxType: contentType < maxType.
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", &a),
                ("receiver", "100102"),
                ("maxType", "1"),
            ],
        )
        .await;
    assert_eq!(body["data"], json!([]));
    // Errors.
    let (_, body) = app.get("/tigase/shiku_msgs", &[("access_token", &a)]).await;
    assert_eq!(body["resultCode"], 1010101);
    let (_, body) = app
        .get("/tigase/shiku_msgs", &[("receiver", "100102")])
        .await;
    assert_eq!(body["resultCode"], 1030101);
}

#[actix_web::test]
async fn group_history_is_for_members_from_their_join_time() {
    let (app, a, b, c) = seeded().await;
    let room = app
        .dump(&app.store().cfg.room, &format!("mucmsg_{ROOM}"))
        .await;
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &a), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(body["resultCode"], 1);
    assert_eq!(body["resultMsg"], "");
    assert_eq!(body["data"].as_array().unwrap().len(), 6);
    assert_eq!(body["data"][0], doc_to_json(&room[0]));
    assert_eq!(ids(&body)[0], G_TEXT_NEW);
    // Window and paging.
    let (_, body) = app
        .post_form(
            "/tigase/shiku_muc_msgs",
            &[
                ("access_token", &a),
                ("roomId", ROOM),
                ("startTime", "1612925642804"),
                ("endTime", "1613789771972"),
                ("pageSize", "2"),
                ("pageIndex", "1"),
            ],
        )
        .await;
    assert_eq!(ids(&body), ["1f5bfe4e5c9e410884f65514217110a6"]);
    // Not a member: refused.
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &b), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(body["resultCode"], 100409);
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &a), ("roomId", "nope")],
        )
        .await;
    assert_eq!(body["resultCode"], 100411);
    // A member who joined later sees nothing from before; red-packet-opened hidden.
    let oid = bson::oid::ObjectId::parse_str(ROOM_OID).unwrap();
    app.store()
        .room_members(&oid)
        .update_one(
            doc! {"roomId": oid, "userId": 100158},
            doc! {"$set": {"createTime": 1612925643i64}},
        )
        .await
        .unwrap();
    app.insert(
        &app.store().cfg.room,
        &format!("mucmsg_{ROOM}"),
        vec![doc! {"messageId": "red", "contentType": 83, "timeSend": 1613789795999i64, "sender": "100159", "content": "x"}],
    )
    .await;
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &c), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(
        ids(&body),
        [G_TEXT_NEW, G_TEXT_OLD, "459c1c834e5747eb94bfa76d65ddf481"]
    );
}

#[actix_web::test]
async fn conversation_list_puts_pins_first_then_time() {
    let (app, a, _, _) = seeded().await;
    let (_, body) = app
        .get(
            "/tigase/getLastChatList",
            &[
                ("access_token", &a),
                ("pageIndex", "0"),
                ("pageSize", "50000"),
            ],
        )
        .await;
    assert_eq!(body["resultCode"], 1);
    assert_eq!(jids(&body), ["100102", ROOM]);
    // pageSize bounds the rooms and the single chats each (the original's two
    // reads), as the web client asks: `startTime=0&endTime=0&pageSize=1`.
    let (_, one) = app
        .get(
            "/tigase/getLastChatList",
            &[
                ("access_token", &a),
                ("startTime", "0"),
                ("endTime", "0"),
                ("pageSize", "1"),
            ],
        )
        .await;
    assert_eq!(jids(&one), ["100102", ROOM], "{one}");
    let muc = app.dump(&app.store().cfg.lastchat, "lastChats_muc").await;
    assert_eq!(body["data"][1], doc_to_json(&muc[0]));
    assert_eq!(body["data"][1]["_id"], "6021027b1bb77153b4e8bb61");

    // Pin the room (twice: one record).
    for _ in 0..2 {
        let (_, r) = app
            .get("/tigase/dialog/add", &[("access_token", &a), ("jid", ROOM)])
            .await;
        assert_eq!(r, json!({"currentTime": r["currentTime"], "resultCode": 1}));
    }
    let pins = app.dump(&app.store().cfg.imapi, "stick_dialog").await;
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].get("userId"), Some(&Bson::Int32(100164)));
    assert_eq!(pins[0].get_str("jid").unwrap(), ROOM);
    assert_eq!(pins[0].get("isRoom"), Some(&Bson::Int32(0)));
    assert!(
        matches!(pins[0].get("time"), Some(Bson::Int64(t)) if *t > 1_600_000_000 && *t < 10_000_000_000)
    );
    let (_, body) = app
        .post_form("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), [ROOM, "100102"]);

    // Pin the friend with isAdaptive: friend's openTopChatTime set; newest pin first.
    app.store()
        .stick_dialog()
        .update_one(doc! {"jid": ROOM}, doc! {"$set": {"time": 1000i64}})
        .await
        .unwrap();
    let (_, r) = app
        .get(
            "/tigase/dialog/add",
            &[("access_token", &a), ("jid", "100102"), ("isAdaptive", "1")],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    let friend = app
        .store()
        .friends()
        .find_one(doc! {"userId": 100164, "toUserId": 100102})
        .await
        .unwrap()
        .unwrap();
    assert!(shiku_api::util::num(&friend, "openTopChatTime").unwrap() > 1_600_000_000);
    let pin = app
        .store()
        .stick_dialog()
        .find_one(doc! {"jid": "100102"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pin.get("isRoom"), Some(&Bson::Int32(1)));
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), ["100102", ROOM]);

    // Unpin with isAdaptive: record gone, openTopChatTime back to 0.
    let (_, r) = app
        .get(
            "/tigase/dialog/delete",
            &[("access_token", &a), ("jid", "100102"), ("isAdaptive", "1")],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    assert_eq!(
        app.dump(&app.store().cfg.imapi, "stick_dialog").await.len(),
        1
    );
    let friend = app
        .store()
        .friends()
        .find_one(doc! {"userId": 100164, "toUserId": 100102})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shiku_api::util::num(&friend, "openTopChatTime"), Some(0));
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), [ROOM, "100102"]);

    // Time window: startTime bounds timeSend from below.
    let (_, body) = app
        .get(
            "/tigase/getLastChatList",
            &[("access_token", &a), ("startTime", "1613000000000")],
        )
        .await;
    assert_eq!(jids(&body), ["100102"]);
    // Another user's list does not include these pins or rooms they are not in.
    let b = app.token_for(100102).await;
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &b)])
        .await;
    assert_eq!(jids(&body), ["100164"]);
}

#[actix_web::test]
async fn pinning_a_room_needs_membership_and_changes_nothing_when_refused() {
    let (app, _, b, _) = seeded().await;
    let before = app.snapshot().await;
    for jid in [ROOM, "a.b", "{\"$gt\":\"\"}"] {
        let (_, r) = app
            .get(
                "/tigase/dialog/add",
                &[("access_token", &b), ("jid", jid), ("isAdaptive", "1")],
            )
            .await;
        assert_ne!(r["resultCode"], 1);
    }
    let (_, r) = app.get("/tigase/dialog/add", &[("jid", ROOM)]).await;
    assert_eq!(r["resultCode"], 1030101);
    assert!(before == app.snapshot().await);
}

#[actix_web::test]
async fn deleting_my_copies_recomputes_my_conversation() {
    let (app, a, _, _) = seeded().await;
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("type", "1"),
                ("delete", "1"),
                ("messageId", NEWEST),
            ],
        )
        .await;
    assert_eq!(r, json!({"currentTime": r["currentTime"], "resultCode": 1}));
    let stored = msgs(&app).await;
    assert!(deleted(find(&stored, "100164", NEWEST)));
    assert!(!deleted(find(&stored, "100102", NEWEST)));
    assert!(!deleted(find(&stored, "100164", MIDDLE)));
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[("access_token", &a), ("receiver", "100102")],
        )
        .await;
    assert_eq!(ids(&body), [MIDDLE, OLDEST]);
    let last = last_single(&app, "100164", "100102").await.unwrap();
    assert_eq!(last.get_str("messageId").unwrap(), MIDDLE);
    assert_eq!(last.get("timeSend"), Some(&Bson::Int64(1613982280589)));
    assert_eq!(last.get_str("content").unwrap(), "11");
    assert_eq!(last.get_str("from").unwrap(), "100102/web");
    assert_eq!(last.get("type"), Some(&Bson::Int32(1)));
    assert_eq!(last.get_str("fromUserName").unwrap(), "A9gz0");
    // The other side's conversation is untouched.
    let other = last_single(&app, "100102", "100164").await.unwrap();
    assert_eq!(other.get_str("messageId").unwrap(), NEWEST);

    // Several ids at once; once nothing is left the conversation disappears.
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("messageId", &format!("{MIDDLE}, {OLDEST}")),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    assert!(last_single(&app, "100164", "100102").await.is_none());
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), [ROOM]);
    // A retry changes nothing.
    let before = app.snapshot().await;
    app.post_form(
        "/tigase/deleteMsg",
        &[
            ("access_token", &a),
            ("messageId", &format!("{MIDDLE},{OLDEST}")),
        ],
    )
    .await;
    assert!(before == app.snapshot().await);
}

#[actix_web::test]
async fn only_the_sender_recalls_and_recall_clears_both_sides() {
    let (app, a, b, _) = seeded().await;
    let before = app.snapshot().await;
    // 100102 may not recall 100164's message (nor delete 100164's copy).
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &b),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", NEWEST),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104);
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[("access_token", &a), ("delete", "3"), ("messageId", NEWEST)],
        )
        .await;
    assert_eq!(r["resultCode"], 1010101);
    let (_, r) = app.get("/tigase/deleteMsg", &[("access_token", &a)]).await;
    assert_eq!(r["resultCode"], 1010101);
    assert!(before == app.snapshot().await);

    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", NEWEST),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    let stored = msgs(&app).await;
    assert!(deleted(find(&stored, "100164", NEWEST)));
    assert!(deleted(find(&stored, "100102", NEWEST)));
    assert!(!deleted(find(&stored, "100102", MIDDLE)));
    for (owner, peer) in [("100164", "100102"), ("100102", "100164")] {
        let last = last_single(&app, owner, peer).await.unwrap();
        assert_eq!(last.get_str("messageId").unwrap(), MIDDLE);
        assert_eq!(last.get_str("content").unwrap(), "11");
    }
    let (_, body) = app
        .get(
            "/tigase/shiku_msgs",
            &[("access_token", &b), ("receiver", "100164")],
        )
        .await;
    assert_eq!(ids(&body), [MIDDLE, OLDEST]);
    // 100164 cannot recall 100102's message either.
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[("access_token", &a), ("delete", "2"), ("messageId", MIDDLE)],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104);
}

#[actix_web::test]
async fn group_delete_hides_for_me_and_recall_hides_for_all() {
    let (app, a, b, c) = seeded().await;
    let muc_before = app.dump(&app.store().cfg.lastchat, "lastChats_muc").await;
    // Hide the room's last-chat message: my list shows the newest I still see.
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("type", "2"),
                ("delete", "1"),
                ("roomJid", ROOM),
                ("messageId", "1c39ca8f048547a2bff4f4a3f136d809"),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    let marks = app.dump(&app.store().cfg.imapi, "room_group_msg").await;
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].get("userId"), Some(&Bson::Int32(100164)));
    assert_eq!(marks[0].get_str("roomJid").unwrap(), ROOM);
    assert_eq!(
        marks[0].get_str("messageId").unwrap(),
        "1c39ca8f048547a2bff4f4a3f136d809"
    );
    // The shared room record is not changed by one member's delete.
    assert_eq!(
        app.dump(&app.store().cfg.lastchat, "lastChats_muc").await,
        muc_before
    );
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), ["100102", ROOM]);
    let room_item = &body["data"][1];
    assert_eq!(room_item["messageId"], G_TEXT_NEW);
    assert_eq!(room_item["content"], "不好");
    assert_eq!(room_item["type"], 1);
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &a), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &c), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 6);

    // Hide both text messages: system messages go too and the room leaves my list.
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("type", "2"),
                ("roomJid", ROOM),
                ("messageId", &format!("{G_TEXT_NEW},{G_TEXT_OLD}")),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    assert_eq!(
        app.dump(&app.store().cfg.imapi, "room_group_msg")
            .await
            .len(),
        3
    );
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &a), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(body["data"], json!([]));
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &a)])
        .await;
    assert_eq!(jids(&body), ["100102"]);
    let (_, body) = app
        .get("/tigase/getLastChatList", &[("access_token", &c)])
        .await;
    assert_eq!(jids(&body), [ROOM]);

    // Non-members and non-senders are refused without changes.
    let before = app.snapshot().await;
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &b),
                ("type", "2"),
                ("roomJid", ROOM),
                ("messageId", G_TEXT_NEW),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 100409);
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &c),
                ("type", "2"),
                ("delete", "2"),
                ("roomJid", ROOM),
                ("messageId", G_TEXT_NEW),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104);
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &c),
                ("type", "2"),
                ("messageId", G_TEXT_NEW),
            ],
        )
        .await;
    // Without the room a delete for me hides nothing (Android's request:
    // success, as the original).
    assert_eq!(r["resultCode"], 1);
    assert!(before == app.snapshot().await);

    // The sender recalls: gone for everyone, the room's last-chat follows.
    let (_, r) = app
        .get(
            "/tigase/deleteMsg",
            &[
                ("access_token", &a),
                ("type", "2"),
                ("delete", "2"),
                ("roomJid", ROOM),
                ("messageId", G_TEXT_NEW),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    let room = app
        .dump(&app.store().cfg.room, &format!("mucmsg_{ROOM}"))
        .await;
    let recalled = room
        .iter()
        .find(|d| d.get_str("messageId") == Ok(G_TEXT_NEW))
        .unwrap();
    assert!(deleted(recalled));
    let muc = app.dump(&app.store().cfg.lastchat, "lastChats_muc").await;
    assert_eq!(muc[0].get_str("messageId").unwrap(), G_TEXT_OLD);
    assert_eq!(muc[0].get_str("content").unwrap(), "你好");
    assert_eq!(muc[0].get_str("from").unwrap(), "100164/web");
    let (_, body) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &c), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(ids(&body)[0], G_TEXT_OLD);
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
}

#[actix_web::test]
async fn search_matches_literally_and_only_the_callers_data() {
    let (app, a, b, _) = seeded().await;
    for text in [".*", "(a+)+$", "{\"$gt\":\"\"}", "[", "\\"] {
        let (_, body) = app
            .get("/tigase/search", &[("access_token", &a), ("content", text)])
            .await;
        assert_eq!(body["resultCode"], 1, "{text}");
        assert_eq!(
            body["data"],
            json!({"shikuMsgs": [], "friend": [], "mucmsgs": [], "group": []}),
            "{text}"
        );
    }
    // An operator object in a JSON body is only text.
    let (_, body) = app
        .post_json(
            &format!("/tigase/search?access_token={a}"),
            &[],
            &json!({"content": {"$gt": ""}}),
        )
        .await;
    assert_eq!(body["data"]["friend"], json!([]));

    let (_, body) = app
        .get(
            "/tigase/search",
            &[("access_token", &a), ("content", "张益")],
        )
        .await;
    let friend = &body["data"]["friend"][0];
    assert_eq!(friend["userId"], 100164);
    assert_eq!(friend["nickname"], "张益达");
    assert!(friend.get("password").is_none());
    assert!(friend.get("userKey").is_none());
    assert!(friend.get("payPassword").is_none());
    let keys: Vec<&String> = friend.as_object().unwrap().keys().collect();
    assert_eq!(keys.first().unwrap().as_str(), "account");
    // The seed's fields end with userId; QZ's two names of a friend record follow.
    assert_eq!(
        keys[keys.len() - 3..]
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
        ["userId", "toUserId", "toNickname"]
    );
    assert_eq!(friend["toUserId"], 100164);
    assert_eq!(friend["toNickname"], "张益达");

    let (_, body) = app
        .get(
            "/tigase/search",
            &[("access_token", &a), ("content", "你好")],
        )
        .await;
    assert_eq!(ids(&json!({"data": body["data"]["shikuMsgs"]})), [OLDEST]);
    assert_eq!(body["data"]["shikuMsgs"][0]["sender"], "100164");
    assert_eq!(ids(&json!({"data": body["data"]["mucmsgs"]})), [G_TEXT_OLD]);

    let (_, body) = app
        .get(
            "/tigase/search",
            &[("access_token", &a), ("content", "测试")],
        )
        .await;
    let group = &body["data"]["group"][0];
    assert_eq!(group["jid"], ROOM);
    assert_eq!(group["id"], ROOM_OID);
    assert_eq!(group["member"]["userId"], 100164);
    assert!(group["member"].get("roomId").is_none());
    // A friend search finds A9gz0 for 100164, but 100102 does not see rooms it is not in.
    let (_, body) = app
        .get(
            "/tigase/search",
            &[("access_token", &a), ("content", "a9G")],
        )
        .await;
    assert_eq!(body["data"]["friend"][0]["userId"], 100102);
    let (_, body) = app
        .get(
            "/tigase/search",
            &[("access_token", &b), ("content", "测试")],
        )
        .await;
    assert_eq!(body["data"]["group"], json!([]));
    assert_eq!(body["data"]["mucmsgs"], json!([]));
    let (_, body) = app.get("/tigase/search", &[("access_token", &a)]).await;
    assert_eq!(body["resultCode"], 1010101);
}

#[actix_web::test]
async fn history_queries_use_an_index() {
    let (app, _, _, _) = seeded().await;
    app.store().create_all_indexes().await.unwrap();
    // Each query's equality part and sort, as the store issues them. (With
    // `contentType: {$lt}` added, SecantusDB, the test server, plans one
    // clause only and its explain reports COLLSCAN; MongoDB serves the full
    // filter from the same index: see docs/benchmarks.md.)
    let cases = [
        (
            app.store().msgs_db(),
            "10",
            doc! {"sender": "100164", "receiver": "100102", "delayedTime": null},
            "sender_1_receiver_1_delayedTime_1_timeSend_-1",
        ),
        (
            app.store().lastchat_db(),
            "10",
            doc! {"userId": "100164", "isRoom": 0},
            "userId_1_isRoom_1_timeSend_-1",
        ),
    ];
    for (db, coll, filter, index) in cases {
        let plan = db
            .run_command(doc! {"explain": {
                "find": coll,
                "filter": filter.clone(),
                "sort": {"timeSend": -1},
                "limit": 20,
            }, "verbosity": "queryPlanner"})
            .await
            .unwrap();
        let text = format!("{plan:?}");
        assert!(
            text.contains("IXSCAN") && text.contains(index) && !text.contains("COLLSCAN"),
            "{filter}: {text}"
        );
    }
}

/// The deployment's PC client (QZ) opens chats with the later server's names,
/// POST forms with `receiver`/`roomId`, `type`, `endTime: 0` and its signing
/// parameters: the same answers as the `shiku_*` histories.
#[actix_web::test]
async fn qz_history_calls_answer_the_shiku_histories() {
    let (app, a, _, c) = seeded().await;
    let qz = |extra: [(&'static str, &'static str); 3]| {
        let mut p = vec![
            ("access_token", a.clone()),
            ("pageIndex", "0".to_string()),
            ("pageSize", "20".to_string()),
            ("endTime", "0".to_string()),
            ("token", "task-system-token".to_string()),
            ("salt", "1700000000000".to_string()),
            ("secret", "c2lnbmVkLWJ5LXF6".to_string()),
        ];
        p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };
    let (s, chat) = app
        .post_pairs(
            "/tigase/chat_msgs",
            &qz([
                ("receiver", "100102"),
                ("roomId", "100102"),
                ("type", "friend"),
            ]),
        )
        .await;
    assert_eq!((s, chat["resultCode"].as_i64()), (200, Some(1)), "{chat}");
    let (_, shiku) = app
        .get(
            "/tigase/shiku_msgs",
            &[("access_token", &a), ("receiver", "100102")],
        )
        .await;
    assert_eq!(chat["data"], shiku["data"]);
    assert_eq!(ids(&chat), [NEWEST, MIDDLE, OLDEST]);
    assert!(
        chat["data"][0]["message"].is_string(),
        "QZ parses message itself"
    );
    assert!(chat["data"][0]["isRead"].is_i64());
    let (_, muc) = app
        .post_pairs(
            "/tigase/chat_muc_msgs",
            &qz([("receiver", ROOM_OID), ("roomId", ROOM), ("type", "room")]),
        )
        .await;
    let (_, shiku) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &a), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(muc["resultCode"], 1, "{muc}");
    assert_eq!(muc["data"], shiku["data"]);
    assert_eq!(muc["data"][0]["room_jid"], ROOM);
    assert_eq!(ids(&muc)[0], G_TEXT_NEW);
    // Not a member: the same refusal as the shiku_* name.
    let (_, refused) = app
        .post_form(
            "/tigase/chat_muc_msgs",
            &[("access_token", &c), ("roomId", "nosuchroom")],
        )
        .await;
    assert_ne!(refused["resultCode"], 1);
    let (_, bad) = app
        .post_form(
            "/tigase/chat_msgs",
            &[("access_token", &a), ("receiver", "abc")],
        )
        .await;
    assert_eq!(bad["resultCode"], 1010101);
}

/// QZ's first call after login: `/tigase/dialog/get` (its pinned
/// conversations); a rejection would stop its whole start.
#[actix_web::test]
async fn dialog_get_lists_the_callers_pins() {
    let (app, a, b, _) = seeded().await;
    let (_, none) = app
        .post_form(
            "/tigase/dialog/get",
            &[("access_token", &a), ("userId", "100164")],
        )
        .await;
    assert_eq!(none["resultCode"], 1, "{none}");
    let mine_before = none["data"].as_array().unwrap().len();
    for jid in [ROOM, "100102"] {
        let (_, r) = app
            .get("/tigase/dialog/add", &[("access_token", &a), ("jid", jid)])
            .await;
        assert_eq!(r["resultCode"], 1, "{r}");
    }
    let (_, got) = app
        .post_form(
            "/tigase/dialog/get",
            &[("access_token", &a), ("userId", "100164")],
        )
        .await;
    let items = got["data"].as_array().unwrap();
    assert_eq!(items.len(), mine_before + 2);
    let room = items.iter().find(|d| d["jid"] == ROOM).unwrap();
    assert_eq!(room["isRoom"], 0);
    assert!(room["time"].as_i64().unwrap() > 1_600_000_000, "seconds");
    assert!(room["id"].is_string());
    let friend = items.iter().find(|d| d["jid"] == "100102").unwrap();
    assert_eq!(friend["isRoom"], 1);
    assert_eq!(friend["userId"], 100164);
    let stored = app.dump(&app.store().cfg.imapi, "stick_dialog").await;
    assert_eq!(
        stored
            .iter()
            .filter(|d| d.get("userId") == Some(&Bson::Int32(100164)))
            .count(),
        mine_before + 2
    );
    // Another user sees only their own.
    let (_, theirs) = app.get("/tigase/dialog/get", &[("access_token", &b)]).await;
    assert!(theirs["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["userId"] == 100102));
    let (_, no_token) = app.post_form("/tigase/dialog/get", &[]).await;
    assert_eq!(no_token["resultCode"], 1030101);
}

/// Review #14: a user in many rooms: the search looks into the 50 rooms with
/// the latest messages only (fetched in one query, searched a few at once),
/// so its cost does not grow with the number of rooms.
#[actix_web::test]
async fn message_search_is_bounded_by_the_most_active_rooms() {
    // The rooms, not the clock, bound it here (a loaded test machine).
    let app = TestApp::start_with(&[("SEARCH_DEADLINE_MS", "30000")]).await;
    let c = app.store().cfg.clone();
    let base = 1_700_000_000_000i64;
    let mut rooms = Vec::new();
    let mut index = Vec::new();
    let mut last = Vec::new();
    for k in 0..55i64 {
        let oid = bson::oid::ObjectId::new();
        let jid = format!("searchroom{k:03}");
        rooms.push(
            bson::doc! {"_id": oid, "jid": &jid, "name": format!("r{k}"), "userId": 100900, "s": 1},
        );
        index
            .push(bson::doc! {"userId": 100900, "jid": &jid, "roomId": oid, "offlineNoPushMsg": 0});
        last.push(bson::doc! {"jid": &jid, "isRoom": 1, "timeSend": base + k, "type": 1, "content": "needle", "messageId": format!("m{k}")});
        app.insert(&c.room_member, &shiku_api::store::names::member_shard(&oid), vec![bson::doc! {
            "roomId": oid, "userId": 100900, "role": 1, "createTime": 1_600_000_000i64, "nickname": "n"}]).await;
        app.insert(
            &c.room,
            &format!("mucmsg_{jid}"),
            vec![bson::doc! {
            "room_jid": &jid, "sender": "100900", "contentType": 1, "messageId": format!("m{k}"),
            "timeSend": base + k, "content": format!("needle {k}"), "message": "{}"}],
        )
        .await;
    }
    app.insert(&c.room, "shiku_room", rooms).await;
    app.insert(
        &c.room_jids,
        &shiku_api::store::names::user_shard(100900),
        index,
    )
    .await;
    app.insert(&c.lastchat, "lastChats_muc", last).await;
    app.insert(
        &c.imapi,
        "user",
        vec![bson::doc! {"_id": 100900, "nickname": "busy"}],
    )
    .await;
    let t = app.token_for(100900).await;
    let (s, b) = app
        .get(
            "/tigase/search",
            &[("access_token", &t), ("content", "needle")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let found: Vec<String> = b["data"]["mucmsgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found.len(), 50, "{found:?}");
    assert_eq!(found[0], "m54", "newest first");
    for old in ["m0", "m1", "m2", "m3", "m4"] {
        assert!(
            !found.contains(&old.to_string()),
            "{old} is in a quiet room: {found:?}"
        );
    }
}

/// Android offers "recall" on any group message to the owner and admins
/// (`ChatTextClickPpWindow`: `isMySend() || role 1 || role 2`) and sends
/// `/tigase/deleteMsg` `type=2&delete=2&roomJid=…`: the owner recalls a
/// member's message for everyone; a plain member recalls only his own.
#[actix_web::test]
async fn the_owner_recalls_a_members_group_message() {
    let (app, a, _, c) = seeded().await;
    let rdb = app.store().cfg.room.clone();
    let coll = format!("mucmsg_{ROOM}");
    let mut by_158 = app
        .dump(&rdb, &coll)
        .await
        .into_iter()
        .find(|d| d.get_str("messageId") == Ok(G_TEXT_NEW))
        .unwrap();
    by_158.insert("_id", bson::oid::ObjectId::new());
    by_158.insert("sender", "100158");
    by_158.insert("sender_jid", "100158/android");
    by_158.insert("messageId", "and_100158_recallme");
    by_158.insert("timeSend", 1_613_789_999_000i64);
    app.insert(&rdb, &coll, vec![by_158]).await;
    // Signed as the app signs, with its `language`.
    let recall = |uid: i64, tok: String, id: &'static str| {
        let app = &app;
        let params = common::android(
            uid,
            &tok,
            &[
                ("messageId", id),
                ("roomJid", ROOM),
                ("type", "2"),
                ("delete", "2"),
            ],
        );
        async move { app.get_pairs("/tigase/deleteMsg", &params).await.1 }
    };
    // 100158, a plain member, may not recall the owner's message
    let before = app.snapshot().await;
    assert_eq!(
        recall(100158, c.clone(), G_TEXT_NEW).await["resultCode"],
        1030104
    );
    assert!(
        app.snapshot().await == before,
        "a refused recall changed data"
    );
    // the owner recalls 100158's
    let r = recall(100164, a.clone(), "and_100158_recallme").await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let stored = app
        .dump(&rdb, &coll)
        .await
        .into_iter()
        .find(|d| d.get_str("messageId") == Ok("and_100158_recallme"))
        .unwrap();
    assert!(matches!(stored.get("delayedTime"), Some(Bson::Int64(t)) if *t > 1_600_000_000_000));
    assert_eq!(
        stored.get_str("sender"),
        Ok("100158"),
        "the record stays, marked"
    );
    let (_, h) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", c.as_str()), ("roomId", ROOM)],
        )
        .await;
    assert!(!ids(&h).contains(&"and_100158_recallme".to_string()), "{h}");
}

/// Android's "delete for me" in a group (`MucChatActivity`) sends `type=2`,
/// `delete=1` and no `roomJid`: answered success as the original did, with
/// nothing hidden (the app deleted its own copy and ignores the answer). A
/// recall without the room is still refused.
#[actix_web::test]
async fn android_group_delete_for_me_without_room_answers_success() {
    let (app, a, _, _) = seeded().await;
    let before = app.snapshot().await;
    let params = common::android(
        100164,
        &a,
        &[("messageId", G_TEXT_NEW), ("delete", "1"), ("type", "2")],
    );
    let (status, r) = app.get_pairs("/tigase/deleteMsg", &params).await;
    assert_eq!(status, 200);
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(app.snapshot().await == before, "it changed data");
    let params = common::android(
        100164,
        &a,
        &[("messageId", G_TEXT_NEW), ("delete", "2"), ("type", "2")],
    );
    let (_, r) = app.get_pairs("/tigase/deleteMsg", &params).await;
    assert_eq!(r["resultCode"], 1010101, "{r}");
    assert!(
        app.snapshot().await == before,
        "a refused recall changed data"
    );
}

/// Review of 0674d29 #1: the caller's own copy is gone (expired, or not
/// archived yet) while the peer's is stored: the recall succeeds and takes the
/// peer's copy too; someone else still cannot recall it.
#[actix_web::test]
async fn recalling_my_message_whose_own_copy_is_gone_takes_the_peers() {
    let (app, a, _b, c) = seeded().await;
    let msgs_db = app.store().cfg.msgs.clone();
    app.store()
        .client
        .database(&msgs_db)
        .collection::<Document>("10")
        .delete_one(doc! {"sender": "100164", "messageId": OLDEST})
        .await
        .unwrap();
    // 100164's conversation with 100102 shows that message.
    app.store()
        .client
        .database(&app.store().cfg.lastchat)
        .collection::<Document>("10")
        .update_one(
            doc! {"userId": "100164", "jid": "100102"},
            doc! {"$set": {"messageId": OLDEST, "timeSend": 1_612_924_771_586i64}},
        )
        .await
        .unwrap();
    let before = app.snapshot().await;
    // 100158 holds no copy and did not write it: refused, nothing changed.
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", c.as_str()),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", OLDEST),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104, "{r}");
    assert!(before == app.snapshot().await);
    let peer_copy = find(&msgs(&app).await, "100102", OLDEST).clone();
    assert!(!deleted(&peer_copy), "{peer_copy}");
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", a.as_str()),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", OLDEST),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let peer_copy = find(&msgs(&app).await, "100102", OLDEST).clone();
    assert!(deleted(&peer_copy), "{peer_copy}");
    let mine = last_single(&app, "100164", "100102").await;
    assert!(
        mine.as_ref()
            .is_none_or(|d| d.get_str("messageId") != Ok(OLDEST)),
        "the caller's conversation no longer shows it: {mine:?}"
    );
}

/// iOS recalls a message seconds after sending it, before the IM server
/// archived it (`POST tigase/deleteMsg type=1|2, delete=2, messageId`,
/// `roomJid` for groups): the server holds no record, answers success and
/// changes nothing (the app then sends its recall notice), as the original.
/// A list that also names someone else's message is still refused whole.
#[actix_web::test]
async fn recalling_a_message_not_archived_yet_succeeds() {
    let (app, a, _b, c) = seeded().await;
    let before = app.snapshot().await;
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", a.as_str()),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", "not-archived-yet-1"),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", c.as_str()),
                ("type", "2"),
                ("delete", "2"),
                ("roomJid", ROOM),
                ("messageId", "not-archived-yet-2"),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(before == app.snapshot().await);
    // 100164 names an unknown id and 100102's message: refused, nothing changed.
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", a.as_str()),
                ("type", "1"),
                ("delete", "2"),
                ("messageId", &format!("not-archived-yet-3,{MIDDLE}")),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104, "{r}");
    let (_, r) = app
        .post_form(
            "/tigase/deleteMsg",
            &[
                ("access_token", c.as_str()),
                ("type", "2"),
                ("delete", "2"),
                ("roomJid", ROOM),
                ("messageId", &format!("not-archived-yet-4,{G_TEXT_NEW}")),
            ],
        )
        .await;
    assert_eq!(r["resultCode"], 1030104, "{r}");
    assert!(before == app.snapshot().await);
}
