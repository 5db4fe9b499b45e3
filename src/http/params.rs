//! Spring-style request parameters: every Shiku endpoint reads its parameters from
//! the query string and from an `application/x-www-form-urlencoded`, multipart or
//! JSON-object body, whichever the client sent (GET and POST alike).
//!
//! Numbers parse like Spring's converters: surrounding whitespace is ignored, an
//! empty value counts as absent (so the default applies), anything else that is not
//! a number is a parameter error, never a 500.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures::StreamExt;

use super::endpoint::{note_read, Declared, Endpoint};
use crate::shiku::ShikuError;

/// Longest search text taken from a `keyword` (characters).
pub const MAX_SEARCH_CHARS: usize = 100;

#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// The endpoint the request was routed to: every read is checked against
    /// its declared parameters ([`note_read`]).
    declared: Option<&'static Endpoint>,
}

/// Why a body could not be read; each dialect maps it to its own envelope.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    Malformed(String),
}

impl From<BodyError> for ShikuError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => ShikuError::ParamInvalid("请求体过大".into()),
            BodyError::Malformed(m) => ShikuError::ParamInvalid(format!("请求参数格式错误: {m}")),
        }
    }
}

impl Params {
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Params {
            pairs: pairs.into_iter().collect(),
            declared: None,
        }
    }

    /// Reads the query string and the body of `req`.
    pub async fn read(
        req: &HttpRequest,
        payload: &mut Payload,
        limit: usize,
    ) -> Result<Self, BodyError> {
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        let ctype = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ctype.starts_with("multipart/form-data") {
            let mut mp = actix_multipart::Multipart::new(req.headers(), payload.take());
            let mut total = 0usize;
            while let Some(field) = mp.next().await {
                let mut field = field.map_err(|e| BodyError::Malformed(e.to_string()))?;
                let name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_name())
                    .unwrap_or("")
                    .to_string();
                let is_file = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .is_some();
                let mut buf = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| BodyError::Malformed(e.to_string()))?;
                    total += chunk.len();
                    if total > limit {
                        return Err(BodyError::TooLarge);
                    }
                    if !is_file {
                        buf.extend_from_slice(&chunk);
                    }
                }
                if !is_file {
                    let value = String::from_utf8(buf)
                        .map_err(|_| BodyError::Malformed("invalid UTF-8".into()))?;
                    pairs.push((name, value));
                }
            }
        } else {
            let body = read_body(payload, limit).await?;
            if !body.is_empty() {
                if ctype.starts_with("application/json") {
                    let v: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|e| BodyError::Malformed(e.to_string()))?;
                    if let serde_json::Value::Object(m) = v {
                        for (k, v) in m {
                            let s = match v {
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Null => continue,
                                other => other.to_string(),
                            };
                            pairs.push((k, s));
                        }
                    } else {
                        return Err(BodyError::Malformed("JSON body must be an object".into()));
                    }
                } else {
                    // Form bodies (also when a client forgets the content type).
                    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                        .map_err(|e| BodyError::Malformed(e.to_string()))?;
                    pairs.extend(form);
                }
            }
        }
        Ok(Params {
            pairs,
            declared: Declared::of(req),
        })
    }

    /// The first value of `name`, as sent (possibly empty).
    pub fn raw(&self, name: &str) -> Option<&str> {
        note_read(self.declared, name);
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// What a request signature covers (`ParamsSign.joinValues`): the first
    /// value of every parameter but `exclude`, ordered by name, concatenated.
    pub fn signed_values(&self, exclude: &[&str]) -> String {
        let mut seen = std::collections::HashSet::new();
        crate::secure::joined_values(
            self.pairs
                .iter()
                .filter(|(k, _)| !exclude.contains(&k.as_str()) && seen.insert(k.as_str()))
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }

    /// Every non-blank value of `name` (a repeated parameter), trimmed.
    pub fn all(&self, name: &str) -> Vec<&str> {
        note_read(self.declared, name);
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The trimmed value of `name`; `None` when absent or blank.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A search text: trimmed, `None` when blank, its first `max` characters
    /// (a longer one would only make a slower pattern, never a better match).
    pub fn search_text(&self, name: &str, max: usize) -> Option<&str> {
        let s = self.str(name)?;
        Some(match s.char_indices().nth(max) {
            Some((end, _)) => &s[..end],
            None => s,
        })
    }

    pub fn required(&self, name: &str) -> Result<&str, ShikuError> {
        self.str(name).ok_or_else(|| ShikuError::missing(name))
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ShikuError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|_| ShikuError::invalid(name)),
        }
    }

    pub fn i32_opt(&self, name: &str) -> Result<Option<i32>, ShikuError> {
        self.number(name)
    }
    pub fn i64_opt(&self, name: &str) -> Result<Option<i64>, ShikuError> {
        self.number(name)
    }
    pub fn i32_or(&self, name: &str, default: i32) -> Result<i32, ShikuError> {
        Ok(self.number(name)?.unwrap_or(default))
    }
    pub fn i64_or(&self, name: &str, default: i64) -> Result<i64, ShikuError> {
        Ok(self.number(name)?.unwrap_or(default))
    }
    pub fn i32_required(&self, name: &str) -> Result<i32, ShikuError> {
        self.number(name)?.ok_or_else(|| ShikuError::missing(name))
    }

    /// `name` as an `int` within `allowed` (`default` when absent).
    pub fn i32_within(
        &self,
        name: &str,
        default: i32,
        allowed: std::ops::RangeInclusive<i32>,
    ) -> Result<i32, ShikuError> {
        let v = self.i32_or(name, default)?;
        if !allowed.contains(&v) {
            return Err(ShikuError::invalid(name));
        }
        Ok(v)
    }

    /// A required hex ObjectId (a bad one is a parameter error, as the
    /// original's ParamsAuthFail).
    pub fn object_id(&self, name: &str) -> Result<bson::oid::ObjectId, ShikuError> {
        bson::oid::ObjectId::parse_str(self.required(name)?).map_err(|_| ShikuError::invalid(name))
    }

    /// A required comma list of user ids (`int`s), each once, in the order
    /// sent, blank items skipped; more than `max` is refused.
    pub fn user_ids(&self, name: &str, max: usize) -> Result<Vec<i64>, ShikuError> {
        let mut ids = Vec::new();
        for part in self.required(name)?.split(',').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let id = i64::from(part.parse::<i32>().map_err(|_| ShikuError::invalid(name))?);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() > max {
            return Err(ShikuError::invalid(name));
        }
        Ok(ids)
    }

    /// `longitude` and `latitude` (degrees) when both are sent; a value that
    /// is no coordinate is refused.
    pub fn point(&self) -> Result<Option<(f64, f64)>, ShikuError> {
        let coordinate = |name: &str, limit: f64| -> Result<Option<f64>, ShikuError> {
            self.str(name)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|c| c.is_finite() && c.abs() <= limit)
                        .ok_or_else(|| ShikuError::invalid(name))
                })
                .transpose()
        };
        Ok(coordinate("longitude", 180.0)?.zip(coordinate("latitude", 90.0)?))
    }

    /// [`Params::page`] with the number of records to skip (`pageIndex *
    /// pageSize`; a product beyond any collection is a bad `pageIndex`).
    pub fn page_skip(&self, default: i64, max: i64) -> Result<(i64, i64, u64), ShikuError> {
        let (index, size) = self.page(default, max)?;
        let skip = index
            .checked_mul(size)
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| ShikuError::invalid("pageIndex"))?;
        Ok((index, size, skip))
    }

    /// `pageIndex` (default 0, never negative) and `pageSize` (default `default`,
    /// at least 1, at most `max`).
    pub fn page(&self, default: i64, max: i64) -> Result<(i64, i64), ShikuError> {
        let index = self.i64_or("pageIndex", 0)?;
        let size = self.i64_or("pageSize", default)?;
        if index < 0 {
            return Err(ShikuError::invalid("pageIndex"));
        }
        if size < 0 {
            return Err(ShikuError::invalid("pageSize"));
        }
        Ok((index, size.clamp(1, max)))
    }
}

async fn read_body(payload: &mut Payload, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| BodyError::Malformed(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl FromRequest for Params {
    type Error = ShikuError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<web::Data<crate::AppState>>()
                .map(|s| s.cfg.max_body_bytes)
                .unwrap_or(1 << 20);
            Ok(Params::read(&req, &mut payload, limit).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn numbers_parse_like_spring() {
        let q = p(&[
            ("a", " 12 "),
            ("b", ""),
            ("c", "x1"),
            ("d", "99999999999999999999"),
        ]);
        assert_eq!(q.i32_or("a", 0).unwrap(), 12);
        assert_eq!(q.i32_or("b", 7).unwrap(), 7);
        assert!(q.i32_or("c", 0).is_err());
        assert!(q.i64_or("d", 0).is_err());
    }

    #[test]
    fn page_is_bounded() {
        assert_eq!(
            p(&[("pageSize", "50000")]).page(20, 1000).unwrap(),
            (0, 1000)
        );
        assert!(p(&[("pageSize", "-1")]).page(20, 1000).is_err());
        assert!(p(&[("pageIndex", "-1")]).page(20, 1000).is_err());
    }
}
