//! `shiku-api seed`: loads `data/seed.json` (the documents of the seed API
//! document, `_id`s and `message` strings as they are) and gives the demo users
//! a known password; `--messages N` adds N synthetic chat messages. Running it
//! twice changes nothing (documents are upserted by `_id`; synthetic messages
//! have deterministic ids).

use bson::{doc, Bson, Document};
use indicatif::{ProgressBar, ProgressStyle};
use mongodb::Collection;

use crate::store::users::encode_password;
use crate::store::Store;

pub const SEED_JSON: &str = include_str!("../data/seed.json");
/// Password of every demo user; clients send md5 of it.
pub const DEMO_PASSWORD: &str = "123456";

/// Resolves a seed file database key to the configured database.
fn database(store: &Store, key: &str) -> Option<String> {
    Some(match key {
        "imapi" => store.cfg.imapi.clone(),
        "room" => store.cfg.room.clone(),
        "msgs" => store.cfg.msgs.clone(),
        "lastchat" => store.cfg.lastchat.clone(),
        "room_member" => store.cfg.room_member.clone(),
        "room_jids" => store.cfg.room_jids.clone(),
        _ => return None,
    })
}

/// Every seed document as `(database, collection, document)`.
pub fn seed_documents(store: &Store) -> Result<Vec<(String, String, Document)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(SEED_JSON).map_err(|e| format!("data/seed.json: {e}"))?;
    let mut out = Vec::new();
    for (db_key, colls) in v.as_object().ok_or("seed.json: not an object")? {
        let db = database(store, db_key)
            .ok_or_else(|| format!("seed.json: unknown database key {db_key}"))?;
        for (coll, docs) in colls.as_object().ok_or("seed.json: not an object")? {
            for d in docs.as_array().ok_or("seed.json: not an array")? {
                match Bson::try_from(d.clone()).map_err(|e| e.to_string())? {
                    Bson::Document(doc) => out.push((db.clone(), coll.clone(), doc)),
                    _ => return Err("seed.json: a document is not an object".into()),
                }
            }
        }
    }
    Ok(out)
}

