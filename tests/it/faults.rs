//! Database faults: the test database is stopped during a load of sends and
//! history reads, then started again. Requests during the outage fail fast with the
//! envelope's error, the service recovers by itself, and every acknowledged
//! write is in the database afterwards.
//!
//! This test runs its own SecantusDB process (not the shared one), so stopping
//! it does not disturb the other tests.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::TestApp;
use shiku_api::store::sessions::Kind;

struct Db {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

fn secantusd() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var("SHIKU_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join(".venv"))
        .join("bin/secantusd-py")
}

fn spawn(port: u16, dir: &std::path::Path) -> Child {
    let child = Command::new(secantusd())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--storage-path",
        ])
        .arg(dir)
        .args(["--log-level", "ERROR"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("secantusd-py (run scripts/test-db.sh install)");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "database did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

impl Db {
    fn start(port: u16, dir: &std::path::Path) -> Db {
        Db {
            child: spawn(port, dir),
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// A graceful stop (SIGTERM), as an operator's restart does.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Starts again on the same port and storage.
    fn restart(&mut self) {
        self.child = spawn(self.port, &self.dir);
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One step of the load: a send (with its own message id) and a history read.
/// Returns the message id when the send was acknowledged.
async fn send_and_read(app: &TestApp, admin: &str, reader: &str, n: usize) -> Option<String> {
    let message_id = format!("fault_{n}");
    let t = Instant::now();
    let (s, b) = app
        .post_form(
            "/console/oneSendOne",
            &[
                ("access_token", admin),
                ("type", "1"),
                ("content", &format!("load {n}")),
                ("sendPhone", "18094152050"),
                ("toUserPhone", "15730107952"),
                ("messageId", &message_id),
            ],
        )
        .await;
    check_fast_envelope(t, s, &b);
    let t = Instant::now();
    let (s, r) = app
        .get(
            "/tigase/shiku_msgs",
            &[("access_token", reader), ("receiver", "100102")],
        )
        .await;
    check_fast_envelope(t, s, &r);
    (b["resultCode"] == 1).then_some(message_id)
}

/// During the outage the OpenIM and JH dialects answer 503 in their own
/// envelopes, within the timeout (1 s here), and change nothing.
async fn other_dialects_answer_503(app: &TestApp, openim_token: &str) {
    let t = Instant::now();
    let (s, b) = app
        .post_json(
            "/msg/send_msg",
            &[("operationID", "fault"), ("token", openim_token)],
            &serde_json::json!({"sendID": "100164", "recvID": "100102",
                "content": {"content": "during the outage"}, "contentType": 101, "sessionType": 1}),
        )
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "OpenIM hung {:?}",
        t.elapsed()
    );
    assert_eq!(s, 503, "{b}");
    assert_eq!(b["errCode"], 500, "{b}");
    assert_eq!(b["errMsg"], "ServerInternalError", "{b}");
    assert_eq!(b["errDlt"], "", "{b}");

    let t = Instant::now();
    let (s, b) = app
        .get(
            "/api/im/getNewestMsgListByLastTime",
            &[
                ("appid", "JH"),
                ("from", "200"),
                ("to", "2"),
                ("fromrole", "MEMBER"),
            ],
        )
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "JH hung {:?}",
        t.elapsed()
    );
    assert_eq!(s, 503, "{b}");
    assert_eq!(
        b,
        serde_json::json!({"success": false, "msg": "service unavailable"})
    );

    // A JH send (a write) answers the same way, as fast.
    let t = Instant::now();
    let (s, b) = app
        .post_json(
            "/api/im/sendMsg",
            &[],
            &serde_json::json!({"appid": "JH", "from": "200", "fromrole": "MEMBER", "to": "2",
                "content": "during the outage", "type": "TEXT", "channel": "WX"}),
        )
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "JH send hung {:?}",
        t.elapsed()
    );
    assert_eq!(s, 503, "{b}");
    assert_eq!(
        b,
        serde_json::json!({"success": false, "msg": "service unavailable"})
    );
}

/// Success, or the outage envelope: 503 with resultCode 1020101, within the timeout.
fn check_fast_envelope(t: Instant, status: u16, b: &serde_json::Value) {
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "request hung for {:?}",
        t.elapsed()
    );
    if b["resultCode"] != 1 {
        assert_eq!(status, 503, "{b}");
        assert_eq!(b["resultCode"], 1020101, "{b}");
        assert_eq!(b["resultMsg"], "接口内部异常", "{b}");
    }
}

#[actix_web::test]
async fn outage_under_load_fails_fast_recovers_and_loses_no_acknowledged_send() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("shiku-fault-{}", common::unique_prefix()));
    let mut db = Db::start(port, &dir);
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    let app = TestApp::start_with(&[("MONGODB_URI", &uri), ("MONGO_TIMEOUT_MS", "1000")]).await;
    app.load_seed().await;
    let admin = "fault-admin-token";
    app.state
        .sessions
        .save(Kind::Admin, 1, admin)
        .await
        .unwrap();
    let reader = app.token_for(100164).await;
    let (s, b) = app
        .post_json(
            "/auth/get_admin_token",
            &[("operationID", "fault")],
            &serde_json::json!({"secret": common::OPENIM_SECRET, "userID": "imAdmin"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let openim = b["data"]["token"].as_str().unwrap().to_string();

    let stop = AtomicBool::new(false);
    let counter = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    // Four clients sending and reading until told to stop.
    let worker = || async {
        let mut acked = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            match send_and_read(&app, admin, &reader, n).await {
                Some(id) => acked.push(id),
                None => {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        acked
    };
    let controller = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        db.stop();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (hs, _) = app.get("/health", &[]).await;
        assert_eq!(hs, 503, "health during the outage");
        other_dialects_answer_503(&app, &openim).await;
        db.restart();
        // The service reconnects by itself.
        let start = Instant::now();
        loop {
            if app.get("/health", &[]).await.0 == 200 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "service did not recover"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, Ordering::SeqCst);
    };
    let (_, a, b, c, d) = futures::join!(controller, worker(), worker(), worker(), worker());
    let acked: Vec<String> = [a, b, c, d].concat();
    eprintln!(
        "{} sends acknowledged, {} steps failed during the outage",
        acked.len(),
        failures.load(Ordering::SeqCst)
    );
    assert!(
        failures.load(Ordering::SeqCst) > 0,
        "the outage was not observed"
    );
    assert!(acked.len() > 10, "too little load: {}", acked.len());

    // After recovery, every acknowledged send is stored, for both sides.
    for id in &acked {
        for owner in [100164i64, 100102] {
            let stored = app
                .store()
                .user_msgs(owner)
                .find_one(bson::doc! {"messageId": id, "sender": owner.to_string()})
                .await
                .unwrap();
            assert!(stored.is_some(), "acknowledged send {id} lost for {owner}");
        }
    }
    // And a send after recovery works.
    assert!(send_and_read(&app, admin, &reader, 1_000_000)
        .await
        .is_some());
}

/// A redis-server of this test's own on `port` (Debian's package; the test
/// scripts install it).
fn redis_server(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (scripts/redis.sh installs it)");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Review #2: with `REDIS_URL` the service starts while Redis is down, a
/// session request answers 503 within the deadline instead of hanging,
/// `/health` says so, and it recovers by itself when Redis comes (back).
#[actix_web::test]
async fn a_redis_outage_answers_503_quickly_and_recovers() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let started = Instant::now();
    let app = TestApp::start_with(&[("REDIS_URL", &url), ("REDIS_TIMEOUT_MS", "500")]).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "starts without Redis"
    );
    let pw = common::client::md5_hex("pw");
    app.insert_user(100901, "13800000901", &pw).await;
    let login = || async {
        let t = Instant::now();
        let (s, b) = app
            .get(
                "/user/login",
                &[("telephone", "13800000901"), ("password", &pw)],
            )
            .await;
        (s, b, t.elapsed())
    };
    let health = || async { app.get("/health", &[]).await };

    // Down from the start.
    let (s, b, took) = login().await;
    assert_eq!((s, b["resultCode"].as_i64()), (503, Some(1020101)), "{b}");
    assert!(took < Duration::from_secs(3), "answered in {took:?}");
    let (s, h) = health().await;
    assert_eq!(
        (s, &h["redis"], &h["mongodb"]),
        (503, &serde_json::json!("down"), &serde_json::json!("up")),
        "{h}"
    );

    // Redis comes: the service uses it without a restart.
    let mut redis = redis_server(port);
    let (s, b, _) = login().await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let token = b["data"]["access_token"].as_str().unwrap().to_string();
    let (s, h) = health().await;
    assert_eq!((s, &h["redis"]), (200, &serde_json::json!("up")), "{h}");

    // Redis dies while serving: every request answers 503 quickly, none hangs.
    let _ = redis.kill();
    let _ = redis.wait();
    for _ in 0..3 {
        let t = Instant::now();
        let (s, b) = app.get("/user/get", &[("access_token", &token)]).await;
        assert_eq!(s, 503, "{b}");
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "answered in {:?}",
            t.elapsed()
        );
    }
    // Back again (empty: the session is gone, so a new login).
    let mut redis = redis_server(port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (s, b, _) = login().await;
        if s == 200 && b["resultCode"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {s} {b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = redis.kill();
    let _ = redis.wait();
}
