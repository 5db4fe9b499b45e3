//! Reads what the service published to the real RocketMQ of the tests
//! (`scripts/rocketmq.sh`, `TEST_ROCKETMQ_NAMESRV`), with the same client
//! crate the service publishes with: a lite pull consumer given every queue
//! of the topic, from the first offset.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use rocketmq_client_rust::{
    ClientRuntime, ClientRuntimeConfig, DefaultLitePullConsumer, TelemetryHandle,
};
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};
use serde_json::Value;

static OWNER: LazyLock<RuntimeOwner> = LazyLock::new(|| {
    RuntimeOwner::plan(RuntimeConfig::for_parallelism("it-rocketmq", 1))
        .unwrap()
        .build()
        .unwrap()
});

pub fn namesrv() -> String {
    std::env::var("TEST_ROCKETMQ_NAMESRV")
        .expect("TEST_ROCKETMQ_NAMESRV is not set: scripts/test.sh starts the RocketMQ name server and broker")
}

/// Every body published to `topic` (as JSON), read until `done` holds for
/// them or `timeout` passes.
pub async fn read_topic(
    topic: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let runtime = ClientRuntime::try_new(
        OWNER.root_context().component("it-consumer"),
        ClientRuntimeConfig::default(),
        TelemetryHandle::noop(),
    )
    .unwrap();
    let group = format!("it-{}", uuid::Uuid::new_v4().simple());
    let consumer = DefaultLitePullConsumer::builder(runtime)
        .consumer_group(group)
        .name_server_addr(namesrv())
        .auto_commit(false)
        .poll_timeout_millis(300)
        .build()
        .unwrap();
    consumer
        .set_sub_expression_for_assign(topic, "*")
        .await
        .unwrap();
    consumer.start().await.unwrap();
    let deadline = Instant::now() + timeout;
    // The topic exists once the service's first publish created it.
    let queues = loop {
        match consumer.fetch_message_queues(topic).await {
            Ok(q) if !q.is_empty() => break q,
            other => {
                assert!(Instant::now() < deadline, "no queues of {topic}: {other:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    consumer.assign(queues.clone()).await.unwrap();
    for q in &queues {
        consumer.seek_to_begin(q).await.unwrap();
    }
    let mut out = Vec::new();
    while !done(&out) && Instant::now() < deadline {
        for m in consumer.poll_with_timeout(300).await {
            let body = m.body().unwrap_or_default();
            out.push(serde_json::from_slice(&body).expect("a JSON bean"));
        }
    }
    // Its shutdown waits out each queue's pull (5 s): not worth waiting for.
    actix_web::rt::spawn(async move { consumer.shutdown().await });
    out
}

/// Publishes `body` to `topic` as the IM server does (a plain text body),
/// with the same client crate.
pub async fn publish_text(topic: &str, body: &str) {
    use rocketmq_client_rust::{DefaultMQProducer, SendStatus};
    use rocketmq_model::common::message::message_single::Message;
    let runtime = ClientRuntime::try_new(
        OWNER.root_context().component("it-producer"),
        ClientRuntimeConfig::default(),
        TelemetryHandle::noop(),
    )
    .unwrap();
    let mut producer = DefaultMQProducer::builder(runtime)
        .producer_group(format!("it-p-{}", uuid::Uuid::new_v4().simple()))
        .name_server_addr(namesrv())
        .send_msg_timeout(3000)
        .build();
    producer.start().await.unwrap();
    let msg = Message::builder()
        .topic(topic.to_string())
        .body(body.as_bytes().to_vec())
        .build()
        .unwrap();
    let sent = producer.send(msg).await.unwrap();
    assert!(matches!(sent, Some(r) if r.send_status == SendStatus::SendOk));
    actix_web::rt::spawn(async move { producer.shutdown().await });
}
