//! Database faults: the test database is stopped during a load of reads and
//! writes, then started again. Requests during the outage fail fast with the
//! envelope's error, the service recovers by itself, and every acknowledged
//! write is in the database afterwards.
//!
//! This test runs its own SecantusDB process (not the shared one), so stopping
//! it does not disturb the other tests.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;

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

#[actix_web::test]
async fn outage_fails_fast_recovers_and_loses_no_acknowledged_write() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("shiku-fault-{}", common::unique_prefix()));
    let mut db = Db::start(port, &dir);
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    let app = TestApp::start_with(&[("MONGODB_URI", &uri), ("MONGO_TIMEOUT_MS", "1000")]).await;

    let mut acknowledged = Vec::new();
    let register = |i: usize| {
        let app = &app;
        async move {
            let phone = format!("1390000{i:04}");
            let (s, b) = app
                .post_form(
                    "/user/register",
                    &[
                        ("telephone", &phone),
                        ("password", "e10adc3949ba59abbe56e057f20f883e"),
                    ],
                )
                .await;
            (phone, s, b)
        }
    };
    for i in 0..20 {
        let (phone, s, b) = register(i).await;
        assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
        acknowledged.push(phone);
    }

    db.stop();
    // During the outage: fast failures with the envelope, never a hang.
    for i in 20..25 {
        let t = Instant::now();
        let (phone, s, b) = register(i).await;
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "request hung for {:?}",
            t.elapsed()
        );
        if b["resultCode"] == 1 {
            acknowledged.push(phone);
        } else {
            assert_eq!(s, 503, "{b}");
            assert_eq!(b["resultCode"], 1020101);
            assert!(b.get("detailMsg").is_some());
        }
        let (hs, _) = app.get("/health", &[]).await;
        assert_eq!(hs, 503);
    }

    db.restart();
    // The service reconnects by itself.
    let start = Instant::now();
    loop {
        let (hs, _) = app.get("/health", &[]).await;
        if hs == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "service did not recover"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for i in 25..30 {
        let (phone, _, b) = register(i).await;
        assert_eq!(b["resultCode"], 1, "{b}");
        acknowledged.push(phone);
    }
    for phone in &acknowledged {
        let u = app
            .store()
            .user_by_telephone(&format!("86{phone}"))
            .await
            .unwrap();
        assert!(u.is_some(), "acknowledged registration of {phone} lost");
    }
}
