//! `shiku-api seed`: loads `data/seed.json` (the documents of the seed API
//! document, `_id`s and `message` strings as they are) and gives the demo users
//! a known password; `--messages N` adds N synthetic chat messages. Running it
//! twice changes nothing (documents are upserted by `_id`; synthetic messages
//! have deterministic ids).

use bson::{doc, Bson, Document};
use indicatif::{ProgressBar, ProgressStyle};
use mongodb::Collection;

use crate::secure::login_password as encode_password;
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

pub async fn run(store: &Store, messages: u64, force: bool) -> Result<(), String> {
    if !force {
        let others = users_besides_the_demo(store).await?;
        if others > 0 {
            return Err(format!(
                "the database holds {others} users besides the demo's: seeding would reset \
                 the demo users' passwords and documents; use --force to seed it anyway"
            ));
        }
    }
    let n = load(store).await?;
    println!("seed: {n} documents loaded");
    println!(
        "demo users log in with password {DEMO_PASSWORD:?} (clients send its md5: {})",
        crate::secure::md5_hex(DEMO_PASSWORD.as_bytes())
    );
    println!(
        "  e.g. curl 'localhost:8092/user/login?telephone=18094152050&areaCode=86&password={}'",
        crate::secure::md5_hex(DEMO_PASSWORD.as_bytes())
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

/// Users that are neither the seed's nor synthetic: a real deployment's.
async fn users_besides_the_demo(store: &Store) -> Result<u64, String> {
    let demo: Vec<Bson> = seed_documents(store)?
        .into_iter()
        .filter(|(db, coll, _)| *db == store.cfg.imapi && coll == crate::store::names::USER)
        .filter_map(|(_, _, d)| d.get("_id").cloned())
        .collect();
    let synthetic = doc! {"$gte": SYNTHETIC_FIRST_USER, "$lte": STEADY_USER + 1};
    store
        .users()
        .count_documents(doc! {"$and": [{"_id": {"$nin": demo}}, {"_id": {"$not": synthetic}}]})
        .await
        .map_err(|e| e.to_string())
}

/// Synthetic users 200000..=200999 (shard `"20"`).
pub const SYNTHETIC_FIRST_USER: i64 = 200000;
const SYNTHETIC_USERS: i64 = 1000;
/// Conversations each synthetic user starts; with the ones others start with
/// them every user has about twice as many partners.
const CONVERSATIONS_PER_USER: i64 = 4;
/// Every `HOT_EVERY`-th message belongs to one busy conversation (200000 with
/// 200001), so that one history is deep at every size (1/49 of the messages;
/// 49 does not divide the 4000 conversations, so none of them is left empty).
const HOT_EVERY: u64 = 49;
/// A conversation whose size does not grow with the seed: 201000 with 201001
/// (shard `"20"` like the others, no other partner), every 50th of the first
/// 10 000 messages, so 200 messages at every size from 10 000 on. The scale
/// bench reads it to see the collection's growth alone.
pub const STEADY_USER: i64 = 201000;
const STEADY_UNTIL: u64 = 10_000;
const STEADY_EVERY: u64 = 50;
/// First synthetic `timeSend` (ms, May 2021): after the demo room was created,
/// so its members see the synthetic group messages.
pub const SYNTHETIC_BASE_TIME: i64 = 1_620_000_000_000;
/// The demo room every tenth synthetic message also goes to.
pub const SYNTHETIC_ROOM_JID: &str = "6c1536dbf97540d1b906d76f4272a90d";

/// Who sends message `k` to whom: conversation `k % 4000` between `a` and one
/// of its four partners `a + 1`, `a + 98`, `a + 195`, `a + 292` (mod 1000),
/// taking turns by round; every 49th message is the busy pair's; the steady
/// pair's messages come first.
pub fn synthetic_pair(k: u64) -> (i64, i64) {
    if k < STEADY_UNTIL && k % STEADY_EVERY == STEADY_EVERY / 2 {
        let (a, b) = (STEADY_USER, STEADY_USER + 1);
        return if (k / STEADY_EVERY).is_multiple_of(2) {
            (a, b)
        } else {
            (b, a)
        };
    }
    let (a, b, round) = if k.is_multiple_of(HOT_EVERY) {
        (0, 1, k / HOT_EVERY)
    } else {
        let q = (k as i64) % (SYNTHETIC_USERS * CONVERSATIONS_PER_USER);
        let a = q % SYNTHETIC_USERS;
        let b = (a + 1 + (q / SYNTHETIC_USERS) * 97) % SYNTHETIC_USERS;
        (a, b, k / (SYNTHETIC_USERS * CONVERSATIONS_PER_USER) as u64)
    };
    let (from, to) = if round % 2 == 0 { (a, b) } else { (b, a) };
    (SYNTHETIC_FIRST_USER + from, SYNTHETIC_FIRST_USER + to)
}

fn synthetic_message(k: u64) -> crate::store::msgs::NewMessage {
    let (from, to) = synthetic_pair(k);
    crate::store::msgs::NewMessage {
        message_id: format!("synthetic_{k}"),
        from_user_id: from,
        from_user_name: format!("user{from}"),
        from_jid: format!("{from}/web"),
        to: to.to_string(),
        to_user_id: to.to_string(),
        to_user_name: format!("user{to}"),
        msg_type: 1,
        content: format!("message {k}"),
        time_send: SYNTHETIC_BASE_TIME + k as i64 * 1000,
        extra: Default::default(),
    }
}

/// `n` synthetic single-chat messages (two records each, as the chat server
/// archives them) among 1000 users with ~8 partners each, every tenth also a
/// group message in the demo room, and the matching last-chat records. Ids are
/// derived from the sequence number, so a second run (or a larger `n` after a
/// smaller one) only adds what is missing.
pub async fn synthetic(store: &Store, n: u64) -> Result<(), String> {
    let bar = ProgressBar::new(n);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages {per_sec} eta {eta}").unwrap(),
    );
    let batch = 2000u64;
    // (owner, peer) -> newest message k of that conversation
    let mut last: std::collections::HashMap<(i64, i64), u64> = Default::default();
    let mut i = 0u64;
    while i < n {
        let end = (i + batch).min(n);
        let mut by_shard: std::collections::BTreeMap<String, Vec<Document>> = Default::default();
        for k in i..end {
            let m = synthetic_message(k);
            let to = m.to_user_id.parse::<i64>().unwrap_or(0);
            let message = m.message_json(1);
            let t = m.time_send;
            for (owner, peer, dir) in [(m.from_user_id, to, 0), (to, m.from_user_id, 1)] {
                last.insert((owner, peer), k);
                let id = bson::oid::ObjectId::from_bytes(oid_bytes(k, dir));
                let d = doc! {
                    "_id": id, "message": &message, "direction": dir, "sender": owner.to_string(),
                    "receiver": peer.to_string(), "sender_jid": &m.from_jid, "receiver_jid": to.to_string(),
                    "ts": t + 50, "contentType": 1, "messageId": &m.message_id, "timeSend": t, "deleteTime": 0i64,
                    "isRead": if dir == 0 { 1 } else { 0 }, "isEncrypt": false, "content": &m.content,
                };
                by_shard
                    .entry(crate::store::names::user_shard(owner))
                    .or_default()
                    .push(d);
            }
        }
        let group: Vec<Document> = (i..end)
            .filter(|k| k % 10 == 0)
            .map(|k| {
                let m = group_message(k);
                doc! {
                    "_id": bson::oid::ObjectId::from_bytes(oid_bytes(k, 2)), "message": m.message_json(2),
                    "room_jid": SYNTHETIC_ROOM_JID, "sender_jid": &m.from_jid, "sender": m.from_user_id.to_string(),
                    "ts": m.time_send + 50, "contentType": 1, "messageId": &m.message_id, "timeSend": m.time_send,
                    "deleteTime": 0i64, "content": &m.content, "readCount": 0,
                }
            })
            .collect();
        if !group.is_empty() {
            insert_ignoring_duplicates(&store.mucmsg(SYNTHETIC_ROOM_JID), group).await?;
        }
        let jh: Vec<Document> = (i..end).filter(|k| k % 20 == 0).map(jh_message).collect();
        if !jh.is_empty() {
            insert_ignoring_duplicates(&store.jh_messages(), jh).await?;
        }
        // One unordered insert per shard. A rerun hits duplicate `_id`s, which
        // are ignored: the data is already there.
        for (shard, docs) in by_shard {
            insert_ignoring_duplicates(&store.msgs_db().collection(&shard), docs).await?;
        }
        bar.inc(end - i);
        i = end;
    }
    bar.finish();

    // Last-chat records: one per user and partner, showing the newest message.
    let mut by_shard: std::collections::BTreeMap<String, Vec<Document>> = Default::default();
    for ((owner, peer), k) in &last {
        let m = synthetic_message(*k);
        let d = crate::store::msgs::last_chat_fields(
            &m,
            &owner.to_string(),
            &peer.to_string(),
            false,
            &m.to_user_id,
        );
        by_shard
            .entry(crate::store::names::user_shard(*owner))
            .or_default()
            .push(d);
    }
    let (lo, hi) = (
        SYNTHETIC_FIRST_USER.to_string(),
        (STEADY_USER + 1).to_string(),
    );
    for (shard, docs) in by_shard {
        let coll: Collection<Document> = store.lastchat_db().collection(&shard);
        coll.delete_many(doc! {"userId": {"$gte": &lo, "$lte": &hi}, "isRoom": 0})
            .await
            .map_err(|e| e.to_string())?;
        coll.insert_many(docs).await.map_err(|e| e.to_string())?;
    }
    // The room's shared last-chat record, when the newest group message is newer.
    if let Some(k) = (0..n).rev().find(|k| k % 10 == 0) {
        let m = group_message(k);
        let fields = crate::store::msgs::last_chat_fields(
            &m,
            &m.from_user_id.to_string(),
            SYNTHETIC_ROOM_JID,
            true,
            SYNTHETIC_ROOM_JID,
        );
        store
            .muc_lastchats()
            .update_one(
                doc! {"jid": SYNTHETIC_ROOM_JID, "timeSend": {"$lte": m.time_send}},
                doc! {"$set": fields},
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    println!(
        "seed: {n} synthetic messages ({} single-chat records, {} group messages, {} JH messages, {} last chats)",
        2 * n,
        n.div_ceil(10),
        n.div_ceil(20),
        last.len()
    );
    Ok(())
}

fn group_message(k: u64) -> crate::store::msgs::NewMessage {
    crate::store::msgs::NewMessage {
        message_id: format!("synthetic_g{k}"),
        from_user_id: 100164,
        from_user_name: "张益达".into(),
        from_jid: "100164/web".into(),
        to: SYNTHETIC_ROOM_JID.into(),
        to_user_id: SYNTHETIC_ROOM_JID.into(),
        to_user_name: "测试群".into(),
        msg_type: 1,
        content: format!("group message {k}"),
        time_send: SYNTHETIC_BASE_TIME + k as i64 * 1000 + 500,
        extra: Default::default(),
    }
}

/// Every 20th synthetic message also is a JH customer-service message between
/// member `m<p>` and sales agent `s<p>` (50 pairs, taking turns), stored like
/// `/api/im/sendMsg` stores them (`schema/jh_messages.md`).
fn jh_message(k: u64) -> Document {
    let j = k / 20;
    let p = j % 50;
    let (from, to, fromrole, torole) = if (j / 50).is_multiple_of(2) {
        (format!("m{p}"), format!("s{p}"), "MEMBER", "SALER")
    } else {
        (format!("s{p}"), format!("m{p}"), "SALER", "MEMBER")
    };
    let t = SYNTHETIC_BASE_TIME + k as i64 * 1000;
    let at = bson::DateTime::from_millis(t);
    doc! {
        "_id": bson::oid::ObjectId::from_bytes(oid_bytes(k, 3)),
        "fromarea": "", "content": format!("jh message {k}"), "t_avatar": "", "t_nickname": "",
        "to": to, "f_avatar": "", "f_nickname": "", "from": from, "appid": "JH", "__v": 0,
        "readtime": -1, "sendtime": t as f64, "update_at": at, "create_at": at,
        "imageSize": -1, "voiceLength": -1, "channel": "PC", "torole": torole,
        "fromrole": fromrole, "type": "TEXT", "status": 0,
    }
}

async fn insert_ignoring_duplicates(
    coll: &Collection<Document>,
    docs: Vec<Document>,
) -> Result<(), String> {
    match coll.insert_many(docs).ordered(false).await {
        Ok(_) => Ok(()),
        Err(e) if only_duplicates(&e) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_users_have_several_partners() {
        let mut partners: std::collections::HashMap<i64, std::collections::HashSet<i64>> =
            Default::default();
        for k in 0..100_000 {
            let (a, b) = synthetic_pair(k);
            assert_ne!(a, b);
            partners.entry(a).or_default().insert(b);
            partners.entry(b).or_default().insert(a);
        }
        let steady = [STEADY_USER, STEADY_USER + 1];
        assert_eq!(partners.len(), 1002);
        assert!(
            partners
                .iter()
                .filter(|(u, _)| !steady.contains(u))
                .all(|(_, p)| p.len() >= 8),
            "each user has 8+ partners"
        );
        // The steady pair talk only to each other, 200 messages at any size.
        assert_eq!(partners[&STEADY_USER].len(), 1);
        let steady_messages = (0..100_000)
            .filter(|k| steady.contains(&synthetic_pair(*k).0))
            .count();
        assert_eq!(steady_messages, 200);
        // The busy pair has a full page of history even at 10 000 messages.
        let hot = (0..10_000)
            .filter(|k| {
                let (a, b) = synthetic_pair(*k);
                (a, b) == (200000, 200001) || (a, b) == (200001, 200000)
            })
            .count();
        assert!(hot >= 200, "{hot}");
    }
}
