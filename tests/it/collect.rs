//! `/user/emoji/*` and `/user/collection/list`: stickers and favourites, with
//! the Android app's requests (`ChatContentView.collectionParam`,
//! `CoreManager.initLocalCollectionEmoji`, `MyCollection`,
//! `ManagerEmojiActivity`, `WebViewActivity`, `PublicMessageRecyclerAdapter`).

use crate::common;

use bson::{doc, oid::ObjectId, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

const ROOM: &str = "6c1536dbf97540d1b906d76f4272a90d";
const GIF: &str = "http://file.example/u/100164/sticker.gif";
const PDF: &str = "http://file.example/u/100102/report.pdf";
const VOICE: &str = "http://file.example/u/100158/hello.amr";

async fn seeded() -> (TestApp, String, String) {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100164).await;
    let b = app.token_for(100102).await;
    (app, a, b)
}

async fn items(app: &TestApp) -> Vec<Document> {
    app.dump(&app.store().cfg.imapi, "emoji").await
}

/// POST as the app's `HttpUtils.post()`: a form with the signing parameters.
async fn add(app: &TestApp, uid: i64, tok: &str, emoji: &Value) -> Value {
    let text = emoji.to_string();
    let p = common::android(uid, tok, &[("emoji", text.as_str())]);
    let (status, r) = app.post_pairs("/user/emoji/add", &p).await;
    assert_eq!(status, 200);
    r
}

async fn list(app: &TestApp, path: &str, uid: i64, tok: &str) -> Vec<Value> {
    let id = uid.to_string();
    let p = common::android(uid, tok, &[("userId", id.as_str())]);
    let (status, r) = app.get_pairs(path, &p).await;
    assert_eq!((status, &r["resultCode"]), (200, &json!(1)), "{r}");
    r["data"].as_array().unwrap().clone()
}

fn emoji_id(v: &Value) -> String {
    let id = v["emojiId"].as_str().unwrap();
    assert!(ObjectId::parse_str(id).is_ok(), "{id}");
    id.to_string()
}

/// A stored single-chat record of `owner` (the chat server's shape: the
/// body in `message`).
async fn single_message(app: &TestApp, owner: i64, peer: i64, id: &str, body: Value) {
    let shard = (owner / 10000).to_string();
    let record = doc! {
        "_id": ObjectId::new(), "message": body.to_string(), "direction": 1,
        "sender": owner.to_string(), "receiver": peer.to_string(),
        "sender_jid": format!("{peer}/android"), "receiver_jid": owner.to_string(),
        "ts": 1_700_000_000_000i64, "contentType": body["type"].as_i64().unwrap() as i32,
        "messageId": id, "timeSend": 1_700_000_000_000i64, "deleteTime": 0i64,
        "isRead": 1, "isEncrypt": false, "content": body["content"].as_str().unwrap(),
    };
    app.insert(&app.store().cfg.msgs, &shard, vec![record])
        .await;
}

