//! The original upload server (`shiku-upload`, port 8088) and the file server
//! in front of its directory (nginx, port 8089):
//!
//! - `POST /upload/UploadServlet`: multipart, one or several files plus the form
//!   fields `validTime` (days, `0`/`-1` = forever) and `userId`. Like the original
//!   servlet it takes no `access_token`: the upload server had no login check.
//!   Files land in `UPLOAD_DIR/<userId % 10000>/<userId>/<yyyyMM>/o/<uuid>.<ext>`
//!   (images also get `/t/<uuid>.<ext>`, a thumbnail), each URL is recorded in
//!   `resources`, and the answer is the original's JMessage
//!   `{total, data: {images, audios, videos, others}, success, failure, resultCode, time}`.
//! - `GET /<a>/<rest>` (first segment numeric, i.e. the upload layout): the stored
//!   files, with ranges, ETag/Last-Modified, `expires 4d` caching, and `.html`,
//!   `.htm`, `.jsp` refused like the seed's nginx rule.
//!
//! Bodies are streamed to a temporary file under `UPLOAD_DIR/.tmp` and renamed
//! into place only when complete; whatever goes wrong, temporaries are removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;

use crate::http::endpoint::{int, Dialect, Endpoint, Routes};
use crate::store::resources;
use crate::AppState;

/// Longest side of a thumbnail, in pixels: the original's `FileUtils.getThumbnailSize()`
/// floor (its `thumbnailSize` setting is never below 100).
pub const THUMBNAIL_SIZE: u32 = 100;
/// The seed's nginx `expires 4d`.
const CACHE_SECONDS: u64 = 4 * 24 * 3600;
/// Multipart framing allowed on top of `UPLOAD_MAX_BYTES` before a request is
/// refused by its `Content-Length` alone.
const FRAMING_SLACK: u64 = 64 * 1024;
/// Text fields are tiny (`validTime`, `userId`); anything longer is cut.
const MAX_TEXT_FIELD: usize = 8 * 1024;
const MAX_TEXT_FIELDS: usize = 64;
/// Decoding limits for thumbnails: a hostile image cannot exhaust memory.
const MAX_DECODE_SIDE: u32 = 20_000;
/// The largest image decoded for a thumbnail (40 megapixels, a big phone
/// photo): a larger one (a decompression bomb, typically) is refused before
/// decoding, so one upload never takes more than ~160 MB.
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// Thumbnails made at once (each may hold a decoded image).
const THUMBNAILS_AT_ONCE: usize = 2;

/// Why a thumbnail was not made.
pub enum ThumbError {
    /// Larger than [`MAX_DECODE_PIXELS`]: the upload is refused.
    TooLarge,
    /// Not a decodable image (kept without a thumbnail, as the original).
    Undecodable(String),
}

fn thumbnails() -> &'static tokio::sync::Semaphore {
    static S: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    S.get_or_init(|| tokio::sync::Semaphore::new(THUMBNAILS_AT_ONCE))
}

/// [`make_thumbnail`] on the blocking pool, at most [`THUMBNAILS_AT_ONCE`]
/// at a time.
pub async fn thumbnail(src: PathBuf, dst: PathBuf, ext: String) -> Result<bool, ThumbError> {
    let _permit = thumbnails()
        .acquire()
        .await
        .map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    web::block(move || make_thumbnail(&src, &dst, &ext))
        .await
        .map_err(|e| ThumbError::Undecodable(e.to_string()))?
}

const IMAGE_EXTS: &[&str] = &["jpg", "jpeg", "png", "gif", "bmp", "webp"];
const AUDIO_EXTS: &[&str] = &[
    "amr", "mp3", "wav", "aac", "m4a", "ogg", "wma", "flac", "ape", "opus",
];
const VIDEO_EXTS: &[&str] = &[
    "mp4", "avi", "mov", "3gp", "rmvb", "rm", "mkv", "flv", "wmv", "m4v", "mpg", "mpeg", "webm",
];
/// Never served (the seed's nginx `location ~/\.(html|htm|jsp) { deny all; }`).
const REFUSED_EXTS: &[&str] = &["html", "htm", "jsp"];

