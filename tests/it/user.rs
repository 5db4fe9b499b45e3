//! Issue 5: `/user/get` (seed section 1.1).

use crate::common;

use bson::doc;
use common::TestApp;
use serde_json::{json, Value};

/// Seed section 1.1: the `data` of `/user/get` for user 100164 reading itself.
const SEED_1_1: &str = r#"{
 "account": "100164373329",
 "active": 0,
 "areaCode": "86",
 "areaId": 0,
 "attCount": 0,
 "birthday": 0,
 "cityId": 0,
 "countryId": 0,
 "createTime": 1612772503,
 "description": "",
 "encryAccount": "ccaa643b00b40998dfb81f34ed8fdc78",
 "fansCount": 0,
 "friendsCount": 0,
 "idcard": "",
 "idcardUrl": "",
 "isAuth": 0,
 "isOpenResetPwd": 0,
 "isPasuse": 0,
 "level": 0,
 "loc": {
  "lat": 0.0,
  "lng": 0.0
 },
 "modifyTime": 1612772503,
 "msgNum": 0,
 "myInviteCode": "",
 "name": "",
 "nickname": "张益达",
 "notLetSeeHim": false,
 "notSeeHim": false,
 "num": 0,
 "offlineNoPushMsg": 0,
 "onlinestate": 0,
 "password": "1a850742f81ddc04da6f7648a4af0e47",
 "payPassword": "0",
 "phone": "18094152050",
 "provinceId": 0,
 "realNameCertified": 0,
 "role": [
  2
 ],
 "setAccountCount": 0,
 "settings": {
  "allowAtt": 1,
  "allowGreet": 1,
  "authSwitch": 0,
  "beInvitedJoinRoom": 0,
  "chatRecordTimeOut": "-1.0",
  "chatSyncTimeLen": 30.0,
  "closeTelephoneFind": 1,
  "friendFromList": "1,2,3,4,5",
  "friendsVerify": 1,
  "hiding": -1,
  "isKeepalive": 1,
  "isOpenPrivacyPosition": 1,
  "isShowMsgState": 1,
  "isSkidRemoveHistoryMsg": 1,
  "isTyping": 0,
  "isUseGoogleMap": 0,
  "isVibration": 0,
  "multipleDevices": 1,
  "nameSearch": 1,
  "openService": 0,
  "phoneSearch": 1,
  "showLastLoginTime": -1,
  "showTelephone": -1
 },
 "sex": 1,
 "showLastLoginTime": 1612835799,
 "status": 1,
 "telephone": "8618094152050",
 "totalConsume": 0.0,
 "totalRecharge": 0.0,
 "userId": 100164,
 "userKey": "aee198505eda1e401e36f36e2c0f4ab5",
 "userType": 2,
 "vip": 0,
 "walletUserNo": 0,
 "withdrawBurnReadTime": 0
}"#;

fn imapi(app: &TestApp) -> String {
    app.store().cfg.imapi.clone()
}

#[actix_web::test]
async fn self_get_is_the_seed_document_on_get_and_post() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let mut expected: Value = serde_json::from_str(SEED_1_1).unwrap();
    // The loaded seed replaces the capture's password hash with one of a known
    // password (see `seed.rs`); the owner is answered whatever is stored.
    let stored = app.dump(&imapi(&app), "user").await;
    let me = stored
        .iter()
        .find(|d| d.get_i32("_id") == Ok(100164))
        .unwrap();
    expected["password"] = json!(me.get_str("password").unwrap());
    for (status, body) in [
        app.get("/user/get", &[("access_token", &token), ("flag", "rw")])
            .await,
        app.post_form(
            "/user/get",
            &[("access_token", &token), ("userId", "100164")],
        )
        .await,
        app.get("/user/get", &[("access_token", &token), ("userId", "0")])
            .await,
    ] {
        assert_eq!(status, 200);
        assert_eq!(body["resultCode"], 1);
        assert!(body["currentTime"].as_i64().unwrap() > 1_600_000_000_000);
        assert!(body.get("resultMsg").is_none());
        assert_eq!(body["data"], expected);
        // Same key order as fastjson (sorted), nested too.
        assert_eq!(
            serde_json::to_string(&body["data"]).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }
}

