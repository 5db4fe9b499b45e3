//! Phone vendors' push tokens as the original records them: one `pushInfo`
//! document per token (`userId`, `deviceKey`, `pushServer`, `pushToken`,
//! `time` seconds) and the user's `userLoginLog.deviceMap.<deviceKey>`
//! (`pushServer`, `pushToken`). The registration the push service reads
//! lives with the sessions (`Sessions::save_push_device`).

use bson::{doc, oid::ObjectId, Document};
use mongodb::Collection;

use super::error::StoreResult;
use super::sessions::PushDevice;
use super::{names, Store};
use crate::util::{int32_id, int_in, now_s};

impl Store {
    fn push_info(&self) -> Collection<Document> {
        self.imapi().collection(names::PUSH_INFO)
    }
    fn login_logs(&self) -> Collection<Document> {
        self.imapi().collection(names::USER_LOGIN_LOG)
    }

    /// Records that `token` of `server` reaches the user's device. A token
    /// another user held (another account on the same phone) is taken from
    /// them: answered with that user, whose registration the caller drops if
    /// it is still this token (a newer phone of theirs keeps its own).
    pub async fn save_push_token(
        &self,
        user_id: i64,
        device: PushDevice,
        server: &str,
        token: &str,
        app_id: Option<&str>,
    ) -> StoreResult<Option<i64>> {
        let key = device.name();
        let now = now_s();
        let same = doc! {"pushServer": server, "pushToken": token, "deviceKey": key};
        // One atomic step: the row of this token now names the caller (made
        // when new); the row as it was tells who held the token before.
        let before = self
            .push_info()
            .find_one_and_update(
                same,
                doc! {
                    "$set": {"userId": int32_id(user_id), "time": now},
                    "$setOnInsert": {"_id": ObjectId::new()},
                },
            )
            .upsert(true)
            .await?;
        let previous = before
            .and_then(|found| crate::util::num(&found, "userId"))
            .filter(|holder| *holder != user_id);
        if let Some(old) = previous {
            self.clear_push_token(old, device, Some(token)).await?;
        }
        let mut set = doc! {
            format!("deviceMap.{key}.pushServer"): server,
            format!("deviceMap.{key}.pushToken"): token,
        };
        if let Some(app) = app_id {
            set.insert(format!("deviceMap.{key}.appId"), app);
        }
        let found = self
            .login_logs()
            .update_one(doc! {"_id": int_in(user_id)}, doc! {"$set": &set})
            .await?;
        if found.matched_count == 0 {
            // Registered here and not logged in since (registration answers a
            // session): the log starts with the device, as Java's does at
            // registration (`initUserLogin`).
            self.login_logs()
                .update_one(doc! {"_id": int32_id(user_id)}, doc! {"$set": set})
                .upsert(true)
                .await?;
        }
        Ok(previous)
    }

    /// Forgets the user's push token of that device (`cleanPushToken`):
    /// blank `deviceMap` fields and `loginLog.offlineTime` = now; with
    /// `only`, just when that is the token the user's device still has.
    pub async fn clear_push_token(
        &self,
        user_id: i64,
        device: PushDevice,
        only: Option<&str>,
    ) -> StoreResult<()> {
        let key = device.name();
        let mut filter = doc! {"_id": int_in(user_id)};
        if let Some(token) = only {
            filter.insert(format!("deviceMap.{key}.pushToken"), token);
        }
        self.login_logs()
            .update_one(
                filter,
                doc! {"$set": {
                    "loginLog.offlineTime": now_s(),
                    format!("deviceMap.{key}.pushServer"): "",
                    format!("deviceMap.{key}.pushToken"): "",
                }},
            )
            .await?;
        Ok(())
    }
}
