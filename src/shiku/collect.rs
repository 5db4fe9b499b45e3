//! `/user/emoji/*` and `/user/collection/list`: the caller's stickers and
//! favourites, after the original's `UserController` (`addNewEmoji`,
//! `emojiList`, `collectionList`, `deleteEmoji`). Android calls the two lists
//! at every start and adds from a chat, a moments post or a web page.
//!
//! Differences from the original, each what a user would expect:
//! - the lists are the caller's own (the original listed any `userId`);
//! - an add is checked whole before anything is stored (the original stored
//!   the items before a refused one);
//! - the file is not copied to the upload server: the item keeps the chat's
//!   own URL.

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, oid::ObjectId, Document};
use serde_json::Value;

use crate::http::endpoint::{int, string, Endpoint, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::emoji::{KeptKey, FAVOURITES, STICKER};
use crate::store::error::StoreError;
use crate::util::{int32_id, now_s, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_EMOJI_ADD, add)
        .add(&USER_EMOJI_LIST, sticker_list)
        .add(&USER_COLLECTION_LIST, favourite_list)
        .add(&USER_EMOJI_DELETE, delete);
}

/// Most items added in one request.
const MAX_ITEMS: usize = 100;
/// Most stickers and favourites one user keeps (the app lists them all).
pub const MAX_KEPT: u64 = 1000;
/// Longest text of one item (characters): a long chat message fits.
const MAX_TEXT_CHARS: usize = 20_000;
/// Longest URL, file name, title and message id (characters).
const MAX_URL_CHARS: usize = 2048;
const MAX_NAME_CHARS: usize = 255;
const MAX_ID_CHARS: usize = 64;

/// An item as the original answers it: `_id` as `emojiId`, fields in
/// fastjson's alphabetical order.
fn item_json(d: &Document) -> Value {
    crate::util::sorted_object(crate::util::fields_json(d, Some("emojiId")))
}

/// One element of `emoji` (a JSON array; Android sends `type` as a string).
struct NewItem {
    kind: i32,
    msg: String,
    url: Option<String>,
    msg_id: Option<String>,
    room_jid: Option<String>,
    /// -1 a web link, 0 a chat message or sticker, 1 a moments post.
    collect_type: i32,
    collect_content: Option<String>,
    collect_msg_id: Option<ObjectId>,
    file_name: Option<String>,
    file_size: Option<f64>,
    file_length: Option<i32>,
    title: Option<String>,
    share_url: Option<String>,
}