#[actix_web::test]
async fn another_users_profile_hides_secrets_and_counters() {
    let app = TestApp::start().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "user",
        vec![
            doc! {"_id": 100300, "nickname": "me", "account": "100300111111", "password": "p1",
            "payPassword": "", "settings": {"hiding": -1}, "userType": 2, "role": [2]},
            doc! {"_id": 100301, "nickname": "他", "account": "100301222222",
            "password": "secret-hash", "payPassword": "pay-hash", "userKey": "uk",
            "balance": 12.5, "balanceSafe": "x", "offlineNoPushMsg": 1, "openid": "o",
            "dhMsgPrivateKey": "dh", "rsaMsgPrivateKey": "rsa", "loginLog": {"loginTime": 1i64},
            "attCount": 3, "fansCount": 4, "friendsCount": 5, "msgNum": 6,
            "totalRecharge": 7.5, "totalConsume": 8.5, "telephone": "8613000000000",
            "settings": {"showTelephone": -1, "allowAtt": 1}, "loc": {"lng": 1.5, "lat": 2.5},
            "sex": 0, "status": 1},
        ],
    )
    .await;
    app.insert(
        &db,
        "u_friends",
        vec![
            doc! {"userId": 100300, "toUserId": 100301, "status": 2, "toNickname": "他",
            "blacklist": 0, "isBeenBlack": 0, "createTime": 5i64},
        ],
    )
    .await;
    let token = app.token_for(100300).await;
    let (s, b) = app
        .get(
            "/user/get",
            &[("access_token", &token), ("userId", "100301")],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["resultCode"], 1);
    let d = &b["data"];
    assert_eq!(d["userId"], 100301);
    assert_eq!(d["nickname"], "他");
    for hidden in [
        "password",
        "userKey",
        "balance",
        "balanceSafe",
        "offlineNoPushMsg",
        "openid",
        "dhMsgPrivateKey",
        "rsaMsgPrivateKey",
        "loginLog",
        "_id",
    ] {
        assert!(d.get(hidden).is_none(), "{hidden} leaked: {d}");
    }
    assert_eq!(d["payPassword"], "0");
    assert_eq!(d["attCount"], 0);
    assert_eq!(d["fansCount"], 0);
    assert_eq!(d["friendsCount"], 0);
    assert_eq!(d["msgNum"], 0);
    assert_eq!(d["totalRecharge"], json!(0.0));
    assert_eq!(d["totalConsume"], json!(0.0));
    assert_eq!(d["settings"]["allowAtt"], 1);
    assert_eq!(d["settings"]["showTelephone"], -1);
    assert_eq!(d["settings"]["allowGreet"], 1, "the original's default");
    // showTelephone -1: the number is for the owner only.
    assert_eq!(d["telephone"], "");
    assert!(d.get("phone").is_none() && d.get("areaCode").is_none());
    assert_eq!(
        serde_json::to_string(&d["loc"]).unwrap(),
        r#"{"lat":2.5,"lng":1.5}"#
    );
    // The caller's relation to that user rides along (UserVo.friends).
    assert_eq!(d["friends"]["status"], 2);
    assert_eq!(d["friends"]["toUserId"], 100301);
    assert!(d["friends"].get("_id").is_none());

    // The owner, by contrast, gets the password hash and a set pay password as "1",
    // but never the balance.
    let t2 = app.token_for(100301).await;
    let (_, b) = app.post_form("/user/get", &[("access_token", &t2)]).await;
    let d = &b["data"];
    assert_eq!(d["password"], "secret-hash");
    assert_eq!(d["payPassword"], "1");
    assert_eq!(d["userKey"], "uk");
    assert_eq!(d["friendsCount"], 5);
    assert_eq!(d["totalRecharge"], json!(7.5));
    assert!(d.get("balance").is_none());
    assert!(d.get("balanceSafe").is_none());
    assert!(d.get("friends").is_none());
}

