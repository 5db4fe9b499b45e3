//! Who is online, as the IM server reports it (the `userStatusMessage`
//! topic, consumed by `delivery::status`): what the original imapi's
//! `UserStatusConsumer` kept in MongoDB. `user.onlinestate` (Int32 1/0) and
//! the device's `userLoginLog.deviceMap.<resource>` (`online` Int32,
//! `loginTime`/`offlineTime` Int64 seconds, `loginLog.offlineTime` at an
//! offline); the Redis side lives with the sessions.

use bson::{doc, Document};
use futures::TryStreamExt;
use mongodb::Collection;

use super::error::StoreResult;
use super::{names, Store};
use crate::util::{int32_id, int_in};

impl Store {
    fn presence_logs(&self) -> Collection<Document> {
        self.imapi().collection(names::USER_LOGIN_LOG)
    }

    /// `user.onlinestate`: 1 online, 0 offline.
    pub async fn set_online_state(&self, user_id: i64, online: bool) -> StoreResult<()> {
        self.users()
            .update_one(
                doc! {"_id": int_in(user_id)},
                doc! {"$set": {"onlinestate": i32::from(online)}},
            )
            .await?;
        Ok(())
    }

    /// A device (`resource`: android, ios, web, pc, …) came online: its
    /// `deviceMap` entry (made when the user has none) says so since `now_s`.
    pub async fn device_online(&self, user_id: i64, resource: &str, now_s: i64) -> StoreResult<()> {
        let d = format!("deviceMap.{resource}");
        self.presence_logs()
            .update_one(
                doc! {"_id": int_in(user_id)},
                doc! {
                    "$set": {
                        format!("{d}.online"): 1, format!("{d}.loginTime"): now_s,
                        format!("{d}.deviceKey"): resource,
                    },
                    "$setOnInsert": {"_id": int32_id(user_id)},
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// A device went offline: its `deviceMap` entry, when there is one, and
    /// the login record's `offlineTime`, as the original.
    pub async fn device_offline(
        &self,
        user_id: i64,
        resource: &str,
        now_s: i64,
    ) -> StoreResult<()> {
        let d = format!("deviceMap.{resource}");
        // The login record first (only when the device has an entry), so
        // that a device seen offline has its record's time too.
        self.presence_logs()
            .update_one(
                doc! {
                    "_id": int_in(user_id), d.as_str(): {"$type": "object"},
                    "loginLog": {"$type": "object"},
                },
                doc! {"$set": {"loginLog.offlineTime": now_s}},
            )
            .await?;
        self.presence_logs()
            .update_one(
                doc! {"_id": int_in(user_id), d.as_str(): {"$type": "object"}},
                doc! {"$set": {format!("{d}.online"): 0, format!("{d}.offlineTime"): now_s}},
            )
            .await?;
        Ok(())
    }

    /// The jids of the user's rooms; with `pushed_only`, those whose
    /// messages are pushed to him when offline (all but the rooms he set to
    /// do-not-disturb, `offlineNoPushMsg` 1).
    pub async fn room_jids_of(&self, user_id: i64, pushed_only: bool) -> StoreResult<Vec<String>> {
        let mut filter = doc! {"userId": int_in(user_id)};
        if pushed_only {
            filter.insert("offlineNoPushMsg", doc! {"$ne": 1});
        }
        let docs: Vec<Document> = self
            .user_room_jids(user_id)
            .find(filter)
            .projection(doc! {"jid": 1, "_id": 0})
            .await?
            .try_collect()
            .await?;
        let mut jids: Vec<String> = docs
            .iter()
            .filter_map(|d| d.get_str("jid").ok().map(str::to_string))
            .collect();
        jids.sort();
        jids.dedup();
        Ok(jids)
    }
}
