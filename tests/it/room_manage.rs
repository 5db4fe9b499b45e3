//! Issue 17: the owner's and admins' room actions the real clients call:
//! QZ's `/room/updateEncryptType`, `room/member/deleteUsers`, `/room/delete`
//! (POST forms with its signing parameters) and WX's `/room/set/admin`.

use crate::common;
use common::{qz, refused};

use bson::{oid::ObjectId, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

/// Seed room "006": owner 100164, members 100102 and 100174.
const ROOM: &str = "60332a72d656fd634b20f20a";
const JID: &str = "f6c9eb95fc1048b7bba4b3c7e9249de1";

/// QZ's request: a POST form with the caller's token and its signing
/// parameters (`token` of the task system, `salt`, `secret`).

async fn room(app: &TestApp) -> Option<Document> {
    let oid = ObjectId::parse_str(ROOM).unwrap();
    app.dump(&app.store().cfg.room, "shiku_room")
        .await
        .into_iter()
        .find(|d| d.get_object_id("_id") == Ok(oid))
}

async fn members(app: &TestApp) -> Vec<(i32, i32)> {
    let oid = ObjectId::parse_str(ROOM).unwrap();
    let mut v: Vec<(i32, i32)> = app
        .dump(&app.store().cfg.room_member, "215")
        .await
        .into_iter()
        .filter(|d| d.get_object_id("roomId") == Ok(oid))
        .map(|d| (d.get_i32("userId").unwrap(), d.get_i32("role").unwrap()))
        .collect();
    v.sort();
    v
}

/// The group messages of one type, as stored (with the embedded `message`).
async fn notices(app: &TestApp, msg_type: i32) -> Vec<(Document, Value)> {
    app.dump(&app.store().cfg.room, &format!("mucmsg_{JID}"))
        .await
        .into_iter()
        .filter(|d| d.get_i32("contentType") == Ok(msg_type))
        .map(|d| {
            let m: Value = serde_json::from_str(d.get_str("message").unwrap()).unwrap();
            (d, m)
        })
        .collect()
}

#[actix_web::test]
async fn qz_changes_the_room_encryption() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    refused(
        &app,
        "/room/updateEncryptType",
        &qz(&member, &[("roomId", ROOM), ("encryptType", "2")]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/updateEncryptType",
        &qz(&owner, &[("roomId", ROOM), ("encryptType", "7")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/room/updateEncryptType",
        &qz(&owner, &[("roomId", "zz"), ("encryptType", "1")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/room/updateEncryptType",
        &qz(
            &owner,
            &[("roomId", "60332a72d656fd634b20f2ff"), ("encryptType", "1")],
        ),
        100411,
    )
    .await;
    refused(
        &app,
        "/room/updateEncryptType",
        &qz(&owner, &[("encryptType", "1")]),
        1010101,
    )
    .await;

    let (s, b) = app
        .post_pairs(
            "/room/updateEncryptType",
            &qz(&owner, &[("roomId", ROOM), ("encryptType", "2")]),
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert_eq!(
        room(&app).await.unwrap().get("encryptType"),
        Some(&Bson::Int32(2))
    );
    let n = notices(&app, 935).await;
    assert_eq!(n.len(), 1);
    let (stored, m) = &n[0];
    assert_eq!(stored.get_str("content"), Ok("2"));
    assert_eq!(stored.get_str("sender"), Ok("100164"));
    assert_eq!(m["type"], 935);
    assert_eq!(m["content"], "2");
    assert_eq!(m["objectId"], JID);
    assert_eq!(m["toUserId"], JID);
    assert_eq!(m["fromUserId"], "100164");
    // QZ reads the room again and keeps `data` in its local group storage.
    let (_, b) = app
        .post_pairs("/room/get", &qz(&owner, &[("roomId", ROOM)]))
        .await;
    assert_eq!(b["data"]["encryptType"], 2);
}

#[actix_web::test]
async fn qz_removes_members_in_one_call_or_none() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    // A member may not remove another; a list naming a non-member removes nobody.
    refused(
        &app,
        "/room/member/deleteUsers",
        &qz(&member, &[("roomId", ROOM), ("userIds", "100174")]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/member/deleteUsers",
        &qz(&owner, &[("roomId", ROOM), ("userIds", "100174,100158")]),
        100409,
    )
    .await;
    refused(
        &app,
        "/room/member/deleteUsers",
        &qz(&owner, &[("roomId", ROOM), ("userIds", "100174,abc")]),
        1010101,
    )
    .await;
    refused(
        &app,
        "/room/member/deleteUsers",
        &qz(&owner, &[("roomId", ROOM), ("userIds", " , ")]),
        1010101,
    )
    .await;

    // A member leaves (QZ sends its own id).
    let (_, b) = app
        .post_pairs(
            "/room/member/deleteUsers",
            &qz(&member, &[("roomId", ROOM), ("userIds", "100102")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(members(&app).await, vec![(100164, 1), (100174, 3)]);
    // The owner kicks the rest.
    let (_, b) = app
        .post_pairs(
            "/room/member/deleteUsers",
            &qz(&owner, &[("roomId", ROOM), ("userIds", "100174")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(members(&app).await, vec![(100164, 1)]);
    assert_eq!(
        room(&app).await.unwrap().get("userSize"),
        Some(&Bson::Int32(1))
    );
    // One 904 per departure (the room announces them), to the one who left.
    let gone: Vec<String> = notices(&app, 904)
        .await
        .iter()
        .map(|(_, m)| m["toUserId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(gone, ["100102", "100174"]);
    // Their room lists no longer hold the room.
    let (_, b) = app
        .get("/room/list/his", &[("access_token", &member)])
        .await;
    assert!(
        !b["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == ROOM),
        "{b}"
    );
}

#[actix_web::test]
async fn the_owner_naming_himself_dissolves_and_room_delete_too() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    refused(
        &app,
        "/room/delete",
        &qz(&member, &[("roomId", ROOM)]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/delete",
        &qz(&owner, &[("roomId", "nope")]),
        1010101,
    )
    .await;
    let (s, b) = app
        .post_pairs("/room/delete", &qz(&owner, &[("roomId", ROOM)]))
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert!(room(&app).await.is_none());
    assert!(members(&app).await.is_empty());
    let names = app
        .store()
        .client
        .database(&app.store().cfg.room)
        .list_collection_names()
        .await
        .unwrap();
    assert!(!names.contains(&format!("mucmsg_{JID}")), "{names:?}");
    let (_, b) = app
        .get("/room/get", &[("access_token", &member), ("roomId", ROOM)])
        .await;
    assert_eq!(b["resultCode"], 100411);
    // Gone: a second delete finds no room.
    let (_, b) = app
        .post_pairs("/room/delete", &qz(&owner, &[("roomId", ROOM)]))
        .await;
    assert_eq!(b["resultCode"], 100411);

    // deleteUsers with the owner's own id: the other seed room is dissolved.
    let other = "603c8fa87a9732085424961f";
    let (_, b) = app
        .post_pairs(
            "/room/member/deleteUsers",
            &qz(&owner, &[("roomId", other), ("userIds", "100164")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app
        .get("/room/get", &[("access_token", &owner), ("roomId", other)])
        .await;
    assert_eq!(b["resultCode"], 100411);
}

/// WX's group management: `touserId` (lower-case u), `type` 2 sets, 3 unsets.
#[actix_web::test]
async fn wx_sets_and_unsets_an_admin() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    let wx = |tok: &str, touser: &str, kind: &str| {
        vec![
            ("access_token", tok.to_string()),
            ("roomId", ROOM.to_string()),
            ("touserId", touser.to_string()),
            ("type", kind.to_string()),
        ]
    };
    refused(
        &app,
        "/room/set/admin",
        &wx(&member, "100174", "2"),
        1030104,
    )
    .await;
    refused(&app, "/room/set/admin", &wx(&owner, "100164", "2"), 100412).await;
    refused(&app, "/room/set/admin", &wx(&owner, "100158", "2"), 100409).await;
    refused(&app, "/room/set/admin", &wx(&owner, "100174", "5"), 1010101).await;

    let (_, b) = app
        .post_pairs("/room/set/admin", &wx(&owner, "100174", "2"))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        members(&app).await,
        vec![(100102, 3), (100164, 1), (100174, 2)]
    );
    let n = notices(&app, 913).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].1["content"], "1");
    assert_eq!(n[0].1["toUserId"], "100174");
    assert_eq!(n[0].1["other"], "{\"isAttritionNotice\":1}");
    // The new admin may now remove a member; an admin may not remove an admin.
    let admin = app.token_for(100174).await;
    let (_, b) = app
        .get(
            "/room/update",
            &[
                ("access_token", &admin),
                ("roomId", ROOM),
                ("desc", "管理员改的"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");

    // At most adminMaxNumber admins.
    app.store()
        .set_room_fields(
            &ObjectId::parse_str(ROOM).unwrap(),
            bson::doc! {"adminMaxNumber": 1},
        )
        .await
        .unwrap();
    refused(&app, "/room/set/admin", &wx(&owner, "100102", "2"), 100442).await;

    let (_, b) = app
        .post_pairs("/room/set/admin", &wx(&owner, "100174", "3"))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        members(&app).await,
        vec![(100102, 3), (100164, 1), (100174, 3)]
    );
    assert_eq!(notices(&app, 913).await[1].1["content"], "0");
}

/// Android's public rooms: `/room/list`, then `/room/join` (GET).
#[actix_web::test]
async fn android_lists_public_rooms_and_joins_one() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let oid = ObjectId::parse_str(ROOM).unwrap();
    app.store()
        .set_room_fields(&oid, bson::doc! {"isLook": 0})
        .await
        .unwrap();
    let t = app.token_for(100158).await;
    let (_, b) = app
        .get(
            "/room/list",
            &[("access_token", &t), ("pageIndex", "0"), ("pageSize", "10")],
        )
        .await;
    let ids: Vec<&str> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ROOM], "only the public room: {b}");
    assert_eq!(b["data"][0]["jid"], JID);
    let (_, b) = app
        .get("/room/list", &[("access_token", &t), ("roomName", "00")])
        .await;
    assert_eq!(b["data"].as_array().unwrap().len(), 1);
    let (_, b) = app
        .get(
            "/room/list",
            &[("access_token", &t), ("roomName", "nothing like it")],
        )
        .await;
    assert_eq!(b["data"], serde_json::json!([]));

    // type=1 claims the owner's role, which only the owner may.
    let (_, b) = app
        .get(
            "/room/join",
            &[("access_token", &t), ("roomId", ROOM), ("type", "1")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        members(&app).await,
        vec![(100102, 3), (100158, 3), (100164, 1), (100174, 3)]
    );
    assert_eq!(
        room(&app).await.unwrap().get("userSize"),
        Some(&Bson::Int32(4))
    );
    let n = notices(&app, 907).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].1["toUserId"], "100158");
    assert_eq!(n[0].1["fileName"], ROOM);
    let (_, b) = app.get("/room/list/his", &[("access_token", &t)]).await;
    assert!(b["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == ROOM));
    // Again: nothing more.
    let (_, b) = app
        .get("/room/join", &[("access_token", &t), ("roomId", ROOM)])
        .await;
    assert_eq!(b["resultCode"], 1);
    assert_eq!(members(&app).await.len(), 4);
    // Full.
    app.store()
        .set_room_fields(&oid, bson::doc! {"maxUserSize": 4})
        .await
        .unwrap();
    let other = app.token_for(100159).await;
    refused(&app, "/room/join", &qz(&other, &[("roomId", ROOM)]), 100423).await;
    refused(
        &app,
        "/room/join",
        &qz(&other, &[("roomId", "60332a72d656fd634b20f2ff")]),
        100411,
    )
    .await;
}

/// Android's notice list: edit (POST `noticeId, noticeContent`) and delete.
#[actix_web::test]
async fn notices_are_edited_and_deleted_by_the_managers() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    let notice = "6033539ed656fd634b20f263";
    let edit = |t: &str| {
        qz(
            t,
            &[
                ("roomId", ROOM),
                ("noticeId", notice),
                ("noticeContent", "新公告"),
            ],
        )
    };
    refused(&app, "/room/updateNotice", &edit(&member), 1030104).await;
    refused(
        &app,
        "/room/updateNotice",
        &qz(
            &owner,
            &[("roomId", ROOM), ("noticeId", "zz"), ("noticeContent", "x")],
        ),
        1010101,
    )
    .await;
    refused(
        &app,
        "/room/updateNotice",
        &qz(&owner, &[("roomId", ROOM), ("noticeId", notice)]),
        1010101,
    )
    .await;
    let (_, b) = app.post_pairs("/room/updateNotice", &edit(&owner)).await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["id"], notice);
    assert_eq!(b["data"]["text"], "新公告");
    let stored = app
        .dump(&app.store().cfg.room, "shiku_room_notice")
        .await
        .into_iter()
        .find(|n| n.get_object_id("_id").unwrap().to_hex() == notice)
        .unwrap();
    assert_eq!(stored.get_str("text"), Ok("新公告"));
    assert!(matches!(stored.get("modifyTime"), Some(Bson::Int64(_))));
    let n = notices(&app, 934).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].1["content"], "新公告");

    refused(
        &app,
        "/room/notice/delete",
        &qz(&member, &[("roomId", ROOM), ("noticeId", notice)]),
        1030104,
    )
    .await;
    let (_, b) = app
        .get(
            "/room/notice/delete",
            &[
                ("access_token", &owner),
                ("roomId", ROOM),
                ("noticeId", notice),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app
        .get(
            "/room/noticesPage",
            &[("access_token", &owner), ("roomId", ROOM)],
        )
        .await;
    let left: Vec<&str> = b["data"]["pageData"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        left,
        ["60335317d656fd634b20f254", "603352c2d656fd634b20f241"]
    );
    refused(
        &app,
        "/room/notice/delete",
        &qz(&owner, &[("roomId", ROOM), ("noticeId", notice)]),
        1010101,
    )
    .await;
}

/// Android's `SetManagerActivity`: invisible members and guardians.
#[actix_web::test]
async fn the_owner_names_invisible_members_and_guardians() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let set = |t: &str, who: &str, kind: &str| {
        qz(t, &[("roomId", ROOM), ("touserId", who), ("type", kind)])
    };
    let (_, b) = app
        .get_pairs("/room/setInvisibleGuardian", &set(&owner, "100102", "4"))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        members(&app).await,
        vec![(100102, 4), (100164, 1), (100174, 3)]
    );
    let (_, b) = app
        .get_pairs("/room/setInvisibleGuardian", &set(&owner, "100102", "5"))
        .await;
    assert_eq!(
        (b["resultCode"].as_i64(), b["resultMsg"].as_str()),
        (Some(0), Some("该成员已经是：隐身人"))
    );
    let (_, b) = app
        .get_pairs("/room/setInvisibleGuardian", &set(&owner, "100174", "0"))
        .await;
    assert_eq!(b["resultMsg"], "该成员不是监控人");
    let member = app.token_for(100174).await;
    let (_, b) = app
        .get_pairs("/room/setInvisibleGuardian", &set(&member, "100174", "5"))
        .await;
    assert_eq!(b["resultMsg"], "只有群主才有操作权限");
    let (_, b) = app
        .get_pairs("/room/setInvisibleGuardian", &set(&owner, "100102", "-1"))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(
        members(&app).await,
        vec![(100102, 3), (100164, 1), (100174, 3)]
    );
    refused(
        &app,
        "/room/setInvisibleGuardian",
        &set(&owner, "100102", "7"),
        1010101,
    )
    .await;
}

/// Android's group files: add after an upload, list, read, delete.
#[actix_web::test]
async fn group_files() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let uploader = app.token_for(100102).await;
    let other = app.token_for(100174).await;
    let outsider = app.token_for(100158).await;
    let add = |t: &str, uid: &str| {
        vec![
            ("access_token", t.to_string()),
            ("userId", uid.to_string()),
            ("roomId", ROOM.to_string()),
            ("size", "2048".to_string()),
            (
                "url",
                "http://files.test/u/102/100102/202401/a.pdf".to_string(),
            ),
            ("type", "10".to_string()),
            ("name", "报告.pdf".to_string()),
        ]
    };
    refused(&app, "/room/add/share", &add(&outsider, "100158"), 1030104).await;
    refused(&app, "/room/add/share", &add(&uploader, "100174"), 1030104).await;
    let (_, b) = app
        .get_pairs("/room/add/share", &add(&uploader, "100102"))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let share = b["data"]["shareId"].as_str().unwrap().to_string();
    assert_eq!(b["data"]["name"], "报告.pdf");
    assert_eq!(b["data"]["size"], json!(2048.0), "a float, as the original");
    assert_eq!(b["data"]["userId"], 100102);
    let stored = app.dump(&app.store().cfg.room, "shiku_room_share").await;
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!(s.get_object_id("roomId").unwrap().to_hex(), ROOM);
    assert_eq!(s.get("userId"), Some(&Bson::Int32(100102)));
    assert_eq!(s.get("type"), Some(&Bson::Int32(10)));
    assert_eq!(s.get("size"), Some(&Bson::Double(2048.0)));
    assert!(matches!(s.get("time"), Some(Bson::Int64(_))));
    let n = notices(&app, 401).await;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].1["content"], share.as_str());
    assert_eq!(n[0].1["fileName"], "报告.pdf");

    let (_, b) = app
        .get(
            "/room/share/find",
            &[
                ("access_token", &other),
                ("roomId", ROOM),
                ("pageIndex", "0"),
                ("pageSize", "20"),
            ],
        )
        .await;
    assert_eq!(b["data"][0]["shareId"], share.as_str(), "{b}");
    let (_, b) = app
        .get(
            "/room/share/get",
            &[
                ("access_token", &other),
                ("roomId", ROOM),
                ("shareId", &share),
            ],
        )
        .await;
    assert_eq!(
        b["data"]["url"],
        "http://files.test/u/102/100102/202401/a.pdf"
    );
    refused(
        &app,
        "/room/share/find",
        &qz(&outsider, &[("roomId", ROOM)]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/share/delete",
        &qz(&other, &[("roomId", ROOM), ("shareId", &share)]),
        1030104,
    )
    .await;
    let (_, b) = app
        .get(
            "/room/share/delete",
            &[
                ("access_token", &uploader),
                ("roomId", ROOM),
                ("shareId", &share),
                ("userId", "100102"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(app
        .dump(&app.store().cfg.room, "shiku_room_share")
        .await
        .is_empty());
    assert!(notices(&app, 401).await.is_empty(), "its 401 notices go");
    assert_eq!(notices(&app, 402).await[0].1["content"], share.as_str());
    refused(
        &app,
        "/room/share/delete",
        &qz(&uploader, &[("roomId", ROOM), ("shareId", &share)]),
        10102,
    )
    .await;
}

/// Review #21: a member but the owner may not invite one user who is not
/// a friend (100407, nothing changes); the owner may, and a list is taken.
#[actix_web::test]
async fn a_member_invites_a_single_stranger_only_as_owner() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let member = app.token_for(100102).await;
    let owner = app.token_for(100164).await;
    // 100159 (15825511111) is no relation of 100102's.
    refused(
        &app,
        "/room/member/update",
        &qz(&member, &[("roomId", ROOM), ("phones", "[15825511111]")]),
        100407,
    )
    .await;
    let (_, b) = app
        .post_pairs(
            "/room/member/update",
            &qz(&owner, &[("roomId", ROOM), ("phones", "[15825511111]")]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(members(&app).await.contains(&(100159, 3)));
}

/// Android's secure groups: the owner reads every member's RSA key, resets
/// the group key with one sealed copy per member (806; the history goes), a
/// member stores a copy sent to it (805), another's key is read for a lost
/// key; and a friend's past DH keys.
#[actix_web::test]
async fn secure_groups_keys_and_dh_key_lists() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let oid = ObjectId::parse_str(ROOM).unwrap();
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    let outsider = app.token_for(100158).await;
    for u in [100164i64, 100102] {
        app.store()
            .set_msg_keys(
                u,
                vec![("msgRsaKeyPair", format!("rsa-pub-{u}"), "sealed".into())],
            )
            .await
            .unwrap();
    }
    let (_, b) = app
        .get(
            "/room/getAllMemberRsaPublicKey",
            &[("access_token", &owner), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(
        b["data"],
        serde_json::json!({"100102": "rsa-pub-100102", "100164": "rsa-pub-100164"}),
        "{b}"
    );
    let (_, b) = app
        .get(
            "/room/getMemberRsaPublicKey",
            &[
                ("access_token", &owner),
                ("roomId", ROOM),
                ("userId", "100102"),
            ],
        )
        .await;
    assert_eq!(b["data"]["rsaPublicKey"], "rsa-pub-100102", "{b}");
    let (_, b) = app
        .get(
            "/room/getMemberRsaPublicKey",
            &[
                ("access_token", &owner),
                ("roomId", ROOM),
                ("userId", "100174"),
            ],
        )
        .await;
    assert_eq!(
        (b["resultCode"].as_i64(), b["resultMsg"].as_str()),
        (Some(0), Some("该成员不是端对端账号"))
    );
    refused(
        &app,
        "/room/getMemberRsaPublicKey",
        &qz(&outsider, &[("roomId", ROOM), ("userId", "100102")]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/getAllMemberRsaPublicKey",
        &qz(&outsider, &[("roomId", ROOM)]),
        1030104,
    )
    .await;

    let keys = r#"{"100164":"sealed-for-164","100102":"sealed-for-102"}"#;
    refused(
        &app,
        "/room/resetGroupChatKey",
        &qz(&owner, &[("roomId", ROOM), ("keys", keys)]),
        1010101,
    )
    .await;
    app.store()
        .set_room_fields(&oid, bson::doc! {"isSecretGroup": 1, "encryptType": 3})
        .await
        .unwrap();
    refused(
        &app,
        "/room/resetGroupChatKey",
        &qz(&member, &[("roomId", ROOM), ("keys", keys)]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/resetGroupChatKey",
        &qz(&owner, &[("roomId", ROOM), ("keys", "not json")]),
        1010101,
    )
    .await;
    let (_, b) = app
        .post_pairs(
            "/room/resetGroupChatKey",
            &qz(&owner, &[("roomId", ROOM), ("keys", keys)]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let stored = app
        .dump(&app.store().cfg.room, &format!("mucmsg_{JID}"))
        .await;
    assert_eq!(stored.len(), 1, "only the 806 is left: {stored:?}");
    assert_eq!(stored[0].get_i32("contentType"), Ok(806));
    let (_, b) = app
        .get(
            "/room/getRoom",
            &[("access_token", &member), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(b["data"]["member"]["chatKeyGroup"], "sealed-for-102", "{b}");
    assert_eq!(b["data"]["isSecretGroup"], 1);
    let (_, b) = app
        .get(
            "/room/updateGroupChatKey",
            &[
                ("access_token", &member),
                ("roomId", ROOM),
                ("key", "a-new-copy"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app
        .get(
            "/room/getRoom",
            &[("access_token", &member), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(b["data"]["member"]["chatKeyGroup"], "a-new-copy");
    refused(
        &app,
        "/room/updateGroupChatKey",
        &qz(&outsider, &[("roomId", ROOM), ("key", "x")]),
        1030104,
    )
    .await;

    // DH keys: every one a user uploaded stays listed.
    for k in ["dh-1", "dh-2"] {
        app.store()
            .set_msg_keys(100102, vec![("msgDHKeyPair", k.into(), "sealed".into())])
            .await
            .unwrap();
    }
    let (_, b) = app
        .get(
            "/authkeys/getDHMsgKeyList",
            &[("access_token", &owner), ("userId", "100102")],
        )
        .await;
    let list: Vec<&str> = b["data"]["publicKeyList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(list, ["dh-1", "dh-2"], "{b}");
    assert!(b["data"]["publicKeyList"][0]["time"].is_i64());
    assert_eq!(b["data"]["userId"], 100102);
    let (_, b) = app
        .get("/authkeys/getDHMsgKeyList", &[("access_token", &owner)])
        .await;
    assert_eq!(
        b["data"],
        serde_json::json!({"userId": 0, "publicKeyList": []})
    );
    let stranger = app.token_for(100174).await;
    refused(
        &app,
        "/authkeys/getDHMsgKeyList",
        &qz(&stranger, &[("userId", "100102")]),
        1010101,
    )
    .await;
}

/// Android's group assistants: the catalogue, a helper added to the room by
/// its owner, keywords added, changed, removed, the helper removed.
#[actix_web::test]
async fn group_helpers_and_their_keywords() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let imapi = app.store().cfg.imapi.clone();
    let helper = ObjectId::new();
    app.insert(
        &imapi,
        "helper",
        vec![
            bson::doc! {"_id": helper, "name": "天气", "desc": "查天气", "type": 1,
            "iconUrl": "http://x/i.png", "createTime": 1_600_000_000i64, "other": {"title": "t"}},
        ],
    )
    .await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    let (_, b) = app
        .get(
            "/open/getHelperList",
            &[
                ("access_token", &member),
                ("pageIndex", "0"),
                ("pageSize", "100"),
            ],
        )
        .await;
    assert_eq!(b["data"][0]["id"], helper.to_hex(), "{b}");
    assert_eq!(b["data"][0]["name"], "天气");
    let add = |t: &str| {
        qz(
            t,
            &[
                ("helperId", &helper.to_hex()),
                ("roomId", ROOM),
                ("roomJid", JID),
            ],
        )
    };
    refused(&app, "/room/addGroupHelper", &add(&member), 1030104).await;
    let (_, b) = app.post_pairs("/room/addGroupHelper", &add(&owner)).await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let gh = b["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(b["data"]["helper"]["name"], "天气");
    let stored = app.dump(&imapi, "groupHelper").await;
    assert_eq!(
        stored[0].get_str("roomId"),
        Ok(ROOM),
        "the hex string, as the original"
    );
    assert_eq!(stored[0].get("userId"), Some(&Bson::Int32(100164)));
    let (_, b) = app.post_pairs("/room/addGroupHelper", &add(&owner)).await;
    assert_eq!(
        (b["resultCode"].as_i64(), b["resultMsg"].as_str()),
        (Some(0), Some("已存在"))
    );

    let kw = |k: &str, v: &str| {
        qz(
            &owner,
            &[
                ("roomId", ROOM),
                ("helperId", &helper.to_hex()),
                ("keyword", k),
                ("value", v),
            ],
        )
    };
    let (_, b) = app
        .post_pairs("/room/addAutoResponse", &kw("天气", "晴"))
        .await;
    assert_eq!(b["data"]["keyWord"], "天气", "{b}");
    let kw_id = b["data"]["id"].as_str().unwrap().to_string();
    let (_, b) = app
        .post_pairs("/room/addAutoResponse", &kw("天气", "雨"))
        .await;
    assert_eq!(b["resultMsg"], "关键字已存在");
    let (_, b) = app
        .post_pairs(
            "/room/updateAutoResponse",
            &qz(
                &owner,
                &[
                    ("groupHelperId", &gh),
                    ("keyWordId", &kw_id),
                    ("keyword", "天气"),
                    ("value", "多云"),
                ],
            ),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let (_, b) = app
        .get(
            "/room/queryGroupHelper",
            &[
                ("access_token", &member),
                ("roomId", ROOM),
                ("helperId", &helper.to_hex()),
            ],
        )
        .await;
    assert_eq!(
        b["data"][0]["keywords"],
        serde_json::json!([{"id": kw_id, "keyWord": "天气", "value": "多云"}]),
        "{b}"
    );
    refused(
        &app,
        "/room/deleteAutoResponse",
        &qz(&member, &[("groupHelperId", &gh), ("keyWordId", &kw_id)]),
        1030104,
    )
    .await;
    let (_, b) = app
        .post_pairs(
            "/room/deleteAutoResponse",
            &qz(&owner, &[("groupHelperId", &gh), ("keyWordId", &kw_id)]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    refused(
        &app,
        "/room/deleteAutoResponse",
        &qz(&owner, &[("groupHelperId", &gh), ("keyWordId", &kw_id)]),
        100419,
    )
    .await;
    let (_, b) = app
        .post_pairs(
            "/room/deleteGroupHelper",
            &qz(&owner, &[("groupHelperId", &gh)]),
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(app.dump(&imapi, "groupHelper").await.is_empty());
    refused(
        &app,
        "/room/deleteGroupHelper",
        &qz(&owner, &[("groupHelperId", &gh)]),
        100417,
    )
    .await;
}

/// Android's `RoomCopyActivity`: the owner copies a room; everyone is in the
/// new one, announced, with their copy of the key.
#[actix_web::test]
async fn the_owner_copies_a_room() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let oid = ObjectId::parse_str(ROOM).unwrap();
    app.store()
        .set_member_fields(&oid, 100102, bson::doc! {"chatKeyGroup": "k-102"})
        .await
        .unwrap();
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    refused(
        &app,
        "/room/copyRoom",
        &qz(&member, &[("roomId", ROOM)]),
        1030104,
    )
    .await;
    refused(
        &app,
        "/room/copyRoom",
        &qz(&owner, &[("roomId", "bad")]),
        1010101,
    )
    .await;
    let (_, b) = app
        .post_pairs("/room/copyRoom", &qz(&owner, &[("roomId", ROOM)]))
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let d = &b["data"];
    assert_eq!(d["name"], "006-新群");
    assert_eq!(d["nickname"], "张益达");
    assert_eq!(d["desc"], "005");
    let (new_id, new_jid) = (
        d["id"].as_str().unwrap().to_string(),
        d["jid"].as_str().unwrap().to_string(),
    );
    assert_ne!(new_id, ROOM);
    assert_eq!(new_jid.len(), 32);
    let (_, r) = app
        .get(
            "/room/get",
            &[("access_token", &member), ("roomId", &new_id)],
        )
        .await;
    let mut ids: Vec<i64> = r["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, [100102, 100164, 100174], "{r}");
    assert_eq!(r["data"]["member"]["chatKeyGroup"], "k-102");
    assert_eq!(r["data"]["member"]["role"], 3);
    let notices = app
        .dump(&app.store().cfg.room, &format!("mucmsg_{new_jid}"))
        .await;
    assert_eq!(
        notices
            .iter()
            .filter(|n| n.get_i32("contentType") == Ok(907))
            .count(),
        2
    );
    // The old room is as it was.
    assert_eq!(
        members(&app).await,
        vec![(100102, 3), (100164, 1), (100174, 3)]
    );
}

/// Android's `FaceToFaceGroup`: two people nearby type the same digits and
/// see each other; the first to join makes the room, the second joins it;
/// someone far away with the same digits gets another group.
#[actix_web::test]
async fn face_to_face_groups() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100102).await;
    let b = app.token_for(100174).await;
    let far = app.token_for(100158).await;
    let q = |t: &str, lng: &str, lat: &str, is_query: &str| {
        vec![
            ("access_token", t.to_string()),
            ("longitude", lng.to_string()),
            ("latitude", lat.to_string()),
            ("password", "4321".to_string()),
            ("isQuery", is_query.to_string()),
        ]
    };
    let (_, r) = app
        .get_pairs("/room/location/query", &q(&a, "116.400", "39.900", "0"))
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let jid = r["data"]["jid"].as_str().unwrap().to_string();
    assert_eq!(r["data"]["name"], "A9gz0");
    assert_eq!(r["data"]["localRoomKey"], "4321");
    let (_, r) = app
        .get_pairs("/room/location/query", &q(&b, "116.410", "39.905", "0"))
        .await;
    assert_eq!(
        r["data"]["jid"],
        jid.as_str(),
        "within 5 km: the same group"
    );
    let ids: Vec<i64> = r["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [100102, 100174]);
    let (_, r) = app
        .get_pairs("/room/location/query", &q(&far, "121.47", "31.23", "0"))
        .await;
    assert_ne!(r["data"]["jid"], jid.as_str(), "Shanghai is too far");
    refused(
        &app,
        "/room/location/query",
        &q(&a, "500", "39.9", "0"),
        1010101,
    )
    .await;

    let (_, r) = app
        .get(
            "/room/location/join",
            &[("access_token", &a), ("jid", &jid)],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    assert_eq!(r["data"]["userId"], 100102, "the first joiner owns it");
    assert_eq!(r["data"]["localRoomKey"], "4321");
    let room_id = r["data"]["id"].as_str().unwrap().to_string();
    let (_, r) = app
        .get(
            "/room/location/join",
            &[("access_token", &b), ("jid", &jid)],
        )
        .await;
    assert_eq!(r["resultCode"], 1, "{r}");
    let (_, r) = app
        .get("/room/get", &[("access_token", &b), ("roomId", &room_id)])
        .await;
    assert_eq!(r["data"]["userSize"], 2, "{r}");
    let (_, r) = app
        .get(
            "/room/location/exit",
            &[("access_token", &far), ("jid", &jid)],
        )
        .await;
    assert_eq!(r["resultCode"], 1);
    // Someone who is not in the waiting group cannot join the room by its
    // jid (past the digits and the place): refused, nothing written.
    let before = app.snapshot().await;
    refused(
        &app,
        "/room/location/join",
        &qz(&far, &[("jid", &jid)]),
        100415,
    )
    .await;
    assert!(app.snapshot().await == before);
    refused(
        &app,
        "/room/location/join",
        &qz(&far, &[("jid", "expiredjid0000000000000000000000")]),
        100415,
    )
    .await;
}
