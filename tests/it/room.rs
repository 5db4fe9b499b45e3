//! `/room/*` (issue 4) against the real app and test database.

use crate::common;

use bson::{doc, oid::ObjectId, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

const ROOM: &str = "60332a72d656fd634b20f20a"; // "006": owner 100164, members 100102, 100174
const ROOM_JID: &str = "f6c9eb95fc1048b7bba4b3c7e9249de1";

fn dbs(app: &TestApp) -> (String, String, String, String) {
    let c = &app.store().cfg;
    (
        c.room.clone(),
        c.room_member.clone(),
        c.room_jids.clone(),
        c.lastchat.clone(),
    )
}

fn int(d: &Document, k: &str) -> i64 {
    match d.get(k) {
        Some(Bson::Int32(i)) => *i as i64,
        Some(Bson::Int64(i)) => *i,
        other => panic!("{k} is not an integer: {other:?}"),
    }
}

async fn members(app: &TestApp, room: &str) -> Vec<Document> {
    let oid = ObjectId::parse_str(room).unwrap();
    let (_, mdb, _, _) = dbs(app);
    app.dump(&mdb, &shiku_api::store::names::member_shard(&oid))
        .await
        .into_iter()
        .filter(|d| d.get_object_id("roomId").ok() == Some(oid))
        .collect()
}

/// `$set` on a stored room, as the console or an older server left it.
async fn set_room_fields(app: &TestApp, room: &str, set: Document) {
    let (rdb, _, _, _) = dbs(app);
    app.store()
        .client
        .database(&rdb)
        .collection::<Document>("shiku_room")
        .update_one(
            doc! {"_id": ObjectId::parse_str(room).unwrap()},
            doc! {"$set": set},
        )
        .await
        .unwrap();
}

async fn room_doc(app: &TestApp, room: &str) -> Option<Document> {
    let (rdb, _, _, _) = dbs(app);
    let oid = ObjectId::parse_str(room).unwrap();
    app.dump(&rdb, "shiku_room")
        .await
        .into_iter()
        .find(|d| d.get_object_id("_id").ok() == Some(oid))
}

async fn jids_of(app: &TestApp, user: i64) -> Vec<String> {
    let (_, _, jdb, _) = dbs(app);
    let mut v: Vec<String> = app
        .dump(&jdb, &shiku_api::store::names::user_shard(user))
        .await
        .into_iter()
        .filter(|d| d.get("userId").and_then(Bson::as_i32) == Some(user as i32))
        .map(|d| d.get_str("jid").unwrap().to_string())
        .collect();
    v.sort();
    v
}

async fn muc(app: &TestApp, jid: &str) -> Vec<Document> {
    let (rdb, _, _, _) = dbs(app);
    app.dump(&rdb, &format!("mucmsg_{jid}")).await
}

/// The stored member record of `user` in `room` (panics when absent).
async fn member_of(app: &TestApp, room: &str, user: i64) -> Document {
    members(app, room)
        .await
        .into_iter()
        .find(|m| int(m, "userId") == user)
        .unwrap_or_else(|| panic!("{user} is not a member of {room}"))
}

fn role_of(ms: &[Document], user: i64) -> Option<i64> {
    ms.iter()
        .find(|m| int(m, "userId") == user)
        .map(|m| int(m, "role"))
}

#[actix_web::test]
async fn seed_room_get_notices_members_and_history() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;

    for (s, v) in [
        app.get("/room/get", &[("access_token", &t), ("roomId", ROOM)])
            .await,
        app.post_form("/room/get", &[("access_token", &t), ("roomId", ROOM)])
            .await,
    ] {
        assert_eq!(s, 200);
        assert_eq!(v["resultCode"], 1, "{v}");
        let d = &v["data"];
        assert_eq!(d["id"], ROOM);
        assert_eq!(d["jid"], ROOM_JID);
        assert_eq!(d["name"], "006");
        assert_eq!(d["userSize"], 3);
        assert_eq!(d["userId"], 100164);
        assert_eq!(d["chatRecordTimeOut"].to_string(), "-1.0");
        assert_eq!(d["notice"], json!({"modifyTime": 0, "time": 0}));
        assert_eq!(d["member"]["userId"], 100164);
        assert_eq!(d["member"]["role"], 1);
        assert_eq!(d["member"]["hiding"], -1);
        assert!(d["member"].get("roomId").is_none() && d["member"].get("id").is_none());
        let ms = d["members"].as_array().unwrap();
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[0]["userId"], 100164);
        assert_eq!(ms[0]["role"], 1);
        assert_eq!(ms[1]["role"], 3);
        let ns = d["notices"].as_array().unwrap();
        let ids: Vec<&str> = ns.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "6033539ed656fd634b20f263",
                "60335317d656fd634b20f254",
                "603352c2d656fd634b20f241"
            ]
        );
        // fastjson order: keys sorted
        let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    // noticesPage: the seed's example exactly (but currentTime).
    let (_, v) = app
        .get(
            "/room/noticesPage",
            &[
                ("access_token", &t),
                ("roomId", ROOM),
                ("pageIndex", "0"),
                ("pageSize", "500"),
            ],
        )
        .await;
    assert_eq!(
        v["data"],
        json!({"pageCount":1,"pageData":[
            {"id":"6033539ed656fd634b20f263","modifyTime":0,"nickname":"张益达","roomId":ROOM,"text":"修改公告","time":1613976478,"userId":100164},
            {"id":"60335317d656fd634b20f254","modifyTime":0,"nickname":"张益达","roomId":ROOM,"text":"测试2","time":1613976343,"userId":100164},
            {"id":"603352c2d656fd634b20f241","modifyTime":0,"nickname":"张益达","roomId":ROOM,"text":"测试","time":1613976258,"userId":100164}],
            "pageIndex":0,"pageSize":500,"start":0,"total":3})
    );
    let (_, v) = app
        .post_form(
            "/room/noticesPage",
            &[
                ("access_token", &t),
                ("roomId", ROOM),
                ("pageIndex", "1"),
                ("pageSize", "2"),
            ],
        )
        .await;
    assert_eq!(v["data"]["pageData"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"]["pageData"][0]["text"], "测试");
    assert_eq!(v["data"]["total"], 3);
    assert_eq!(v["data"]["pageCount"], 2);

    // member/list: the member list, owner first.
    let (_, v) = app
        .get(
            "/room/member/list",
            &[("access_token", &t), ("roomId", ROOM)],
        )
        .await;
    let list = v["data"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["userId"], 100164);
    let mut others: Vec<i64> = list[1..]
        .iter()
        .map(|m| m["userId"].as_i64().unwrap())
        .collect();
    others.sort();
    assert_eq!(others, [100102, 100174]);
    let (_, v) = app
        .get(
            "/room/member/list",
            &[("access_token", &t), ("roomId", ROOM), ("keyword", "a9G")],
        )
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"][0]["nickname"], "A9gz0");

    // list/his: every room of the caller with his member record.
    let (_, v) = app
        .get(
            "/room/list/his",
            &[
                ("access_token", &t),
                ("pageIndex", "0"),
                ("pageSize", "50000"),
                ("flag", "rw"),
            ],
        )
        .await;
    let rooms = v["data"].as_array().unwrap();
    let mut jids: Vec<&str> = rooms.iter().map(|r| r["jid"].as_str().unwrap()).collect();
    jids.sort();
    assert_eq!(
        jids,
        [
            "6c1536dbf97540d1b906d76f4272a90d",
            "b0b48653e4194f2f8206508187dae626",
            ROOM_JID
        ]
    );
    for r in rooms {
        assert_eq!(r["member"]["userId"], 100164);
        assert_eq!(r["member"]["role"], 1);
        assert_eq!(r["notices"], json!([]));
        assert!(r.get("members").is_none());
    }
    let seed_first = rooms
        .iter()
        .find(|r| r["id"] == "60210278cb36d459fe88c196")
        .unwrap();
    assert_eq!(seed_first["name"], "测试群");
    assert_eq!(seed_first["userSize"], 3);
    assert_eq!(seed_first["member"]["active"], 1612776056);

    let t102 = app.token_for(100102).await;
    let (_, v) = app
        .post_form("/room/list/his", &[("access_token", &t102)])
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"][0]["member"]["userId"], 100102);
    assert_eq!(v["data"][0]["member"]["role"], 3);
    // type 1 = own rooms: none for 100102; type 2 = joined
    let (_, v) = app
        .get("/room/list/his", &[("access_token", &t102), ("type", "1")])
        .await;
    assert_eq!(v["data"], json!([]));
    // A room the console locked is no longer listed (the original lists `s` 1).
    let oid = ObjectId::parse_str(ROOM).unwrap();
    app.store()
        .set_room_fields(&oid, doc! {"s": -1})
        .await
        .unwrap();
    let (_, v) = app
        .post_form("/room/list/his", &[("access_token", &t102)])
        .await;
    assert_eq!(v["data"], json!([]), "{v}");
}

#[actix_web::test]
async fn full_lifecycle() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let (rdb, _, _, ldb) = dbs(&app);
    let owner = app.token_for(100164).await;
    let jid = "0a1b2c3d4e5f40718293a4b5c6d7e8f9";

    // create with 2 phones (one with, one without a JSON string)
    let (_, v) = app
        .post_form(
            "/room/add",
            &[
                ("access_token", &owner),
                ("jid", jid),
                ("name", "新群"),
                ("desc", "说明"),
                ("phones", "[15730107952,\"13112345611\"]"),
                ("flag", "rw"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let d = &v["data"];
    let rid = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["jid"], jid);
    assert_eq!(d["name"], "新群");
    assert_eq!(d["desc"], "说明");
    assert_eq!(d["userId"], 100164);
    assert_eq!(d["nickname"], "张益达");
    assert_eq!(d["userSize"], 0);
    assert_eq!(d["members"], json!([]));
    assert_eq!(d["notices"], json!([]));
    assert_eq!(d["maxUserSize"], 1000);
    assert_eq!(d["s"], 1);
    assert_eq!(d["loc"].to_string(), r#"{"lat":0.0,"lng":0.0}"#);
    assert_eq!(d["notice"], json!({"modifyTime": 0, "time": 0}));

    let room = room_doc(&app, &rid).await.unwrap();
    assert_eq!(int(&room, "userSize"), 3);
    assert_eq!(room.get_array("notices").unwrap(), &Vec::<Bson>::new());
    // Every member's other devices are told (offlineOperation, tag room).
    let mut ops: Vec<(i32, String, String)> = app
        .dump(&app.store().cfg.imapi, "offlineOperation")
        .await
        .iter()
        .map(|d| {
            assert!(d.get_i64("operationTime").unwrap() > 1_600_000_000);
            (
                d.get_i32("userId").unwrap(),
                d.get_str("tag").unwrap().to_string(),
                d.get_str("friendId").unwrap().to_string(),
            )
        })
        .collect();
    ops.sort();
    assert_eq!(
        ops,
        [100102, 100158, 100164].map(|u| (u, "room".to_string(), rid.clone()))
    );
    assert!(matches!(room.get("createTime"), Some(Bson::Int64(_))));
    assert!(matches!(room.get("userId"), Some(Bson::Int32(100164))));
    assert_eq!(room.get_f64("chatRecordTimeOut").unwrap(), -1.0);
    let ms = members(&app, &rid).await;
    assert_eq!(ms.len(), 3);
    assert_eq!(role_of(&ms, 100164), Some(1));
    assert_eq!(role_of(&ms, 100102), Some(3));
    assert_eq!(role_of(&ms, 100158), Some(3));
    let m158 = ms.iter().find(|m| int(m, "userId") == 100158).unwrap();
    assert_eq!(m158.get_str("nickname").unwrap(), "测试001");
    assert!(matches!(m158.get("openTopChatTime"), Some(Bson::Int64(0))));
    for u in [100164, 100102, 100158] {
        assert!(jids_of(&app, u).await.contains(&jid.to_string()), "{u}");
    }
    let msgs = muc(&app, jid).await;
    assert_eq!(msgs.len(), 2);
    for m in &msgs {
        assert_eq!(int(m, "contentType"), 907);
        assert_eq!(m.get_str("sender").unwrap(), "100164");
        assert_eq!(m.get_str("sender_jid").unwrap(), "10005/Server");
        assert_eq!(m.get_str("content").unwrap(), "新群");
        let j: Value = serde_json::from_str(m.get_str("message").unwrap()).unwrap();
        assert_eq!(j["fileName"], rid);
        assert_eq!(j["objectId"], jid);
        assert_eq!(j["type"], 907);
        assert_eq!(j["messageHead"]["from"], "10005/Server");
        assert!(m.get_str("message").unwrap().contains(
            r#""other":"{\"lsLook\":1,\"allowSendCard\":1,\"isSecretGroup\":0,\"joinSeqNo\":0,\"isNeedVerify\":0,\"showMember\":1,\"showRead\":0,\"maxUserSize\":1000}""#
        ));
    }
    let last: Vec<Document> = app
        .dump(&ldb, "lastChats_muc")
        .await
        .into_iter()
        .filter(|d| d.get_str("jid") == Ok(jid))
        .collect();
    assert_eq!(last.len(), 1);
    assert_eq!(int(&last[0], "type"), 907);
    assert_eq!(int(&last[0], "isRoom"), 1);
    // As the IM server archives them: the room's history only, no member's
    // single-chat copy or private conversation (the clients would list one
    // per invited member).
    let cfg = &app.store().cfg;
    let copies = app.dump(&cfg.msgs, "10").await;
    assert!(
        copies.iter().all(|d| int(d, "contentType") / 100 != 9),
        "{copies:?}"
    );
    let privates = app.dump(&ldb, "10").await;
    assert!(
        privates.iter().all(|d| int(d, "type") / 100 != 9),
        "{privates:?}"
    );

    // the same jid again: refused, nothing written
    let before = app.snapshot().await;
    let (_, v) = app
        .get(
            "/room/add",
            &[("access_token", &owner), ("jid", jid), ("name", "x")],
        )
        .await;
    assert_eq!(v["resultCode"], 0, "{v}");
    assert_eq!(v["resultMsg"], "房间已经存在");
    assert!(app.snapshot().await == before);

    // get
    let (_, v) = app
        .get("/room/get", &[("access_token", &owner), ("roomId", &rid)])
        .await;
    assert_eq!(v["data"]["userSize"], 3);
    assert_eq!(v["data"]["members"][0]["userId"], 100164);
    assert_eq!(v["data"]["members"].as_array().unwrap().len(), 3);

    // update name, then notice
    let (_, v) = app
        .post_form(
            "/room/update",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("roomName", "改名"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert!(v.get("data").is_none());
    assert_eq!(
        room_doc(&app, &rid).await.unwrap().get_str("name").unwrap(),
        "改名"
    );
    let (_, v) = app
        .get(
            "/room/update",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("notice", "公告一"),
            ],
        )
        .await;
    let nid = v["data"]["noticeId"].as_str().unwrap().to_string();
    let room = room_doc(&app, &rid).await.unwrap();
    let n = room.get_document("notice").unwrap();
    assert_eq!(n.get_object_id("_id").unwrap().to_hex(), nid);
    assert_eq!(n.get_str("text").unwrap(), "公告一");
    let notices: Vec<Document> = app.dump(&rdb, "shiku_room_notice").await;
    let stored = notices
        .iter()
        .find(|d| d.get_object_id("_id").unwrap().to_hex() == nid)
        .unwrap();
    assert_eq!(stored.get_object_id("roomId").unwrap().to_hex(), rid);
    assert!(matches!(stored.get("time"), Some(Bson::Int64(_))));
    assert!(matches!(stored.get("userId"), Some(Bson::Int32(100164))));
    let types: Vec<i64> = muc(&app, jid)
        .await
        .iter()
        .map(|m| int(m, "contentType"))
        .collect();
    assert_eq!(types, [907, 907, 902, 905]);
    let m902 = &muc(&app, jid).await[2];
    let j: Value = serde_json::from_str(m902.get_str("message").unwrap()).unwrap();
    assert_eq!(j["content"], "改名");
    assert!(j.get("toUserId").is_none());

    let (_, v) = app
        .get(
            "/room/noticesPage",
            &[("access_token", &owner), ("roomId", &rid)],
        )
        .await;
    assert_eq!(v["data"]["total"], 1);
    assert_eq!(v["data"]["pageData"][0]["id"], nid);
    assert_eq!(v["data"]["pageData"][0]["text"], "公告一");
    let (_, v) = app
        .get("/room/get", &[("access_token", &owner), ("roomId", &rid)])
        .await;
    assert_eq!(v["data"]["notice"]["id"], nid);
    assert_eq!(v["data"]["notices"][0]["id"], nid);

    // add members: one new (13983001174 → 100174), one already in
    let (_, v) = app
        .post_form(
            "/room/member/update",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("phones", "[13983001174,15730107952]"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let ms = members(&app, &rid).await;
    assert_eq!(ms.len(), 4);
    assert_eq!(role_of(&ms, 100174), Some(3));
    assert_eq!(int(&room_doc(&app, &rid).await.unwrap(), "userSize"), 4);
    assert!(jids_of(&app, 100174).await.contains(&jid.to_string()));
    assert_eq!(muc(&app, jid).await.len(), 5);
    // unknown phone: refused with the phone listed, nothing written
    let before = app.snapshot().await;
    let (_, v) = app
        .post_form(
            "/room/member/update",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("phones", "[13800000000,15825511111]"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 100211, "{v}");
    assert!(v["resultMsg"].as_str().unwrap().contains("13800000000"));
    assert!(app.snapshot().await == before);

    // pin and do-not-disturb (own member record)
    let (_, v) = app
        .get(
            "/room/member/setOfflineNoPushMsg",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("userId", "0"),
                ("type", "1"),
                ("offlineNoPushMsg", "1"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let ms = members(&app, &rid).await;
    let me = ms.iter().find(|m| int(m, "userId") == 100164).unwrap();
    assert!(int(me, "openTopChatTime") > 1_600_000_000);
    let (_, v) = app
        .post_form(
            "/room/member/setOfflineNoPushMsg",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("userId", "100164"),
                ("type", "0"),
                ("offlineNoPushMsg", "1"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let ms = members(&app, &rid).await;
    assert_eq!(
        int(
            ms.iter().find(|m| int(m, "userId") == 100164).unwrap(),
            "offlineNoPushMsg"
        ),
        1
    );

    // transfer to 100102
    let (_, v) = app
        .get(
            "/room/transfer",
            &[
                ("access_token", &owner),
                ("roomId", &rid),
                ("toUserId", "100102"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let room = room_doc(&app, &rid).await.unwrap();
    assert_eq!(int(&room, "userId"), 100102);
    assert_eq!(room.get_str("nickname").unwrap(), "A9gz0");
    let ms = members(&app, &rid).await;
    assert_eq!(role_of(&ms, 100102), Some(1));
    assert_eq!(role_of(&ms, 100164), Some(3));
    let last = muc(&app, jid).await.pop().unwrap();
    assert_eq!(int(&last, "contentType"), 925);
    let new_owner = app.token_for(100102).await;

    // a member leaves
    let t158 = app.token_for(100158).await;
    let (_, v) = app
        .post_form(
            "/room/member/delete",
            &[
                ("access_token", &t158),
                ("roomId", &rid),
                ("userId", "100158"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(role_of(&members(&app, &rid).await, 100158), None);
    assert_eq!(int(&room_doc(&app, &rid).await.unwrap(), "userSize"), 3);
    assert!(!jids_of(&app, 100158).await.contains(&jid.to_string()));
    let last = muc(&app, jid).await.pop().unwrap();
    assert_eq!(int(&last, "contentType"), 904);
    let j: Value = serde_json::from_str(last.get_str("message").unwrap()).unwrap();
    assert_eq!(j["toUserId"], "100158");

    // the new owner removes another member
    let (_, v) = app
        .get(
            "/room/member/delete",
            &[
                ("access_token", &new_owner),
                ("roomId", &rid),
                ("userId", "100174"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(int(&room_doc(&app, &rid).await.unwrap(), "userSize"), 2);

    // the owner dissolves
    let (_, v) = app
        .get(
            "/room/member/delete",
            &[
                ("access_token", &new_owner),
                ("roomId", &rid),
                ("userId", "100102"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert!(room_doc(&app, &rid).await.is_none());
    assert!(members(&app, &rid).await.is_empty());
    assert!(muc(&app, jid).await.is_empty());
    for u in [100164, 100102, 100158, 100174] {
        assert!(!jids_of(&app, u).await.contains(&jid.to_string()), "{u}");
    }
    assert!(!app
        .dump(&ldb, "lastChats_muc")
        .await
        .iter()
        .any(|d| d.get_str("jid") == Ok(jid)));
    let notices: Vec<Document> = app.dump(&rdb, "shiku_room_notice").await;
    assert!(!notices
        .iter()
        .any(|d| d.get_object_id("roomId").unwrap().to_hex() == rid));
    assert_eq!(notices.len(), 3, "other rooms' notices stay");
    // the seed rooms are untouched
    assert_eq!(members(&app, ROOM).await.len(), 3);
}

#[actix_web::test]
async fn refused_requests_write_nothing() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let outsider = app.token_for(100159).await; // not in ROOM
    let member = app.token_for(100102).await; // plain member of ROOM
    let owner = app.token_for(100164).await;
    let before = app.snapshot().await;

    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, i64, &'a str);
    let cases: Vec<Case> = vec![
        (
            "/room/update",
            vec![
                ("access_token", &outsider),
                ("roomId", ROOM),
                ("roomName", "x"),
            ],
            1030104,
            "outsider update",
        ),
        (
            "/room/update",
            vec![("access_token", &member), ("roomId", ROOM), ("notice", "x")],
            1030104,
            "member notice",
        ),
        (
            "/room/noticesPage",
            vec![("access_token", &outsider), ("roomId", ROOM)],
            1030104,
            "outsider notices",
        ),
        (
            "/room/member/list",
            vec![("access_token", &outsider), ("roomId", ROOM)],
            1030104,
            "outsider members",
        ),
        (
            "/room/member/delete",
            vec![
                ("access_token", &outsider),
                ("roomId", ROOM),
                ("userId", "100102"),
            ],
            1030104,
            "outsider kick",
        ),
        (
            "/room/member/delete",
            vec![
                ("access_token", &member),
                ("roomId", ROOM),
                ("userId", "100174"),
            ],
            1030104,
            "member kick",
        ),
        (
            "/room/member/delete",
            vec![
                ("access_token", &member),
                ("roomId", ROOM),
                ("userId", "100164"),
            ],
            1030104,
            "member kicks owner",
        ),
        (
            "/room/member/delete",
            vec![
                ("access_token", &owner),
                ("roomId", ROOM),
                ("userId", "100159"),
            ],
            100409,
            "kick non-member",
        ),
        (
            "/room/member/update",
            vec![
                ("access_token", &outsider),
                ("roomId", ROOM),
                ("phones", "[15825511111]"),
            ],
            1030104,
            "outsider invite",
        ),
        (
            "/room/transfer",
            vec![
                ("access_token", &member),
                ("roomId", ROOM),
                ("toUserId", "100174"),
            ],
            1030104,
            "member transfer",
        ),
        (
            "/room/transfer",
            vec![
                ("access_token", &owner),
                ("roomId", ROOM),
                ("toUserId", "100159"),
            ],
            100405,
            "transfer to outsider",
        ),
        (
            "/room/transfer",
            vec![
                ("access_token", &owner),
                ("roomId", ROOM),
                ("toUserId", "100164"),
            ],
            100404,
            "transfer to self",
        ),
        (
            "/room/member/setOfflineNoPushMsg",
            vec![
                ("access_token", &outsider),
                ("roomId", ROOM),
                ("userId", "0"),
                ("type", "1"),
                ("offlineNoPushMsg", "1"),
            ],
            1030104,
            "outsider pin",
        ),
        (
            "/room/member/setOfflineNoPushMsg",
            vec![
                ("access_token", &member),
                ("roomId", ROOM),
                ("userId", "100174"),
                ("offlineNoPushMsg", "1"),
            ],
            1030104,
            "pin for another",
        ),
        (
            "/room/get",
            vec![
                ("access_token", &owner),
                ("roomId", "6033000000000000000000aa"),
            ],
            100411,
            "unknown room",
        ),
        (
            "/room/update",
            vec![
                ("access_token", &owner),
                ("roomId", "6033000000000000000000aa"),
                ("roomName", "x"),
            ],
            100411,
            "unknown room update",
        ),
        (
            "/room/get",
            vec![("access_token", &owner), ("roomId", "zz")],
            1010101,
            "bad roomId",
        ),
        (
            "/room/add",
            vec![("access_token", &owner), ("jid", "a.b$c"), ("name", "x")],
            1010101,
            "bad jid",
        ),
        (
            "/room/add",
            vec![
                ("access_token", &owner),
                ("jid", "okjid1"),
                ("phones", "15730107952"),
            ],
            1010101,
            "phones not an array",
        ),
        (
            "/room/add",
            vec![
                ("access_token", &owner),
                ("jid", "okjid1"),
                ("phones", "{\"a\":1}"),
            ],
            1010101,
            "phones an object",
        ),
        (
            "/room/add",
            vec![
                ("access_token", &owner),
                ("jid", "okjid1"),
                ("phones", "[13800000000]"),
            ],
            100211,
            "unknown phone",
        ),
        (
            "/room/member/update",
            vec![
                ("access_token", &owner),
                ("roomId", ROOM),
                ("phones", "nope"),
            ],
            1010101,
            "bad phones",
        ),
        ("/room/add", vec![("jid", "okjid2")], 1030101, "no token"),
    ];
    for (path, params, code, what) in cases {
        let (s, v) = app.get(path, &params).await;
        assert_eq!(s, 200, "{what}");
        assert_eq!(v["resultCode"].as_i64(), Some(code), "{what}: {v}");
        let (_, v) = app.post_form(path, &params).await;
        assert_eq!(v["resultCode"].as_i64(), Some(code), "{what} (POST): {v}");
    }
    assert!(
        app.snapshot().await == before,
        "a refused request changed the database"
    );
}

#[actix_web::test]
async fn membership_lookups_use_indexes() {
    let app = TestApp::start().await;
    app.load_seed().await;
    // Creating a room makes sure the shards carry their indexes.
    let owner = app.token_for(100164).await;
    let (_, v) = app
        .get(
            "/room/add",
            &[
                ("access_token", &owner),
                ("jid", "ixjid"),
                ("phones", "[15730107952]"),
            ],
        )
        .await;
    let rid = ObjectId::parse_str(v["data"]["id"].as_str().unwrap()).unwrap();
    let (_, mdb, jdb, _) = dbs(&app);
    let client = &app.store().client;
    for (db, coll, filter) in [
        (
            &mdb,
            shiku_api::store::names::member_shard(&rid),
            doc! {"roomId": rid, "userId": 100102},
        ),
        (
            &jdb,
            shiku_api::store::names::user_shard(100164),
            doc! {"userId": 100164},
        ),
    ] {
        let r = client
            .database(db)
            .run_command(
                doc! {"explain": {"find": &coll, "filter": filter}, "verbosity": "queryPlanner"},
            )
            .await;
        let r = r.expect("explain");
        let text = format!("{r:?}");
        assert!(text.contains("IXSCAN"), "{coll}: {text}");
        assert!(!text.contains("COLLSCAN"), "{coll}: {text}");
    }
}

async fn room_update(app: &TestApp, tok: &str, extra: &[(&str, &str)]) -> Value {
    let mut q = vec![("access_token", tok), ("roomId", ROOM)];
    q.extend_from_slice(extra);
    app.get("/room/update", &q).await.1
}

/// `/room/update` with `talkTime` (920): the room and every member record get the
/// time (Int64, as the original), one 920 notice; a member may not do it and a bad
/// value is refused, both without writing. An OpenIM group send from a member is
/// then refused with 1403 while the owner still speaks.
#[actix_web::test]
async fn mute_all_until() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    let until = chrono::Utc::now().timestamp() + 600;
    let notices_before = muc(&app, ROOM_JID).await.len();
    let until_s = until.to_string();

    for (tok, value, code) in [
        (&member, until.to_string(), 1030104),
        (&owner, "-3".to_string(), 1010101),
        (&owner, "abc".to_string(), 1010101),
    ] {
        let before = app.snapshot().await;
        let v = room_update(&app, tok, &[("talkTime", &value)]).await;
        assert_eq!(v["resultCode"], code, "{value}: {v}");
        assert!(app.snapshot().await == before, "{value}: nothing written");
    }

    // With a new name in the same request the name wins, as in the original.
    let v = room_update(
        &app,
        &owner,
        &[("talkTime", &until_s), ("roomName", "改名")],
    )
    .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let room = room_doc(&app, ROOM).await.unwrap();
    assert_eq!(room.get_str("name").unwrap(), "改名");
    assert_eq!(room.get("talkTime"), Some(&Bson::Int64(0)));

    let v = room_update(&app, &owner, &[("talkTime", &until_s)]).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let room = room_doc(&app, ROOM).await.unwrap();
    assert_eq!(room.get("talkTime"), Some(&Bson::Int64(until)));
    let ms = members(&app, ROOM).await;
    assert_eq!(ms.len(), 3);
    for m in &ms {
        assert_eq!(m.get("talkTime"), Some(&Bson::Int64(until)), "{m}");
    }
    let msgs = muc(&app, ROOM_JID).await;
    assert_eq!(msgs.len(), notices_before + 2, "902, then 920");
    let last = msgs
        .iter()
        .max_by_key(|d| d.get_i64("timeSend").unwrap_or(0))
        .unwrap();
    assert_eq!(last.get("contentType"), Some(&Bson::Int32(920)));
    let body: Value = serde_json::from_str(last.get_str("message").unwrap()).unwrap();
    assert_eq!(body["type"], 920);
    assert_eq!(body["content"], until.to_string());
    assert_eq!(body["objectId"], ROOM_JID);

    // The OpenIM dialect honours it.
    let (_, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[("operationID", "op")],
            &json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
        )
        .await;
    let tok = b["data"]["token"].as_str().unwrap().to_string();
    let h = [("operationID", "op"), ("token", tok.as_str())];
    let send = |from: &str| json!({"sendID": from, "groupID": ROOM_JID, "content": {"content": "hi"}, "contentType": 101, "sessionType": 3});
    let (_, b) = app.post_json("/msg/send_msg", &h, &send("100102")).await;
    assert_eq!(b["errCode"], 1403, "{b}");
    let (_, b) = app.post_json("/msg/send_msg", &h, &send("100164")).await;
    assert_eq!(b["errCode"], 0, "{b}");

    // 0 ends it for everyone.
    let (_, v) = app
        .get(
            "/room/update",
            &[
                ("access_token", &owner),
                ("roomId", ROOM),
                ("talkTime", "0"),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(
        room_doc(&app, ROOM).await.unwrap().get("talkTime"),
        Some(&Bson::Int64(0))
    );
    let (_, b) = app.post_json("/msg/send_msg", &h, &send("100102")).await;
    assert_eq!(b["errCode"], 0, "{b}");
}

/// A userId beyond Java's `int` is nobody: it must not be truncated into the id
/// of someone in the room (2^32 + 100164 would otherwise be the owner).
#[actix_web::test]
async fn ids_beyond_int_are_nobody() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner_alias = (1i64 << 32) + 100164;
    let member_alias = (1i64 << 32) + 100174;
    // 100102 is made an admin of ROOM, so only the id stands between it and the owner.
    let oid = ObjectId::parse_str(ROOM).unwrap();
    app.store()
        .room_members(&oid)
        .update_one(
            doc! {"roomId": oid, "userId": 100102},
            doc! {"$set": {"role": 2}},
        )
        .await
        .unwrap();
    let admin = app.token_for(100102).await;
    let owner = app.token_for(100164).await;
    let before = app.snapshot().await;
    for (path, tok, params, code) in [
        (
            "/room/member/delete",
            &admin,
            vec![("userId", owner_alias.to_string())],
            100409,
        ),
        (
            "/room/transfer",
            &owner,
            vec![("toUserId", member_alias.to_string())],
            100405,
        ),
    ] {
        let mut q = vec![("access_token", tok.as_str()), ("roomId", ROOM)];
        q.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
        let (_, v) = app.get(path, &q).await;
        assert_eq!(v["resultCode"], code, "{path}: {v}");
    }
    let (_, v) = app
        .get(
            "/friends/add",
            &[
                ("access_token", owner.as_str()),
                ("toUserId", &((1i64 << 32) + 100102).to_string()),
            ],
        )
        .await;
    assert_eq!(v["resultCode"], 1010101, "{v}");
    assert!(app.snapshot().await == before, "nothing written");
    let ms = members(&app, ROOM).await;
    assert_eq!(role_of(&ms, 100164), Some(1));
    assert_eq!(role_of(&ms, 100174), Some(3));
}

/// Android and the web client open a group with `GET room/getRoom {roomId}`:
/// the room, `s`, and the caller's `member` (`null` once kicked).
#[actix_web::test]
async fn get_room_answers_the_callers_member_or_null() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let outsider = app.token_for(100158).await;
    let (s, b) = app
        .get(
            "/room/getRoom",
            &[
                ("access_token", owner.as_str()),
                ("roomId", ROOM),
                ("language", "zh"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let d = &b["data"];
    assert_eq!(d["id"], ROOM);
    assert_eq!(d["jid"], ROOM_JID);
    assert!(d["s"].is_i64(), "{d}");
    assert!(d["userSize"].is_i64());
    assert_eq!(d["member"]["userId"], 100164);
    assert_eq!(d["member"]["role"], 1);
    // The owner and admins only (Android walks this list on opening the chat).
    let managers: Vec<(i64, i64)> = d["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["userId"].as_i64().unwrap(), m["role"].as_i64().unwrap()))
        .collect();
    assert_eq!(managers, [(100164, 1)], "{d}");
    let (_, b) = app
        .post_form(
            "/room/getRoom",
            &[("access_token", outsider.as_str()), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(
        b["data"].get("member").is_none(),
        "not (or no longer) a member: absent, not null (iOS ends on a null): {b}"
    );
    let (_, b) = app
        .get(
            "/room/getRoom",
            &[("access_token", owner.as_str()), ("roomId", "zz")],
        )
        .await;
    assert_eq!(b["resultCode"], 1010101);
    let (_, b) = app
        .get(
            "/room/getRoom",
            &[
                ("access_token", owner.as_str()),
                ("roomId", "000000000000000000000000"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 100411);
}

/// Adds members to the seed room "006" (copies of a seed member record with
/// another user, role and join time) and makes 100102 an admin: owner 100164,
/// admin 100102, members 100174 (seed join time) and `extra`.
async fn crowded_room(app: &TestApp, extra: &[(i64, i32, i64)]) -> Vec<Document> {
    let oid = ObjectId::parse_str(ROOM).unwrap();
    let ms = members(app, ROOM).await;
    let template = ms.iter().find(|m| int(m, "userId") == 100174).unwrap();
    let coll = app.store().room_members(&oid);
    coll.update_one(
        doc! {"roomId": oid, "userId": 100102},
        doc! {"$set": {"role": 2}},
    )
    .await
    .unwrap();
    for (user, role, joined) in extra {
        let mut m = template.clone();
        m.insert("_id", ObjectId::new());
        m.insert("userId", *user as i32);
        m.insert("role", *role);
        m.insert("createTime", *joined);
        m.insert("nickname", format!("m{user}"));
        coll.insert_one(m).await.unwrap();
    }
    members(app, ROOM).await
}

fn user_ids(b: &Value) -> Vec<i64> {
    b["data"]
        .as_array()
        .unwrap_or_else(|| panic!("data is not an array: {b}"))
        .iter()
        .map(|m| m["userId"].as_i64().unwrap())
        .collect()
}

/// Android's group member screen (GET `joinTime`/`pageSize` 50, then the next
/// page from the last member's `createTime`) and QZ's member picker (POST form
/// `pageIndex 0, pageSize 999` with its signing parameters, no `joinTime`).
#[actix_web::test]
async fn member_list_by_page_pages_by_join_time() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let seed_joined = int(
        members(&app, ROOM)
            .await
            .iter()
            .find(|m| int(m, "userId") == 100174)
            .unwrap(),
        "createTime",
    );
    let t = seed_joined;
    let before = crowded_room(
        &app,
        &[
            (200001, 3, t + 10),
            (200002, 4, t + 20),
            (200003, 3, t + 30),
        ],
    )
    .await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100174).await;
    let outsider = app.token_for(100158).await;

    // Android, the owner: admins first, then everyone by join time (role 4 too).
    let (s, b) = app
        .get(
            "/room/member/getMemberListByPage",
            &[
                ("access_token", owner.as_str()),
                ("roomId", ROOM),
                ("joinTime", "0"),
                ("pageSize", "50"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert_eq!(
        user_ids(&b),
        vec![100164, 100102, 100174, 200001, 200002, 200003]
    );
    let first = &b["data"][0];
    assert_eq!(first["role"], 1);
    assert!(first["createTime"].is_i64(), "{first}");
    assert!(first["nickname"].is_string(), "{first}");
    assert!(first.get("roomId").is_none() && first.get("_id").is_none());

    // A member: the invisible one is hidden; pages of 3 from join time.
    let page = |join: String| {
        let member = member.clone();
        let app = &app;
        async move {
            app.get(
                "/room/member/getMemberListByPage",
                &[
                    ("access_token", member.as_str()),
                    ("roomId", ROOM),
                    ("joinTime", join.as_str()),
                    ("pageSize", "3"),
                ],
            )
            .await
        }
    };
    let (_, b) = page("0".into()).await;
    assert_eq!(user_ids(&b), vec![100164, 100102, 100174]);
    let last = b["data"][2]["createTime"].as_i64().unwrap();
    let (_, b) = page(last.to_string()).await;
    // Inclusive, as the original: the boundary member comes again.
    assert_eq!(user_ids(&b), vec![100174, 200001, 200003]);
    let (_, b) = page((t + 31).to_string()).await;
    assert_eq!(b["data"], json!([]));

    // QZ: POST form, pageIndex 0, pageSize 999, its signing parameters.
    let (s, b) = app
        .post_form(
            "/room/member/getMemberListByPage",
            &[
                ("access_token", owner.as_str()),
                ("pageIndex", "0"),
                ("pageSize", "999"),
                ("roomId", ROOM),
                ("token", "task-system-token"),
                ("salt", "1700000000000"),
                ("secret", "c2lnbmVkLWJ5LXF6"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    assert_eq!(user_ids(&b).len(), 6);

    // Refusals: not a member, no room, bad ids; nothing changes.
    for (tok, room, join, code) in [
        (&outsider, ROOM, "0", 1030104),
        (&owner, "60332a72d656fd634b20f2ff", "0", 100411),
        (&owner, "zz", "0", 1010101),
        (&owner, ROOM, "x", 1010101),
        (&owner, ROOM, "-5", 1010101),
    ] {
        let (s, b) = app
            .get(
                "/room/member/getMemberListByPage",
                &[
                    ("access_token", tok.as_str()),
                    ("roomId", room),
                    ("joinTime", join),
                ],
            )
            .await;
        assert_eq!(
            (s, b["resultCode"].as_i64()),
            (200, Some(code)),
            "{room} {join}: {b}"
        );
    }
    assert_eq!(members(&app, ROOM).await, before);
}

/// WX's `getMember(roomId, userId)` after a "member joined" message: one
/// member object; any logged-in user may read it, as in the original.
#[actix_web::test]
async fn member_get_answers_one_member() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let outsider = app.token_for(100158).await;
    let (s, b) = app
        .post_form(
            "/room/member/get",
            &[
                ("access_token", outsider.as_str()),
                ("roomId", ROOM),
                ("userId", "100174"),
            ],
        )
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let m = &b["data"];
    assert_eq!(m["userId"], 100174);
    assert_eq!(m["role"], 3);
    assert!(m["nickname"].is_string() && m["createTime"].is_i64(), "{m}");
    assert!(m.get("roomId").is_none() && m.get("_id").is_none());
    // Default: the caller.
    let (_, b) = app
        .get(
            "/room/member/get",
            &[("access_token", owner.as_str()), ("roomId", ROOM)],
        )
        .await;
    assert_eq!(b["data"]["userId"], 100164);
    assert_eq!(b["data"]["role"], 1);
    for (room, user, code) in [
        (ROOM, "100158", 100409),
        ("60332a72d656fd634b20f2ff", "100174", 100411),
        ("zz", "100174", 1010101),
        (ROOM, "abc", 1010101),
    ] {
        let (s, b) = app
            .get(
                "/room/member/get",
                &[
                    ("access_token", owner.as_str()),
                    ("roomId", room),
                    ("userId", user),
                ],
            )
            .await;
        assert_eq!(
            (s, b["resultCode"].as_i64()),
            (200, Some(code)),
            "{room} {user}: {b}"
        );
    }
}

/// Review #5: a double-submitted `/room/add` makes one room; a claim left by
/// a creation that failed long ago does not block the jid for ever.
#[actix_web::test]
async fn concurrent_room_adds_with_one_jid_make_one_room() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let calls = (0..8).map(|i| {
        let (app, owner) = (&app, owner.clone());
        async move {
            app.get(
                "/room/add",
                &[
                    ("access_token", owner.as_str()),
                    ("jid", "racejid0001"),
                    ("name", &format!("race{i}")),
                    ("phones", "[15730107952]"),
                ],
            )
            .await
            .1["resultCode"]
                .as_i64()
        }
    });
    let codes = futures::future::join_all(calls).await;
    assert_eq!(
        codes.iter().filter(|c| **c == Some(1)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        7,
        "{codes:?}"
    );
    let (rdb, _, _, _) = dbs(&app);
    let rooms = app
        .dump(&rdb, "shiku_room")
        .await
        .into_iter()
        .filter(|r| r.get_str("jid") == Ok("racejid0001"))
        .count();
    assert_eq!(rooms, 1);
    assert_eq!(
        muc(&app, "racejid0001").await.len(),
        1,
        "one 907 for the one invited member"
    );

    app.insert(
        &app.store().cfg.imapi,
        "shiku_api_claims",
        vec![doc! {"_id": "roomJid:stalejid0001", "createTime": 1_600_000_000i64}],
    )
    .await;
    let (_, b) = app
        .get(
            "/room/add",
            &[("access_token", owner.as_str()), ("jid", "stalejid0001")],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
}

/// Review #17 and #18: a page or a time at the edge of i64 is a parameter
/// error or an unbounded window, never a 500 (or a panic in a debug build).
#[actix_web::test]
async fn huge_pages_and_times_are_not_errors_of_the_service() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let t = app.token_for(100164).await;
    for (path, extra) in [
        (
            "/room/noticesPage",
            vec![
                ("roomId", ROOM),
                ("pageIndex", "9223372036854775807"),
                ("pageSize", "2"),
            ],
        ),
        (
            "/room/list/his",
            vec![("pageIndex", "4611686018427387904"), ("pageSize", "2")],
        ),
        (
            "/friends/page",
            vec![
                ("userId", "100164"),
                ("pageIndex", "9223372036854775807"),
                ("pageSize", "50"),
            ],
        ),
        (
            "/tigase/shiku_msgs",
            vec![
                ("receiver", "100102"),
                ("pageIndex", "9223372036854775807"),
                ("pageSize", "20"),
            ],
        ),
    ] {
        let mut params = vec![("access_token", t.as_str())];
        params.extend(extra);
        let (s, b) = app.get(path, &params).await;
        assert_eq!(
            (s, b["resultCode"].as_i64()),
            (200, Some(1010101)),
            "{path}: {b}"
        );
    }
    let all = |end: &'static str| {
        let t = t.clone();
        let app = &app;
        async move {
            let (s, b) = app
                .get(
                    "/tigase/shiku_msgs",
                    &[
                        ("access_token", t.as_str()),
                        ("receiver", "100102"),
                        ("endTime", end),
                    ],
                )
                .await;
            assert_eq!(s, 200, "{b}");
            b["data"].as_array().map(Vec::len).unwrap_or(0)
        }
    };
    let n = all("9223372036854770000").await;
    assert!(n > 0);
    assert_eq!(
        all("9223372036854775807").await,
        n,
        "the widest window holds them all"
    );
}

/// Review #11: a creation that failed half-way (its claim stale, some of its
/// 907 notices written) is retried without announcing anyone twice.
#[actix_web::test]
async fn a_retried_creation_announces_nobody_twice() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let jid = "partial02";
    let (rdb, _, _, _) = dbs(&app);
    // What the failed attempt left: its claim and the 907 for 100102.
    app.insert(
        &app.store().cfg.imapi,
        "shiku_api_claims",
        vec![doc! {"_id": "roomJid:partial02", "createTime": 1_600_000_000i64}],
    )
    .await;
    let earlier = shiku_api::secure::md5_hex(format!("907:{jid}:100102").as_bytes());
    app.insert(&rdb, "mucmsg_partial02", vec![doc! {"messageId": &earlier, "sender": "100164", "contentType": 907,
        "content": "partial", "room_jid": jid, "timeSend": 1_600_000_000_000i64, "message": "{}"}]).await;
    let (_, b) = app
        .get(
            "/room/add",
            &[
                ("access_token", owner.as_str()),
                ("jid", jid),
                ("name", "partial"),
                ("phones", "[15730107952,13112345611]"),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let notices: Vec<String> = muc(&app, jid)
        .await
        .iter()
        .filter(|m| int(m, "contentType") == 907)
        .map(|m| m.get_str("messageId").unwrap().to_string())
        .collect();
    assert_eq!(notices.len(), 2, "one per invited member: {notices:?}");
    assert!(notices.contains(&earlier));
}

/// Review defect 12: roles 4 (invisible) and 5 (guardian) kick nobody, and an
/// admin removes plain members only (V4/V5 `deleteMember`). A refusal writes
/// nothing; the allowed removal takes the member out.
#[actix_web::test]
async fn only_the_owner_and_admins_remove_and_admins_only_plain_members() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let oid = ObjectId::parse_str(ROOM).unwrap();
    let (_, mdb, _, _) = dbs(&app);
    let coll = app
        .store()
        .client
        .database(&mdb)
        .collection::<Document>(&shiku_api::store::names::member_shard(&oid));
    let set_role = |user: i32, role: i32| {
        let coll = coll.clone();
        async move {
            let r = coll
                .update_one(
                    doc! {"roomId": oid, "userId": user},
                    doc! {"$set": {"role": role}},
                )
                .await
                .unwrap();
            assert_eq!(r.matched_count, 1, "member {user}");
        }
    };
    let t102 = app.token_for(100102).await;
    let t174 = app.token_for(100174).await;
    let kick = |tok: String, user: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .get(
                    "/room/member/delete",
                    &[("access_token", &tok), ("roomId", ROOM), ("userId", user)],
                )
                .await;
            assert_eq!(s, 200);
            v
        }
    };
    set_role(100174, 2).await;
    for role in [4, 5] {
        set_role(100102, role).await;
        let before = app.snapshot().await;
        // role 4/5 kicks the admin: refused
        let v = kick(t102.clone(), "100174").await;
        assert_eq!(v["resultCode"], 1030104, "role {role} kicks: {v}");
        // the admin kicks the role 4/5 member: refused
        let v = kick(t174.clone(), "100102").await;
        assert_eq!(v["resultCode"], 1030104, "admin kicks role {role}: {v}");
        assert!(
            app.snapshot().await == before,
            "a refusal changed the database"
        );
    }
    assert_eq!(members(&app, ROOM).await.len(), 3);
    // a plain member is within the admin's reach
    set_role(100102, 3).await;
    let v = kick(t174.clone(), "100102").await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let left = members(&app, ROOM).await;
    assert_eq!(left.len(), 2);
    assert_eq!(role_of(&left, 100102), None);
    assert_eq!(role_of(&left, 100174), Some(2));
    assert_eq!(int(&room_doc(&app, ROOM).await.unwrap(), "userSize"), 2);
}

/// The Android app's `/room/member/update` calls, as it sends them (GET,
/// query): invite by `text` (a JSON array of user ids as strings, with its
/// `isSecretGroup`), mute one member (`userId` + `talkTime`, seconds), rename
/// oneself (`nickname`) and remark a member (`remarkName`); and the refusals,
/// which write nothing.
#[actix_web::test]
async fn android_member_update_invites_by_id_mutes_renames_and_remarks() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let member = app.token_for(100102).await;
    // Signed as the app signs, with its `language`.
    let call = |tok: &str, extra: &[(&'static str, &str)]| {
        let uid = if tok == owner { 100164 } else { 100102 };
        let mut q: Vec<(&'static str, &str)> = vec![("roomId", ROOM)];
        q.extend_from_slice(extra);
        let params = common::android(uid, tok, &q);
        let app = &app;
        async move {
            let (s, v) = app.get_pairs("/room/member/update", &params).await;
            assert_eq!(s, 200);
            v
        }
    };
    let types = |docs: &[Document], t: i32| {
        docs.iter()
            .filter(|d| d.get_i32("contentType") == Ok(t))
            .count()
    };
    let muc0 = muc(&app, ROOM_JID).await;

    // invite two users by id (one unknown id is skipped, one already in)
    let v = call(
        &owner,
        &[
            ("text", r#"["100158","100159","999999","100102"]"#),
            ("isSecretGroup", "0"),
        ],
    )
    .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let ms = members(&app, ROOM).await;
    assert_eq!(ms.len(), 5);
    assert_eq!(role_of(&ms, 100158), Some(3));
    assert_eq!(role_of(&ms, 100159), Some(3));
    assert_eq!(int(&room_doc(&app, ROOM).await.unwrap(), "userSize"), 5);
    assert!(jids_of(&app, 100158).await.contains(&ROOM_JID.to_string()));
    let muc1 = muc(&app, ROOM_JID).await;
    assert_eq!(
        types(&muc1, 907) - types(&muc0, 907),
        2,
        "one 907 per new member"
    );

    // the owner mutes 100102 until an hour from now
    let until = (shiku_api::util::now_ms() / 1000 + 3600).to_string();
    let v = call(&owner, &[("userId", "100102"), ("talkTime", &until)]).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let m102 = member_of(&app, ROOM, 100102).await;
    assert_eq!(
        m102.get("talkTime"),
        Some(&Bson::Int64(until.parse().unwrap()))
    );
    assert!(m102.get_i64("modifyTime").unwrap() > 1_600_000_000);
    let muc2 = muc(&app, ROOM_JID).await;
    let gag: Vec<&Document> = muc2
        .iter()
        .filter(|d| d.get_i32("contentType") == Ok(906))
        .collect();
    assert_eq!(gag.len(), types(&muc1, 906) + 1);
    let last_gag = gag
        .iter()
        .max_by_key(|d| d.get_i64("timeSend").unwrap())
        .unwrap();
    assert_eq!(last_gag.get_str("content"), Ok(until.as_str()));

    // 100102 renames himself in the room: the 901 carries the new name
    let v = call(&member, &[("userId", "100102"), ("nickname", "群里的我")]).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let m102 = member_of(&app, ROOM, 100102).await;
    assert_eq!(m102.get_str("nickname"), Ok("群里的我"));
    let muc3 = muc(&app, ROOM_JID).await;
    assert_eq!(types(&muc3, 901), types(&muc2, 901) + 1);

    // the owner remarks 100174
    let v = call(&owner, &[("userId", "100174"), ("remarkName", "老张")]).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let m174 = member_of(&app, ROOM, 100174).await;
    assert_eq!(m174.get_str("remarkName"), Ok("老张"));

    // refusals: nothing changes
    let before = app.snapshot().await;
    let refused: Vec<(&str, Vec<(&'static str, &str)>, i64)> = vec![
        (
            "a member mutes",
            vec![("userId", "100174"), ("talkTime", "1999999999")],
            1030104,
        ),
        (
            "anyone mutes the owner",
            vec![("userId", "100164"), ("talkTime", "1999999999")],
            100406,
        ),
        (
            "a member renames another",
            vec![("userId", "100174"), ("nickname", "x")],
            1030104,
        ),
        (
            "a non-member target",
            vec![("userId", "100160"), ("remarkName", "x")],
            100409,
        ),
        ("nothing to change", vec![("userId", "100174")], 1010101),
        (
            "ids not a JSON array",
            vec![("text", "100158,100159")],
            1010101,
        ),
        ("an id not a number", vec![("text", r#"["abc"]"#)], 1010101),
    ];
    for (what, extra, code) in &refused {
        let tok = if what.starts_with("anyone") {
            &owner
        } else {
            &member
        };
        let v = call(tok, extra).await;
        assert_eq!(v["resultCode"].as_i64(), Some(*code), "{what}: {v}");
    }
    // an invisible member (role 4) invites nobody
    let oid = ObjectId::parse_str(ROOM).unwrap();
    let (_, mdb, _, _) = dbs(&app);
    let coll = app
        .store()
        .client
        .database(&mdb)
        .collection::<Document>(&shiku_api::store::names::member_shard(&oid));
    coll.update_one(
        doc! {"roomId": oid, "userId": 100102},
        doc! {"$set": {"role": 4}},
    )
    .await
    .unwrap();
    let before = {
        let _ = before;
        app.snapshot().await
    };
    let v = call(&member, &[("text", r#"["100160"]"#)]).await;
    assert_eq!(v["resultCode"], 100408, "{v}");
    assert!(
        app.snapshot().await == before,
        "a refusal changed the database"
    );
}

/// Android's create-group dialog (`SelectContactsActivity.createGroupChat`,
/// GET): the switches it sends are the new room's, as Int32, with the place
/// as `loc`; then the owner changes how long messages are kept
/// (`RoomInfoActivity`, `chatRecordTimeOut` "7.0"), stored as a Double and
/// announced with a 932.
#[actix_web::test]
async fn android_creates_a_room_with_its_settings_and_sets_the_keeping_time() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let jid = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let (s, v) = app
        .get_pairs(
            "/room/add",
            &common::android(
                100164,
                &owner,
                &[
                    ("jid", jid),
                    ("name", "周末爬山"),
                    ("desc", "八点集合"),
                    ("countryId", "1"),
                    ("showRead", "1"),
                    ("isLook", "0"),
                    ("isNeedVerify", "1"),
                    ("showMember", "0"),
                    ("allowSendCard", "0"),
                    ("allowInviteFriend", "1"),
                    ("allowUploadFile", "1"),
                    ("allowConference", "1"),
                    ("allowSpeakCourse", "1"),
                    ("provinceId", "440000"),
                    ("cityId", "440300"),
                    ("latitude", "22.54"),
                    ("longitude", "114.05"),
                    ("isSecretGroup", "0"),
                ],
            ),
        )
        .await;
    assert_eq!((s, &v["resultCode"]), (200, &json!(1)), "{v}");
    let d = &v["data"];
    assert_eq!(d["showRead"], 1);
    assert_eq!(d["isLook"], 0);
    assert_eq!(d["isNeedVerify"], 1);
    assert_eq!(d["showMember"], 0);
    assert_eq!(d["allowSendCard"], 0);
    let rid = d["id"].as_str().unwrap().to_string();
    let stored = room_doc(&app, &rid).await.unwrap();
    for (k, want) in [
        ("showRead", 1),
        ("isLook", 0),
        ("isNeedVerify", 1),
        ("showMember", 0),
        ("allowSendCard", 0),
        ("allowInviteFriend", 1),
    ] {
        assert_eq!(stored.get(k), Some(&Bson::Int32(want)), "{k}");
    }
    let loc = stored.get_document("loc").unwrap();
    assert_eq!(loc, &doc! {"lat": 22.54, "lng": 114.05});
    let order: Vec<&str> = loc.keys().map(String::as_str).collect();
    assert_eq!(
        order,
        ["lng", "lat"],
        "the original's Loc: longitude first (geo indexes read it so)"
    );
    assert_eq!(stored.get("chatRecordTimeOut"), Some(&Bson::Double(-1.0)));
    // field order as the original's entity, whatever was sent
    let keys: Vec<&str> = stored.keys().map(String::as_str).collect();
    assert_eq!(&keys[..3], ["_id", "adminMaxNumber", "allowConference"]);

    let keep = |days: &'static str| {
        let (app, owner, rid) = (&app, owner.clone(), rid.clone());
        async move {
            app.get_pairs(
                "/room/update",
                &common::android(
                    100164,
                    &owner,
                    &[("roomId", rid.as_str()), ("chatRecordTimeOut", days)],
                ),
            )
            .await
            .1
        }
    };
    let v = keep("7.0").await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(
        room_doc(&app, &rid).await.unwrap().get("chatRecordTimeOut"),
        Some(&Bson::Double(7.0))
    );
    let v = keep("0.04").await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let notices: Vec<String> = muc(&app, jid)
        .await
        .into_iter()
        .filter(|d| d.get_i32("contentType") == Ok(932))
        .map(|d| d.get_str("content").unwrap().to_string())
        .collect();
    assert_eq!(notices.len(), 2);
    assert!(
        notices.contains(&"7.0".to_string()) && notices.contains(&"0.04".to_string()),
        "{notices:?}"
    );
    let (_, v) = app
        .get_pairs(
            "/room/get",
            &common::android(100164, &owner, &[("roomId", rid.as_str())]),
        )
        .await;
    assert_eq!(v["data"]["chatRecordTimeOut"], 0.04, "{v}");
    // refused, nothing written: a bad value, a bad switch, and a member who does not manage
    let before = app.snapshot().await;
    assert_eq!(keep("forever").await["resultCode"], 1010101);
    let (_, v) = app
        .get_pairs(
            "/room/add",
            &common::android(
                100164,
                &owner,
                &[
                    ("jid", "ffffffffffffffffffffffffffffff01"),
                    ("showRead", "2"),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1010101, "{v}");
    assert!(app.snapshot().await == before);
}

/// Android's secret group (`SecureFlagGroup`): created with `isSecretGroup`
/// 1 and the owner's sealed group key in `keys`, then a friend invited with
/// his (`text` + `keys`); each member record keeps its `chatKeyGroup`, which
/// `/room/get` answers the member (the app unseals it from there).
#[actix_web::test]
async fn android_secret_group_keeps_each_members_sealed_key() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let jid = "5ec4e7000000000000000000000000aa";
    let (_, v) = app
        .get_pairs(
            "/room/add",
            &common::android(
                100164,
                &owner,
                &[
                    ("jid", jid),
                    ("name", "密聊"),
                    ("isSecretGroup", "1"),
                    ("keys", r#"{"100164":"c2VhbGVkLW93bmVy"}"#),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(v["data"]["isSecretGroup"], 1);
    let rid = v["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        room_doc(&app, &rid).await.unwrap().get("isSecretGroup"),
        Some(&Bson::Int32(1))
    );
    let (_, v) = app
        .get_pairs(
            "/room/member/update",
            &common::android(
                100164,
                &owner,
                &[
                    ("roomId", rid.as_str()),
                    ("text", r#"["100102"]"#),
                    ("isSecretGroup", "1"),
                    ("keys", r#"{"100102":"c2VhbGVkLTEwMg=="}"#),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let ms = members(&app, &rid).await;
    let key_of = |u: i64| {
        ms.iter()
            .find(|m| int(m, "userId") == u)
            .and_then(|m| m.get_str("chatKeyGroup").ok().map(str::to_string))
    };
    assert_eq!(key_of(100164).as_deref(), Some("c2VhbGVkLW93bmVy"));
    assert_eq!(key_of(100102).as_deref(), Some("c2VhbGVkLTEwMg=="));
    let t102 = app.token_for(100102).await;
    let (_, v) = app
        .get_pairs(
            "/room/get",
            &common::android(100102, &t102, &[("roomId", rid.as_str())]),
        )
        .await;
    assert_eq!(
        v["data"]["member"]["chatKeyGroup"], "c2VhbGVkLTEwMg==",
        "{v}"
    );
    // keys that are not an object of id → text refuse the request
    let before = app.snapshot().await;
    let (_, v) = app
        .get_pairs(
            "/room/member/update",
            &common::android(
                100164,
                &owner,
                &[
                    ("roomId", rid.as_str()),
                    ("text", r#"["100174"]"#),
                    ("keys", "[1]"),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1010101, "{v}");
    assert!(app.snapshot().await == before);
}

/// The web client (WX `roomApi`): a room created with its members in `text`
/// (POST form, ids as numbers), and a member muted for good (`talkTime` -1,
/// its "永久禁言"), which the chat rules then hold to.
#[actix_web::test]
async fn web_client_creates_with_text_members_and_mutes_for_good() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let jid = "0f8fad5bd9cb469fa16570867728950e";
    let (_, v) = app
        .post_pairs(
            "/room/add",
            &common::web(
                100164,
                &owner,
                &[
                    ("jid", jid),
                    ("name", "项目组"),
                    ("desc", "群主很懒,什么都没留下."),
                    ("isLook", "0"),
                    ("text", "[100102,100174]"),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let rid = v["data"]["id"].as_str().unwrap().to_string();
    let ms = members(&app, &rid).await;
    assert_eq!(ms.len(), 3);
    assert_eq!(role_of(&ms, 100164), Some(1));
    assert_eq!(role_of(&ms, 100102), Some(3));
    assert_eq!(role_of(&ms, 100174), Some(3));
    assert_eq!(int(&room_doc(&app, &rid).await.unwrap(), "userSize"), 3);
    assert_eq!(
        room_doc(&app, &rid).await.unwrap().get("isLook"),
        Some(&Bson::Int32(0))
    );
    let joins = muc(&app, jid)
        .await
        .iter()
        .filter(|d| d.get_i32("contentType") == Ok(907))
        .count();
    assert_eq!(joins, 2, "one 907 per invited member");
    assert!(jids_of(&app, 100174).await.contains(&jid.to_string()));

    let (_, v) = app
        .post_pairs(
            "/room/member/update",
            &common::web(
                100164,
                &owner,
                &[
                    ("roomId", rid.as_str()),
                    ("userId", "100102"),
                    ("talkTime", "-1"),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let m = member_of(&app, &rid, 100102).await;
    assert_eq!(m.get("talkTime"), Some(&Bson::Int64(-1)));
    let before = app.snapshot().await;
    let (_, v) = app
        .post_pairs(
            "/room/member/update",
            &common::web(
                100164,
                &owner,
                &[
                    ("roomId", rid.as_str()),
                    ("userId", "100102"),
                    ("talkTime", "-2"),
                ],
            ),
        )
        .await;
    assert_eq!(v["resultCode"], 1010101, "{v}");
    assert!(app.snapshot().await == before);
}

/// The roles of a `/room/get` answer's `members`, in order.
fn member_roles(d: &Value) -> Vec<(i64, i64)> {
    d["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["userId"].as_i64().unwrap(), m["role"].as_i64().unwrap()))
        .collect()
}

/// Android's group info and chat (`RoomInfoActivity`, `MucChatActivity`):
/// an invisible member (role 4) is listed and counted for the owner and
/// for himself only, as the original's `specialHandleByRoom`.
#[actix_web::test]
async fn hidden_members_are_for_the_owners_eyes() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let hidden = app.token_for(100102).await;
    let member = app.token_for(100174).await;
    let call = |uid: i64, tok: &str, path: &'static str, extra: &[(&'static str, &str)]| {
        let mut q: Vec<(&'static str, &str)> = vec![("roomId", ROOM)];
        q.extend_from_slice(extra);
        let params = common::android(uid, tok, &q);
        let app = &app;
        async move {
            let (s, v) = app.get_pairs(path, &params).await;
            assert_eq!((s, &v["resultCode"]), (200, &json!(1)), "{path}: {v}");
            v["data"].clone()
        }
    };
    call(
        100164,
        &owner,
        "/room/setInvisibleGuardian",
        &[("touserId", "100102"), ("type", "4")],
    )
    .await;
    let d = call(100174, &member, "/room/get", &[("pageSize", "100")]).await;
    assert_eq!(member_roles(&d), [(100164, 1), (100174, 3)]);
    assert_eq!(d["userSize"], 2);
    let d = call(100102, &hidden, "/room/get", &[("pageSize", "100")]).await;
    assert_eq!(member_roles(&d), [(100164, 1), (100174, 3), (100102, 4)]);
    assert_eq!(d["userSize"], 3);
    let d = call(100164, &owner, "/room/get", &[("pageSize", "100")]).await;
    assert_eq!(member_roles(&d), [(100164, 1), (100174, 3), (100102, 4)]);
    assert_eq!(d["userSize"], 3);
    // A page shorter than the room: the hidden ones are counted apart.
    let d = call(100174, &member, "/room/get", &[("pageSize", "1")]).await;
    assert_eq!(member_roles(&d), [(100164, 1)]);
    assert_eq!(d["userSize"], 2);
    // The member list hides him too, but from the owner.
    let d = call(100174, &member, "/room/member/list", &[]).await;
    let ids: Vec<i64> = d
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userId"].as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&100102) && ids.contains(&100174), "{d}");
    let d = call(100164, &owner, "/room/member/list", &[]).await;
    assert!(
        d.as_array().unwrap().iter().any(|m| m["userId"] == 100102),
        "{d}"
    );
    // On opening the chat: the owner and admins, the count as above.
    let d = call(100174, &member, "/room/getRoom", &[]).await;
    assert_eq!(member_roles(&d), [(100164, 1)]);
    assert_eq!(
        (d["userSize"].as_i64(), d["member"]["userId"].as_i64()),
        (Some(2), Some(100174))
    );
    // Nothing of this is stored: the room keeps its count.
    let room = room_doc(&app, ROOM).await.unwrap();
    assert_eq!(room.get("userSize"), Some(&Bson::Int32(3)));
}

/// Android's `HandleQRCodeScanUtil`: a scanned group QR code asks
/// `/room/get` as an outsider, then joins with `/room/join` and opens the
/// chat (`/room/getRoom`).
#[actix_web::test]
async fn an_outsider_joins_by_a_scanned_qr_code() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let tok = app.token_for(100158).await;
    let get = |path: &'static str, extra: &[(&'static str, &str)]| {
        let mut q: Vec<(&'static str, &str)> = vec![("roomId", ROOM)];
        q.extend_from_slice(extra);
        let params = common::android(100158, &tok, &q);
        let app = &app;
        async move {
            let (s, v) = app.get_pairs(path, &params).await;
            assert_eq!((s, &v["resultCode"]), (200, &json!(1)), "{path}: {v}");
            v["data"].clone()
        }
    };
    let d = get("/room/get", &[]).await;
    assert_eq!(d["id"], ROOM);
    assert_eq!(d["jid"], ROOM_JID);
    assert_eq!(d["isNeedVerify"], 0);
    assert_eq!(d["userId"], 100164);
    assert!(d.get("member").is_none(), "{d}");
    assert_eq!(d["members"], json!([]));
    get("/room/join", &[("type", "2")]).await;
    let d = get("/room/getRoom", &[]).await;
    assert_eq!(d["member"]["userId"], 100158);
    assert_eq!(d["member"]["role"], 3);
    assert_eq!(member_roles(&d), [(100164, 1)]);
    assert_eq!(d["userSize"], 4);
}

/// WX pins a group (`chatApi.js`: `type` 1, `offlineNoPushMsg`, `roomId`,
/// its own `userId`); the PC client on the same account reads its pins from
/// `/tigase/dialog/get` and shows the group pinned; unpinning removes it.
#[actix_web::test]
async fn a_group_pinned_on_the_web_is_pinned_on_the_pc() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let tok = app.token_for(100164).await;
    let pin = |value: &'static str| {
        let p = common::web(
            100164,
            &tok,
            &[
                ("type", "1"),
                ("offlineNoPushMsg", value),
                ("roomId", ROOM),
                ("userId", "100164"),
            ],
        );
        let app = &app;
        async move {
            let (s, v) = app.post_pairs("/room/member/setOfflineNoPushMsg", &p).await;
            assert_eq!((s, &v["resultCode"]), (200, &json!(1)), "{v}");
        }
    };
    let pins = || {
        let p = common::qz(&tok, &[]);
        let app = &app;
        async move {
            let (_, v) = app.post_pairs("/tigase/dialog/get", &p).await;
            assert_eq!(v["resultCode"], 1, "{v}");
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["jid"].as_str().unwrap().to_string(),
                        d["isRoom"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    pin("1").await;
    assert!(pins().await.contains(&(ROOM_JID.to_string(), 0)));
    assert!(int(&member_of(&app, ROOM, 100164).await, "openTopChatTime") > 1_600_000_000);
    pin("0").await;
    assert!(!pins().await.iter().any(|(j, _)| j == ROOM_JID));
    assert_eq!(
        int(&member_of(&app, ROOM, 100164).await, "openTopChatTime"),
        0
    );
}

/// The iOS app after a removal: the owner removes 100174 (POST form as
/// `JXServer delRoomMember`); only the owner's devices get a `room` sync
/// record (the original's `updateOfflineOperation` of the caller). The
/// removed user's `/room/getRoom` and `/room/get` (chat screen, start-up
/// sync) carry no `member` key at all: a JSON null there ends the iOS app.
/// Fields stored as null are left out of answers, as the original's
/// fastjson does.
#[actix_web::test]
async fn ios_removed_member_gets_no_member_key() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let gone = app.token_for(100174).await;
    set_room_fields(&app, ROOM, doc! {"desc": Bson::Null}).await;
    let (_, b) = app
        .post_form(
            "/room/member/delete",
            &[
                ("roomId", ROOM),
                ("userId", "100174"),
                ("access_token", owner.as_str()),
            ],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    let imapi = app.store().cfg.imapi.clone();
    let ops: Vec<(i64, String)> = app
        .dump(&imapi, "offlineOperation")
        .await
        .iter()
        .filter(|d| d.get_str("tag") == Ok("room"))
        .map(|d| (int(d, "userId"), d.get_str("friendId").unwrap().to_string()))
        .collect();
    assert_eq!(ops, [(100164, ROOM.to_string())]);
    for path in ["/room/getRoom", "/room/get"] {
        let (_, b) = app
            .post_form(path, &[("roomId", ROOM), ("access_token", gone.as_str())])
            .await;
        assert_eq!(b["resultCode"], 1, "{path}: {b}");
        let d = b["data"].as_object().unwrap();
        assert_eq!(d["jid"], ROOM_JID, "{path}");
        assert!(!d.contains_key("member"), "{path}: {b}");
        assert!(!d.contains_key("desc"), "stored null left out: {path}: {b}");
        assert!(!b.to_string().contains("null"), "{path}: {b}");
    }
}

/// A room of 130 members: `/room/get` without `pageSize` (as iOS sends it)
/// lists them all (the original's 500), and both `/room/get` and
/// `/room/getRoom` (read by iOS on every chat opening) answer `showRead` 0
/// above 50 members, whatever the owner set.
#[actix_web::test]
async fn big_rooms_list_every_member_and_show_no_reads() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let owner = app.token_for(100164).await;
    let extra: Vec<(i64, i32, i64)> = (0..127)
        .map(|i| (300_000 + i, 3, 1_614_000_000 + i))
        .collect();
    let all = crowded_room(&app, &extra).await;
    assert_eq!(all.len(), 130);
    set_room_fields(&app, ROOM, doc! {"userSize": 130i32, "showRead": 1i32}).await;
    let (_, b) = app
        .post_form(
            "/room/get",
            &[("roomId", ROOM), ("access_token", owner.as_str())],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["members"].as_array().unwrap().len(), 130);
    assert_eq!(b["data"]["showRead"], 0);
    let (_, b) = app
        .post_form(
            "/room/getRoom",
            &[("roomId", ROOM), ("access_token", owner.as_str())],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert_eq!(b["data"]["showRead"], 0);
    assert_eq!(b["data"]["userSize"], 130);
    // Someone out of the room (iOS's scan-to-join keeps this answer).
    let outsider = app.token_for(400_001).await;
    let (_, b) = app
        .post_form(
            "/room/get",
            &[("roomId", ROOM), ("access_token", outsider.as_str())],
        )
        .await;
    assert_eq!(b["resultCode"], 1, "{b}");
    assert!(b["data"].get("member").is_none(), "{b}");
    assert_eq!(b["data"]["showRead"], 0);
    assert_eq!(
        room_doc(&app, ROOM).await.unwrap().get("showRead"),
        Some(&Bson::Int32(1)),
        "the owner's setting is kept"
    );
}
