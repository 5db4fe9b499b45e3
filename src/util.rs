//! Small shared helpers: clocks, the Shiku success envelope, BSON → JSON.

use actix_web::HttpResponse;
use bson::{Bson, Document};
use serde_json::{json, Map, Value};

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Seconds since the epoch: the original's `createTime`/`modifyTime` unit.
pub fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `{"currentTime", "resultCode": 1}`.
pub fn ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({"currentTime": now_ms(), "resultCode": 1}))
}

/// `{"currentTime", "data", "resultCode": 1}`.
pub fn ok_data(data: Value) -> HttpResponse {
    ok_json(&data)
}

/// `{"currentTime", "data", "resultCode": 1, "resultMsg": ""}` (history endpoints).
pub fn ok_data_msg(data: Value) -> HttpResponse {
    ok_json_msg(&data)
}

/// The success envelope around any serializable answer, written in one pass
/// (e.g. stored documents straight from their BSON: [`crate::store::view`]).
#[derive(serde::Serialize)]
struct Envelope<'a, T: ?Sized> {
    #[serde(rename = "currentTime")]
    current_time: i64,
    data: &'a T,
    #[serde(rename = "resultCode")]
    result_code: i32,
    #[serde(rename = "resultMsg", skip_serializing_if = "Option::is_none")]
    result_msg: Option<&'static str>,
}

/// [`ok_data`] for any `Serialize` answer.
pub fn ok_json<T: serde::Serialize + ?Sized>(data: &T) -> HttpResponse {
    envelope(data, None)
}

/// [`ok_data_msg`] for any `Serialize` answer.
pub fn ok_json_msg<T: serde::Serialize + ?Sized>(data: &T) -> HttpResponse {
    envelope(data, Some(""))
}

