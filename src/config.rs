//! Settings: environment variables (and an optional `.env`), validated once at start.
//! Every variable is documented, with its default, in `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that could not be used; the binary prints it on one line and exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub mongodb_uri: String,
    pub bind_addr: SocketAddr,
    pub log: String,
    /// Database names, one per database of the original deployment.
    pub db: DbNames,
    pub redis_url: Option<String>,
    /// Deadline of every Redis command and connection attempt: beyond it a
    /// request answers 503.
    pub redis_timeout: Duration,
    pub mongo_timeout: Duration,
    /// MongoDB connections of the whole instance (`MONGO_POOL_SIZE`), shared
    /// out among the HTTP workers' clients.
    pub mongo_pool_size: u32,
    /// HTTP worker threads (`WORKERS`, default one per core).
    pub workers: usize,
    pub max_body_bytes: usize,
    pub max_page_size: i64,
    pub login_per_minute: u32,
    /// Reverse proxies in front of the service (`TRUSTED_PROXIES`): behind
    /// them the client's address is taken from `X-Forwarded-For`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `userType` of users registered here (`NEW_USER_TYPE`): the deployment's
    /// 2 by default; `None` ("sent") stores what the client sends, as the
    /// original does (QZ sends 1, Android 0).
    pub new_user_type: Option<i32>,
    /// The deployment's apiKey (`appConfig.apiKey`), part of every login MAC
    /// and request signature; `None` refuses the secure login.
    pub api_key: Option<String>,
    /// The original's `isAuthApi`: verify every request's `secret`.
    pub auth_api: bool,
    /// `/config` fields set by the operator (`XMPP_DOMAIN`, `XMPP_HOST`,
    /// `API_URL`, `UPLOAD_URL`, `DOWNLOAD_URL`): they override the stored
    /// client configuration.
    pub client_overrides: Vec<(&'static str, String)>,
    // uploads
    pub upload_dir: PathBuf,
    pub upload_base_url: String,
    pub upload_max_bytes: u64,
    pub upload_allowed: Vec<String>,
    // OpenIM dialect
    /// The HS256 secret shared with OpenIM; `None` turns the OpenIM endpoints
    /// off (see [`Config::openim_off_reason`]).
    pub openim_secret: Option<String>,
    pub openim_admin_user_ids: Vec<String>,
    pub openim_token_days: i64,
    // JH dialect
    pub jh_db: String,
    pub jh_collection: String,
    pub jh_time_offset_hours: i64,
    /// When not empty, only these client addresses reach `/api/im/*`.
    pub jh_allowed_clients: Vec<std::net::IpAddr>,
    /// When set, `/api/im/*` requests must carry it in `X-JH-Key`.
    pub jh_key: Option<String>,
    /// Push mode (`ROCKETMQ_NAMESRV` set, `PUSH_MODE` not `archive`): the
    /// message queue the original imapi published to.
    pub mq: Option<crate::delivery::mq::MqConfig>,
    /// `ROCKETMQ_REQUIRED=1`: in push mode, refuse to start while no name
    /// server answers.
    pub mq_required: bool,
    /// `QUERY_LOG=<file>`: every query's shape is appended there (the
    /// index-coverage check of the test suite).
    pub query_log: Option<PathBuf>,
    /// The longest a `/tigase/search` looks through group messages.
    pub search_deadline: Duration,
}

#[derive(Clone, Debug)]
pub struct DbNames {
    /// users, friends, stick_dialog, room_group_msg, sessions (`imapi`).
    pub imapi: String,
    /// rooms, members, notices and `mucmsg_<jid>` (`imRoom`).
    pub room: String,
    /// single-chat messages sharded by userId (`shiku_msgs`).
    pub msgs: String,
    /// last-chat records (`shiku_lastChats`).
    pub lastchat: String,
    /// room members, one collection per 10 000 room-id counters (`shiku_room_member`).
    pub room_member: String,
    /// per-user room jid index, sharded by userId (`shiku_roomJids_userId`).
    pub room_jids: String,
    /// the upload server's file records (`resources`).
    pub resources: String,
    /// phone contacts, sharded by owner like the messages (`addressbook`).
    pub addressbook: String,
}

