//! Group helpers (`imapi.helper`, the console's catalogue of bots) and the
//! helpers added to rooms with their keywords (`imapi.groupHelper`).

use bson::{doc, oid::ObjectId, Bson, Document};
use futures::TryStreamExt;

use super::error::StoreResult;
use super::{names, Store};

impl Store {
    fn helpers(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(names::HELPER)
    }
    fn group_helpers(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(names::GROUP_HELPER)
    }

    /// The catalogue, in stored order; `open_app_id` narrows it.
    pub async fn helper_list(
        &self,
        open_app_id: Option<&str>,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        let filter = match open_app_id {
            Some(a) => doc! {"openAppId": a},
            None => doc! {},
        };
        Ok(self
            .helpers()
            .find(filter)
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    pub async fn helper(&self, id: &ObjectId) -> StoreResult<Option<Document>> {
        Ok(self.helpers().find_one(doc! {"_id": id}).await?)
    }

    /// The helpers added to a room (`roomId` is stored as the hex string).
    pub async fn room_helpers(
        &self,
        room_hex: &str,
        helper_id: Option<&str>,
    ) -> StoreResult<Vec<Document>> {
        let mut filter = doc! {"roomId": room_hex};
        if let Some(h) = helper_id {
            filter.insert("helperId", h);
        }
        Ok(self
            .group_helpers()
            .find(filter)
            .await?
            .try_collect()
            .await?)
    }

    pub async fn group_helper(&self, id: &ObjectId) -> StoreResult<Option<Document>> {
        Ok(self.group_helpers().find_one(doc! {"_id": id}).await?)
    }

    pub async fn add_group_helper(&self, d: Document) -> StoreResult<()> {
        self.group_helpers().insert_one(d).await?;
        Ok(())
    }

    pub async fn delete_group_helper(&self, id: &ObjectId) -> StoreResult<bool> {
        Ok(self
            .group_helpers()
            .delete_one(doc! {"_id": id})
            .await?
            .deleted_count
            > 0)
    }

    /// Replaces a room helper's keywords.
    pub async fn set_keywords(&self, id: &ObjectId, keywords: Vec<Document>) -> StoreResult<()> {
        let list: Vec<Bson> = keywords.into_iter().map(Bson::Document).collect();
        self.group_helpers()
            .update_one(doc! {"_id": id}, doc! {"$set": {"keywords": list}})
            .await?;
        Ok(())
    }
}
