//! `/CustomerService/commonText/*`: the caller's quick replies, after the
//! original's `CustomerController` (the web client's chat editor lists them,
//! adds and deletes). Each is the caller's own: the original deleted any id
//! and stored blank texts.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::http::endpoint::{string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::{codes, ShikuError, ShikuResult};
use crate::util::{entity_to_json, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&COMMON_TEXT_ADD, add)
        .add(&COMMON_TEXT_DELETE, delete)
        .add(&COMMON_TEXT_GET_BY_USER_ID, list);
}

/// Longest quick reply (characters).
const MAX_CONTENT_CHARS: usize = 2000;
/// Most quick replies one user keeps.
pub const MAX_REPLIES: u64 = 500;

pub const COMMON_TEXT_ADD: Endpoint = Endpoint {
    path: "/CustomerService/commonText/add",
    summary: "keep a quick reply (`content`); answers it with its `id`",
    params: &[
        string("content").required(),
        string("companyId"),
        string("userId"),
    ],
    ..Endpoint::shiku("", "")
};

async fn add(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let content = p.required("content")?;
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(ShikuError::invalid("content"));
    }
    // `userId` is the caller's (WX sends its own); the token decides.
    p.str("userId");
    let company = p.str("companyId").unwrap_or("0");
    if state.store.common_text_count(me).await? >= MAX_REPLIES {
        return Err(codes::QUICK_REPLIES_FULL.into());
    }
    let stored = state.store.add_common_text(me, company, content).await?;
    Ok(ok_data(entity_to_json(&stored)))
}

pub const COMMON_TEXT_DELETE: Endpoint = Endpoint {
    path: "/CustomerService/commonText/delete",
    summary: "delete one of the caller's quick replies (`commonTextId`)",
    params: &[
        string("commonTextId").required(),
        string("companyId"),
        string("userId"),
    ],
    ..Endpoint::shiku("", "")
};

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let id = p.object_id("commonTextId")?;
    p.str("companyId");
    p.str("userId");
    state.store.delete_common_text(me, &id).await?;
    Ok(ok())
}

pub const COMMON_TEXT_GET_BY_USER_ID: Endpoint = Endpoint {
    path: "/CustomerService/commonText/getByUserId",
    summary: "a page of the caller's quick replies, oldest first (`data`: a list)",
    params: &[PAGE[0], PAGE[1], string("companyId")],
    ..Endpoint::shiku("", "")
};

/// The page as a plain list: WX stops asking when one is shorter than its
/// `pageSize`.
async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.str("companyId");
    let (_, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let docs = state.store.common_texts_of(me, skip, size).await?;
    Ok(ok_data(docs.iter().map(entity_to_json).collect()))
}
