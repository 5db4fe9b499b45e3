//! `/public/*` (Android's public-account menus and search: `ChatActivity`,
//! `SquareFragment`, `PublicNumberListActivity`) and
//! `/CustomerService/commonText/*` (the web client's quick replies,
//! `src/api/commonTexts.js`).

use crate::common;

use bson::{doc, oid::ObjectId, Bson, Document};
use common::TestApp;
use serde_json::{json, Value};

async fn seeded() -> (TestApp, String, String) {
    let app = TestApp::start().await;
    app.load_seed().await;
    let a = app.token_for(100164).await;
    let b = app.token_for(100102).await;
    (app, a, b)
}

async fn android_get(
    app: &TestApp,
    tok: &str,
    path: &str,
    extra: &[(&'static str, &str)],
) -> Value {
    let p = common::android(100164, tok, extra);
    let (status, r) = app.get_pairs(path, &p).await;
    assert_eq!((status, &r["resultCode"]), (200, &json!(1)), "{path}: {r}");
    r
}

/// A chat with an account that has no menu (every user of the deployment is
/// `userType` 2, so Android asks at every chat): `data: []`, never a failure.
/// With the console's menus: top items in `index` order, each with its
/// sub-items; ids as the console stored them (Int64).
#[actix_web::test]
async fn menus_are_answered_for_every_chat() {
    let (app, a, _) = seeded().await;
    let r = android_get(&app, &a, "/public/menu/list", &[("userId", "100102")]).await;
    assert_eq!(r["data"], json!([]));

    let menu = |id: i64, parent: i64, index: i32, name: &str, url: &str| {
        doc! {"_id": id, "menuId": "", "parentId": parent, "userId": 10000, "index": index, "name": name, "url": url}
    };
    app.insert(
        &app.store().cfg.imapi,
        "mp_menu",
        vec![
            menu(1_700_000_000_000_002, 0, 2, "帮助", "http://h/help"),
            menu(1_700_000_000_000_001, 0, 1, "服务", ""),
            menu(1_700_000_000_000_011, 1_700_000_000_000_001, 2, "退款", "http://h/re fund"),
            menu(1_700_000_000_000_010, 1_700_000_000_000_001, 1, "订单", "http://h/orders"),
            doc! {"_id": 1_700_000_000_000_020i64, "parentId": 0i64, "userId": 100102, "index": 1, "name": "别人的"},
        ],
    )
    .await;
    let r = android_get(&app, &a, "/public/menu/list", &[("userId", "10000")]).await;
    let items = r["data"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], 1_700_000_000_000_001i64);
    assert_eq!(items[0]["name"], "服务");
    assert_eq!(items[0]["parentId"], 0);
    assert_eq!(items[0]["userId"], 10000);
    let subs = items[0]["menuList"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0]["name"], "订单");
    assert_eq!(subs[1]["url"], "http://h/refund");
    assert_eq!(subs[0]["parentId"], 1_700_000_000_000_001i64);
    assert!(subs[0].get("menuList").is_none());
    assert_eq!(items[1]["name"], "帮助");
    assert_eq!(items[1]["menuList"], json!([]));
}

/// The `userId`s of a list of cards.
fn user_ids(r: &Value) -> Vec<i64> {
    r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_i64().unwrap())
        .collect()
}

/// The Discover tab (no keyword) and the search (`keyWorld`, `page`,
/// `limit` 50): public accounts as cards, without phone, position or account.
#[actix_web::test]
async fn public_accounts_are_found_by_id_phone_or_name() {
    let (app, a, _) = seeded().await;
    // One user who is not a public account.
    app.store()
        .users()
        .update_one(doc! {"_id": 100174}, doc! {"$set": {"userType": 1}})
        .await
        .unwrap();
    let r = android_get(&app, &a, "/public/search/list", &[]).await;
    let ids = user_ids(&r);
    assert_eq!(ids, [10000, 100102, 100158, 100159, 100164]);
    let first = &r["data"][0];
    assert_eq!(first["nickname"], "客服公众号");
    assert_eq!(first["userType"], 2);
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "createTime",
            "description",
            "nickname",
            "sex",
            "userId",
            "userType"
        ],
        "{first}"
    );

    let search = |k: &'static str| {
        let app = &app;
        let a = a.clone();
        async move {
            let r = android_get(
                app,
                &a,
                "/public/search/list",
                &[("page", "0"), ("limit", "50"), ("keyWorld", k)],
            )
            .await;
            user_ids(&r)
        }
    };
    assert_eq!(search("10000").await, [10000]);
    assert_eq!(search("公众").await, [10000]);
    assert_eq!(search("a9GZ").await, [100102]);
    assert_eq!(search("8618094152050").await, [100164]);
    // Taken literally, not as a pattern.
    assert!(search("(.*").await.is_empty());
    // Not a public account.
    assert!(search("周仕彦").await.is_empty());
    // Paged.
    let r = android_get(
        &app,
        &a,
        "/public/search/list",
        &[("page", "1"), ("limit", "2")],
    )
    .await;
    assert_eq!(r["data"][0]["userId"], 100158);
    // Whoever turned off being found by name is not listed without a keyword.
    app.store()
        .users()
        .update_one(
            doc! {"_id": 100158},
            doc! {"$set": {"settings.nameSearch": 0}},
        )
        .await
        .unwrap();
    let r = android_get(&app, &a, "/public/search/list", &[("limit", "100000")]).await;
    let ids = user_ids(&r);
    assert_eq!(ids, [10000, 100102, 100159, 100164]);
    // A page holds at most 50 cards.
    let many: Vec<Document> = (0..60)
        .map(|i| doc! {"_id": 200_000 + i, "nickname": format!("号{i}"), "userType": 2, "createTime": 1_700_000_000i64})
        .collect();
    app.insert(&app.store().cfg.imapi, "user", many).await;
    let r = android_get(&app, &a, "/public/search/list", &[("limit", "100000")]).await;
    assert_eq!(user_ids(&r).len(), 50);
    let p = common::android(100164, &a, &[("page", "-1")]);
    common::refused(&app, "/public/search/list", &p, 1010101).await;
}

