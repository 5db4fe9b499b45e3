//! The one message writer: every send path (console, OpenIM, room notices) stores
//! messages through here, exactly as the original chat server archives them.
//!
//! - single chat: two `shiku_msgs.<shard(owner)>` records, one per side
//!   (`direction` 0 for the sender's copy, 1 for the receiver's; `sender`/`receiver`
//!   are the owner and the peer, `sender_jid`/`receiver_jid` the real from/to);
//! - group chat: one `mucmsg_<jid>` record;
//! - last-chat records: per user and peer for single chats (in the owner's shard),
//!   per room in `lastChats_muc` for groups.
//!
//! Every step is idempotent on the message id, so a retried send stores nothing
//! new and completes whatever a failed attempt left undone.

use super::error::{Refusal, StoreResult};
use std::collections::{BTreeMap, HashMap};
use std::future::IntoFuture;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};

use bson::{doc, Document};
use mongodb::Collection;
use serde_json::{json, Value};

use super::indexes::Family;
use super::Store;

/// A message to store. `from_jid` is the full sender jid (`100164/web`,
/// `10005/Server` for system notices).
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub message_id: String,
    pub from_user_id: i64,
    pub from_user_name: String,
    pub from_jid: String,
    /// Peer userId (single chat) or room jid (group chat).
    pub to: String,
    pub to_user_id: String,
    pub to_user_name: String,
    pub msg_type: i32,
    pub content: String,
    pub time_send: i64,
    /// Extra keys of the message JSON (`objectId`, `fileName`, `other`, ...).
    pub extra: BTreeMap<String, Value>,
}

impl NewMessage {
    /// The client message JSON exactly as the original writes it: keys sorted
    /// (fastjson), doubles as `0.0`.
    pub fn message_json(&self, chat_type: i32) -> String {
        let mut m: BTreeMap<String, Value> = BTreeMap::new();
        m.insert("content".into(), json!(self.content));
        m.insert("deleteTime".into(), json!(0));
        m.insert("encryptType".into(), json!(0));
        m.insert("fileSize".into(), json!(0));
        m.insert("fileTime".into(), json!(0));
        m.insert("fromUserId".into(), json!(self.from_user_id.to_string()));
        m.insert("fromUserName".into(), json!(self.from_user_name));
        m.insert("isEncrypt".into(), json!(false));
        m.insert("isReadDel".into(), json!(false));
        m.insert("location_x".into(), json!(0.0));
        m.insert("location_y".into(), json!(0.0));
        let mut head: BTreeMap<&str, Value> = BTreeMap::new();
        head.insert("chatType", json!(chat_type));
        head.insert("from", json!(self.from_jid));
        head.insert("messageId", json!(self.message_id));
        head.insert("offline", json!(false));
        head.insert("to", json!(self.to));
        m.insert("messageHead".into(), json!(head));
        m.insert("timeSend".into(), json!(self.time_send));
        // Notices without a receiver (902, 905, 915, ...) have no toUserId /
        // toUserName: fastjson omits the nulls.
        if !self.to_user_id.is_empty() {
            m.insert("toUserId".into(), json!(self.to_user_id));
        }
        if !self.to_user_name.is_empty() {
            m.insert("toUserName".into(), json!(self.to_user_name));
        }
        m.insert("type".into(), json!(self.msg_type));
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        serde_json::to_string(&m).expect("a map of JSON values serializes")
    }
}

/// Which stored record a send produced (the first one, on a retry).
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub message_id: String,
    pub time_send: i64,
    /// False when the message id was already stored (a retry).
    pub created: bool,
}

/// Sends of the same message id are serialised inside this process, so that
/// concurrent retries cannot both find "not stored yet" and insert twice.
/// (Several server instances writing the same id at the same millisecond can
/// still race; the stored collections have no unique key to prevent it.)
async fn id_lock(message_id: &str) -> IdGuard {
    let lock = {
        let mut map = in_flight().lock().expect("in-flight map");
        map.entry(message_id.to_string())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    };
    let guard = lock.clone().lock_owned().await;
    IdGuard {
        id: message_id.to_string(),
        _guard: guard,
        lock,
    }
}

fn in_flight() -> &'static StdMutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
    static MAP: OnceLock<StdMutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    MAP.get_or_init(|| StdMutex::new(HashMap::new()))
}

