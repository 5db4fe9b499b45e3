//! Friend labels (`imapi.friendGroup`, the original's `FriendGroup`): owned
//! by `userId`; every change is filtered by the owner, so another user's label
//! is never touched.

use bson::{doc, oid::ObjectId, Bson, Document};
use futures::TryStreamExt;
use mongodb::Collection;

use super::error::StoreResult;
use super::Store;
use crate::util::{int32_id, int_in, now_s};

impl Store {
    fn labels(&self) -> Collection<Document> {
        self.imapi().collection(super::names::FRIEND_GROUP)
    }

    /// A user's labels, oldest first.
    pub async fn friend_groups(&self, user_id: i64, limit: i64) -> StoreResult<Vec<Document>> {
        Ok(self
            .labels()
            .find(doc! {"userId": int_in(user_id)})
            .sort(doc! {"createTime": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Whether the user has a label of this name.
    pub async fn label_name_taken(&self, user_id: i64, name: &str) -> StoreResult<bool> {
        let filter = doc! {"userId": int_in(user_id), "groupName": name};
        Ok(self.labels().find_one(filter).await?.is_some())
    }

    /// Stores a new label (empty member list) and answers it as stored.
    pub async fn add_label(&self, user_id: i64, name: &str) -> StoreResult<Document> {
        let label = doc! {
            "_id": ObjectId::new(),
            "groupName": name,
            "userId": int32_id(user_id),
            "createTime": now_s(),
            "userIdList": [],
        };
        self.labels().insert_one(&label).await?;
        Ok(label)
    }

    /// `$set` on one of the user's labels; whether it exists.
    pub async fn set_label(&self, user_id: i64, id: &ObjectId, set: Document) -> StoreResult<bool> {
        let r = self
            .labels()
            .update_one(
                doc! {"_id": id, "userId": int_in(user_id)},
                doc! {"$set": set},
            )
            .await?;
        Ok(r.matched_count > 0)
    }

    pub async fn delete_label(&self, user_id: i64, id: &ObjectId) -> StoreResult<bool> {
        let r = self
            .labels()
            .delete_one(doc! {"_id": id, "userId": int_in(user_id)})
            .await?;
        Ok(r.deleted_count > 0)
    }

    /// Puts `friend` on exactly the labels `ids` of the user: added where
    /// missing, removed from the others.
    pub async fn set_friend_labels(
        &self,
        user_id: i64,
        friend: i64,
        ids: &[ObjectId],
    ) -> StoreResult<()> {
        let owner = doc! {"userId": int_in(user_id)};
        let mut on = owner.clone();
        on.insert("_id", doc! {"$in": ids});
        let mut off = owner;
        off.insert("_id", doc! {"$nin": ids});
        self.labels()
            .update_many(on, doc! {"$addToSet": {"userIdList": int32_id(friend)}})
            .await?;
        let variants: Vec<Bson> = crate::util::int_variants(friend);
        self.labels()
            .update_many(off, doc! {"$pull": {"userIdList": {"$in": variants}}})
            .await?;
        Ok(())
    }
}
