//! MongoDB access for `/tigase/*`: single and group history, the conversation
//! list (last-chat records + pinned dialogs), delete/recall, search and pins.
//!
//! Deleted records are never removed: like the deployment we replace, a delete
//! or recall sets `delayedTime` (ms) and `deleteTime` (s) on the message record
//! (`shiku_msgs` copies, `mucmsg_<jid>` for a group recall), and a member's
//! "delete my copy" of a group message is a `room_group_msg` mark. Every read
//! here skips records with `delayedTime` set. Writes are ordered so that a
//! retried request completes the work: marks first (idempotent), then the
//! last-chat records are recomputed from what is left (also idempotent).

use super::error::{Refusal, StoreError, StoreResult};
use std::collections::{HashMap, HashSet};

use bson::{doc, oid::ObjectId, Bson, Document, RawDocumentBuf};

use super::indexes::Family;
use super::model::{Fields, LastChat, Member, Message, Room, UserId};
use super::view::{collect, newest_first};
use super::{names, Store};
use crate::util::{int_variants, now_ms, now_s};

/// `MessageType.OPENREDPAKET`: group history never returns "red packet opened".
const OPEN_RED_PACKET: i32 = 83;
/// Text messages: what search looks at, and what decides whether a member who
/// hid messages still has a conversation with a room.
const TEXT: i32 = 1;

/// A history window: `timeSend >= start` and/or `timeSend <= end` (ms).
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    fn apply(&self, q: &mut Document) {
        let mut t = Document::new();
        if let Some(s) = self.start {
            t.insert("$gte", s);
        }
        if let Some(e) = self.end {
            t.insert("$lte", e);
        }
        if !t.is_empty() {
            q.insert("timeSend", t);
        }
    }
}

/// What a member of a room may see: from joining (or from clearing the
/// history) on, minus the messages they hid.
#[derive(Clone, Debug, Default)]
pub struct MemberView {
    /// ms; messages before it are not shown.
    pub visible_from: i64,
    pub hidden: Vec<String>,
    pub blacklisted: bool,
}

/// Which messages a delete request concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteKind {
    /// `delete=1`: the caller's own copy (single) / a hide mark (group).
    Mine,
    /// `delete=2`: recall for everyone; only the sender may.
    Recall,
}

/// Rooms a message search looks into: those with the latest messages.
pub const SEARCH_ROOMS: i64 = 50;
/// Rooms searched at once.
const SEARCH_AT_ONCE: usize = 8;
/// How long a message search may take; what is found by then is answered.

fn not_deleted() -> Document {
    doc! {"delayedTime": Bson::Null}
}

fn no_permission() -> StoreError {
    Refusal::NoPermission.into()
}

/// The last-chat fields that describe one message record (single or group):
/// the original sets `messageId`, `timeSend`, `content`; `type`, `from` and the
/// names follow so that the list never shows one message's text with another's type.
/// `to` is the real receiver as the writer (store/msgs.rs) records it: the
/// record's `receiver_jid` (single) or `room_jid` (group), so that a fallback
/// to a message of the other direction does not keep the recalled one's `to`.
fn last_fields_from(msg: &Message) -> StoreResult<Document> {
    let mut set = Document::new();
    if let Some(v) = msg.get("messageId") {
        set.insert("messageId", v.clone());
    }
    set.insert("timeSend", msg.time_send()?.unwrap_or(0));
    if let Some(v) = msg.get("content") {
        set.insert("content", v.clone());
    }
    if let Some(t) = msg.content_type()? {
        set.insert("type", t as i32);
    }
    if let Some(f) = msg.text("sender_jid")? {
        set.insert("from", f);
    }
    if let Some(t) = msg.to_jid()? {
        set.insert("to", t);
    }
    if let Some(body) = msg
        .text("message")?
        .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
    {
        for key in ["fromUserName", "toUserName"] {
            if let Some(s) = body.get(key).and_then(|v| v.as_str()) {
                set.insert(key, s);
            }
        }
        if let Some(b) = body.get("isEncrypt").and_then(|v| v.as_bool()) {
            set.insert("isEncrypt", b);
        }
    }
    Ok(set)
}

