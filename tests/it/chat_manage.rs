//! Issue 17: chat housekeeping (Android's `tigase/emptyMyMsg`, WX's
//! `tigase/delLastChatList`, `tigase/getMessage`, `/_ping`) and QZ's device
//! signal `tigase/systemToUser/sendMessage`.

use crate::common;

use bson::Bson;
use common::TestApp;
use serde_json::json;

const ROOM_JID: &str = "6c1536dbf97540d1b906d76f4272a90d";

async fn history(app: &TestApp, token: &str, peer: &str) -> Vec<String> {
    let (_, b) = app
        .get(
            "/tigase/shiku_msgs",
            &[
                ("access_token", token),
                ("receiver", peer),
                ("pageSize", "50"),
            ],
        )
        .await;
    b["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{b}"))
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect()
}

async fn chat_list(app: &TestApp, token: &str) -> Vec<String> {
    let (_, b) = app
        .get("/tigase/getLastChatList", &[("access_token", token)])
        .await;
    b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["jid"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn android_clears_one_conversation_for_itself_only() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let other = app.token_for(100102).await;
    assert_eq!(history(&app, &me, "100102").await.len(), 3);
    assert!(chat_list(&app, &me).await.contains(&"100102".to_string()));
    let before = app.snapshot().await;
    let (_, b) = app
        .get(
            "/tigase/emptyMyMsg",
            &[("access_token", &me), ("type", "0")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101, "{b}");
    let (_, b) = app
        .get(
            "/tigase/emptyMyMsg",
            &[("access_token", &me), ("type", "5"), ("toUserId", "100102")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101, "{b}");
    assert!(app.snapshot().await == before);

    // PersonSettingActivity: GET type=0, toUserId.
    let (s, b) = app
        .get(
            "/tigase/emptyMyMsg",
            &[("access_token", &me), ("type", "0"), ("toUserId", "100102")],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert!(history(&app, &me, "100102").await.is_empty());
    assert!(!chat_list(&app, &me).await.contains(&"100102".to_string()));
    // The other side keeps everything.
    assert_eq!(history(&app, &other, "100164").await.len(), 3);
    assert!(chat_list(&app, &other)
        .await
        .contains(&"100164".to_string()));
    // Marked, not removed: the documents stay with a delete time.
    let stored = app.dump(&app.store().cfg.msgs, "10").await;
    assert_eq!(stored.len(), 6);
    for d in stored
        .iter()
        .filter(|d| d.get_str("sender") == Ok("100164"))
    {
        assert!(
            matches!(d.get("delayedTime"), Some(Bson::Int64(_))),
            "{d:?}"
        );
        assert!(matches!(d.get("deleteTime"), Some(Bson::Int64(_))), "{d:?}");
    }
    for d in stored
        .iter()
        .filter(|d| d.get_str("sender") == Ok("100102"))
    {
        assert!(
            d.get("delayedTime").is_none_or(|v| *v == Bson::Null),
            "{d:?}"
        );
    }
    // SettingActivity: type=1 clears every single chat of the caller.
    let (_, b) = app
        .get(
            "/tigase/emptyMyMsg",
            &[("access_token", &other), ("type", "1")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(history(&app, &other, "100164").await.is_empty());
}

#[actix_web::test]
async fn wx_drops_a_list_entry_and_reads_one_message() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let other = app.token_for(100102).await;
    let (_, b) = app
        .post_form(
            "/tigase/delLastChatList",
            &[
                ("access_token", &me),
                ("toUserId", "100102"),
                ("isJid", "0"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(!chat_list(&app, &me).await.contains(&"100102".to_string()));
    assert!(chat_list(&app, &other)
        .await
        .contains(&"100164".to_string()));
    let (_, b) = app
        .post_form(
            "/tigase/delLastChatList",
            &[("access_token", &me), ("toUserId", "abc"), ("isJid", "0")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);

    // One message: the caller's own copy; a group message of the caller's room.
    let (_, b) = app
        .get(
            "/tigase/getMessage",
            &[
                ("access_token", &me),
                ("messageId", "skimweb_100164161404837631184"),
                ("type", "1"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["sender"], "100164");
    assert_eq!(b["data"]["receiver"], "100102");
    assert!(b["data"]["message"].is_string());
    let (_, b) = app
        .get(
            "/tigase/getMessage",
            &[("access_token", &me), ("messageId", "nope")],
        )
        .await;
    assert_eq!(b["resultCode"], 1);
    assert!(b.get("data").is_none());
    let (_, b) = app
        .get(
            "/tigase/getMessage",
            &[
                ("access_token", &me),
                ("messageId", "skimweb_1001641613789795464562"),
                ("roomJid", ROOM_JID),
            ],
        )
        .await;
    assert_eq!(
        b["data"]["messageId"], "skimweb_1001641613789795464562",
        "{b}"
    );
    // 100102 is not in that room.
    let (_, b) = app
        .get(
            "/tigase/getMessage",
            &[
                ("access_token", &other),
                ("messageId", "skimweb_1001641613789795464562"),
                ("roomJid", ROOM_JID),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 100409, "{b}");
}

#[actix_web::test]
async fn qz_device_signal_and_wx_ping() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let me = app.token_for(100164).await;
    let body = r#"{"seeMessageUserId":"100102","seeEquipment":"app"}"#;
    let before = app.snapshot().await;
    let (s, b) = app
        .post_form(
            "/tigase/systemToUser/sendMessage",
            &[
                ("access_token", &me),
                ("type", "10086"),
                ("body", body),
                ("toUserId", "100164"),
                ("salt", "1700000000000"),
                ("secret", "c2lnbmVkLWJ5LXF6"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    for (to, body, code) in [("100102", body, 1030104), ("100164", "not json", 1010101)] {
        let (_, b) = app
            .post_form(
                "/tigase/systemToUser/sendMessage",
                &[
                    ("access_token", &me),
                    ("type", "10086"),
                    ("body", body),
                    ("toUserId", to),
                ],
            )
            .await;
        assert_eq!(b["resultCode"], code, "{b}");
    }
    assert!(app.snapshot().await == before, "a signal stores nothing");
    // WX's latency meter: no token needed, never a token code.
    for params in [vec![], vec![("access_token", "expired-token")]] {
        let (s, b) = app.get("/_ping", &params).await;
        assert_eq!((s, &b["resultCode"]), (200, &json!(1)), "{b}");
    }
}