/// OpenIM's published default secret: anyone can mint admin tokens with it.
pub const OPENIM_PUBLIC_SECRET: &str = "openIM123";
/// The shortest `OPENIM_SECRET` accepted.
pub const OPENIM_SECRET_MIN_BYTES: usize = 16;

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn get(env: Env, var: &'static str, default: &str) -> String {
    env(var)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn parse<T: std::str::FromStr>(env: Env, var: &'static str, default: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let value = get(env, var, default);
    value.trim().parse::<T>().map_err(|e| ConfigError {
        var,
        value: value.clone(),
        reason: e.to_string(),
    })
}

fn positive<T: PartialOrd + Default + std::str::FromStr>(
    env: Env,
    var: &'static str,
    default: &str,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let v: T = parse(env, var, default)?;
    if v <= T::default() {
        return Err(ConfigError {
            var,
            value: get(env, var, default),
            reason: "must be greater than 0".into(),
        });
    }
    Ok(v)
}

fn db_name(env: Env, var: &'static str, default: &str) -> Result<String, ConfigError> {
    let v = get(env, var, default);
    if v.len() > 63 || v.chars().any(|c| "/\\. \"$*<>:|?\0".contains(c)) {
        return Err(ConfigError {
            var,
            value: v,
            reason: "not a valid MongoDB database name".into(),
        });
    }
    Ok(v)
}

fn list(env: Env, var: &'static str, default: &str) -> Vec<String> {
    get(env, var, default)
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A comma-separated list of IP addresses (empty by default).
fn ips(env: Env, var: &'static str) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    list(env, var, "")
        .iter()
        .map(|a| {
            a.parse().map_err(|_| ConfigError {
                var,
                value: a.clone(),
                reason: "expected IP addresses, comma-separated".into(),
            })
        })
        .collect()
}

impl Config {
    /// The connection pool of each MongoDB client: the instance's
    /// `MONGO_POOL_SIZE` shared among the workers' clients, at least 2 each,
    /// so an instance opens about `MONGO_POOL_SIZE` connections whatever its
    /// core count.
    pub fn pool_per_client(&self) -> u32 {
        (self.mongo_pool_size / self.workers.max(1) as u32).max(2)
    }

    /// Why the OpenIM endpoints are off, or `None` when they are served.
    pub fn openim_off_reason(&self) -> Option<String> {
        self.openim_secret.is_none().then(|| {
            format!(
                "OpenIM endpoints are off: OPENIM_SECRET is unset, OpenIM's public default \
                 or shorter than {OPENIM_SECRET_MIN_BYTES} bytes"
            )
        })
    }

    /// Reads the process environment (after loading `.env` when present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(env: Env) -> Result<Self, ConfigError> {
        let mongodb_uri = get(env, "MONGODB_URI", "mongodb://127.0.0.1:27017");
        if !(mongodb_uri.starts_with("mongodb://") || mongodb_uri.starts_with("mongodb+srv://")) {
            return Err(ConfigError {
                var: "MONGODB_URI",
                value: mongodb_uri,
                reason: "must start with mongodb:// or mongodb+srv://".into(),
            });
        }
        let upload_base_url = get(env, "UPLOAD_BASE_URL", "http://127.0.0.1:8092")
            .trim_end_matches('/')
            .to_string();
        let redis_url = env("REDIS_URL").filter(|v| !v.trim().is_empty());
        if let Some(r) = &redis_url {
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError {
                    var: "REDIS_URL",
                    value: r.clone(),
                    reason: "must start with redis:// or rediss://".into(),
                });
            }
        }
        let log = get(env, "LOG", "info");
        if !["error", "warn", "info", "debug", "trace", "off"]
            .contains(&log.split(',').next().unwrap_or("").trim())
            && !log.contains('=')
        {
            return Err(ConfigError {
                var: "LOG",
                value: log,
                reason: "expected error, warn, info, debug, trace or off".into(),
            });
        }
        let openim_secret = env("OPENIM_SECRET")
            .map(|s| s.trim().to_string())
            .filter(|s| s != OPENIM_PUBLIC_SECRET && s.len() >= OPENIM_SECRET_MIN_BYTES);
        let api_key = env("API_KEY")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let auth_api = match get(env, "AUTH_API", "0").trim() {
            "0" | "false" | "off" => false,
            "1" | "true" | "on" => true,
            other => {
                return Err(ConfigError {
                    var: "AUTH_API",
                    value: other.to_string(),
                    reason: "expected 0 or 1".into(),
                })
            }
        };
        if auth_api && api_key.is_none() {
            return Err(ConfigError {
                var: "AUTH_API",
                value: "1".into(),
                reason: "signed requests need API_KEY".into(),
            });
        }
        Ok(Config {
            api_key,
            auth_api,
            mongodb_uri,
            bind_addr: parse(env, "BIND_ADDR", "0.0.0.0:8092")?,
            log,
            db: DbNames {
                imapi: db_name(env, "DB_IMAPI", "imapi")?,
                room: db_name(env, "DB_ROOM", "imRoom")?,
                msgs: db_name(env, "DB_MSGS", "shiku_msgs")?,
                lastchat: db_name(env, "DB_LASTCHAT", "shiku_lastChats")?,
                room_member: db_name(env, "DB_ROOM_MEMBER", "shiku_room_member")?,
                room_jids: db_name(env, "DB_ROOM_JIDS", "shiku_roomJids_userId")?,
                resources: db_name(env, "DB_RESOURCES", "resources")?,
                addressbook: db_name(env, "DB_ADDRESSBOOK", "addressbook")?,
            },
            redis_url,
            redis_timeout: Duration::from_millis(positive(env, "REDIS_TIMEOUT_MS", "2000")?),
            mongo_timeout: Duration::from_millis(positive(env, "MONGO_TIMEOUT_MS", "5000")?),
            mongo_pool_size: positive(env, "MONGO_POOL_SIZE", "32")?,
            workers: match get(env, "WORKERS", "").trim() {
                "" => std::thread::available_parallelism().map_or(1, |n| n.get()),
                _ => positive(env, "WORKERS", "1")?,
            },
            max_body_bytes: positive(env, "MAX_BODY_BYTES", "1048576")?,
            max_page_size: positive(env, "MAX_PAGE_SIZE", "1000")?,
            login_per_minute: positive(env, "LOGIN_PER_MINUTE", "60")?,
            trusted_proxies: ips(env, "TRUSTED_PROXIES")?,
            new_user_type: match get(env, "NEW_USER_TYPE", "2").trim() {
                "sent" => None,
                v => Some(v.parse().map_err(|_| ConfigError {
                    var: "NEW_USER_TYPE",
                    value: v.to_string(),
                    reason: "expected a userType (0, 1, 2, 4, 5) or \"sent\"".into(),
                })?),
            },
            client_overrides: [
                ("XMPP_DOMAIN", "XMPPDomain"),
                ("XMPP_HOST", "XMPPHost"),
                ("API_URL", "apiUrl"),
                ("UPLOAD_URL", "uploadUrl"),
                ("DOWNLOAD_URL", "downloadUrl"),
                ("DOWNLOAD_URL", "downloadAvatarUrl"),
            ]
            .into_iter()
            .filter_map(|(var, field)| {
                env(var)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .map(|v| (field, v))
            })
            .collect(),
            upload_dir: PathBuf::from(get(env, "UPLOAD_DIR", "./uploads")),
            upload_base_url,
            upload_max_bytes: positive(env, "UPLOAD_MAX_BYTES", "209715200")?,
            upload_allowed: list(env, "UPLOAD_ALLOWED", "image,audio,video,other"),
            openim_secret,
            openim_admin_user_ids: list(env, "OPENIM_ADMIN_USER_IDS", "imAdmin"),
            openim_token_days: positive(env, "OPENIM_TOKEN_DAYS", "90")?,
            jh_db: db_name(env, "JH_DB", "jhim")?,
            jh_collection: get(env, "JH_COLLECTION", "messages"),
            jh_time_offset_hours: parse(env, "JH_TIME_OFFSET_HOURS", "8")?,
            jh_allowed_clients: ips(env, "JH_ALLOWED_CLIENTS")?,
            jh_key: env("JH_KEY")
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty()),
            mq: mq_config(env)?,
            mq_required: get(env, "ROCKETMQ_REQUIRED", "0").trim() == "1",
            search_deadline: Duration::from_millis(positive(env, "SEARCH_DEADLINE_MS", "2000")?),
            query_log: env("QUERY_LOG")
                .filter(|p| !p.trim().is_empty())
                .map(PathBuf::from),
        })
    }
}

