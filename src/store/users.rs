//! `imapi.user`: the original's `User` entity (`_id` is the Int32 userId).

use super::error::{StoreError, StoreResult};
use bson::{doc, Document};

use super::model::{User, UserId};
use super::Store;
use crate::secure::{login_password_from_md5, md5_hex};
use crate::util::{int_in, ints_in};

/// Whether `sent` (what the client posts as `password`) matches `stored`, under
/// every scheme the original servers used: the newer one stores
/// `encodeFromOldPassword` of what the client sends (md5 of the password),
/// the legacy path accepts md5(sent), and the older one stores what the
/// client sent. That last one (`sent == stored`) is only `legacy`: for a
/// user whose login password is known in the newer form (`auth_keys`), it
/// would let a copy of the database log in with the stored value itself.
pub fn password_matches(sent: &str, stored: &str, legacy: bool) -> bool {
    if sent.is_empty() || stored.is_empty() {
        return false;
    }
    let sent_lc = sent.to_ascii_lowercase();
    (legacy && sent == stored)
        || login_password_from_md5(&sent_lc).is_some_and(|e| e.eq_ignore_ascii_case(stored))
        || md5_hex(sent.as_bytes()).eq_ignore_ascii_case(stored)
}

/// Whether a user's stored password may be of the older scheme: no login
/// password in the newer form is kept for them in `auth_keys`.
pub fn legacy_password(keys: Option<&Document>) -> bool {
    !keys.is_some_and(|k| k.get_str("password").is_ok_and(|p| !p.is_empty()))
}

/// `_id` of the `idx_user` counter this service creates (when the original's
/// is absent): fixed, so that two first registrations cannot create two.
const COUNTER_ID: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

