//! Group helpers (Android's group assistants): the console's catalogue
//! (`/open/getHelperList`), helpers added to a room, and their auto-reply
//! keywords, which are only kept (neither the original nor the clients match
//! them). Unlike the original, which checks nothing, adding, removing and
//! editing need the room's owner or an admin (the only ones Android offers
//! it to).

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde_json::Value;

use super::room::{room_with_seat, Locked, Need};
use crate::http::endpoint::{string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::model::Room;
use crate::util::{entity_to_json, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&GET_HELPER_LIST, helper_list)
        .add(&ADD_GROUP_HELPER, add_group_helper)
        .add(&QUERY_GROUP_HELPER, query_group_helper)
        .add(&DELETE_GROUP_HELPER, delete_group_helper)
        .add(&ADD_AUTO_RESPONSE, add_auto_response)
        .add(&UPDATE_AUTO_RESPONSE, update_auto_response)
        .add(&DELETE_AUTO_RESPONSE, delete_auto_response);
}

/// The room (by its hex id) when the caller manages it.
async fn managed_room(state: &AppState, me: i64, room_hex: &str) -> ShikuResult<Room> {
    let id = ObjectId::parse_str(room_hex).map_err(|_| ShikuError::invalid("roomId"))?;
    let (room, _) = room_with_seat(state, &id, me, Locked::Serve, Need::Manage).await?;
    Ok(room)
}

/// A keyword as answered (`{id, keyWord, value}`), whether stored with a
/// String `id` (older server) or an ObjectId `_id` (newer).
fn keyword_json(k: &Document) -> Value {
    let id = k
        .get_str("id")
        .map(str::to_string)
        .or_else(|_| k.get_object_id("_id").map(|o| o.to_hex()))
        .unwrap_or_default();
    serde_json::json!({"id": id, "keyWord": k.get_str("keyWord").unwrap_or(""), "value": k.get_str("value").unwrap_or("")})
}

fn keyword_id(k: &Document) -> String {
    keyword_json(k)["id"].as_str().unwrap_or("").to_string()
}

fn keywords(gh: &Document) -> Vec<Document> {
    gh.get_array("keywords")
        .map(|a| a.iter().filter_map(|b| b.as_document().cloned()).collect())
        .unwrap_or_default()
}

/// A room helper as answered, with its catalogue entry (`helper`).
fn group_helper_json(gh: &Document, helper: Option<&Document>) -> Value {
    let mut d = gh.clone();
    let kws = keywords(gh);
    d.remove("keywords");
    let mut v = entity_to_json(&d);
    if gh.contains_key("keywords") {
        v["keywords"] = Value::Array(kws.iter().map(keyword_json).collect());
    }
    if let Some(h) = helper {
        v["helper"] = entity_to_json(h);
    }
    v
}

