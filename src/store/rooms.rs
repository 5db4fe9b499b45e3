//! Rooms (`imRoom.shiku_room`), their members (`shiku_room_member.<shard>`),
//! the per-user room index (`shiku_roomJids_userId.<shard>`) and notices
//! (`imRoom.shiku_room_notice`), stored as the original server stores them.
//!
//! Multi-document changes are ordered so that repeating a failed request
//! completes the work: member and index upserts are idempotent, and `userSize`
//! is recounted from the member collection after every membership change.

use super::error::StoreResult;
use bson::{doc, oid::ObjectId, Document};
use futures::TryStreamExt;

use super::indexes::Family;
use super::model::{Fields, Member, Room, UserId};
use super::msgs::NewMessage;
use super::Store;
use crate::util::{int32_id, int_in, int_variants, ints_in, num};

use crate::domain::room::Role;

/// Bound of the owner-and-admins head of a member page (the original lists
/// them all; a room has a handful).
const MAX_ADMINS: i64 = 1000;

/// A new room with every default field the original stores (seed `shiku_room`);
/// `userSize` starts at 0 like the original's entity and is recounted after the
/// members are stored.
pub fn new_room_doc(
    id: ObjectId,
    jid: &str,
    name: &str,
    desc: &str,
    owner_id: i64,
    owner_nickname: &str,
    now_s: i64,
) -> Document {
    doc! {
        "_id": id,
        "adminMaxNumber": 50,
        "allowConference": 1,
        "allowHostUpdate": 1,
        "allowInviteFriend": 1,
        "allowOpenLive": 1,
        "allowSendCard": 1,
        "allowSpeakCourse": 1,
        "allowUploadFile": 1,
        "chatRecordTimeOut": -1.0,
        "createTime": now_s,
        "desc": desc,
        "encryptType": 0,
        "inGroup": false,
        "isAttritionNotice": 1,
        "isLook": 1,
        "isNeedVerify": 0,
        "isSecretGroup": 0,
        "jid": jid,
        "liveStatus": 0,
        "loc": {"lng": 0.0, "lat": 0.0},
        "maxUserSize": 1000,
        "meetingStatus": 0,
        "modifyTime": now_s,
        "name": name,
        "nickname": owner_nickname,
        "notice": {"modifyTime": 0i64, "time": 0i64},
        "notices": [],
        "s": 1,
        "showMember": 1,
        "showRead": 0,
        "subject": "",
        "tags": [],
        "talkTime": 0i64,
        "userId": int32_id(owner_id),
        "userSize": 0,
        "withdrawTime": 0,
    }
}

/// A member document with the original's defaults (seed `shiku_room_member`).
pub fn new_member_doc(
    room_id: ObjectId,
    user_id: i64,
    nickname: &str,
    role: i32,
    now_s: i64,
) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "roomId": room_id,
        "active": now_s,
        "beginMsgTime": 0i64,
        "clearMaxSeqNo": 0i64,
        "createTime": now_s,
        "hideChatSwitch": 0,
        "hiding": 0,
        "inviteUserId": 0,
        "isBlack": 0,
        "isOpenTopChat": 0,
        "joinSeqNo": 0i64,
        "loginTime": 0i64,
        "modifyTime": 0i64,
        "nickname": nickname,
        "offlineNoPushMsg": 0,
        "onlinestate": 0,
        "openTopChatTime": 0i64,
        "operationType": 0,
        "role": role,
        "sub": 1,
        "talkTime": 0i64,
        "userId": int32_id(user_id),
    }
}

/// A notice (`Room.Notice`): `time` in seconds, `modifyTime` 0.
pub fn new_notice_doc(
    room_id: ObjectId,
    text: &str,
    user_id: i64,
    nickname: &str,
    now_s: i64,
) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "roomId": room_id,
        "text": text,
        "userId": int32_id(user_id),
        "nickname": nickname,
        "time": now_s,
        "modifyTime": 0i64,
    }
}