impl NewItem {
    fn read(v: &Value) -> ShikuResult<NewItem> {
        let bad = || ShikuError::invalid("emoji");
        let o = v.as_object().ok_or_else(bad)?;
        let text_of = |k: &str, max: usize| -> ShikuResult<Option<String>> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
                _ => Err(bad()),
            }
        };
        let text = |k: &str| text_of(k, MAX_TEXT_CHARS);
        // Numbers come as JSON numbers or as numeric strings.
        let number = |k: &str| -> ShikuResult<Option<f64>> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(bad),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
                _ => Err(bad()),
            }
        };
        let int = |k: &str| -> ShikuResult<Option<i32>> {
            match number(k)? {
                None => Ok(None),
                Some(f) if f.fract() == 0.0 && f.abs() <= i32::MAX as f64 => Ok(Some(f as i32)),
                Some(_) => Err(bad()),
            }
        };
        let kind = int("type")?.ok_or_else(bad)?;
        if kind != STICKER && !FAVOURITES.contains(&kind) {
            return Err(bad());
        }
        let collect_type = int("collectType")?.unwrap_or(0);
        if !(-1..=1).contains(&collect_type) {
            return Err(bad());
        }
        let room_jid = text_of("roomJid", MAX_ID_CHARS)?;
        if room_jid
            .as_deref()
            .is_some_and(|j| !crate::store::names::valid_room_jid(j))
        {
            return Err(bad());
        }
        let collect_msg_id = match text_of("collectMsgId", MAX_ID_CHARS)? {
            None => None,
            Some(id) => Some(ObjectId::parse_str(&id).map_err(|_| bad())?),
        };
        if collect_type == 1 && collect_msg_id.is_none() {
            return Err(bad());
        }
        let file_size = number("fileSize")?;
        if file_size.is_some_and(|s| !(0.0..=1e15).contains(&s)) {
            return Err(bad());
        }
        let file_length = int("fileLength")?;
        if file_length.is_some_and(|l| l < 0) {
            return Err(bad());
        }
        Ok(NewItem {
            kind,
            msg: text("msg")?.ok_or_else(bad)?,
            url: text_of("url", MAX_URL_CHARS)?,
            msg_id: text_of("msgId", MAX_ID_CHARS)?,
            room_jid,
            collect_type,
            collect_content: text("collectContent")?,
            collect_msg_id,
            file_name: text_of("fileName", MAX_NAME_CHARS)?,
            file_size,
            file_length,
            title: text_of("title", MAX_URL_CHARS)?,
            share_url: text_of("shareURL", MAX_URL_CHARS)?,
        })
    }

    /// What makes two items the same: a sticker by its type and content (the
    /// original's rule), a favourite also by the message or post it was
    /// collected from (the same text of two messages is kept twice).
    fn key(&self) -> KeptKey<'_> {
        let source = match self.kind {
            STICKER => None,
            _ => self
                .msg_id
                .clone()
                .or(self.collect_msg_id.map(|id| id.to_hex())),
        };
        KeptKey {
            kind: self.kind,
            msg: &self.msg,
            source,
        }
    }

    /// Fills the file details the client did not send from the stored chat
    /// message (`fileName`, `fileSize`, a voice's `timeLen`); an end-to-end
    /// encrypted message is refused (105002).
    fn complete_from(&mut self, message: &Value) -> ShikuResult<()> {
        let encrypted = ["encryptType", "isEncrypt"]
            .iter()
            .any(|k| message.get(*k).and_then(Value::as_i64) == Some(3));
        if encrypted {
            return Err(codes::NOT_COLLECTABLE.into());
        }
        if self.kind != 5 {
            if self.file_name.is_none() {
                self.file_name = message["fileName"].as_str().map(str::to_string);
            }
            if self.file_size.is_none() {
                self.file_size = message["fileSize"].as_f64();
            }
        }
        if self.kind == 4 && self.file_length.is_none() {
            self.file_length = message["timeLen"]
                .as_i64()
                .or_else(|| message["fileTime"].as_i64())
                .and_then(|t| i32::try_from(t).ok());
        }
        Ok(())
    }

    /// The stored document, in the order of the original's entity; the
    /// numbers it always wrote are written (Int32, `fileSize` Double,
    /// `createTime` Int64 seconds), absent texts are left out.
    fn document(&self, me: i64, now: i64) -> Document {
        fn put(d: &mut Document, k: &str, v: Option<&str>) {
            if let Some(v) = v {
                d.insert(k, v);
            }
        }
        // A text has no file; anything else keeps its file's URL.
        let url = match self.kind {
            5 => None,
            _ => Some(self.url.as_deref().unwrap_or(&self.msg)),
        };
        let content = match self.kind {
            5 => Some(self.collect_content.as_deref().unwrap_or(&self.msg)),
            _ => self.collect_content.as_deref(),
        };
        let mut d = doc! {"_id": ObjectId::new(), "userId": int32_id(me), "type": self.kind};
        put(&mut d, "url", url);
        put(&mut d, "msgId", self.msg_id.as_deref());
        d.insert("msg", self.msg.as_str());
        put(&mut d, "roomJid", self.room_jid.as_deref());
        d.insert("createTime", now);
        put(&mut d, "fileName", self.file_name.as_deref());
        d.insert("fileSize", self.file_size.unwrap_or(0.0));
        d.insert("fileLength", self.file_length.unwrap_or(0));
        d.insert("collectType", self.collect_type);
        put(&mut d, "collectContent", content);
        let post = self.collect_msg_id.map(|id| id.to_hex());
        put(&mut d, "collectMsgId", post.as_deref());
        if let (Some(title), Some(link)) = (&self.title, &self.share_url) {
            d.insert("title", title.as_str());
            d.insert("shareURL", link.as_str());
        }
        d
    }
}

