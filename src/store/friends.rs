//! MongoDB access for friendships: `imapi.u_friends`, one document per direction
//! (`userId` → `toUserId`), as the original's `Friends` entity stores them.
//! Status: 2 = friends, 1 = following, 0 = stranger, -1 = blacklisted (older code).

use super::error::{StoreError, StoreResult};
use bson::{doc, Bson, Document};
use futures::TryStreamExt;
use pinyin::ToPinyin;

use super::model::{Friend, Set, User, UserId};
use super::Store;
use crate::util::{int32_id, int_in, int_variants, ints_in, num};

/// `Friends.Status.Friends`.
pub const STATUS_FRIENDS: i32 = 2;
/// The system account (客服公众号): its nickname is never refreshed in lists.
pub const SYSTEM_USER_ID: i64 = 10000;
/// `fromAddType` the original writes for `/friends/add` (4 = phone search).
pub const FROM_ADD_TYPE_ADD: i32 = 4;

/// What `/friends/page` filters on.
pub struct PageQuery<'a> {
    pub user_id: i64,
    /// `> 0`: only that status (default 2); `<= 0`: every relation.
    pub status: i32,
    /// Case-insensitive substring of `toNickname` or `remarkName`.
    pub keyword: Option<&'a str>,
    pub skip: u64,
    pub limit: i64,
}

fn filter_for(q: &PageQuery<'_>) -> Document {
    let mut f = doc! {"userId": int_in(q.user_id)};
    if q.status > 0 {
        f.insert("status", q.status);
    }
    if let Some(k) = q.keyword.filter(|k| !k.is_empty()) {
        let rx = crate::util::literal_regex(k);
        f.insert(
            "$or",
            vec![
                doc! {"toNickname": {"$regex": &rx, "$options": "i"}},
                doc! {"remarkName": {"$regex": &rx, "$options": "i"}},
            ],
        );
    }
    f
}

impl Store {
    /// The relation `user_id` → `to_user_id`, if any.
    pub async fn friend(&self, user_id: i64, to_user_id: i64) -> StoreResult<Option<Friend>> {
        Ok(self
            .friends()
            .find_one(doc! {"userId": UserId(user_id).matcher(), "toUserId": UserId(to_user_id).matcher()})
            .await?
            .map(Friend::new))
    }

    /// One page of a user's relations in stored (insertion) order, and the total.
    pub async fn friends_page(&self, q: &PageQuery<'_>) -> StoreResult<(Vec<Document>, u64)> {
        let filter = filter_for(q);
        let total = self.friends().count_documents(filter.clone()).await?;
        let docs: Vec<Document> = self
            .friends()
            .find(filter)
            .sort(doc! {"_id": 1})
            .skip(q.skip)
            .limit(q.limit)
            .await?
            .try_collect()
            .await?;
        Ok((docs, total))
    }