pub fn routes(r: &mut Routes) {
    r.add(&UPLOAD_UPLOAD_SERVLET, upload);
    r.other(|cfg| {
        cfg.service(
            web::resource("/{a:[0-9]+}/{rest:.*}")
                .route(web::get().to(serve_file))
                .route(web::head().to(serve_file)),
        )
        .service(
            web::resource("/avatar/{rest:.*}")
                .route(web::get().to(serve_avatar))
                .route(web::head().to(serve_avatar)),
        );
    });
}

/// The kinds of the original's `FileType` (by extension, case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Image,
    Audio,
    Video,
    Other,
}

impl Kind {
    pub fn of(ext: Option<&str>) -> Kind {
        let Some(ext) = ext else { return Kind::Other };
        let e = ext.to_ascii_lowercase();
        if IMAGE_EXTS.contains(&e.as_str()) {
            Kind::Image
        } else if AUDIO_EXTS.contains(&e.as_str()) {
            Kind::Audio
        } else if VIDEO_EXTS.contains(&e.as_str()) {
            Kind::Video
        } else {
            Kind::Other
        }
    }
    /// The word used in `UPLOAD_ALLOWED`.
    pub fn setting(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Audio => "audio",
            Kind::Video => "video",
            Kind::Other => "other",
        }
    }

    /// The index of the kind's list in the upload answer
    /// (`images`, `audios`, `videos`, `others`).
    fn slot(self) -> usize {
        match self {
            Kind::Image => 0,
            Kind::Audio => 1,
            Kind::Video => 2,
            Kind::Other => 3,
        }
    }
}

/// The extension of the client's file name (`ConfigUtils.getFormatName`: after the
/// last `.`), kept only when it is 1–10 ASCII letters/digits; never a path piece.
pub fn safe_ext(original_name: &str) -> Option<String> {
    let base = original_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(original_name);
    let (_, ext) = base.rsplit_once('.')?;
    if (1..=10).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Some(ext.to_string())
    } else {
        None
    }
}

/// The generated stored name: 32 hex digits (a dashless UUID) plus the extension.
pub fn stored_name(ext: Option<&str>) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match ext {
        Some(e) => format!("{id}.{e}"),
        None => id,
    }
}

/// Java's `Double.valueOf` for `validTime`; unparsable → `-1` like the servlet.
fn java_double(s: &str) -> f64 {
    let t = s.trim();
    let t = t
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|r| !r.is_empty() && !r.ends_with(['e', 'E']))
        .unwrap_or(t);
    match t {
        "NaN" | "+NaN" | "-NaN" => f64::NAN,
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if t
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            -1.0
        }
        _ => t.parse::<f64>().unwrap_or(-1.0),
    }
}

/// `{"resultCode", "resultMsg"}`: the servlet's `new JMessage(code, msg)`.
pub(super) fn jmessage(status: StatusCode, code: i32, msg: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"resultCode": code, "resultMsg": msg}))
}

/// Temporary files of one request; removed when the request ends, whatever happens.
pub(super) struct Temps(Vec<PathBuf>);

