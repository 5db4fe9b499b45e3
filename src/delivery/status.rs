//! The consumer of the `userStatusMessage` topic: the IM server publishes
//! `<userId>:<1|0>:<resource>` whenever a device connects or goes away, and
//! the original imapi (`UserStatusConsumer`, on by default) kept from it
//! what the rest of the deployment reads: `user_online:<userId>` and
//! `user.onlinestate`, the device's `userLoginLog.deviceMap` entry, and the
//! rooms' offline members (`roomPush_member:<jid>`) the push service pushes
//! group messages to. Without it, once imapi is stopped, an offline phone
//! would get no group pushes.
//!
//! The client's listener is synchronous: it hands each body to one task on
//! the service's runtime, which applies them in order (a user's "online"
//! before his "offline"). A full queue asks the broker to redeliver later.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocketmq_client_rust::{
    ClientResult, ClientRuntime, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus,
    DefaultMQPushConsumer, MQPushConsumer, MessageListenerConcurrently,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_runtime::RuntimeOwner;
use tokio::sync::{mpsc, Mutex};

use crate::store::sessions::Sessions;
use crate::store::{Store, StoreResult};

/// Status reports waiting to be applied before the broker is asked to wait.
const QUEUE: usize = 10_000;

/// The devices whose status also moves the user's room pushes and login
/// record (the original's `RESOURCES`).
const DEVICES: [&str; 6] = ["ios", "android", "youjob", "web", "pc", "mac"];

/// One report of the IM server.
#[derive(Debug, PartialEq)]
pub struct StatusReport {
    pub user_id: i64,
    pub online: bool,
    pub resource: String,
}

impl StatusReport {
    /// `<userId>:<status>:<resource>`; status `1` is online, anything else
    /// offline (as the original reads it).
    pub fn parse(text: &str) -> Option<StatusReport> {
        let mut parts = text.trim().splitn(3, ':');
        let user_id = parts.next()?.parse::<i32>().ok()?;
        let online = parts.next()? == "1";
        let resource = parts.next()?.to_string();
        (user_id > 0).then_some(StatusReport {
            user_id: i64::from(user_id),
            online,
            resource,
        })
    }
}

/// Applies one report, as the original's `handleLogin` / `closeConnection`.
pub async fn apply(store: &Store, sessions: &Sessions, r: &StatusReport) -> StoreResult<()> {
    let uid = r.user_id;
    sessions.set_user_online(uid, r.online).await?;
    store.set_online_state(uid, r.online).await?;
    if !DEVICES.contains(&r.resource.as_str()) {
        return Ok(());
    }
    let now = crate::util::now_s();
    if r.online {
        // Online: none of his rooms needs to push to him.
        let jids = store.room_jids_of(uid, false).await?;
        let pairs: Vec<(&str, i64)> = jids.iter().map(|j| (j.as_str(), uid)).collect();
        sessions.set_room_push(&pairs, false).await?;
        store.device_online(uid, &r.resource, now).await?;
    } else {
        let jids = store.room_jids_of(uid, true).await?;
        let pairs: Vec<(&str, i64)> = jids.iter().map(|j| (j.as_str(), uid)).collect();
        sessions.set_room_push(&pairs, true).await?;
        store.device_offline(uid, &r.resource, now).await?;
    }
    Ok(())
}

/// Tries of one report before it is given up (logged).
const ATTEMPTS: u32 = 3;

/// What the consumer did since it started (`/health`).
#[derive(Default)]
pub struct Counts {
    applied: AtomicU64,
    given_up: AtomicU64,
    not_understood: AtomicU64,
}

/// [`apply`], tried again after a pause when MongoDB or Redis failed (a
/// report given up is logged and counted: the user's next connect or
/// disconnect reports again).
async fn apply_with_retries(
    store: &Store,
    sessions: &Sessions,
    report: &StatusReport,
    counts: &Counts,
) {
    for attempt in 1..=ATTEMPTS {
        match apply(store, sessions, report).await {
            Ok(()) => {
                counts.applied.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) if attempt == ATTEMPTS => {
                counts.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(user = report.user_id, "user status not recorded: {e}");
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt)).await,
        }
    }
}

