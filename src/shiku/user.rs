//! `/user/get` (seed section 1.1), after the original's
//! `UserController.getUser`. Login, register and logout are in `account.rs`.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Bson, Document};
use serde_json::{json, Map, Value};

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::authkeys::UserExtras;
use crate::store::friends::STATUS_FRIENDS;
use crate::util::{bson_to_json, int_in, num};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_GET, get)
        .add(&USER_OFFLINE_OPERATION, offline_operation);
}

pub const USER_OFFLINE_OPERATION: Endpoint = Endpoint {
    path: "/user/offlineOperation",
    summary: "what changed (friend, room, label) since offlineTime (s), for the client to re-sync",
    params: &[string("offlineTime")],
    ..Endpoint::shiku("", "")
};

/// `/user/offlineOperation`: `offlineTime` in seconds (a decimal is accepted,
/// as the original parses a double; default 0); `data` the records
/// `{id, userId, tag, friendId, operationTime}` newer than it. Records
/// without a `tag` are left out (Android dereferences it).
async fn offline_operation(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let after = match p.str("offlineTime") {
        None => 0,
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
            .ok_or_else(|| ShikuError::invalid("offlineTime"))?,
    };
    let docs = state
        .store
        .offline_operations(me, after, state.cfg.max_page_size)
        .await?;
    let items = docs
        .iter()
        .filter(|d| d.get_str("tag").is_ok())
        .map(crate::util::entity_to_json)
        .collect();
    Ok(crate::util::ok_data(Value::Array(items)))
}

/// Never answered to anyone (`user.setBalance(null)`, `balanceSafe`).
const NEVER_SENT: &[&str] = &["balance", "balanceSafe"];

/// Removed when the caller reads someone else (`User.buildNoSelfUserVo`).
const HIDDEN_FROM_OTHERS: &[&str] = &[
    "password",
    "openid",
    "aliUserId",
    "userKey",
    "loginLog",
    "offlineNoPushMsg",
    "dhMsgPrivateKey",
    "rsaMsgPrivateKey",
    "dhMsgPublicKey",
    "rsaMsgPublicKey",
    "privateKey",
    "payKey",
    "secretKey",
];

/// Computed for the caller's own profile only (never from a stored copy).
const SELF_ONLY: &[&str] = &["role", "myInviteCode"];

/// Zeroed for others (`buildNoSelfUserVo`): counters and money totals.
const ZEROED_FOR_OTHERS: &[(&str, f64, bool)] = &[
    ("attCount", 0.0, false),
    ("fansCount", 0.0, false),
    ("friendsCount", 0.0, false),
    ("msgNum", 0.0, false),
    ("totalRecharge", 0.0, true),
    ("totalConsume", 0.0, true),
];

/// The `User` bean as the original answers it: `_id` becomes `userId`, nulls
/// are omitted, `payPassword` only says whether one is set ("1") or not ("0").
pub fn user_json(d: &Document, is_self: bool, relation: Option<&Document>) -> Value {
    let mut m = Map::new();
    for (k, v) in d {
        if crate::util::is_unset(v) || NEVER_SENT.contains(&k.as_str()) {
            continue;
        }
        if !is_self && (HIDDEN_FROM_OTHERS.contains(&k.as_str()) || SELF_ONLY.contains(&k.as_str()))
        {
            continue;
        }
        let key = if k == "_id" { "userId" } else { k.as_str() };
        m.insert(key.to_string(), bson_to_json(v));
    }
    let pay_set = is_self
        && matches!(d.get("payPassword"), Some(Bson::String(s)) if !s.is_empty() && s != "0");
    m.insert(
        "payPassword".into(),
        Value::String(if pay_set { "1" } else { "0" }.into()),
    );
    if !is_self {
        for (k, _, is_double) in ZEROED_FOR_OTHERS {
            if m.contains_key(*k) {
                let z = if *is_double {
                    serde_json::json!(0.0)
                } else {
                    serde_json::json!(0)
                };
                m.insert((*k).to_string(), z);
            }
        }
        if let Some(f) = relation {
            m.insert("friends".into(), super::friends::friend_json(f));
        }
    }
    crate::util::sorted_deep(Value::Object(m))
}

