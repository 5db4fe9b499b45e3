//! The upload server's other servlets: avatars (`UploadAvatarServlet`,
//! `UploadifyAvatarServlet`), voice (`UploadVoiceServlet`) and the AMR to MP3
//! conversion (`amrToMp3`). Like the original upload server they take no
//! token (Android posts avatars without one); a token that is sent must be
//! the avatar owner's.
//!
//! Avatars live at the path every client builds itself:
//! `UPLOAD_DIR/avatar/{o,t}/<userId % 10000>/<userId>.jpg` (the original and a
//! thumbnail of at most 100 px), served at `/avatar/...`; no API returns it.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::upload::{
    jmessage, receive_one_file, safe_rel_path, store_file, store_unavailable, Kind,
};
use crate::http::endpoint::{int, string, Dialect, Endpoint, Routes};
use crate::http::params::Params;
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&UPLOAD_AVATAR_SERVLET, upload_avatar)
        .add(&UPLOADIFY_AVATAR_SERVLET, upload_avatar)
        .add(&GROUP_AVATAR_SERVLET, upload_group_avatar)
        .add(&UPLOAD_VOICE_SERVLET, upload_voice)
        .add(&UPLOAD_AMR_TO_MP3, amr_to_mp3);
}

const AVATAR_PARAMS: [crate::http::endpoint::Param; 1] = [int("userId")];

pub const UPLOAD_AVATAR_SERVLET: Endpoint = Endpoint {
    path: "/upload/UploadAvatarServlet",
    summary: "a user's avatar (multipart, any file field, `userId`)",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &AVATAR_PARAMS,
    ..Endpoint::shiku("", "")
};

pub const UPLOADIFY_AVATAR_SERVLET: Endpoint = Endpoint {
    path: "/upload/UploadifyAvatarServlet",
    summary: "a user's avatar (the same, under the PC client's name)",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &AVATAR_PARAMS,
    ..Endpoint::shiku("", "")
};

/// The relative path of a user's avatar (`o`) or its thumbnail (`t`).
pub fn avatar_rel(kind: &str, user_id: i64) -> String {
    format!("avatar/{kind}/{}/{user_id}.jpg", user_id % 10000)
}

/// Avatar uploads: 1010101 without a file or a `userId`, a refusal for a
/// file that is not an image (decoded within the upload limits), a token of
/// someone else 1030102. The image is stored as sent (the original keeps the
/// bytes under `.jpg` whatever the format) with a JPEG thumbnail; answers
/// `{resultCode: 1, data: {oUrl, tUrl}}`.
async fn upload_avatar(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let token = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|q| {
            q.into_iter()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v)
        });
    let (form, file) = match receive_one_file(req, payload, &state).await {
        Ok(received) => received,
        Err(answer) => return answer,
    };
    let user_id = form.user_id();
    if user_id == 0 {
        return jmessage(StatusCode::OK, 1010101, "缺少请求参数");
    }
    let token = token.or_else(|| form.field("access_token").map(str::to_string));
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        match state
            .sessions
            .user_of(crate::store::sessions::Kind::Login, &t)
            .await
        {
            Ok(Some(u)) if u == user_id => {}
            Ok(_) => return jmessage(StatusCode::OK, 1030102, "访问令牌过期或无效"),
            Err(e) => return store_unavailable("avatar upload: session lookup", e),
        }
    }
    let (o_rel, t_rel) = (avatar_rel("o", user_id), avatar_rel("t", user_id));
    store_avatar(&state, &file.temp, &o_rel, &t_rel).await
}

/// Places an avatar: the image as sent at `o_rel`, a JPEG thumbnail at
/// `t_rel`; refused when it does not decode as an image (within the limits).
async fn store_avatar(state: &AppState, temp: &Path, o_rel: &str, t_rel: &str) -> HttpResponse {
    let dir = &state.cfg.upload_dir;
    let (src, o_path, t_path) = (temp.to_path_buf(), dir.join(o_rel), dir.join(t_rel));
    let t_tmp = dir
        .join(".tmp")
        .join(format!("{}.thumb.jpg", uuid::Uuid::new_v4().simple()));
    let thumb = super::upload::thumbnail(src, t_tmp.clone(), "jpg".into()).await;
    if !matches!(thumb, Ok(true)) {
        let _ = tokio::fs::remove_file(&t_tmp).await;
        return jmessage(StatusCode::OK, -1, "Unsupported file types!!!");
    }
    let placed = async {
        for p in [&o_path, &t_path] {
            tokio::fs::create_dir_all(p.parent().expect("has a parent")).await?;
        }
        tokio::fs::rename(temp, &o_path).await?;
        tokio::fs::rename(&t_tmp, &t_path).await
    }
    .await;
    if let Err(e) = placed {
        tracing::error!("avatar upload: {e}");
        let _ = tokio::fs::remove_file(&t_tmp).await;
        return jmessage(StatusCode::OK, -1, "server error !");
    }
    let base = &state.cfg.upload_base_url;
    HttpResponse::Ok().json(json!({
        "resultCode": 1,
        "data": {"oUrl": format!("{base}/{o_rel}"), "tUrl": format!("{base}/{t_rel}")},
    }))
}

