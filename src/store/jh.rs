//! MongoDB access for the JH customer-service dialect (`/api/im/*`).
//!
//! Messages live in `JH_DB`.`JH_COLLECTION` (see `schema/jh_messages.md`), the
//! user-status documents of `regUserInfo`/`getUserStatus` in `JH_DB`.`userstatuses`
//! (see `schema/jh_userstatuses.md`). Documents are written in the original's
//! (mongoose) key order and types; reads accept every numeric type.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use bson::{doc, Document};
use futures::TryStreamExt;
use mongodb::{options::IndexOptions, Collection, IndexModel};

use super::Store;

/// Collection of the user-status documents, next to the messages in `JH_DB`
/// (mongoose pluralises a `UserStatus` model to `userstatuses`).
pub const STATUS_COLLECTION: &str = "userstatuses";

/// Indexes of the JH message collection.
pub fn indexes() -> Vec<IndexModel> {
    vec![
        // Poll and history: one index per `$or` branch (the querier's messages by
        // `fromrole`, the peer's by `torole`), equality on (appid, from, to, role),
        // sorted by sendtime then _id, newest first. MongoDB merges the two scans.
        IndexModel::builder()
            .keys(doc! {"appid": 1, "from": 1, "to": 1, "fromrole": 1, "sendtime": -1, "_id": -1})
            .build(),
        IndexModel::builder()
            .keys(doc! {"appid": 1, "from": 1, "to": 1, "torole": 1, "sendtime": -1, "_id": -1})
            .build(),
        // Unread count and mark-read: (appid, from, fromrole, to, status 0).
        IndexModel::builder()
            .keys(doc! {"appid": 1, "from": 1, "to": 1, "fromrole": 1, "status": 1})
            .build(),
    ]
}

/// Indexes of the user-status collection: one document per (appid, userid, userrole).
pub fn status_indexes() -> Vec<IndexModel> {
    vec![
        IndexModel::builder()
            .keys(doc! {"appid": 1, "userid": 1, "userrole": 1})
            .options(IndexOptions::builder().unique(true).build())
            .build(),
        // A user's statuses (every role), in stored order.
        IndexModel::builder()
            .keys(doc! {"appid": 1, "userid": 1, "_id": 1})
            .build(),
    ]
}

/// The pair of users a conversation query is about, seen from the querier.
pub struct Pair<'a> {
    pub appid: &'a str,
    pub from: &'a str,
    pub fromrole: &'a str,
    pub to: &'a str,
}

impl Pair<'_> {
    /// Both directions: what the querier sent to the peer and what the peer sent
    /// to the querier (in the querier's role).
    fn filter(&self) -> Document {
        doc! {
            "appid": self.appid,
            "$or": [
                {"from": self.from, "to": self.to, "fromrole": self.fromrole},
                {"from": self.to, "to": self.from, "torole": self.fromrole},
            ],
        }
    }

    /// Messages sent by `from` (in `fromrole`) to `to` that are still unread.
    fn unread_filter(&self) -> Document {
        doc! {
            "appid": self.appid,
            "from": self.from,
            "to": self.to,
            "fromrole": self.fromrole,
            "status": 0,
        }
    }
}

fn statuses(store: &Store) -> Collection<Document> {
    store
        .client
        .database(&store.jh_db)
        .collection(STATUS_COLLECTION)
}

/// Creates the status collection's index once per process (the message
/// collection's indexes come from `shiku-api indexes`).
async fn ensure_status_indexes(store: &Store) -> mongodb::error::Result<Collection<Document>> {
    static CREATED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let coll = statuses(store);
    let key = coll.namespace().to_string();
    let set = CREATED.get_or_init(|| Mutex::new(HashSet::new()));
    if !set.lock().unwrap().contains(&key) {
        coll.create_indexes(status_indexes()).await?;
        set.lock().unwrap().insert(key);
    }
    Ok(coll)
}

pub async fn insert_message(store: &Store, record: Document) -> mongodb::error::Result<()> {
    store.jh_messages().insert_one(record).await?;
    Ok(())
}

