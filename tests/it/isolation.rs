//! Isolation between users: with the seed's data, an outsider (100174: neither a
//! party of the 100164↔100102 chat nor a member of room 测试群) can not read,
//! delete, recall, pin or search those conversations or that room, through any
//! endpoint that takes an id; and every refused write leaves the database as it was.

use crate::common;

use common::TestApp;
use serde_json::Value;

const OWNER: i64 = 100164; // owner of 测试群, party of the single chat
const PEER: i64 = 100102; // the other party of the single chat
const OUTSIDER: i64 = 100174;
const ROOM_JID: &str = "6c1536dbf97540d1b906d76f4272a90d";
const ROOM_ID: &str = "60210278cb36d459fe88c196";
const CHAT_MSG: &str = "skimweb_100164161404837631184"; // 100164 → 100102, "123"
const ROOM_MSG: &str = "skimweb_1001641613789795464562"; // 100164 in 测试群, "不好"

async fn setup() -> (TestApp, String) {
    let app = TestApp::start().await;
    app.load_seed().await;
    let tok = app.token_for(OUTSIDER).await;
    (app, tok)
}

fn refused(b: &Value) -> bool {
    b["resultCode"].as_i64() != Some(1)
}

#[actix_web::test]
async fn outsider_reads_nothing_of_others_conversations() {
    let (app, tok) = setup().await;
    // Single chat: the outsider only ever gets his own copies (none).
    for receiver in [OWNER.to_string(), PEER.to_string()] {
        let (_, b) = app
            .get(
                "/tigase/shiku_msgs",
                &[("access_token", &tok), ("receiver", &receiver)],
            )
            .await;
        assert_eq!(b["resultCode"], 1, "{b}");
        assert_eq!(
            b["data"],
            serde_json::json!([]),
            "outsider saw {receiver}'s chat: {b}"
        );
    }
    // Group history of a room he is not in: refused, no data.
    let (_, b) = app
        .get(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &tok), ("roomId", ROOM_JID)],
        )
        .await;
    assert!(refused(&b) && b.get("data").is_none(), "{b}");
    // Conversation list: nothing of the others' chats or of the room.
    let (_, b) = app
        .get("/tigase/getLastChatList", &[("access_token", &tok)])
        .await;
    let list = b["data"].as_array().cloned().unwrap_or_default();
    assert!(
        list.iter()
            .all(|c| c["jid"] != ROOM_JID && c["userId"] != OWNER.to_string().as_str()),
        "{b}"
    );
    // Search: no message of others, no room he is not in.
    for q in ["123", "不好", "测试群"] {
        let (_, b) = app
            .get("/tigase/search", &[("access_token", &tok), ("content", q)])
            .await;
        assert_eq!(b["resultCode"], 1);
        assert_eq!(b["data"]["shikuMsgs"], serde_json::json!([]), "{q}: {b}");
        assert_eq!(b["data"]["mucmsgs"], serde_json::json!([]), "{q}: {b}");
        assert!(
            b["data"]["group"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["jid"] != ROOM_JID),
            "{q}: {b}"
        );
    }
    // Room reads. `/room/get` answers the room alone (Android's join by a
    // scanned QR code reads it first): no member, member list or notice.
    let (_, b) = app
        .get("/room/get", &[("access_token", &tok), ("roomId", ROOM_ID)])
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let d = &b["data"];
    assert_eq!(
        (d["jid"].as_str(), d["isNeedVerify"].as_i64()),
        (Some(ROOM_JID), Some(0))
    );
    assert!(
        d.get("member").is_none(),
        "absent, not null (iOS ends on a null): {b}"
    );
    assert_eq!(d["members"], serde_json::json!([]), "{b}");
    assert_eq!(d["notices"], serde_json::json!([]), "{b}");
    assert!(d.get("notice").is_none(), "{b}");
    for path in ["/room/member/list", "/room/noticesPage"] {
        let (_, b) = app
            .get(path, &[("access_token", &tok), ("roomId", ROOM_ID)])
            .await;
        assert!(refused(&b), "{path}: {b}");
        assert!(
            !b.to_string().contains("张益达"),
            "{path} leaked member data: {b}"
        );
    }
    let (_, b) = app.get("/room/list/his", &[("access_token", &tok)]).await;
    assert!(
        b["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["jid"] != ROOM_JID),
        "{b}"
    );
    // Another user's profile never carries secrets; friends/page is always his own list.
    let (_, b) = app
        .get(
            "/user/get",
            &[("access_token", &tok), ("userId", &OWNER.to_string())],
        )
        .await;
    for secret in ["password", "userKey", "payPassword"] {
        let v = &b["data"][secret];
        assert!(v.is_null() || v == "0", "{secret} leaked: {b}");
    }
    let (_, b) = app
        .get(
            "/friends/page",
            &[("access_token", &tok), ("userId", &OWNER.to_string())],
        )
        .await;
    assert!(
        b["data"]["pageData"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["userId"] == OUTSIDER),
        "{b}"
    );
}