impl Drop for Temps {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub(super) struct Received {
    pub original_name: String,
    pub temp: PathBuf,
    pub size: u64,
}

enum Failure {
    Parse,
    TooLarge,
    Io(std::io::Error),
}

impl From<MultipartError> for Failure {
    fn from(_: MultipartError) -> Self {
        Failure::Parse
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Streams one file part to `temp`, counting towards the request's byte budget.
async fn receive_file(
    field: &mut Field,
    temp: &Path,
    used: &mut u64,
    max: u64,
) -> Result<u64, Failure> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .await?;
    let mut size = 0u64;
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        *used += chunk.len() as u64;
        if *used > max {
            return Err(Failure::TooLarge);
        }
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    file.sync_all().await?;
    Ok(size)
}

async fn receive_text(field: &mut Field) -> Result<String, Failure> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        let room = MAX_TEXT_FIELD.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A received multipart form: its files (streamed to temporaries, removed
/// with `temps`) and its text fields.
pub(super) struct Form {
    pub files: Vec<Received>,
    pub fields: Vec<(String, String)>,
    pub temps: Temps,
}

impl Form {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `userId` as the servlets read it (0 when absent or not a number).
    pub fn user_id(&self) -> i64 {
        self.field("userId")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
            .max(0)
    }

    /// The folder (relative to `UPLOAD_DIR`) this month's files of the
    /// form's user go to: `<userId % 10000>/<userId>/<yyyyMM>`.
    pub fn user_folder(&self) -> String {
        let user_id = self.user_id();
        let month = chrono::Local::now().format("%Y%m");
        format!("{}/{}/{}", user_id % 10000, user_id, month)
    }
}

/// The servlets' answer when the database cannot be read (HTTP 503, as
/// every other endpoint's outage answer); the cause is logged.
pub(super) fn store_unavailable(what: &str, e: impl std::fmt::Display) -> HttpResponse {
    tracing::warn!("{what}: {e}");
    jmessage(StatusCode::SERVICE_UNAVAILABLE, 1020101, "接口内部异常")
}

/// The servlets' answer to a form without a file.
pub(super) fn no_file() -> HttpResponse {
    jmessage(StatusCode::OK, 1010101, "缺少上传文件")
}

/// A one-file upload ([`receive_form`]): the form and its file (the last
/// one sent when several were).
pub(super) async fn receive_one_file(
    req: HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(Form, Received), HttpResponse> {
    let mut form = receive_form(req, payload, state).await?;
    let file = form.files.pop().ok_or_else(no_file)?;
    Ok((form, file))
}

/// Reads a multipart upload as the original's servlets do: file parts
/// (empty ones skipped) streamed to temporaries under `UPLOAD_DIR/.tmp`
/// within `UPLOAD_MAX_BYTES`, text fields kept. `Err` is the answer to give.
pub(super) async fn receive_form(
    req: HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Form, HttpResponse> {
    let cfg = &state.cfg;
    let max = cfg.upload_max_bytes;
    let too_large = format!("上传文件超过大小限制（最大 {max} 字节）");
    if declared_length(&req).is_some_and(|n| n > max.saturating_add(FRAMING_SLACK)) {
        return Err(jmessage(StatusCode::PAYLOAD_TOO_LARGE, 0, &too_large));
    }
    let tmp_dir = cfg.upload_dir.join(".tmp");
    if let Err(e) = tokio::fs::create_dir_all(&tmp_dir).await {
        tracing::error!("upload: cannot create {}: {e}", tmp_dir.display());
        return Err(jmessage(StatusCode::OK, 1020101, "接口内部异常"));
    }
    let mut form = Form {
        files: Vec::new(),
        fields: Vec::new(),
        temps: Temps(Vec::new()),
    };
    let mut mp = Multipart::new(req.headers(), payload);
    match receive_parts(&mut mp, &tmp_dir, max, &mut form).await {
        Ok(()) => Ok(form),
        Err(Failure::Parse) => Err(jmessage(StatusCode::OK, 1020101, "表单解析失败")),
        Err(Failure::TooLarge) => Err(jmessage(StatusCode::PAYLOAD_TOO_LARGE, 0, &too_large)),
        Err(Failure::Io(e)) => {
            tracing::error!("upload: writing a temporary file: {e}");
            Err(jmessage(StatusCode::OK, 1020101, "接口内部异常"))
        }
    }
}

/// The request's `Content-Length`, when it has a readable one.
fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Reads every part of `mp` into `form`: files streamed to temporaries in
/// `tmp_dir` (empty ones skipped) within `max` bytes, text fields kept.
async fn receive_parts(
    mp: &mut Multipart,
    tmp_dir: &Path,
    max: u64,
    form: &mut Form,
) -> Result<(), Failure> {
    let mut used = 0u64;
    while let Some(field) = mp.next().await {
        let mut field = field?;
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_string));
        match filename {
            Some(name) => {
                let temp = tmp_dir.join(format!("{}.part", uuid::Uuid::new_v4().simple()));
                form.temps.0.push(temp.clone());
                let size = receive_file(&mut field, &temp, &mut used, max).await?;
                if size == 0 {
                    // The servlet skips empty parts (`item.getSize() < 1`).
                    let _ = tokio::fs::remove_file(&temp).await;
                    continue;
                }
                form.files.push(Received {
                    original_name: name,
                    temp,
                    size,
                });
            }
            None => {
                if form.fields.len() >= MAX_TEXT_FIELDS {
                    return Err(Failure::Parse);
                }
                let field_name = field.name().unwrap_or("").to_string();
                let value = receive_text(&mut field).await?;
                form.fields.push((field_name, value));
            }
        }
    }
    Ok(())
}

pub const UPLOAD_UPLOAD_SERVLET: Endpoint = Endpoint {
    path: "/upload/UploadServlet",
    summary: "upload files (multipart `file`)",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &[int("validTime")],
    ..Endpoint::shiku("", "")
};

async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let start = Instant::now();
    let cfg = &state.cfg;
    let form = match receive_form(req, payload, &state).await {
        Ok(form) => form,
        Err(answer) => return answer,
    };
    if form.files.is_empty() {
        return no_file();
    }
    let valid_time = form.field("validTime").map(java_double).unwrap_or(0.0);
    let dir_rel = form.user_folder();
    let (files, temps) = (form.files, form.temps);

    let total = files.len();
    let base_path = absolute_base(&cfg.upload_dir);
    let mut lists: [Vec<Value>; 4] = Default::default();
    let mut success = 0usize;

    for f in files {
        let (kind, stored) = upload_one(&state, &f, &dir_rel, &base_path, valid_time).await;
        let item = match stored {
            Ok(item) => {
                success += 1;
                item
            }
            Err(item) => item,
        };
        lists[kind.slot()].push(item);
    }
    drop(temps);
    upload_answer(start, total, success, lists)
}

/// One file of an upload: its kind and its item, `Ok` when stored, `Err`
/// (a failed item) when its kind is not allowed or it could not be stored.
async fn upload_one(
    state: &AppState,
    f: &Received,
    dir_rel: &str,
    base_path: &str,
    valid_time: f64,
) -> (Kind, Result<Value, Value>) {
    let ext = safe_ext(&f.original_name);
    let kind = Kind::of(ext.as_deref());
    if !state.cfg.upload_allowed.iter().any(|k| k == kind.setting()) {
        return (
            kind,
            Err(failed_item(&f.original_name, "不允许上传该类型的文件")),
        );
    }
    let stored = store_file(
        state,
        f,
        ext.as_deref(),
        kind,
        dir_rel,
        base_path,
        valid_time,
    )
    .await;
    (
        kind,
        stored.map_err(|msg| failed_item(&f.original_name, &msg)),
    )
}

/// The servlet's JMessage: the items by kind (`lists` in [`Kind::slot`]
/// order), the counts and the time taken since `start`.
fn upload_answer(
    start: Instant,
    total: usize,
    success: usize,
    lists: [Vec<Value>; 4],
) -> HttpResponse {
    // The seed's capture lists only the kinds present (`data: {images: [...]}`).
    let mut data = Map::new();
    for (key, list) in ["images", "audios", "videos", "others"].iter().zip(lists) {
        if !list.is_empty() {
            data.insert(key.to_string(), Value::Array(list));
        }
    }
    // Key order of the original's HashMap-backed JMessage, as in the seed.
    let body = json!({
        "total": total,
        "data": Value::Object(data),
        "success": success,
        "failure": total - success,
        "resultCode": 1,
        "time": start.elapsed().as_millis() as i64,
    });
    HttpResponse::Ok().json(body)
}

/// `UploadItem(oFileName, null, 0, message)`.
fn failed_item(original_name: &str, message: &str) -> Value {
    json!({"message": message, "oFileName": original_name, "status": 0})
}

/// The upload directory as an absolute path without a trailing `/` (the
/// original's `basePath`), used for `resources.path`.
pub(super) fn absolute_base(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|c| c.join(dir))
            .unwrap_or_else(|_| dir.to_path_buf())
    });
    abs.to_string_lossy().trim_end_matches('/').to_string()
}