struct IdGuard {
    id: String,
    _guard: tokio::sync::OwnedMutexGuard<()>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        let mut map = in_flight().lock().expect("in-flight map");
        // Only this guard and the map hold the lock: nobody else waits for it.
        if Arc::strong_count(&self.lock) <= 3 {
            map.remove(&self.id);
        }
    }
}

impl Store {
    /// Stores a single-chat message: one record in each side's shard
    /// (`direction` 0 and `isRead` 1 for the sender's copy, `direction` 1 and
    /// `isRead` 0 for the receiver's; `sender`/`receiver` are the owner and the
    /// peer, `sender_jid`/`receiver_jid` the real from/to) and both sides'
    /// last-chat records. A message id already stored for a side is not stored
    /// again; the answer then carries the first record's `timeSend`.
    pub async fn write_single(&self, m: &NewMessage, peer_id: i64) -> StoreResult<Stored> {
        if peer_id == m.from_user_id {
            return Err(Refusal::Invalid("toUserId").into());
        }
        let _lock = id_lock(&m.message_id).await;
        let message = m.message_json(1);
        let ts = crate::util::now_ms();
        let from = m.from_user_id.to_string();
        let to = peer_id.to_string();
        // Each side's copy: kept when already stored (a retry of the same
        // message), else inserted. The sender's id may name one message only:
        // reused for another peer or another content it is refused, before
        // anything is written. The two sides are independent, so both go to
        // the database at once (one insert of both when they share a shard).
        let record = |owner: &str, peer: &str, direction: i32, is_read: i32| {
            doc! {
                "_id": record_oid(&format!("{owner}:{peer}"), &m.message_id, direction),
                // Field order as the chat server archives it (seed 2.5).
                "message": &message,
                "direction": direction,
                "sender": owner,
                "receiver": peer,
                "sender_jid": &m.from_jid,
                "receiver_jid": &to,
                "ts": ts,
                "contentType": m.msg_type,
                "messageId": &m.message_id,
                "timeSend": m.time_send,
                "deleteTime": 0i64,
                "isRead": is_read,
                "isEncrypt": false,
                "content": &m.content,
            }
        };
        let (my_coll, their_coll) = (self.user_msgs(m.from_user_id), self.user_msgs(peer_id));
        futures::try_join!(
            self.ensure_indexes(&my_coll, Family::SingleMsgs),
            self.ensure_indexes(&their_coll, Family::SingleMsgs),
        )?;
        let (mine, theirs) = futures::try_join!(
            my_coll
                .find_one(doc! {"messageId": &m.message_id, "sender": &from, "direction": 0})
                .into_future(),
            their_coll
                .find_one(doc! {"messageId": &m.message_id, "sender": &to, "receiver": &from, "direction": 1})
                .into_future(),
        )?;
        for copy in mine.iter().chain(theirs.iter()) {
            let peer_ok = copy.get_str("receiver") == Ok(to.as_str())
                || copy.get_str("sender") == Ok(to.as_str());
            if !peer_ok || !same_message(copy, m) {
                return Err(Refusal::IdTaken.into());
            }
        }
        let insert =
            |coll: &mongodb::Collection<Document>, copy: &Option<Document>, doc: Document| {
                let coll = coll.clone();
                let missing = copy.is_none();
                async move {
                    if missing {
                        insert_once(&coll, doc).await?;
                    }
                    StoreResult::Ok(())
                }
            };
        let (my_record, their_record) = (record(&from, &to, 0, 1), record(&to, &from, 1, 0));
        if mine.is_none() && theirs.is_none() && my_coll.namespace() == their_coll.namespace() {
            // Both sides in one shard (the common case): one round trip.
            insert_all_once(&my_coll, vec![my_record, their_record]).await?;
        } else {
            futures::try_join!(
                insert(&my_coll, &mine, my_record),
                insert(&their_coll, &theirs, their_record),
            )?;
        }
        let created = mine.is_none() || theirs.is_none();
        let first_time = mine
            .as_ref()
            .and_then(|d| crate::util::num(d, "timeSend"))
            .unwrap_or(m.time_send);
        let mut stored = m.clone();
        stored.time_send = first_time;
        // Owners whose copy was deleted or recalled (`delayedTime`, set by
        // /tigase/deleteMsg) since the first attempt: a retry must not put
        // the message back into their conversation list.
        let last_chat = |owner_id: i64, peer: &str, copy: &Option<Document>| {
            let skip = copy.as_ref().is_some_and(is_deleted);
            let coll = self.user_lastchats(owner_id);
            let owner = owner_id.to_string();
            let fields = last_chat_fields(&stored, &owner, peer, false, &to);
            let key = doc! {"userId": &owner, "jid": peer};
            async move {
                if !skip {
                    self.ensure_indexes(&coll, Family::SingleLastChats).await?;
                    upsert_last_chat(&coll, key, fields, first_time).await?;
                }
                StoreResult::Ok(())
            }
        };
        futures::try_join!(
            last_chat(m.from_user_id, &to, &mine),
            last_chat(peer_id, &from, &theirs),
        )?;
        Ok(Stored {
            message_id: m.message_id.clone(),
            time_send: first_time,
            created,
        })
    }