impl Store {
    // ----- rooms and members (read only; rooms are another area's) -----

    /// The room and the caller's member record: 100411 without the room,
    /// 100409 when the caller is not a member.
    pub async fn room_and_member(&self, jid: &str, user_id: i64) -> StoreResult<(Room, Member)> {
        if !names::valid_room_jid(jid) {
            return Err(Refusal::NoRoom.into());
        }
        let room = self.room_by_jid(jid).await?.ok_or(Refusal::NoRoom)?;
        let oid = room.id().map_err(|_| Refusal::NoRoom)?;
        let member = self
            .room_member(&oid, user_id)
            .await?
            .ok_or(Refusal::NotMember)?;
        Ok((room, member))
    }

    /// The jids of the rooms a user is in (`shiku_roomJids_userId`).
    pub async fn tigase_user_room_jids(
        &self,
        user_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        let docs = collect(
            self.user_room_jids(user_id)
                .find(doc! {"userId": user_id})
                .limit(limit)
                .await?,
        )
        .await?;
        let mut seen = HashSet::new();
        Ok(docs
            .iter()
            .filter_map(|d| d.get_str("jid").ok())
            .filter(|j| seen.insert(j.to_string()))
            .map(str::to_string)
            .collect())
    }

    /// The messages of a room a user hid (`room_group_msg`).
    pub async fn hidden_room_msgs(&self, user_id: i64, jid: &str) -> StoreResult<Vec<String>> {
        let docs = collect(
            self.room_group_msg()
                .find(doc! {"userId": user_id, "roomJid": jid})
                .projection(doc! {"messageId": 1})
                .await?,
        )
        .await?;
        Ok(docs
            .iter()
            .filter_map(|d| d.get_str("messageId").ok().map(str::to_string))
            .collect())
    }

    pub async fn member_view(
        &self,
        user_id: i64,
        jid: &str,
        member: &Member,
    ) -> StoreResult<MemberView> {
        Self::view_of(member, self.hidden_room_msgs(user_id, jid).await?)
    }

    /// The view of a member record and the ids the member hid.
    pub fn view_of(member: &Member, hidden: Vec<String>) -> StoreResult<MemberView> {
        let joined = member.time("createTime")?.unwrap_or(0);
        let begin = member.time("beginMsgTime")?.unwrap_or(0);
        Ok(MemberView {
            visible_from: joined.max(begin).max(0) * 1000,
            hidden,
            blacklisted: member.int("isBlack")? == Some(1),
        })
    }

    fn visible_filter(view: &MemberView) -> Document {
        let mut q = not_deleted();
        if !view.hidden.is_empty() {
            q.insert("messageId", doc! {"$nin": &view.hidden});
        }
        q
    }

    /// Seed 2.5: once a member has hidden messages of a room and no text
    /// message of it is left for them, the room's system messages are not shown
    /// either and the room leaves their conversation list.
    pub async fn room_emptied_for(&self, jid: &str, view: &MemberView) -> StoreResult<bool> {
        if view.hidden.is_empty() {
            return Ok(false);
        }
        let mut q = Self::visible_filter(view);
        q.insert("contentType", TEXT);
        q.insert("timeSend", doc! {"$gte": view.visible_from});
        let coll = self.mucmsg(jid);
        Ok(coll.find_one(q).await?.is_none())
    }

    // ----- history -----

