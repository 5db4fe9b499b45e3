//! Typed views of stored documents, typed ids and typed `$set` updates.
//!
//! A view owns the document exactly as it was read (unknown fields, BSON types
//! and key order untouched: answers and updates never lose anything) and
//! reads its fields explicitly: a field that is absent is `None`; a field
//! that is there with a type the original never writes is a
//! [`StoreError::Corrupt`] naming the field, never a silent 0 or "".

use bson::{oid::ObjectId, Bson, Document};

use super::StoreError;

/// A user id: the original's Java `int`. Written as Int32 (Int64 only beyond
/// Int32, which the original never hands out: never truncated into another
/// user's id); matched whichever integer type stored it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl UserId {
    /// The stored value: Int32 when it fits, else Int64.
    pub fn bson(self) -> Bson {
        match i32::try_from(self.0) {
            Ok(small) => Bson::Int32(small),
            Err(_) => Bson::Int64(self.0),
        }
    }

    /// `{$in: [Int32, Int64]}`: matches the id whichever integer type stored it.
    pub fn matcher(self) -> Bson {
        crate::util::int_in(self.0)
    }

    /// An id as stored: Int32, Int64, or a Double without fraction (some
    /// older writers); a numeric string as the original's string ids.
    pub fn from_bson(b: &Bson) -> Option<UserId> {
        match b {
            Bson::Int32(i) => Some(UserId(i64::from(*i))),
            Bson::Int64(i) => Some(UserId(*i)),
            Bson::Double(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(UserId(*f as i64)),
            Bson::String(s) => s.trim().parse().ok().map(UserId),
            _ => None,
        }
    }
}

impl From<UserId> for Bson {
    fn from(id: UserId) -> Bson {
        id.bson()
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn corrupt(what: &str, field: &str, v: &Bson) -> StoreError {
    StoreError::Corrupt(format!("{what}.{field} is {:?}", v.element_type()))
}

/// Explicit reads of a stored document's fields.
pub trait Fields {
    /// What kind of document this is (for errors).
    const KIND: &'static str;
    fn doc(&self) -> &Document;

    /// An integer field (Int32, Int64, or a Double without fraction).
    fn int(&self, field: &str) -> Result<Option<i64>, StoreError> {
        match self.doc().get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(Bson::Int32(i)) => Ok(Some(i64::from(*i))),
            Some(Bson::Int64(i)) => Ok(Some(*i)),
            Some(Bson::Double(f)) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            Some(v) => Err(corrupt(Self::KIND, field, v)),
        }
    }

    /// A string field.
    fn text(&self, field: &str) -> Result<Option<&str>, StoreError> {
        match self.doc().get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(Bson::String(s)) => Ok(Some(s)),
            Some(v) => Err(corrupt(Self::KIND, field, v)),
        }
    }

    /// A user id field (see [`UserId::from_bson`]).
    fn user_id(&self, field: &str) -> Result<Option<UserId>, StoreError> {
        match self.doc().get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(v) => UserId::from_bson(v)
                .map(Some)
                .ok_or_else(|| corrupt(Self::KIND, field, v)),
        }
    }

    /// A time (s or ms): an integer, or a Double (older writers) by its whole part.
    fn time(&self, field: &str) -> Result<Option<i64>, StoreError> {
        match self.doc().get(field) {
            Some(Bson::Double(f)) if f.is_finite() => Ok(Some(*f as i64)),
            _ => self.int(field),
        }
    }

    /// A field that must be there: its absence is a corrupt document.
    fn required<T>(&self, field: &str, v: Result<Option<T>, StoreError>) -> Result<T, StoreError> {
        v?.ok_or_else(|| StoreError::Corrupt(format!("{} without {field}", Self::KIND)))
    }
}

/// A document this service builds (a new record) is read the same way.
impl Fields for Document {
    const KIND: &'static str = "document";
    fn doc(&self) -> &Document {
        self
    }
}