    /// Stores a group message: one `mucmsg_<jid>` record and the room's
    /// record in `lastChats_muc` (one per room, shared by its members).
    pub async fn write_group(&self, m: &NewMessage, room_jid: &str) -> StoreResult<Stored> {
        if !super::names::valid_room_jid(room_jid) {
            return Err(Refusal::Invalid("roomJid").into());
        }
        let _lock = id_lock(&m.message_id).await;
        let coll = self.mucmsg(room_jid);
        self.ensure_indexes(&coll, Family::MucMsgs).await?;
        let existing = coll.find_one(doc! {"messageId": &m.message_id}).await?;
        if let Some(e) = &existing {
            let same_sender = e.get_str("sender") == Ok(m.from_user_id.to_string().as_str());
            if !same_sender || !same_message(e, m) {
                return Err(Refusal::IdTaken.into());
            }
        }
        let recalled = existing.as_ref().is_some_and(is_deleted);
        let (first_time, created) = match existing {
            Some(existing) => (
                crate::util::num(&existing, "timeSend").unwrap_or(m.time_send),
                false,
            ),
            None => {
                insert_once(
                    &coll,
                    doc! {
                        "_id": record_oid(room_jid, &m.message_id, 2),
                        "message": m.message_json(2),
                        "room_jid": room_jid,
                        "sender_jid": &m.from_jid,
                        "sender": m.from_user_id.to_string(),
                        "ts": crate::util::now_ms(),
                        "contentType": m.msg_type,
                        "messageId": &m.message_id,
                        "timeSend": m.time_send,
                        "deleteTime": 0i64,
                        "content": &m.content,
                        "readCount": 0,
                    },
                )
                .await?;
                (m.time_send, true)
            }
        };
        // A retry of a recalled message leaves the room's last chat alone.
        if !recalled {
            let mut stored = m.clone();
            stored.time_send = first_time;
            let owner = m.from_user_id.to_string();
            let fields = last_chat_fields(&stored, &owner, room_jid, true, room_jid);
            upsert_last_chat(
                &self.muc_lastchats(),
                doc! {"jid": room_jid},
                fields,
                first_time,
            )
            .await?;
        }
        Ok(Stored {
            message_id: m.message_id.clone(),
            time_send: first_time,
            created,
        })
    }
}

/// The `_id` of a message record stored here: made from its owner (the
/// owner and peer of a single-chat copy, or the room), message id and
/// direction, so that an instance sending the same
/// message at the same moment as another (a client retrying through a load
/// balancer) finds the record made and stores nothing twice. (Records of
/// the original keep their own ids.)
fn record_oid(owner: &str, message_id: &str, direction: i32) -> bson::oid::ObjectId {
    key_oid(&doc! {"owner": owner, "messageId": message_id, "direction": direction})
}