    /// `/tigase/shiku_msgs`: the caller's copies with `peer`, newest first.
    pub async fn single_history(
        &self,
        user_id: i64,
        peer: i64,
        window: Window,
        max_type: i32,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<RawDocumentBuf>> {
        let mut q = doc! {"sender": user_id.to_string(), "receiver": peer.to_string()};
        if max_type > 0 {
            q.insert("contentType", doc! {"$lt": max_type});
        }
        window.apply(&mut q);
        q.insert("delayedTime", Bson::Null);
        newest_first(&self.user_msgs(user_id).clone_with_type(), q, skip, limit).await
    }

    /// `/tigase/shiku_muc_msgs`: what `view` allows, newest first.
    pub async fn group_history(
        &self,
        jid: &str,
        view: &MemberView,
        window: Window,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<RawDocumentBuf>> {
        if view.blacklisted || self.room_emptied_for(jid, view).await? {
            return Ok(vec![]);
        }
        let mut q = Self::visible_filter(view);
        let start = window.start.unwrap_or(0).max(view.visible_from);
        Window {
            start: (start > 0).then_some(start),
            end: window.end,
        }
        .apply(&mut q);
        q.insert("contentType", doc! {"$ne": OPEN_RED_PACKET});
        newest_first(&self.mucmsg(jid).clone_with_type(), q, skip, limit).await
    }

    // ----- conversation list -----

    /// `/tigase/getLastChatList`: pinned conversations first (newest pin
    /// first), then the others newest first; at most `limit` rooms and
    /// `limit` single chats (the original reads `lastChats_muc` and the
    /// user's `shiku_lastChats` shard each with `limit`, and answers both).
    pub async fn last_chat_list(
        &self,
        user_id: i64,
        window: Window,
        limit: i64,
    ) -> StoreResult<Vec<LastChat>> {
        let uid = user_id.to_string();
        let mut time = Document::new();
        window.apply(&mut time);
        let mut single = time.clone();
        single.insert("userId", &uid);
        single.insert("isRoom", 0);
        // Three independent reads, issued together: the pins, the rooms' records
        // (which need the user's room jids and hidden messages first), and the
        // single-chat records.
        let (pins, rooms, singles) = futures::try_join!(
            async {
                collect(
                    self.stick_dialog()
                        .find(doc! {"userId": user_id})
                        .limit(limit)
                        .await?,
                )
                .await
            },
            self.room_last_chats(user_id, time, limit),
            async {
                collect(
                    self.user_lastchats(user_id)
                        .find(single)
                        .sort(doc! {"timeSend": -1})
                        .limit(limit)
                        .await?,
                )
                .await
            },
        )?;
        let mut pinned: HashMap<String, i64> = HashMap::new();
        for p in &pins {
            if let Some(jid) = p.text("jid")? {
                pinned.insert(jid.to_string(), p.time("time")?.unwrap_or(0));
            }
        }
        let mut out = rooms;
        out.extend(singles.into_iter().map(LastChat::new));
        // (pin time, timeSend) of each record, read once before sorting.
        let mut keyed = Vec::with_capacity(out.len());
        for last in out {
            let pin = last.jid()?.and_then(|j| pinned.get(j)).copied();
            keyed.push(((pin.is_some(), pin, last.time_send()?), last));
        }
        keyed.sort_by(|(a, _), (b, _)| b.cmp(a));
        Ok(keyed.into_iter().map(|(_, last)| last).collect())
    }

    /// The last-chat records of the user's rooms, as this member sees them
    /// (see [`Store::last_chat_list`]). The hidden messages of all those rooms
    /// come from one query, not one per room.
    async fn room_last_chats(
        &self,
        user_id: i64,
        time: Document,
        limit: i64,
    ) -> StoreResult<Vec<LastChat>> {
        let jids = self.tigase_user_room_jids(user_id, limit).await?;
        if jids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = time;
        q.insert("jid", doc! {"$in": &jids});
        let rooms: Vec<LastChat> = collect(
            self.muc_lastchats()
                .find(q)
                .sort(doc! {"timeSend": -1})
                .limit(limit)
                .await?,
        )
        .await?
        .into_iter()
        .map(LastChat::new)
        .collect();
        let mut room_jids: Vec<&str> = Vec::new();
        for last in &rooms {
            match last.jid()? {
                Some(j) if names::valid_room_jid(j) => room_jids.push(j),
                _ => {}
            }
        }
        let mut hidden_by_room: HashMap<String, Vec<String>> = HashMap::new();
        if !room_jids.is_empty() {
            let marks = collect(
                self.room_group_msg()
                    .find(doc! {"userId": user_id, "roomJid": {"$in": &room_jids}})
                    .projection(doc! {"roomJid": 1, "messageId": 1})
                    .await?,
            )
            .await?;
            for m in &marks {
                if let (Some(j), Some(id)) = (m.text("roomJid")?, m.text("messageId")?) {
                    hidden_by_room
                        .entry(j.to_string())
                        .or_default()
                        .push(id.to_string());
                }
            }
        }
        // Rooms where this member hid messages need their own look at the room's
        // messages: those looks are issued together, the order is kept.
        let shown = rooms.into_iter().map(|last| {
            let hidden = last
                .jid()
                .ok()
                .flatten()
                .and_then(|j| hidden_by_room.remove(j));
            self.room_last_chat_as_seen(last, hidden)
        });
        let shown = futures::future::try_join_all(shown).await?;
        Ok(shown.into_iter().flatten().collect())
    }

    /// A room's shared last-chat record as a member who hid `hidden` of its
    /// messages sees it: unchanged when nothing is hidden; with the newest
    /// message they still see (computed, the shared record is not changed); or
    /// none when nothing of the room is left for them.
    async fn room_last_chat_as_seen(
        &self,
        last: LastChat,
        hidden: Option<Vec<String>>,
    ) -> StoreResult<Option<LastChat>> {
        let jid = match last.jid()? {
            Some(j) if names::valid_room_jid(j) => j.to_string(),
            _ => return Ok(None),
        };
        let Some(hidden) = hidden else {
            return Ok(Some(last));
        };
        let view = MemberView {
            visible_from: 0,
            hidden,
            blacklisted: false,
        };
        if self.room_emptied_for(&jid, &view).await? {
            return Ok(None);
        }
        let shown = last.message_id()?.unwrap_or_default();
        if !view.hidden.iter().any(|h| h == shown) {
            return Ok(Some(last));
        }
        let Some(newest) = self
            .newest_message(&self.mucmsg(&jid), Self::visible_filter(&view))
            .await?
        else {
            return Ok(None);
        };
        let mut last = last.into_doc();
        last.extend(last_fields_from(&newest)?);
        Ok(Some(LastChat::new(last)))
    }

    // ----- delete / recall -----

    /// Single chat. `Mine` marks the caller's copies; `Recall` needs every id
    /// the server holds to be a message the caller sent (ids it holds no record
    /// of are passed over) and marks both sides' copies. Then the affected
    /// last-chat records are recomputed.
    pub async fn delete_single(
        &self,
        user_id: i64,
        ids: &[String],
        kind: DeleteKind,
    ) -> StoreResult<()> {
        let uid = user_id.to_string();
        let mine_coll = self.user_msgs(user_id);
        let mine: Vec<Message> = collect(
            mine_coll
                .find(doc! {"sender": &uid, "messageId": {"$in": ids}})
                .await?,
        )
        .await?
        .into_iter()
        .map(Message::new)
        .collect();
        // (owner, peer, direction) -> ids whose record to mark; a recall marks
        // the author's sent copy and the peer's received one only (an id the
        // receiver reused for a message of their own is another message).
        let mut marks: HashMap<(String, String, Option<i32>), Vec<String>> = HashMap::new();
        match kind {
            DeleteKind::Mine => {
                for m in &mine {
                    if let (Some(id), Some(peer)) = (m.message_id()?, m.receiver()?) {
                        marks
                            .entry((uid.clone(), peer.to_string(), None))
                            .or_default()
                            .push(id.to_string());
                    }
                }
            }
            DeleteKind::Recall => {
                let mut unknown = Vec::new();
                for id in ids {
                    let copies = || {
                        mine.iter()
                            .filter(|m| m.message_id().ok().flatten() == Some(id.as_str()))
                    };
                    let mut sent = None;
                    for m in copies() {
                        if m.direction()? == Some(0) {
                            sent = Some(m);
                            break;
                        }
                    }
                    let Some(sent) = sent else {
                        // Only a received copy: someone else's message.
                        if copies().next().is_some() {
                            return Err(no_permission());
                        }
                        unknown.push(id.as_str());
                        continue;
                    };
                    let peer = sent.receiver()?.unwrap_or_default().to_string();
                    marks
                        .entry((uid.clone(), peer.clone(), Some(0)))
                        .or_default()
                        .push(id.clone());
                    if !peer.is_empty() && peer != uid {
                        marks
                            .entry((peer, uid.clone(), Some(1)))
                            .or_default()
                            .push(id.clone());
                    }
                }
                // The caller holds no copy (not archived yet, or expired): the
                // copies of others that this shard holds tell whose message it
                // is. One the caller sent goes from the peer's history too;
                // someone else's is refused (the original let anyone recall
                // anything). With no record at all it is recalled by the
                // clients alone: answered success, as the original does, so
                // that the app sends its recall notice.
                if !unknown.is_empty() {
                    let others = collect(
                        mine_coll
                            .find(doc! {"messageId": {"$in": unknown}, "sender": {"$ne": &uid}})
                            .projection(
                                doc! {"messageId": 1, "sender": 1, "receiver": 1, "direction": 1},
                            )
                            .await?,
                    )
                    .await?;
                    for other in others.into_iter().map(Message::new) {
                        let received_from_caller = other.direction()? == Some(1)
                            && other.receiver()? == Some(uid.as_str());
                        if !received_from_caller {
                            return Err(no_permission());
                        }
                        if let (Some(owner), Some(id)) = (other.sender()?, other.message_id()?) {
                            marks
                                .entry((owner.to_string(), uid.clone(), Some(1)))
                                .or_default()
                                .push(id.to_string());
                            // No copy of the caller's to mark, but their
                            // conversation may still show it.
                            marks
                                .entry((uid.clone(), owner.to_string(), Some(0)))
                                .or_default()
                                .push(id.to_string());
                        }
                    }
                }
            }
        }
        let (ms, s) = (now_ms(), now_s());
        for ((owner, peer, direction), ids) in &marks {
            let owner_id = user_of(owner)?;
            let mut filter = doc! {"sender": owner, "receiver": peer, "messageId": {"$in": ids}, "delayedTime": Bson::Null};
            if let Some(d) = direction {
                filter.insert("direction", d);
            }
            self.user_msgs(owner_id)
                .update_many(filter, doc! {"$set": {"delayedTime": ms, "deleteTime": s}})
                .await?;
        }
        for ((owner, peer, _), ids) in &marks {
            self.recompute_single_last(owner, peer, ids).await?;
        }
        Ok(())
    }

    /// Points `owner`'s last-chat with `peer` at the newest remaining message,
    /// or removes it when none is left. Only a record that still shows one of
    /// `deleted` (or an older message) is touched, so a message sent meanwhile wins.
    async fn recompute_single_last(
        &self,
        owner: &str,
        peer: &str,
        deleted: &[String],
    ) -> StoreResult<()> {
        let owner_id = user_of(owner)?;
        let lastchats = self.user_lastchats(owner_id);
        self.ensure_indexes(&lastchats, Family::SingleLastChats)
            .await?;
        let newest = self
            .newest_message(
                &self.user_msgs(owner_id),
                doc! {"sender": owner, "receiver": peer, "delayedTime": Bson::Null},
            )
            .await?;
        let base = doc! {"userId": owner, "jid": peer, "isRoom": 0};
        Self::point_last_chats(&lastchats, base, newest.as_ref(), deleted).await
    }

    /// The newest record of `coll` that `filter` selects.
    async fn newest_message(
        &self,
        coll: &mongodb::Collection<Document>,
        filter: Document,
    ) -> StoreResult<Option<Message>> {
        Ok(coll
            .find_one(filter)
            .sort(doc! {"timeSend": -1})
            .await?
            .map(Message::new))
    }

    /// Points the last-chat records `base` selects that show one of `deleted`
    /// (or an older message) at `newest`; removes those showing one of
    /// `deleted` when nothing is left.
    async fn point_last_chats(
        lastchats: &mongodb::Collection<Document>,
        mut filter: Document,
        newest: Option<&Message>,
        deleted: &[String],
    ) -> StoreResult<()> {
        match newest {
            Some(m) => {
                let t = m.time_send()?.unwrap_or(0);
                filter.insert(
                    "$or",
                    vec![
                        doc! {"messageId": {"$in": deleted}},
                        doc! {"timeSend": {"$lte": t}},
                    ],
                );
                lastchats
                    .update_many(filter, doc! {"$set": last_fields_from(m)?})
                    .await?;
            }
            None => {
                filter.insert("messageId", doc! {"$in": deleted});
                lastchats.delete_many(filter).await?;
            }
        }
        Ok(())
    }

    /// Group chat. `Mine` writes `room_group_msg` marks for the ids that exist
    /// in the room; `Recall` needs every id the room holds to be the caller's
    /// own message (anyone's when `any_sender`: the room's managers),
    /// marks it deleted for everyone and recomputes the room's last-chat.
    pub async fn delete_group(
        &self,
        user_id: i64,
        jid: &str,
        ids: &[String],
        kind: DeleteKind,
        any_sender: bool,
    ) -> StoreResult<()> {
        let uid = user_id.to_string();
        let coll = self.mucmsg(jid);
        let found = collect(
            coll.find(doc! {"messageId": {"$in": ids}})
                .projection(doc! {"messageId": 1, "sender": 1})
                .await?,
        )
        .await?;
        match kind {
            DeleteKind::Mine => {
                let now = now_s();
                for m in &found {
                    let Some(id) = m.text("messageId")? else {
                        continue;
                    };
                    self.room_group_msg()
                        .update_one(
                            doc! {"userId": user_id, "roomJid": jid, "messageId": id},
                            doc! {"$setOnInsert": {
                                "userId": UserId(user_id), "roomJid": jid, "messageId": id, "createTime": now,
                            }},
                        )
                        .upsert(true)
                        .await?;
                }
            }
            DeleteKind::Recall => {
                // Each id is the caller's (or, for managers, anyone's) message
                // of the room, or one the room holds no record of (recalled by
                // the clients alone, as in a single chat).
                let mut held = Vec::with_capacity(ids.len());
                for id in ids {
                    let mut known = false;
                    let mut allowed = false;
                    for m in &found {
                        let same = m.text("messageId")? == Some(id.as_str());
                        known |= same;
                        allowed |= same && (any_sender || m.text("sender")? == Some(uid.as_str()));
                    }
                    if known && !allowed {
                        return Err(no_permission());
                    }
                    if known {
                        held.push(id.clone());
                    }
                }
                if held.is_empty() {
                    return Ok(());
                }
                let ids = &held;
                let mut filter = doc! {"messageId": {"$in": ids}, "delayedTime": Bson::Null};
                if !any_sender {
                    filter.insert("sender", &uid);
                }
                coll.update_many(
                    filter,
                    doc! {"$set": {"delayedTime": now_ms(), "deleteTime": now_s()}},
                )
                .await?;
                let newest = self.newest_message(&coll, not_deleted()).await?;
                Self::point_last_chats(
                    &self.muc_lastchats(),
                    doc! {"jid": jid},
                    newest.as_ref(),
                    ids,
                )
                .await?;
            }
        }
        Ok(())
    }

    // ----- search -----

    /// The caller and their friends whose nickname contains `pattern`.
    pub async fn search_people(
        &self,
        user_id: i64,
        pattern: &str,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        let friends = collect(
            self.friends()
                .find(doc! {"userId": user_id})
                .projection(doc! {"toUserId": 1})
                .limit(self_limit(limit) * 50)
                .await?,
        )
        .await?;
        let mut ids: Vec<Bson> = int_variants(user_id);
        for f in &friends {
            if let Some(t) = f.user_id("toUserId")? {
                ids.extend(int_variants(t.0));
            }
        }
        collect(
            self.users()
                .find(doc! {
                    "_id": {"$in": ids},
                    "nickname": {"$regex": pattern, "$options": "i"},
                })
                .limit(limit)
                .await?,
        )
        .await
    }

    /// The caller's rooms whose name contains `pattern`, with the caller's member record.
    pub async fn search_rooms(
        &self,
        jids: &[String],
        user_id: i64,
        pattern: &str,
        limit: i64,
    ) -> StoreResult<Vec<(Room, Option<Member>)>> {
        let rooms = collect(
            self.rooms()
                .find(doc! {"jid": {"$in": jids}, "name": {"$regex": pattern, "$options": "i"}})
                .limit(limit)
                .await?,
        )
        .await?;
        let mut out = Vec::with_capacity(rooms.len());
        for r in rooms.into_iter().map(Room::new) {
            let member = self.room_member(&r.id()?, user_id).await?;
            out.push((r, member));
        }
        Ok(out)
    }

    /// The caller's text messages (their own copies) containing `pattern`.
    pub async fn search_single_msgs(
        &self,
        user_id: i64,
        pattern: &str,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        collect(
            self.user_msgs(user_id)
                .find(doc! {
                    "sender": user_id.to_string(),
                    "contentType": TEXT,
                    "content": {"$regex": pattern, "$options": "i"},
                    "delayedTime": Bson::Null,
                })
                .sort(doc! {"timeSend": -1})
                .limit(limit)
                .await?,
        )
        .await
    }

    /// Text messages of the caller's rooms containing `pattern`, as the caller
    /// sees them, newest first. Bounded whatever the number of rooms: only the
    /// [`SEARCH_ROOMS`] rooms with the latest messages (`lastChats_muc`, one
    /// query; a room without a record has no message), fetched in one query,
    /// searched [`SEARCH_AT_ONCE`] at a time within `SEARCH_DEADLINE_MS` (what
    /// is found by then is answered).
    pub async fn search_group_msgs(
        &self,
        user_id: i64,
        jids: &[String],
        pattern: &str,
        limit: i64,
    ) -> StoreResult<Vec<Document>> {
        use futures::StreamExt;
        let valid: Vec<&String> = jids.iter().filter(|j| names::valid_room_jid(j)).collect();
        if valid.is_empty() || limit <= 0 {
            return Ok(Vec::new());
        }
        let active: Vec<String> = collect(
            self.muc_lastchats()
                .find(doc! {"jid": {"$in": &valid}})
                .sort(doc! {"timeSend": -1})
                .projection(doc! {"jid": 1})
                .limit(SEARCH_ROOMS)
                .await?,
        )
        .await?
        .iter()
        .filter_map(|d| d.get_str("jid").ok().map(str::to_string))
        .collect();
        let mut rooms: HashMap<String, ObjectId> = HashMap::new();
        for r in collect(self.rooms().find(doc! {"jid": {"$in": &active}}).await?).await? {
            let r = Room::new(r);
            rooms.insert(r.jid()?.to_string(), r.id()?);
        }
        let one_room = |jid: String| {
            let room = rooms.get(&jid).copied();
            async move {
                let Some(oid) = room else {
                    return StoreResult::Ok(Vec::new());
                };
                let Some(member) = self.room_member(&oid, user_id).await? else {
                    return Ok(Vec::new());
                };
                let view = self.member_view(user_id, &jid, &member).await?;
                if view.blacklisted || self.room_emptied_for(&jid, &view).await? {
                    return Ok(Vec::new());
                }
                let mut q = Self::visible_filter(&view);
                q.insert("contentType", TEXT);
                q.insert("timeSend", doc! {"$gte": view.visible_from});
                q.insert("content", doc! {"$regex": pattern, "$options": "i"});
                collect(
                    self.mucmsg(&jid)
                        .find(q)
                        .sort(doc! {"timeSend": -1})
                        .limit(limit)
                        .await?,
                )
                .await
            }
        };
        let mut searches = futures::stream::iter(active)
            .map(one_room)
            .buffer_unordered(SEARCH_AT_ONCE);
        let deadline = tokio::time::Instant::now() + self.search_deadline;
        let mut out = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, searches.next()).await {
                Ok(Some(found)) => out.extend(found?),
                Ok(None) => break,
                Err(_) => {
                    tracing::info!("group search cut at its deadline");
                    break;
                }
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.time("timeSend").ok().flatten().unwrap_or(0)));
        out.truncate(limit as usize);
        Ok(out)
    }