/// Loads the seed documents (and demo passwords) into the configured databases.
pub async fn load(store: &Store) -> Result<usize, String> {
    let docs = seed_documents(store)?;
    let demo = encode_password(DEMO_PASSWORD);
    for (db, coll, mut d) in docs.iter().cloned() {
        if coll == crate::store::names::USER && db == store.cfg.imapi {
            d.insert("password", demo.clone());
        }
        // By `_id`; documents without one (index entries) by their whole content.
        let filter = match d.get("_id") {
            Some(id) => doc! {"_id": id.clone()},
            None => d.clone(),
        };
        let c: Collection<Document> = store.client.database(&db).collection(&coll);
        c.replace_one(filter, d)
            .upsert(true)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(docs.len())
}

pub async fn run(store: &Store, messages: u64) -> Result<(), String> {
    let n = load(store).await?;
    println!("seed: {n} documents loaded");
    println!(
        "demo users log in with password {DEMO_PASSWORD:?} (clients send its md5: {})",
        crate::store::users::md5_hex(DEMO_PASSWORD.as_bytes())
    );
    println!(
        "  e.g. curl 'localhost:8092/user/login?telephone=18094152050&areaCode=86&password={}'",
        crate::store::users::md5_hex(DEMO_PASSWORD.as_bytes())
    );
    if messages > 0 {
        synthetic(store, messages).await?;
    }
    store
        .create_all_indexes()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Synthetic users 200000.. chatting in pairs and in rooms; ids are derived
/// from the sequence number so a second run overwrites instead of adding.
pub async fn synthetic(store: &Store, n: u64) -> Result<(), String> {
    let bar = ProgressBar::new(n);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages {per_sec} eta {eta}").unwrap(),
    );
    let users: i64 = 1000;
    let batch = 1000u64;
    let mut i = 0u64;
    while i < n {
        let end = (i + batch).min(n);
        let mut by_owner: std::collections::HashMap<i64, Vec<Document>> = Default::default();
        for k in i..end {
            let from = 200000 + (k as i64 % users);
            let to = 200000 + ((k as i64 * 7 + 1) % users);
            let to = if to == from {
                200000 + ((to - 200000 + 1) % users)
            } else {
                to
            };
            let t = 1_600_000_000_000i64 + k as i64 * 1000;
            let mid = format!("synthetic_{k}");
            let m = crate::store::msgs::NewMessage {
                message_id: mid.clone(),
                from_user_id: from,
                from_user_name: format!("user{from}"),
                from_jid: format!("{from}/web"),
                to: to.to_string(),
                to_user_id: to.to_string(),
                to_user_name: format!("user{to}"),
                msg_type: 1,
                content: format!("message {k}"),
                time_send: t,
                extra: Default::default(),
            };
            let message = m.message_json(1);
            for (owner, peer, dir) in [(from, to, 0), (to, from, 1)] {
                let id = bson::oid::ObjectId::from_bytes(oid_bytes(k, dir));
                let d = doc! {
                    "_id": id, "message": &message, "direction": dir, "sender": owner.to_string(),
                    "receiver": peer.to_string(), "sender_jid": &m.from_jid, "receiver_jid": to.to_string(),
                    "ts": t + 50, "contentType": 1, "messageId": &mid, "timeSend": t, "deleteTime": 0i64,
                    "isRead": 1, "isEncrypt": false, "content": &m.content,
                };
                by_owner.entry(owner).or_default().push(d);
            }
        }
        // Shards group many owners; one unordered insert per shard. A rerun hits
        // duplicate `_id`s, which are ignored: the data is already there.
        let mut by_shard: std::collections::BTreeMap<String, Vec<Document>> = Default::default();
        for (owner, docs) in by_owner {
            by_shard
                .entry(crate::store::names::user_shard(owner))
                .or_default()
                .extend(docs);
        }
        // Every tenth message also goes to the demo room (group history at scale).
        let room_jid = "6c1536dbf97540d1b906d76f4272a90d";
        let group: Vec<Document> = (i..end)
            .filter(|k| k % 10 == 0)
            .map(|k| {
                let t = 1_600_000_000_000i64 + k as i64 * 1000;
                let m = crate::store::msgs::NewMessage {
                    message_id: format!("synthetic_g{k}"),
                    from_user_id: 100164,
                    from_user_name: "张益达".into(),
                    from_jid: "100164/web".into(),
                    to: room_jid.into(),
                    to_user_id: room_jid.into(),
                    to_user_name: "测试群".into(),
                    msg_type: 1,
                    content: format!("group message {k}"),
                    time_send: t,
                    extra: Default::default(),
                };
                doc! {
                    "_id": bson::oid::ObjectId::from_bytes(oid_bytes(k, 2)), "message": m.message_json(2),
                    "room_jid": room_jid, "sender_jid": "100164/web", "sender": "100164", "ts": t + 50,
                    "contentType": 1, "messageId": &m.message_id, "timeSend": t, "deleteTime": 0i64,
                    "content": &m.content, "readCount": 0,
                }
            })
            .collect();
        if !group.is_empty() {
            if let Err(e) = store
                .mucmsg(room_jid)
                .insert_many(group)
                .ordered(false)
                .await
            {
                if !only_duplicates(&e) {
                    return Err(e.to_string());
                }
            }
        }
        for (shard, docs) in by_shard {
            let coll = store.msgs_db().collection::<Document>(&shard);
            if let Err(e) = coll.insert_many(docs).ordered(false).await {
                if !only_duplicates(&e) {
                    return Err(e.to_string());
                }
            }
        }
        bar.inc(end - i);
        i = end;
    }
    bar.finish();
    Ok(())
}

fn only_duplicates(e: &mongodb::error::Error) -> bool {
    match &*e.kind {
        mongodb::error::ErrorKind::InsertMany(m) => {
            m.write_concern_error.is_none()
                && m.write_errors
                    .as_ref()
                    .is_some_and(|w| w.iter().all(|x| x.code == 11000))
        }
        _ => false,
    }
}

fn oid_bytes(k: u64, dir: i32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0] = 0x5f;
    b[1] = 0xff;
    b[2] = dir as u8;
    b[4..12].copy_from_slice(&k.to_be_bytes());
    b
}