/// Moves one received file into place, makes the thumbnail of an image and
/// records the URLs. On any failure nothing of this file is left behind.
pub(super) async fn store_file(
    state: &AppState,
    f: &Received,
    ext: Option<&str>,
    kind: Kind,
    dir_rel: &str,
    base_path: &str,
    valid_time: f64,
) -> Result<Value, String> {
    let cfg = &state.cfg;
    let name = stored_name(ext);
    let o_rel = format!("{dir_rel}/o/{name}");
    let o_path = cfg.upload_dir.join(&o_rel);
    place_received(&f.temp, &o_path).await?;
    let now_s = crate::util::now_s();
    let url_of = |rel: &str| format!("{}/{}", cfg.upload_base_url, rel);
    let doc_of = |url: &str, rel: &str, days: f64| {
        resources::resource_doc(url, &format!("{base_path}/{rel}"), now_s, days)
    };
    let o_url = url_of(&o_rel);
    let o_days = if kind == Kind::Image {
        valid_time
    } else {
        -1.0
    };
    let mut docs = vec![doc_of(&o_url, &o_rel, o_days)];
    let mut created = vec![o_path.clone()];

    let mut t_url = None;
    if kind == Kind::Image {
        let t_rel = format!("{dir_rel}/t/{name}");
        let placed =
            place_thumbnail(&cfg.upload_dir, &o_path, &t_rel, ext, &f.original_name).await?;
        t_url = Some(match placed {
            Some(t_path) => {
                created.push(t_path);
                let url = url_of(&t_rel);
                docs.push(doc_of(&url, &t_rel, valid_time));
                url
            }
            // Not decodable as an image: stored as it is, the thumbnail URL is the original.
            None => o_url.clone(),
        });
    }

    record_resources(state, docs, created).await?;
    tracing::debug!("upload: stored {} ({} bytes)", o_url, f.size);
    Ok(stored_item(&f.original_name, o_url, t_url))
}