pub const USER_EMOJI_ADD: Endpoint = Endpoint {
    path: "/user/emoji/add",
    summary: "keep stickers or favourites: `emoji` is a JSON array of items (type 6 a sticker; 1 image, 2 video, 3 file, 4 voice, 5 text, 7 link); 100509 when one is kept already",
    params: &[string("emoji").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/emoji/add`: answers the last item stored.
async fn add(state: web::Data<AppState>, req: HttpRequest, p: Params) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let raw = p.required("emoji")?;
    let list: Vec<Value> = serde_json::from_str(raw).map_err(|_| ShikuError::invalid("emoji"))?;
    if list.is_empty() || list.len() > MAX_ITEMS {
        return Err(ShikuError::invalid("emoji"));
    }
    let mut items = list
        .iter()
        .map(NewItem::read)
        .collect::<ShikuResult<Vec<_>>>()?;
    let keys: Vec<KeptKey> = items.iter().map(NewItem::key).collect();
    let twice = (1..keys.len()).any(|i| keys[..i].contains(&keys[i]));
    if twice || state.store.emoji_kept(me, &keys).await? {
        return Err(codes::NOT_REPEAT.into());
    }
    if state.store.emoji_count(me).await? + items.len() as u64 > MAX_KEPT {
        return Err(codes::COLLECTION_FULL.into());
    }
    for item in items.iter_mut() {
        if let Some(message) = chat_message(&state, me, item).await? {
            item.complete_from(&message)?;
        }
    }
    let now = now_s();
    let docs: Vec<Document> = items.iter().map(|i| i.document(me, now)).collect();
    let marks = moments_marks(&state, me, &items, now).await?;
    state.store.add_emojis(&docs, &marks).await?;
    Ok(ok_data(item_json(docs.last().expect("at least one item"))))
}

/// The body (`message` JSON) of the chat message an item is collected from:
/// the caller's own copy of a single chat, or a message of a room the
/// caller is in; `None` when there is none to read.
async fn chat_message(state: &AppState, me: i64, item: &NewItem) -> ShikuResult<Option<Value>> {
    let Some(id) = item.msg_id.as_deref() else {
        return Ok(None);
    };
    let stored = match item.room_jid.as_deref() {
        None => state.store.own_single_message(me, id).await?,
        Some(jid) => match state.store.room_and_member(jid, me).await {
            Ok(_) => state.store.group_message(jid, id).await?,
            // Collected from a room the caller has left: kept as sent.
            Err(StoreError::Refused(_)) => None,
            Err(e) => return Err(e.into()),
        },
    };
    Ok(stored
        .as_ref()
        .and_then(|d| d.get_str("message").ok())
        .and_then(|m| serde_json::from_str(m).ok()))
}

/// The original's `s_collect` marks of items collected from a moments post
/// (`msgId` the post, `nickname`, `time` seconds, `userId`).
async fn moments_marks(
    state: &AppState,
    me: i64,
    items: &[NewItem],
    now: i64,
) -> ShikuResult<Vec<Document>> {
    let posts: Vec<ObjectId> = items
        .iter()
        .filter(|i| i.collect_type == 1)
        .filter_map(|i| i.collect_msg_id)
        .collect();
    if posts.is_empty() {
        return Ok(vec![]);
    }
    let user = state.store.user_by_id(me).await?;
    let nickname = user
        .as_ref()
        .and_then(|u| u.nickname().ok().flatten())
        .unwrap_or("")
        .to_string();
    Ok(posts
        .into_iter()
        .map(|post| {
            doc! {
                "_id": ObjectId::new(), "msgId": post, "nickname": nickname.as_str(),
                "time": now, "userId": int32_id(me),
            }
        })
        .collect())
}

/// The caller's items of `kinds`: everything (up to `MAX_PAGE_SIZE`) unless
/// the request pages, as the app shows the whole list without paging.
async fn list_of(
    state: &AppState,
    req: &HttpRequest,
    p: &Params,
    kinds: &[i32],
) -> ShikuResult<HttpResponse> {
    let me = state.user(req, p).await?;
    if p.str("userId").is_some() {
        super::require_self(p, "userId", me)?;
    }
    let max = state.cfg.max_page_size;
    let (_, size, skip) = p.page_skip(max, max)?;
    let docs = state.store.emojis(me, kinds, skip, size).await?;
    Ok(ok_data(Value::Array(docs.iter().map(item_json).collect())))
}

pub const USER_EMOJI_LIST: Endpoint = Endpoint {
    path: "/user/emoji/list",
    summary: "the caller's stickers, newest first (`userId`, when sent, must be the caller)",
    params: &[string("userId"), PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

async fn sticker_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    list_of(&state, &req, &p, &[STICKER]).await
}

pub const USER_COLLECTION_LIST: Endpoint = Endpoint {
    path: "/user/collection/list",
    summary: "the caller's favourites (every type but stickers, or one `type`), newest first",
    params: &[string("userId"), int("type").default(0), PAGE[0], PAGE[1]],
    ..Endpoint::shiku("", "")
};

async fn favourite_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let kinds: Vec<i32> = match p.i32_or("type", 0)? {
        0 => FAVOURITES.to_vec(),
        t if FAVOURITES.contains(&t) => vec![t],
        _ => return Err(ShikuError::invalid("type")),
    };
    list_of(&state, &req, &p, &kinds).await
}

pub const USER_EMOJI_DELETE: Endpoint = Endpoint {
    path: "/user/emoji/delete",
    summary: "delete the caller's stickers or favourites (`emojiId`: a comma list; others' ids change nothing)",
    params: &[string("emojiId").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/emoji/delete`: ids that are not the caller's, or not ids at all,
/// are skipped, as the original did.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let raw = p.required("emojiId")?;
    if raw.split(',').count() as u64 > MAX_KEPT {
        return Err(ShikuError::invalid("emojiId"));
    }
    let ids: Vec<ObjectId> = raw
        .split(',')
        .filter_map(|s| ObjectId::parse_str(s.trim()).ok())
        .collect();
    if !ids.is_empty() {
        state.store.delete_emojis(me, &ids).await?;
    }
    Ok(ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::Bson;
    use serde_json::json;

    #[test]
    fn android_items_are_read_with_string_types() {
        let sticker =
            NewItem::read(&json!({"type": "6", "msg": "http://f/a.gif", "url": "http://f/a.gif"}))
                .unwrap();
        assert_eq!(sticker.kind, 6);
        let d = sticker.document(100164, 1_700_000_000);
        assert_eq!(d.get("userId"), Some(&Bson::Int32(100164)));
        assert_eq!(d.get("type"), Some(&Bson::Int32(6)));
        assert_eq!(d.get("createTime"), Some(&Bson::Int64(1_700_000_000)));
        assert_eq!(d.get("fileSize"), Some(&Bson::Double(0.0)));
        assert_eq!(d.get_str("url").unwrap(), "http://f/a.gif");
        let text = NewItem::read(&json!({"type": 5, "msg": "你好", "msgId": "m1"})).unwrap();
        let d = text.document(100164, 1);
        assert!(d.get("url").is_none());
        assert_eq!(d.get_str("collectContent").unwrap(), "你好");
        for bad in [
            json!({"type": "0", "msg": "x"}),
            json!({"type": "6"}),
            json!({"type": "x", "msg": "x"}),
            json!({"type": 1, "msg": "x", "collectType": 1}),
            json!({"type": 1, "msg": "x", "roomJid": "a/b"}),
            json!({"type": 1, "msg": "x", "fileSize": -1}),
            json!({"type": 4, "msg": "x", "fileLength": -3}),
            json!({"type": 1, "msg": "x", "msgId": "m".repeat(65)}),
            json!({"type": 1, "msg": "x", "url": "u".repeat(2049)}),
            json!({"type": 3, "msg": "x", "fileName": "f".repeat(256)}),
            json!("6"),
        ] {
            assert!(NewItem::read(&bad).is_err(), "{bad}");
        }
    }
}
