//! Sessions, login codes and auto-login keys under the original's Redis keys
//! (`KSessionUtil`, `UserCoreRedisRepository`, `UserRedisService` of the V5
//! server), so that a session opened by the Java server is honoured here and
//! the other way round. Values are written as Redisson's `JsonJacksonCodec`
//! writes them (a string as a JSON string, an object with its `@class`).
//!
//! Without `REDIS_URL` the same keys and values live in the TTL-indexed MongoDB
//! collection `shiku_api_sessions` (`_id` = the key, `value`, `expireAt`).
//!
//! | key | value | expiry |
//! |---|---|---|
//! | `loginToken:userId:<token>` | userId | 30 days |
//! | `loginToken:token:<userId>` | token (older servers' key, still read) | 30 days |
//! | `loginToken:token:<userId>:<deviceId>` | token | 30 days |
//! | `sesson:<token>` (sic) | `KSession` (keys of the session) | 30 days |
//! | `messageKey:<userId>:<deviceId>` | messageKey | 30 days |
//! | `LOGINCODES:<userId>` | base64 of the one-time login code | 60 s |
//! | `LOGINCODES:<userId>:deviceId` | the device the code was issued to (ours) | 60 s |
//! | `login:loginTokenKeys:<loginToken>` | `UserLoginTokenKey` | 49 days |
//! | `login:loginToken:<userId>:<deviceId>` | loginToken | 49 days |
//! | `api:mac:<userId>:<uri><secret>` | secret (replay guard of signed requests) | 30 s |
//! | `adminToken:userId:<token>`, `adminToken:token:<userId>` | console sessions | 30 minutes |
//! | `impush:andoird:<userId>` (sic), `impush:ios:<userId>` | the phone's push registration (`DeviceInfo`, fastjson text), read by the push service | 7 / 35 days |
//! | `user_online:<userId>` | `1` while the IM server reports the user online (Redis only) | 2 days |
//! | `roomPush_member:<jid>` | list of the offline members the push service pushes the room's messages to (`IntegerCodec`: decimal ids; Redis only) | 7 days |

use super::error::{StoreError, StoreResult};
use std::time::Duration;

use bson::{doc, DateTime, Document};
use mongodb::Collection;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

const DAY: u64 = 86400;
/// `KConstants.Expire.DAY1 * 30`: access tokens and their session.
/// How long a `/user/getRandomStr` string lives (the original's hour).
const RANDOM_STR_TTL: Duration = Duration::from_secs(3600);

pub const SESSION_TTL: Duration = Duration::from_secs(30 * DAY);
/// `KConstants.Expire.DAY7 * 7`: the auto-login token and key.
pub const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(49 * DAY);
/// `KConstants.Expire.MINUTE`: the one-time login code.
pub const LOGIN_CODE_TTL: Duration = Duration::from_secs(60);
/// The replay window of a signed request's `secret`.
pub const REPLAY_TTL: Duration = Duration::from_secs(30);

/// Java class names Redisson's codec records with each object.
const KSESSION_CLASS: &str = "com.shiku.im.user.model.KSession";
const LOGIN_TOKEN_KEY_CLASS: &str = "com.shiku.im.user.model.UserLoginTokenKey";

/// The kind of phone a push registration belongs to (`DeviceInfo.deviceKey`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushDevice {
    Android,
    Ios,
}

impl PushDevice {
    pub fn name(self) -> &'static str {
        match self {
            PushDevice::Android => "android",
            PushDevice::Ios => "ios",
        }
    }
    pub fn from_name(name: &str) -> Option<PushDevice> {
        match name {
            "android" => Some(PushDevice::Android),
            "ios" => Some(PushDevice::Ios),
            _ => None,
        }
    }
    fn key(self, user_id: i64) -> String {
        match self {
            PushDevice::Android => format!("impush:andoird:{user_id}"),
            PushDevice::Ios => format!("impush:ios:{user_id}"),
        }
    }
    /// `KConstants.Expire.DAY7` (Android), `DAY7 * 5` (iOS).
    fn ttl(self) -> Duration {
        match self {
            PushDevice::Android => Duration::from_secs(7 * DAY),
            PushDevice::Ios => Duration::from_secs(35 * DAY),
        }
    }
}

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
    /// 30 days for users, 30 minutes for the console.
    pub fn ttl(self) -> Duration {
        match self {
            Kind::Login => SESSION_TTL,
            Kind::Admin => Duration::from_secs(30 * 60),
        }
    }
}

