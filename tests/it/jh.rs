//! JH customer-service dialect (`/api/im/*`): the seed examples, poll, history,
//! mark-read/unread count, user status, validation.

use crate::common;

use bson::{doc, oid::ObjectId, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

const STORED_ORDER: [&str; 22] = [
    "_id",
    "fromarea",
    "content",
    "t_avatar",
    "t_nickname",
    "to",
    "f_avatar",
    "f_nickname",
    "from",
    "appid",
    "__v",
    "readtime",
    "sendtime",
    "update_at",
    "create_at",
    "imageSize",
    "voiceLength",
    "channel",
    "torole",
    "fromrole",
    "type",
    "status",
];

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// A record as the original stored it (sendtime a Double, dates BSON Dates).
fn record(id: &str, from: &str, to: &str, fromrole: &str, sendtime: i64) -> Document {
    let (fromarea, f_nick, f_av, t_nick, t_av) = if from == "200" {
        ("192.", "LAUFEN", "FTOM.jpg", "ikima", "to.jpg")
    } else {
        ("10.", "ikima", "to.jpg", "LAUFEN", "FTOM.jpg")
    };
    let torole = if fromrole == "MEMBER" {
        "SALER"
    } else {
        "MEMBER"
    };
    let d = bson::DateTime::from_millis(sendtime);
    doc! {
        "_id": ObjectId::parse_str(id).unwrap(),
        "fromarea": fromarea, "content": "ffffffffff", "t_avatar": t_av, "t_nickname": t_nick,
        "to": to, "f_avatar": f_av, "f_nickname": f_nick, "from": from, "appid": "JH", "__v": 0,
        "readtime": -1, "sendtime": sendtime as f64, "update_at": d, "create_at": d,
        "imageSize": -1, "voiceLength": -1, "channel": "PC", "torole": torole,
        "fromrole": fromrole, "type": "TEXT", "status": 0,
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["_id"].as_str().unwrap().to_string())
        .collect()
}

async fn jh_dump(app: &TestApp) -> Vec<Document> {
    app.dump(&app.store().jh_db, &app.store().jh_collection)
        .await
}

async fn insert(app: &TestApp, docs: Vec<Document>) {
    app.insert(&app.store().jh_db, &app.store().jh_collection, docs)
        .await;
}

const SEND: [(&str, &str); 12] = [
    ("appid", "JH"),
    ("from", "200"),
    ("fromarea", "192."),
    ("fromrole", "MEMBER"),
    ("f_nickname", "LAUFEN"),
    ("f_avatar", "FTOM.jpg"),
    ("to", "2"),
    ("t_nickname", "ikima"),
    ("t_avatar", "to.jpg"),
    ("content", "ffffffffff"),
    ("type", "TEXT"),
    ("channel", "PC"),
];

#[actix_web::test]
async fn send_msg_seed_example_form_and_json() {
    let app = TestApp::start().await;
    let before = shiku_api::util::now_ms() + 8 * 3_600_000;
    let (s, b) = app.post_form("/api/im/sendMsg", &SEND).await;
    let after = shiku_api::util::now_ms() + 8 * 3_600_000;
    assert_eq!(s, 200, "{b}");
    assert_eq!(keys(&b), ["success", "data"]);
    assert_eq!(b["success"], true);
    let d = &b["data"];
    // The seed's key order: __v first, _id after appid.
    assert_eq!(
        keys(d),
        [
            "__v",
            "fromarea",
            "content",
            "t_avatar",
            "t_nickname",
            "to",
            "f_avatar",
            "f_nickname",
            "from",
            "appid",
            "_id",
            "readtime",
            "sendtime",
            "update_at",
            "create_at",
            "imageSize",
            "voiceLength",
            "channel",
            "torole",
            "fromrole",
            "type",
            "status"
        ]
    );
    let sendtime = d["sendtime"]
        .as_i64()
        .expect("sendtime is an integer in JSON");
    assert!(sendtime >= before && sendtime <= after, "+8 h clock");
    let id = d["_id"].as_str().unwrap().to_string();
    assert_eq!(
        *d,
        json!({
            "__v": 0, "fromarea": "192.", "content": "ffffffffff", "t_avatar": "to.jpg",
            "t_nickname": "ikima", "to": "2", "f_avatar": "FTOM.jpg", "f_nickname": "LAUFEN",
            "from": "200", "appid": "JH", "_id": id, "readtime": -1, "sendtime": sendtime,
            "update_at": iso(sendtime), "create_at": iso(sendtime), "imageSize": -1,
            "voiceLength": -1, "channel": "PC", "torole": "SALER", "fromrole": "MEMBER",
            "type": "TEXT", "status": 0
        })
    );
    // The stored document: key order and BSON types of the original.
    let docs = jh_dump(&app).await;
    assert_eq!(docs.len(), 1);
    let r = &docs[0];
    assert_eq!(
        r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        STORED_ORDER
    );
    assert_eq!(r.get_object_id("_id").unwrap().to_hex(), id);
    assert_eq!(r.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(r.get("status"), Some(&Bson::Int32(0)));
    assert_eq!(r.get("readtime"), Some(&Bson::Int32(-1)));
    assert_eq!(r.get("imageSize"), Some(&Bson::Int32(-1)));
    assert_eq!(r.get("voiceLength"), Some(&Bson::Int32(-1)));
    assert_eq!(r.get("sendtime"), Some(&Bson::Double(sendtime as f64)));
    let date = Bson::DateTime(bson::DateTime::from_millis(sendtime));
    assert_eq!(r.get("create_at"), Some(&date));
    assert_eq!(r.get("update_at"), Some(&date));
    for (k, v) in SEND {
        assert_eq!(r.get_str(k).unwrap(), v, "{k}");
    }
    assert_eq!(r.get_str("torole").unwrap(), "SALER");

    // JSON body, SALER → MEMBER, VOICE with its length, bustype/busid.
    let (s, b) = app
        .post_json(
            "/api/im/sendMsg",
            &[],
            &json!({"appid": "JH", "from": "2", "fromrole": "SALER", "to": "200",
                "content": "  语音 ", "type": "VOICE", "channel": "WX", "voiceLength": 7,
                "imageSize": 99, "bustype": "GOOD_CHAT", "busid": "34"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let d = &b["data"];
    assert_eq!(keys(d)[..2], ["__v", "busid"]);
    assert_eq!(d["torole"], "MEMBER");
    assert_eq!(d["voiceLength"], 7);
    assert_eq!(d["imageSize"], -1);
    assert_eq!(d["content"], "  语音 ");
    assert_eq!(d["fromarea"], "");
    assert_eq!(d["bustype"], "GOOD_CHAT");
    assert_eq!(d["busid"], "34");
    let docs = jh_dump(&app).await;
    assert_eq!(docs.len(), 2);
    let r = &docs[1];
    assert_eq!(r.get("voiceLength"), Some(&Bson::Int32(7)));
    assert_eq!(r.get_str("bustype").unwrap(), "GOOD_CHAT");
    assert_eq!(r.get_str("busid").unwrap(), "34");
    assert_eq!(r.get_str("content").unwrap(), "  语音 ");
    let order: Vec<&str> = r.keys().map(|k| k.as_str()).collect();
    assert_eq!(order[..3], ["_id", "busid", "fromarea"]);
    assert_eq!(order[order.len() - 3..], ["bustype", "type", "status"]);
}

#[actix_web::test]
async fn time_offset_is_a_setting() {
    let app = TestApp::start_with(&[("JH_TIME_OFFSET_HOURS", "0")]).await;
    let before = shiku_api::util::now_ms();
    let (s, b) = app.post_form("/api/im/sendMsg", &SEND).await;
    let after = shiku_api::util::now_ms();
    assert_eq!(s, 200);
    let t = b["data"]["sendtime"].as_i64().unwrap();
    assert!(t >= before && t <= after);
}

#[actix_web::test]
async fn poll_returns_both_directions_newer_than_lasttime() {
    let app = TestApp::start().await;
    insert(
        &app,
        vec![
            record(
                "5993a4fd3a9bc75c1cb2f64f",
                "200",
                "2",
                "MEMBER",
                1502877053329,
            ),
            record(
                "5993a4fe3a9bc75c1cb2f650",
                "200",
                "2",
                "MEMBER",
                1502877053900,
            ),
            record(
                "5993a4fe3a9bc75c1cb2f651",
                "2",
                "200",
                "SALER",
                1502877054100,
            ),
            record(
                "5993a4fe3a9bc75c1cb2f652",
                "200",
                "2",
                "MEMBER",
                1502877054675,
            ),
            record(
                "5993a4ff3a9bc75c1cb2f653",
                "200",
                "2",
                "MEMBER",
                1502877055334,
            ),
            // Another pair, another appid, the wrong role: never returned.
            record(
                "5993a4ff3a9bc75c1cb2f654",
                "200",
                "3",
                "MEMBER",
                1502877056000,
            ),
            record(
                "5993a4ff3a9bc75c1cb2f655",
                "2",
                "300",
                "SALER",
                1502877056000,
            ),
            {
                let mut d = record(
                    "5993a4ff3a9bc75c1cb2f656",
                    "200",
                    "2",
                    "MEMBER",
                    1502877057000,
                );
                d.insert("appid", "XX");
                d
            },
            record(
                "5993a4ff3a9bc75c1cb2f657",
                "200",
                "2",
                "SALER",
                1502877058000,
            ),
        ],
    )
    .await;
    let q = [
        ("appid", "JH"),
        ("from", "200"),
        ("to", "2"),
        ("fromrole", "MEMBER"),
        ("lasttime", "1502877054100"),
    ];
    let (s, b) = app.get("/api/im/getNewestMsgListByLastTime", &q).await;
    assert_eq!(s, 200, "{b}");
    // Exactly the seed's answer (lasttime 1502877054100 is between …f651 and …f652).
    let seed = json!({
       "success": true,
       "data": [
          {"_id": "5993a4ff3a9bc75c1cb2f653", "fromarea": "192.", "content": "ffffffffff",
           "t_avatar": "to.jpg", "t_nickname": "ikima", "to": "2", "f_avatar": "FTOM.jpg",
           "f_nickname": "LAUFEN", "from": "200", "appid": "JH", "__v": 0, "readtime": -1,
           "sendtime": 1502877055334i64, "update_at": "2017-08-16T09:50:55.334Z",
           "create_at": "2017-08-16T09:50:55.334Z", "imageSize": -1, "voiceLength": -1,
           "channel": "PC", "torole": "SALER", "fromrole": "MEMBER", "type": "TEXT", "status": 0},
          {"_id": "5993a4fe3a9bc75c1cb2f652", "fromarea": "192.", "content": "ffffffffff",
           "t_avatar": "to.jpg", "t_nickname": "ikima", "to": "2", "f_avatar": "FTOM.jpg",
           "f_nickname": "LAUFEN", "from": "200", "appid": "JH", "__v": 0, "readtime": -1,
           "sendtime": 1502877054675i64, "update_at": "2017-08-16T09:50:54.675Z",
           "create_at": "2017-08-16T09:50:54.675Z", "imageSize": -1, "voiceLength": -1,
           "channel": "PC", "torole": "SALER", "fromrole": "MEMBER", "type": "TEXT", "status": 0}
       ]
    });
    assert_eq!(b, seed);
    assert_eq!(keys(&b["data"][0]), STORED_ORDER);
    assert_eq!(b["data"][0]["sendtime"].to_string(), "1502877055334");

    // Strictly newer: lasttime equal to …f651's sendtime excludes it; one ms less includes it
    // (the peer's reply, seen from the member's side). POST JSON works too.
    let (_, b) = app
        .post_json(
            "/api/im/getNewestMsgListByLastTime",
            &[],
            &json!({"appid": "JH", "from": "200", "to": "2", "fromrole": "MEMBER",
                "lasttime": 1502877054099i64}),
        )
        .await;
    assert_eq!(
        ids(&b),
        [
            "5993a4ff3a9bc75c1cb2f653",
            "5993a4fe3a9bc75c1cb2f652",
            "5993a4fe3a9bc75c1cb2f651"
        ]
    );
    // The sales side sees the same conversation.
    let (_, b) = app
        .post_form(
            "/api/im/getNewestMsgListByLastTime",
            &[
                ("appid", "JH"),
                ("from", "2"),
                ("to", "200"),
                ("fromrole", "SALER"),
                ("lasttime", "1502877053329"),
            ],
        )
        .await;
    assert_eq!(
        ids(&b),
        [
            "5993a4ff3a9bc75c1cb2f653",
            "5993a4fe3a9bc75c1cb2f652",
            "5993a4fe3a9bc75c1cb2f651",
            "5993a4fe3a9bc75c1cb2f650"
        ]
    );
    // Nothing newer: an empty array.
    let (s, b) = app
        .get(
            "/api/im/getNewestMsgListByLastTime",
            &[
                ("appid", "JH"),
                ("from", "200"),
                ("to", "2"),
                ("fromrole", "MEMBER"),
                ("lasttime", "1602877055334"),
            ],
        )
        .await;
    assert_eq!((s, b), (200, json!({"success": true, "data": []})));
}

#[actix_web::test]
async fn history_pages_are_newest_first_and_stable_under_ties() {
    let app = TestApp::start().await;
    // The history example: six per-message times and six records sharing one time.
    let mut docs = vec![
        record(
            "5993a4fd3a9bc75c1cb2f64f",
            "200",
            "2",
            "MEMBER",
            1502877053329,
        ),
        record(
            "5993a4fd3a9bc75c1cb2f64e",
            "200",
            "2",
            "MEMBER",
            1502877053003,
        ),
        record(
            "5993a4fc3a9bc75c1cb2f64d",
            "200",
            "2",
            "MEMBER",
            1502877052635,
        ),
        record(
            "5993a4fc3a9bc75c1cb2f64c",
            "200",
            "2",
            "MEMBER",
            1502877052067,
        ),
        record(
            "5993a4fb3a9bc75c1cb2f64b",
            "200",
            "2",
            "MEMBER",
            1502877051061,
        ),
        record(
            "5993a4f93a9bc75c1cb2f64a",
            "200",
            "2",
            "MEMBER",
            1502877049258,
        ),
    ];
    let tied = [
        "5993a3f8db6684a0137cca0d",
        "5993a3f9db6684a0137cca0e",
        "5993a402db6684a0137cca0f",
        "5993a405db6684a0137cca10",
        "5993a406db6684a0137cca11",
        "5993a407db6684a0137cca12",
    ];
    for id in tied {
        docs.push(record(id, "200", "2", "MEMBER", 1502876643794));
    }
    // A later message after the client's lasttime, stored with an Int64 sendtime.
    let mut late = record(
        "5993a4ff3a9bc75c1cb2f6ff",
        "2",
        "200",
        "SALER",
        1502877099999,
    );
    late.insert("sendtime", 1502877099999i64);
    docs.push(late);
    docs.reverse();
    insert(&app, docs).await;
    let base = [
        ("appid", "JH"),
        ("from", "200"),
        ("to", "2"),
        ("fromrole", "MEMBER"),
        ("lasttime", "1502877053329"),
    ];
    let mut p1 = base.to_vec();
    p1.push(("page", "1"));
    let (s, b1) = app.get("/api/im/getMsgListByPageAndUserId", &p1).await;
    assert_eq!(s, 200, "{b1}");
    let mut want: Vec<String> = [
        "5993a4fd3a9bc75c1cb2f64f",
        "5993a4fd3a9bc75c1cb2f64e",
        "5993a4fc3a9bc75c1cb2f64d",
        "5993a4fc3a9bc75c1cb2f64c",
        "5993a4fb3a9bc75c1cb2f64b",
        "5993a4f93a9bc75c1cb2f64a",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    want.extend(tied.iter().rev().map(|s| s.to_string()));
    // Default limit 10: the first page holds ten, the second the last two.
    assert_eq!(ids(&b1), want[..10]);
    assert_eq!(b1["data"][0]["sendtime"], 1502877053329i64);
    assert_eq!(b1["data"][9]["update_at"], "2017-08-16T09:44:03.794Z");
    let (_, b2) = app
        .post_form(
            "/api/im/getMsgListByPageAndUserId",
            &[base.as_slice(), &[("page", "2"), ("limit", "10")]].concat(),
        )
        .await;
    assert_eq!(ids(&b2), want[10..]);
    // Same page again: same answer (stable under ties); small pages tile the list.
    let mut tiles = Vec::new();
    for page in 1..=5 {
        let pg = page.to_string();
        let (_, b) = app
            .get(
                "/api/im/getMsgListByPageAndUserId",
                &[base.as_slice(), &[("page", pg.as_str()), ("limit", "3")]].concat(),
            )
            .await;
        tiles.extend(ids(&b));
    }
    assert_eq!(tiles, want);
    // Without lasttime the newer (Int64) record comes first, from the other side too.
    let (_, b) = app
        .get(
            "/api/im/getMsgListByPageAndUserId",
            &[
                ("appid", "JH"),
                ("from", "2"),
                ("to", "200"),
                ("fromrole", "SALER"),
                ("limit", "2"),
            ],
        )
        .await;
    assert_eq!(
        ids(&b),
        ["5993a4ff3a9bc75c1cb2f6ff", "5993a4fd3a9bc75c1cb2f64f"]
    );
    assert_eq!(b["data"][0]["sendtime"], 1502877099999i64);
    // Another user's pair sees nothing of it.
    let (_, b) = app
        .get(
            "/api/im/getMsgListByPageAndUserId",
            &[
                ("appid", "JH"),
                ("from", "201"),
                ("to", "2"),
                ("fromrole", "MEMBER"),
            ],
        )
        .await;
    assert_eq!(b, json!({"success": true, "data": []}));
}

#[actix_web::test]
async fn mark_read_then_unread_count() {
    let app = TestApp::start().await;
    let mut docs = Vec::new();
    for i in 0..5 {
        docs.push(record(
            &format!("5993a4fd3a9bc75c1cb2f6{i:02x}"),
            "200",
            "2",
            "MEMBER",
            1502877050000 + i,
        ));
    }
    // Already read, the reverse direction, and another receiver: untouched.
    let mut read = record(
        "5993a4fd3a9bc75c1cb2f6a0",
        "200",
        "2",
        "MEMBER",
        1502877040000,
    );
    read.insert("status", 1);
    read.insert("readtime", 1502877041000f64);
    docs.push(read.clone());
    docs.push(record(
        "5993a4fd3a9bc75c1cb2f6a1",
        "2",
        "200",
        "SALER",
        1502877060000,
    ));
    docs.push(record(
        "5993a4fd3a9bc75c1cb2f6a2",
        "200",
        "3",
        "MEMBER",
        1502877060000,
    ));
    insert(&app, docs).await;
    let q = [
        ("appid", "JH"),
        ("from", "200"),
        ("fromrole", "MEMBER"),
        ("to", "2"),
    ];
    let (s, b) = app.get("/api/im/unreadcount", &q).await;
    assert_eq!((s, b), (200, json!({"success": true, "data": 5})));
    let before_all = jh_dump(&app).await;

    let before = shiku_api::util::now_ms() + 8 * 3_600_000;
    let (s, b) = app.post_form("/api/im/updateUnreadP2pMessages", &q).await;
    let after = shiku_api::util::now_ms() + 8 * 3_600_000;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"success": true, "data": {"n": 5, "nModified": 5, "ok": 1}})
    );
    assert_eq!(keys(&b["data"]), ["n", "nModified", "ok"]);
    let after_all = jh_dump(&app).await;
    for (old, new) in before_all.iter().zip(&after_all) {
        let id = old.get_object_id("_id").unwrap().to_hex();
        let marked = old.get_str("from").unwrap() == "200"
            && old.get_str("to").unwrap() == "2"
            && old.get_i32("status").unwrap() == 0;
        if marked {
            assert_eq!(new.get("status"), Some(&Bson::Int32(1)), "{id}");
            let rt = new.get_f64("readtime").expect("readtime is a Double");
            assert!(rt >= before as f64 && rt <= after as f64);
            assert_eq!(
                new.get_datetime("update_at").unwrap().timestamp_millis(),
                rt as i64
            );
            assert_eq!(new.get("create_at"), old.get("create_at"));
            assert_eq!(new.get("sendtime"), old.get("sendtime"));
            assert_eq!(
                new.keys().collect::<Vec<_>>(),
                old.keys().collect::<Vec<_>>()
            );
        } else {
            assert_eq!(new, old, "{id} must not change");
        }
    }
    let (_, b) = app.get("/api/im/unreadcount", &q).await;
    assert_eq!(b, json!({"success": true, "data": 0}));
    // The reverse direction still counts one unread for the member.
    let (_, b) = app
        .post_json(
            "/api/im/unreadcount",
            &[],
            &json!({"appid": "JH", "from": "2", "fromrole": "SALER", "to": "200"}),
        )
        .await;
    assert_eq!(b, json!({"success": true, "data": 1}));
    // Nothing left to mark.
    let (_, b) = app
        .post_json(
            "/api/im/updateUnreadP2pMessages",
            &[],
            &json!({"appid": "JH", "from": "200", "fromrole": "MEMBER", "to": "2"}),
        )
        .await;
    assert_eq!(
        b,
        json!({"success": true, "data": {"n": 0, "nModified": 0, "ok": 1}})
    );
}

#[actix_web::test]
async fn user_status_register_and_read() {
    let app = TestApp::start().await;
    let reg = [
        ("appid", "JH"),
        ("userid", "200"),
        ("userrole", "MEMBER"),
        ("channel", "PC"),
    ];
    let before = shiku_api::util::now_ms() + 8 * 3_600_000;
    let (s, b) = app.post_form("/api/im/regUserInfo", &reg).await;
    assert_eq!(s, 200, "{b}");
    let status = app.dump(&app.store().jh_db, "userstatuses").await;
    assert_eq!(status.len(), 1);
    let st = &status[0];
    let id = st.get_object_id("_id").unwrap().to_hex();
    assert_eq!(
        b,
        json!({"success": true, "data": {"n": 1, "nModified": 0,
            "upserted": [{"index": 0, "_id": id}], "ok": 1}})
    );
    assert_eq!(
        st.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        [
            "_id",
            "userarea",
            "userid",
            "appid",
            "__v",
            "update_at",
            "create_at",
            "isonline",
            "hearttime",
            "channel",
            "userrole"
        ]
    );
    assert_eq!(st.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(st.get("isonline"), Some(&Bson::Int32(1)));
    let heart = st.get_f64("hearttime").unwrap() as i64;
    assert!(heart >= before);
    assert_eq!(st.get_str("channel").unwrap(), "PC");
    assert_eq!(st.get_str("userarea").unwrap(), "");

    // A second heartbeat updates the same document.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (_, b) = app
        .post_json(
            "/api/im/regUserInfo",
            &[],
            &json!({"appid": "JH", "userid": "200", "userrole": "MEMBER", "channel": "WX"}),
        )
        .await;
    assert_eq!(
        b,
        json!({"success": true, "data": {"n": 1, "nModified": 1, "ok": 1}})
    );
    let status = app.dump(&app.store().jh_db, "userstatuses").await;
    assert_eq!(status.len(), 1);
    let st = &status[0];
    let heart2 = st.get_f64("hearttime").unwrap() as i64;
    assert!(heart2 > heart);
    assert_eq!(
        st.get_datetime("create_at").unwrap().timestamp_millis(),
        heart
    );

    let (s, b) = app
        .get(
            "/api/im/getUserStatus",
            &[("appid", "JH"), ("userid", "200"), ("userrole", "MEMBER")],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"success": true, "data": [{"_id": id, "userarea": "", "userid": "200",
            "appid": "JH", "__v": 0, "update_at": iso(heart2), "create_at": iso(heart),
            "isonline": 1, "hearttime": heart2, "channel": "WX", "userrole": "MEMBER"}]})
    );
    assert_eq!(keys(&b["data"][0])[..3], ["_id", "userarea", "userid"]);
    let (_, b) = app
        .get(
            "/api/im/getUserStatus",
            &[("appid", "JH"), ("userid", "200"), ("userrole", "SALER")],
        )
        .await;
    assert_eq!(b, json!({"success": true, "data": []}));
}

#[actix_web::test]
async fn validation_errors_answer_400_and_write_nothing() {
    let app = TestApp::start().await;
    insert(
        &app,
        vec![record(
            "5993a4fd3a9bc75c1cb2f64f",
            "200",
            "2",
            "MEMBER",
            1502877053329,
        )],
    )
    .await;
    let snap = app.snapshot().await;
    let with = |k: &str, v: &str| -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = SEND
            .iter()
            .filter(|(n, _)| *n != k)
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        if !v.is_empty() {
            p.push((k.to_string(), v.to_string()));
        }
        p
    };
    let mut cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("/api/im/sendMsg", with("appid", "")),
        ("/api/im/sendMsg", with("appid", "  ")),
        ("/api/im/sendMsg", with("fromrole", "ADMIN")),
        ("/api/im/sendMsg", with("fromrole", "")),
        ("/api/im/sendMsg", with("type", "VIDEO")),
        ("/api/im/sendMsg", with("channel", "APP")),
        ("/api/im/sendMsg", with("from", "")),
        ("/api/im/sendMsg", with("to", "")),
        ("/api/im/sendMsg", with("content", "")),
        ("/api/im/sendMsg", with("bustype", "SHOP")),
    ];
    let conv = |extra: &[(&str, &str)], drop: &str| -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("appid", "JH"),
            ("from", "200"),
            ("to", "2"),
            ("fromrole", "MEMBER"),
        ]
        .iter()
        .filter(|(n, _)| *n != drop)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        p.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
        p
    };
    cases.push((
        "/api/im/getNewestMsgListByLastTime",
        conv(&[("lasttime", "yesterday")], ""),
    ));
    cases.push((
        "/api/im/getNewestMsgListByLastTime",
        conv(&[("lasttime", "1")], "appid"),
    ));
    cases.push((
        "/api/im/getNewestMsgListByLastTime",
        conv(&[("fromrole", "X")], "fromrole"),
    ));
    cases.push((
        "/api/im/getMsgListByPageAndUserId",
        conv(&[("page", "one")], ""),
    ));
    cases.push((
        "/api/im/getMsgListByPageAndUserId",
        conv(&[("limit", "1e3")], ""),
    ));
    cases.push((
        "/api/im/getMsgListByPageAndUserId",
        conv(&[("page", "0")], ""),
    ));
    cases.push((
        "/api/im/getMsgListByPageAndUserId",
        conv(&[("lasttime", "x")], ""),
    ));
    cases.push(("/api/im/updateUnreadP2pMessages", conv(&[], "appid")));
    cases.push((
        "/api/im/updateUnreadP2pMessages",
        conv(&[("fromrole", "BOSS")], "fromrole"),
    ));
    cases.push(("/api/im/unreadcount", conv(&[], "to")));
    cases.push((
        "/api/im/regUserInfo",
        vec![
            ("appid".into(), "JH".into()),
            ("userid".into(), "200".into()),
            ("userrole".into(), "GUEST".into()),
        ],
    ));
    cases.push((
        "/api/im/regUserInfo",
        vec![
            ("userid".into(), "200".into()),
            ("userrole".into(), "MEMBER".into()),
        ],
    ));
    cases.push((
        "/api/im/regUserInfo",
        vec![
            ("appid".into(), "JH".into()),
            ("userid".into(), "200".into()),
            ("userrole".into(), "MEMBER".into()),
            ("channel".into(), "APP".into()),
        ],
    ));
    cases.push(("/api/im/getUserStatus", vec![("appid".into(), "JH".into())]));
    for (path, p) in &cases {
        let p: Vec<(&str, &str)> = p.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        for (s, b) in [app.post_form(path, &p).await, app.get(path, &p).await] {
            assert_eq!(s, 400, "{path} {p:?}: {b}");
            assert_eq!(b["success"], false, "{path} {p:?}");
            assert!(!b["msg"].as_str().unwrap().is_empty());
            assert_eq!(keys(&b), ["success", "msg"]);
        }
    }
    // JSON bodies: a wrong enum value, and a body that is no JSON object.
    let (s, b) = app
        .post_json(
            "/api/im/sendMsg",
            &[],
            &json!({"appid": "JH", "from": "200", "to": "2",
            "fromrole": "MEMBER", "content": "x", "type": "TEXT", "channel": "SMS"}),
        )
        .await;
    assert_eq!((s, b["success"].clone()), (400, json!(false)));
    assert!(b["msg"].as_str().unwrap().contains("channel"));
    let (s, b) = app.post_json("/api/im/sendMsg", &[], &json!(["JH"])).await;
    assert_eq!((s, b["success"].clone()), (400, json!(false)));
    let r = app
        .http
        .post(format!("{}/api/im/sendMsg", app.base))
        .header("content-type", "application/json")
        .body("{\"appid\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["success"], false);
    assert_eq!(app.snapshot().await, snap);
}