impl Store {
    pub async fn user_by_id(&self, user_id: i64) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! {"_id": UserId(user_id).matcher()})
            .await?
            .map(User::new))
    }

    /// The stored users among `ids`, in one query (absent ids are left out).
    pub async fn users_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<User>> {
        use futures::TryStreamExt;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(self
            .users()
            .find(doc! {"_id": ints_in(ids)})
            .await?
            .map_ok(User::new)
            .try_collect()
            .await?)
    }

    /// By the stored `telephone` (area code + number, e.g. `8618094152050`).
    pub async fn user_by_telephone(&self, telephone: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! {"telephone": telephone})
            .await?
            .map(User::new))
    }

    /// By the user's public account number (`account`, e.g. `100164373329`).
    pub async fn user_by_account(&self, account: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! {"account": account})
            .await?
            .map(User::new))
    }

    /// By `phone` as clients type it (with or without the area code).
    pub async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! {"$or": [{"phone": phone}, {"telephone": phone}]})
            .await?
            .map(User::new))
    }

    /// Next free userId from the original's counter document in `idx_user`
    /// (`createIdxUserCollection`: `{_id: ObjectId, id, stub: "id", call,
    /// videoMeetingNo, inviteCodeNo}`, `id` the last userId handed out). When
    /// there is none it is created with that shape, `id` the largest user id
    /// (or 100000); a fixed `_id` makes concurrent first registrations create
    /// one document. Allocation is one atomic `$inc`.
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
            let start = crate::util::int32_id(max.max(super::names::MIN_USER_ID));
            let counter = doc! {
                "_id": bson::oid::ObjectId::from_bytes(COUNTER_ID),
                "id": start,
                "stub": "id",
                "call": 300000,
                "videoMeetingNo": 350000,
                "inviteCodeNo": 1001,
            };
            match idx.insert_one(counter).await {
                Ok(_) => {}
                Err(e) if super::is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let d = idx
            .find_one_and_update(doc! {}, doc! {"$inc": {"id": 1}})
            .return_document(mongodb::options::ReturnDocument::After)
            .await?
            .ok_or_else(|| StoreError::Corrupt("idx_user: no counter document".into()))?;
        crate::util::num(&d, "id")
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| StoreError::Corrupt("idx_user: id is not an Int32".into()))
    }

    /// Gives the user the "official account" role (`userRoles` `{role: 2}`),
    /// as the original's `registerIMUser` does for `userType` 2.
    pub async fn add_official_role(
        &self,
        user_id: i32,
        telephone: &str,
        now_s: i64,
    ) -> StoreResult<()> {
        self.imapi()
            .collection::<Document>(super::names::USER_ROLES)
            .update_one(
                doc! {"userId": user_id, "role": 2},
                doc! {"$setOnInsert": {"phone": telephone, "status": 1, "createTime": now_s}},
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// The user's own promotion invite code (`inviteCode.inviteCode`), if any.
    pub async fn invite_code_of(&self, user_id: i64) -> StoreResult<Option<String>> {
        Ok(self
            .imapi()
            .collection::<Document>(super::names::INVITE_CODE)
            .find_one(doc! {"userId": int_in(user_id)})
            .await?
            .and_then(|d| d.get_str("inviteCode").ok().map(str::to_string)))
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

/// A new user document with every default field the original stores (seed
/// 1.1 without what `/user/get` computes: `role`, `myInviteCode`,
/// `notLetSeeHim`, `notSeeHim`, `showLastLoginTime`, `walletUserNo`,
/// `isOpenResetPwd` are `@NotSaved`/`@Transient` in the original's `User`).
pub fn new_user_doc(
    user_id: i32,
    area_code: &str,
    phone: &str,
    password_stored: &str,
    nickname: &str,
    sex: i32,
    user_type: i32,
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
        "isPasuse": 0,
        "level": 0,
        "loc": {"lng": 0.0, "lat": 0.0},
        "modifyTime": now_s,
        "msgNum": 0,
        "name": "",
        "nickname": nickname,
        "num": 0,
        "offlineNoPushMsg": 0,
        "onlinestate": 0,
        "password": password_stored,
        "payPassword": "0",
        "phone": phone,
        "provinceId": 0,
        "realNameCertified": 0,
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
        "status": 1,
        "telephone": &telephone,
        "totalConsume": 0.0,
        "totalRecharge": 0.0,
        "userKey": md5_hex(telephone.as_bytes()),
        "userType": user_type,
        "vip": 0,
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
            "7ba1bd982b33ac731c2c3bca90e77be9",
            false
        ));
        // The older scheme: the stored value is what the client sends...
        assert!(password_matches(
            "e10adc3949ba59abbe56e057f20f883e",
            "e10adc3949ba59abbe56e057f20f883e",
            true
        ));
        // ...which for a newer-scheme user would be the stored value itself.
        assert!(!password_matches(
            "7ba1bd982b33ac731c2c3bca90e77be9",
            "7ba1bd982b33ac731c2c3bca90e77be9",
            false
        ));
        assert!(!password_matches(
            "wrong",
            "7ba1bd982b33ac731c2c3bca90e77be9",
            true
        ));
        assert!(!password_matches("", "", true));
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

/// What changed, in the original's `offlineOperation.tag` (`MultipointLogin`).
#[derive(Clone, Copy, Debug)]
pub enum SyncTag {
    /// A relation (`friendId` the other user) or the profile (`friendId` the user).
    Friend,
    /// A room (`friendId` the room id).
    Room,
    /// The user's labels (`friendId` the user).
    Label,
}

impl SyncTag {
    fn as_str(self) -> &'static str {
        match self {
            SyncTag::Friend => "friend",
            SyncTag::Room => "room",
            SyncTag::Label => "label",
        }
    }
}

impl Store {
    /// Records that `what` changed for the user's other devices, as the
    /// original's `updateOfflineOperation` does: one record per user, tag and
    /// `friendId`, its `operationTime` (seconds) moved to now.
    pub async fn note_offline_operation(
        &self,
        user_id: i64,
        tag: SyncTag,
        friend_id: &str,
    ) -> StoreResult<()> {
        self.imapi()
            .collection::<Document>(super::names::OFFLINE_OPERATION)
            .update_one(
                doc! {"userId": int_in(user_id), "tag": tag.as_str(), "friendId": friend_id},
                doc! {
                    "$set": {"operationTime": crate::util::now_s()},
                    "$setOnInsert": {"userId": crate::util::int32_id(user_id)},
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// The same record for many users at once (a room change seen by all
    /// its new members): their older records of it are replaced.
    pub async fn note_offline_operations(
        &self,
        user_ids: &[i64],
        tag: SyncTag,
        friend_id: &str,
    ) -> StoreResult<()> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let coll = self
            .imapi()
            .collection::<Document>(super::names::OFFLINE_OPERATION);
        coll.delete_many(
            doc! {"userId": ints_in(user_ids), "tag": tag.as_str(), "friendId": friend_id},
        )
        .await?;
        let now = crate::util::now_s();
        coll.insert_many(user_ids.iter().map(|u| {
            doc! {"userId": crate::util::int32_id(*u), "tag": tag.as_str(), "friendId": friend_id, "operationTime": now}
        }))
        .await?;
        Ok(())
    }

    /// A label change, recorded (as the original's
    /// `multipointLoginUpdateFriendsGroup` does) only for a user whose
    /// `settings.multipleDevices` is 1.
    pub async fn note_label_change(&self, user_id: i64) -> StoreResult<()> {
        let multi = self
            .users()
            .find_one(doc! {"_id": int_in(user_id), "settings.multipleDevices": 1})
            .projection(doc! {"_id": 1})
            .await?
            .is_some();
        if multi {
            self.note_offline_operation(user_id, SyncTag::Label, &user_id.to_string())
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// `$set` on the user; the document after the change, as the original's
    /// `findAndModify` answers it (`None`: no user).
    pub async fn set_user_fields(
        &self,
        user_id: i64,
        set: Document,
    ) -> StoreResult<Option<Document>> {
        Ok(self
            .users()
            .find_one_and_update(doc! {"_id": int_in(user_id)}, doc! {"$set": set})
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// Copies the user's `hiding` onto the relations that point at them (the
    /// lists show it).
    pub async fn set_hiding_on_relations(&self, user_id: i64, hiding: i32) -> StoreResult<()> {
        self.friends()
            .update_many(
                doc! {"toUserId": int_in(user_id)},
                doc! {"$set": {"hiding": hiding}},
            )
            .await?;
        Ok(())
    }

    /// The users who blacklisted `user_id`.
    pub async fn blacklisted_by(&self, user_id: i64) -> StoreResult<Vec<i64>> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .friends()
            .find(doc! {"toUserId": int_in(user_id), "blacklist": 1})
            .projection(doc! {"userId": 1})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| crate::util::num(d, "userId"))
            .collect())
    }

    /// Users matching `filter` (a search), only the fields `projection` names.
    pub async fn find_users(
        &self,
        filter: Document,
        projection: Document,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        use futures::TryStreamExt;
        Ok(self
            .users()
            .find(filter)
            .projection(projection)
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

impl Store {
    fn sdk_login_info(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(super::names::SDK_LOGIN_INFO)
    }

    /// The user's third-party accounts (`sdkLoginInfo`).
    pub async fn sdk_logins(&self, user_id: i64) -> StoreResult<Vec<Document>> {
        use futures::TryStreamExt;
        Ok(self
            .sdk_login_info()
            .find(doc! {"userId": int_in(user_id)})
            .await?
            .try_collect()
            .await?)
    }

    /// Removes the user's third-party account of `kind`; false when none.
    pub async fn delete_sdk_login(&self, user_id: i64, kind: i32) -> StoreResult<bool> {
        let r = self
            .sdk_login_info()
            .delete_many(doc! {"userId": int_in(user_id), "type": kind})
            .await?;
        Ok(r.deleted_count > 0)
    }
}