/// Messages of the pair matching `time` (a condition on `sendtime`), newest
/// first (ties by `_id`, newest first), `skip`/`limit` applied.
pub async fn find_pair(
    store: &Store,
    pair: &Pair<'_>,
    time: Option<Document>,
    skip: u64,
    limit: i64,
) -> mongodb::error::Result<Vec<bson::RawDocumentBuf>> {
    let mut filter = pair.filter();
    if let Some(t) = time {
        filter.insert("sendtime", t);
    }
    store
        .jh_messages()
        .clone_with_type()
        .find(filter)
        .sort(doc! {"sendtime": -1, "_id": -1})
        .skip(skip)
        .limit(limit)
        .await?
        .try_collect()
        .await
}

/// Marks every unread message of `from` to `to` read; returns (matched, modified).
pub async fn mark_read(
    store: &Store,
    pair: &Pair<'_>,
    now_ms: i64,
) -> mongodb::error::Result<(u64, u64)> {
    let r = store
        .jh_messages()
        .update_many(
            pair.unread_filter(),
            doc! {"$set": {
                "status": 1,
                "readtime": now_ms as f64,
                "update_at": bson::DateTime::from_millis(now_ms),
            }},
        )
        .await?;
    Ok((r.matched_count, r.modified_count))
}

pub async fn count_unread(store: &Store, pair: &Pair<'_>) -> mongodb::error::Result<u64> {
    store
        .jh_messages()
        .count_documents(pair.unread_filter())
        .await
}

/// What `regUserInfo` reports, shaped like the original's raw update result.
pub struct StatusWrite {
    pub matched: u64,
    pub modified: u64,
    pub upserted: Option<bson::oid::ObjectId>,
}

/// Records a heartbeat of (appid, userid, userrole): the existing document gets
/// `isonline`, `hearttime`, `update_at` (and `channel`/`userarea` when sent) set;
/// otherwise a new document is inserted in the original's key order.
pub async fn register_status(
    store: &Store,
    appid: &str,
    userid: &str,
    userrole: &str,
    channel: Option<&str>,
    userarea: Option<&str>,
    now_ms: i64,
) -> mongodb::error::Result<StatusWrite> {
    let coll = ensure_status_indexes(store).await?;
    let key = doc! {"appid": appid, "userid": userid, "userrole": userrole};
    let mut set = doc! {
        "update_at": bson::DateTime::from_millis(now_ms),
        "isonline": 1,
        "hearttime": now_ms as f64,
    };
    if let Some(c) = channel {
        set.insert("channel", c);
    }
    if let Some(a) = userarea {
        set.insert("userarea", a);
    }
    // Two attempts: an insert that loses a race against another request for the
    // same key (unique index) becomes an update.
    for _ in 0..2 {
        let r = coll
            .update_one(key.clone(), doc! {"$set": set.clone()})
            .await?;
        if r.matched_count > 0 {
            return Ok(StatusWrite {
                matched: r.matched_count,
                modified: r.modified_count,
                upserted: None,
            });
        }
        let id = bson::oid::ObjectId::new();
        let now = bson::DateTime::from_millis(now_ms);
        let record = doc! {
            "_id": id,
            "userarea": userarea.unwrap_or(""),
            "userid": userid,
            "appid": appid,
            "__v": 0,
            "update_at": now,
            "create_at": now,
            "isonline": 1,
            "hearttime": now_ms as f64,
            "channel": channel.unwrap_or(""),
            "userrole": userrole,
        };
        match coll.insert_one(record).await {
            Ok(_) => {
                return Ok(StatusWrite {
                    matched: 1,
                    modified: 0,
                    upserted: Some(id),
                })
            }
            Err(e) if super::is_duplicate_key(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    let r = coll.update_one(key, doc! {"$set": set}).await?;
    Ok(StatusWrite {
        matched: r.matched_count,
        modified: r.modified_count,
        upserted: None,
    })
}

/// The status documents of (appid, userid[, userrole]); bounded by `limit`.
pub async fn find_status(
    store: &Store,
    appid: &str,
    userid: &str,
    userrole: Option<&str>,
    limit: i64,
) -> mongodb::error::Result<Vec<bson::RawDocumentBuf>> {
    let mut filter = doc! {"appid": appid, "userid": userid};
    if let Some(r) = userrole {
        filter.insert("userrole", r);
    }
    statuses(store)
        .clone_with_type()
        .find(filter)
        .sort(doc! {"_id": 1})
        .limit(limit)
        .await?
        .try_collect()
        .await
}
