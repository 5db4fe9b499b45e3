//! Issued OpenIM tokens, so that `/msg/send_msg` can answer 1507 (never issued)
//! and 1506 (kicked) like OpenIM. With Redis they are kept exactly where OpenIM
//! keeps them (hash `UID_PID_TOKEN_STATUS:{userID}:{platformName}`, field =
//! token, value = status), so a real OpenIM sharing the Redis and the secret
//! issues tokens this service accepts. Without Redis they live in the sessions
//! collection (`_id: "openim:<token>"`, TTL on `expireAt`).

use bson::{doc, DateTime};
use redis::AsyncCommands;

use super::sessions::Sessions;
use crate::openim::OpenImError;

/// Token status values (`constant.NormalToken`, `KickedToken`).
pub const NORMAL_TOKEN: i64 = 0;
pub const KICKED_TOKEN: i64 = 2;

/// OpenIM's platform names (`constant.PlatformID2Name`).
pub fn platform_name(id: i64) -> &'static str {
    match id {
        1 => "IOS",
        2 => "Android",
        3 => "Windows",
        4 => "OSX",
        5 => "Web",
        6 => "MiniWebApp",
        7 => "Linux",
        8 => "AndroidPad",
        9 => "IPad",
        10 => "Admin",
        _ => "",
    }
}

fn redis_key(user_id: &str, platform_id: i64) -> String {
    format!(
        "UID_PID_TOKEN_STATUS:{user_id}:{}",
        platform_name(platform_id)
    )
}

impl Sessions {
    /// Records a newly issued token as valid for `ttl_secs`.
    pub async fn save_openim_token(
        &self,
        user_id: &str,
        platform_id: i64,
        token: &str,
        ttl_secs: i64,
    ) -> Result<(), OpenImError> {
        match self {
            Sessions::Redis(r) => {
                let key = redis_key(user_id, platform_id);
                Ok(r.run(|mut cm| async move {
                    redis::pipe()
                        .atomic()
                        .hset(&key, token, NORMAL_TOKEN)
                        .expire(&key, ttl_secs)
                        .query_async::<()>(&mut cm)
                        .await
                })
                .await?)
            }
            Sessions::Mongo(c) => {
                let expire =
                    DateTime::from_millis(DateTime::now().timestamp_millis() + ttl_secs * 1000);
                c.update_one(
                    doc! {"_id": format!("openim:{token}")},
                    doc! {"$set": {
                        "kind": "openim",
                        "userID": user_id,
                        "platformID": platform_id,
                        "status": NORMAL_TOKEN,
                        "expireAt": expire,
                    }},
                )
                .upsert(true)
                .await?;
                Ok(())
            }
        }
    }

    /// The status of an issued token, `None` when it was never issued (or expired).
    pub async fn openim_token_status(
        &self,
        user_id: &str,
        platform_id: i64,
        token: &str,
    ) -> Result<Option<i64>, OpenImError> {
        match self {
            Sessions::Redis(r) => {
                let key = redis_key(user_id, platform_id);
                Ok(r.run(|mut cm| async move { cm.hget(key, token).await })
                    .await?)
            }
            Sessions::Mongo(c) => {
                let d = c
                    .find_one(doc! {
                        "_id": format!("openim:{token}"),
                        "userID": user_id,
                        "platformID": platform_id,
                        "expireAt": {"$gt": DateTime::now()},
                    })
                    .await?;
                Ok(d.and_then(|d| crate::util::num(&d, "status")))
            }
        }
    }

    /// Marks a token kicked (status 2), as OpenIM does on a forced logout.
    pub async fn kick_openim_token(
        &self,
        user_id: &str,
        platform_id: i64,
        token: &str,
    ) -> Result<(), OpenImError> {
        match self {
            Sessions::Redis(r) => {
                let key = redis_key(user_id, platform_id);
                Ok(r.run(
                    |mut cm| async move { cm.hset::<_, _, _, ()>(key, token, KICKED_TOKEN).await },
                )
                .await?)
            }
            Sessions::Mongo(c) => {
                c.update_one(
                    doc! {"_id": format!("openim:{token}")},
                    doc! {"$set": {"status": KICKED_TOKEN}},
                )
                .await?;
                Ok(())
            }
        }
    }
}
