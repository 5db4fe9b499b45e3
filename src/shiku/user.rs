//! `/user/get` (seed section 1.1), after the original's
//! `UserController.getUser`. Login, register and logout are in `account.rs`.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{Bson, Document};
use serde_json::{Map, Value};

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{bson_to_json, num};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_GET, get)
        .add(&USER_OFFLINE_OPERATION, offline_operation)
        .add(&ADDRESS_BOOK_GET_ALL, address_book_get_all);
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

pub const ADDRESS_BOOK_GET_ALL: Endpoint = Endpoint {
    path: "/addressBook/getAll",
    summary: "the caller's registered phone contacts (none: the deployment does not show contacts)",
    params: &[string("telephone"), int("pageIndex"), int("pageSize")],
    ..Endpoint::shiku("", "")
};

/// `/addressBook/getAll`: the original answers a bare success (no `data`)
/// while `showContactsUser` is 0, which is what `/config` announces; Android
/// then keeps its contacts as they are.
async fn address_book_get_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    state.user(&req, &p).await?;
    p.page(20, state.cfg.max_page_size)?;
    Ok(crate::util::ok())
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

/// Zeroed for others (`buildNoSelfUserVo`): counters and money totals.
const ZEROED_FOR_OTHERS: &[(&str, f64, bool)] = &[
    ("attCount", 0.0, false),
    ("fansCount", 0.0, false),
    ("friendsCount", 0.0, false),
    ("msgNum", 0.0, false),
    ("totalRecharge", 0.0, true),
    ("totalConsume", 0.0, true),
];

/// fastjson writes bean fields sorted by name at every level.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> =
                m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The `User` bean as the original answers it: `_id` becomes `userId`, nulls
/// are omitted, `payPassword` only says whether one is set ("1") or not ("0").
pub fn user_json(d: &Document, is_self: bool, relation: Option<&Document>) -> Value {
    let mut m = Map::new();
    for (k, v) in d {
        if matches!(v, Bson::Null) || NEVER_SENT.contains(&k.as_str()) {
            continue;
        }
        if !is_self && HIDDEN_FROM_OTHERS.contains(&k.as_str()) {
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
    sorted(Value::Object(m))
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
    let target = p.str("userId");
    let user = match target {
        None => state.store.user_by_id(me).await?,
        Some(t) => match t.parse::<i32>() {
            Ok(0) => state.store.user_by_id(me).await?,
            Ok(id) => match state.store.user_by_id(id as i64).await? {
                Some(u) => Some(u),
                None => state.store.user_by_account(t).await?,
            },
            Err(_) => state.store.user_by_account(t).await?,
        },
    };
    let user = user.ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    let uid = num(&user, "_id").unwrap_or(0);
    let is_self = uid == me;
    let relation = if is_self {
        None
    } else {
        state.store.friend(me, uid).await?
    };
    Ok(crate::util::ok_data(user_json(
        &user,
        is_self,
        relation.as_ref(),
    )))
}
