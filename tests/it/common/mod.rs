//! Shared test helper: starts the real application on a random port against the
//! real test database (`TEST_MONGODB_URI`, set by `scripts/test.sh`), with
//! database names of its own so that tests run in parallel without touching
//! each other.
#![allow(dead_code)]

pub mod client;
pub mod mq;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::web;
use bson::{doc, Document};
use serde_json::Value;
use shiku_api::config::Config;
use shiku_api::store::sessions::Kind;
use shiku_api::store::Store;
use shiku_api::AppState;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub state: web::Data<AppState>,
    pub prefix: String,
    pub upload_dir: std::path::PathBuf,
    /// The first instance on `prefix` removes the upload folder when dropped.
    owns_uploads: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_uploads {
            let _ = std::fs::remove_dir_all(&self.upload_dir);
        }
    }
}

/// The OpenIM secret of every test app (a private one: the public default turns OpenIM off).
pub const OPENIM_SECRET: &str = "test-openim-secret-0123456789";

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn mongo_uri() -> String {
    std::env::var("TEST_MONGODB_URI")
        .expect("TEST_MONGODB_URI is not set: run the tests with scripts/test.sh")
}

/// A unique prefix for this test's database names (max 63 chars per name).
pub fn unique_prefix() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("t{}_{}_{}", std::process::id(), n, rand::random::<u16>())
}

