//! Delivery of what the service sends (console pushes, OpenIM sends, room
//! and friend notices, device signals): one interface, two modes.
//!
//! - **push** (`ROCKETMQ_NAMESRV` set): as the original imapi, publish each
//!   message as a `MessageBean` to the `xmppMessage` topic; the deployment's
//!   `message-push` hands it to the IM server, which delivers it to online
//!   clients and archives it. Nothing is archived here (it would be stored
//!   twice).
//! - **archive** (no message queue): write the records the IM server would
//!   have written (`shiku_msgs` copies, `mucmsg_<jid>`, last chats) directly.
//!
//! The original's room helpers map onto these calls: `sendGroupMsg` is
//! [`Delivery::to_room`], `sendGroupOne` and `MessageService.send` are
//! [`Delivery::to_user`], `sendChatToOneGroupMsg` is
//! [`Delivery::to_room_and_member`] (a single-chat copy to the member, then
//! the group message, with one message id).

pub mod bean;
pub mod mq;
pub mod status;

use std::sync::Arc;

use bson::Document;

use crate::store::model::Fields;
use crate::store::msgs::NewMessage;
use crate::store::{Refusal, Store, StoreError, StoreResult};
use bean::Bean;
use mq::Publisher;

#[derive(Clone)]
pub struct Delivery {
    push: Option<Arc<Publisher>>,
}

/// A new member and the 907 notice that announces them (when there is one).
pub type Join = (Document, Option<NewMessage>);

impl Delivery {
    pub fn archive() -> Self {
        Delivery { push: None }
    }

    pub fn push(publisher: Arc<Publisher>) -> Self {
        Delivery {
            push: Some(publisher),
        }
    }

    /// The publisher, in push mode.
    pub fn publisher(&self) -> Option<&Arc<Publisher>> {
        self.push.as_ref()
    }

    /// Whether messages go to a message queue (push mode): what exists only
    /// there (signals, 903, 930) need not be built otherwise.
    pub fn publishes(&self) -> bool {
        self.push.is_some()
    }

