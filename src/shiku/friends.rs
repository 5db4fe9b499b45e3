//! `/friends/page` and `/friends/add` (seed sections 1.2 and 1.5),
//! after the original's `FriendsController`.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::Document;
use serde_json::{json, Value};

use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::friends::{PageQuery, STATUS_FRIENDS, SYSTEM_USER_ID};
use crate::util::{now_s, num, page_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&FRIENDS_PAGE, page)
        .add(&FRIENDS_ATTENTION_LIST, attention_list)
        .add(&FRIENDS_ADD, add);
}

type DefaultValue = fn() -> Value;

/// Fields of the original's `Friends` entity with their Java defaults: a stored
/// document lacking one is answered with the default, as the entity would be.
const FRIEND_DEFAULTS: &[(&str, DefaultValue)] = &[
    ("blacklist", || json!(0)),
    ("chatRecordTimeOut", || json!(-1.0)),
    ("createTime", || json!(0)),
    ("fromAddType", || json!(0)),
    ("isBeenBlack", || json!(0)),
    ("isOpenSnapchat", || json!(0)),
    ("lastTalkTime", || json!(0)),
    ("modifyTime", || json!(0)),
    ("msgNum", || json!(0)),
    ("offlineNoPushMsg", || json!(0)),
    ("openTopChatTime", || json!(0)),
    ("toUserId", || json!(0)),
    ("toUserType", || json!(0)),
    ("userId", || json!(0)),
];

/// A relation as the original serializes a `Friends` bean: `_id` is not
/// serialized, nulls are omitted, keys sorted.
pub fn friend_json(d: &Document) -> Value {
    let mut m = crate::util::fields_json(d, None);
    for (k, f) in FRIEND_DEFAULTS {
        if !m.contains_key(*k) {
            m.insert((*k).to_string(), f());
        }
    }
    crate::util::sorted_object(m)
}

pub const FRIENDS_PAGE: Endpoint = Endpoint {
    path: "/friends/page",
    summary: "the caller's friends, paged",
    params: &[
        PAGE[0],
        PAGE[1],
        int("userId").required(),
        string("keyword"),
        int("status").default(2),
    ],
    ..Endpoint::shiku("", "")
};

/// `/friends/page`: `userId` (required by the original, then ignored: the
/// caller's own relations are listed), `keyword`, `status` (default 2),
/// `pageIndex` (default 0), `pageSize` (default 10, bounded).
async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    // `@RequestParam Integer userId`: must be present and an integer.
    p.i32_required("userId")?;
    let status = p.i32_or("status", STATUS_FRIENDS)?;
    let (index, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let keyword = p.search_text("keyword", crate::http::params::MAX_SEARCH_CHARS);
    let (docs, total) = state
        .store
        .friends_page(&PageQuery {
            user_id: me,
            status,
            keyword,
            skip,
            limit: size,
        })
        .await?;
    let items = relations_json(&state, &docs).await?;
    // The seed's clients read `pageData`; the deployment's PC client (2022)
    // reads the later server's `data`: both are answered.
    let mut page = page_data(items, index, size, total as i64);
    page["data"] = page["pageData"].clone();
    Ok(crate::util::ok_data(page))
}

/// Relations as the lists answer them: each with the friend's current
/// nickname (except the system account's), as the original does.
async fn relations_json(state: &AppState, docs: &[Document]) -> ShikuResult<Vec<Value>> {
    let ids: Vec<i64> = docs
        .iter()
        .filter_map(|d| num(d, "toUserId"))
        .filter(|id| *id != SYSTEM_USER_ID)
        .collect();
    let names = state.store.nicknames(&ids).await?;
    Ok(docs
        .iter()
        .map(|d| {
            let mut v = friend_json(d);
            if let Some(n) = num(d, "toUserId").and_then(|id| names.get(&id)) {
                v["toNickname"] = Value::String(n.clone());
            }
            v
        })
        .collect())
}

pub const FRIENDS_ATTENTION_LIST: Endpoint = Endpoint {
    path: "/friends/attention/list",
    summary: "the caller's friends as one list (or the relations of another `status`)",
    params: &[int("status")],
    ..Endpoint::shiku("", "")
};

/// `/friends/attention/list` (Android's data download, which stops on any
/// failure): the caller's relations of one `status` (2 friends, the
/// default as in the original's `queryFollow`; 1 attention) as one list, in
/// stored order, unpaged as the original's (at most [`WHOLE_LIST_MAX`]).
/// Android saves every row it gets as a contact: pending requests and
/// strangers are not among them; iOS deletes every contact it does not get.
async fn attention_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let status = match p.i32_or("status", 0)? {
        0 => STATUS_FRIENDS,
        s => s,
    };
    let (docs, _) = state
        .store
        .friends_page(&PageQuery {
            user_id: me,
            status,
            keyword: None,
            skip: 0,
            limit: WHOLE_LIST_MAX,
        })
        .await?;
    Ok(crate::util::ok_data(Value::Array(
        relations_json(&state, &docs).await?,
    )))
}

/// The most relations `/friends/attention/list` answers: far beyond any
/// real contact list (the original set no bound), a bound on one answer's
/// size all the same.
const WHOLE_LIST_MAX: i64 = 50_000;

pub const FRIENDS_ADD: Endpoint = Endpoint {
    path: "/friends/add",
    summary: "add a friend",
    params: &[int("toUserId").required()],
    ..Endpoint::shiku("", "")
};

/// `/friends/add`: `toUserId` (required). Creates (or turns into friendship)
/// both directions of the relation.
async fn add(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to = p.i32_required("toUserId")? as i64;
    if to == me {
        return Ok(ShikuError::returned(codes::NOT_ADD_SELF));
    }
    if let Some(f) = state.store.friend(me, to).await? {
        if f.status()? == Some(STATUS_FRIENDS as i64) {
            return Ok(ShikuError::returned(codes::FRIENDS_IS_EXIST));
        }
    }
    let to_user = super::user_or_unknown(&state, to).await?;
    let me_user = super::user_or_unknown(&state, me).await?;
    state.store.befriend(&me_user, &to_user, now_s()).await?;
    super::note_friend_change(&state, me, to).await;
    Ok(crate::util::ok())
}