/// What the original computes rather than stores (`@NotSaved`/`@Transient`):
/// roles from `userRoles`, the wallet flag and message keys from `auth_keys`,
/// the last login from `userLoginLog` as the privacy settings allow, the
/// moments filters of the caller, the promotion invite code.
#[actix_web::test]
async fn computed_fields_follow_the_original() {
    let app = TestApp::start().await;
    let db = imapi(&app);
    app.insert(
        &db,
        "user",
        vec![
            // Stale stored copies of computed fields are not answered.
            doc! {"_id": 100310, "nickname": "me", "telephone": "8613000000310", "phone": "13000000310",
            "areaCode": "86", "role": [9], "myInviteCode": "stale", "walletUserNo": 5,
            "showLastLoginTime": 7i64, "notSeeHim": true,
            "settings": {"showLastLoginTime": -1, "showTelephone": -1,
                "notSeeFilterCircleUserIds": [100311], "filterCircleUserIds": [100312]}},
            doc! {"_id": 100311, "nickname": "friend", "telephone": "8613000000311",
            "phone": "13000000311", "areaCode": "86",
            "settings": {"showLastLoginTime": 2, "showTelephone": 1}},
            doc! {"_id": 100312, "nickname": "stranger", "telephone": "8613000000312",
            "settings": {"showLastLoginTime": 2, "showTelephone": 2}},
        ],
    )
    .await;
    app.insert(
        &db,
        "userRoles",
        vec![
            doc! {"userId": 100310, "role": 2, "status": 1},
            doc! {"userId": 100310, "role": 5, "status": 1},
            doc! {"userId": 100310, "role": 7, "status": -1},
            doc! {"userId": 100311, "role": 2, "status": 1},
        ],
    )
    .await;
    app.insert(
        &db,
        "userLoginLog",
        vec![
            doc! {"_id": 100310, "loginLog": {"loginTime": 1_700_000_310i64}},
            doc! {"_id": 100311, "loginLog": {"loginTime": 1_700_000_311i64}},
            doc! {"_id": 100312, "loginLog": {"loginTime": 1_700_000_312i64}},
        ],
    )
    .await;
    app.insert(
        &db,
        "auth_keys",
        vec![
            doc! {"_id": 100310, "walletUserNo": "W1",
            "msgDHKeyPair": {"publicKey": "dhpub", "privateKey": "dhpriv"},
            "msgRsaKeyPair": {"publicKey": "rsapub", "privateKey": "rsapriv"}},
            doc! {"_id": 100311, "msgDHKeyPair": {"publicKey": "fdhpub", "privateKey": "fdhpriv"}},
        ],
    )
    .await;
    app.insert(
        &db,
        "u_friends",
        vec![doc! {"userId": 100310, "toUserId": 100311, "status": 2, "toNickname": "friend"}],
    )
    .await;
    app.insert(&db, "config", vec![doc! {"registerInviteCode": 2}])
        .await;
    app.insert(
        &db,
        "inviteCode",
        vec![doc! {"userId": 100310, "inviteCode": "8Q3ZK2", "status": 0}],
    )
    .await;
    let token = app.token_for(100310).await;

    let (_, b) = app.get("/user/get", &[("access_token", &token)]).await;
    let d = &b["data"];
    assert_eq!(d["role"], json!([2, 5]), "the disabled role left out");
    assert_eq!(d["myInviteCode"], "8Q3ZK2");
    assert_eq!(d["walletUserNo"], 1);
    assert_eq!(d["isOpenResetPwd"], 0);
    assert_eq!(d["showLastLoginTime"], 1_700_000_310i64);
    assert_eq!(d["notLetSeeHim"], false);
    assert_eq!(d["notSeeHim"], false);
    assert_eq!(d["telephone"], "8613000000310");
    assert_eq!(d["dhMsgPublicKey"], "dhpub");
    assert_eq!(d["dhMsgPrivateKey"], "dhpriv");
    assert_eq!(d["rsaMsgPublicKey"], "rsapub");
    assert_eq!(d["rsaMsgPrivateKey"], "rsapriv");

    // A friend who shows the last login to friends and the phone to everyone;
    // the caller hides his own moments from him (notLetSeeHim).
    let (_, b) = app
        .get(
            "/user/get",
            &[("access_token", &token), ("userId", "100311")],
        )
        .await;
    let d = &b["data"];
    assert_eq!(d["showLastLoginTime"], 1_700_000_311i64);
    assert_eq!(d["notLetSeeHim"], true);
    assert_eq!(d["notSeeHim"], false);
    assert_eq!(d["telephone"], "8613000000311");
    assert_eq!(d["phone"], "13000000311");
    assert_eq!(d["walletUserNo"], 0);
    for own in ["role", "myInviteCode", "dhMsgPublicKey", "dhMsgPrivateKey"] {
        assert!(d.get(own).is_none(), "{own} answered for another user: {d}");
    }

    // A stranger who shows both to friends only; the caller hides his moments.
    let (_, b) = app
        .get(
            "/user/get",
            &[("access_token", &token), ("userId", "100312")],
        )
        .await;
    let d = &b["data"];
    assert_eq!(d["showLastLoginTime"], 0);
    assert_eq!(d["telephone"], "");
    assert_eq!(d["notLetSeeHim"], false);
    assert_eq!(d["notSeeHim"], true);
}

