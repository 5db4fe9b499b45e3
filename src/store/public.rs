//! Public accounts' menus (`imapi.mp_menu`, the original's `Menu`,
//! written by the console) and the customer-service quick replies
//! (`imapi.commonText`, the original's `CommonText`).

use bson::{doc, oid::ObjectId, Bson, Document};
use futures::TryStreamExt;
use mongodb::Collection;

use super::error::StoreResult;
use super::{names, Store};
use crate::util::{int32_id, int_in, now_s};

/// `User.userType` of a public account.
pub const PUBLIC_ACCOUNT: i32 = 2;

impl Store {
    fn menus(&self) -> Collection<Document> {
        self.imapi().collection(names::MP_MENU)
    }
    fn common_texts(&self) -> Collection<Document> {
        self.imapi().collection(names::COMMON_TEXT)
    }

    /// An account's menu: its top items (`parentId` 0) in `index` order, each
    /// with its sub-items, as `(item, children)`.
    pub async fn menu_of(&self, user_id: i64) -> StoreResult<Vec<(Document, Vec<Document>)>> {
        // The original stored `parentId` as Int64; the newer servers as a string.
        let top_level = doc! {"$in": [0i64, 0i32, "0"]};
        let top: Vec<Document> = self
            .menus()
            .find(doc! {"userId": int_in(user_id), "parentId": top_level})
            .sort(doc! {"index": 1})
            .limit(100)
            .await?
            .try_collect()
            .await?;
        if top.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<Bson> = top.iter().filter_map(|d| d.get("_id").cloned()).collect();
        let children: Vec<Document> = self
            .menus()
            .find(doc! {"parentId": {"$in": ids}})
            .sort(doc! {"index": 1})
            .limit(1000)
            .await?
            .try_collect()
            .await?;
        Ok(top
            .into_iter()
            .map(|item| {
                let mine = children
                    .iter()
                    .filter(|c| c.get("parentId") == item.get("_id"))
                    .cloned()
                    .collect();
                (item, mine)
            })
            .collect())
    }

    /// A page of the public accounts (`userType` 2) that also match
    /// `filter`, in id order: their public profile fields.
    pub async fn public_accounts(
        &self,
        mut filter: Document,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        filter.insert("userType", PUBLIC_ACCOUNT);
        Ok(self
            .users()
            .find(filter)
            .projection(
                doc! {"nickname": 1, "userType": 1, "sex": 1, "description": 1, "createTime": 1},
            )
            .sort(doc! {"_id": 1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Stores a quick reply of the user, answered as stored.
    pub async fn add_common_text(
        &self,
        user_id: i64,
        company_id: &str,
        content: &str,
    ) -> StoreResult<Document> {
        let d = doc! {
            "_id": ObjectId::new(), "createUserId": int32_id(user_id), "content": content,
            "createTime": now_s(), "modifyUserId": int32_id(user_id), "companyId": company_id,
        };
        self.common_texts().insert_one(&d).await?;
        Ok(d)
    }

    /// How many quick replies the user keeps.
    pub async fn common_text_count(&self, user_id: i64) -> StoreResult<u64> {
        Ok(self
            .common_texts()
            .count_documents(doc! {"createUserId": int_in(user_id)})
            .await?)
    }

    /// Deletes one of the user's quick replies (another user's id changes nothing).
    pub async fn delete_common_text(&self, user_id: i64, id: &ObjectId) -> StoreResult<()> {
        self.common_texts()
            .delete_one(doc! {"_id": id, "createUserId": int_in(user_id)})
            .await?;
        Ok(())
    }

    /// A page of the user's quick replies, oldest first.
    pub async fn common_texts_of(
        &self,
        user_id: i64,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .common_texts()
            .find(doc! {"createUserId": int_in(user_id)})
            .sort(doc! {"_id": 1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}
