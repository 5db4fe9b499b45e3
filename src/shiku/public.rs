//! `/public/*`: public (official) accounts, after the original's
//! `MpController`. Android asks for an account's menu when a chat with it
//! opens (with `enableMpModule`, every peer whose `userType` is 2: in this
//! deployment every user), and lists or searches the accounts (`userType`
//! 2, the original's filter) on its Discover tab.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Document};
use serde_json::Value;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::{Params, MAX_SEARCH_CHARS};
use crate::shiku::{ShikuError, ShikuResult};
use crate::util::{literal_regex, ok_data, sorted_object};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&PUBLIC_MENU_LIST, menu_list)
        .add(&PUBLIC_SEARCH_LIST, search_list);
}

/// A menu item as fastjson writes the original's `Menu`: `_id` as `id`,
/// fields sorted, the sub-items as `menuList` (top items only).
fn menu_json(item: &Document, children: Option<&[Document]>) -> Value {
    let mut m = crate::util::fields_json(item, Some("id"));
    if let Some(url) = m.get_mut("url") {
        // The original strips the spaces of the items' URLs.
        if let Some(s) = url.as_str() {
            *url = Value::String(s.replace(' ', ""));
        }
    }
    if let Some(children) = children {
        let list = children.iter().map(|c| menu_json(c, None)).collect();
        m.insert("menuList".into(), Value::Array(list));
    }
    sorted_object(m)
}

pub const PUBLIC_MENU_LIST: Endpoint = Endpoint {
    path: "/public/menu/list",
    summary: "an account's menu (`userId`, the caller's by default): top items in order, each with `menuList`; [] when it has none",
    params: &[int("userId")],
    ..Endpoint::shiku("", "")
};

/// `/public/menu/list`: never a failure for an account without menus (the
/// app would show an error each time such a chat opens).
async fn menu_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let account = match p.i64_opt("userId")? {
        None | Some(0) => me,
        Some(id) => id,
    };
    let menu = state.store.menu_of(account).await?;
    let items = menu
        .iter()
        .map(|(item, children)| menu_json(item, Some(children)))
        .collect();
    Ok(ok_data(Value::Array(items)))
}

/// A public account as the search lists it: `_id` as `userId`, the public
/// profile fields, sorted.
fn card_json(u: &Document) -> Value {
    sorted_object(crate::util::fields_json(u, Some("userId")))
}

/// Most cards a page holds (the app asks for 10, or 50 when searching).
const MAX_CARDS: i64 = 50;

pub const PUBLIC_SEARCH_LIST: Endpoint = Endpoint {
    path: "/public/search/list",
    summary: "public accounts (`userType` 2), by id, phone or nickname (`keyWorld`; without it those findable by name), a page (`page` from 0, `limit` up to 50)",
    params: &[
        int("page").default(0).min(0),
        int("limit").default(10).min(1),
        string("keyWorld"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/public/search/list`: a keyword of fewer than 9 digits is an id or a
/// nickname, a longer number a phone or a nickname, anything else a part of
/// the nickname (case-insensitive, taken literally). Each account as a card
/// (the app reads `userId` and `nickname`): in this deployment every user is
/// a public account, so the list shows no phone, position or account.
async fn search_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    state.user(&req, &p).await?;
    let page = p.i64_or("page", 0)?;
    let limit = p.i64_or("limit", 10)?;
    if page < 0 {
        return Err(ShikuError::invalid("page"));
    }
    if limit < 1 {
        return Err(ShikuError::invalid("limit"));
    }
    let limit = limit.min(MAX_CARDS);
    let skip =
        u64::try_from(page.saturating_mul(limit)).map_err(|_| ShikuError::invalid("page"))?;
    // Without a keyword (Discover's "hot accounts"): only those who let
    // themselves be found by name; the whole user list is not for paging.
    let mut filter = doc! {"settings.nameSearch": {"$ne": 0}};
    if let Some(k) = p.search_text("keyWorld", MAX_SEARCH_CHARS) {
        filter = Document::new();
        // Whoever turned off being found by name or phone is not found so.
        let like = doc! {"$regex": literal_regex(k), "$options": "i"};
        let by_name = doc! {"nickname": like.clone(), "settings.nameSearch": {"$ne": 0}};
        let digits = k.bytes().all(|b| b.is_ascii_digit());
        let or = match k.parse::<i32>() {
            Ok(id) if digits && k.len() < 9 => vec![doc! {"_id": id}, by_name],
            _ if digits => vec![
                doc! {"telephone": like, "settings.phoneSearch": {"$ne": 0}},
                by_name,
            ],
            _ => vec![by_name],
        };
        filter.insert("$or", or);
    }
    let users = state.store.public_accounts(filter, skip, limit).await?;
    let items = users.iter().map(card_json).collect();
    Ok(ok_data(Value::Array(items)))
}
