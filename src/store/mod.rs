//! All MongoDB access. One module per collection family; names in [`names`].
//! Documents are handled as BSON `Document`s and changed with `$set`-style
//! updates, so fields this service does not know are never dropped.

pub mod addressbook;
pub mod authkeys;
pub mod claims;
pub mod emoji;
pub mod error;
pub mod indexes;
pub mod model;
pub mod msgs;
pub mod names;
pub mod openim;
pub mod presence;
pub mod public;
pub mod push_tokens;
pub mod queries;
pub mod reports;
pub mod sessions;
pub mod users;
pub mod view;
// Areas (filled in by their issues).
pub mod friends;
pub mod helpers;
pub mod jh;
pub mod labels;
pub mod location_rooms;
pub mod resources;
pub mod room_extras;
pub mod rooms;
pub mod tigase;

use bson::Document;
use mongodb::{options::ClientOptions, Client, Collection, Database};

use crate::config::Config;

pub use error::{Refusal, StoreError, StoreResult};

#[derive(Clone)]
pub struct Store {
    pub client: Client,
    pub cfg: crate::config::DbNames,
    pub jh_db: String,
    pub jh_collection: String,
    /// How long a message search may take (`SEARCH_DEADLINE_MS`).
    pub search_deadline: std::time::Duration,
    /// What `client` was made from, for [`Store::on_this_thread`].
    options: ClientOptions,
    /// `QUERY_LOG`: the recorder of the query shapes the workers send.
    recorder: Option<mongodb::event::EventHandler<mongodb::event::command::CommandEvent>>,
}

impl Store {
    pub async fn connect(cfg: &Config) -> mongodb::error::Result<Self> {
        let mut opts = ClientOptions::parse(&cfg.mongodb_uri).await?;
        opts.app_name.get_or_insert_with(|| "shiku-api".to_string());
        opts.server_selection_timeout = Some(cfg.mongo_timeout);
        opts.connect_timeout = Some(cfg.mongo_timeout);
        opts.max_pool_size = Some(cfg.pool_per_client());
        let client = Client::with_options(opts.clone())?;
        Ok(Store {
            client,
            cfg: cfg.db.clone(),
            jh_db: cfg.jh_db.clone(),
            jh_collection: cfg.jh_collection.clone(),
            search_deadline: cfg.search_deadline,
            options: opts,
            recorder: cfg
                .query_log
                .as_ref()
                .map(|path| queries::recorder(path.clone(), queries::roles(&cfg.db, &cfg.jh_db))),
        })
    }

    /// The same store with a client of its own, whose connections and
    /// background tasks belong to the async runtime of the calling thread. Each
    /// HTTP worker thread uses one, so that a query does not hop to another
    /// thread's runtime and back (measured: 30–45 % less service CPU per request).
    pub fn on_this_thread(&self) -> mongodb::error::Result<Store> {
        // The queries of the HTTP workers are the service's (the main
        // client also serves the tests' own reads): only theirs are recorded.
        let mut options = self.options.clone();
        options.command_event_handler = self.recorder.clone();
        Ok(Store {
            client: Client::with_options(options)?,
            ..self.clone()
        })
    }

    pub fn imapi(&self) -> Database {
        self.client.database(&self.cfg.imapi)
    }
    pub fn room_db(&self) -> Database {
        self.client.database(&self.cfg.room)
    }
    pub fn msgs_db(&self) -> Database {
        self.client.database(&self.cfg.msgs)
    }
    pub fn lastchat_db(&self) -> Database {
        self.client.database(&self.cfg.lastchat)
    }

    pub fn users(&self) -> Collection<Document> {
        self.imapi().collection(names::USER)
    }
    pub fn friends(&self) -> Collection<Document> {
        self.imapi().collection(names::FRIENDS)
    }
    pub fn stick_dialog(&self) -> Collection<Document> {
        self.imapi().collection(names::STICK_DIALOG)
    }
    pub fn room_group_msg(&self) -> Collection<Document> {
        self.imapi().collection(names::ROOM_GROUP_MSG)
    }
    /// Upload records: the original upload server's own database (`resources.resources`).
    pub fn resources(&self) -> Collection<Document> {
        self.client
            .database(&self.cfg.resources)
            .collection(names::RESOURCES)
    }
    pub fn sessions(&self) -> Collection<Document> {
        self.imapi().collection(names::SESSIONS)
    }
    pub fn rooms(&self) -> Collection<Document> {
        self.room_db().collection(names::ROOM)
    }
    /// The members of one room (`shiku_room_member.<counter/10000>`).
    pub fn room_members(&self, room_id: &bson::oid::ObjectId) -> Collection<Document> {
        self.client
            .database(&self.cfg.room_member)
            .collection(&names::member_shard(room_id))
    }
    /// A user's room jids (`shiku_roomJids_userId.<shard>`): which rooms a user is in.
    pub fn user_room_jids(&self, user_id: i64) -> Collection<Document> {
        self.client
            .database(&self.cfg.room_jids)
            .collection(&names::user_shard(user_id))
    }
    /// A user's phone contacts (`addressbook.<shard>`, sharded like the messages).
    pub fn address_book(&self, user_id: i64) -> Collection<Document> {
        self.client
            .database(&self.cfg.addressbook)
            .collection(&names::user_shard(user_id))
    }
    pub fn room_notices(&self) -> Collection<Document> {
        self.room_db().collection(names::ROOM_NOTICE)
    }
    /// `mucmsg_<jid>`; the jid must have passed [`names::valid_room_jid`].
    pub fn mucmsg(&self, jid: &str) -> Collection<Document> {
        self.room_db().collection(&names::mucmsg(jid))
    }
    /// A user's single-chat records (`shiku_msgs.<shard>`).
    pub fn user_msgs(&self, user_id: i64) -> Collection<Document> {
        self.msgs_db().collection(&names::user_shard(user_id))
    }
    /// A user's single-chat last-chat records.
    pub fn user_lastchats(&self, user_id: i64) -> Collection<Document> {
        self.lastchat_db().collection(&names::user_shard(user_id))
    }
    pub fn muc_lastchats(&self) -> Collection<Document> {
        self.lastchat_db().collection(names::LASTCHATS_MUC)
    }
    pub fn jh_messages(&self) -> Collection<Document> {
        self.client
            .database(&self.jh_db)
            .collection(&self.jh_collection)
    }

    /// `ping` on the admin database: used by `/health`.
    pub async fn ping(&self) -> bool {
        self.client
            .database("admin")
            .run_command(bson::doc! {"ping": 1})
            .await
            .is_ok()
    }

    /// Whether the deployment can run multi-document transactions (a replica set
    /// or sharded cluster). Writes that touch several documents use one there and
    /// are ordered to be safely retried elsewhere.
    pub async fn supports_transactions(&self) -> bool {
        match self
            .client
            .database("admin")
            .run_command(bson::doc! {"hello": 1})
            .await
        {
            Ok(h) => {
                h.get_str("setName").is_ok()
                    || h.get_str("msg").map(|m| m == "isdbgrid").unwrap_or(false)
            }
            Err(_) => false,
        }
    }
}

/// Whether a write failed on a unique index (E11000).
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        _ => e.to_string().contains("E11000"),
    }
}
