//! The login hardening's stored state: `imapi.auth_keys` (the login password
//! and the uploaded key pairs), `imapi.userLoginLog` (the previous login the
//! login result reports), `imapi.userRoles` (console roles) and the stored
//! client configuration (`config`, `clientConfig`, `payConfig`).

use super::error::StoreResult;
use bson::{doc, Bson, Document};

use super::{names, Store};
use crate::util::{int_in, now_s};

/// Which stored password matched a client's MAC.
pub enum PasswordForm {
    /// The stored value is the newer `loginPassword` form.
    Current,
    /// The stored value was the older `md5(p)`; this is its newer form.
    Converted(String),
}

impl Store {
    fn auth_keys(&self) -> mongodb::Collection<Document> {
        self.imapi().collection(names::AUTH_KEYS)
    }

    pub async fn auth_keys_of(&self, user_id: i64) -> StoreResult<Option<Document>> {
        Ok(self
            .auth_keys()
            .find_one(doc! {"_id": int_in(user_id)})
            .await?)
    }

    /// `auth_keys.password`, else the user's `password` (a user the Java
    /// server never saw log in securely), as `AuthKeysController` reads it.
    pub fn login_password_of(keys: Option<&Document>, user: &Document) -> String {
        keys.and_then(|k| k.get_str("password").ok())
            .filter(|p| !p.is_empty())
            .or_else(|| user.get_str("password").ok())
            .unwrap_or("")
            .to_string()
    }

    /// Stores the login password in both places the original keeps it
    /// (`updateLoginPassword`: `auth_keys.password` and `user.password`).
    pub async fn set_login_password(&self, user_id: i64, password: &str) -> StoreResult<()> {
        let now = now_s();
        self.auth_keys()
            .update_one(
                doc! {"_id": crate::util::int32_id(user_id)},
                doc! {"$set": {"password": password, "modifyTime": now},
                "$setOnInsert": {"createTime": now}},
            )
            .upsert(true)
            .await?;
        self.users()
            .update_one(
                doc! {"_id": int_in(user_id)},
                doc! {"$set": {"password": password, "modifyTime": now}},
            )
            .await?;
        Ok(())
    }

    /// `uploadLoginKeyPair`: stores the first key pair; an existing one is
    /// kept as it is (the original logs and answers success).
    pub async fn upload_login_key(
        &self,
        user_id: i64,
        public_key: &str,
        private_key: &str,
    ) -> StoreResult<()> {
        let now = now_s();
        let r = self
            .auth_keys()
            .update_one(
                doc! {"_id": crate::util::int32_id(user_id), "loginKeyPair.privateKey": {"$in": [Bson::Null, ""]}},
                doc! {
                    "$set": {
                        "loginKeyPair.publicKey": public_key,
                        "loginKeyPair.privateKey": private_key,
                        "loginKeyPair.modifyTime": now,
                        "modifyTime": now,
                    },
                    "$setOnInsert": {"createTime": now, "loginKeyPair.createTime": now},
                },
            )
            .upsert(true)
            .await;
        match r {
            Ok(_) => Ok(()),
            // The document exists with a key pair: kept, like the original.
            Err(e) if super::is_duplicate_key(&e) => {
                tracing::warn!("login key pair of {user_id} exists already; not replaced");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the user's message key pairs (`uploadMsgKey`): each
    /// `(field, publicKey, privateKey)`, e.g. `msgRsaKeyPair`, `msgDHKeyPair`.
    pub async fn set_msg_keys(
        &self,
        user_id: i64,
        pairs: Vec<(&str, String, String)>,
    ) -> StoreResult<()> {
        if pairs.is_empty() {
            return Ok(());
        }
        let now = now_s();
        let mut set = doc! {"modifyTime": now};
        let mut update = Document::new();
        for (field, public, private) in pairs {
            if field == "msgDHKeyPair" {
                // Every DH public key a user had stays listed (`dhMsgKeyList`),
                // so that older messages still verify.
                update.insert(
                    "$push",
                    doc! {"dhMsgKeyList": {"time": now, "key": &public}},
                );
            }
            set.insert(format!("{field}.publicKey"), public);
            set.insert(format!("{field}.privateKey"), private);
            set.insert(format!("{field}.createTime"), now);
        }
        update.insert("$set", set);
        update.insert("$setOnInsert", doc! {"createTime": now});
        self.auth_keys()
            .update_one(doc! {"_id": crate::util::int32_id(user_id)}, update)
            .upsert(true)
            .await?;
        Ok(())
    }

    /// The RSA message public keys of these users (`msgRsaKeyPair.publicKey`),
    /// for those who have one.
    pub async fn rsa_public_keys(&self, users: &[i64]) -> StoreResult<Vec<(i64, String)>> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .auth_keys()
            .find(doc! {"_id": crate::util::ints_in(users)})
            .projection(doc! {"msgRsaKeyPair.publicKey": 1})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| {
                let key = d
                    .get_document("msgRsaKeyPair")
                    .ok()?
                    .get_str("publicKey")
                    .ok()?;
                Some((crate::util::num(d, "_id")?, key.to_string()))
            })
            .collect())
    }

