//! Every index the service needs, created by `shiku-api indexes` (idempotent:
//! `createIndexes` with an identical spec is a no-op). Sharded collections
//! (`shiku_msgs.<n>`, last-chat shards, `mucmsg_<jid>`) get theirs for every
//! existing shard, and new shards get them the first time the service writes
//! to them ([`Store::ensure_indexes`]). `schema/` documents each one.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bson::{doc, Document};
use mongodb::{options::IndexOptions, Collection, IndexModel};

use super::{names, Store};

fn ix(keys: Document) -> IndexModel {
    IndexModel::builder().keys(keys).build()
}

fn ix_opts(keys: Document, opts: IndexOptions) -> IndexModel {
    IndexModel::builder().keys(keys).options(opts).build()
}

/// Kinds of sharded collections, each with its own index set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    SingleMsgs,
    SingleLastChats,
    MucMsgs,
    /// `shiku_room_member.<n>`
    RoomMembers,
    /// `shiku_roomJids_userId.<n>`
    UserRoomJids,
    /// `addressbook.<n>`
    AddressBook,
}

pub fn family_indexes(f: Family) -> Vec<IndexModel> {
    match f {
        // The original's four, plus history by time: equality on the pair and
        // on `delayedTime: null` (not deleted), then the sort key, so a
        // conversation the owner cleared is skipped in the index instead of
        // being fetched and filtered page after page.
        Family::SingleMsgs => vec![
            ix(doc! {"messageId": 1}),
            ix(doc! {"seqNo": 1}),
            ix(doc! {"sender": 1, "receiver": 1, "seqNo": 1, "timeSend": -1}),
            ix(doc! {"sender": 1, "receiver": 1, "direction": 1}),
            ix(doc! {"sender": 1, "receiver": 1, "delayedTime": 1, "timeSend": -1}),
            ix(doc! {"sender": 1, "timeSend": -1}),
        ],
        Family::SingleLastChats => vec![
            ix(doc! {"messageId": 1}),
            ix(doc! {"timeSend": 1, "userId": 1, "isRoom": 1, "jid": 1}),
            ix(doc! {"userId": 1, "jid": 1}),
            // The list: the owner's single chats (`isRoom: 0`), newest first.
            ix(doc! {"userId": 1, "isRoom": 1, "timeSend": -1}),
        ],
        Family::MucMsgs => vec![
            ix(doc! {"seqNo": 1}),
            ix(doc! {"messageId": 1}),
            ix(doc! {"room_jid": 1, "seqNo": 1, "timeSend": 1}),
            ix(doc! {"timeSend": -1}),
            // History without the deleted and recalled records, newest first.
            ix(doc! {"delayedTime": 1, "timeSend": -1}),
        ],
        Family::RoomMembers => vec![
            ix(doc! {"roomId": 1, "userId": 1}),
            ix(doc! {"roomId": 1, "role": 1, "createTime": 1}),
            // Members by join time, whatever their role.
            ix(doc! {"roomId": 1, "createTime": 1}),
        ],
        Family::UserRoomJids => vec![
            ix(doc! {"userId": 1, "jid": 1}),
            ix(doc! {"userId": 1, "roomId": 1}),
        ],
        // An owner's numbers (upload's "already stored"), the registered ones
        // (getAll), and the original's single-field `toTelephone`.
        Family::AddressBook => vec![
            ix(doc! {"userId": 1, "toTelephone": 1}),
            ix(doc! {"userId": 1, "registerEd": 1, "_id": 1}),
            ix(doc! {"toTelephone": 1}),
        ],
    }
}

/// Indexes that earlier builds of this service created and that the ones above
/// replace (never one of the original server's): `shiku-api indexes` drops them.
pub fn retired_indexes(f: Family) -> &'static [&'static str] {
    match f {
        Family::SingleMsgs => &["sender_1_receiver_1_timeSend_-1"],
        Family::SingleLastChats => &["userId_1_timeSend_-1"],
        _ => &[],
    }
}

