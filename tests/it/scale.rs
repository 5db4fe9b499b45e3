//! Many instances on one database and one Redis, as behind a load balancer:
//! nothing an answer depends on lives in one process only.

use serde_json::json;

use crate::common::{self, TestApp};

const OP: (&str, &str) = ("operationID", "op-scale");

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL")
        .expect("TEST_REDIS_URL is not set: scripts/test.sh starts redis-server")
}

/// Two instances on one database and Redis: a session made through one is
/// served by the other, a logout through one is seen by the other, the same
/// message sent through both at once is stored once, and the login limit
/// counts the attempts of both.
#[actix_web::test]
async fn two_instances_share_sessions_messages_and_limits() {
    // Database 9 of the test Redis is this test's own: the attempt counter
    // for 127.0.0.1 is not shared with other tests.
    let url = format!("{}/9", redis_url().trim_end_matches('/'));
    // The attempts below fall in one minute of the limit's: stay clear of
    // a minute's end, where the window turns.
    let second = shiku_api::util::now_ms() / 1000 % 60;
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second as u64)).await;
    }
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("FLUSHDB").query_async(&mut con).await.unwrap();
    let env = [("REDIS_URL", url.as_str()), ("LOGIN_PER_MINUTE", "6")];
    let a = TestApp::start_with(&env).await;
    let b = a.another_instance(&env).await;
    a.load_seed().await;

    // A session made on A (as /user/login stores it) is served by B.
    let token = a.token_for(100164).await;
    let (_, got) = b.get("/user/get", &[("access_token", &token)]).await;
    assert_eq!(got["resultCode"], 1, "{got}");
    assert_eq!(got["data"]["userId"], 100164);
    // A logout on A ends it on B.
    let (_, out) = a.get("/user/logout", &[("access_token", &token)]).await;
    assert_eq!(out["resultCode"], 1, "{out}");
    let (_, got) = b.get("/user/get", &[("access_token", &token)]).await;
    assert_eq!(got["resultCode"], 1030102, "{got}");

    // One OpenIM send, retried through both instances at once: one message.
    let tok = common::openim_admin_token(&a).await;
    let body = json!({
        "sendID": "100164", "recvID": "100102", "clientMsgID": "scale-0001",
        "content": {"content": "一次"}, "contentType": 101, "sessionType": 1,
        "senderPlatformID": 5, "sendTime": 1700000000123i64,
    });
    let h = [OP, ("token", tok.as_str())];
    let sends: Vec<_> = (0..8)
        .map(|i| {
            let app = if i % 2 == 0 { &a } else { &b };
            app.post_json("/msg/send_msg", &h, &body)
        })
        .collect();
    for (_, r) in futures::future::join_all(sends).await {
        assert_eq!(r["errCode"], 0, "{r}");
    }
    let msgs = &a.store().cfg.msgs;
    for (shard, owner) in [("10", "100164"), ("10", "100102")] {
        let copies: Vec<_> = a
            .dump(msgs, shard)
            .await
            .into_iter()
            .filter(|d| {
                d.get_str("messageId") == Ok("scale-0001") && d.get_str("sender") == Ok(owner)
            })
            .collect();
        assert_eq!(copies.len(), 1, "one copy for {owner}: {copies:?}");
    }

    // The login limit (6 a minute) counts the attempts of both instances:
    // the token request above and 5 of these 8 logins.
    let mut statuses = vec![];
    for i in 0..8 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (s, _) = app
            .get("/user/login", &[("telephone", "nobody"), ("password", "x")])
            .await;
        statuses.push(s);
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        refused, 3,
        "5 of 8 logins through two instances: {statuses:?}"
    );
}
