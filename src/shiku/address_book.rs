//! `/addressBook/*`: the phone contacts Android uploads, after the newer
//! original's `AddressBookController` (storage in `store/addressbook.rs`).

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde::Deserialize;
use serde_json::Value;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{entity_to_json, int32_id, num, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&ADDRESS_BOOK_GET_ALL, get_all)
        .add(&ADDRESS_BOOK_UPLOAD, upload);
}

/// Numbers one upload may carry (a large phone book; the body limit applies too).
const MAX_CONTACTS: usize = 10_000;

pub const ADDRESS_BOOK_GET_ALL: Endpoint = Endpoint {
    path: "/addressBook/getAll",
    summary: "the caller's uploaded contacts that are registered users",
    params: &[string("telephone"), int("pageIndex"), int("pageSize")],
    ..Endpoint::shiku("", "")
};

/// `/addressBook/getAll`: the caller's contacts with `registerEd: 1`, in
/// upload order (`telephone`, which Android sends, is ignored as by the
/// original: the owner is the caller). Without `pageSize` every one is
/// answered (up to `MAX_PAGE_SIZE`), as Android, which sends none, expects.
async fn get_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let max = state.cfg.max_page_size;
    let (_, size, skip) = p.page_skip(max, max)?;
    let rows = state.store.registered_contacts(me, skip, size).await?;
    Ok(ok_data(Value::Array(
        rows.iter().map(entity_to_json).collect(),
    )))
}

pub const ADDRESS_BOOK_UPLOAD: Endpoint = Endpoint {
    path: "/addressBook/upload",
    summary: "store phone contacts (uploadJsonStr, or uploadStr), or delete some (deleteStr)",
    params: &[
        string("uploadJsonStr"),
        string("uploadStr"),
        string("deleteStr"),
    ],
    ..Endpoint::shiku("", "")
};

/// One contact of `uploadJsonStr` as Android sends it (`[{"toRemarkName":
/// "老周","toTelephone":"8615768779999"}]`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contact {
    to_telephone: Option<String>,
    to_remark_name: Option<String>,
}

/// `/addressBook/upload`, the first of these that is sent:
/// - `deleteStr` (comma list of numbers): those contacts are deleted;
/// - `uploadStr` (comma list of numbers, the older form) or `uploadJsonStr`
///   (JSON array of `{toTelephone, toRemarkName}`): numbers not stored yet
///   (and not the caller's own) are stored, each marked registered or not
///   and `status` 2 when already friends, else 0; the answer lists the
///   registered ones as stored (with their `id`).
///
/// Numbers are compared without spaces and `-`, as the original strips them.
/// The original's automatic friendship (`isAutoAddressBook`, status 1) is
/// not done: the deployment does not enable it.
async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    if let Some(list) = p.str("deleteStr") {
        let numbers: Vec<String> = comma_numbers(list, "deleteStr")?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        state.store.delete_contacts(me, &numbers).await?;
        return Ok(ok());
    }
    let contacts = sent_contacts(&p)?;
    let owner = super::user_or_unknown(&state, me).await?;
    let own = owner.get_str("telephone").unwrap_or("").to_string();
    let rows = new_contact_rows(&state, me, &own, contacts).await?;
    state.store.insert_contacts(me, &rows).await?;
    let registered = rows
        .iter()
        .filter(|r| r.get_i32("registerEd") == Ok(1))
        .map(entity_to_json)
        .collect();
    Ok(ok_data(Value::Array(registered)))
}

/// The contacts of an upload: `uploadStr` first, else `uploadJsonStr`.
fn sent_contacts(p: &Params) -> ShikuResult<Vec<(String, Option<String>)>> {
    if let Some(list) = p.str("uploadStr") {
        comma_numbers(list, "uploadStr")
    } else if let Some(json) = p.str("uploadJsonStr") {
        json_contacts(json)
    } else {
        Err(ShikuError::missing("uploadJsonStr"))
    }
}