/// The original's `KSession`: one access token and the keys issued with it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KSession {
    #[serde(rename = "@class", default)]
    pub class: String,
    pub access_token: String,
    #[serde(default)]
    pub device_id: String,
    #[serde(default)]
    pub http_key: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub login_token: Option<String>,
    #[serde(default)]
    pub message_key: String,
    #[serde(default)]
    pub pay_key: String,
    pub user_id: i64,
}

/// The original's `UserLoginTokenKey`: what an auto login needs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LoginTokenKey {
    #[serde(rename = "@class", default)]
    pub class: String,
    #[serde(default)]
    pub device_id: String,
    pub login_key: String,
    pub login_token: String,
    pub user_id: i64,
}

#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per worker; boxing buys nothing
pub enum Sessions {
    Redis(RedisSessions),
    Mongo(Collection<Document>),
}

/// The original's Redis, reached with a deadline: every command answers
/// within `timeout` or fails as [`StoreError::Unavailable`] (503), and the
/// connection is made when first needed and made again after it broke, so
/// the service starts, and recovers, whatever Redis does meanwhile.
#[derive(Clone)]
pub struct RedisSessions {
    client: redis::Client,
    manager: std::sync::Arc<tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>>,
    timeout: Duration,
}

impl RedisSessions {
    /// The connection, made now if there is none.
    async fn conn(&self) -> StoreResult<redis::aio::ConnectionManager> {
        let mut slot = self.manager.lock().await;
        if let Some(cm) = slot.as_ref() {
            return Ok(cm.clone());
        }
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1)
            .set_max_delay(self.timeout.as_millis() as u64);
        let made = tokio::time::timeout(
            self.timeout * 2,
            redis::aio::ConnectionManager::new_with_config(self.client.clone(), cfg),
        )
        .await
        .map_err(|_| StoreError::Unavailable("redis: no connection".into()))?
        .map_err(redis_err)?;
        *slot = Some(made.clone());
        Ok(made)
    }

    /// Runs one command (or pipeline) on the connection within the deadline.
    pub(super) async fn run<T, F, Fut>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(redis::aio::ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let cm = self.conn().await?;
        match tokio::time::timeout(self.timeout, f(cm)).await {
            Ok(r) => r.map_err(redis_err),
            Err(_) => Err(StoreError::Unavailable("redis: timed out".into())),
        }
    }

    /// Whether Redis answers a PING within the deadline.
    pub async fn ping(&self) -> bool {
        self.run(|mut cm| async move { redis::cmd("PING").query_async::<String>(&mut cm).await })
            .await
            .is_ok()
    }
}

fn redis_err(e: redis::RedisError) -> StoreError {
    StoreError::from(e)
}

/// A string as Redisson's JSON codec stores it.
fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A stored string value: a JSON string (Redisson) or the bare text (older writers).
fn plain(v: String) -> String {
    match serde_json::from_str::<String>(&v) {
        Ok(s) => s,
        Err(_) => v,
    }
}

