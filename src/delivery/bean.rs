//! The original's `MessageBean` (`com.shiku.im.comm.model.MessageBean`): what
//! imapi publishes to the `xmppMessage` topic for the `message-push` service.
//! fastjson writes it with its keys in alphabetical order and without the
//! fields that are null; `fileSize`, `msgType` and `type` are ints and always
//! there. The fields below are declared in that order, so serde writes the
//! same bytes.

use serde::Serialize;
use serde_json::Value;

use crate::store::msgs::NewMessage;

/// `msgType` of a single-chat bean.
pub const SINGLE: i32 = 0;
/// `msgType` of a group bean.
pub const GROUP: i32 = 1;

/// The original's default sender of a bean: the system account.
const SYSTEM: &str = "10005";

/// Message types whose content the original sets as an int (a JSON number
/// in the bean): 913 (admin set/unset), 930 (invisible/guardian), 510 (a
/// friend added by a batch follow).
const NUMERIC_CONTENT: [i32; 3] = [510, 913, 930];

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bean {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    pub file_size: i32,
    pub from_user_id: String,
    pub from_user_name: String,
    pub message_id: String,
    pub msg_type: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_jid: Option<String>,
    pub time_send: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: i32,
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Bean {
    /// The single-chat bean of `m` to `to_user` (`MessageService.send`).
    pub fn single(m: &NewMessage, to_user: &str) -> Bean {
        let mut b = Bean::of(m);
        b.to_user_id = non_empty(to_user);
        b
    }

    /// The group bean of `m` in room `jid` (`sendMsgToMucRoom`).
    pub fn group(m: &NewMessage, jid: &str) -> Bean {
        let mut b = Bean::of(m);
        b.msg_type = GROUP;
        b.room_jid = Some(jid.to_string());
        b
    }

    fn of(m: &NewMessage) -> Bean {
        let extra = |k: &str| m.extra.get(k).filter(|v| !v.is_null());
        let text = |k: &str| {
            extra(k).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        let content = match m.content.as_str() {
            "" => None,
            c if NUMERIC_CONTENT.contains(&m.msg_type) => Some(
                c.parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(c)),
            ),
            c => Some(Value::from(c)),
        };
        let from = match m.from_user_id {
            0 => SYSTEM.to_string(),
            id => id.to_string(),
        };
        Bean {
            content,
            file_name: text("fileName"),
            file_size: extra("fileSize")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
            from_user_id: from,
            from_user_name: non_empty(&m.from_user_name).unwrap_or_else(|| SYSTEM.to_string()),
            message_id: m.message_id.clone(),
            msg_type: SINGLE,
            object_id: extra("objectId").cloned(),
            other: text("other"),
            room_jid: None,
            time_send: m.time_send,
            to: None,
            to_user_id: non_empty(&m.to_user_id),
            to_user_name: non_empty(&m.to_user_name),
            kind: m.msg_type,
        }
    }

    /// The bean as fastjson writes it.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a bean serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn new_member() -> NewMessage {
        let mut extra = BTreeMap::new();
        extra.insert("objectId".into(), json!("6c1536dbf97540d1b906d76f4272a90d"));
        extra.insert("fileName".into(), json!("60210278cb36d459fe88c196"));
        extra.insert("other".into(), json!("{\"lsLook\":1}"));
        NewMessage {
            message_id: "1c39ca8f048547a2bff4f4a3f136d809".into(),
            from_user_id: 100164,
            from_user_name: "张益达".into(),
            from_jid: "10005/Server".into(),
            to: "6c1536dbf97540d1b906d76f4272a90d".into(),
            to_user_id: "100159".into(),
            to_user_name: "朋友001".into(),
            msg_type: 907,
            content: "测试群".into(),
            time_send: 1612776057333,
            extra,
        }
    }

    /// push.md §5.1: the seed's second 907 as imapi published it.
    #[test]
    fn a_907_group_bean_is_the_originals() {
        let jid = "6c1536dbf97540d1b906d76f4272a90d";
        assert_eq!(
            Bean::group(&new_member(), jid).json(),
            concat!(
                r#"{"content":"测试群","fileName":"60210278cb36d459fe88c196","fileSize":0,"fromUserId":"100164","#,
                r#""fromUserName":"张益达","messageId":"1c39ca8f048547a2bff4f4a3f136d809","msgType":1,"#,
                r#""objectId":"6c1536dbf97540d1b906d76f4272a90d","other":"{\"lsLook\":1}","#,
                r#""roomJid":"6c1536dbf97540d1b906d76f4272a90d","timeSend":1612776057333,"#,
                r#""toUserId":"100159","toUserName":"朋友001","type":907}"#
            )
        );
        let single = Bean::single(&new_member(), "100159");
        assert_eq!((single.msg_type, single.room_jid.as_deref()), (0, None));
    }

    #[test]
    fn system_defaults_numbers_and_omitted_nulls() {
        let mut m = new_member();
        m.from_user_id = 0;
        m.from_user_name.clear();
        m.to_user_name.clear();
        m.extra.clear();
        m.msg_type = 913;
        m.content = "1".into();
        let v: Value = serde_json::from_str(&Bean::single(&m, "100159").json()).unwrap();
        assert_eq!(v["fromUserId"], "10005");
        assert_eq!(v["fromUserName"], "10005");
        assert_eq!(v["content"], 1, "913's content is an int");
        for absent in [
            "fileName",
            "objectId",
            "other",
            "roomJid",
            "to",
            "toUserName",
        ] {
            assert!(v.get(absent).is_none(), "{absent}: {v}");
        }
        m.msg_type = 925;
        m.content.clear();
        let v: Value = serde_json::from_str(&Bean::single(&m, "100159").json()).unwrap();
        assert!(v.get("content").is_none(), "925 has no content");
    }
}