#[actix_web::test]
async fn a_sticker_is_kept_listed_and_refused_twice() {
    let (app, a, _) = seeded().await;
    let r = add(
        &app,
        100164,
        &a,
        &json!([{"type": "6", "msg": GIF, "url": GIF}]),
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let d = &r["data"];
    let id = emoji_id(d);
    assert_eq!(d["type"], 6);
    assert_eq!(d["userId"], 100164);
    assert_eq!(d["url"], GIF);
    assert_eq!(d["msg"], GIF);
    assert_eq!(d["collectType"], 0);
    let now = chrono::Utc::now().timestamp();
    assert!((d["createTime"].as_i64().unwrap() - now).abs() < 60, "{d}");
    assert!(d.get("msgId").is_none() && d.get("roomJid").is_none());

    let stored = items(&app).await;
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!(s.get_object_id("_id").unwrap().to_hex(), id);
    assert_eq!(s.get("userId"), Some(&Bson::Int32(100164)));
    assert_eq!(s.get("type"), Some(&Bson::Int32(6)));
    assert!(matches!(s.get("createTime"), Some(Bson::Int64(_))));
    assert_eq!(s.get("fileSize"), Some(&Bson::Double(0.0)));
    assert_eq!(s.get("fileLength"), Some(&Bson::Int32(0)));
    assert_eq!(s.get("collectType"), Some(&Bson::Int32(0)));

    // `CoreManager.initLocalCollectionEmoji`: GET with the caller's userId;
    // `Collectiion` reads emojiId, type, url, userId, createTime.
    let stickers = list(&app, "/user/emoji/list", 100164, &a).await;
    assert_eq!(stickers.len(), 1);
    assert_eq!(stickers[0]["emojiId"], id.as_str());
    assert_eq!(stickers[0]["url"], GIF);
    assert_eq!(stickers[0]["type"], 6);
    // Stickers are not favourites.
    assert!(list(&app, "/user/collection/list", 100164, &a)
        .await
        .is_empty());

    // The same sticker again: 100509, nothing stored.
    let before = app.snapshot().await;
    let r = add(
        &app,
        100164,
        &a,
        &json!([{"type": "6", "msg": GIF, "url": GIF}]),
    )
    .await;
    assert_eq!(r["resultCode"], 100509, "{r}");
    assert_eq!(r["resultMsg"], "不能重复操作");
    assert!(app.snapshot().await == before);
}

/// Multi-select "collect" in a chat: several items in one array, the file
/// details read from the stored message; a text keeps its text as the
/// content and has no URL.
#[actix_web::test]
async fn chat_messages_are_collected_with_their_file_details() {
    let (app, a, _) = seeded().await;
    single_message(
        &app,
        100164,
        100102,
        "and_file_1",
        json!({"type": 9, "content": PDF, "fileName": "/storage/report.pdf", "fileSize": 52_431, "timeSend": 1_700_000_000_000i64}),
    )
    .await;
    single_message(
        &app,
        100164,
        100102,
        "and_text_1",
        json!({"type": 1, "content": "明天见", "timeSend": 1_700_000_000_001i64}),
    )
    .await;
    let r = add(
        &app,
        100164,
        &a,
        &json!([
            {"type": "3", "msg": PDF, "msgId": "and_file_1"},
            {"type": "5", "msg": "明天见", "msgId": "and_text_1"},
        ]),
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    // The answer is the last item stored.
    assert_eq!(r["data"]["type"], 5);
    assert_eq!(r["data"]["collectContent"], "明天见");

    let stored = items(&app).await;
    assert_eq!(stored.len(), 2);
    let file = stored.iter().find(|d| d.get_i32("type") == Ok(3)).unwrap();
    assert_eq!(file.get_str("url").unwrap(), PDF);
    assert_eq!(file.get_str("msgId").unwrap(), "and_file_1");
    assert_eq!(file.get_str("fileName").unwrap(), "/storage/report.pdf");
    assert_eq!(file.get("fileSize"), Some(&Bson::Double(52_431.0)));
    assert!(file.get("roomJid").is_none());
    let text = stored.iter().find(|d| d.get_i32("type") == Ok(5)).unwrap();
    assert!(text.get("url").is_none());
    assert_eq!(text.get_str("collectContent").unwrap(), "明天见");

    // `MyCollection`: GET with userId only; `CollectionEvery` reads url,
    // msg, fileName, fileSize, fileLength, collectContent, type, emojiId.
    let favs = list(&app, "/user/collection/list", 100164, &a).await;
    assert_eq!(favs.len(), 2);
    let f = favs.iter().find(|v| v["type"] == 3).unwrap();
    emoji_id(f);
    assert_eq!(f["url"], PDF);
    assert_eq!(f["fileName"], "/storage/report.pdf");
    assert_eq!(f["fileSize"].as_f64(), Some(52_431.0));
    assert_eq!(f["fileLength"], 0);
    let t = favs.iter().find(|v| v["type"] == 5).unwrap();
    assert_eq!(t["msg"], "明天见");
    assert!(t.get("url").is_none());
    // One type only.
    let p = common::android(100164, &a, &[("userId", "100164"), ("type", "3")]);
    let (_, r) = app.get_pairs("/user/collection/list", &p).await;
    assert_eq!(r["data"].as_array().unwrap().len(), 1);
    assert_eq!(r["data"][0]["type"], 3);
}

/// A voice from a group the caller is in takes its length from the stored
/// message; an end-to-end encrypted message is refused (105002) and nothing
/// of the request is stored.
#[actix_web::test]
async fn group_voice_is_collected_and_encrypted_messages_are_refused() {
    let (app, a, _) = seeded().await;
    let body = json!({"type": 3, "content": VOICE, "fileSize": 9_000, "fileTime": 7, "fromUserId": "100158"});
    let record = doc! {
        "_id": ObjectId::new(), "message": body.to_string(), "sender": "100158",
        "sender_jid": "100158/android", "room_jid": ROOM, "contentType": 3,
        "messageId": "and_voice_1", "timeSend": 1_700_000_000_000i64, "content": VOICE,
    };
    app.insert(
        &app.store().cfg.room,
        &format!("mucmsg_{ROOM}"),
        vec![record],
    )
    .await;
    let r = add(
        &app,
        100164,
        &a,
        &json!([{"type": "4", "msg": VOICE, "msgId": "and_voice_1", "roomJid": ROOM}]),
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"]["roomJid"], ROOM);
    assert_eq!(r["data"]["fileLength"], 7);
    assert_eq!(r["data"]["fileSize"].as_f64(), Some(9_000.0));
    let stored = items(&app).await;
    assert_eq!(stored[0].get("fileLength"), Some(&Bson::Int32(7)));

    single_message(
        &app,
        100164,
        100102,
        "and_secret_1",
        json!({"type": 1, "content": "c2VjcmV0", "encryptType": 3}),
    )
    .await;
    let before = app.snapshot().await;
    let r = add(
        &app,
        100164,
        &a,
        &json!([
            {"type": "1", "msg": GIF, "msgId": "x-other"},
            {"type": "5", "msg": "c2VjcmV0", "msgId": "and_secret_1"},
        ]),
    )
    .await;
    assert_eq!(r["resultCode"], 105002, "{r}");
    assert!(
        app.snapshot().await == before,
        "a refused add stored something"
    );
}

/// A web page (`WebViewActivity`, sent as GET) and a moments post: the
/// moments mark (`s_collect`) is kept with the item and goes with it.
#[actix_web::test]
async fn links_and_moments_posts_are_collected_and_deleted() {
    let (app, a, _) = seeded().await;
    let link = json!([{"type": "5", "msg": "https://example.org/a", "collectContent": "https://example.org/a", "collectType": -1}]);
    let text = link.to_string();
    let p = common::android(100164, &a, &[("emoji", text.as_str())]);
    let (_, r) = app.get_pairs("/user/emoji/add", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"]["collectType"], -1);

    let post = ObjectId::new().to_hex();
    let r = add(
        &app,
        100164,
        &a,
        &json!([{"type": "1", "msg": "http://f/1.jpg,http://f/2.jpg", "fileName": "", "fileSize": 0, "fileLength": 0,
                 "collectContent": "周末", "collectType": 1, "collectMsgId": post}]),
    )
    .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let id = emoji_id(&r["data"]);
    assert_eq!(r["data"]["url"], "http://f/1.jpg,http://f/2.jpg");
    let marks = app.dump(&app.store().cfg.imapi, "s_collect").await;
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].get_object_id("msgId").unwrap().to_hex(), post);
    assert_eq!(marks[0].get("userId"), Some(&Bson::Int32(100164)));
    assert_eq!(marks[0].get_str("nickname").unwrap(), "张益达");
    assert!(matches!(marks[0].get("time"), Some(Bson::Int64(_))));

    // The favourites screen deletes one id (GET).
    let p = common::android(100164, &a, &[("emojiId", id.as_str())]);
    let (_, r) = app.get_pairs("/user/emoji/delete", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(app
        .dump(&app.store().cfg.imapi, "s_collect")
        .await
        .is_empty());
    let left = items(&app).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].get_i32("collectType"), Ok(-1));

    // Two items of one post: the mark stays while one of them is kept.
    let photo = |n: u32| {
        json!([{"type": "1", "msg": format!("http://f/{n}.jpg"), "collectContent": "周末",
                "collectType": 1, "collectMsgId": post}])
    };
    let first = emoji_id(&add(&app, 100164, &a, &photo(3)).await["data"]);
    let second = emoji_id(&add(&app, 100164, &a, &photo(4)).await["data"]);
    let marks = || app.dump(&app.store().cfg.imapi, "s_collect");
    assert_eq!(marks().await.len(), 2);
    let p = common::android(100164, &a, &[("emojiId", first.as_str())]);
    let (_, r) = app.get_pairs("/user/emoji/delete", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(
        marks().await.len(),
        2,
        "the other item still comes from the post"
    );
    let p = common::android(100164, &a, &[("emojiId", second.as_str())]);
    let (_, r) = app.get_pairs("/user/emoji/delete", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert!(marks().await.is_empty());
}

/// The same text collected from two messages is kept twice; the same
/// message twice is refused; a user keeps at most 1000 items.
#[actix_web::test]
async fn favourites_are_told_apart_by_their_message_and_bounded() {
    let (app, a, _) = seeded().await;
    let text = |id: &str| json!([{"type": "5", "msg": "好的", "msgId": id}]);
    assert_eq!(add(&app, 100164, &a, &text("m-1")).await["resultCode"], 1);
    assert_eq!(add(&app, 100164, &a, &text("m-2")).await["resultCode"], 1);
    let before = app.snapshot().await;
    let r = add(&app, 100164, &a, &text("m-1")).await;
    assert_eq!(r["resultCode"], 100509, "{r}");
    assert!(app.snapshot().await == before);

    let filler: Vec<Document> = (0..997)
        .map(|i| {
            doc! {"_id": ObjectId::new(), "userId": 100164, "type": 6,
            "url": format!("http://f/{i}.gif"), "msg": format!("http://f/{i}.gif"),
            "createTime": 1_700_000_000i64, "fileSize": 0.0, "fileLength": 0, "collectType": 0}
        })
        .collect();
    app.insert(&app.store().cfg.imapi, "emoji", filler).await;
    let before = app.snapshot().await;
    let two =
        json!([{"type": "6", "msg": "http://f/a.gif"}, {"type": "6", "msg": "http://f/b.gif"}]);
    let r = add(&app, 100164, &a, &two).await;
    assert_eq!(
        (&r["resultCode"], &r["resultMsg"]),
        (&json!(0), &json!("收藏数量已达到上限")),
        "{r}"
    );
    assert!(app.snapshot().await == before);
    assert_eq!(add(&app, 100164, &a, &text("m-3")).await["resultCode"], 1);
    assert_eq!(items(&app).await.len(), 1000);
}

/// Each user sees and deletes only their own items; a list for another
/// `userId` is refused (the original listed anyone's).
#[actix_web::test]
async fn items_are_the_owners_own() {
    let (app, a, b) = seeded().await;
    let mine = emoji_id(&add(&app, 100164, &a, &json!([{"type": "6", "msg": GIF}])).await["data"]);
    let theirs =
        emoji_id(&add(&app, 100102, &b, &json!([{"type": "6", "msg": GIF}])).await["data"]);
    let second =
        emoji_id(&add(&app, 100164, &a, &json!([{"type": "6", "msg": PDF}])).await["data"]);
    // Newest first.
    let stickers = list(&app, "/user/emoji/list", 100164, &a).await;
    let ids: Vec<&str> = stickers
        .iter()
        .map(|v| v["emojiId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), mine.as_str()]);

    let p = common::android(100164, &a, &[("userId", "100102")]);
    common::refused(&app, "/user/emoji/list", &p, 1030104).await;

    // `ManagerEmojiActivity`: a comma list; another user's id and a
    // malformed one are skipped.
    let all = format!("{mine},{theirs},nonsense");
    let p = common::android(100164, &a, &[("emojiId", all.as_str())]);
    let (_, r) = app.get_pairs("/user/emoji/delete", &p).await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let left: Vec<String> = items(&app)
        .await
        .iter()
        .map(|d| d.get_object_id("_id").unwrap().to_hex())
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&theirs) && left.contains(&second));
}

#[actix_web::test]
async fn bad_adds_change_nothing() {
    let (app, a, _) = seeded().await;
    add(&app, 100164, &a, &json!([{"type": "6", "msg": GIF}])).await;
    let before = app.snapshot().await;
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"type": "6", "msg": format!("http://f/{i}.gif")}))
        .collect();
    for (emoji, code) in [
        ("not json".to_string(), 1010101),
        ("[]".to_string(), 1010101),
        (json!({"type": "6", "msg": GIF}).to_string(), 1010101),
        (json!([{"type": "6"}]).to_string(), 1010101),
        (json!([{"type": "12", "msg": "x"}]).to_string(), 1010101),
        (
            json!([{"type": "1", "msg": "x", "collectType": 1, "collectMsgId": "zz"}]).to_string(),
            1010101,
        ),
        (
            json!([{"type": "4", "msg": VOICE, "fileLength": -5}]).to_string(),
            1010101,
        ),
        (
            json!([{"type": "3", "msg": PDF, "fileName": "f".repeat(300)}]).to_string(),
            1010101,
        ),
        // A valid item beside a bad one: neither is stored.
        (
            json!([{"type": "6", "msg": "http://f/new.gif"}, {"type": "x", "msg": "y"}])
                .to_string(),
            1010101,
        ),
        // The same item twice in one request, or one kept already.
        (
            json!([{"type": "6", "msg": "http://f/n.gif"}, {"type": "6", "msg": "http://f/n.gif"}])
                .to_string(),
            100509,
        ),
        (json!([{"type": "6", "msg": GIF}]).to_string(), 100509),
        (Value::Array(many).to_string(), 1010101),
    ] {
        let p = common::android(100164, &a, &[("emoji", emoji.as_str())]);
        let (status, r) = app.post_pairs("/user/emoji/add", &p).await;
        assert_eq!(status, 200);
        assert_eq!(r["resultCode"], code, "{emoji}: {r}");
        assert!(app.snapshot().await == before, "{emoji} changed data");
    }
    let p = common::android(100164, &a, &[]);
    common::refused(&app, "/user/emoji/delete", &p, 1010101).await;
    common::refused(&app, "/user/emoji/add", &p, 1010101).await;
    let p = common::android(100164, &a, &[("type", "6")]);
    common::refused(&app, "/user/collection/list", &p, 1010101).await;
    assert!(app.snapshot().await == before);
}