macro_rules! view {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(Document);

        impl $name {
            pub fn new(d: Document) -> Self {
                $name(d)
            }
            /// The document as stored.
            pub fn into_doc(self) -> Document {
                self.0
            }
        }

        impl Fields for $name {
            const KIND: &'static str = $kind;
            fn doc(&self) -> &Document {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = Document;
            fn deref(&self) -> &Document {
                &self.0
            }
        }
    };
}

view!(
    /// `imapi.user`: `_id` is the user id.
    User,
    "user"
);
view!(
    /// `imapi.shiku_room` (seed 2.3).
    Room,
    "room"
);
view!(
    /// `shiku_room_member` (one collection per room shard).
    Member,
    "member"
);
view!(
    /// `imapi.u_friends`: one side of a relation.
    Friend,
    "friend"
);

view!(
    /// A chat record: a `shiku_msgs` copy (single chat, one per side) or a
    /// `mucmsg_<jid>` record (group chat), `message` kept verbatim.
    Message,
    "message"
);
view!(
    /// A conversation-list record: `shiku_lastChats` (single, per user) or
    /// `lastchats_muc` (one per room).
    LastChat,
    "lastChat"
);

impl User {
    pub fn id(&self) -> Result<UserId, StoreError> {
        self.required("_id", self.user_id("_id"))
    }
    pub fn nickname(&self) -> Result<Option<&str>, StoreError> {
        self.text("nickname")
    }
    /// A numeric entry of `settings` (privacy switches).
    pub fn setting(&self, key: &str) -> Option<i64> {
        self.0
            .get_document("settings")
            .ok()
            .and_then(|s| crate::util::num(s, key))
    }
    /// A text entry of `settings` (`friendFromList`).
    pub fn setting_text(&self, key: &str) -> Option<&str> {
        self.0
            .get_document("settings")
            .ok()
            .and_then(|s| s.get_str(key).ok())
    }
}

impl Room {
    pub fn id(&self) -> Result<ObjectId, StoreError> {
        self.0
            .get_object_id("_id")
            .map_err(|_| StoreError::Corrupt("room without an ObjectId _id".into()))
    }
    pub fn jid(&self) -> Result<&str, StoreError> {
        self.required("jid", self.text("jid"))
    }
    /// The owner (`userId`).
    pub fn owner(&self) -> Result<UserId, StoreError> {
        self.required("userId", self.user_id("userId"))
    }
    pub fn name(&self) -> Result<Option<&str>, StoreError> {
        self.text("name")
    }
    pub fn user_size(&self) -> Result<Option<i64>, StoreError> {
        self.int("userSize")
    }
}

impl Member {
    pub fn user(&self) -> Result<UserId, StoreError> {
        self.required("userId", self.user_id("userId"))
    }
    pub fn role(&self) -> Result<Option<i64>, StoreError> {
        self.int("role")
    }
    pub fn nickname(&self) -> Result<Option<&str>, StoreError> {
        self.text("nickname")
    }
}

impl Friend {
    pub fn owner(&self) -> Result<UserId, StoreError> {
        self.required("userId", self.user_id("userId"))
    }
    pub fn peer(&self) -> Result<UserId, StoreError> {
        self.required("toUserId", self.user_id("toUserId"))
    }
    pub fn status(&self) -> Result<Option<i64>, StoreError> {
        self.int("status")
    }
    /// 1: the owner blacklists the peer.
    pub fn blacklist(&self) -> Result<Option<i64>, StoreError> {
        self.int("blacklist")
    }
    /// 1: the peer blacklists the owner.
    pub fn is_been_black(&self) -> Result<Option<i64>, StoreError> {
        self.int("isBeenBlack")
    }
}

