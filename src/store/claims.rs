//! Claims on unique keys the original's data does not index uniquely (a
//! user's telephone, a room's jid): one document per key in
//! `imapi.shiku_api_claims`, `_id` the key, so that of concurrent requests
//! for one key exactly one proceeds. Java never reads them; existing data
//! is checked by the callers before they claim.

use bson::{doc, Document};

use super::error::StoreResult;
use super::{names, Store};

/// Seconds after which a claim without its document is taken over.
pub const STALE_AFTER_S: i64 = 60;

/// What a claim is on.
#[derive(Clone, Copy, Debug)]
pub enum Claim {
    /// `user.telephone` (area code + number).
    Telephone,
    /// `shiku_room.jid`.
    RoomJid,
}

impl Claim {
    fn key(self, value: &str) -> String {
        match self {
            Claim::Telephone => format!("telephone:{value}"),
            Claim::RoomJid => format!("roomJid:{value}"),
        }
    }
}

impl Store {
    fn claims(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(names::CLAIMS)
    }

    /// Claims `value`; false when someone holds it already. The caller has
    /// checked that no stored document holds the value, so a claim older
    /// than [`STALE_AFTER_S`] belongs to a request that failed before it made
    /// its document (and could not give the claim up): it is taken over.
    pub async fn claim(&self, what: Claim, value: &str) -> StoreResult<bool> {
        let now = crate::util::now_s();
        let key = what.key(value);
        match self
            .claims()
            .insert_one(doc! {"_id": &key, "createTime": now})
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if super::is_duplicate_key(&e) => {
                let stale = doc! {"_id": &key, "createTime": {"$lt": now - STALE_AFTER_S}};
                let r = self
                    .claims()
                    .update_one(stale, doc! {"$set": {"createTime": now}})
                    .await?;
                Ok(r.modified_count == 1)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives `value` up (its holder is gone, or was never made).
    pub async fn release(&self, what: Claim, value: &str) -> StoreResult<()> {
        self.claims()
            .delete_one(doc! {"_id": what.key(value)})
            .await?;
        Ok(())
    }
}