fn envelope<T: serde::Serialize + ?Sized>(data: &T, msg: Option<&'static str>) -> HttpResponse {
    let e = Envelope {
        current_time: now_ms(),
        data,
        result_code: 1,
        result_msg: msg,
    };
    match serde_json::to_vec(&e) {
        Ok(body) => HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "an answer could not be written as JSON");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The original's paged shape: `{pageCount, pageData, pageIndex, pageSize, start, total}`.
pub fn page_data(items: Vec<Value>, page_index: i64, page_size: i64, total: i64) -> Value {
    let page_count = if page_size > 0 {
        (total + page_size - 1) / page_size
    } else {
        0
    };
    json!({
        "pageCount": page_count,
        "pageData": items,
        "pageIndex": page_index,
        "pageSize": page_size,
        "start": page_index * page_size,
        "total": total,
    })
}

/// [`page_data`] whose `total` is the length of this page, as the
/// original's web lists answer.
pub fn page_of_itself(items: Vec<Value>, page_index: i64, page_size: i64) -> Value {
    let total = items.len() as i64;
    page_data(items, page_index, page_size, total)
}

/// An object with its keys in name order (fastjson writes bean fields
/// sorted by name).
pub fn sorted_object(m: serde_json::Map<String, Value>) -> Value {
    let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(pairs.into_iter().collect())
}

/// Converts a stored value to the JSON the original's serializer writes:
/// ObjectIds as hex strings, dates as epoch milliseconds, numbers as numbers
/// (doubles keep their fraction: `0.0` stays `0.0`).
pub fn bson_to_json(b: &Bson) -> Value {
    match b {
        Bson::Double(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Bson::String(s) => Value::String(s.clone()),
        Bson::Array(a) => Value::Array(a.iter().map(bson_to_json).collect()),
        Bson::Document(d) => doc_to_json(d),
        Bson::Boolean(v) => Value::Bool(*v),
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Int32(i) => json!(i),
        Bson::Int64(i) => json!(i),
        Bson::ObjectId(o) => Value::String(o.to_hex()),
        Bson::DateTime(d) => json!(d.timestamp_millis()),
        Bson::Timestamp(t) => json!(t.time),
        Bson::Decimal128(d) => Value::String(d.to_string()),
        Bson::RegularExpression(r) => Value::String(r.pattern.clone()),
        Bson::Binary(_) | Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) => Value::Null,
        Bson::Symbol(s) => Value::String(s.clone()),
        Bson::MaxKey | Bson::MinKey | Bson::DbPointer(_) => Value::Null,
    }
}

/// Whether a stored field is left out of answers: the original's fastjson
/// writes neither null bean fields nor null map values (no
/// `WriteMapNullValue`), and the iOS app sends messages to what it reads
/// (`[NSNull objectForKey:]` ends the app).
pub fn is_unset(b: &Bson) -> bool {
    matches!(b, Bson::Null | Bson::Undefined)
}

/// A stored document as the original answers it; fields stored as null are
/// left out ([`is_unset`]).
pub fn doc_to_json(d: &Document) -> Value {
    let mut m = Map::with_capacity(d.len());
    for (k, v) in d {
        if !is_unset(v) {
            m.insert(k.clone(), bson_to_json(v));
        }
    }
    Value::Object(m)
}

/// The stored fields of `d` as the original's serializer writes them: fields
/// stored as null left out ([`is_unset`]), `_id` under the name the entity
/// gives it (`id`, `userId`, `shareId`, ...) or left out with `None`.
pub fn fields_json(d: &Document, id_as: Option<&str>) -> Map<String, Value> {
    let mut m = Map::with_capacity(d.len());
    for (k, v) in d {
        if is_unset(v) {
            continue;
        }
        let key = if k == "_id" {
            match id_as {
                Some(name) => name,
                None => continue,
            }
        } else {
            k.as_str()
        };
        m.insert(key.to_string(), bson_to_json(v));
    }
    m
}

/// Like [`doc_to_json`] (nulls left out) but renames `_id` to `id` (how the original's entities
/// such as `Room`, `Notice` are serialized), placing fields in alphabetical order
/// at every level like fastjson does with beans (a room's `loc` is stored
/// `lng`, `lat` and answered `lat`, `lng`).
pub fn entity_to_json(d: &Document) -> Value {
    sorted_deep(Value::Object(fields_json(d, Some("id"))))
}

/// `v` with the keys of every object in it in alphabetical order.
pub fn sorted_deep(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            sorted_object(m.into_iter().map(|(k, v)| (k, sorted_deep(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted_deep).collect()),
        other => other,
    }
}

/// Escapes user input for a literal, case-insensitive `$regex` match.
pub fn literal_regex(input: &str) -> String {
    regex::escape(input)
}

/// A Java `int` id as each integer type it may be stored with: Int32 (what the
/// original writes) when it fits, and Int64. A value beyond `i32` is never
/// truncated into some other user's id.
pub fn int_variants(id: i64) -> Vec<Bson> {
    match i32::try_from(id) {
        Ok(small) => vec![Bson::Int32(small), Bson::Int64(id)],
        Err(_) => vec![Bson::Int64(id)],
    }
}

/// A user id as the original stores it: Int32; an id beyond Int32 (never
/// handed out by the original) stays Int64 rather than being truncated.
pub fn int32_id(id: i64) -> Bson {
    match i32::try_from(id) {
        Ok(small) => Bson::Int32(small),
        Err(_) => Bson::Int64(id),
    }
}

/// `{$in: [...]}` over [`int_variants`]: matches the id whichever type stored it.
pub fn int_in(id: i64) -> Bson {
    Bson::Document(bson::doc! {"$in": int_variants(id)})
}

/// `{$in: [...]}` over the [`int_variants`] of every id: matches any of them
/// whichever type stored it.
pub fn ints_in(ids: &[i64]) -> Bson {
    let all: Vec<Bson> = ids.iter().flat_map(|id| int_variants(*id)).collect();
    Bson::Document(bson::doc! {"$in": all})
}

/// Reads a number of any stored numeric type (Int32, Int64, Double, numeric string).
pub fn num(d: &Document, key: &str) -> Option<i64> {
    bson_i64(d.get(key)?)
}

/// A stored number of any numeric type (Int32, Int64, Double, numeric string).
pub fn bson_i64(b: &Bson) -> Option<i64> {
    match b {
        Bson::Int32(i) => Some(*i as i64),
        Bson::Int64(i) => Some(*i),
        Bson::Double(f) => Some(*f as i64),
        Bson::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn doubles_keep_their_fraction_and_ids_are_hex() {
        let oid = bson::oid::ObjectId::parse_str("60210278cb36d459fe88c196").unwrap();
        let v = entity_to_json(&doc! {"_id": oid, "loc": {"lat": 0.0, "lng": 0.0}, "a": 1});
        assert_eq!(
            v.to_string(),
            r#"{"a":1,"id":"60210278cb36d459fe88c196","loc":{"lat":0.0,"lng":0.0}}"#
        );
    }

    #[test]
    fn regex_input_is_literal() {
        assert_eq!(literal_regex("(a+)+$"), r"\(a\+\)\+\$");
        assert_eq!(literal_regex(".*"), r"\.\*");
    }
}
