//! A room's shared files (`imRoom.shiku_room_share`, the original's
//! `Room.Share`), notice edits, and the public room list.

use bson::{doc, oid::ObjectId, Document};
use futures::TryStreamExt;

use super::error::StoreResult;
use super::{names, Store};

impl Store {
    fn room_shares(&self) -> mongodb::Collection<Document> {
        self.room_db().collection(names::ROOM_SHARE)
    }

    pub async fn add_room_share(&self, share: Document) -> StoreResult<()> {
        self.room_shares().insert_one(share).await?;
        Ok(())
    }

    /// A room's shared files, newest first; `uploader` and `before` (seconds)
    /// narrow the list.
    pub async fn room_shares_page(
        &self,
        room: &ObjectId,
        uploader: Option<i64>,
        before: Option<i64>,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        let mut filter = doc! {"roomId": room};
        if let Some(u) = uploader {
            filter.insert("userId", crate::util::int_in(u));
        }
        if let Some(t) = before {
            filter.insert("time", doc! {"$lt": t});
        }
        Ok(self
            .room_shares()
            .find(filter)
            .sort(doc! {"time": -1, "_id": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    pub async fn room_share(
        &self,
        room: &ObjectId,
        share: &ObjectId,
    ) -> StoreResult<Option<Document>> {
        Ok(self
            .room_shares()
            .find_one(doc! {"_id": share, "roomId": room})
            .await?)
    }

    /// Deletes a shared file's record and the group's 401 notices of it.
    pub async fn delete_room_share(
        &self,
        room: &ObjectId,
        jid: &str,
        share: &ObjectId,
    ) -> StoreResult<()> {
        if names::valid_room_jid(jid) {
            // Its notices were sent when it was shared, not before: the
            // room's history is searched from then on (by the time index).
            let shared_ms = share.timestamp().timestamp_millis() - 60_000;
            self.mucmsg(jid)
                .delete_many(doc! {"timeSend": {"$gte": shared_ms}, "contentType": 401, "content": share.to_hex()})
                .await?;
        }
        self.room_shares()
            .delete_one(doc! {"_id": share, "roomId": room})
            .await?;
        Ok(())
    }

    /// Changes a notice's text; the room's latest notice follows when it is
    /// that one. The notice after the change (`None`: no such notice).
    pub async fn edit_room_notice(
        &self,
        room: &ObjectId,
        notice: &ObjectId,
        text: &str,
        now_s: i64,
    ) -> StoreResult<Option<Document>> {
        let edited = self
            .room_notices()
            .find_one_and_update(
                doc! {"_id": notice, "roomId": room},
                doc! {"$set": {"text": text, "modifyTime": now_s}},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await?;
        if let Some(n) = &edited {
            self.rooms()
                .update_one(
                    doc! {"_id": room, "notice._id": notice},
                    doc! {"$set": {"notice": n}},
                )
                .await?;
        }
        Ok(edited)
    }

    /// Deletes a notice; a room showing it shows none afterwards. False when
    /// there was no such notice.
    pub async fn delete_room_notice(
        &self,
        room: &ObjectId,
        notice: &ObjectId,
    ) -> StoreResult<bool> {
        let r = self
            .room_notices()
            .delete_one(doc! {"_id": notice, "roomId": room})
            .await?;
        self.rooms()
            .update_one(
                doc! {"_id": room, "notice._id": notice},
                doc! {"$set": {"notice": {"modifyTime": 0i64, "time": 0i64}}},
            )
            .await?;
        Ok(r.deleted_count > 0)
    }

    /// Public rooms (`isLook` 0, not secret), newest first; `name` narrows to
    /// those whose name or description holds it.
    pub async fn public_rooms(
        &self,
        name: Option<&str>,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        let mut filter = doc! {"isLook": 0, "isSecretGroup": {"$ne": 1}};
        if let Some(n) = name {
            let rx = crate::util::literal_regex(n);
            filter.insert(
                "$or",
                vec![
                    doc! {"name": {"$regex": &rx, "$options": "i"}},
                    doc! {"desc": {"$regex": &rx, "$options": "i"}},
                ],
            );
        }
        Ok(self
            .rooms()
            .find(filter)
            .sort(doc! {"_id": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}
