//! Phone contacts (`addressbook.<userId/10000>`, the newer original's
//! `AddressBook` documents, one collection per 10 000 owners): what the
//! owner's phone uploaded, and which of those numbers are registered users.

use std::collections::HashSet;

use bson::{doc, Document};
use futures::TryStreamExt;

use super::error::StoreResult;
use super::indexes::Family;
use super::Store;
use crate::util::int_in;

impl Store {
    /// The owner's contacts that are registered users (`registerEd: 1`), in
    /// upload order.
    pub async fn registered_contacts(
        &self,
        owner: i64,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .address_book(owner)
            .find(doc! {"userId": int_in(owner), "registerEd": 1})
            .sort(doc! {"_id": 1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Which of these numbers the owner has uploaded already.
    pub async fn stored_contact_numbers(
        &self,
        owner: i64,
        numbers: &[String],
    ) -> StoreResult<HashSet<String>> {
        let docs: Vec<Document> = self
            .address_book(owner)
            .find(doc! {"userId": int_in(owner), "toTelephone": {"$in": numbers}})
            .projection(doc! {"toTelephone": 1})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| d.get_str("toTelephone").ok().map(str::to_string))
            .collect())
    }

    pub async fn insert_contacts(&self, owner: i64, rows: &[Document]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let coll = self.address_book(owner);
        self.ensure_indexes(&coll, Family::AddressBook).await?;
        coll.insert_many(rows).await?;
        Ok(())
    }

    pub async fn delete_contacts(&self, owner: i64, numbers: &[String]) -> StoreResult<()> {
        self.address_book(owner)
            .delete_many(doc! {"userId": int_in(owner), "toTelephone": {"$in": numbers}})
            .await?;
        Ok(())
    }

    /// Users by stored `telephone` (area code + number).
    pub async fn users_by_telephones(&self, telephones: &[String]) -> StoreResult<Vec<Document>> {
        Ok(self
            .users()
            .find(doc! {"telephone": {"$in": telephones}})
            .projection(doc! {"_id": 1, "telephone": 1, "nickname": 1, "createTime": 1})
            .await?
            .try_collect()
            .await?)
    }

    /// Which of `others` are the owner's friends (`status` 2).
    pub async fn friends_among(&self, owner: i64, others: &[i64]) -> StoreResult<HashSet<i64>> {
        let docs: Vec<Document> = self
            .friends()
            .find(doc! {"userId": int_in(owner), "toUserId": crate::util::ints_in(others), "status": 2})
            .projection(doc! {"toUserId": 1})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| crate::util::num(d, "toUserId"))
            .collect())
    }
}
