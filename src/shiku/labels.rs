//! `/friendGroup/*`: the caller's friend labels, after the original's
//! `FriendGroupController` (Android's label screens). Every change is the
//! caller's own: another user's label id changes nothing.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{oid::ObjectId, Bson, Document};
use serde_json::Value;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{bson_to_json, doc_to_json, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&FRIEND_GROUP_LIST, list)
        .add(&FRIEND_GROUP_ADD, add)
        .add(&FRIEND_GROUP_UPDATE, update)
        .add(&FRIEND_GROUP_DELETE, delete)
        .add(&FRIEND_GROUP_UPDATE_GROUP_USER_LIST, update_group_user_list)
        .add(&FRIEND_GROUP_UPDATE_FRIEND, update_friend);
}

/// Longest label name taken (characters).
const MAX_NAME_CHARS: usize = 64;
/// Most friends on one label / labels named in one request.
const MAX_IDS: usize = 5000;

/// A label as the original answers it: `_id` as `groupId`.
fn label_json(d: &Document) -> Value {
    let mut d = d.clone();
    let id = d.remove("_id");
    let mut v = doc_to_json(&d);
    if let Some(id) = id {
        v["groupId"] = bson_to_json(&id);
    }
    v
}

fn group_id(p: &Params, name: &str) -> ShikuResult<ObjectId> {
    p.object_id(name)
}

fn group_name(p: &Params) -> ShikuResult<&str> {
    let name = p.required("groupName")?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ShikuError::invalid("groupName"));
    }
    Ok(name)
}

/// `groupName`, when the caller has no label of that name yet (100701).
async fn free_name<'p>(state: &AppState, me: i64, p: &'p Params) -> ShikuResult<&'p str> {
    let name = group_name(p)?;
    if state.store.label_name_taken(me, name).await? {
        return Err(codes::LABEL_NAME_TAKEN.into());
    }
    Ok(name)
}

/// A comma list (`1,2,3`); items that do not parse are skipped, as the
/// original's `StringUtil.getIntList`.
fn comma_list<T: std::str::FromStr>(p: &Params, name: &str) -> ShikuResult<Vec<T>> {
    let items: Vec<T> = p
        .str(name)
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if items.len() > MAX_IDS {
        return Err(ShikuError::invalid(name));
    }
    Ok(items)
}

pub const FRIEND_GROUP_LIST: Endpoint = Endpoint {
    path: "/friendGroup/list",
    summary: "the caller's friend labels",
    ..Endpoint::shiku("", "")
};

/// `/friendGroup/list`: `groupId`, `groupName`, `userId`, `createTime`, `userIdList`.
async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let docs = state
        .store
        .friend_groups(me, state.cfg.max_page_size)
        .await?;
    Ok(ok_data(Value::Array(docs.iter().map(label_json).collect())))
}

/// Tells the caller's other devices that the labels changed (the original's
/// `multipointLoginUpdateFriendsGroup`).
async fn note_label_change(state: &AppState, me: i64) {
    super::note_for_other_devices("label", state.store.note_label_change(me)).await;
}

pub const FRIEND_GROUP_ADD: Endpoint = Endpoint {
    path: "/friendGroup/add",
    summary: "create a label (100701 when the name exists)",
    params: &[string("groupName").required()],
    ..Endpoint::shiku("", "")
};

/// `/friendGroup/add`: answers the new label (empty `userIdList`).
async fn add(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let name = free_name(&state, me, &p).await?;
    let label = state.store.add_label(me, name).await?;
    note_label_change(&state, me).await;
    Ok(ok_data(label_json(&label)))
}

pub const FRIEND_GROUP_UPDATE: Endpoint = Endpoint {
    path: "/friendGroup/update",
    summary: "rename a label",
    params: &[string("groupId").required(), string("groupName").required()],
    ..Endpoint::shiku("", "")
};

/// `/friendGroup/update`: 100701 when the caller has a label of that name.
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = group_id(&p, "groupId")?;
    let name = free_name(&state, me, &p).await?;
    state
        .store
        .set_label(me, &id, bson::doc! {"groupName": name})
        .await?;
    note_label_change(&state, me).await;
    Ok(ok())
}

pub const FRIEND_GROUP_DELETE: Endpoint = Endpoint {
    path: "/friendGroup/delete",
    summary: "delete a label",
    params: &[string("groupId").required()],
    ..Endpoint::shiku("", "")
};

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = group_id(&p, "groupId")?;
    state.store.delete_label(me, &id).await?;
    note_label_change(&state, me).await;
    Ok(ok())
}

pub const FRIEND_GROUP_UPDATE_GROUP_USER_LIST: Endpoint = Endpoint {
    path: "/friendGroup/updateGroupUserList",
    summary: "set the friends on a label (comma list; empty clears it)",
    params: &[string("groupId").required(), string("userIdListStr")],
    ..Endpoint::shiku("", "")
};

async fn update_group_user_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = group_id(&p, "groupId")?;
    let ids: Vec<i32> = comma_list(&p, "userIdListStr")?;
    let list: Vec<Bson> = ids.into_iter().map(Bson::Int32).collect();
    state
        .store
        .set_label(me, &id, bson::doc! {"userIdList": list})
        .await?;
    note_label_change(&state, me).await;
    Ok(ok())
}

pub const FRIEND_GROUP_UPDATE_FRIEND: Endpoint = Endpoint {
    path: "/friendGroup/updateFriend",
    summary: "set the labels one friend carries (comma list of groupIds; empty removes all)",
    params: &[int("toUserId").required(), string("groupIdStr")],
    ..Endpoint::shiku("", "")
};

/// `/friendGroup/updateFriend`: done before answering (the original answers
/// first and updates in the background).
async fn update_friend(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let friend = p.i32_required("toUserId")? as i64;
    let ids: Vec<ObjectId> = comma_list(&p, "groupIdStr")?;
    state.store.set_friend_labels(me, friend, &ids).await?;
    note_label_change(&state, me).await;
    Ok(ok())
}