    /// The previous login (`userLoginLog.loginLog`), if the user has one.
    pub async fn last_login(&self, user_id: i64) -> StoreResult<Option<Document>> {
        Ok(self
            .imapi()
            .collection::<Document>(names::USER_LOGIN_LOG)
            .find_one(doc! {"_id": int_in(user_id)})
            .await?
            .and_then(|d| d.get_document("loginLog").ok().cloned()))
    }

    /// `updateUserOfflineTime`: the user went offline now (the time the next
    /// login reports as `login.offlineTime`); only a user with a login log.
    pub async fn record_offline(&self, user_id: i64) -> StoreResult<()> {
        self.imapi()
            .collection::<Document>(names::USER_LOGIN_LOG)
            .update_one(
                doc! {"_id": int_in(user_id), "loginLog": {"$type": "object"}},
                doc! {"$set": {"loginLog.offlineTime": now_s()}},
            )
            .await?;
        Ok(())
    }

    /// `updateUserLoginLog`: records this login, keeping the stored `offlineTime`.
    pub async fn record_login(&self, user_id: i64, mut login: Document) -> StoreResult<()> {
        login.remove("offlineTime");
        let set: Document = login
            .into_iter()
            .map(|(k, v)| (format!("loginLog.{k}"), v))
            .collect();
        self.imapi()
            .collection::<Document>(names::USER_LOGIN_LOG)
            .update_one(
                doc! {"_id": crate::util::int32_id(user_id)},
                doc! {"$set": set, "$setOnInsert": {"loginLog.offlineTime": 0i64}},
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// The user's console role among those the console admits (`getUserRole`:
    /// 5 admin, 6 super admin, 1 guest, 4 customer service, 7 finance).
    pub async fn console_role(&self, user_id: i64) -> StoreResult<Option<Document>> {
        Ok(self
            .imapi()
            .collection::<Document>(names::USER_ROLES)
            .find_one(doc! {"userId": int_in(user_id), "role": {"$in": [5, 6, 1, 4, 7]}})
            .await?)
    }

    /// Records a console login on the role (`lastLoginTime`, seconds).
    pub async fn console_logged_in(&self, user_id: i64) -> StoreResult<()> {
        self.imapi()
            .collection::<Document>(names::USER_ROLES)
            .update_many(
                doc! {"userId": int_in(user_id), "role": {"$in": [5, 6, 1, 4, 7]}},
                doc! {"$set": {"lastLoginTime": now_s()}},
            )
            .await?;
        Ok(())
    }

    /// The roles of a user the console has not disabled (`getUserRoles`:
    /// `status` -1 is off), for the login result, `toUserType` and official
    /// accounts.
    pub async fn roles_of(&self, user_id: i64) -> StoreResult<Vec<i64>> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .imapi()
            .collection::<Document>(names::USER_ROLES)
            .find(doc! {"userId": int_in(user_id), "status": {"$ne": -1}})
            .await?
            .try_collect()
            .await?;
        Ok(docs
            .iter()
            .filter_map(|d| crate::util::num(d, "role"))
            .collect())
    }

    /// The console's settings (`config`, its one document; empty when absent).
    pub async fn system_config(&self) -> StoreResult<Document> {
        Ok(self
            .imapi()
            .collection::<Document>(names::CONFIG)
            .find_one(doc! {})
            .await?
            .unwrap_or_default())
    }

    /// The stored client configuration: `(config, clientConfig, payConfig)`,
    /// each the collection's one document (empty when absent).
    pub async fn client_config(&self) -> StoreResult<[Document; 3]> {
        let one = |name: &'static str| async move {
            self.imapi()
                .collection::<Document>(name)
                .find_one(doc! {})
                .await
                .map(Option::unwrap_or_default)
        };
        let (a, b, c) = futures::try_join!(
            one(names::CONFIG),
            one(names::CLIENT_CONFIG),
            one(names::PAY_CONFIG)
        )?;
        Ok([a, b, c])
    }
}