/// WX's quick replies: POST forms with its signing parameters; the list is a
/// plain array of `{id, content, …}`; each user's own.
#[actix_web::test]
async fn quick_replies_are_the_callers_own() {
    let (app, a, b) = seeded().await;
    let add = |uid: i64, tok: String, content: &'static str| {
        let app = &app;
        async move {
            let id = uid.to_string();
            let p = common::web(
                uid,
                &tok,
                &[
                    ("companyId", "0"),
                    ("content", content),
                    ("userId", id.as_str()),
                ],
            );
            let (status, r) = app.post_pairs("/CustomerService/commonText/add", &p).await;
            assert_eq!((status, &r["resultCode"]), (200, &json!(1)), "{r}");
            r["data"].clone()
        }
    };
    let first = add(100164, a.clone(), "您好，请问有什么可以帮您？").await;
    assert_eq!(first["content"], "您好，请问有什么可以帮您？");
    assert_eq!(first["createUserId"], 100164);
    assert_eq!(first["companyId"], "0");
    let id = first["id"].as_str().unwrap().to_string();
    add(100164, a.clone(), "稍等").await;
    add(100102, b.clone(), "别人的").await;

    let stored = app.dump(&app.store().cfg.imapi, "commonText").await;
    assert_eq!(stored.len(), 3);
    let s = stored
        .iter()
        .find(|d| d.get_object_id("_id").unwrap().to_hex() == id)
        .unwrap();
    assert_eq!(s.get("createUserId"), Some(&Bson::Int32(100164)));
    assert_eq!(s.get("modifyUserId"), Some(&Bson::Int32(100164)));
    assert!(
        matches!(s.get("createTime"), Some(Bson::Int64(t)) if *t > 1_700_000_000 && *t < 10_000_000_000)
    );
    assert_eq!(s.get_str("companyId").unwrap(), "0");

    let page = |page: &'static str| {
        let app = &app;
        let a = a.clone();
        async move {
            let p = common::web(100164, &a, &[("pageIndex", page), ("pageSize", "15")]);
            let (_, r) = app
                .get_pairs("/CustomerService/commonText/getByUserId", &p)
                .await;
            assert_eq!(r["resultCode"], 1, "{r}");
            r["data"].as_array().unwrap().clone()
        }
    };
    let items = page("0").await;
    let texts: Vec<&str> = items
        .iter()
        .map(|v| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["您好，请问有什么可以帮您？", "稍等"]);
    assert_eq!(items[0]["id"], id.as_str());
    assert!(page("1").await.is_empty());

    // Deleting another user's reply changes nothing; one's own goes.
    let theirs = app
        .dump(&app.store().cfg.imapi, "commonText")
        .await
        .into_iter()
        .find(|d| d.get("createUserId") == Some(&Bson::Int32(100102)))
        .unwrap()
        .get_object_id("_id")
        .unwrap()
        .to_hex();
    for (target, left) in [(theirs.as_str(), 3), (id.as_str(), 2)] {
        let p = common::web(
            100164,
            &a,
            &[
                ("companyId", "0"),
                ("commonTextId", target),
                ("userId", "100164"),
            ],
        );
        let (_, r) = app
            .post_pairs("/CustomerService/commonText/delete", &p)
            .await;
        assert_eq!(r["resultCode"], 1, "{r}");
        assert_eq!(
            app.dump(&app.store().cfg.imapi, "commonText").await.len(),
            left
        );
    }

    // Bad input: nothing changes.
    let long = "长".repeat(2001);
    for (path, extra) in [
        ("/CustomerService/commonText/add", vec![("content", "  ")]),
        (
            "/CustomerService/commonText/add",
            vec![("content", long.as_str())],
        ),
        (
            "/CustomerService/commonText/delete",
            vec![("commonTextId", "nonsense")],
        ),
        ("/CustomerService/commonText/delete", vec![]),
    ] {
        let p = common::web(100164, &a, &extra);
        common::refused(&app, path, &p, 1010101).await;
    }

    // A user keeps at most 500 quick replies.
    let filler: Vec<Document> = (0..498)
        .map(|i| {
            doc! {"_id": ObjectId::new(), "createUserId": 100164, "content": format!("第{i}条"),
            "createTime": 1_700_000_000i64, "modifyUserId": 100164, "companyId": "0"}
        })
        .collect();
    app.insert(&app.store().cfg.imapi, "commonText", filler)
        .await;
    let p = common::web(100164, &a, &[("content", "第五百条")]);
    let (_, r) = app.post_pairs("/CustomerService/commonText/add", &p).await;
    assert_eq!(r["resultCode"], 1, "the 500th: {r}");
    let p = common::web(100164, &a, &[("content", "满了")]);
    common::refused(&app, "/CustomerService/commonText/add", &p, 0).await;
}