/// The `UploadItem` of a stored file (`tUrl` for an image only).
fn stored_item(original_name: &str, o_url: String, t_url: Option<String>) -> Value {
    let mut item = json!({"oFileName": original_name, "oUrl": o_url, "status": 1});
    if let Some(t) = t_url {
        item["tUrl"] = Value::String(t);
    }
    item
}

/// Moves a received temporary to `o_path`; a failure is logged and
/// answered as "文件保存失败".
async fn place_received(temp: &Path, o_path: &Path) -> Result<(), String> {
    move_into(temp, o_path).await.map_err(|e| {
        tracing::error!("upload: {e}");
        "文件保存失败".to_string()
    })
}

/// Moves `from` to `to`, making `to`'s directory first.
async fn move_into(from: &Path, to: &Path) -> std::io::Result<()> {
    tokio::fs::create_dir_all(to.parent().expect("has a parent")).await?;
    tokio::fs::rename(from, to).await
}

/// Makes the thumbnail of the stored image `o_path` and places it at `t_rel`
/// below `upload_dir`: its path, or `None` when none was made (not decodable,
/// or not placed). An image over [`MAX_DECODE_PIXELS`] is removed and refused.
async fn place_thumbnail(
    upload_dir: &Path,
    o_path: &Path,
    t_rel: &str,
    ext: Option<&str>,
    original_name: &str,
) -> Result<Option<PathBuf>, String> {
    let t_path = upload_dir.join(t_rel);
    let t_tmp = upload_dir
        .join(".tmp")
        .join(format!("{}.thumb", uuid::Uuid::new_v4().simple()));
    let src = o_path.to_path_buf();
    let tmp = t_tmp.clone();
    let ext_owned = ext.unwrap_or("").to_ascii_lowercase();
    match thumbnail(src, tmp, ext_owned).await {
        Ok(true) => match move_into(&t_tmp, &t_path).await {
            Ok(()) => return Ok(Some(t_path)),
            Err(e) => {
                let _ = tokio::fs::remove_file(&t_tmp).await;
                tracing::warn!("upload: placing a thumbnail: {e}");
            }
        },
        Ok(false) => {}
        Err(ThumbError::TooLarge) => {
            // Refused: nothing of it stays.
            let _ = tokio::fs::remove_file(&t_tmp).await;
            let _ = tokio::fs::remove_file(o_path).await;
            return Err(format!("图片尺寸过大（最多 {MAX_DECODE_PIXELS} 像素）"));
        }
        Err(ThumbError::Undecodable(e)) => {
            let _ = tokio::fs::remove_file(&t_tmp).await;
            tracing::info!("upload: no thumbnail for {original_name}: {e}");
        }
    }
    Ok(None)
}