#[actix_web::test]
async fn by_account_and_unknown_users() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let (_, b) = app
        .get(
            "/user/get",
            &[("access_token", &token), ("userId", "100158644641")],
        )
        .await;
    assert_eq!(b["resultCode"], 1);
    assert_eq!(b["data"]["userId"], 100158);
    assert!(b["data"].get("password").is_none());

    let before = app.snapshot().await;
    for uid in ["999999", "nobody"] {
        let (s, b) = app
            .get("/user/get", &[("access_token", &token), ("userId", uid)])
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            b,
            json!({"detailMsg": "", "resultCode": 100211, "resultMsg": "该用户不存在"})
        );
    }
    let (_, b) = app.get("/user/get", &[("userId", "100164")]).await;
    assert_eq!(b["resultCode"], 1030101);
    let (_, b) = app.get("/user/get", &[("access_token", "bogus")]).await;
    assert_eq!(b["resultCode"], 1030102);
    assert_eq!(app.snapshot().await, before);
}

/// Android after its IM login (`CoreService.getInterfaceTransferInOfflineTime`):
/// GET `offlineTime` (seconds) → the caller's records newer than it, each with
/// its `tag`; Android reads `tag`, `userId`, `friendId`, `operationTime`.
#[actix_web::test]
async fn offline_operations_since_a_time() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let imapi = app.store().cfg.imapi.clone();
    let (a, b) = (bson::oid::ObjectId::new(), bson::oid::ObjectId::new());
    app.insert(&imapi, "offlineOperation", vec![
        bson::doc! {"_id": a, "userId": 100164, "tag": "friend", "friendId": "100102", "operationTime": 1612772600i64},
        bson::doc! {"_id": b, "userId": 100164, "tag": "room", "friendId": "60332a72d656fd634b20f20a", "operationTime": 1612772700i64},
        bson::doc! {"_id": bson::oid::ObjectId::new(), "userId": 100164, "tag": "label", "friendId": "100164", "operationTime": 1612772000i64},
        bson::doc! {"_id": bson::oid::ObjectId::new(), "userId": 100164, "friendId": "1", "operationTime": 1612772800i64},
        bson::doc! {"_id": bson::oid::ObjectId::new(), "userId": 100102, "tag": "friend", "friendId": "100164", "operationTime": 1612772900i64},
    ]).await;
    let (s, body) = app
        .get(
            "/user/offlineOperation",
            &[
                ("access_token", token.as_str()),
                ("offlineTime", "1612772500.5"),
            ],
        )
        .await;
    assert_eq!((s, body["resultCode"].as_i64()), (200, Some(1)), "{body}");
    assert_eq!(
        body["data"],
        json!([
            {"friendId": "100102", "id": a.to_hex(), "operationTime": 1612772600i64, "tag": "friend", "userId": 100164},
            {"friendId": "60332a72d656fd634b20f20a", "id": b.to_hex(), "operationTime": 1612772700i64, "tag": "room", "userId": 100164},
        ])
    );
    let (_, body) = app
        .get(
            "/user/offlineOperation",
            &[("access_token", token.as_str())],
        )
        .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 3, "{body}");
    let (_, body) = app
        .get(
            "/user/offlineOperation",
            &[("access_token", token.as_str()), ("offlineTime", "soon")],
        )
        .await;
    assert_eq!(body["resultCode"], 1010101);
    let (_, body) = app.get("/user/offlineOperation", &[]).await;
    assert_eq!(body["resultCode"], 1030101);
}