#[actix_web::test]
async fn hot_queries_use_indexes() {
    let app = TestApp::start().await;
    app.store().create_all_indexes().await.unwrap();
    insert(
        &app,
        vec![record(
            "5993a4fd3a9bc75c1cb2f64f",
            "200",
            "2",
            "MEMBER",
            1502877053329,
        )],
    )
    .await;
    let db = app.store().client.database(&app.store().jh_db);
    let coll = &app.store().jh_collection;
    // SecantusDB (the test server) plans no `$or` through indexes, so each branch of
    // the poll/history `$or` is checked on its own (MongoDB merges the two index scans).
    let filters = [
        (
            doc! {"appid": "JH", "from": "200", "to": "2", "fromrole": "MEMBER",
            "sendtime": {"$gt": 1i64}},
            doc! {"sendtime": -1, "_id": -1},
        ),
        (
            doc! {"appid": "JH", "from": "2", "to": "200", "torole": "MEMBER",
            "sendtime": {"$lte": 1i64}},
            doc! {"sendtime": -1, "_id": -1},
        ),
        (
            doc! {"appid": "JH", "from": "200", "to": "2", "fromrole": "MEMBER", "status": 0},
            doc! {},
        ),
    ];
    for (filter, sort) in filters {
        let r = db
            .run_command(
                doc! {"explain": {"find": coll, "filter": filter, "sort": sort},
                "verbosity": "queryPlanner"},
            )
            .await
            .unwrap();
        let text = r.to_string();
        assert!(!text.contains("COLLSCAN"), "{text}");
        assert!(text.contains("IXSCAN"), "{text}");
    }
}