impl Store {
    pub async fn room_by_id(&self, id: &ObjectId) -> StoreResult<Option<Room>> {
        Ok(self
            .rooms()
            .find_one(doc! {"_id": id})
            .await?
            .map(Room::new))
    }

    pub async fn room_by_jid(&self, jid: &str) -> StoreResult<Option<Room>> {
        Ok(self
            .rooms()
            .find_one(doc! {"jid": jid})
            .await?
            .map(Room::new))
    }

    pub async fn insert_room(&self, room: Document) -> StoreResult<()> {
        self.rooms().insert_one(room).await?;
        Ok(())
    }

    /// `$set` on the room document.
    pub async fn set_room_fields(&self, id: &ObjectId, set: Document) -> StoreResult<()> {
        self.rooms()
            .update_one(doc! {"_id": id}, doc! {"$set": set})
            .await?;
        Ok(())
    }

    pub async fn room_member(&self, room: &ObjectId, user_id: i64) -> StoreResult<Option<Member>> {
        Ok(self
            .room_members(room)
            .find_one(doc! {"roomId": room, "userId": UserId(user_id).matcher()})
            .await?
            .map(Member::new))
    }

    /// Members: owner first, then admins, then members by join time.
    /// `nickname` (literal, case-insensitive) filters when given.
    pub async fn room_member_list(
        &self,
        room: &ObjectId,
        nickname: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<Member>> {
        let mut filter = doc! {"roomId": room};
        if let Some(k) = nickname {
            filter.insert(
                "nickname",
                doc! {"$regex": crate::util::literal_regex(k), "$options": "i"},
            );
        }
        Ok(self
            .room_members(room)
            .find(filter)
            .sort(doc! {"role": 1, "createTime": 1})
            .limit(limit)
            .await?
            .map_ok(Member::new)
            .try_collect()
            .await?)
    }

    /// One page of a room's members as the original pages them by join time
    /// (`getMemberListByPageImpl`): from `join_time` 0, the owner and admins
    /// (role, then join time) followed by ordinary members up to `size` (at
    /// least one, whose `createTime` the client pages from); after that,
    /// ordinary members with `createTime >= join_time` (inclusive, as the
    /// original: the clients drop the repeated boundary member). Invisible
    /// members (role 4) are listed to the owner only.
    pub async fn member_page(
        &self,
        room: &ObjectId,
        join_time: i64,
        size: i64,
        show_invisible: bool,
    ) -> StoreResult<Vec<Document>> {
        let mut ordinary = doc! {"roomId": room, "role": {"$gt": Role::ADMIN}};
        if !show_invisible {
            ordinary.insert("role", doc! {"$gt": Role::ADMIN, "$ne": 4});
        }
        let mut head = Vec::new();
        if join_time == 0 {
            head = self
                .room_members(room)
                .find(doc! {"roomId": room, "role": {"$lte": Role::ADMIN}})
                .sort(doc! {"role": 1, "createTime": 1})
                .limit(MAX_ADMINS)
                .await?
                .try_collect()
                .await?;
        } else {
            ordinary.insert("createTime", doc! {"$gte": join_time});
        }
        let rest = (size - head.len() as i64).max(1);
        let mut members: Vec<Document> = self
            .room_members(room)
            .find(ordinary)
            .sort(doc! {"createTime": 1})
            .limit(rest)
            .await?
            .try_collect()
            .await?;
        head.append(&mut members);
        Ok(head)
    }

    /// Every member's userId.
    pub async fn room_member_ids(&self, room: &ObjectId) -> StoreResult<Vec<i64>> {
        let docs: Vec<Document> = self
            .room_members(room)
            .find(doc! {"roomId": room})
            .projection(doc! {"userId": 1, "_id": 0})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| crate::util::num(d, "userId"))
            .collect())
    }

    /// Stores a member unless that user is already in the room; true if added.
    pub async fn add_room_member(&self, room: &ObjectId, member: Document) -> StoreResult<bool> {
        let coll = self.room_members(room);
        self.ensure_indexes(&coll, Family::RoomMembers).await?;
        let user_id = member.required("userId", member.user_id("userId"))?.0;
        let r = coll
            .update_one(
                doc! {"roomId": room, "userId": int_in(user_id)},
                doc! {"$setOnInsert": member},
            )
            .upsert(true)
            .await?;
        Ok(r.upserted_id.is_some())
    }

    pub async fn remove_room_member(&self, room: &ObjectId, user_id: i64) -> StoreResult<()> {
        self.room_members(room)
            .delete_many(doc! {"roomId": room, "userId": int_in(user_id)})
            .await?;
        Ok(())
    }

    pub async fn set_member_fields(
        &self,
        room: &ObjectId,
        user_id: i64,
        set: Document,
    ) -> StoreResult<()> {
        self.room_members(room)
            .update_one(
                doc! {"roomId": room, "userId": int_in(user_id)},
                doc! {"$set": set},
            )
            .await?;
        Ok(())
    }

    /// Sets `userSize` to the number of stored members; returns it.
    pub async fn recount_room_users(&self, room: &ObjectId) -> StoreResult<i64> {
        let n = self
            .room_members(room)
            .count_documents(doc! {"roomId": room})
            .await? as i64;
        self.set_room_fields(room, doc! {"userSize": n as i32})
            .await?;
        Ok(n)
    }

    /// Records that `user_id` is in the room (`{userId, jid, roomId, offlineNoPushMsg}`).
    pub async fn add_user_room_jid(
        &self,
        user_id: i64,
        jid: &str,
        room: &ObjectId,
    ) -> StoreResult<()> {
        let coll = self.user_room_jids(user_id);
        self.ensure_indexes(&coll, Family::UserRoomJids).await?;
        coll.update_one(
            doc! {"userId": int_in(user_id), "jid": jid},
            doc! {
                "$set": {"roomId": room},
                "$setOnInsert": {"userId": int32_id(user_id), "jid": jid, "offlineNoPushMsg": 0},
            },
        )
        .upsert(true)
        .await?;
        Ok(())
    }

    pub async fn remove_user_room_jid(&self, user_id: i64, jid: &str) -> StoreResult<()> {
        self.user_room_jids(user_id)
            .delete_many(doc! {"userId": int_in(user_id), "jid": jid})
            .await?;
        Ok(())
    }

    pub async fn set_user_room_jid_fields(
        &self,
        user_id: i64,
        jid: &str,
        set: Document,
    ) -> StoreResult<()> {
        self.user_room_jids(user_id)
            .update_many(
                doc! {"userId": int_in(user_id), "jid": jid},
                doc! {"$set": set},
            )
            .await?;
        Ok(())
    }

    /// The rooms a user is in (from the per-user index).
    pub async fn user_room_ids(&self, user_id: i64) -> StoreResult<Vec<ObjectId>> {
        let docs: Vec<Document> = self
            .user_room_jids(user_id)
            .find(doc! {"userId": int_in(user_id)})
            .projection(doc! {"roomId": 1, "_id": 0})
            .await?
            .try_collect()
            .await?;
        let mut ids: Vec<ObjectId> = docs
            .iter()
            .filter_map(|d| d.get_object_id("roomId").ok())
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// A page of rooms among `ids`, newest first, but those the console
    /// locked (`s` -1; the original listed `s` 1 only); `owner` keeps only
    /// rooms owned (`Some(true)`) or not owned (`Some(false)`) by `user_id`.
    pub async fn rooms_page(
        &self,
        ids: &[ObjectId],
        owner: Option<(bool, i64)>,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        let mut filter = doc! {"_id": {"$in": ids.to_vec()}, "s": {"$ne": -1}};
        match owner {
            Some((true, u)) => {
                filter.insert("userId", int_in(u));
            }
            Some((false, u)) => {
                filter.insert("userId", doc! {"$nin": int_variants(u)});
            }
            None => {}
        }
        Ok(self
            .rooms()
            .find(filter)
            .sort(doc! {"createTime": -1, "_id": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Stores a notice and makes it the room's latest (`notice`).
    pub async fn add_room_notice(&self, room: &ObjectId, notice: Document) -> StoreResult<()> {
        self.room_notices().insert_one(notice.clone()).await?;
        self.set_room_fields(room, doc! {"notice": notice}).await
    }

    /// Notices newest first.
    pub async fn latest_notices(
        &self,
        room: &ObjectId,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        Ok(self
            .room_notices()
            .find(doc! {"roomId": room})
            .sort(doc! {"time": -1})
            .skip(skip)
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    /// Notices newest first, and how many there are (both queries at once).
    pub async fn room_notices_page(
        &self,
        room: &ObjectId,
        skip: u64,
        limit: i64,
    ) -> StoreResult<(Vec<Document>, u64)> {
        let count = async {
            Ok(self
                .room_notices()
                .count_documents(doc! {"roomId": room})
                .await?)
        };
        futures::try_join!(self.latest_notices(room, skip, limit), count)
    }

    /// Creates a room with its first members: each member (see
    /// [`Store::join_members`]), then the room document, then `userSize`. The
    /// room document comes last so that a failed attempt leaves no half-made
    /// room behind, and a retry (which checks the room's jid) redoes it all.
    pub async fn create_room(
        &self,
        room: Document,
        joins: &[(Document, Option<NewMessage>)],
    ) -> StoreResult<()> {
        let view = Room::new(room);
        let (id, jid) = (view.id()?, view.jid()?.to_string());
        let room = view.into_doc();
        self.join_members(&id, &jid, joins).await?;
        self.insert_room(room).await?;
        self.recount_room_users(&id).await?;
        Ok(())
    }

    /// Adds members to an existing room, then recounts `userSize`.
    pub async fn add_room_members(
        &self,
        room: &ObjectId,
        jid: &str,
        joins: &[(Document, Option<NewMessage>)],
    ) -> StoreResult<()> {
        self.join_members(room, jid, joins).await?;
        self.recount_room_users(room).await?;
        Ok(())
    }

    /// For each new member: the user's room index entry, the room notice that
    /// announces them (907, when given) and, last, the member record, which is
    /// what "already in the room" is checked against, so a retry after a
    /// failure adds whoever is still missing.
    async fn join_members(
        &self,
        room: &ObjectId,
        jid: &str,
        joins: &[(Document, Option<NewMessage>)],
    ) -> StoreResult<()> {
        for (member, notice) in joins {
            let user_id = member.required("userId", member.user_id("userId"))?.0;
            self.add_user_room_jid(user_id, jid, room).await?;
            if let Some(m) = notice {
                match self.write_group(m, jid).await {
                    // An earlier attempt's notice (another room name, say): kept.
                    Ok(_) | Err(super::StoreError::Refused(super::Refusal::IdTaken)) => {}
                    Err(e) => return Err(e),
                }
            }
            self.add_room_member(room, member.clone()).await?;
        }
        Ok(())
    }

    /// Removes a member: the user's room index entry, the member record, then
    /// the recount.
    pub async fn leave_room(&self, room: &ObjectId, jid: &str, user_id: i64) -> StoreResult<()> {
        self.remove_user_room_jid(user_id, jid).await?;
        self.remove_room_member(room, user_id).await?;
        self.recount_room_users(room).await?;
        Ok(())
    }

    /// The member records of those of `users` who are in the room (one query).
    pub async fn members_of(&self, room: &ObjectId, users: &[i64]) -> StoreResult<Vec<Member>> {
        Ok(self
            .room_members(room)
            .find(doc! {"roomId": room, "userId": ints_in(users)})
            .await?
            .map_ok(Member::new)
            .try_collect()
            .await?)
    }

    /// How many members are hidden from the others (roles 4 and 5).
    pub async fn count_hidden_members(&self, room: &ObjectId) -> StoreResult<u64> {
        Ok(self
            .room_members(room)
            .count_documents(doc! {"roomId": room, "role": {"$gte": 4}})
            .await?)
    }

    /// The owner and the admins (roles 1 and 2), by role then join time.
    pub async fn room_managers(&self, room: &ObjectId) -> StoreResult<Vec<Member>> {
        Ok(self
            .room_members(room)
            .find(doc! {"roomId": room, "role": {"$lte": Role::ADMIN}})
            .sort(doc! {"role": 1, "createTime": 1})
            .limit(MAX_ADMINS + 1)
            .await?
            .map_ok(Member::new)
            .try_collect()
            .await?)
    }

    /// How many members hold `role` (e.g. the admins, 2).
    pub async fn count_members_with_role(&self, room: &ObjectId, role: i32) -> StoreResult<u64> {
        Ok(self
            .room_members(room)
            .count_documents(doc! {"roomId": room, "role": role})
            .await?)
    }

    /// Which of `users` already are members of the room (one query).
    pub async fn members_among(&self, room: &ObjectId, users: &[i64]) -> StoreResult<Vec<i64>> {
        let docs: Vec<Document> = self
            .room_members(room)
            .find(doc! {"roomId": room, "userId": ints_in(users)})
            .projection(doc! {"userId": 1})
            .await?
            .try_collect()
            .await?;
        Ok(docs.iter().filter_map(|d| num(d, "userId")).collect())
    }

    /// Saves a change of the room's settings (the caller then delivers the
    /// notice that announces it).
    pub async fn change_room(&self, room: &ObjectId, set: Document) -> StoreResult<()> {
        self.set_room_fields(room, set).await
    }

    /// Mutes the room until `talk_time` (0 ends it): like the original, the
    /// time goes on every member record too (the caller then delivers the 920).
    pub async fn mute_room(&self, room: &ObjectId, talk_time: i64) -> StoreResult<()> {
        self.room_members(room)
            .update_many(
                doc! {"roomId": room},
                doc! {"$set": {"talkTime": talk_time}},
            )
            .await?;
        self.change_room(room, doc! {"talkTime": talk_time}).await
    }

    /// Transfers ownership: new owner's role first, then the old owner's, the
    /// room's `userId`/`nickname` last (a retry by the old owner redoes it all).
    pub async fn transfer_room(
        &self,
        room: &ObjectId,
        old_owner: i64,
        new_owner: i64,
        new_nickname: &str,
    ) -> StoreResult<()> {
        self.set_member_fields(room, new_owner, doc! {"role": Role::OWNER})
            .await?;
        self.set_member_fields(room, old_owner, doc! {"role": Role::MEMBER})
            .await?;
        self.set_room_fields(
            room,
            doc! {"userId": UserId(new_owner), "nickname": new_nickname},
        )
        .await
    }

    /// Drops a room's group messages (`mucmsg_<jid>`), as a key reset does.
    pub async fn drop_room_history(&self, jid: &str) -> StoreResult<()> {
        if super::names::valid_room_jid(jid) {
            self.mucmsg(jid).drop().await?;
        }
        Ok(())
    }

    /// Dissolves a room: the members' room index entries, notices, group
    /// messages and last-chat record, the members, and the room itself last,
    /// so a retried dissolve finds the room and finishes the job.
    pub async fn dissolve_room(&self, room: &ObjectId, jid: &str) -> StoreResult<()> {
        for member in self.room_member_ids(room).await? {
            self.remove_user_room_jid(member, jid).await?;
        }
        self.room_notices()
            .delete_many(doc! {"roomId": room})
            .await?;
        self.room_db()
            .collection::<Document>(super::names::ROOM_SHARE)
            .delete_many(doc! {"roomId": room})
            .await?;
        if super::names::valid_room_jid(jid) {
            self.mucmsg(jid).drop().await?;
        }
        self.muc_lastchats().delete_many(doc! {"jid": jid}).await?;
        self.room_members(room)
            .delete_many(doc! {"roomId": room})
            .await?;
        self.rooms().delete_one(doc! {"_id": room}).await?;
        self.release(super::claims::Claim::RoomJid, jid).await
    }
}
