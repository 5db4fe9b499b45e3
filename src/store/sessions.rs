//! Access tokens, stored exactly like the original when Redis is configured
//! (`loginToken:userId:<token>` → userId, `loginToken:token:<userId>` → token;
//! `adminToken:*` for the console), otherwise in the TTL-indexed MongoDB
//! collection `shiku_api_sessions` with the same two lookups.

use std::time::Duration;

use bson::{doc, DateTime, Document};
use mongodb::Collection;
use redis::AsyncCommands;

use crate::error::ShikuError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Login,
    Admin,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Login => "loginToken",
            Kind::Admin => "adminToken",
        }
    }
    /// 35 days for users (`KSessionUtil`), 30 minutes for the console.
    pub fn ttl(self) -> Duration {
        match self {
            Kind::Login => Duration::from_secs(35 * 24 * 3600),
            Kind::Admin => Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per process; boxing buys nothing
pub enum Sessions {
    Redis(redis::aio::ConnectionManager),
    Mongo(Collection<Document>),
}

fn redis_err(e: redis::RedisError) -> ShikuError {
    ShikuError::Unavailable(format!("redis: {e}"))
}

impl Sessions {
    pub async fn connect(
        redis_url: Option<&str>,
        mongo: Collection<Document>,
    ) -> Result<Self, String> {
        match redis_url {
            None => Ok(Sessions::Mongo(mongo)),
            Some(url) => {
                let client = redis::Client::open(url).map_err(|e| e.to_string())?;
                let cm = redis::aio::ConnectionManager::new(client)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Sessions::Redis(cm))
            }
        }
    }

    /// These sessions as seen through `store`'s client (Mongo); Redis sessions
    /// are shared as they are.
    pub fn with_store(&self, store: &super::Store) -> Self {
        match self {
            Sessions::Mongo(_) => Sessions::Mongo(store.sessions()),
            Sessions::Redis(cm) => Sessions::Redis(cm.clone()),
        }
    }

    /// The user a token belongs to, if it is known and not expired.
    pub async fn user_of(&self, kind: Kind, token: &str) -> Result<Option<i64>, ShikuError> {
        match self {
            Sessions::Redis(cm) => {
                let v: Option<String> = cm
                    .clone()
                    .get(format!("{}:userId:{token}", kind.prefix()))
                    .await
                    .map_err(redis_err)?;
                Ok(v.and_then(|s| s.trim_matches('"').parse().ok()))
            }
            Sessions::Mongo(c) => {
                let d = c
                    .find_one(doc! {"_id": format!("{}:{token}", kind.prefix()), "expireAt": {"$gt": DateTime::now()}})
                    .await?;
                Ok(d.and_then(|d| crate::util::num(&d, "userId")))
            }
        }
    }

    /// The user's current token, if any.
    pub async fn token_of(&self, kind: Kind, user_id: i64) -> Result<Option<String>, ShikuError> {
        match self {
            Sessions::Redis(cm) => {
                let v: Option<String> = cm
                    .clone()
                    .get(format!("{}:token:{user_id}", kind.prefix()))
                    .await
                    .map_err(redis_err)?;
                Ok(v.map(|s| s.trim_matches('"').to_string()))
            }
            Sessions::Mongo(c) => {
                let d = c
                    .find_one(doc! {"userId": user_id, "kind": kind.prefix(), "expireAt": {"$gt": DateTime::now()}})
                    .await?;
                Ok(d.and_then(|d| d.get_str("token").ok().map(str::to_string)))
            }
        }
    }

    /// Stores both mappings with the kind's expiry (renewing it when they exist).
    pub async fn save(&self, kind: Kind, user_id: i64, token: &str) -> Result<(), ShikuError> {
        let ttl = kind.ttl();
        match self {
            Sessions::Redis(cm) => {
                let mut cm = cm.clone();
                let p = kind.prefix();
                redis::pipe()
                    .atomic()
                    .set_ex(
                        format!("{p}:userId:{token}"),
                        user_id.to_string(),
                        ttl.as_secs(),
                    )
                    .set_ex(format!("{p}:token:{user_id}"), token, ttl.as_secs())
                    .query_async::<()>(&mut cm)
                    .await
                    .map_err(redis_err)
            }
            Sessions::Mongo(c) => {
                let expire = DateTime::from_millis(
                    DateTime::now().timestamp_millis() + ttl.as_millis() as i64,
                );
                c.update_one(
                    doc! {"_id": format!("{}:{token}", kind.prefix())},
                    doc! {"$set": {"token": token, "userId": user_id, "kind": kind.prefix(), "expireAt": expire}},
                )
                .upsert(true)
                .await?;
                Ok(())
            }
        }
    }

    /// Ends the user's session (logout).
    pub async fn remove(&self, kind: Kind, user_id: i64) -> Result<(), ShikuError> {
        let token = self.token_of(kind, user_id).await?;
        match self {
            Sessions::Redis(cm) => {
                let mut keys = vec![format!("{}:token:{user_id}", kind.prefix())];
                if let Some(t) = token {
                    keys.push(format!("{}:userId:{t}", kind.prefix()));
                }
                cm.clone().del::<_, ()>(keys).await.map_err(redis_err)
            }
            Sessions::Mongo(c) => {
                c.delete_many(doc! {"userId": user_id, "kind": kind.prefix()})
                    .await?;
                Ok(())
            }
        }
    }
}