/// The fixed (unsharded) collections and their indexes.
fn fixed(store: &Store) -> Vec<(Collection<Document>, Vec<IndexModel>)> {
    vec![
        (
            store.users(),
            vec![
                ix(doc! {"telephone": 1}),
                ix(doc! {"phone": 1}),
                ix(doc! {"account": 1}),
                // /nearby/user by position (`$geoWithin` on the stored `{lng, lat}`).
                ix(doc! {"loc": "2d"}),
                // /nearby/user by nickname (when the deployment allows it).
                ix(doc! {"nickname": 1}),
                // /public/search/list: the public accounts, in id order.
                ix(doc! {"userType": 1, "_id": 1}),
            ],
        ),
        (
            store.imapi().collection::<Document>(names::USER_ROLES),
            vec![ix(doc! {"userId": 1})],
        ),
        (
            store
                .imapi()
                .collection::<Document>(names::OFFLINE_OPERATION),
            vec![
                ix(doc! {"userId": 1, "tag": 1, "friendId": 1}),
                ix(doc! {"userId": 1, "operationTime": 1}),
            ],
        ),
        (
            store.imapi().collection::<Document>(names::FRIEND_GROUP),
            vec![ix(doc! {"userId": 1, "createTime": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::EMOJI),
            vec![ix(
                doc! {"userId": 1, "type": 1, "createTime": -1, "_id": -1},
            )],
        ),
        (
            store.imapi().collection::<Document>(names::S_COLLECT),
            vec![ix(doc! {"msgId": 1, "userId": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::MP_MENU),
            vec![
                ix(doc! {"userId": 1, "parentId": 1, "index": 1}),
                ix(doc! {"parentId": 1, "index": 1}),
            ],
        ),
        (
            store.imapi().collection::<Document>(names::COMMON_TEXT),
            vec![ix(doc! {"createUserId": 1, "_id": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::PUSH_INFO),
            vec![ix(doc! {"pushToken": 1, "pushServer": 1, "deviceKey": 1})],
        ),
        (
            // The pages the console blocked (`/user/checkReportUrl`).
            store.imapi().collection::<Document>(names::REPORT),
            vec![ix(doc! {"webStatus": 1}), ix(doc! {"userId": 1, "time": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::SDK_LOGIN_INFO),
            vec![ix(doc! {"userId": 1, "type": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::GROUP_HELPER),
            vec![ix(doc! {"roomId": 1, "helperId": 1})],
        ),
        (
            store.imapi().collection::<Document>(names::INVITE_CODE),
            vec![ix(doc! {"userId": 1})],
        ),
        (
            // New-friend records, newest first: a user's, and per friend.
            store
                .imapi()
                .collection::<Document>(super::friends::NEW_FRIENDS),
            vec![
                ix(doc! {"userId": 1, "modifyTime": -1, "_id": -1}),
                ix(doc! {"userId": 1, "toUserId": 1, "modifyTime": -1, "_id": -1}),
            ],
        ),
        (
            store.friends(),
            vec![
                ix(doc! {"userId": 1, "toUserId": 1}),
                ix(doc! {"toUserId": 1}),
                // /friends/page: a user's relations by status, in stored order.
                ix(doc! {"userId": 1, "status": 1, "_id": 1}),
                // The blacklist and all relations, in stored order.
                ix(doc! {"userId": 1, "_id": 1}),
            ],
        ),
        (
            store.stick_dialog(),
            vec![
                ix(doc! {"userId": 1, "jid": 1}),
                ix(doc! {"userId": 1, "time": -1}),
            ],
        ),
        (
            store.room_group_msg(),
            vec![ix(doc! {"userId": 1, "roomJid": 1, "messageId": 1})],
        ),
        (
            store.resources(),
            // The original looks files up by `url` and `path` and expires them
            // with `{endTime: {$gt: 0, $lt: now}}`; its documents have no userId.
            vec![
                ix(doc! {"url": 1}),
                ix(doc! {"path": 1}),
                ix(doc! {"endTime": 1}),
            ],
        ),
        (
            store.imapi().collection::<Document>(names::LOCATION_ROOMS),
            vec![
                ix(doc! {"password": 1}),
                ix_opts(
                    doc! {"expireAt": 1},
                    IndexOptions::builder()
                        .expire_after(Duration::from_secs(0))
                        .build(),
                ),
            ],
        ),
        (
            store.sessions(),
            vec![ix_opts(
                doc! {"expireAt": 1},
                IndexOptions::builder()
                    .expire_after(Duration::from_secs(0))
                    .build(),
            )],
        ),
        (
            store.rooms(),
            vec![
                ix(doc! {"jid": 1}),
                ix(doc! {"userId": 1}),
                ix(doc! {"name": 1}),
                // /room/list: the public rooms, newest first.
                ix(doc! {"isLook": 1, "_id": -1}),
            ],
        ),
        (
            store.room_db().collection::<Document>(names::ROOM_SHARE),
            vec![
                ix(doc! {"roomId": 1, "time": -1}),
                ix(doc! {"roomId": 1, "time": -1, "_id": -1}),
            ],
        ),
        (
            store.room_notices(),
            vec![ix(doc! {"roomId": 1, "time": -1})],
        ),
        (
            store.muc_lastchats(),
            vec![
                ix(doc! {"messageId": 1}),
                ix(doc! {"userId": 1, "jid": 1}),
                ix(doc! {"jid": 1, "timeSend": -1}),
            ],
        ),
        (store.jh_messages(), super::jh::indexes()),
        (
            store
                .client
                .database(&store.jh_db)
                .collection(super::jh::STATUS_COLLECTION),
            super::jh::status_indexes(),
        ),
    ]
}

/// Every index `shiku-api indexes` makes, as (database role, collection or
/// shard family as [`super::queries::Shape`] names it, keys), `_id` included:
/// what the index-coverage check holds every query against.
pub fn planned(store: &Store) -> Vec<(String, String, Vec<(String, i32)>)> {
    let roles = super::queries::roles(&store.cfg, &store.jh_db);
    let role = |db: &str| {
        roles
            .iter()
            .find(|(n, _)| n == db)
            .map(|(_, r)| r.to_string())
            .unwrap_or_default()
    };
    let keys = |m: &IndexModel| {
        m.keys
            .iter()
            .map(|(k, v)| (k.clone(), crate::util::bson_i64(v).unwrap_or(1) as i32))
            .collect::<Vec<_>>()
    };
    let mut out = vec![];
    let mut add = |db: String, coll: String, models: Vec<IndexModel>| {
        out.push((db.clone(), coll.clone(), vec![("_id".to_string(), 1)]));
        for m in &models {
            out.push((db.clone(), coll.clone(), keys(m)));
        }
    };
    for (coll, models) in fixed(store) {
        let ns = coll.namespace();
        add(role(&ns.db), ns.coll, models);
    }
    for (db, coll, family) in [
        ("msgs", "*", Family::SingleMsgs),
        ("lastchat", "*", Family::SingleLastChats),
        ("room", "mucmsg_*", Family::MucMsgs),
        ("room_member", "*", Family::RoomMembers),
        ("room_jids", "*", Family::UserRoomJids),
        ("addressbook", "*", Family::AddressBook),
    ] {
        add(db.into(), coll.into(), family_indexes(family));
    }
    out
}

/// Creates `models` one by one; an index the deployment already has under
/// another name or with other options (the original's Spring-named ones,
/// MongoDB's codes 85 and 86) is kept as it is and serves the same queries.
async fn create_beside_existing(
    coll: &Collection<Document>,
    models: Vec<IndexModel>,
) -> mongodb::error::Result<()> {
    for m in models {
        let keys = m.keys.clone();
        if let Err(e) = coll.create_index(m).await {
            let code = match &*e.kind {
                mongodb::error::ErrorKind::Command(c) => Some(c.code),
                _ => None,
            };
            match code {
                Some(85) | Some(86) => tracing::info!(
                    "{}: an equivalent index of {keys} exists already; kept",
                    coll.namespace()
                ),
                _ => return Err(e),
            }
        }
    }
    Ok(())
}

fn created() -> &'static Mutex<HashSet<String>> {
    static CREATED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    CREATED.get_or_init(|| Mutex::new(HashSet::new()))
}

impl Store {
    /// Creates the indexes of a sharded collection once per process.
    pub async fn ensure_indexes(
        &self,
        coll: &Collection<Document>,
        family: Family,
    ) -> mongodb::error::Result<()> {
        let key = coll.namespace().to_string();
        if created().lock().unwrap().contains(&key) {
            return Ok(());
        }
        coll.create_indexes(family_indexes(family)).await?;
        created().lock().unwrap().insert(key);
        Ok(())
    }

    /// Drops the [`retired_indexes`] of a collection that still has them.
    async fn drop_retired_indexes(
        &self,
        coll: &Collection<Document>,
        family: Family,
    ) -> mongodb::error::Result<()> {
        let retired = retired_indexes(family);
        if retired.is_empty() {
            return Ok(());
        }
        for name in coll.list_index_names().await? {
            if retired.contains(&name.as_str()) {
                tracing::info!("dropping retired index {name} of {}", coll.namespace());
                coll.drop_index(name).await?;
            }
        }
        Ok(())
    }

    /// `shiku-api indexes`: every fixed collection and every existing shard.
    /// Returns the number of collections touched.
    pub async fn create_all_indexes(&self) -> mongodb::error::Result<usize> {
        let mut n = 0;
        for (coll, models) in fixed(self) {
            if !models.is_empty() {
                create_beside_existing(&coll, models).await?;
                n += 1;
            }
        }
        for name in self.msgs_db().list_collection_names().await? {
            if name.chars().all(|c| c.is_ascii_digit()) {
                let coll = self.msgs_db().collection(&name);
                self.ensure_indexes(&coll, Family::SingleMsgs).await?;
                self.drop_retired_indexes(&coll, Family::SingleMsgs).await?;
                n += 1;
            }
        }
        for name in self.lastchat_db().list_collection_names().await? {
            if name.chars().all(|c| c.is_ascii_digit()) {
                let coll = self.lastchat_db().collection(&name);
                self.ensure_indexes(&coll, Family::SingleLastChats).await?;
                self.drop_retired_indexes(&coll, Family::SingleLastChats)
                    .await?;
                n += 1;
            }
        }
        for (db, family) in [
            (&self.cfg.room_member, Family::RoomMembers),
            (&self.cfg.room_jids, Family::UserRoomJids),
            (&self.cfg.addressbook, Family::AddressBook),
        ] {
            let db = self.client.database(db);
            for name in db.list_collection_names().await? {
                if name.chars().all(|c| c.is_ascii_digit()) {
                    self.ensure_indexes(&db.collection(&name), family).await?;
                    n += 1;
                }
            }
        }
        for name in self.room_db().list_collection_names().await? {
            if let Some(jid) = name.strip_prefix(names::MUCMSG_PREFIX) {
                if names::valid_room_jid(jid) {
                    self.ensure_indexes(&self.mucmsg(jid), Family::MucMsgs)
                        .await?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}