/// What `/user/get` shows beside a user's stored fields, read with the user
/// in one round trip ([`Store::user_with_extras`]).
#[derive(Debug, Default)]
pub struct UserExtras {
    /// `auth_keys` of the user.
    pub keys: Option<Document>,
    /// `userLoginLog.loginLog` of the user.
    pub login: Option<Document>,
    /// `userRoles.role` of the user.
    pub roles: Vec<i64>,
    /// The stored `config` document (empty when absent).
    pub config: Document,
}

impl Store {
    /// The user matching `filter` (the first), with its [`UserExtras`]: one
    /// aggregation on `user` whose lookups are equality matches on the other
    /// collections' `_id` / `userId` (indexed), and the one `config`.
    pub async fn user_with_extras(
        &self,
        filter: Document,
    ) -> StoreResult<Option<(Document, UserExtras)>> {
        use futures::TryStreamExt;
        let by_user = |from: &str, field: &str, to: &str| {
            doc! {"$lookup": {"from": from, "localField": "user._id", "foreignField": field, "as": to}}
        };
        let pipeline = [
            doc! {"$match": filter},
            doc! {"$limit": 1},
            doc! {"$replaceRoot": {"newRoot": {"user": "$$ROOT"}}},
            by_user(names::AUTH_KEYS, "_id", "keys"),
            by_user(names::USER_LOGIN_LOG, "_id", "login"),
            by_user(names::USER_ROLES, "userId", "roles"),
            doc! {"$lookup": {"from": names::CONFIG, "pipeline": [{"$limit": 1}], "as": "config"}},
        ];
        let found: Option<Document> = self.users().aggregate(pipeline).await?.try_next().await?;
        let Some(mut found) = found else {
            return Ok(None);
        };
        let mut first = |k: &str| match found.remove(k) {
            Some(Bson::Array(a)) => a.into_iter().find_map(|d| match d {
                Bson::Document(d) => Some(d),
                _ => None,
            }),
            _ => None,
        };
        let keys = first("keys");
        let login = first("login").and_then(|l| l.get_document("loginLog").ok().cloned());
        let config = first("config").unwrap_or_default();
        let roles = match found.get_array("roles") {
            Ok(a) => a
                .iter()
                .filter_map(|r| match r {
                    // Disabled by the console (`getUserRoles`).
                    Bson::Document(d) if crate::util::num(d, "status") != Some(-1) => {
                        crate::util::num(d, "role")
                    }
                    _ => None,
                })
                .collect(),
            Err(_) => vec![],
        };
        let user = match found.remove("user") {
            Some(Bson::Document(u)) => u,
            _ => return Ok(None),
        };
        Ok(Some((
            user,
            UserExtras {
                keys,
                login,
                roles,
                config,
            },
        )))
    }
}
