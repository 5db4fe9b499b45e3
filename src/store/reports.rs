//! Users' reports of users, rooms and web pages (`imapi.Report`, the
//! original's `Report`), and the pages the console blocked (`webStatus` -1).

use bson::{doc, oid::ObjectId, Document};
use futures::TryStreamExt;
use mongodb::Collection;

use super::error::StoreResult;
use super::{names, Store};
use crate::util::now_s;

/// A report (`/user/report`): whom or what, and why.
pub struct NewReport<'a> {
    pub to_user_id: i64,
    pub room_id: &'a str,
    pub web_url: Option<&'a str>,
    pub reason: i32,
}

impl Store {
    fn reports(&self) -> Collection<Document> {
        self.imapi().collection(names::REPORT)
    }

    /// Stores a report as the original's `Report` (`userId`, `toUserId`
    /// Int64; `roomId` "" when none; `time` seconds; `status` 1).
    pub async fn add_report(&self, user_id: i64, r: &NewReport<'_>) -> StoreResult<()> {
        let mut d = doc! {
            "_id": ObjectId::new(), "userId": user_id, "toUserId": r.to_user_id,
            "roomId": r.room_id,
        };
        if let Some(url) = r.web_url {
            d.insert("webUrl", url);
        }
        d.insert("reason", r.reason);
        d.insert("time", now_s());
        d.insert("status", 1);
        self.reports().insert_one(d).await?;
        Ok(())
    }

    /// How many reports the user filed since `time` (seconds).
    pub async fn reports_since(&self, user_id: i64, time: i64) -> StoreResult<u64> {
        let mine = doc! {"userId": crate::util::int_in(user_id), "time": {"$gte": time}};
        Ok(self.reports().count_documents(mine).await?)
    }

    /// The web addresses of the pages the console blocked (`webStatus` -1)
    /// that name `domain` (case-insensitive, literally), at most `limit`.
    pub async fn blocked_pages(&self, domain: &str, limit: i64) -> StoreResult<Vec<String>> {
        let names = doc! {"$regex": crate::util::literal_regex(domain), "$options": "i"};
        let found: Vec<Document> = self
            .reports()
            .find(doc! {"webStatus": -1, "webUrl": names})
            .projection(doc! {"_id": 0, "webUrl": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|d| d.get_str("webUrl").ok().map(str::to_string))
            .collect())
    }
}