pub const GET_HELPER_LIST: Endpoint = Endpoint {
    path: "/open/getHelperList",
    summary: "the group helpers the console offers",
    params: &[string("openAppId"), PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

async fn helper_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    state.user(&req, &p).await?;
    let (_, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let docs = state
        .store
        .helper_list(p.str("openAppId"), skip, size)
        .await?;
    Ok(ok_data(Value::Array(
        docs.iter().map(entity_to_json).collect(),
    )))
}

pub const ADD_GROUP_HELPER: Endpoint = Endpoint {
    path: "/room/addGroupHelper",
    summary: "add a helper to a room (owner and admins)",
    params: &[
        string("helperId").required(),
        string("roomId").required(),
        string("roomJid").required(),
    ],
    ..Endpoint::shiku("", "")
};

async fn add_group_helper(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let helper_id = p.object_id("helperId")?;
    let room_hex = p.required("roomId")?;
    let jid = p.required("roomJid")?;
    let room = managed_room(&state, me, room_hex).await?;
    if room.get_str("jid") != Ok(jid) {
        return Err(ShikuError::invalid("roomJid"));
    }
    let Some(helper) = state.store.helper(&helper_id).await? else {
        return Err(ShikuError::Failure("群助手不存在".into()));
    };
    if !state
        .store
        .room_helpers(room_hex, Some(&helper_id.to_hex()))
        .await?
        .is_empty()
    {
        return Err(ShikuError::Failure("已存在".into()));
    }
    let gh = doc! {
        "_id": ObjectId::new(),
        "helperId": helper_id.to_hex(),
        "roomId": room_hex,
        "roomJid": jid,
        "userId": crate::util::int32_id(me),
    };
    state.store.add_group_helper(gh.clone()).await?;
    Ok(ok_data(group_helper_json(&gh, Some(&helper))))
}

pub const QUERY_GROUP_HELPER: Endpoint = Endpoint {
    path: "/room/queryGroupHelper",
    summary: "a room's helpers with their keywords (helperId narrows to one)",
    params: &[string("roomId").required(), string("helperId")],
    ..Endpoint::shiku("", "")
};

async fn query_group_helper(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let room_hex = p.required("roomId")?;
    let id = ObjectId::parse_str(room_hex).map_err(|_| ShikuError::invalid("roomId"))?;
    room_with_seat(&state, &id, me, Locked::Serve, Need::Read).await?;
    let one = p.str("helperId");
    let mut out = Vec::new();
    for gh in state.store.room_helpers(room_hex, one).await? {
        let helper = match gh
            .get_str("helperId")
            .ok()
            .and_then(|h| ObjectId::parse_str(h).ok())
        {
            Some(h) => state.store.helper(&h).await?,
            None => None,
        };
        if helper.is_some() || one.is_some() {
            out.push(group_helper_json(&gh, helper.as_ref()));
        }
    }
    Ok(ok_data(Value::Array(out)))
}

/// A room helper of a room the caller manages; 100417 when there is none.
async fn managed_group_helper(state: &AppState, me: i64, id: &ObjectId) -> ShikuResult<Document> {
    let gh = state
        .store
        .group_helper(id)
        .await?
        .ok_or_else(|| ShikuError::from(codes::HELPER_GONE))?;
    managed_room(state, me, gh.get_str("roomId").unwrap_or("")).await?;
    Ok(gh)
}

pub const DELETE_GROUP_HELPER: Endpoint = Endpoint {
    path: "/room/deleteGroupHelper",
    summary: "remove a helper from a room (owner and admins)",
    params: &[string("groupHelperId").required()],
    ..Endpoint::shiku("", "")
};

async fn delete_group_helper(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = p.object_id("groupHelperId")?;
    managed_group_helper(&state, me, &id).await?;
    if !state.store.delete_group_helper(&id).await? {
        return Err(codes::DELETE_FAILED.into());
    }
    Ok(ok())
}

const MAX_KEYWORD: usize = 100;
const MAX_REPLY: usize = 2000;

fn keyword_params(p: &Params) -> ShikuResult<(String, String)> {
    let keyword = p.required("keyword")?;
    let value = p.required("value")?;
    if keyword.chars().count() > MAX_KEYWORD {
        return Err(ShikuError::invalid("keyword"));
    }
    if value.chars().count() > MAX_REPLY {
        return Err(ShikuError::invalid("value"));
    }
    Ok((keyword.to_string(), value.to_string()))
}

pub const ADD_AUTO_RESPONSE: Endpoint = Endpoint {
    path: "/room/addAutoResponse",
    summary: "add a keyword and its reply to a room's helper",
    params: &[
        string("roomId").required(),
        string("helperId").required(),
        string("keyword").required(),
        string("value").required(),
        string("roomJid"),
    ],
    ..Endpoint::shiku("", "")
};

async fn add_auto_response(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let room_hex = p.required("roomId")?;
    let helper_id = p.required("helperId")?;
    p.str("roomJid");
    let (keyword, value) = keyword_params(&p)?;
    managed_room(&state, me, room_hex).await?;
    let Some(gh) = state
        .store
        .room_helpers(room_hex, Some(helper_id))
        .await?
        .into_iter()
        .next()
    else {
        return Err(ShikuError::Failure("该群助手不存在".into()));
    };
    let mut kws = keywords(&gh);
    if kws
        .iter()
        .any(|k| k.get_str("keyWord") == Ok(keyword.as_str()))
    {
        return Err(ShikuError::Failure("关键字已存在".into()));
    }
    let kw = doc! {"id": ObjectId::new().to_hex(), "keyWord": &keyword, "value": &value};
    kws.push(kw.clone());
    let gh_id = gh
        .get_object_id("_id")
        .map_err(|_| crate::store::StoreError::Corrupt("groupHelper without _id".into()))?;
    state.store.set_keywords(&gh_id, kws).await?;
    Ok(ok_data(keyword_json(&kw)))
}

pub const UPDATE_AUTO_RESPONSE: Endpoint = Endpoint {
    path: "/room/updateAutoResponse",
    summary: "change a keyword and its reply",
    params: &[
        string("groupHelperId").required(),
        string("keyWordId").required(),
        string("keyword").required(),
        string("value").required(),
    ],
    ..Endpoint::shiku("", "")
};

async fn update_auto_response(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = p.object_id("groupHelperId")?;
    let kw_id = p.required("keyWordId")?;
    let (keyword, value) = keyword_params(&p)?;
    let gh = managed_group_helper(&state, me, &id).await?;
    let mut kws = keywords(&gh);
    let Some(k) = kws.iter_mut().find(|k| keyword_id(k) == kw_id) else {
        return Err(codes::KEYWORD_GONE.into());
    };
    k.insert("keyWord", keyword);
    k.insert("value", value);
    state.store.set_keywords(&id, kws).await?;
    Ok(ok())
}

pub const DELETE_AUTO_RESPONSE: Endpoint = Endpoint {
    path: "/room/deleteAutoResponse",
    summary: "remove a keyword",
    params: &[
        string("groupHelperId").required(),
        string("keyWordId").required(),
    ],
    ..Endpoint::shiku("", "")
};

async fn delete_auto_response(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = p.object_id("groupHelperId")?;
    let kw_id = p.required("keyWordId")?;
    let gh = managed_group_helper(&state, me, &id).await?;
    let mut kws = keywords(&gh);
    let before = kws.len();
    kws.retain(|k| keyword_id(k) != kw_id);
    if kws.len() == before {
        return Err(codes::KEYWORD_GONE.into());
    }
    state.store.set_keywords(&id, kws).await?;
    Ok(ok())
}
