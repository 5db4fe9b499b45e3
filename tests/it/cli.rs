//! The binary: configuration validation at start.

use std::process::Command;

#[test]
fn bad_bind_addr_exits_2_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
        .env("BIND_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("BIND_ADDR"), "{err}");
}

#[test]
fn unknown_subcommand_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

use crate::common;

#[test]
fn indexes_seed_and_doctor_exit_cleanly() {
    let prefix = common::unique_prefix();
    for cmd in ["indexes", "seed", "seed", "doctor"] {
        let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
            .arg(cmd)
            .env_clear()
            .envs(common::test_env(&prefix, &[]))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{cmd}: {err}");
        assert!(!err.contains("panicked"), "{cmd}: {err}");
    }
}

/// Review #7: the request log of the real binary at `LOG=info` carries the
/// requests (path, status) but none of the secrets sent in query strings,
/// forms of Shiku clients, or headers: tokens, passwords, signatures, keys.
#[test]
fn the_request_log_never_holds_secrets() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let prefix = common::unique_prefix();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = std::env::temp_dir().join(format!("shiku-log-{prefix}.txt"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut env = common::test_env(&prefix, &[("BIND_ADDR", &format!("127.0.0.1:{port}"))]);
    env.insert("LOG".into(), "info".into());
    let mut child = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
        .arg("serve")
        .env_clear()
        .envs(env)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "service did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let secrets = [
        "tok3nSecretValue77",
        "e10adc3949ba59abbe56e057f20f883e",
        "s1gnatureSecret99",
        "pr1vateKeyMaterial",
        "l0ginTokenValue55",
    ];
    let requests = [
        format!(
            "GET /user/get?access_token={}&userId=1 HTTP/1.1",
            secrets[0]
        ),
        format!(
            "GET /user/login?telephone=18094152050&areaCode=86&password={} HTTP/1.1",
            secrets[1]
        ),
        format!(
            "GET /room/noticesPage?access_token={}&secret={}&salt=1&roomId=x HTTP/1.1",
            secrets[0], secrets[2]
        ),
        format!(
            "GET /authkeys/uploadLoginKey?userId=1&privateKey={}&publicKey=x HTTP/1.1",
            secrets[3]
        ),
        format!(
            "GET /user/login/auto/v1?loginToken={}&salt=1&data=x HTTP/1.1",
            secrets[4]
        ),
    ];
    for line in &requests {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(c, "{line}\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1"), "{answer}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(text.contains("/user/login"), "requests are logged: {text}");
    assert!(text.contains("***"), "redacted values are marked: {text}");
    for s in secrets {
        assert!(!text.contains(s), "{s} in the log:\n{text}");
    }
}

/// Review #15: `seed` does not touch a database that holds real users
/// (it would reset the demo users' passwords and documents) unless
/// `--force` is given.
#[test]
fn seed_refuses_a_database_with_real_users() {
    let prefix = common::unique_prefix();
    let env = common::test_env(&prefix, &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let real = bson::doc! {"_id": 100164, "nickname": "真人", "password": "real-hash", "telephone": "8618094152050"};
    rt.block_on(async {
        let client = mongodb::Client::with_uri_str(common::mongo_uri())
            .await
            .unwrap();
        let users = client
            .database(&format!("{prefix}_imapi"))
            .collection::<bson::Document>("user");
        users
            .insert_many([
                real.clone(),
                bson::doc! {"_id": 123456, "nickname": "另一个"},
            ])
            .await
            .unwrap();
    });
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_shiku-api"))
            .args(args)
            .env_clear()
            .envs(env.clone())
            .output()
            .unwrap()
    };
    let out = run(&["seed"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = rt.block_on(async {
        let client = mongodb::Client::with_uri_str(common::mongo_uri())
            .await
            .unwrap();
        client
            .database(&format!("{prefix}_imapi"))
            .collection::<bson::Document>("user")
            .find_one(bson::doc! {"_id": 100164})
            .await
            .unwrap()
            .unwrap()
    });
    assert_eq!(stored, real, "untouched");
    let out = run(&["seed", "--force"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `scripts/run.sh` without `MONGODB_URI` keeps its embedded database in
/// its data folder: seeded on the first run only, kept across a restart,
/// started afresh with `--reset`.
#[test]
fn run_sh_keeps_the_embedded_database_across_restarts() {
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let data = std::env::temp_dir().join(format!("shiku-run-{}", common::unique_prefix()));
    let run = |args: &[&str]| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("scripts/run.sh")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("SHIKU_API_BIN", env!("CARGO_BIN_EXE_shiku-api"))
            .env("SHIKU_DATA", &data)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("LOG", "warn")
            .spawn()
            .unwrap();
        // Serving: its /health answers (a port alone could be another test's).
        let start = Instant::now();
        let healthy = || {
            use std::io::{Read, Write};
            let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                c,
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut answer = String::new();
            let _ = c.read_to_string(&mut answer);
            answer.starts_with("HTTP/1.1 200") && answer.contains("\"delivery\"")
        };
        // Its own database first: another test's server may answer on a
        // reused port before this one is up.
        while !data.join("server/uri").exists() || !healthy() {
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "run.sh did not serve"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let uri = std::fs::read_to_string(data.join("server/uri")).unwrap();
        (child, uri.trim().to_string())
    };
    let stop = |mut child: std::process::Child| {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        assert!(status.success(), "run.sh ends cleanly on SIGTERM: {status}");
        assert!(!data.join("server/pid").exists(), "the database is stopped");
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let marker = |uri: String, insert: bool| {
        rt.block_on(async move {
            let c = mongodb::Client::with_uri_str(&uri).await.unwrap();
            let coll = c
                .database("imapi")
                .collection::<bson::Document>("run_sh_marker");
            if insert {
                coll.insert_one(bson::doc! {"_id": 1}).await.unwrap();
            }
            let users = c.database("imapi").collection::<bson::Document>("user");
            let seeded = users
                .count_documents(bson::doc! {"_id": 100164})
                .await
                .unwrap();
            let kept = coll.count_documents(bson::doc! {}).await.unwrap();
            c.shutdown().await;
            (seeded, kept)
        })
    };

    let (child, uri) = run(&[]);
    assert_eq!(marker(uri, true), (1, 1), "seeded on the first run");
    stop(child);
    let (child, uri) = run(&[]);
    assert_eq!(marker(uri, false), (1, 1), "kept across the restart");
    stop(child);
    let (child, uri) = run(&["--reset"]);
    assert_eq!(
        marker(uri, false),
        (1, 0),
        "--reset starts afresh, seeded again"
    );
    stop(child);
    let _ = std::fs::remove_dir_all(&data);
}

/// Push mode with a name server nobody answers on: `doctor` says so and
/// the service still starts; with `ROCKETMQ_REQUIRED=1` it refuses to.
#[test]
fn an_unreachable_name_server_is_reported_or_refused_when_required() {
    let prefix = common::unique_prefix();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    let run = |cmd: &str, extra: &[(&str, &str)]| {
        let mut env = common::test_env(&prefix, &[("ROCKETMQ_NAMESRV", &addr)]);
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        Command::new(env!("CARGO_BIN_EXE_shiku-api"))
            .arg(cmd)
            .env_clear()
            .envs(env)
            .output()
            .unwrap()
    };
    let out = run("doctor", &[]);
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("delivery: push: WARNING no RocketMQ name server answers"),
        "{said}"
    );
    let out = run("doctor", &[("ROCKETMQ_REQUIRED", "1")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ROCKETMQ_REQUIRED=1"), "{err}");
    let out = run("doctor", &[("PUSH_MODE", "sometimes")]);
    assert_eq!(out.status.code(), Some(2), "a bad PUSH_MODE names itself");
    assert!(String::from_utf8_lossy(&out.stderr).contains("PUSH_MODE"));
}
