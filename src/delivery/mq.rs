//! The producer of the `xmppMessage` topic: RocketMQ through the
//! `rocketmq-client-rust` client (the same release as the name server and
//! broker the tests run; see the README's push section for why this client).
//!
//! A publish never fails the request that caused it, as in the original
//! (`MessageService.send` prints the error and goes on): the beans of one
//! call are sent in order on a task of their own, each tried
//! [`ATTEMPTS`] times, and what could not be published is logged and counted
//! (`/health`). Those tasks run on the runtime that started the publisher
//! (the process's main runtime), not on an HTTP worker's: when the service
//! stops, the workers end first and [`Publisher::drain`] then waits for the
//! beans still being sent.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocketmq_client_rust::{
    ClientRuntime, ClientRuntimeConfig, DefaultMQProducer, SendStatus, TelemetryHandle,
};
use rocketmq_model::common::message::message_single::Message;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

use super::bean::Bean;

/// Tries of one bean before it is counted as lost.
pub const ATTEMPTS: u32 = 3;

/// The RocketMQ settings (`ROCKETMQ_*`).
#[derive(Clone, Debug)]
pub struct MqConfig {
    /// Name servers, `host:port[;host:port]` (imapi's `rocketmq.name-server`).
    pub namesrv: String,
    pub topic: String,
    pub producer_group: String,
    pub send_timeout: Duration,
    /// The IM server's user status topic to consume (`userStatusMessage`;
    /// `None` with `ROCKETMQ_CONSUME_STATUS=0`) and the consumer group.
    pub status_topic: Option<String>,
    pub status_group: String,
}

pub struct Publisher {
    producer: DefaultMQProducer,
    cfg: MqConfig,
    published: AtomicU64,
    failed: AtomicU64,
    /// Publishing tasks not finished yet, and their end signal.
    in_flight: AtomicUsize,
    finished: tokio::sync::Notify,
    /// Where publishing tasks run: the runtime that started the publisher.
    tasks: tokio::runtime::Handle,
    // The client's own runtime: its connections and timers live there, so
    // the producer can be awaited from any HTTP worker. Kept for the process.
    _runtime: Arc<ClientRuntime>,
    _owner: RuntimeOwner,
}

impl Publisher {
    /// Starts the producer. The name server is not contacted yet (the first
    /// publish asks it for the topic's route): see [`Publisher::reachable`].
    pub async fn start(cfg: MqConfig) -> Result<Arc<Self>, String> {
        let err = |e: &dyn std::fmt::Display| format!("RocketMQ client: {e}");
        let (runtime, owner) = client_runtime("rocketmq-client", "shiku-api-producer")?;
        let mut producer = DefaultMQProducer::builder(runtime.clone())
            .producer_group(cfg.producer_group.clone())
            .name_server_addr(cfg.namesrv.clone())
            .send_msg_timeout(cfg.send_timeout.as_millis() as u32)
            .retry_times_when_send_failed(0)
            .build();
        producer.start().await.map_err(|e| err(&e))?;
        Ok(Arc::new(Publisher {
            producer,
            cfg,
            published: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            finished: tokio::sync::Notify::new(),
            tasks: tokio::runtime::Handle::current(),
            _runtime: runtime,
            _owner: owner,
        }))
    }

    /// Publishes `beans` in order, in the background.
    pub fn publish(self: &Arc<Self>, beans: Vec<Bean>) {
        let me = self.clone();
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.tasks.spawn(async move {
            for bean in beans {
                me.publish_one(&bean).await;
            }
            if me.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
                me.finished.notify_waiters();
            }
        });
    }

    /// The longest a bean can take: every try timing out, with the pauses.
    pub fn longest_publish(&self) -> Duration {
        (self.cfg.send_timeout + Duration::from_millis(800)) * ATTEMPTS
    }

    /// Waits until every publish started so far has ended (sent or counted
    /// lost), at most `limit`; answers how many calls were still unfinished.
    pub async fn drain(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let finished = self.finished.notified();
            let left = self.in_flight.load(Ordering::SeqCst);
            if left == 0 || tokio::time::Instant::now() >= deadline {
                return left;
            }
            let _ = tokio::time::timeout_at(deadline, finished).await;
        }
    }

    async fn publish_one(&self, bean: &Bean) {
        let body = bean.json();
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            match self.send(&body).await {
                Ok(()) => {
                    self.published.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(e) => last = e,
            }
        }
        let failed = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(
            message_id = %bean.message_id,
            msg_type = bean.kind,
            failed_publishes = failed,
            "{} publish lost after {ATTEMPTS} tries: {last}",
            self.cfg.topic
        );
    }

    async fn send(&self, body: &str) -> Result<(), String> {
        let msg = Message::builder()
            .topic(self.cfg.topic.clone())
            .body(body.as_bytes().to_vec())
            .build()
            .map_err(|e| e.to_string())?;
        match self.producer.send(msg).await {
            Ok(Some(r)) if r.send_status == SendStatus::SendOk => Ok(()),
            Ok(other) => Err(format!("not stored: {other:?}")),
            Err(e) => Err(describe(&e)),
        }
    }

    /// Beans published since the start, and beans lost.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.published.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }

    /// Whether a name server accepts a connection within a second.
    pub async fn reachable(&self) -> bool {
        namesrv_reachable(&self.cfg.namesrv).await
    }
}

/// A client runtime of its own (one thread: its connections and timers), and
/// its owner, which must be kept as long as the client.
pub(super) fn client_runtime(
    name: &'static str,
    component: &'static str,
) -> Result<(Arc<ClientRuntime>, RuntimeOwner), String> {
    let err = |e: &dyn std::fmt::Display| format!("RocketMQ client runtime: {e}");
    let owner = RuntimeOwner::plan(RuntimeConfig::for_parallelism(name, 1))
        .map_err(|e| err(&e))?
        .build()
        .map_err(|e| err(&e))?;
    let runtime = ClientRuntime::try_new(
        owner.root_context().component(component),
        ClientRuntimeConfig::default(),
        TelemetryHandle::noop(),
    )
    .map_err(|e| err(&e))?;
    Ok((runtime, owner))
}

/// Whether one of the name servers of `namesrv` (`host:port;host:port`)
/// accepts a TCP connection within a second.
pub async fn namesrv_reachable(namesrv: &str) -> bool {
    for addr in namesrv.split(';').map(str::trim).filter(|a| !a.is_empty()) {
        let connect = tokio::net::TcpStream::connect(addr);
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), connect).await {
            return true;
        }
    }
    false
}

/// The client error and its causes (its `Display` alone is terse).
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
