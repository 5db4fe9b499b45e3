//! Face-to-face groups before their first member joins (the original keeps
//! them in Redis for ten minutes): `imapi.shiku_api_location_rooms`, one
//! document per jid, expired by a TTL index on `expireAt`.

use std::time::Duration;

use bson::{doc, DateTime, Document};
use futures::TryStreamExt;

use super::error::StoreResult;
use super::{names, Store};

/// How long a face-to-face group waits for its first member.
pub const LOCATION_ROOM_TTL: Duration = Duration::from_secs(600);

impl Store {
    fn location_rooms(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(names::LOCATION_ROOMS)
    }

    /// The live groups of a password.
    pub async fn location_rooms_of(&self, password: &str) -> StoreResult<Vec<Document>> {
        Ok(self
            .location_rooms()
            .find(doc! {"password": password, "expireAt": {"$gt": DateTime::now()}})
            .await?
            .try_collect()
            .await?)
    }

    pub async fn location_room(&self, jid: &str) -> StoreResult<Option<Document>> {
        Ok(self
            .location_rooms()
            .find_one(doc! {"_id": jid, "expireAt": {"$gt": DateTime::now()}})
            .await?)
    }

    /// Creates the group (when new) and adds the user to its members.
    pub async fn join_location_room(
        &self,
        room: &Document,
        user_id: i64,
        nickname: &str,
    ) -> StoreResult<()> {
        let jid = room.get_str("_id").unwrap_or_default();
        let mut new = room.clone();
        new.remove("members");
        new.insert(
            "expireAt",
            DateTime::from_millis(
                DateTime::now().timestamp_millis() + LOCATION_ROOM_TTL.as_millis() as i64,
            ),
        );
        self.location_rooms()
            .update_one(doc! {"_id": jid}, doc! {"$setOnInsert": new})
            .upsert(true)
            .await?;
        self.location_rooms()
            .update_one(
                doc! {"_id": jid, "members.userId": {"$ne": user_id}},
                doc! {"$push": {"members": {"userId": user_id, "nickname": nickname}}},
            )
            .await?;
        Ok(())
    }

    pub async fn leave_location_room(&self, jid: &str, user_id: i64) -> StoreResult<()> {
        self.location_rooms()
            .update_one(
                doc! {"_id": jid},
                doc! {"$pull": {"members": {"userId": user_id}}},
            )
            .await?;
        Ok(())
    }
}
