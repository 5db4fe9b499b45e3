//! Every database and collection name of the original deployment, and the one
//! sharding rule. Database names come from settings (`DB_*`); collection names are
//! fixed by the original server and its clients.

/// `KConstants.MIN_USERID`: userIds up to this value live in shard `"0"`.
pub const MIN_USER_ID: i64 = 100000;

// imapi database
pub const USER: &str = "user";
pub const FRIENDS: &str = "u_friends";
pub const STICK_DIALOG: &str = "stick_dialog";
pub const ROOM_GROUP_MSG: &str = "room_group_msg";
pub const RESOURCES: &str = "resources";
/// Ours: login sessions when no Redis is configured (TTL-indexed).
pub const SESSIONS: &str = "shiku_api_sessions";
/// The original's login password and uploaded key pairs (`AuthKeys`), `_id` = userId.
pub const AUTH_KEYS: &str = "auth_keys";
/// The original's last login of each user (`loginLog.offlineTime`, …), `_id` = userId.
pub const USER_LOGIN_LOG: &str = "userLoginLog";
/// The original's console roles (`Role`: `userId`, `role`, `status`).
pub const USER_ROLES: &str = "userRoles";
/// The stored client configuration edited in the admin console (`_id` 10000 each).
pub const CONFIG: &str = "config";
pub const CLIENT_CONFIG: &str = "clientConfig";
pub const PAY_CONFIG: &str = "payConfig";
/// The original's friend labels (`FriendGroup`).
pub const FRIEND_GROUP: &str = "friendGroup";
/// What changed for a user while a device was offline (`OfflineOperation`).
pub const OFFLINE_OPERATION: &str = "offlineOperation";
/// The original's userId counter: one document `{id: <last userId>}`.
pub const IDX_USER: &str = "idx_user";
/// The console's catalogue of group helpers (bots).
pub const HELPER: &str = "helper";
/// Helpers added to rooms, with their keywords.
pub const GROUP_HELPER: &str = "groupHelper";
/// Third-party (QQ, WeChat) accounts bound to users.
pub const SDK_LOGIN_INFO: &str = "sdkLoginInfo";
/// Face-to-face groups waiting for their first member (TTL).
pub const LOCATION_ROOMS: &str = "shiku_api_location_rooms";
/// This service's claims on unique keys (`store/claims.rs`).
pub const CLAIMS: &str = "shiku_api_claims";
/// The original's stickers and favourites (`Emoji`).
pub const EMOJI: &str = "emoji";
/// The original's moments favourite marks (`Collect`).
pub const S_COLLECT: &str = "s_collect";
/// Public accounts' menus, written by the console (`Menu`).
pub const MP_MENU: &str = "mp_menu";
/// Customer-service quick replies (`CommonText`).
pub const COMMON_TEXT: &str = "commonText";
/// Phone vendors' push tokens (`PushInfo`).
pub const PUSH_INFO: &str = "pushInfo";
/// Users' reports of users, rooms and web pages (`Report`).
pub const REPORT: &str = "Report";
/// The original's promotion invite codes (`InviteCode`: `userId`, `inviteCode`, ...).
pub const INVITE_CODE: &str = "inviteCode";

// room database
pub const ROOM: &str = "shiku_room";
pub const ROOM_NOTICE: &str = "shiku_room_notice";
/// A room's shared files (`Room.Share`).
pub const ROOM_SHARE: &str = "shiku_room_share";
pub const MUCMSG_PREFIX: &str = "mucmsg_";

// last-chat database
pub const LASTCHATS_MUC: &str = "lastChats_muc";

/// The collection holding a user's single-chat records and single last-chat
/// records: `userId / 10000` as a string, `"0"` for ids not above `MIN_USER_ID`.
pub fn user_shard(user_id: i64) -> String {
    if user_id <= MIN_USER_ID {
        "0".to_string()
    } else {
        (user_id / 10000).to_string()
    }
}

/// `KConstants.DB_REMAINDER.MEMBER`.
pub const MEMBER_REMAINDER: u32 = 10000;

/// The collection (in the room-member database) holding a room's members:
/// the room ObjectId's 3-byte counter divided by 10 000, e.g. room
/// `60210278cb36d459fe88c196` → counter `0x88c196` = 8962454 → `"896"`.
pub fn member_shard(room_id: &bson::oid::ObjectId) -> String {
    let b = room_id.bytes();
    let counter = u32::from_be_bytes([0, b[9], b[10], b[11]]);
    (counter / MEMBER_REMAINDER).to_string()
}

/// Room jids become part of a collection name (`mucmsg_<jid>`): only
/// letters, digits, `-` and `_`, at most 64 characters.
pub fn valid_room_jid(jid: &str) -> bool {
    valid_key(jid)
}

/// A client-chosen key that is safe in a collection name and as a stored id
/// (room jids, message ids): 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn valid_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `mucmsg_<jid>`; callers validate the jid first with [`valid_room_jid`].
pub fn mucmsg(jid: &str) -> String {
    format!("{MUCMSG_PREFIX}{jid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_like_the_original() {
        assert_eq!(user_shard(100164), "10");
        assert_eq!(user_shard(100000), "0");
        assert_eq!(user_shard(10000), "0");
        assert_eq!(user_shard(1234567), "123");
    }

    #[test]
    fn member_shard_is_the_oid_counter() {
        let oid = bson::oid::ObjectId::parse_str("60210278cb36d459fe88c196").unwrap();
        assert_eq!(member_shard(&oid), "896");
    }

    #[test]
    fn room_jids_are_safe_collection_names() {
        assert!(valid_room_jid("6c1536dbf97540d1b906d76f4272a90d"));
        assert!(!valid_room_jid("a.b"));
        assert!(!valid_room_jid("$x"));
        assert!(!valid_room_jid(""));
    }
}