#[actix_web::test]
async fn outsider_changes_nothing() {
    let (app, tok) = setup().await;
    let before = app.snapshot().await;
    let attempts: Vec<(&str, Vec<(&str, String)>)> = vec![
        // delete or recall someone else's single-chat message
        (
            "/tigase/deleteMsg",
            vec![
                ("type", "1".into()),
                ("delete", "1".into()),
                ("messageId", CHAT_MSG.into()),
            ],
        ),
        (
            "/tigase/deleteMsg",
            vec![
                ("type", "1".into()),
                ("delete", "2".into()),
                ("messageId", CHAT_MSG.into()),
            ],
        ),
        // group messages of a room he is not in
        (
            "/tigase/deleteMsg",
            vec![
                ("type", "2".into()),
                ("delete", "1".into()),
                ("messageId", ROOM_MSG.into()),
                ("roomJid", ROOM_JID.into()),
            ],
        ),
        (
            "/tigase/deleteMsg",
            vec![
                ("type", "2".into()),
                ("delete", "2".into()),
                ("messageId", ROOM_MSG.into()),
                ("roomJid", ROOM_JID.into()),
            ],
        ),
        // pin the room
        (
            "/tigase/dialog/add",
            vec![
                ("jid", ROOM_JID.into()),
                ("isRoom", "0".into()),
                ("isAdaptive", "1".into()),
            ],
        ),
        // room writes
        (
            "/room/update",
            vec![("roomId", ROOM_ID.into()), ("roomName", "hijacked".into())],
        ),
        (
            "/room/update",
            vec![("roomId", ROOM_ID.into()), ("notice", "hijacked".into())],
        ),
        (
            "/room/transfer",
            vec![
                ("roomId", ROOM_ID.into()),
                ("toUserId", OUTSIDER.to_string()),
            ],
        ),
        (
            "/room/member/delete",
            vec![("roomId", ROOM_ID.into()), ("userId", OWNER.to_string())],
        ),
        (
            "/room/member/delete",
            vec![("roomId", ROOM_ID.into()), ("userId", "100158".into())],
        ),
        (
            "/room/member/update",
            vec![
                ("roomId", ROOM_ID.into()),
                ("phones", "[18094152050]".into()),
            ],
        ),
        (
            "/room/member/setOfflineNoPushMsg",
            vec![
                ("roomId", ROOM_ID.into()),
                ("userId", OWNER.to_string()),
                ("type", "1".into()),
                ("offlineNoPushMsg", "1".into()),
            ],
        ),
    ];
    for (path, params) in attempts {
        let mut q: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        q.push(("access_token", &tok));
        let (status, b) = app.post_form(path, &q).await;
        assert_eq!(status, 200, "{path}");
        // Deleting "my copy" (type 1, delete 1) of a message he has no copy of may
        // succeed doing nothing; every other attempt is refused. Either way
        // nothing may change.
        let own_copy_delete = path == "/tigase/deleteMsg"
            && q.contains(&("type", "1"))
            && q.contains(&("delete", "1"));
        if !own_copy_delete {
            assert!(refused(&b), "{path} {params:?} was accepted: {b}");
        }
        assert!(
            before == app.snapshot().await,
            "{path} {params:?} changed the database: {b}"
        );
    }
}
