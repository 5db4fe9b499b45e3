//! Stickers and favourites (`imapi.emoji`, the original's `Emoji`) and the
//! moments' favourite marks (`imapi.s_collect`, its `Collect`). Every read
//! and delete is filtered by the owner (`userId`), so another user's item is
//! never seen or touched.

use bson::{doc, oid::ObjectId, Bson, Document};
use futures::TryStreamExt;
use mongodb::Collection;

use super::error::StoreResult;
use super::{names, Store};
use crate::util::int_in;

/// `Emoji.type` of a sticker; every other type is a favourite.
pub const STICKER: i32 = 6;
/// The favourite types (`Emoji.Type`: 1 image … 5 text, 7 shared link, 8/9
/// a moments photo/video of the newer servers).
pub const FAVOURITES: [i32; 8] = [1, 2, 3, 4, 5, 7, 8, 9];

/// What tells a new item from those kept: its type and content and, for a
/// favourite, the id of the message or post it was collected from.
#[derive(PartialEq)]
pub struct KeptKey<'a> {
    pub kind: i32,
    pub msg: &'a str,
    pub source: Option<String>,
}

impl Store {
    fn emoji(&self) -> Collection<Document> {
        self.imapi().collection(names::EMOJI)
    }
    fn moments_collects(&self) -> Collection<Document> {
        self.imapi().collection(names::S_COLLECT)
    }

    /// Whether the user already keeps one of these items (the original's
    /// rule `{userId, type, msg}`, for a favourite also the message or post
    /// it came from).
    pub async fn emoji_kept(&self, user_id: i64, keys: &[KeptKey<'_>]) -> StoreResult<bool> {
        let any: Vec<Document> = keys
            .iter()
            .map(|k| {
                let mut d = doc! {"userId": int_in(user_id), "type": k.kind, "msg": k.msg};
                if let Some(source) = &k.source {
                    d.insert(
                        "$or",
                        vec![doc! {"msgId": source}, doc! {"collectMsgId": source}],
                    );
                }
                d
            })
            .collect();
        Ok(self.emoji().find_one(doc! {"$or": any}).await?.is_some())
    }

    /// How many stickers and favourites the user keeps.
    pub async fn emoji_count(&self, user_id: i64) -> StoreResult<u64> {
        Ok(self
            .emoji()
            .count_documents(doc! {"userId": int_in(user_id)})
            .await?)
    }

    /// Stores new items, then the moments' marks of those collected from a
    /// moments post.
    pub async fn add_emojis(&self, items: &[Document], marks: &[Document]) -> StoreResult<()> {
        self.emoji().insert_many(items).await?;
        if !marks.is_empty() {
            self.moments_collects().insert_many(marks).await?;
        }
        Ok(())
    }

    /// The user's items of `kinds`, newest first.
    pub async fn emojis(
        &self,
        user_id: i64,
        kinds: &[i32],
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .emoji()
            .find(doc! {"userId": int_in(user_id), "type": {"$in": kinds}})
            .sort(doc! {"createTime": -1, "_id": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Deletes the user's items among `ids` and the user's moments marks of
    /// the posts they were collected from (the original removed every
    /// user's marks of the post).
    pub async fn delete_emojis(&self, user_id: i64, ids: &[ObjectId]) -> StoreResult<()> {
        let mine = doc! {"_id": {"$in": ids}, "userId": int_in(user_id)};
        let found: Vec<Document> = self
            .emoji()
            .find(mine.clone())
            .projection(doc! {"collectType": 1, "collectMsgId": 1})
            .await?
            .try_collect()
            .await?;
        if found.is_empty() {
            return Ok(());
        }
        self.emoji().delete_many(mine).await?;
        let posts: Vec<Bson> = found
            .iter()
            .filter(|d| crate::util::num(d, "collectType") == Some(1))
            .filter_map(|d| d.get_str("collectMsgId").ok())
            .filter_map(|id| ObjectId::parse_str(id).ok())
            .map(Bson::ObjectId)
            .collect();
        // A post another kept item still comes from keeps its mark.
        let kept: Vec<Document> = if posts.is_empty() {
            vec![]
        } else {
            let ids: Vec<String> = posts
                .iter()
                .filter_map(|b| b.as_object_id().map(|o| o.to_hex()))
                .collect();
            self.emoji()
                .find(doc! {"userId": int_in(user_id), "collectType": 1, "collectMsgId": {"$in": ids}})
                .projection(doc! {"collectMsgId": 1})
                .await?
                .try_collect()
                .await?
        };
        let posts: Vec<Bson> = posts
            .into_iter()
            .filter(|b| {
                let hex = b.as_object_id().map(|o| o.to_hex());
                !kept
                    .iter()
                    .any(|d| d.get_str("collectMsgId").ok() == hex.as_deref())
            })
            .collect();
        if !posts.is_empty() {
            self.moments_collects()
                .delete_many(doc! {"msgId": {"$in": posts}, "userId": int_in(user_id)})
                .await?;
        }
        Ok(())
    }
}