/// Review #25: open by default like the original; an operator may restrict
/// JH to client addresses and/or a shared key (403, nothing stored).
#[actix_web::test]
async fn jh_can_be_restricted_to_clients_and_a_key() {
    let poll = [
        ("appid", "JH"),
        ("from", "200"),
        ("to", "2"),
        ("fromrole", "MEMBER"),
        ("lasttime", "1502877054100"),
    ];
    let app = TestApp::start().await;
    let (s, b) = app.get("/api/im/getNewestMsgListByLastTime", &poll).await;
    assert_eq!((s, &b["success"]), (200, &serde_json::json!(true)), "{b}");

    let app = TestApp::start_with(&[("JH_ALLOWED_CLIENTS", "10.0.0.7")]).await;
    let (s, b) = app.get("/api/im/getNewestMsgListByLastTime", &poll).await;
    assert_eq!(
        (s, &b["success"], &b["msg"]),
        (
            403,
            &serde_json::json!(false),
            &serde_json::json!("forbidden")
        ),
        "{b}"
    );
    let before = app.snapshot().await;
    let (s, _) = app.post_form("/api/im/sendMsg", &SEND).await;
    assert_eq!(s, 403);
    assert!(app.snapshot().await == before);

    let app = TestApp::start_with(&[
        ("JH_ALLOWED_CLIENTS", "127.0.0.1"),
        ("JH_KEY", "jh-shared-key"),
    ])
    .await;
    let (s, _) = app.get("/api/im/getNewestMsgListByLastTime", &poll).await;
    assert_eq!(s, 403, "no key");
    let r = app
        .http
        .get(format!("{}/api/im/getNewestMsgListByLastTime", app.base))
        .query(&poll)
        .header("X-JH-Key", "jh-shared-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