/// Hands each body to the applying task.
struct Listener {
    tx: mpsc::Sender<String>,
    pending: Arc<AtomicUsize>,
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> ClientResult<ConsumeConcurrentlyStatus> {
        for m in msgs {
            let body = m.body().map(|b| String::from_utf8_lossy(&b).into_owned());
            if self.tx.try_send(body.unwrap_or_default()).is_err() {
                // Applying again what was queued changes nothing.
                return Ok(ConsumeConcurrentlyStatus::ReconsumeLater);
            }
            self.pending.fetch_add(1, Ordering::SeqCst);
        }
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

pub struct StatusConsumer {
    consumer: Mutex<DefaultMQPushConsumer>,
    /// Reports taken from the broker and not applied yet.
    pending: Arc<AtomicUsize>,
    counts: Arc<Counts>,
    // The client's own runtime, as the publisher's.
    _runtime: Arc<ClientRuntime>,
    _owner: RuntimeOwner,
}

impl StatusConsumer {
    /// Subscribes `group` to `topic` on `namesrv` and applies every report
    /// on a task of the current runtime.
    pub async fn start(
        namesrv: &str,
        topic: &str,
        group: &str,
        store: Store,
        sessions: Sessions,
    ) -> Result<Arc<Self>, String> {
        let err = |e: &dyn std::fmt::Display| format!("RocketMQ status consumer: {e}");
        let (runtime, owner) = super::mq::client_runtime("rocketmq-status", "shiku-api-status")?;
        let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
        let pending = Arc::new(AtomicUsize::new(0));
        let left = pending.clone();
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                match StatusReport::parse(&text) {
                    Some(report) => apply_with_retries(&store, &sessions, &report, &counted).await,
                    None => {
                        counted.not_understood.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(body = %text, "user status report not understood")
                    }
                }
                left.fetch_sub(1, Ordering::SeqCst);
            }
        });
        let mut consumer = DefaultMQPushConsumer::builder(runtime.clone())
            .consumer_group(group.to_string())
            .name_server_addr(namesrv.to_string())
            .build();
        consumer
            .subscribe(topic.to_string(), "*")
            .await
            .map_err(|e| err(&e))?;
        consumer.register_message_listener_concurrently(Listener {
            tx,
            pending: pending.clone(),
        });
        consumer.start().await.map_err(|e| err(&e))?;
        Ok(Arc::new(StatusConsumer {
            consumer: Mutex::new(consumer),
            pending,
            counts,
            _runtime: runtime,
            _owner: owner,
        }))
    }

    /// Reports applied, waiting, given up after retries and not understood,
    /// as `/health` shows them.
    pub fn health(&self) -> serde_json::Value {
        let c = &self.counts;
        serde_json::json!({
            "applied": c.applied.load(Ordering::Relaxed),
            "pending": self.pending.load(Ordering::SeqCst),
            "givenUp": c.given_up.load(Ordering::Relaxed),
            "notUnderstood": c.not_understood.load(Ordering::Relaxed),
        })
    }

    /// Leaves the consumer group (its queues go to the other instances),
    /// then lets the reports already taken be applied (at most `limit`).
    pub async fn stop(&self, limit: Duration) {
        self.consumer.lock().await.shutdown().await;
        let deadline = tokio::time::Instant::now() + limit;
        while self.pending.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let left = self.pending.load(Ordering::SeqCst);
        if left > 0 {
            tracing::warn!(
                unapplied = left,
                "stopping with user status reports not applied"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StatusReport;

    #[test]
    fn reports_are_read_as_the_original_reads_them() {
        assert_eq!(
            StatusReport::parse("100164:1:android"),
            Some(StatusReport {
                user_id: 100164,
                online: true,
                resource: "android".into()
            })
        );
        let off = StatusReport::parse("100164:0:pc").unwrap();
        assert!(!off.online);
        assert_eq!(off.resource, "pc");
        for bad in [
            "",
            "100164",
            "100164:1",
            "x:1:android",
            "-5:1:ios",
            "99999999999:1:ios",
        ] {
            assert_eq!(StatusReport::parse(bad), None, "{bad}");
        }
    }
}