/// `PUSH_MODE` (`push` or `archive`; default `push` when a name server is
/// set) and the `ROCKETMQ_*` settings of push mode.
fn mq_config(env: Env) -> Result<Option<crate::delivery::mq::MqConfig>, ConfigError> {
    let namesrv = get(env, "ROCKETMQ_NAMESRV", "").trim().to_string();
    let mode = get(env, "PUSH_MODE", "").trim().to_string();
    let push = match mode.as_str() {
        "" => !namesrv.is_empty(),
        "push" => true,
        "archive" => false,
        _ => {
            return Err(ConfigError {
                var: "PUSH_MODE",
                value: mode,
                reason: "expected push or archive".into(),
            })
        }
    };
    if !push {
        return Ok(None);
    }
    let valid = !namesrv.is_empty()
        && namesrv.split(';').all(|a| {
            a.trim()
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        });
    if !valid {
        return Err(ConfigError {
            var: "ROCKETMQ_NAMESRV",
            value: namesrv,
            reason: "push mode needs the name servers as host:port[;host:port]".into(),
        });
    }
    Ok(Some(crate::delivery::mq::MqConfig {
        namesrv,
        topic: get(env, "ROCKETMQ_TOPIC", "xmppMessage"),
        producer_group: get(env, "ROCKETMQ_PRODUCER_GROUP", "group-xmpppush"),
        send_timeout: Duration::from_millis(positive(env, "ROCKETMQ_SEND_TIMEOUT_MS", "3000")?),
        status_topic: (get(env, "ROCKETMQ_CONSUME_STATUS", "1").trim() != "0")
            .then(|| get(env, "ROCKETMQ_STATUS_TOPIC", "userStatusMessage")),
        status_group: get(env, "ROCKETMQ_STATUS_GROUP", "userStatusProducer"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&move |k| m.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_original() {
        let c = with(&[]).unwrap();
        assert_eq!(c.bind_addr.to_string(), "0.0.0.0:8092");
        assert_eq!(c.db.imapi, "imapi");
        assert_eq!(c.db.room, "imRoom");
        assert_eq!(c.db.msgs, "shiku_msgs");
        assert!(c.openim_secret.is_none() && c.openim_off_reason().is_some());
    }

    #[test]
    fn openim_is_off_with_a_public_or_short_secret() {
        for weak in ["openIM123", "short", "  openIM123  ", ""] {
            assert_eq!(
                with(&[("OPENIM_SECRET", weak)]).unwrap().openim_secret,
                None
            );
        }
        let c = with(&[("OPENIM_SECRET", "a-private-secret-of-32-bytes-xyz")]).unwrap();
        assert_eq!(
            c.openim_secret.as_deref(),
            Some("a-private-secret-of-32-bytes-xyz")
        );
        assert!(c.openim_off_reason().is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(with(&[("BIND_ADDR", "nope")]).unwrap_err().var, "BIND_ADDR");
        assert_eq!(
            with(&[("MONGODB_URI", "http://x")]).unwrap_err().var,
            "MONGODB_URI"
        );
        assert_eq!(with(&[("DB_ROOM", "a.b")]).unwrap_err().var, "DB_ROOM");
        assert_eq!(
            with(&[("MAX_PAGE_SIZE", "0")]).unwrap_err().var,
            "MAX_PAGE_SIZE"
        );
    }
}