pub const USER_GET: Endpoint = Endpoint {
    path: "/user/get",
    summary: "a user's profile (own by default)",
    params: &[int("userId")],
    ..Endpoint::shiku("", "")
};

/// `/user/get`: `userId` (optional: a userId, or else an account number; empty
/// or 0 = the caller). The caller sees their own document; another user's
/// public profile hides secrets and private counters.
async fn get(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let store = &state.store;
    let by_id = |id: i64| store.user_with_extras(doc! {"_id": int_in(id)});
    let by_account = |t: &str| store.user_with_extras(doc! {"account": t});
    let found = match p.str("userId") {
        None => by_id(me).await?,
        Some(t) => match t.parse::<i32>() {
            Ok(0) => by_id(me).await?,
            Ok(id) => match by_id(id as i64).await? {
                Some(u) => Some(u),
                None => by_account(t).await?,
            },
            Err(_) => by_account(t).await?,
        },
    };
    let (user, extras) = found.ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    Ok(crate::util::ok_data(
        profile_json(&state, me, &user, Some(extras)).await?,
    ))
}

/// `user` as `/user/get` answers it to `me`: the stored fields the caller may
/// see, the relation, and what the original computes (from `extras`, read
/// here when not given).
pub(super) async fn profile_json(
    state: &AppState,
    me: i64,
    user: &Document,
    extras: Option<UserExtras>,
) -> ShikuResult<Value> {
    let uid = num(user, "_id").ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    let is_self = uid == me;
    let store = &state.store;
    let extras = async {
        match extras {
            Some(e) => Ok(e),
            None => Ok(store
                .user_with_extras(doc! {"_id": int_in(uid)})
                .await?
                .map(|(_, e)| e)
                .unwrap_or_default()),
        }
    };
    // Another user's profile also needs the relation and the caller's own
    // settings (their moments filters): read together.
    let others = async {
        if is_self {
            Ok((None, None))
        } else {
            futures::try_join!(store.friend(me, uid), store.user_by_id(me))
        }
    };
    let (extras, (relation, requester)) = futures::try_join!(extras, others)?;
    let requester = if is_self {
        Some(user)
    } else {
        requester.as_deref()
    };
    let mut out = user_json(user, is_self, relation.as_deref());
    if let Some(settings) = out.get_mut("settings") {
        super::profile::with_setting_defaults(settings);
    }
    let computed = computed_fields(state, me, user, relation.as_deref(), requester, extras).await?;
    if let Value::Object(m) = &mut out {
        m.extend(computed);
    }
    Ok(crate::util::sorted_deep(out))
}