/// Java's `String.hashCode` (over UTF-16 code units, wrapping).
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32))
}

/// The relative path of a room's avatar, as the clients build it
/// (`AvatarHelper.getGroupAvatarUrl`): `avatar/{o,t}/<|h % 10000|>/<|h % 20000|>/<jid>.jpg`
/// with `h` the jid's Java hash code.
pub fn group_avatar_rel(kind: &str, jid: &str) -> String {
    let h = java_hash(jid);
    format!(
        "avatar/{kind}/{}/{}/{jid}.jpg",
        (h % 10000).abs(),
        (h % 20000).abs()
    )
}

pub const GROUP_AVATAR_SERVLET: Endpoint = Endpoint {
    path: "/upload/GroupAvatarServlet",
    summary: "a room's avatar (multipart, any file field, `jid`)",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &[string("jid")],
    ..Endpoint::shiku("", "")
};

/// `GroupAvatarServlet` (Android's and WX's room settings: `jid` + the
/// picture): the room must exist; stored where the clients look for it.
async fn upload_group_avatar(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (form, file) = match receive_one_file(req, payload, &state).await {
        Ok(received) => received,
        Err(answer) => return answer,
    };
    let Some(jid) = form.field("jid").map(str::trim).filter(|j| !j.is_empty()) else {
        return jmessage(StatusCode::OK, 1010101, "缺少请求参数");
    };
    match state.store.room_by_jid(jid).await {
        Ok(Some(_)) => {}
        Ok(None) => return jmessage(StatusCode::OK, 100411, "房间不存在"),
        Err(e) => return store_unavailable("group avatar", e),
    }
    let (o_rel, t_rel) = (group_avatar_rel("o", jid), group_avatar_rel("t", jid));
    store_avatar(&state, &file.temp, &o_rel, &t_rel).await
}

pub const UPLOAD_VOICE_SERVLET: Endpoint = Endpoint {
    path: "/upload/UploadVoiceServlet",
    summary: "a voice recording (multipart, `userId`, `validTime`); answers {path, url}",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &[int("userId"), string("validTime")],
    ..Endpoint::shiku("", "")
};

/// `UploadVoiceServlet`: one recording, stored like any audio upload (and
/// recorded in `resources`); the answer is the original's `{path, url}` with
/// `resultCode` 1, which the original leaves out and QZ's upload code then
/// reports as an error.
async fn upload_voice(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (form, file) = match receive_one_file(req, payload, &state).await {
        Ok(received) => received,
        Err(answer) => return answer,
    };
    if form.user_id() == 0 {
        return jmessage(StatusCode::OK, 1010101, "缺少请求参数");
    }
    let valid_time = form
        .field("validTime")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let dir_rel = form.user_folder();
    let base = super::upload::absolute_base(&state.cfg.upload_dir);
    match store_file(
        &state,
        &file,
        Some("wav"),
        Kind::Audio,
        &dir_rel,
        &base,
        valid_time,
    )
    .await
    {
        Ok(item) => {
            let url = item["oUrl"].clone();
            HttpResponse::Ok().json(json!({"path": url, "resultCode": 1, "url": url}))
        }
        Err(msg) => jmessage(StatusCode::OK, -1, &msg),
    }
}

pub const UPLOAD_AMR_TO_MP3: Endpoint = Endpoint {
    path: "/upload/amrToMp3",
    summary: "MP3 copies of uploaded AMR voice files (`paths`, repeatable); needs ffmpeg",
    dialect: Dialect::ShikuUpload,
    auth: false,
    params: &[string("paths").required()],
    ..Endpoint::shiku("", "")
};

/// Conversions running at once (each is an ffmpeg process).
const CONVERSIONS: usize = 2;
/// Longest a conversion may take.
const CONVERSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Most `paths` one request may name.
const MAX_PATHS: usize = 20;

fn conversions() -> &'static Semaphore {
    static S: OnceLock<Semaphore> = OnceLock::new();
    S.get_or_init(|| Semaphore::new(CONVERSIONS))
}