/// Records the stored files' URLs in `resources`; when that fails, the
/// files (`created`) are removed.
async fn record_resources(
    state: &AppState,
    docs: Vec<bson::Document>,
    created: Vec<PathBuf>,
) -> Result<(), String> {
    if let Err(e) = resources::insert(&state.store, docs).await {
        tracing::error!("upload: recording resources: {e}");
        for p in created {
            let _ = tokio::fs::remove_file(p).await;
        }
        return Err("文件记录保存失败".to_string());
    }
    Ok(())
}

/// Writes the thumbnail of `src` to `dst`: longest side [`THUMBNAIL_SIZE`],
/// same format as the extension says. GIF and WebP are copied as they are (the
/// original keeps animations). `Ok(false)`/`Err` when `src` is not a decodable image.
pub fn make_thumbnail(src: &Path, dst: &Path, ext: &str) -> Result<bool, ThumbError> {
    // The size from the header first: a bomb is refused before any decoding.
    let (w, h) = open_limited(src)?.into_dimensions().map_err(decode_error)?;
    if u64::from(w) * u64::from(h) > MAX_DECODE_PIXELS {
        return Err(ThumbError::TooLarge);
    }

    if ext == "gif" || ext == "webp" {
        if w == 0 || h == 0 {
            return Ok(false);
        }
        std::fs::copy(src, dst).map_err(|e| ThumbError::Undecodable(e.to_string()))?;
        return Ok(true);
    }

    let img = open_limited(src)?.decode().map_err(decode_error)?;
    if img.width() == 0 || img.height() == 0 {
        return Ok(false);
    }
    save_thumbnail(&shrunk(img), dst, ext)?;
    Ok(true)
}

/// An image reader of `src` (format guessed from its content) within the
/// decoding limits.
fn open_limited(
    src: &Path,
) -> Result<image::ImageReader<std::io::BufReader<std::fs::File>>, ThumbError> {
    let undecodable = |e: std::io::Error| ThumbError::Undecodable(e.to_string());
    let mut r = image::ImageReader::open(src)
        .map_err(undecodable)?
        .with_guessed_format()
        .map_err(undecodable)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    r.limits(limits);
    Ok(r)
}

/// A decoding error: [`ThumbError::TooLarge`] when a limit was hit.
fn decode_error(e: image::ImageError) -> ThumbError {
    match e {
        image::ImageError::Limits(_) => ThumbError::TooLarge,
        other => ThumbError::Undecodable(other.to_string()),
    }
}

/// `img` scaled down so that its longest side is [`THUMBNAIL_SIZE`] (as it
/// is when already smaller).
fn shrunk(img: image::DynamicImage) -> image::DynamicImage {
    let (w, h) = (img.width(), img.height());
    let longest = w.max(h);
    if longest > THUMBNAIL_SIZE {
        let scale = THUMBNAIL_SIZE as f64 / longest as f64;
        let tw = ((w as f64 * scale) as u32).max(1);
        let th = ((h as f64 * scale) as u32).max(1);
        img.resize_exact(tw, th, image::imageops::FilterType::Triangle)
    } else {
        img
    }
}

/// Saves `thumb` to `dst` in the format `ext` names (PNG when none): JPEG
/// as RGB, BMP as RGBA.
fn save_thumbnail(thumb: &image::DynamicImage, dst: &Path, ext: &str) -> Result<(), ThumbError> {
    use image::ImageFormat;
    let format = ImageFormat::from_extension(ext).unwrap_or(ImageFormat::Png);
    let result = match format {
        ImageFormat::Jpeg => {
            image::DynamicImage::ImageRgb8(thumb.to_rgb8()).save_with_format(dst, format)
        }
        ImageFormat::Bmp => {
            image::DynamicImage::ImageRgba8(thumb.to_rgba8()).save_with_format(dst, format)
        }
        _ => thumb.save_with_format(dst, format),
    };
    result.map_err(|e| ThumbError::Undecodable(e.to_string()))
}