/// The `User` fields the original computes for `/user/get` instead of storing
/// them (`@NotSaved`/`@Transient`; stored copies, if any, are overridden):
/// - `walletUserNo`: 1 when the user's `auth_keys.walletUserNo` is set;
/// - `isOpenResetPwd`: always 0 (only the console sets it);
/// - `notLetSeeHim` / `notSeeHim`: whether the caller's moments filters
///   (`settings.notSeeFilterCircleUserIds` / `filterCircleUserIds`) hold the user;
/// - `showLastLoginTime`: the user's last login (`userLoginLog`, seconds) when
///   their `settings.showLastLoginTime` lets the caller see it (-1 themselves,
///   1 everyone, 2 friends), else 0;
/// - telephone fields blanked for others as `settings.showTelephone` says
///   (-1 nobody, 2/3 friends, 1 everyone);
/// - own profile only: `role` (the `userRoles` list), `myInviteCode` (`""`
///   unless the deployment runs promotion codes, `registerInviteCode` 2) and
///   the message key pairs of `auth_keys` (`dh/rsaMsgPublicKey/PrivateKey`).
async fn computed_fields(
    state: &AppState,
    me: i64,
    user: &Document,
    relation: Option<&Document>,
    requester: Option<&Document>,
    extras: UserExtras,
) -> ShikuResult<Map<String, Value>> {
    let uid = num(user, "_id").ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    let is_self = uid == me;
    let UserExtras {
        keys,
        login,
        roles,
        config,
    } = extras;
    let setting = |d: &Document, k: &str| d.get_document("settings").ok().and_then(|s| num(s, k));
    let is_friend = relation.is_some_and(|f| num(f, "status") == Some(STATUS_FRIENDS as i64));
    // -1 only themselves, 1 everyone, 2 friends, 3 address-book contacts
    // (none are kept here: friends stand for them); other values as the original.
    let visible = |setting: Option<i64>, otherwise: bool| match setting.unwrap_or(-1) {
        -1 => is_self,
        1 => true,
        2 | 3 => is_self || is_friend,
        _ => otherwise,
    };
    let last_login = login
        .as_ref()
        .and_then(|l| num(l, "loginTime"))
        .unwrap_or(0);
    let mut m = viewer_fields(uid, keys.as_ref(), requester);
    let shown = visible(setting(user, "showLastLoginTime"), false);
    m.insert(
        "showLastLoginTime".into(),
        json!(if shown { last_login } else { 0 }),
    );
    if !is_self {
        if !visible(setting(user, "showTelephone"), true) {
            for k in ["areaCode", "telephone", "phone"] {
                if user.contains_key(k) {
                    m.insert(k.into(), json!(""));
                }
            }
        }
        return Ok(m);
    }
    own_fields(state, me, &mut m, roles, &config, keys.as_ref()).await?;
    Ok(m)
}

/// `walletUserNo`, `isOpenResetPwd` and the caller's (`requester`) moments
/// filters on user `uid` (`notLetSeeHim`, `notSeeHim`).
fn viewer_fields(
    uid: i64,
    keys: Option<&Document>,
    requester: Option<&Document>,
) -> Map<String, Value> {
    let in_set = |k: &str| {
        requester
            .as_ref()
            .and_then(|r| r.get_document("settings").ok())
            .and_then(|s| s.get_array(k).ok())
            .is_some_and(|a| a.iter().any(|v| crate::util::bson_i64(v) == Some(uid)))
    };
    let wallet = keys
        .and_then(|k| k.get_str("walletUserNo").ok())
        .is_some_and(|w| !w.is_empty());
    let mut m = Map::new();
    m.insert("walletUserNo".into(), json!(i32::from(wallet)));
    m.insert("isOpenResetPwd".into(), json!(0));
    m.insert(
        "notLetSeeHim".into(),
        json!(in_set("notSeeFilterCircleUserIds")),
    );
    m.insert("notSeeHim".into(), json!(in_set("filterCircleUserIds")));
    m
}

/// The fields of the caller's own profile: `role`, `myInviteCode` and the
/// message key pairs of `auth_keys`.
async fn own_fields(
    state: &AppState,
    me: i64,
    m: &mut Map<String, Value>,
    roles: Vec<i64>,
    config: &Document,
    keys: Option<&Document>,
) -> ShikuResult<()> {
    let invite = if num(config, "registerInviteCode") == Some(2) {
        state.store.invite_code_of(me).await?.unwrap_or_default()
    } else {
        String::new()
    };
    m.insert("role".into(), json!(roles));
    m.insert("myInviteCode".into(), json!(invite));
    for (pair, public, private) in [
        ("msgDHKeyPair", "dhMsgPublicKey", "dhMsgPrivateKey"),
        ("msgRsaKeyPair", "rsaMsgPublicKey", "rsaMsgPrivateKey"),
    ] {
        let pair = keys.and_then(|k| k.get_document(pair).ok());
        for (field, key) in [(public, "publicKey"), (private, "privateKey")] {
            if let Some(v) = pair.and_then(|p| p.get_str(key).ok()) {
                m.insert(field.into(), json!(v));
            }
        }
    }
    Ok(())
}
