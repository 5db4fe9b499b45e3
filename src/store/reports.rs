//! Users' reports of users, rooms and web pages (`imapi.Report`, the
//! original's `Report`), and the pages the console blocked (`webStatus` -1).

use bson::{doc, oid::ObjectId, Document};
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

    /// Whether the console blocked pages of `host` (a report of a page of
    /// that host with `webStatus` -1).
    pub async fn host_blocked(&self, host: &str) -> StoreResult<bool> {
        let filter = doc! {
            "webStatus": -1,
            "webUrl": {"$regex": crate::util::literal_regex(host), "$options": "i"},
        };
        Ok(self.reports().find_one(filter).await?.is_some())
    }
}