    // ----- pinned dialogs -----

    /// Pins `jid` for the user (one record per user and jid).
    pub async fn stick_add(&self, user_id: i64, jid: &str, is_room_flag: i32) -> StoreResult<()> {
        self.stick_dialog()
            .update_one(
                doc! {"userId": user_id, "jid": jid},
                doc! {
                    "$set": {"isRoom": is_room_flag, "time": now_s()},
                    "$setOnInsert": {"userId": UserId(user_id), "jid": jid},
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// A user's pinned conversations, newest pin first (index `{userId, time}`).
    pub async fn sticks_of(&self, user_id: i64, limit: i64) -> StoreResult<Vec<Document>> {
        use futures::TryStreamExt;
        Ok(self
            .stick_dialog()
            .find(doc! {"userId": crate::util::int_in(user_id)})
            .sort(doc! {"time": -1})
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }

    pub async fn stick_delete(&self, user_id: i64, jid: &str) -> StoreResult<()> {
        self.stick_dialog()
            .delete_many(doc! {"userId": user_id, "jid": jid})
            .await?;
        Ok(())
    }

    /// `openTopChatTime` (s; 0 = not on top) of the user's friend record.
    pub async fn set_friend_top(&self, user_id: i64, to: i64, time: i64) -> StoreResult<()> {
        self.friends()
            .update_one(
                doc! {"userId": user_id, "toUserId": to},
                doc! {"$set": {"openTopChatTime": time}},
            )
            .await?;
        Ok(())
    }

    /// `openTopChatTime` (s; 0 = not on top) of the user's member record.
    pub async fn set_member_top(
        &self,
        room_id: &ObjectId,
        user_id: i64,
        time: i64,
    ) -> StoreResult<()> {
        self.room_members(room_id)
            .update_one(
                doc! {"roomId": room_id, "userId": user_id},
                doc! {"$set": {"openTopChatTime": time}},
            )
            .await?;
        Ok(())
    }
}

/// A single-chat copy's owner, stored as a string user id.
fn user_of(owner: &str) -> StoreResult<i64> {
    owner
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("message sender {owner:?}")))
}

fn self_limit(limit: i64) -> i64 {
    limit.max(1)
}

impl Store {
    /// `/tigase/emptyMyMsg`: the owner's copies of the single chat with
    /// `peer` (every single chat when `None`) are marked deleted as a delete
    /// marks them (`delayedTime`, `deleteTime`), and the owner's chat-list
    /// entries of them go.
    pub async fn empty_single(&self, owner: i64, peer: Option<i64>) -> StoreResult<()> {
        let uid = owner.to_string();
        let mut filter = doc! {"sender": &uid, "delayedTime": Bson::Null};
        let mut last = doc! {"userId": &uid, "isRoom": 0};
        if let Some(p) = peer {
            filter.insert("receiver", p.to_string());
            last.insert("jid", p.to_string());
        }
        self.user_msgs(owner)
            .update_many(
                filter,
                doc! {"$set": {"delayedTime": now_ms(), "deleteTime": now_s()}},
            )
            .await?;
        self.user_lastchats(owner).delete_many(last).await?;
        Ok(())
    }

    /// The owner's own copy of a single-chat message.
    pub async fn own_single_message(
        &self,
        owner: i64,
        message_id: &str,
    ) -> StoreResult<Option<Document>> {
        Ok(self
            .user_msgs(owner)
            .find_one(doc! {"sender": owner.to_string(), "messageId": message_id})
            .await?)
    }

    /// A group message of a room.
    pub async fn group_message(
        &self,
        jid: &str,
        message_id: &str,
    ) -> StoreResult<Option<Document>> {
        if !names::valid_room_jid(jid) {
            return Ok(None);
        }
        Ok(self
            .mucmsg(jid)
            .find_one(doc! {"messageId": message_id})
            .await?)
    }

    /// Removes the owner's chat-list entry of the single chat with `peer`.
    pub async fn forget_single_last_chat(&self, owner: i64, peer: &str) -> StoreResult<()> {
        self.user_lastchats(owner)
            .delete_many(doc! {"userId": owner.to_string(), "jid": peer, "isRoom": 0})
            .await?;
        Ok(())
    }
}
