//! Stored documents as they come off the wire (`RawDocumentBuf`), written to
//! JSON in one pass: no `Document` tree, no `serde_json::Value` tree.
//!
//! The mapping is the one of [`crate::util::bson_to_json`] (the original's
//! serializer): ObjectIds as hex strings, dates as epoch milliseconds, numbers
//! as stored (Int32/Int64 integers, doubles with a fraction part), strings
//! verbatim (so a record's `message` JSON string is answered byte for byte),
//! keys in stored order, fields stored as null left out (the Java server's
//! fastjson wrote none; the JH flavour keeps them). A unit test holds both mappings equal on every type.

use bson::raw::{RawArray, RawBsonRef, RawDocument, RawDocumentBuf};
use futures::TryStreamExt;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::StoreResult;

/// All documents of a cursor (raw, as stored, or decoded).
pub async fn collect<T>(cursor: mongodb::Cursor<T>) -> StoreResult<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    Ok(cursor.try_collect().await?)
}

/// The records `filter` selects, newest (`timeSend`) first: `skip` of them
/// passed over, at most `limit`.
pub async fn newest_first<T>(
    coll: &mongodb::Collection<T>,
    filter: bson::Document,
    skip: u64,
    limit: i64,
) -> StoreResult<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    collect(
        coll.find(filter)
            .sort(bson::doc! {"timeSend": -1})
            .skip(skip)
            .limit(limit)
            .await?,
    )
    .await
}

/// How values are written: as the original Java server's fastjson wrote them,
/// or as the JH dialect's Node.js server did.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// ObjectIds hex, dates epoch milliseconds, doubles with a fraction part.
    Java,
    /// As `Java`, but dates as ISO-8601 strings (`Date.toJSON()`) and doubles
    /// without a fraction as integers (JavaScript has one number type).
    Js,
}

/// One stored document as JSON (`Serialize`).
pub struct Json<'a>(pub &'a RawDocument, pub Flavor);

/// Stored documents as a JSON array.
pub struct JsonList<'a>(pub &'a [RawDocumentBuf], pub Flavor);

struct Value<'a>(RawBsonRef<'a>, Flavor);
struct Array<'a>(&'a RawArray, Flavor);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for el in self.0.iter() {
            let (k, v) = el.map_err(S::Error::custom)?;
            // The Java server left null fields out (`util::is_unset`); the
            // Node.js one wrote them.
            if self.1 == Flavor::Java && matches!(v, RawBsonRef::Null | RawBsonRef::Undefined) {
                continue;
            }
            m.serialize_entry(k, &Value(v, self.1))?;
        }
        m.end()
    }
}

impl Serialize for JsonList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for d in self.0 {
            seq.serialize_element(&Json(d, self.1))?;
        }
        seq.end()
    }
}

impl Serialize for Array<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for v in self.0 {
            seq.serialize_element(&Value(v.map_err(S::Error::custom)?, self.1))?;
        }
        seq.end()
    }
}

/// The largest integer a JavaScript number holds exactly (2^53).
const JS_SAFE: f64 = 9.007_199_254_740_992e15;

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let js = self.1 == Flavor::Js;
        match self.0 {
            RawBsonRef::Double(f) if js && f.fract() == 0.0 && f.abs() < JS_SAFE => {
                s.serialize_i64(f as i64)
            }
            RawBsonRef::DateTime(d) if js => {
                match chrono::DateTime::from_timestamp_millis(d.timestamp_millis()) {
                    Some(t) => s.collect_str(&t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
                    None => s.collect_str(&d.timestamp_millis()),
                }
            }
            RawBsonRef::Double(f) if f.is_finite() => s.serialize_f64(f),
            RawBsonRef::String(v) | RawBsonRef::Symbol(v) => s.serialize_str(v),
            RawBsonRef::Array(a) => Array(a, self.1).serialize(s),
            RawBsonRef::Document(d) => Json(d, self.1).serialize(s),
            RawBsonRef::Boolean(b) => s.serialize_bool(b),
            RawBsonRef::Int32(i) => s.serialize_i32(i),
            RawBsonRef::Int64(i) => s.serialize_i64(i),
            RawBsonRef::ObjectId(o) => s.serialize_str(&o.to_hex()),
            RawBsonRef::DateTime(d) => s.serialize_i64(d.timestamp_millis()),
            RawBsonRef::Timestamp(t) => s.serialize_u32(t.time),
            RawBsonRef::Decimal128(d) => s.collect_str(&d),
            RawBsonRef::RegularExpression(r) => s.serialize_str(r.pattern),
            RawBsonRef::Double(_)
            | RawBsonRef::Null
            | RawBsonRef::Undefined
            | RawBsonRef::Binary(_)
            | RawBsonRef::JavaScriptCode(_)
            | RawBsonRef::JavaScriptCodeWithScope(_)
            | RawBsonRef::MaxKey
            | RawBsonRef::MinKey
            | RawBsonRef::DbPointer(_) => s.serialize_unit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{
        doc, oid::ObjectId, spec::BinarySubtype, Binary, Bson, Decimal128, Regex, Timestamp,
    };

    #[test]
    fn writes_what_the_tree_conversion_writes() {
        let d = doc! {
            "_id": ObjectId::parse_str("5e4f6a2b9c1d8e7f6a5b4c3d").unwrap(),
            "message": "{\"content\":\"你好 \\\"x\\\"\",\"type\":1}",
            "i32": 7i32, "i64": 1614048376311i64, "neg": -3i32,
            "f": 1.0, "g": 0.25, "nan": f64::NAN, "inf": f64::INFINITY,
            "b": true, "n": Bson::Null, "u": Bson::Undefined,
            "dt": bson::DateTime::from_millis(1614048376311),
            "ts": Timestamp { time: 17, increment: 2 },
            "dec": Decimal128::from_bytes([1; 16]),
            "re": Regex { pattern: "^a".into(), options: "i".into() },
            "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2] },
            "js": Bson::JavaScriptCode("x".into()),
            "sym": Bson::Symbol("s".into()),
            "max": Bson::MaxKey, "min": Bson::MinKey,
            "arr": [1i32, "two", {"three": 3i64}, [4.5]],
            "sub": {"z": 1i32, "a": {"deep": Bson::Null}},
            "empty": {}, "none": [],
        };
        let raw = RawDocumentBuf::from_document(&d).unwrap();
        assert_eq!(
            serde_json::to_string(&Json(&raw, Flavor::Java)).unwrap(),
            serde_json::to_string(&crate::util::doc_to_json(&d)).unwrap()
        );
        let java: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&Json(&raw, Flavor::Java)).unwrap())
                .unwrap();
        assert!(java.get("n").is_none() && java.get("u").is_none());
        assert!(java["sub"]["a"].as_object().unwrap().is_empty());
        assert_eq!(
            serde_json::to_string(&Json(&raw, Flavor::Js)).unwrap(),
            serde_json::to_string(&crate::jh::endpoints::record_json(&d)).unwrap()
        );
    }
}