/// The settings of a test app: its own databases and upload directory.
pub fn test_env(prefix: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let upload_dir = std::env::temp_dir().join(format!("shiku-uploads-{prefix}"));
    let mut m: HashMap<String, String> = [
        ("MONGODB_URI", mongo_uri()),
        ("DB_IMAPI", format!("{prefix}_imapi")),
        ("DB_ROOM", format!("{prefix}_room")),
        ("DB_MSGS", format!("{prefix}_msgs")),
        ("DB_LASTCHAT", format!("{prefix}_last")),
        ("DB_ROOM_MEMBER", format!("{prefix}_member")),
        ("DB_ROOM_JIDS", format!("{prefix}_jids")),
        ("DB_RESOURCES", format!("{prefix}_res")),
        ("DB_ADDRESSBOOK", format!("{prefix}_book")),
        ("JH_DB", format!("{prefix}_jh")),
        ("UPLOAD_DIR", upload_dir.to_string_lossy().to_string()),
        ("UPLOAD_BASE_URL", "http://files.test".to_string()),
        ("MONGO_TIMEOUT_MS", "10000".to_string()),
        ("LOG", "warn".to_string()),
        ("OPENIM_SECRET", OPENIM_SECRET.to_string()),
        ("API_KEY", client::API_KEY.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // scripts/test.sh records the shape of every query of the suite.
    if let Ok(log) = std::env::var("QUERY_LOG") {
        m.insert("QUERY_LOG".into(), log);
    }
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts the app with extra settings (e.g. `("REDIS_URL", ...)`).
    pub async fn start_with(extra: &[(&str, &str)]) -> Self {
        Self::start_on(&unique_prefix(), extra, true).await
    }

    /// A second instance of the service on this one's databases (and, with
    /// the same `REDIS_URL`, its Redis): what a load balancer spreads over.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> Self {
        Self::start_on(&self.prefix, extra, false).await
    }

    async fn start_on(prefix: &str, extra: &[(&str, &str)], owns_uploads: bool) -> Self {
        shiku_api::http::logging::init_for_tests("warn");
        let prefix = prefix.to_string();
        let env = test_env(&prefix, extra);
        let cfg = Config::from_lookup(&|k| env.get(k).cloned()).expect("test config");
        let upload_dir = cfg.upload_dir.clone();
        let state = web::Data::new(AppState::new(cfg).await.expect("app state"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = shiku_api::serve(state.clone(), listener).unwrap();
        actix_web::rt::spawn(server);
        TestApp {
            base,
            http: reqwest::Client::new(),
            state,
            prefix,
            upload_dir,
            owns_uploads,
        }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// A session for `user_id`, as `/user/login` would create it.
    pub async fn token_for(&self, user_id: i64) -> String {
        let token = format!("tok{user_id}x{}", rand::random::<u32>());
        self.state
            .sessions
            .save(Kind::Login, user_id, &token)
            .await
            .unwrap();
        token
    }

    /// GET with query parameters; returns (HTTP status, JSON body).
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{}", self.base, path))
            .query(params)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POST as `application/x-www-form-urlencoded`.
    pub async fn post_form(&self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(params)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// GET with owned parameter values (signed client requests).
    pub async fn get_pairs(&self, path: &str, params: &[(&str, String)]) -> (u16, Value) {
        let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.get(path, &p).await
    }

    /// POST a form with owned parameter values (signed client requests).
    pub async fn post_pairs(&self, path: &str, params: &[(&str, String)]) -> (u16, Value) {
        let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_form(path, &p).await
    }

    /// A user document as the Java server stores it, with `stored_password`
    /// (the older `md5(p)` or the newer `loginPassword` form).
    pub async fn insert_user(&self, id: i32, phone: &str, stored_password: &str) {
        let telephone = format!("86{phone}");
        self.insert(
            &self.store().cfg.imapi,
            "user",
            vec![doc! {
                "_id": id, "nickname": "张益达", "phone": phone, "telephone": &telephone, "areaCode": "86",
                "password": stored_password, "sex": 1, "birthday": 0i64, "offlineNoPushMsg": 0, "status": 1,
                "settings": {"multipleDevices": 1, "chatSyncTimeLen": 30.0}, "role": [2], "myInviteCode": "",
                "payPassword": "0", "createTime": 1612772503i64,
                "userKey": client::md5_hex(&telephone), "account": format!("{id}373329"),
            }],
        )
        .await;
    }

    /// POST a JSON body with headers.
    pub async fn post_json(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> (u16, Value) {
        let mut rb = self.http.post(format!("{}{}", self.base, path)).json(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Inserts raw documents into `db.coll` (as the Java server stored them).
    pub async fn insert(&self, db: &str, coll: &str, docs: Vec<Document>) {
        self.store()
            .client
            .database(db)
            .collection::<Document>(coll)
            .insert_many(docs)
            .await
            .unwrap();
    }

    /// Every document of `db.coll`, in natural order, for before/after comparisons.
    pub async fn dump(&self, db: &str, coll: &str) -> Vec<Document> {
        use futures::TryStreamExt;
        self.store()
            .client
            .database(db)
            .collection::<Document>(coll)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    /// Every collection of every test database with its documents: a snapshot
    /// to prove that a refused request changed nothing.
    pub async fn snapshot(&self) -> Vec<(String, String, Vec<Document>)> {
        let mut out = Vec::new();
        let c = &self.store().cfg;
        let dbs = [
            &c.imapi,
            &c.room,
            &c.msgs,
            &c.lastchat,
            &c.room_member,
            &c.room_jids,
            &c.resources,
            &c.addressbook,
            &self.store().jh_db,
        ];
        for db in dbs {
            let mut names = self
                .store()
                .client
                .database(db)
                .list_collection_names()
                .await
                .unwrap();
            names.sort();
            for n in names {
                let docs = self.dump(db, &n).await;
                out.push((db.to_string(), n, docs));
            }
        }
        out
    }

    /// Loads `data/seed.json` (the seed API document's records) into this app's databases.
    pub async fn load_seed(&self) {
        shiku_api::seed::load(self.store()).await.unwrap();
    }
}

/// The deployment's PC client's request: a POST form with the caller's token
/// and its signing parameters (`token` of the task system, `salt`, `secret`;
/// not verified unless `AUTH_API` is on) beside `extra`.
/// An OpenIM admin token, as the task system asks for one.
pub async fn openim_admin_token(app: &TestApp) -> String {
    let (s, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[("operationID", "op-admin-token")],
            &serde_json::json!({"secret": OPENIM_SECRET, "userID": "imAdmin"}),
        )
        .await;
    assert_eq!((s, &b["errCode"]), (200, &serde_json::json!(0)), "{b}");
    b["data"]["token"].as_str().unwrap().to_string()
}

pub fn qz(token: &str, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut p = vec![
        ("access_token", token.to_string()),
        ("token", "task-system-token".to_string()),
        ("salt", "1700000000000".to_string()),
        ("secret", "c2lnbmVkLWJ5LXF6".to_string()),
    ];
    p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    p
}

/// An after-login request as the apps build it: `extra`, then (Android
/// only) `language`, then `access_token`, `salt` and the HMAC `secret`
/// (AND `generateHttpParam`, WX `apiAuthoLoginCreateSecret`), signed with a
/// fixed `httpKey` (the service checks it only with `AUTH_API=1`).
pub fn app_request(
    user_id: i64,
    token: &str,
    extra: &[(&'static str, &str)],
    android: bool,
) -> Vec<(&'static str, String)> {
    let mut p: Vec<(&'static str, String)> =
        extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
    if android {
        p.push(("language", "zh".to_string()));
    }
    client::sign_user(&mut p, user_id, token, &client::b64(&[7u8; 16]));
    p
}

/// [`app_request`] of the Android app.
pub fn android(
    user_id: i64,
    token: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    app_request(user_id, token, extra, true)
}

/// [`app_request`] of the web client (WX).
pub fn web(
    user_id: i64,
    token: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    app_request(user_id, token, extra, false)
}

/// POSTs `params` to `path` and asserts the Shiku refusal `code` with a
/// message, and that no test database changed.
pub async fn refused(app: &TestApp, path: &str, params: &[(&'static str, String)], code: i64) {
    let before = app.snapshot().await;
    let (s, b) = app.post_pairs(path, params).await;
    assert_eq!(
        (s, b["resultCode"].as_i64()),
        (200, Some(code)),
        "{path} {params:?}: {b}"
    );
    assert!(
        b["resultMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{b}"
    );
    assert!(app.snapshot().await == before, "{path} changed something");
}