impl Message {
    pub fn message_id(&self) -> Result<Option<&str>, StoreError> {
        self.text("messageId")
    }
    /// `timeSend` (ms); a Double of an older writer counts by its whole part.
    pub fn time_send(&self) -> Result<Option<i64>, StoreError> {
        self.time("timeSend")
    }
    /// The owner of a single-chat copy, or the group message's sender (a
    /// user id as a string, as the original stores it).
    pub fn sender(&self) -> Result<Option<&str>, StoreError> {
        self.text("sender")
    }
    /// The peer of a single-chat copy.
    pub fn receiver(&self) -> Result<Option<&str>, StoreError> {
        self.text("receiver")
    }
    /// 0: the owner sent it; 1: the owner received it.
    pub fn direction(&self) -> Result<Option<i64>, StoreError> {
        self.int("direction")
    }
    pub fn content_type(&self) -> Result<Option<i64>, StoreError> {
        self.int("contentType")
    }
    /// The chat's other end as the writer records it: `receiver_jid`
    /// (single) or `room_jid` (group).
    pub fn to_jid(&self) -> Result<Option<&str>, StoreError> {
        match self.text("receiver_jid")? {
            Some(j) => Ok(Some(j)),
            None => self.text("room_jid"),
        }
    }
}

impl LastChat {
    /// The peer's user id (single) or the room jid.
    pub fn jid(&self) -> Result<Option<&str>, StoreError> {
        self.text("jid")
    }
    pub fn message_id(&self) -> Result<Option<&str>, StoreError> {
        self.text("messageId")
    }
    pub fn time_send(&self) -> Result<Option<i64>, StoreError> {
        self.time("timeSend")
    }
}

/// A `$set` update with the original's types spelled out at each field.
#[derive(Default, Debug)]
pub struct Set(Document);

impl Set {
    pub fn new() -> Self {
        Set::default()
    }
    /// A Java `int` field.
    pub fn int32(mut self, field: &str, v: i32) -> Self {
        self.0.insert(field, Bson::Int32(v));
        self
    }
    /// A Java `long` field (ms times, counters).
    pub fn int64(mut self, field: &str, v: i64) -> Self {
        self.0.insert(field, Bson::Int64(v));
        self
    }
    pub fn text(mut self, field: &str, v: &str) -> Self {
        self.0.insert(field, Bson::String(v.to_string()));
        self
    }
    pub fn user(mut self, field: &str, v: UserId) -> Self {
        self.0.insert(field, v.bson());
        self
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The fields alone (for a writer that adds its own operators).
    pub fn fields(self) -> Document {
        self.0
    }
    /// `{"$set": {...}}`.
    pub fn update(self) -> Document {
        bson::doc! {"$set": self.0}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn ids_never_truncate() {
        assert_eq!(UserId(100164).bson(), Bson::Int32(100164));
        assert_eq!(UserId(4_294_967_396).bson(), Bson::Int64(4_294_967_396));
        assert_eq!(
            UserId::from_bson(&Bson::Int64(4_294_967_396)),
            Some(UserId(4_294_967_396))
        );
        assert_eq!(
            UserId::from_bson(&Bson::Double(100164.0)),
            Some(UserId(100164))
        );
        assert_eq!(UserId::from_bson(&Bson::Double(1.5)), None);
    }

    #[test]
    fn absent_is_none_and_mistyped_is_corrupt() {
        let m = Member::new(doc! {"userId": 100164, "role": "x", "nickname": "a"});
        assert_eq!(m.user().unwrap(), UserId(100164));
        assert_eq!(m.nickname().unwrap(), Some("a"));
        assert!(matches!(m.role(), Err(StoreError::Corrupt(_))));
        let r = Room::new(doc! {"name": "r"});
        assert!(matches!(r.jid(), Err(StoreError::Corrupt(_))));
        assert_eq!(r.user_size().unwrap(), None);
    }

    #[test]
    fn set_keeps_the_types() {
        let u = Set::new()
            .int32("role", 2)
            .int64("modifyTime", 1_614_048_376_311)
            .user("userId", UserId(100164))
            .update();
        assert_eq!(
            u,
            doc! {"$set": {"role": 2i32, "modifyTime": 1_614_048_376_311i64, "userId": 100164i32}}
        );
    }
}