/// Checks a requested path below `UPLOAD_DIR`: relative, no empty/`.`/`..`
/// segments, no hidden segments, no backslashes, NULs or control characters.
pub fn safe_rel_path(rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.len() > 1024 {
        return None;
    }
    let mut out = PathBuf::new();
    for seg in rel.split('/') {
        if seg.is_empty()
            || seg.starts_with('.')
            || seg.chars().any(|c| c == '\\' || c == ':' || c.is_control())
        {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

fn refused_ext(rel: &str) -> bool {
    let last = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    last.rsplit_once('.')
        .is_some_and(|(_, e)| REFUSED_EXTS.contains(&e))
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

async fn serve_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (a, rest) = path.into_inner();
    serve_rel(&req, &format!("{a}/{rest}"), &state).await
}

/// `GET /avatar/{o|t}/<userId % 10000>/<userId>.jpg`: the avatars, served like
/// the other files.
async fn serve_avatar(
    req: HttpRequest,
    rest: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    serve_rel(&req, &format!("avatar/{}", rest.into_inner()), &state).await
}

/// A stored file by its path below `UPLOAD_DIR`.
async fn serve_rel(req: &HttpRequest, rel: &str, state: &AppState) -> HttpResponse {
    let rel = rel.to_string();
    if refused_ext(&rel) {
        return plain(StatusCode::FORBIDDEN, "403 Forbidden");
    }
    let Some(rel_path) = safe_rel_path(&rel) else {
        return plain(StatusCode::NOT_FOUND, "404 Not Found");
    };
    let root = match tokio::fs::canonicalize(&state.cfg.upload_dir).await {
        Ok(r) => r,
        Err(_) => return plain(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let full = match tokio::fs::canonicalize(root.join(&rel_path)).await {
        Ok(p) if p.starts_with(&root) => p,
        _ => return plain(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let file = match actix_files::NamedFile::open_async(&full).await {
        Ok(f) if f.metadata().is_file() => f,
        _ => return plain(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let mut resp = file
        .use_etag(true)
        .use_last_modified(true)
        .prefer_utf8(true)
        .into_response(req);
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=345600"),
    );
    let expires = header::HttpDate::from(SystemTime::now() + Duration::from_secs(CACHE_SECONDS));
    if let Ok(v) = HeaderValue::from_str(&expires.to_string()) {
        h.insert(header::EXPIRES, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Uploaded files are the users' content on the API's origin: nothing in
    // them may run (an SVG's or an XHTML file's scripts), though they still
    // display and download.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(safe_ext("首页.png").as_deref(), Some("png"));
        assert_eq!(safe_ext("a.tar.GZ").as_deref(), Some("GZ"));
        assert_eq!(safe_ext("../../etc/passwd"), None);
        assert_eq!(safe_ext("x.p/ng"), None);
        assert_eq!(safe_ext("..\\..\\a.jpg").as_deref(), Some("jpg"));
        assert_eq!(safe_ext("a.j\0pg"), None);
        assert_eq!(safe_ext("noext"), None);
        assert_eq!(safe_ext("a."), None);
        assert_eq!(Kind::of(Some("JPG")), Kind::Image);
        assert_eq!(Kind::of(Some("amr")), Kind::Audio);
        assert_eq!(Kind::of(Some("mp4")), Kind::Video);
        assert_eq!(Kind::of(Some("txt")), Kind::Other);
        assert_eq!(Kind::of(None), Kind::Other);
        let n = stored_name(Some("png"));
        assert_eq!(n.len(), 36);
        assert!(n[..32].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn doubles() {
        assert_eq!(java_double("0"), 0.0);
        assert_eq!(java_double(" 1.5 "), 1.5);
        assert_eq!(java_double("2d"), 2.0);
        assert_eq!(java_double("-1"), -1.0);
        assert_eq!(java_double(""), -1.0);
        assert_eq!(java_double("null"), -1.0);
        assert_eq!(java_double("abc"), -1.0);
        assert!(java_double("NaN").is_nan());
    }

    #[test]
    fn paths() {
        assert!(safe_rel_path("0/0/202401/o/a.png").is_some());
        assert!(safe_rel_path("0/../../etc/passwd").is_none());
        assert!(safe_rel_path("0//a").is_none());
        assert!(safe_rel_path("0/.tmp/x.part").is_none());
        assert!(safe_rel_path("0/a\\..\\b").is_none());
        assert!(safe_rel_path("0/a\0b").is_none());
        assert!(refused_ext("0/0/x.HTML"));
        assert!(refused_ext("0/0/x.jsp"));
        assert!(!refused_ext("0/0/x.png"));
    }
}