    pub fn mode(&self) -> &'static str {
        match self.push {
            Some(_) => "push",
            None => "archive",
        }
    }

    /// A single chat to `peer`; answers the message's `timeSend` (the first
    /// stored one when the message was stored before). A room notice is not
    /// archived as a single chat (see [`archived_single`]).
    pub async fn to_user(&self, store: &Store, m: &NewMessage, peer: i64) -> StoreResult<i64> {
        match &self.push {
            None if !archived_single(m) => Ok(m.time_send),
            None => Ok(store.write_single(m, peer).await?.time_send),
            Some(p) => {
                // As the archive writer: no single chat with oneself.
                if peer == m.from_user_id {
                    return Err(Refusal::Invalid("toUserId").into());
                }
                check_ids(m)?;
                p.publish(vec![Bean::single(m, &peer.to_string())]);
                Ok(m.time_send)
            }
        }
    }

    /// A group message in room `jid`; answers its `timeSend`.
    pub async fn to_room(&self, store: &Store, m: &NewMessage, jid: &str) -> StoreResult<i64> {
        match &self.push {
            None => Ok(store.write_group(m, jid).await?.time_send),
            Some(p) => {
                check_room(jid)?;
                check_ids(m)?;
                p.publish(vec![Bean::group(m, jid)]);
                Ok(m.time_send)
            }
        }
    }

    /// `sendChatToOneGroupMsg`: a single-chat copy to `member`, then the
    /// group message, with one message id.
    pub async fn to_room_and_member(
        &self,
        store: &Store,
        m: &NewMessage,
        jid: &str,
        member: i64,
    ) -> StoreResult<()> {
        match &self.push {
            None => {
                if member != m.from_user_id && archived_single(m) {
                    store.write_single(m, member).await?;
                }
                store.write_group(m, jid).await?;
            }
            Some(p) => {
                check_room(jid)?;
                check_ids(m)?;
                p.publish(vec![
                    Bean::single(m, &member.to_string()),
                    Bean::group(m, jid),
                ]);
            }
        }
        Ok(())
    }

    /// `sendChatGroupMsg` for a room being dissolved (903): a single-chat
    /// copy to every member, then the group message, with one message id.
    /// Archive mode stores nothing: the room's history goes with it.
    pub fn room_dissolved(&self, m: &NewMessage, jid: &str, members: &[i64]) -> StoreResult<()> {
        if let Some(p) = &self.push {
            check_room(jid)?;
            check_ids(m)?;
            let mut beans: Vec<Bean> = members
                .iter()
                .map(|u| Bean::single(m, &u.to_string()))
                .collect();
            beans.push(Bean::group(m, jid));
            p.publish(beans);
        }
        Ok(())
    }

    /// A notification only a message queue carries (QZ's 10086 device
    /// signal, the 510 of a batch follow): the original stores none, and
    /// archive mode stores nothing either.
    pub fn notify(&self, m: &NewMessage, to: i64) -> StoreResult<()> {
        if let Some(p) = &self.push {
            check_ids(m)?;
            p.publish(vec![Bean::single(m, &to.to_string())]);
        }
        Ok(())
    }

    /// The joins the store writes itself with the member records: in
    /// archive mode with their 907 group notices (written before each member
    /// record, so that a retry completes what a failure left), in push mode
    /// without (published by [`Delivery::announce_joins`] once the members
    /// are stored, as the original does).
    fn stored_joins(&self, joins: &[Join]) -> Vec<Join> {
        match self.push {
            None => joins.to_vec(),
            Some(_) => joins.iter().map(|(d, _)| (d.clone(), None)).collect(),
        }
    }

    /// Creates `room` with the members of `joins`, then announces them.
    pub async fn create_room(
        &self,
        store: &Store,
        room: Document,
        joins: &[Join],
    ) -> StoreResult<()> {
        let jid = room.text("jid")?.unwrap_or_default().to_string();
        store.create_room(room, &self.stored_joins(joins)).await?;
        self.announce_joins(store, &jid, joins).await
    }

    /// Adds the members of `joins` to room `id`, then announces them.
    pub async fn add_members(
        &self,
        store: &Store,
        id: &bson::oid::ObjectId,
        jid: &str,
        joins: &[Join],
    ) -> StoreResult<()> {
        store
            .add_room_members(id, jid, &self.stored_joins(joins))
            .await?;
        self.announce_joins(store, jid, joins).await
    }

    /// After the members of `joins` are stored: each new member's
    /// single-chat copy of its 907 (and, in push mode, the group notice).
    async fn announce_joins(&self, store: &Store, jid: &str, joins: &[Join]) -> StoreResult<()> {
        for (member, notice) in joins {
            let (Some(m), Some(user)) = (notice, crate::util::num(member, "userId")) else {
                continue;
            };
            match &self.push {
                None if user != m.from_user_id && archived_single(m) => {
                    match store.write_single(m, user).await {
                        Ok(_) | Err(StoreError::Refused(Refusal::IdTaken)) => {}
                        Err(e) => return Err(e),
                    }
                }
                None => {}
                Some(_) => self.to_room_and_member(store, m, jid, user).await?,
            }
        }
        Ok(())
    }
}

/// A notice from one user (0: the system account) to another, as the
/// original's `MessageService.send` callers build it: a new 32-hex message
/// id, sent now.
pub fn user_notice(msg_type: i32, from: (i64, &str), to: (i64, &str), content: &str) -> NewMessage {
    NewMessage {
        message_id: uuid::Uuid::new_v4().simple().to_string(),
        from_user_id: from.0,
        from_user_name: from.1.to_string(),
        from_jid: "10005/Server".to_string(),
        to: to.0.to_string(),
        to_user_id: to.0.to_string(),
        to_user_name: to.1.to_string(),
        msg_type,
        content: content.to_string(),
        time_send: crate::util::now_ms(),
        extra: Default::default(),
    }
}

/// Whether the IM server archives this message as a single chat: not a room
/// notice (9xx), which it keeps in the room's history only
/// (`ShikuMessageArchiveComponent`: "群控制信息" return). Archive mode
/// writes what it would have: a member's copy of a 907/904/906/913/925
/// would show up as a private conversation with the sender in every client.
fn archived_single(m: &NewMessage) -> bool {
    m.msg_type / 100 != 9
}

/// What a bean cannot carry is refused before publishing, as the archive
/// writer refuses it.
fn check_room(jid: &str) -> StoreResult<()> {
    if crate::store::names::valid_room_jid(jid) {
        Ok(())
    } else {
        Err(Refusal::Invalid("roomJid").into())
    }
}

fn check_ids(m: &NewMessage) -> StoreResult<()> {
    if !crate::store::names::valid_key(&m.message_id) {
        return Err(Refusal::Invalid("messageId").into());
    }
    Ok(())
}