/// Inserts a record whose `_id` is derived from its key: already there (a
/// concurrent send of another instance) counts as done.
async fn insert_once(coll: &Collection<Document>, record: Document) -> StoreResult<()> {
    match coll.insert_one(record).await {
        Ok(_) => Ok(()),
        Err(e) if super::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// [`insert_once`] for several records in one round trip: each record
/// already there counts as done, any other failure fails the whole.
async fn insert_all_once(coll: &Collection<Document>, records: Vec<Document>) -> StoreResult<()> {
    use mongodb::error::{ErrorKind, InsertManyError};
    let Err(e) = coll.insert_many(records).ordered(false).await else {
        return Ok(());
    };
    match &*e.kind {
        ErrorKind::InsertMany(InsertManyError {
            write_errors: Some(errors),
            write_concern_error: None,
            ..
        }) if errors.iter().all(|w| w.code == 11000) => Ok(()),
        _ => Err(e.into()),
    }
}

/// Whether /tigase/deleteMsg deleted or recalled this record (it sets
/// `delayedTime`; every reader skips such records).
fn is_deleted(record: &Document) -> bool {
    !matches!(record.get("delayedTime"), None | Some(bson::Bson::Null))
}

/// Whether a stored record is `m` again (a retry): same type and content.
fn same_message(stored: &Document, m: &NewMessage) -> bool {
    crate::util::num(stored, "contentType") == Some(m.msg_type as i64)
        && stored.get_str("content").unwrap_or("") == m.content
}

/// Replaces the last-chat record matching `key` only with a message that is
/// not older than the one it holds (a history import never hides a newer
/// message); inserts it, in the original's field order, when there is none.
async fn upsert_last_chat(
    coll: &Collection<Document>,
    key: Document,
    fields: Document,
    time_send: i64,
) -> StoreResult<()> {
    let mut newer = key.clone();
    newer.insert("timeSend", doc! {"$lte": time_send});
    let r = coll
        .update_one(newer.clone(), doc! {"$set": fields.clone()})
        .await?;
    if r.matched_count == 0 && coll.find_one(key.clone()).await?.is_none() {
        // A record made here has an `_id` derived from its key, so of
        // concurrent first messages of a conversation one inserts it and the
        // others update it (records of the original keep their own ids).
        let mut record = doc! {"_id": key_oid(&key)};
        record.extend(fields.clone());
        match coll.insert_one(record).await {
            Ok(_) => {}
            Err(e) if super::is_duplicate_key(&e) => {
                coll.update_one(newer, doc! {"$set": fields}).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The `_id` of a last-chat record this service creates: an ObjectId made
/// from the record's key (owner and peer, or room), the same every time.
fn key_oid(key: &Document) -> bson::oid::ObjectId {
    let digest = crate::secure::md5(key.to_string().as_bytes());
    let mut bytes = [0u8; 12];
    bytes.copy_from_slice(&digest[..12]);
    bson::oid::ObjectId::from_bytes(bytes)
}

/// The last-chat fields of seed 1.4 (`userId` is a string, `isRoom` an Int32).
pub fn last_chat_fields(
    m: &NewMessage,
    owner: &str,
    jid: &str,
    is_room: bool,
    to: &str,
) -> Document {
    doc! {
        "type": m.msg_type,
        "messageId": &m.message_id,
        "timeSend": m.time_send,
        "content": &m.content,
        "userId": owner,
        "jid": jid,
        "isRoom": if is_room { 1 } else { 0 },
        "isEncrypt": false,
        "encryptType": 0,
        "from": &m.from_jid,
        "to": to,
        "fromUserName": &m.from_user_name,
        "toUserName": &m.to_user_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_json_matches_a_seed_record() {
        let m = NewMessage {
            message_id: "skimweb_100164161404837631184".into(),
            from_user_id: 100164,
            from_user_name: "张益达".into(),
            from_jid: "100164/web".into(),
            to: "100102".into(),
            to_user_id: "100102".into(),
            to_user_name: "A9gz0".into(),
            msg_type: 1,
            content: "123".into(),
            time_send: 1614048376311,
            extra: BTreeMap::new(),
        };
        assert_eq!(
            m.message_json(1),
            r#"{"content":"123","deleteTime":0,"encryptType":0,"fileSize":0,"fileTime":0,"fromUserId":"100164","fromUserName":"张益达","isEncrypt":false,"isReadDel":false,"location_x":0.0,"location_y":0.0,"messageHead":{"chatType":1,"from":"100164/web","messageId":"skimweb_100164161404837631184","offline":false,"to":"100102"},"timeSend":1614048376311,"toUserId":"100102","toUserName":"A9gz0","type":1}"#
        );
    }
}
