//! `imapi.user`: the original's `User` entity (`_id` is the Int32 userId).

use super::error::{StoreError, StoreResult};
use bson::{doc, Document};

use super::Store;
use crate::secure::{login_password_from_md5, md5_hex};
use crate::util::int_in;

/// Whether `sent` (what the client posts as `password`) matches `stored`, under
/// every scheme the original servers used: the older one stores what the client
/// sent (md5 of the password), the newer one stores `encodeFromOldPassword` of it,
/// and the legacy path accepts md5(sent).
pub fn password_matches(sent: &str, stored: &str) -> bool {
    if sent.is_empty() || stored.is_empty() {
        return false;
    }
    let sent_lc = sent.to_ascii_lowercase();
    sent == stored
        || login_password_from_md5(&sent_lc).is_some_and(|e| e.eq_ignore_ascii_case(stored))
        || md5_hex(sent.as_bytes()).eq_ignore_ascii_case(stored)
}

impl Store {
    pub async fn user_by_id(&self, user_id: i64) -> StoreResult<Option<Document>> {
        Ok(self.users().find_one(doc! {"_id": int_in(user_id)}).await?)
    }

    /// By the stored `telephone` (area code + number, e.g. `8618094152050`).
    pub async fn user_by_telephone(&self, telephone: &str) -> StoreResult<Option<Document>> {
        Ok(self.users().find_one(doc! {"telephone": telephone}).await?)
    }

    /// By the user's public account number (`account`, e.g. `100164373329`).
    pub async fn user_by_account(&self, account: &str) -> StoreResult<Option<Document>> {
        Ok(self.users().find_one(doc! {"account": account}).await?)
    }

    /// By `phone` as clients type it (with or without the area code).
    pub async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<Document>> {
        Ok(self
            .users()
            .find_one(doc! {"$or": [{"phone": phone}, {"telephone": phone}]})
            .await?)
    }

    /// Next free userId: the original's counter document in `idx_user`
    /// (`{id: <last>}`), started at the largest existing user id (or 100000).
    pub async fn next_user_id(&self) -> StoreResult<i32> {
        let idx = self.imapi().collection::<Document>(super::names::IDX_USER);
        if idx.find_one(doc! {}).await?.is_none() {
            let max = self
                .users()
                .find_one(doc! {})
                .sort(doc! {"_id": -1})
                .await?
                .and_then(|d| crate::util::num(&d, "_id"))
                .unwrap_or(super::names::MIN_USER_ID);
            let start = max.max(super::names::MIN_USER_ID) as i32;
            let _ = idx
                .update_one(doc! {"_id": "userId"}, doc! {"$setOnInsert": {"id": start}})
                .upsert(true)
                .await;
        }
        let d = idx
            .find_one_and_update(doc! {}, doc! {"$inc": {"id": 1}})
            .return_document(mongodb::options::ReturnDocument::After)
            .await?
            .ok_or_else(|| StoreError::Corrupt("idx_user: no counter document".into()))?;
        Ok(crate::util::num(&d, "id").unwrap_or(0) as i32)
    }

    pub async fn insert_user(&self, user: Document) -> StoreResult<()> {
        self.users().insert_one(user).await?;
        Ok(())
    }

    pub async fn count_friends(&self, user_id: i64) -> StoreResult<u64> {
        Ok(self
            .friends()
            .count_documents(doc! {"userId": int_in(user_id)})
            .await?)
    }
}

/// A new user document with every default field the original writes (seed 1.1).
pub fn new_user_doc(
    user_id: i32,
    area_code: &str,
    phone: &str,
    password_stored: &str,
    nickname: &str,
    sex: i32,
    now_s: i64,
) -> Document {
    let telephone = format!("{area_code}{phone}");
    let account = format!("{user_id}{}", rand::random::<u32>() % 1_000_000);
    doc! {
        "_id": user_id,
        "account": &account,
        "active": 0i64,
        "areaCode": area_code,
        "areaId": 0,
        "attCount": 0,
        "birthday": 0i64,
        "cityId": 0,
        "countryId": 0,
        "createTime": now_s,
        "description": "",
        "encryAccount": md5_hex(account.as_bytes()),
        "fansCount": 0,
        "friendsCount": 0,
        "idcard": "",
        "idcardUrl": "",
        "isAuth": 0,
        "isOpenResetPwd": 0,
        "isPasuse": 0,
        "level": 0,
        "loc": {"lng": 0.0, "lat": 0.0},
        "modifyTime": now_s,
        "msgNum": 0,
        "myInviteCode": "",
        "name": "",
        "nickname": nickname,
        "notLetSeeHim": false,
        "notSeeHim": false,
        "num": 0,
        "offlineNoPushMsg": 0,
        "onlinestate": 0,
        "password": password_stored,
        "payPassword": "0",
        "phone": phone,
        "provinceId": 0,
        "realNameCertified": 0,
        "role": [2],
        "setAccountCount": 0,
        "settings": {
            "allowAtt": 1, "allowGreet": 1, "authSwitch": 0, "beInvitedJoinRoom": 0,
            "chatRecordTimeOut": "-1.0", "chatSyncTimeLen": 30.0, "closeTelephoneFind": 1,
            "friendFromList": "1,2,3,4,5", "friendsVerify": 1, "hiding": -1, "isKeepalive": 1,
            "isOpenPrivacyPosition": 1, "isShowMsgState": 1, "isSkidRemoveHistoryMsg": 1,
            "isTyping": 0, "isUseGoogleMap": 0, "isVibration": 0, "multipleDevices": 1,
            "nameSearch": 1, "openService": 0, "phoneSearch": 1, "showLastLoginTime": -1, "showTelephone": -1
        },
        "sex": sex,
        "showLastLoginTime": 0i64,
        "status": 1,
        "telephone": &telephone,
        "totalConsume": 0.0,
        "totalRecharge": 0.0,
        "userKey": md5_hex(telephone.as_bytes()),
        "userType": 1,
        "vip": 0,
        "walletUserNo": 0,
        "withdrawBurnReadTime": 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_password_scheme_matches_the_original() {
        // Verified against the Java `LoginPassword.encodeMd5("123456")`.
        assert!(password_matches(
            "e10adc3949ba59abbe56e057f20f883e",
            "7ba1bd982b33ac731c2c3bca90e77be9"
        ));
        assert!(password_matches(
            "e10adc3949ba59abbe56e057f20f883e",
            "e10adc3949ba59abbe56e057f20f883e"
        ));
        assert!(!password_matches(
            "wrong",
            "7ba1bd982b33ac731c2c3bca90e77be9"
        ));
        assert!(!password_matches("", ""));
    }

    #[test]
    fn user_key_is_md5_of_telephone() {
        assert_eq!(
            md5_hex(b"8618094152050"),
            "aee198505eda1e401e36f36e2c0f4ab5"
        );
    }
}

impl Store {
    /// The user's `offlineOperation` records newer than `after` (seconds), oldest first.
    pub async fn offline_operations(
        &self,
        user_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        use futures::TryStreamExt;
        Ok(self
            .imapi()
            .collection::<Document>(super::names::OFFLINE_OPERATION)
            .find(bson::doc! {"userId": crate::util::int_in(user_id), "operationTime": {"$gt": after}})
            .sort(bson::doc! {"operationTime": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}