/// The contacts to store: each number once, not the caller's own (`own`),
/// not stored yet; marked registered (and friend) from the users found.
async fn new_contact_rows(
    state: &AppState,
    me: i64,
    own: &str,
    contacts: Vec<(String, Option<String>)>,
) -> ShikuResult<Vec<Document>> {
    let mut seen = HashSet::new();
    let contacts: Vec<(String, Option<String>)> = contacts
        .into_iter()
        .filter(|(n, _)| *n != own && seen.insert(n.clone()))
        .collect();
    let numbers: Vec<String> = contacts.iter().map(|(n, _)| n.clone()).collect();
    let (stored, users) = futures::try_join!(
        state.store.stored_contact_numbers(me, &numbers),
        state.store.users_by_telephones(&numbers)
    )?;
    let users: HashMap<&str, &Document> = users
        .iter()
        .filter_map(|u| Some((u.get_str("telephone").ok()?, u)))
        .collect();
    let ids: Vec<i64> = users.values().filter_map(|u| num(u, "_id")).collect();
    let friends = state.store.friends_among(me, &ids).await?;
    Ok(contacts
        .iter()
        .filter(|(n, _)| !stored.contains(n))
        .map(|(n, remark)| {
            contact_doc(
                me,
                own,
                n,
                remark.as_deref(),
                users.get(n.as_str()).copied(),
                &friends,
            )
        })
        .collect())
}

/// A stored contact (the original's `AddressBook`).
fn contact_doc(
    owner: i64,
    own_telephone: &str,
    number: &str,
    remark: Option<&str>,
    user: Option<&Document>,
    friends: &HashSet<i64>,
) -> Document {
    let mut d = doc! {
        "_id": ObjectId::new(),
        "telephone": own_telephone,
        "toTelephone": number,
        "userId": int32_id(owner),
    };
    match user.and_then(|u| Some((num(u, "_id")?, u))) {
        Some((id, u)) => {
            d.insert("toUserId", int32_id(id));
            d.insert("toUserName", u.get_str("nickname").unwrap_or(""));
            d.insert("registerEd", 1);
            d.insert("registerTime", num(u, "createTime").unwrap_or(0));
            d.insert("status", if friends.contains(&id) { 2 } else { 0 });
        }
        None => {
            d.insert("registerEd", 0);
            d.insert("registerTime", 0i64);
            d.insert("status", 0);
        }
    }
    if let Some(r) = remark {
        d.insert("toRemarkName", r);
    }
    d
}

/// A number as the original compares it: spaces and `-` removed; digits and
/// a leading `+` only, at most 32 characters.
fn clean_number(raw: &str, param: &'static str) -> ShikuResult<Option<String>> {
    let n: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if n.is_empty() {
        return Ok(None);
    }
    let digits = n.strip_prefix('+').unwrap_or(&n);
    if n.len() > 32 || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ShikuError::invalid(param));
    }
    Ok(Some(n))
}

fn comma_numbers(list: &str, param: &'static str) -> ShikuResult<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for raw in list.split(',') {
        if let Some(n) = clean_number(raw, param)? {
            out.push((n, None));
        }
    }
    if out.len() > MAX_CONTACTS {
        return Err(ShikuError::invalid(param));
    }
    Ok(out)
}

fn json_contacts(json: &str) -> ShikuResult<Vec<(String, Option<String>)>> {
    let parsed: Vec<Contact> =
        serde_json::from_str(json).map_err(|_| ShikuError::invalid("uploadJsonStr"))?;
    if parsed.len() > MAX_CONTACTS {
        return Err(ShikuError::invalid("uploadJsonStr"));
    }
    let mut out = Vec::new();
    for c in parsed {
        let Some(raw) = c.to_telephone else { continue };
        if let Some(n) = clean_number(&raw, "uploadJsonStr")? {
            let remark = c.to_remark_name.map(|r| r.chars().take(100).collect());
            out.push((n, remark));
        }
    }
    Ok(out)
}