/// `amrToMp3` (QZ and WX play AMR voice messages as MP3): each `paths` URL
/// of an uploaded `.amr` file gets an `.mp3` beside it (made once, by
/// ffmpeg); answers `data` with `{oFileName, oUrl, status: 1}` per converted
/// file (and `ourl`, which WX reads), and the counts. Nothing converted: a
/// refusal naming why (QZ reads `data[0]` of a success).
async fn amr_to_mp3(state: web::Data<AppState>, p: Params) -> HttpResponse {
    let start = Instant::now();
    let paths = p.all("paths");
    if paths.is_empty() || paths.len() > MAX_PATHS {
        return jmessage(StatusCode::OK, 1010101, "缺少请求参数");
    }
    let mut data = Vec::new();
    let mut reasons = Vec::new();
    for url in &paths {
        match convert(&state, url).await {
            Ok(item) => data.push(item),
            Err(why) => reasons.push(why),
        }
    }
    if data.is_empty() {
        return jmessage(
            StatusCode::OK,
            1020101,
            &format!("转换失败: {}", reasons.join("; ")),
        );
    }
    HttpResponse::Ok().json(json!({
        "resultCode": 1,
        "data": data,
        "success": data.len(),
        "failure": paths.len() - data.len(),
        "total": paths.len(),
        "time": start.elapsed().as_millis() as i64,
    }))
}

/// One URL: found below `UPLOAD_DIR` (by the upload base URL, or as a path),
/// an `.amr`, converted unless its `.mp3` exists.
async fn convert(state: &AppState, url: &str) -> Result<Value, String> {
    let base = &state.cfg.upload_base_url;
    let rel = url
        .strip_prefix(base.as_str())
        .unwrap_or(url)
        .trim_start_matches('/');
    if !rel.to_ascii_lowercase().ends_with(".amr") {
        return Err(format!("{url}: not an .amr file"));
    }
    let rel_path = safe_rel_path(rel).ok_or_else(|| format!("{url}: not an uploaded file"))?;
    let src = state.cfg.upload_dir.join(&rel_path);
    if !tokio::fs::try_exists(&src).await.unwrap_or(false) {
        return Err(format!("{url}: no such file"));
    }
    let mp3_rel = format!("{}.mp3", &rel[..rel.len() - 4]);
    let dst = state.cfg.upload_dir.join(&mp3_rel);
    if !tokio::fs::try_exists(&dst).await.unwrap_or(false) {
        let _permit = conversions().acquire().await.map_err(|e| e.to_string())?;
        ffmpeg(&src, &dst).await?;
    }
    let name = mp3_rel.rsplit('/').next().unwrap_or(&mp3_rel).to_string();
    let o_url = format!("{base}/{mp3_rel}");
    Ok(json!({"oFileName": name, "oUrl": o_url, "ourl": o_url, "status": 1}))
}

/// Runs ffmpeg into a temporary file, renamed into place when complete.
async fn ffmpeg(src: &Path, dst: &Path) -> Result<(), String> {
    let tmp = dst.with_extension("mp3.part");
    let mut cmd =
        tokio::process::Command::new(std::env::var("FFMPEG").unwrap_or_else(|_| "ffmpeg".into()));
    cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
        .arg(src)
        .args(["-f", "mp3", "-codec:a", "libmp3lame", "-q:a", "5"])
        .arg(&tmp)
        .kill_on_drop(true);
    let out = match tokio::time::timeout(CONVERSION_TIMEOUT, cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            tracing::error!("amrToMp3: ffmpeg cannot run: {e}");
            return Err("ffmpeg is not available".into());
        }
        Err(_) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err("conversion timed out".into());
        }
    };
    if !out.status.success() {
        let _ = tokio::fs::remove_file(&tmp).await;
        let err = String::from_utf8_lossy(&out.stderr);
        tracing::info!("amrToMp3: ffmpeg failed on {}: {err}", src.display());
        return Err("not a convertible AMR file".into());
    }
    tokio::fs::rename(&tmp, dst)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_avatars_follow_the_java_hash() {
        // "abc".hashCode() == 96354; a jid whose hash is negative uses |x % n|.
        assert_eq!(java_hash("abc"), 96354);
        assert_eq!(group_avatar_rel("o", "abc"), "avatar/o/6354/16354/abc.jpg");
        let neg = "polygenelubricants"; // Integer.MIN_VALUE in Java
        assert_eq!(java_hash(neg), i32::MIN);
        assert_eq!(
            group_avatar_rel("t", neg),
            format!(
                "avatar/t/{}/{}/{neg}.jpg",
                (i32::MIN % 10000).abs(),
                (i32::MIN % 20000).abs()
            )
        );
    }
}