    /// Current nicknames of these users (`_id` → `nickname`).
    pub async fn nicknames(
        &self,
        ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, String>> {
        let mut out = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut cur = self
            .users()
            .find(doc! {"_id": ints_in(ids)})
            .projection(doc! {"nickname": 1})
            .await?;
        while let Some(d) = cur.try_next().await? {
            let u = User::new(d);
            if let Some(n) = u.nickname()? {
                out.insert(u.id()?.0, n.to_string());
            }
        }
        Ok(out)
    }

    /// Makes `owner` → `to` a friendship the way the original's
    /// `FriendsManagerImpl.addFriends` does: a new relation document when none
    /// exists, otherwise `status`, `toUserType`, `toFriendsRole` and
    /// `modifyTime` are updated (other fields, e.g. `blacklist`, are kept).
    /// `to_roles` are the other user's `userRoles`.
    async fn make_friend(
        &self,
        owner: &User,
        to: &User,
        to_roles: &[i64],
        now_s: i64,
    ) -> StoreResult<()> {
        let (owner_id, to_id) = (owner.id()?.0, to.id()?.0);
        let filter = doc! {"userId": int_in(owner_id), "toUserId": int_in(to_id)};
        let set = doc! {
            "modifyTime": now_s,
            "status": STATUS_FRIENDS,
            "toUserType": user_type(to_roles),
            "toFriendsRole": roles(to_roles),
        };
        let r = self
            .friends()
            .update_one(filter.clone(), doc! {"$set": set})
            .await?;
        if r.matched_count == 0 {
            // Upsert on the pair so that a concurrent add cannot insert it twice
            // from this path; only the creation fields are written.
            self.friends()
                .update_one(
                    filter,
                    doc! {"$setOnInsert": new_friend_doc(owner, to, to_roles, now_s)?},
                )
                .upsert(true)
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Makes `a` and `b` friends both ways (`addFriends`), each relation
    /// carrying the other user's roles.
    pub async fn befriend(&self, a: &User, b: &User, now_s: i64) -> StoreResult<()> {
        let id = |u: &Document| {
            num(u, "_id").ok_or_else(|| StoreError::Corrupt("user without _id".into()))
        };
        let (a_id, b_id) = (id(a)?, id(b)?);
        let (a_roles, b_roles) = futures::try_join!(self.roles_of(a_id), self.roles_of(b_id))?;
        self.make_friend(a, b, &b_roles, now_s).await?;
        self.make_friend(b, a, &a_roles, now_s).await
    }
}

/// `toUserType` of a relation, as the original's `addFriends` derives it
/// ("toUserType中只维护0和2"): 2 when the other user has the official-account
/// role 2, otherwise 0.
fn user_type(to_roles: &[i64]) -> i32 {
    if to_roles.contains(&2) {
        2
    } else {
        0
    }
}

/// The other user's roles as `toFriendsRole` (Int32s, `[]` for none).
fn roles(to_roles: &[i64]) -> Bson {
    Bson::Array(to_roles.iter().map(|r| Bson::Int32(*r as i32)).collect())
}

/// The owner's `settings.chatRecordTimeOut` (stored as a string such as "-1.0")
/// as the relation's Double, -1.0 (forever) when absent or unreadable.
fn chat_record_time_out(owner: &Document) -> f64 {
    match owner
        .get_document("settings")
        .ok()
        .and_then(|s| s.get("chatRecordTimeOut"))
    {
        Some(Bson::String(s)) => s.trim().parse().unwrap_or(-1.0),
        Some(Bson::Double(f)) => *f,
        Some(Bson::Int32(i)) => *i as f64,
        Some(Bson::Int64(i)) => *i as f64,
        _ => -1.0,
    }
}

/// The sort letter clients group contacts by: the first letter of the
/// nickname (of its pinyin for a Chinese character), upper-case; `#` otherwise.
pub fn order_key(nickname: &str) -> String {
    let Some(c) = nickname.trim().chars().next() else {
        return "#".to_string();
    };
    if c.is_ascii_alphabetic() {
        return c.to_ascii_uppercase().to_string();
    }
    match c.to_pinyin() {
        Some(p) => p.first_letter().to_ascii_uppercase(),
        None => "#".to_string(),
    }
}

/// A new relation document `owner` → `to`, field for field as the deployment
/// stores them (seed `u_friends`).
pub fn new_friend_doc(
    owner: &Document,
    to: &Document,
    to_roles: &[i64],
    now_s: i64,
) -> StoreResult<Document> {
    let owner_id =
        int32_id(num(owner, "_id").ok_or_else(|| StoreError::Corrupt("user without _id".into()))?);
    let to_id =
        int32_id(num(to, "_id").ok_or_else(|| StoreError::Corrupt("user without _id".into()))?);
    let nickname = to.get_str("nickname").unwrap_or("").to_string();
    let hiding = to
        .get_document("settings")
        .ok()
        .and_then(|s| num(s, "hiding"))
        .unwrap_or(-1) as i32;
    let mut d = Document::new();
    if let Ok(a) = to.get_str("account") {
        d.insert("account", a);
    }
    d.insert("blacklist", 0);
    d.insert("chatRecordTimeOut", chat_record_time_out(owner));
    d.insert("createTime", now_s);
    d.insert("encryptType", 0);
    d.insert("fromAddType", FROM_ADD_TYPE_ADD);
    d.insert("hideChatSwitch", 0);
    d.insert("hiding", hiding);
    d.insert("isBeenBlack", 0);
    d.insert("isOpenSnapchat", 0);
    d.insert("lastTalkTime", 0i64);
    d.insert("modifyTime", 0i64);
    d.insert("msgNum", 0i64);
    d.insert("offlineNoPushMsg", 0);
    d.insert("openTopChatTime", 0i64);
    d.insert("orderKey", order_key(&nickname));
    d.insert("status", STATUS_FRIENDS);
    d.insert("toFriendsRole", roles(to_roles));
    d.insert("toNickname", nickname);
    d.insert("toUserId", to_id);
    d.insert("toUserType", user_type(to_roles));
    d.insert("userId", owner_id);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_match_the_seed() {
        assert_eq!(order_key("客服公众号"), "K");
        assert_eq!(order_key("测试001"), "C");
        assert_eq!(order_key("朋友001"), "P");
        assert_eq!(order_key("张益达"), "Z");
        assert_eq!(order_key("A9gz0"), "A");
        assert_eq!(order_key("abc"), "A");
        assert_eq!(order_key("9x"), "#");
        assert_eq!(order_key(""), "#");
    }
}

/// The original's `NewFriends` records (`imapi.NewFriends`): the friend
/// requests and answers (5xx messages) of each pair, one record per owner and
/// peer, written by the IM server as the messages pass. The ids are matched
/// whether stored as numbers (older servers) or strings (newer ones).
pub const NEW_FRIENDS: &str = "NewFriends";

fn id_any(id: i64) -> Bson {
    let mut v = int_variants(id);
    v.push(Bson::String(id.to_string()));
    Bson::Document(doc! {"$in": v})
}

impl Store {
    fn new_friends(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(NEW_FRIENDS)
    }

    /// The user's new-friend records, latest change first.
    pub async fn new_friends_page(
        &self,
        user_id: i64,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .new_friends()
            .find(doc! {"userId": id_any(user_id)})
            .sort(doc! {"modifyTime": -1, "_id": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// The latest new-friend record of the pair.
    pub async fn new_friend_last(&self, user_id: i64, to: i64) -> StoreResult<Option<Document>> {
        Ok(self
            .new_friends()
            .find_one(doc! {"userId": id_any(user_id), "toUserId": id_any(to)})
            .sort(doc! {"modifyTime": -1, "_id": -1})
            .await?)
    }

    /// `$set` on the relation `user_id` → `to`; the relation after the change,
    /// as the original's `findAndModify` answers it (`None` when there is
    /// none, and nothing is written then).
    pub async fn set_friend_fields(
        &self,
        user_id: i64,
        to: i64,
        set: Document,
    ) -> StoreResult<Option<Document>> {
        Ok(self
            .friends()
            .find_one_and_update(
                doc! {"userId": int_in(user_id), "toUserId": int_in(to)},
                doc! {"$set": set},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await?)
    }

    /// The user's blacklisted relations (`blacklist` 1), in stored order.
    pub async fn blacklisted(
        &self,
        user_id: i64,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .friends()
            .find(doc! {"userId": int_in(user_id), "blacklist": 1})
            .sort(doc! {"_id": 1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// `user_id` blacklists `to` (`addBlacklist`): `blacklist` 1 on the own
    /// relation (created as a stranger's, status 0, when there is none) and
    /// `isBeenBlack` 1 on the other side's (created likewise); the own
    /// conversation with `to` leaves the chat list and `to` the own labels.
    pub async fn blacklist(&self, me: &User, to: &User, now_s: i64) -> StoreResult<()> {
        let (a, b) = (me.id()?.0, to.id()?.0);
        self.upsert_side(
            me,
            to,
            Set::new()
                .int32("blacklist", 1)
                .int64("modifyTime", now_s)
                .fields(),
            now_s,
        )
        .await?;
        self.upsert_side(
            to,
            me,
            Set::new()
                .int32("isBeenBlack", 1)
                .int64("modifyTime", now_s)
                .fields(),
            now_s,
        )
        .await?;
        self.forget_conversation(a, b).await?;
        self.labels_without(a, b).await
    }

    /// Ends the blacklisting (`deleteBlacklist`): a stranger's relation made
    /// only for it (status 0), or one whose other side is gone, is deleted
    /// with its counterpart; otherwise `blacklist`/`isBeenBlack` go back to 0.
    pub async fn unblacklist(
        &self,
        a: i64,
        b: i64,
        mine: &Document,
        now_s: i64,
    ) -> StoreResult<()> {
        let theirs = self.friend(b, a).await?;
        if num(mine, "status") == Some(0) || theirs.is_none() {
            self.delete_relations(a, b).await?;
            return Ok(());
        }
        self.set_friend_fields(a, b, doc! {"blacklist": 0, "modifyTime": now_s})
            .await?;
        self.set_friend_fields(b, a, doc! {"isBeenBlack": 0, "modifyTime": now_s})
            .await?;
        Ok(())
    }

    /// Ends a friendship (`deleteFriends`): both relations, both sides' chat
    /// list entries and each from the other's labels. The messages are kept.
    pub async fn unfriend(&self, a: i64, b: i64) -> StoreResult<()> {
        self.forget_conversation(a, b).await?;
        self.forget_conversation(b, a).await?;
        self.labels_without(a, b).await?;
        self.labels_without(b, a).await?;
        self.delete_relations(a, b).await
    }

    async fn delete_relations(&self, a: i64, b: i64) -> StoreResult<()> {
        self.friends()
            .delete_many(doc! {"$or": [
                {"userId": int_in(a), "toUserId": int_in(b)},
                {"userId": int_in(b), "toUserId": int_in(a)},
            ]})
            .await?;
        Ok(())
    }

    /// `owner`'s last-chat record of the single chat with `peer`.
    async fn forget_conversation(&self, owner: i64, peer: i64) -> StoreResult<()> {
        self.forget_single_last_chat(owner, &peer.to_string()).await
    }

    /// Takes `friend` off every label of `owner`.
    async fn labels_without(&self, owner: i64, friend: i64) -> StoreResult<()> {
        self.imapi()
            .collection::<Document>(super::names::FRIEND_GROUP)
            .update_many(
                doc! {"userId": int_in(owner)},
                doc! {"$pull": {"userIdList": {"$in": int_variants(friend)}}},
            )
            .await?;
        Ok(())
    }

    /// `$set` on the relation `owner` → `to`, creating it first as a
    /// stranger's (status 0) when there is none.
    async fn upsert_side(
        &self,
        owner: &User,
        to: &User,
        set: Document,
        now_s: i64,
    ) -> StoreResult<()> {
        let (a, b) = (owner.id()?.0, to.id()?.0);
        let filter = doc! {"userId": int_in(a), "toUserId": int_in(b)};
        let r = self
            .friends()
            .update_one(filter.clone(), doc! {"$set": set.clone()})
            .await?;
        if r.matched_count == 0 {
            let mut d = new_friend_doc(owner, to, &[], now_s)?;
            d.insert("status", 0);
            d.remove("toFriendsRole");
            for (k, v) in set {
                d.insert(k, v);
            }
            self.friends()
                .update_one(filter, doc! {"$setOnInsert": d})
                .upsert(true)
                .await?;
        }
        Ok(())
    }

    /// The remark (`updateFriendRemarkName`): on the relation, created as a
    /// stranger's when there is none; `orderKey` follows the remark.
    pub async fn set_remark(
        &self,
        owner: &User,
        to: &User,
        remark: &str,
        describe: Option<&str>,
        now_s: i64,
    ) -> StoreResult<()> {
        let name = if remark.is_empty() {
            to.nickname()?.unwrap_or("")
        } else {
            remark
        };
        let mut set = doc! {"remarkName": remark, "orderKey": order_key(name), "modifyTime": now_s};
        if let Some(d) = describe {
            set.insert("describe", d);
        }
        self.upsert_side(owner, to, set, now_s).await
    }
}

impl Store {
    /// `owner` follows `to` (status 1) as a friend request waiting for `to`'s
    /// answer: the relation is created, or an existing stranger's raised.
    pub async fn follow(
        &self,
        owner: &User,
        to: &User,
        from_add_type: i32,
        now_s: i64,
    ) -> StoreResult<()> {
        let set = Set::new()
            .int32("status", 1)
            .int32("fromAddType", from_add_type)
            .int64("modifyTime", now_s)
            .fields();
        self.upsert_side(owner, to, set, now_s).await
    }

    /// Removes `owner`'s relation to `to` only; false when there was none.
    pub async fn unfollow(&self, owner: i64, to: i64) -> StoreResult<bool> {
        let r = self
            .friends()
            .delete_one(doc! {"userId": int_in(owner), "toUserId": int_in(to)})
            .await?;
        Ok(r.deleted_count > 0)
    }
}