/// Android's data download asks `addressBook/getAll` only when `/config` says
/// `showContactsUser` 1; with 0 (this deployment) the original answers a bare
/// success, which Android accepts.
/// Android's `MainActivity.uploadAddressBook` (POST form, `uploadJsonStr` as
/// fastjson writes the renamed `Contacts` beans), then `DataDownloadActivity`'s
/// `addressBook/getAll` (GET with `telephone`), then a deletion.
#[actix_web::test]
async fn address_book_upload_and_download_like_android() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let token = app.token_for(100164).await;
    let book = app.store().cfg.addressbook.clone();
    let (_, config) = app.get("/config", &[]).await;
    assert_eq!(config["data"]["showContactsUser"], 0);

    // Empty before any upload.
    let (s, body) = app
        .get(
            "/addressBook/getAll",
            &[
                ("access_token", token.as_str()),
                ("telephone", "8618094152050"),
            ],
        )
        .await;
    assert_eq!((s, body["resultCode"].as_i64()), (200, Some(1)), "{body}");
    assert_eq!(body["data"], json!([]));

    // 100102 is a friend (seed), 100174 a registered stranger, one number is
    // nobody's, one is the caller's own, one is sent twice.
    let upload = r#"[{"toRemarkName":"老朋友","toTelephone":"8615730107952"},{"toRemarkName":"周","toTelephone":"86 139-8300-1174"},{"toRemarkName":"无名","toTelephone":"8613900000000"},{"toRemarkName":"我","toTelephone":"8618094152050"},{"toRemarkName":"又是周","toTelephone":"8613983001174"}]"#;
    let users = app.dump(&imapi(&app), "user").await;
    let phone_of = |id: i32| {
        users
            .iter()
            .find(|u| u.get_i32("_id") == Ok(id))
            .unwrap()
            .get_str("telephone")
            .unwrap()
            .to_string()
    };
    assert_eq!(phone_of(100102), "8615730107952");
    assert_eq!(phone_of(100174), "8613983001174");
    let (s, body) = app
        .post_form(
            "/addressBook/upload",
            &[("access_token", token.as_str()), ("uploadJsonStr", upload)],
        )
        .await;
    assert_eq!((s, body["resultCode"].as_i64()), (200, Some(1)), "{body}");
    let answered = body["data"].as_array().unwrap();
    assert_eq!(answered.len(), 2, "{body}");
    let friend = &answered[0];
    assert_eq!(friend["id"].as_str().unwrap().len(), 24);
    assert_eq!(friend["telephone"], "8618094152050");
    assert_eq!(friend["toTelephone"], "8615730107952");
    assert_eq!(friend["userId"], 100164);
    assert_eq!(friend["toUserId"], 100102);
    assert!(friend["toUserName"].is_string());
    assert_eq!(friend["registerEd"], 1);
    assert!(friend["registerTime"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(friend["toRemarkName"], "老朋友");
    assert_eq!(friend["status"], 2);
    assert_eq!(answered[1]["toUserId"], 100174);
    assert_eq!(answered[1]["toTelephone"], "8613983001174");
    assert_eq!(answered[1]["status"], 0);

    // Stored in the owner's shard ("10"), with the original's types.
    let stored = app.dump(&book, "10").await;
    assert_eq!(stored.len(), 3, "{stored:?}");
    let nobody = stored
        .iter()
        .find(|d| d.get_str("toTelephone") == Ok("8613900000000"))
        .unwrap();
    assert_eq!(nobody.get_i32("registerEd"), Ok(0));
    assert_eq!(nobody.get_i64("registerTime"), Ok(0));
    assert_eq!(nobody.get_i32("status"), Ok(0));
    assert_eq!(nobody.get_i32("userId"), Ok(100164));
    assert!(nobody.get("toUserId").is_none());
    let f = stored
        .iter()
        .find(|d| d.get_str("toTelephone") == Ok("8615730107952"))
        .unwrap();
    assert_eq!(f.get_i32("toUserId"), Ok(100102));
    assert!(matches!(f.get("registerTime"), Some(bson::Bson::Int64(_))));
    assert_eq!(
        f.get_object_id("_id").unwrap().to_hex(),
        friend["id"].as_str().unwrap()
    );

    // The same book again: nothing new stored, nothing answered.
    let (_, body) = app
        .post_form(
            "/addressBook/upload",
            &[("access_token", token.as_str()), ("uploadJsonStr", upload)],
        )
        .await;
    assert_eq!(body["data"], json!([]), "{body}");
    assert_eq!(app.dump(&book, "10").await.len(), 3);

    // Download: the registered ones.
    let (_, body) = app
        .get(
            "/addressBook/getAll",
            &[
                ("access_token", token.as_str()),
                ("telephone", "8618094152050"),
            ],
        )
        .await;
    let ids: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["toUserId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![100102, 100174]);
    assert!(body["data"][0]["registerTime"].is_i64());

    // Malformed input changes nothing.
    let before = app.snapshot().await;
    for (param, value) in [
        ("uploadJsonStr", "[{\"toTelephone\":"),
        ("uploadJsonStr", "{\"toTelephone\":\"1\"}"),
        ("uploadJsonStr", "[{\"toTelephone\":\"12ab\"}]"),
        ("uploadStr", "123,x"),
    ] {
        let (s, body) = app
            .post_form(
                "/addressBook/upload",
                &[("access_token", token.as_str()), (param, value)],
            )
            .await;
        assert_eq!(
            (s, body["resultCode"].as_i64()),
            (200, Some(1010101)),
            "{value}: {body}"
        );
    }
    let (_, body) = app
        .post_form("/addressBook/upload", &[("access_token", token.as_str())])
        .await;
    assert_eq!(body["resultCode"], 1010101);
    let (_, body) = app
        .post_form("/addressBook/upload", &[("uploadStr", "8613900000000")])
        .await;
    assert_eq!(body["resultCode"], 1030101);
    assert!(app.snapshot().await == before);

    // Deletion (the older comma form).
    let (_, body) = app
        .post_form(
            "/addressBook/upload",
            &[
                ("access_token", token.as_str()),
                ("deleteStr", "86 1573-0107952,8613900000000"),
            ],
        )
        .await;
    assert_eq!(body["resultCode"], 1, "{body}");
    assert!(body.get("data").is_none());
    let left = app.dump(&book, "10").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].get_str("toTelephone"), Ok("8613983001174"));
    let (_, body) = app.get("/addressBook/getAll", &[]).await;
    assert_eq!(body["resultCode"], 1030101);
}