fn new_key() -> String {
    crate::secure::b64(&crate::secure::random_key())
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Sessions {
    /// Sessions in Redis (when `redis_url` is set) or MongoDB. Redis is not
    /// required to be up: a first connection is tried and its failure
    /// logged; requests then answer 503 until Redis answers.
    pub async fn connect(
        redis_url: Option<&str>,
        timeout: Duration,
        mongo: Collection<Document>,
    ) -> Result<Self, String> {
        match redis_url {
            None => Ok(Sessions::Mongo(mongo)),
            Some(url) => {
                let client = redis::Client::open(url).map_err(|e| e.to_string())?;
                let r = RedisSessions {
                    client,
                    manager: Default::default(),
                    timeout,
                };
                if let Err(e) = r.conn().await {
                    tracing::warn!(
                        "Redis is down ({e}): session requests answer 503 until it is back"
                    );
                }
                Ok(Sessions::Redis(r))
            }
        }
    }

    /// Redis's state for `/health`: `None` without Redis.
    pub async fn redis_up(&self) -> Option<bool> {
        match self {
            Sessions::Redis(r) => Some(r.ping().await),
            Sessions::Mongo(_) => None,
        }
    }

    /// Counts one login-like attempt of `client` in Redis, shared by every
    /// instance: the attempts of the current minute, or `None` without Redis
    /// or when it does not answer (the caller then counts in memory).
    pub async fn count_attempt(&self, client: &str) -> Option<u64> {
        let Sessions::Redis(r) = self else {
            return None;
        };
        let minute = crate::util::now_ms() / 60_000;
        let key = format!("shiku_api:attempts:{client}:{minute}");
        let mut p = redis::pipe();
        p.atomic().incr(&key, 1u64).expire(&key, 120).ignore();
        match r
            .run(|mut cm| async move { p.query_async::<(u64,)>(&mut cm).await })
            .await
        {
            Ok((n,)) => Some(n),
            Err(e) => {
                tracing::warn!("attempt counter in Redis: {e}; counting in this instance");
                None
            }
        }
    }

    /// These sessions as seen through `store`'s client (Mongo); Redis sessions
    /// are shared as they are.
    pub fn with_store(&self, store: &super::Store) -> Self {
        match self {
            Sessions::Mongo(_) => Sessions::Mongo(store.sessions()),
            Sessions::Redis(r) => Sessions::Redis(r.clone()),
        }
    }

    // ------------------------------------------------------------ key-value

    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        match self {
            Sessions::Redis(r) => r.run(|mut cm| async move { cm.get(key).await }).await,
            Sessions::Mongo(c) => Ok(c
                .find_one(doc! {"_id": key, "expireAt": {"$gt": DateTime::now()}})
                .await?
                .and_then(|d| d.get_str("value").ok().map(str::to_string))),
        }
    }

    async fn set_all(&self, entries: &[(String, String, Duration)]) -> StoreResult<()> {
        match self {
            Sessions::Redis(r) => {
                let mut p = redis::pipe();
                p.atomic();
                for (k, v, ttl) in entries {
                    p.set_ex(k, v, ttl.as_secs());
                }
                r.run(|mut cm| async move { p.query_async::<()>(&mut cm).await })
                    .await
            }
            Sessions::Mongo(c) => {
                for (k, v, ttl) in entries {
                    c.update_one(
                        doc! {"_id": k},
                        doc! {"$set": {"value": v, "expireAt": expiry(*ttl)}},
                    )
                    .upsert(true)
                    .await?;
                }
                Ok(())
            }
        }
    }

    async fn del(&self, keys: &[String]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        match self {
            Sessions::Redis(r) => r.run(|mut cm| async move { cm.del(keys).await }).await,
            Sessions::Mongo(c) => {
                c.delete_many(doc! {"_id": {"$in": keys}}).await?;
                Ok(())
            }
        }
    }

    /// Deletes `key` only while it still holds `raw` (a value [`Self::get`]
    /// read), in one step: a value written meanwhile (a new login's pointer,
    /// a newer phone's registration) is kept.
    async fn del_if_still(&self, key: &str, raw: &str) -> StoreResult<()> {
        match self {
            Sessions::Redis(r) => {
                let script = redis::Script::new(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                     return redis.call('DEL', KEYS[1]) else return 0 end",
                );
                r.run(|mut cm| async move {
                    script.key(key).arg(raw).invoke_async::<i64>(&mut cm).await
                })
                .await?;
                Ok(())
            }
            Sessions::Mongo(c) => {
                c.delete_one(doc! {"_id": key, "value": raw}).await?;
                Ok(())
            }
        }
    }

    /// Reads and deletes `key` in one step, so a value is used once.
    async fn take(&self, key: &str) -> StoreResult<Option<String>> {
        match self {
            Sessions::Redis(r) => {
                let (v, _): (Option<String>, i64) = r
                    .run(|mut cm| async move {
                        redis::pipe()
                            .atomic()
                            .get(key)
                            .del(key)
                            .query_async(&mut cm)
                            .await
                    })
                    .await?;
                Ok(v)
            }
            Sessions::Mongo(c) => Ok(c
                .find_one_and_delete(doc! {"_id": key, "expireAt": {"$gt": DateTime::now()}})
                .await?
                .and_then(|d| d.get_str("value").ok().map(str::to_string))),
        }
    }

    /// Stores `key` only if it is absent; `false` when it was there already.
    async fn set_new(&self, key: &str, value: &str, ttl: Duration) -> StoreResult<bool> {
        match self {
            Sessions::Redis(r) => {
                let set: Option<String> = r
                    .run(|mut cm| async move {
                        redis::cmd("SET")
                            .arg(key)
                            .arg(value)
                            .arg("NX")
                            .arg("EX")
                            .arg(ttl.as_secs())
                            .query_async(&mut cm)
                            .await
                    })
                    .await?;
                Ok(set.is_some())
            }
            Sessions::Mongo(c) => {
                c.delete_one(doc! {"_id": key, "expireAt": {"$lte": DateTime::now()}})
                    .await?;
                match c
                    .insert_one(doc! {"_id": key, "value": value, "expireAt": expiry(ttl)})
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if super::is_duplicate_key(&e) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    async fn get_str(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self.get(key).await?.map(plain).filter(|s| !s.is_empty()))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        Ok(self
            .get(key)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    // ------------------------------------------------------------ tokens

    /// The user a token belongs to, if it is known and not expired.
    pub async fn user_of(&self, kind: Kind, token: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .get_str(&format!("{}:userId:{token}", kind.prefix()))
            .await?
            .and_then(|s| s.trim().parse().ok()))
    }

    /// The user's current token under the older servers' device-less key.
    pub async fn token_of(&self, kind: Kind, user_id: i64) -> StoreResult<Option<String>> {
        self.get_str(&format!("{}:token:{user_id}", kind.prefix()))
            .await
    }

    /// Stores both device-less mappings with the kind's expiry (console
    /// sessions, and sessions opened by older servers).
    pub async fn save(&self, kind: Kind, user_id: i64, token: &str) -> StoreResult<()> {
        let p = kind.prefix();
        let ttl = kind.ttl();
        self.set_all(&[
            (
                format!("{p}:userId:{token}"),
                json_str(&user_id.to_string()),
                ttl,
            ),
            (format!("{p}:token:{user_id}"), json_str(token), ttl),
        ])
        .await
    }

    /// The keys issued with an access token, if the token has a session.
    pub async fn session(&self, token: &str) -> StoreResult<Option<KSession>> {
        self.get_json(&format!("sesson:{token}")).await
    }

    /// `createAutoLoginSesson`: the user's live session is reused (the token
    /// under the device-less key, with its keys when it has them), otherwise a
    /// new token with new keys; then every key of the session is (re)written.
    pub async fn open_session(
        &self,
        user_id: i64,
        device_id: &str,
        language: &str,
        login_token: Option<&str>,
    ) -> StoreResult<KSession> {
        let live = match self.token_of(Kind::Login, user_id).await? {
            Some(t) if self.user_of(Kind::Login, &t).await? == Some(user_id) => Some(t),
            _ => None,
        };
        let reused = match &live {
            Some(t) => self.session(t).await?,
            None => None,
        };
        let session = KSession {
            class: KSESSION_CLASS.into(),
            access_token: live.unwrap_or_else(new_token),
            device_id: device_id.to_string(),
            language: language.to_string(),
            login_token: login_token.map(str::to_string),
            http_key: reused.as_ref().map_or_else(new_key, |s| s.http_key.clone()),
            message_key: reused
                .as_ref()
                .map_or_else(new_key, |s| s.message_key.clone()),
            pay_key: reused.map_or_else(new_key, |s| s.pay_key),
            user_id,
        };
        let tok = &session.access_token;
        // A device's previous token ends when it logs in again.
        let device_key = format!("loginToken:token:{user_id}:{device_id}");
        if let Some(old) = self.get_str(&device_key).await? {
            if &old != tok {
                self.del(&[format!("loginToken:userId:{old}"), format!("sesson:{old}")])
                    .await?;
            }
        }
        let body = serde_json::to_string(&session).expect("a session serializes");
        self.set_all(&[
            (
                format!("loginToken:userId:{tok}"),
                json_str(&user_id.to_string()),
                SESSION_TTL,
            ),
            (
                format!("loginToken:token:{user_id}"),
                json_str(tok),
                SESSION_TTL,
            ),
            (device_key, json_str(tok), SESSION_TTL),
            (format!("sesson:{tok}"), body, SESSION_TTL),
            (
                format!("messageKey:{user_id}:{device_id}"),
                json_str(&session.message_key),
                SESSION_TTL,
            ),
        ])
        .await?;
        Ok(session)
    }

    /// Ends one session (logout): the token, its keys, the user's pointers to
    /// it and the auto-login pair issued with it (`cleanLoginTokenKeys`: a
    /// copied `loginToken` opens nothing after the logout).
    pub async fn close(&self, kind: Kind, user_id: i64, token: &str) -> StoreResult<()> {
        let p = kind.prefix();
        let mut keys = vec![format!("{p}:userId:{token}"), format!("sesson:{token}")];
        // The user's pointers go only while they still point at this token.
        let mut pointers = vec![(format!("{p}:token:{user_id}"), token.to_string())];
        if let Some(s) = self.session(token).await? {
            keys.push(format!("{p}:token:{user_id}:{}", s.device_id));
            keys.push(format!("messageKey:{user_id}:{}", s.device_id));
            if let Some(login_token) = s.login_token.filter(|t| !t.is_empty()) {
                let pointer = format!("login:loginToken:{user_id}:{}", s.device_id);
                pointers.push((pointer, login_token.clone()));
                keys.push(format!("login:loginTokenKeys:{login_token}"));
            }
        }
        for (pointer, value) in &pointers {
            if let Some(raw) = self.get(pointer).await? {
                if plain(raw.clone()) == *value {
                    self.del_if_still(pointer, &raw).await?;
                }
            }
        }
        self.del(&keys).await
    }

    /// Ends every session of a user whose password changed (`resetPassword`):
    /// the device-less token and its session.
    pub async fn close_all(&self, user_id: i64) -> StoreResult<()> {
        if let Some(t) = self.token_of(Kind::Login, user_id).await? {
            self.close(Kind::Login, user_id, &t).await?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ push devices

    /// The phone's push registration the original push service reads
    /// (`impush:andoird:<userId>` (sic), `impush:ios:<userId>`): the last one
    /// uploaded wins.
    pub async fn save_push_device(
        &self,
        device: PushDevice,
        user_id: i64,
        info: &str,
    ) -> StoreResult<()> {
        self.set_all(&[(device.key(user_id), json_str(info), device.ttl())])
            .await
    }

    /// The user's push registration of that device, as stored (fastjson text).
    pub async fn push_device(
        &self,
        device: PushDevice,
        user_id: i64,
    ) -> StoreResult<Option<String>> {
        Ok(self.get(&device.key(user_id)).await?.map(plain))
    }

    /// Drops the user's push registration of that device; with `only`, just
    /// when it is still that token (a token taken over by another account
    /// must not silence the user's newer phone, even one uploaded meanwhile).
    pub async fn drop_push_device(
        &self,
        device: PushDevice,
        user_id: i64,
        only: Option<&str>,
    ) -> StoreResult<()> {
        let key = device.key(user_id);
        let Some(token) = only else {
            return self.del(&[key]).await;
        };
        let Some(raw) = self.get(&key).await? else {
            return Ok(());
        };
        let holds = serde_json::from_str::<serde_json::Value>(&plain(raw.clone()))
            .is_ok_and(|v| v.get("pushToken").and_then(|t| t.as_str()) == Some(token));
        if holds {
            self.del_if_still(&key, &raw).await?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ presence

    /// `user_online:<userId>` as the original's `saveUserOnline` (Redisson
    /// bucket of an Integer: `1`, two days) or its removal. Only the push
    /// service and `/user/get` read it: nothing without Redis.
    pub async fn set_user_online(&self, user_id: i64, online: bool) -> StoreResult<()> {
        let Sessions::Redis(r) = self else {
            return Ok(());
        };
        let key = format!("user_online:{user_id}");
        if online {
            r.run(|mut cm| async move { cm.set_ex(&key, "1", 2 * DAY).await })
                .await
        } else {
            r.run(|mut cm| async move { cm.del(&key).await }).await
        }
    }

    /// Whether the sessions live in Redis, where the push service reads the
    /// presence keys.
    pub fn in_redis(&self) -> bool {
        matches!(self, Sessions::Redis(_))
    }

    /// Adds each `(jid, userId)` member to (or removes him from) the room's
    /// offline members (`roomPush_member:<jid>`, Redisson list with
    /// `IntegerCodec`, each id once, seven days), whom the push service
    /// pushes the room's messages to. Nothing without Redis.
    pub async fn set_room_push(&self, pairs: &[(&str, i64)], add: bool) -> StoreResult<()> {
        let Sessions::Redis(r) = self else {
            return Ok(());
        };
        if pairs.is_empty() {
            return Ok(());
        }
        let mut p = redis::pipe();
        for (jid, user_id) in pairs {
            let key = format!("roomPush_member:{jid}");
            let id = user_id.to_string();
            p.lrem(&key, 0, &id).ignore();
            if add {
                p.rpush(&key, &id).ignore();
                p.expire(&key, (7 * DAY) as i64).ignore();
            }
        }
        r.run(|mut cm| async move { p.query_async::<()>(&mut cm).await })
            .await
    }

    /// Forgets a dissolved room's offline members.
    pub async fn drop_room_push(&self, jid: &str) -> StoreResult<()> {
        if !self.in_redis() {
            return Ok(());
        }
        self.del(&[format!("roomPush_member:{jid}")]).await
    }

    // ------------------------------------------------------------ random strings

    /// The random string of `/user/getRandomStr` (`userRandomStr:<userId>`,
    /// one hour), which `/user/password/update/v1` signs.
    pub async fn save_random_str(&self, user_id: i64, value: &str) -> StoreResult<()> {
        self.set_all(&[(
            format!("userRandomStr:{user_id}"),
            json_str(value),
            RANDOM_STR_TTL,
        )])
        .await
    }

    /// The user's random string (it lives its hour, as the original's).
    pub async fn random_str(&self, user_id: i64) -> StoreResult<Option<String>> {
        Ok(self
            .get(&format!("userRandomStr:{user_id}"))
            .await?
            .map(plain))
    }

    // ------------------------------------------------------------ login codes

    /// The one-time code of `/auth/getLoginCode` (one per user, under the
    /// original's key) and, beside it, the device it was issued to.
    pub async fn save_login_code(
        &self,
        user_id: i64,
        device_id: &str,
        code: &[u8],
    ) -> StoreResult<()> {
        self.set_all(&[
            (
                format!("LOGINCODES:{user_id}"),
                json_str(&crate::secure::b64(code)),
                LOGIN_CODE_TTL,
            ),
            (
                format!("LOGINCODES:{user_id}:deviceId"),
                json_str(device_id),
                LOGIN_CODE_TTL,
            ),
        ])
        .await
    }

    /// Takes the user's login code for `device_id`: it serves one login
    /// attempt only, and only on the device it was issued to (a code the Java
    /// server issued has no device and serves any).
    pub async fn take_login_code(
        &self,
        user_id: i64,
        device_id: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        let code = self.take(&format!("LOGINCODES:{user_id}")).await?;
        let issued_to = self
            .take(&format!("LOGINCODES:{user_id}:deviceId"))
            .await?
            .map(plain);
        if issued_to.is_some_and(|d| d != device_id) {
            return Ok(None);
        }
        Ok(code.map(plain).and_then(|s| crate::secure::unb64(&s)))
    }

    /// Issues the auto-login pair (`loginToken`, `loginKey`) of a device; the
    /// device's previous pair stops working.
    pub async fn issue_login_token(
        &self,
        user_id: i64,
        device_id: &str,
    ) -> StoreResult<LoginTokenKey> {
        let k = LoginTokenKey {
            class: LOGIN_TOKEN_KEY_CLASS.into(),
            device_id: device_id.to_string(),
            login_key: new_key(),
            login_token: new_token(),
            user_id,
        };
        let pointer = format!("login:loginToken:{user_id}:{device_id}");
        if let Some(old) = self.get_str(&pointer).await? {
            self.del(&[format!("login:loginTokenKeys:{old}")]).await?;
        }
        let body = serde_json::to_string(&k).expect("a key serializes");
        self.set_all(&[
            (
                format!("login:loginTokenKeys:{}", k.login_token),
                body,
                LOGIN_TOKEN_TTL,
            ),
            (pointer, json_str(&k.login_token), LOGIN_TOKEN_TTL),
        ])
        .await?;
        Ok(k)
    }

    pub async fn login_token_key(&self, login_token: &str) -> StoreResult<Option<LoginTokenKey>> {
        self.get_json(&format!("login:loginTokenKeys:{login_token}"))
            .await
    }

    /// `checkMacExistRedis`: `false` when the same signed request was already
    /// served within the replay window.
    pub async fn first_use_of_secret(
        &self,
        user_id: i64,
        uri: &str,
        secret: &str,
    ) -> StoreResult<bool> {
        self.set_new(
            &format!("api:mac:{user_id}:{uri}{secret}"),
            &json_str(secret),
            REPLAY_TTL,
        )
        .await
    }
}

fn expiry(ttl: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + ttl.as_millis() as i64)
}
