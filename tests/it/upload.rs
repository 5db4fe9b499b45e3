//! `/upload/UploadServlet` and the file server over `UPLOAD_DIR`.

use crate::common;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use bson::{Bson, Document};
use common::TestApp;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const BASE: &str = "http://files.test";

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(y % 256) as u8, 40, (x % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

/// POST multipart; returns (status, raw body, JSON).
async fn post(app: &TestApp, form: Form) -> (u16, String, Value) {
    let r = app
        .http
        .post(format!("{}/upload/UploadServlet", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, text, v)
}

/// Every regular file below `dir`, as paths relative to it (sorted).
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The stored layout: `<a>/<b>/<yyyyMM>/<o|t>/<32 hex>[.<ext>]`.
fn is_layout(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.len() != 5 {
        return false;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (stem, ext) = match parts[4].split_once('.') {
        Some((s, e)) => (s, Some(e)),
        None => (parts[4], None),
    };
    digits(parts[0])
        && digits(parts[1])
        && parts[2].len() == 6
        && digits(parts[2])
        && (parts[3] == "o" || parts[3] == "t")
        && stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && ext.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn rel_of(url: &str) -> String {
    url.strip_prefix(&format!("{BASE}/"))
        .unwrap_or_else(|| panic!("{url} does not start with {BASE}/"))
        .to_string()
}

async fn resources(app: &TestApp) -> Vec<Document> {
    app.dump(&app.store().cfg.resources, "resources").await
}

fn month() -> String {
    chrono::Local::now().format("%Y%m").to_string()
}

fn canonical_base(app: &TestApp) -> String {
    std::fs::canonicalize(&app.upload_dir)
        .unwrap()
        .to_string_lossy()
        .to_string()
}

#[actix_web::test]
async fn uploads_images_and_text_stores_thumbnails_records_and_serves_them() {
    let app = TestApp::start().await;
    let png_bytes = png(400, 300);
    let jpg_bytes = jpeg(640, 480);
    let txt_bytes = b"hello upload\n".to_vec();
    let form = Form::new()
        .text("validTime", "2")
        .text("userId", "10001234")
        .part("file", file(png_bytes.clone(), "首页.png", "image/png"))
        .part("file", file(jpg_bytes.clone(), "photo.JPG", "image/jpeg"))
        .part("file", file(txt_bytes.clone(), "notes.txt", "text/plain"));
    let before = chrono::Utc::now().timestamp();
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");

    // The original JMessage's key order, as in the seed.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["total", "data", "success", "failure", "resultCode", "time"]
    );
    assert_eq!(v["total"], 3);
    assert_eq!(v["success"], 3);
    assert_eq!(v["failure"], 0);
    assert_eq!(v["resultCode"], 1);
    assert!(v["time"].as_i64().unwrap() >= 0);
    let data = v["data"].as_object().unwrap();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["images", "others"]);
    let images = data["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    let others = data["others"].as_array().unwrap();
    assert_eq!(others.len(), 1);

    let dir = format!("1234/10001234/{}", month());
    let mut expected_docs = 0;
    for (item, name, bytes, ext) in [
        (&images[0], "首页.png", &png_bytes, "png"),
        (&images[1], "photo.JPG", &jpg_bytes, "JPG"),
    ] {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["oFileName", "oUrl", "status", "tUrl"]);
        assert_eq!(item["oFileName"], name);
        assert_eq!(item["status"], 1);
        let o = rel_of(item["oUrl"].as_str().unwrap());
        let t = rel_of(item["tUrl"].as_str().unwrap());
        assert!(o.starts_with(&format!("{dir}/o/")), "{o}");
        assert!(o.ends_with(&format!(".{ext}")), "{o}");
        assert!(is_layout(&o) && is_layout(&t));
        assert_eq!(t, o.replace("/o/", "/t/"));
        // Original bytes unchanged on disk.
        assert_eq!(&std::fs::read(app.upload_dir.join(&o)).unwrap(), bytes);
        // The thumbnail: decodable, longest side 100, smaller file.
        let thumb = std::fs::read(app.upload_dir.join(&t)).unwrap();
        let decoded = image::load_from_memory(&thumb).unwrap();
        assert_eq!(decoded.width().max(decoded.height()), 100);
        assert!(thumb.len() < bytes.len());
        expected_docs += 2;
    }
    let other = &others[0];
    assert_eq!(other["oFileName"], "notes.txt");
    assert_eq!(other["status"], 1);
    assert!(other.get("tUrl").is_none());
    let txt_rel = rel_of(other["oUrl"].as_str().unwrap());
    assert!(txt_rel.starts_with(&format!("{dir}/o/")) && txt_rel.ends_with(".txt"));
    assert_eq!(
        std::fs::read(app.upload_dir.join(&txt_rel)).unwrap(),
        txt_bytes
    );
    expected_docs += 1;

    // Exactly these five files exist, nothing is left in the temp area.
    let on_disk: Vec<String> = files_under(&app.upload_dir);
    assert_eq!(on_disk.len(), 5, "{on_disk:?}");
    assert!(on_disk.iter().all(|f| is_layout(f)), "{on_disk:?}");

    // resources: one document per URL, with the original's types.
    let docs = resources(&app).await;
    assert_eq!(docs.len(), expected_docs);
    let base = canonical_base(&app);
    for d in &docs {
        let url = d.get_str("url").unwrap();
        let rel = rel_of(url);
        assert_eq!(d.get_str("path").unwrap(), format!("{base}/{rel}"));
        assert_eq!(d.get("type"), Some(&Bson::Int32(1)));
        assert_eq!(d.get("status"), Some(&Bson::Int32(1)));
        assert_eq!(
            d.get_str("fileName").unwrap(),
            rel.rsplit('/').next().unwrap()
        );
        assert_eq!(d.get("citations"), Some(&Bson::Int32(1)));
        let created = d.get_i64("createTime").unwrap();
        assert!(created >= before && created <= before + 60);
        let end = d.get_i64("endTime").unwrap();
        if rel.ends_with(".txt") {
            // The servlet records non-image files as permanent (`saveFileUrl(1, url, -1)`).
            assert_eq!(end, -1);
        } else {
            assert_eq!(end, created + 2 * 86_400);
        }
    }

    // Served back byte for byte, with type, caching and ranges.
    let png_url = format!(
        "{}/{}",
        app.base,
        rel_of(images[0]["oUrl"].as_str().unwrap())
    );
    let r = app.http.get(&png_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "max-age=345600");
    assert!(r.headers().contains_key("expires"));
    assert!(r.headers().contains_key("etag"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png_bytes);

    let r = app
        .http
        .get(&png_url)
        .header("Range", "bytes=8-23")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 8-23/{}", png_bytes.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), png_bytes[8..24].to_vec());

    let txt_url = format!("{}/{}", app.base, txt_rel);
    let r = app.http.get(&txt_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), txt_bytes);

    let thumb_url = format!(
        "{}/{}",
        app.base,
        rel_of(images[1]["tUrl"].as_str().unwrap())
    );
    let r = app.http.get(&thumb_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
}

#[actix_web::test]
async fn seed_shaped_upload_without_user_id_goes_to_0_0_and_never_expires() {
    let app = TestApp::start().await;
    let form = Form::new()
        .text("validTime", "0")
        .part("file", file(png(150, 120), "首页.png", "image/png"));
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");
    assert!(raw.starts_with("{\"total\":1,\"data\":{\"images\":[{\"oFileName\":\"首页.png\",\"oUrl\":\"http://files.test/0/0/"), "{raw}");
    let item = &v["data"]["images"][0];
    let o = rel_of(item["oUrl"].as_str().unwrap());
    assert!(o.starts_with(&format!("0/0/{}/o/", month())));
    let docs = resources(&app).await;
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| d.get_i64("endTime").unwrap() == -1));
    // 150x120 → 100x80.
    let t = image::open(app.upload_dir.join(rel_of(item["tUrl"].as_str().unwrap()))).unwrap();
    assert_eq!((t.width(), t.height()), (100, 80));
}

#[actix_web::test]
async fn hostile_file_names_are_metadata_only() {
    let app = TestApp::start().await;
    let names = [
        "../../../../etc/passwd",
        "/etc/shadow.png",
        "..\\..\\windows\\win.ini",
        "\u{202e}gnp.exe",
        "файл ../ 名前.txt",
        "....",
        "x.p/../ng",
    ];
    let mut form = Form::new().text("userId", "7");
    for n in names {
        form = form.part(
            "file",
            file(
                b"not an image at all".to_vec(),
                n,
                "application/octet-stream",
            ),
        );
    }
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(v["total"], names.len(), "{raw}");
    assert_eq!(v["success"], names.len());
    let mut seen = Vec::new();
    for list in v["data"].as_object().unwrap().values() {
        for item in list.as_array().unwrap() {
            seen.push(item["oFileName"].as_str().unwrap().to_string());
            let o = rel_of(item["oUrl"].as_str().unwrap());
            assert!(is_layout(&o), "{o}");
            assert!(o.starts_with(&format!("7/7/{}/o/", month())), "{o}");
        }
    }
    seen.sort();
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    let on_disk = files_under(&app.upload_dir);
    assert_eq!(on_disk.len(), names.len(), "{on_disk:?}");
    assert!(on_disk.iter().all(|f| is_layout(f)), "{on_disk:?}");
    // Nothing was written next to the upload directory.
    let parent = app.upload_dir.parent().unwrap();
    assert!(!parent.join("etc").join("passwd").exists());

    // A NUL byte cannot be in a part header: the whole form is refused, nothing stored.
    let snap = app.snapshot().await;
    let form = Form::new().part(
        "file",
        file(b"x".to_vec(), "a\u{0}b.png", "application/octet-stream"),
    );
    let (status, raw, _) = post(&app, form).await;
    assert_eq!(status, 200);
    assert_eq!(raw, r#"{"resultCode":1020101,"resultMsg":"表单解析失败"}"#);
    assert_eq!(files_under(&app.upload_dir).len(), names.len());
    assert_eq!(app.snapshot().await, snap);
}

#[actix_web::test]
async fn serving_never_leaves_the_upload_dir_and_refuses_html() {
    let app = TestApp::start().await;
    let dir = app.upload_dir.join("0/0/202101/o");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ok.png"), b"fine").unwrap();
    std::fs::write(dir.join("page.html"), b"<script>alert(1)</script>").unwrap();
    std::fs::write(dir.join("page.HTM"), b"x").unwrap();
    std::fs::write(dir.join("x.jsp"), b"x").unwrap();
    // A secret right next to the upload directory, and a symlink pointing at it.
    let secret: PathBuf = app
        .upload_dir
        .with_file_name(format!("secret-{}.txt", app.prefix));
    std::fs::write(&secret, b"TOP SECRET").unwrap();
    std::os::unix::fs::symlink(&secret, dir.join("link.txt")).unwrap();

    let get = |p: &str| {
        let url = format!("{}{}", app.base, p);
        let http = app.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.bytes().await.unwrap().to_vec())
        }
    };
    let (s, body) = get("/0/0/202101/o/ok.png").await;
    assert_eq!((s, body.as_slice()), (200, b"fine".as_slice()));
    for p in [
        "/0/0/202101/o/page.html",
        "/0/0/202101/o/page.HTM",
        "/0/0/202101/o/x.jsp",
    ] {
        assert_eq!(get(p).await.0, 403, "{p}");
    }
    let secret_name = secret.file_name().unwrap().to_string_lossy().to_string();
    for p in [
        format!("/0/%2e%2e/{secret_name}"),
        format!("/0/..%2f{secret_name}"),
        format!("/0/0/202101/o/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f{secret_name}"),
        "/0/0/202101/o/link.txt".to_string(),
        "/0/%2fetc%2fpasswd".to_string(),
        "/0/..%5c..%5cetc%5cpasswd".to_string(),
        "/0/0/202101/o/ok.png%00.txt".to_string(),
        "/0/.tmp/x".to_string(),
        "/0/0/202101/o".to_string(),
        "/0/0/202101/o/missing.png".to_string(),
    ] {
        let (s, body) = get(&p).await;
        assert_eq!(s, 404, "{p}");
        assert!(
            !String::from_utf8_lossy(&body).contains("TOP SECRET"),
            "{p}"
        );
    }
    let _ = std::fs::remove_file(secret);
}

#[actix_web::test]
async fn oversize_is_refused_and_leaves_nothing_behind() {
    let app = TestApp::start_with(&[("UPLOAD_MAX_BYTES", "1000")]).await;
    let snap = app.snapshot().await;

    // One file over the limit (streamed: the declared length is within the slack).
    let form = Form::new().part(
        "file",
        file(vec![7u8; 5000], "big.bin", "application/octet-stream"),
    );
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 413, "{raw}");
    assert_eq!(v["resultCode"], 0);
    assert!(v["resultMsg"].as_str().unwrap().contains("1000"), "{raw}");

    // Two files, the second one crossing the limit: the first is not kept either.
    let form = Form::new()
        .part("file", file(png(10, 10), "a.png", "image/png"))
        .part(
            "file",
            file(vec![1u8; 900], "b.bin", "application/octet-stream"),
        );
    let (status, raw, _) = post(&app, form).await;
    assert_eq!(status, 413, "{raw}");

    // Refused by Content-Length alone.
    let form = Form::new().part(
        "file",
        file(vec![2u8; 200_000], "huge.bin", "application/octet-stream"),
    );
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 413, "{raw}");
    assert_eq!(v["resultCode"], 0);

    assert!(
        files_under(&app.upload_dir).is_empty(),
        "{:?}",
        files_under(&app.upload_dir)
    );
    assert_eq!(app.snapshot().await, snap);

    // Within the limit it still works.
    let form = Form::new().part(
        "file",
        file(vec![3u8; 900], "ok.bin", "application/octet-stream"),
    );
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(v["success"], 1);
}

#[actix_web::test]
async fn empty_uploads_and_wrong_content_types_are_refused() {
    let app = TestApp::start().await;
    let snap = app.snapshot().await;

    let (status, raw, v) = post(&app, Form::new().text("validTime", "0")).await;
    assert_eq!(status, 200);
    assert_eq!(raw, r#"{"resultCode":1010101,"resultMsg":"缺少上传文件"}"#);
    assert_eq!(v["resultCode"], 1010101);

    let form = Form::new().part("file", file(Vec::new(), "empty.png", "image/png"));
    let (_, raw, _) = post(&app, form).await;
    assert_eq!(raw, r#"{"resultCode":1010101,"resultMsg":"缺少上传文件"}"#);

    let parse_failed = r#"{"resultCode":1020101,"resultMsg":"表单解析失败"}"#;
    let r = app
        .http
        .post(format!("{}/upload/UploadServlet", app.base))
        .form(&[("file", "abc"), ("validTime", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), parse_failed);
    let r = app
        .http
        .post(format!("{}/upload/UploadServlet", app.base))
        .header("content-type", "application/json")
        .body(r#"{"file":"abc"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), parse_failed);
    let r = app
        .http
        .post(format!("{}/upload/UploadServlet", app.base))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(
            "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), parse_failed);
    let r = app
        .http
        .get(format!("{}/upload/UploadServlet", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), parse_failed);

    assert!(files_under(&app.upload_dir).is_empty());
    assert_eq!(app.snapshot().await, snap);
}

#[actix_web::test]
async fn a_fake_image_is_stored_without_thumbnail() {
    let app = TestApp::start().await;
    let mut truncated = png(300, 300);
    truncated.truncate(60);
    let form = Form::new()
        .text("validTime", "1")
        .part(
            "file",
            file(b"just some text".to_vec(), "fake.png", "image/png"),
        )
        .part("file", file(truncated.clone(), "cut.jpg", "image/jpeg"))
        .part(
            "file",
            file(b"GIF89a nope".to_vec(), "anim.gif", "image/gif"),
        );
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(v["success"], 3);
    let images = v["data"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    for item in images {
        assert_eq!(item["status"], 1);
        assert_eq!(item["tUrl"], item["oUrl"]);
    }
    assert_eq!(
        std::fs::read(
            app.upload_dir
                .join(rel_of(images[1]["oUrl"].as_str().unwrap()))
        )
        .unwrap(),
        truncated
    );
    let on_disk = files_under(&app.upload_dir);
    assert_eq!(on_disk.len(), 3);
    assert!(on_disk.iter().all(|f| f.contains("/o/")), "{on_disk:?}");
    assert_eq!(resources(&app).await.len(), 3);
}

#[actix_web::test]
async fn kinds_outside_upload_allowed_are_refused_per_file() {
    let app = TestApp::start_with(&[("UPLOAD_ALLOWED", "image,audio")]).await;
    let form = Form::new()
        .part("file", file(b"#!/bin/sh".to_vec(), "run.sh", "text/plain"))
        .part("file", file(b"ID3".to_vec(), "voice.amr", "audio/amr"))
        .part("file", file(b"vid".to_vec(), "clip.mp4", "video/mp4"));
    let (status, raw, v) = post(&app, form).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(v["total"], 3);
    assert_eq!(v["success"], 1);
    assert_eq!(v["failure"], 2);
    let other = &v["data"]["others"][0];
    assert_eq!(other["status"], 0);
    assert_eq!(other["oFileName"], "run.sh");
    assert!(other["message"].is_string());
    assert!(other.get("oUrl").is_none());
    assert_eq!(v["data"]["audios"][0]["status"], 1);
    assert_eq!(v["data"]["videos"][0]["status"], 0);
    let on_disk = files_under(&app.upload_dir);
    assert_eq!(on_disk.len(), 1);
    assert!(on_disk[0].ends_with(".amr"));
    assert_eq!(resources(&app).await.len(), 1);
}

async fn post_to(app: &TestApp, path: &str, form: Form) -> (u16, String, Value) {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, text, v)
}

/// Android's `BasicInfoEditActivity` (multipart `file1` + `userId`, no
/// token) and WX (`file` + `userId`); every client then loads
/// `<downloadAvatarUrl>avatar/{o,t}/<userId % 10000>/<userId>.jpg` itself.
#[actix_web::test]
async fn avatars_land_where_the_clients_look_for_them() {
    let app = TestApp::start().await;
    let dir = app.upload_dir.clone();
    let picture = png(400, 200);
    let form = Form::new()
        .text("userId", "100164")
        .part("file1", file(picture.clone(), "avatar.png", "image/png"));
    let (s, _, v) = post_to(&app, "/upload/UploadAvatarServlet", form).await;
    assert_eq!((s, v["resultCode"].as_i64()), (200, Some(1)), "{v}");
    assert_eq!(v["data"]["oUrl"], format!("{BASE}/avatar/o/164/100164.jpg"));
    assert_eq!(v["data"]["tUrl"], format!("{BASE}/avatar/t/164/100164.jpg"));
    assert_eq!(
        std::fs::read(dir.join("avatar/o/164/100164.jpg")).unwrap(),
        picture,
        "stored as sent"
    );
    let thumb = image::open(dir.join("avatar/t/164/100164.jpg")).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (100, 50));
    let r = app
        .http
        .get(format!("{}/avatar/o/164/100164.jpg", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), picture);
    // WX's field name, and QZ's servlet name; a newer picture replaces it.
    let newer = jpeg(64, 64);
    let form = Form::new()
        .text("userId", "100164")
        .part("file", file(newer.clone(), "blob", "image/jpeg"));
    let (_, _, v) = post_to(&app, "/upload/UploadifyAvatarServlet", form).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    assert_eq!(
        std::fs::read(dir.join("avatar/o/164/100164.jpg")).unwrap(),
        newer
    );

    // Refusals leave the avatar as it was.
    let cases: Vec<(Form, i64)> = vec![
        (
            Form::new().part("file1", file(png(8, 8), "a.png", "image/png")),
            1010101,
        ),
        (Form::new().text("userId", "100164"), 1010101),
        (
            Form::new().text("userId", "100164").part(
                "file1",
                file(b"not an image".to_vec(), "a.png", "image/png"),
            ),
            -1,
        ),
    ];
    for (form, code) in cases {
        let (s, _, v) = post_to(&app, "/upload/UploadAvatarServlet", form).await;
        assert_eq!((s, v["resultCode"].as_i64()), (200, Some(code)), "{v}");
    }
    // A token, when sent, must be the avatar owner's.
    let other = app.token_for(100102).await;
    let form = Form::new()
        .text("userId", "100164")
        .part("file1", file(png(8, 8), "a.png", "image/png"));
    let (_, _, v) = post_to(
        &app,
        &format!("/upload/UploadAvatarServlet?access_token={other}"),
        form,
    )
    .await;
    assert_eq!(v["resultCode"], 1030102, "{v}");
    assert_eq!(
        std::fs::read(dir.join("avatar/o/164/100164.jpg")).unwrap(),
        newer
    );
    assert!(
        files_under(&dir.join(".tmp")).is_empty(),
        "no temporaries left"
    );
}

/// An AMR-NB recording of silence: the `#!AMR` header and 12.2 kbps frames.
fn amr() -> Vec<u8> {
    let mut v = b"#!AMR\n".to_vec();
    for _ in 0..50 {
        v.push(0x3c);
        v.extend_from_slice(&[0u8; 31]);
    }
    v
}

/// Voice: `UploadVoiceServlet` answers `{path, url}`; QZ
/// and WX then ask `amrToMp3` for an MP3 of an AMR voice message.
#[actix_web::test]
async fn voice_uploads_and_amr_to_mp3() {
    let app = TestApp::start().await;
    let dir = app.upload_dir.clone();
    let form = Form::new()
        .text("userId", "100164")
        .part("file", file(amr(), "v.amr", "audio/amr"));
    let (s, _, v) = post_to(&app, "/upload/UploadVoiceServlet", form).await;
    assert_eq!(s, 200);
    assert_eq!(v["resultCode"], 1, "QZ's upload interceptor wants it: {v}");
    let url = v["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{BASE}/164/100164/")) && url.ends_with(".wav"),
        "{url}"
    );
    assert!(dir.join(rel_of(url)).exists());
    assert!(resources(&app)
        .await
        .iter()
        .any(|r| r.get_str("url") == Ok(url)));

    // A voice message sent through UploadServlet keeps its .amr name.
    let (_, _, up) = post(
        &app,
        Form::new()
            .text("userId", "100164")
            .part("file", file(amr(), "voice.amr", "audio/amr")),
    )
    .await;
    let amr_url = up["data"]["audios"][0]["oUrl"]
        .as_str()
        .unwrap()
        .to_string();
    // QZ: form-urlencoded `paths`, no token, no signature.
    let (s, b) = app
        .post_form("/upload/amrToMp3", &[("paths", &amr_url)])
        .await;
    assert_eq!((s, b["resultCode"].as_i64()), (200, Some(1)), "{b}");
    let mp3_url = b["data"][0]["oUrl"].as_str().unwrap().to_string();
    assert_eq!(mp3_url, format!("{}.mp3", &amr_url[..amr_url.len() - 4]));
    assert_eq!(b["data"][0]["ourl"], mp3_url.as_str(), "WX reads ourl");
    assert_eq!(
        (
            b["success"].as_i64(),
            b["failure"].as_i64(),
            b["total"].as_i64()
        ),
        (Some(1), Some(0), Some(1))
    );
    let mp3 = std::fs::read(dir.join(rel_of(&mp3_url))).unwrap();
    assert!(
        mp3.starts_with(b"ID3") || (mp3[0] == 0xff && mp3[1] & 0xe0 == 0xe0),
        "an MP3"
    );
    let made = std::fs::metadata(dir.join(rel_of(&mp3_url)))
        .unwrap()
        .modified()
        .unwrap();
    let (_, b) = app.get("/upload/amrToMp3", &[("paths", &amr_url)]).await;
    assert_eq!(b["resultCode"], 1);
    assert_eq!(
        std::fs::metadata(dir.join(rel_of(&mp3_url)))
            .unwrap()
            .modified()
            .unwrap(),
        made,
        "made once"
    );
    let r = app
        .http
        .get(&mp3_url.replace(BASE, &app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    for (paths, code) in [
        (url, 1020101),
        ("http://elsewhere/x.amr", 1020101),
        ("", 1010101),
    ] {
        let (_, b) = app.post_form("/upload/amrToMp3", &[("paths", paths)]).await;
        assert_eq!(b["resultCode"], code, "{paths}: {b}");
    }
}

/// Android's and WX's room avatar: `jid` + the picture, stored where
/// `AvatarHelper.getGroupAvatarUrl` looks (the jid's Java hash code).
#[actix_web::test]
async fn group_avatars() {
    let app = TestApp::start().await;
    app.load_seed().await;
    let jid = "f6c9eb95fc1048b7bba4b3c7e9249de1";
    let form = Form::new()
        .text("jid", jid)
        .part("file", file(png(300, 300), "g.png", "image/png"));
    let (_, _, v) = post_to(&app, "/upload/GroupAvatarServlet", form).await;
    assert_eq!(v["resultCode"], 1, "{v}");
    let o = v["data"]["oUrl"].as_str().unwrap();
    let rel = shiku_api::shiku::media::group_avatar_rel("o", jid);
    assert_eq!(o, format!("{BASE}/{rel}"));
    assert!(app.upload_dir.join(&rel).exists());
    let r = app
        .http
        .get(format!("{}/{rel}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let form = Form::new()
        .text("jid", "nosuchroom")
        .part("file", file(png(8, 8), "g.png", "image/png"));
    let (_, _, v) = post_to(&app, "/upload/GroupAvatarServlet", form).await;
    assert_eq!(v["resultCode"], 100411, "{v}");
}

/// A PNG of `side` x `side` black RGB pixels: a few hundred KB that decode to
/// `3 * side^2` bytes. Written row by row, so making it takes no memory.
fn png_bomb(side: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let row = vec![0u8; 1 + 3 * side as usize];
    for _ in 0..side {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The process's peak resident memory, in KB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Review #6: a decompression bomb (8000 x 8000, 64 MP, 192 MB decoded) is
/// refused from its header, stores nothing, and the memory stays bounded
/// (before: decoded whole, ~500 MB per request at 11000 x 11000).
#[actix_web::test]
async fn an_image_bomb_is_refused_without_decoding_it() {
    let app = TestApp::start().await;
    let bomb = png_bomb(8000);
    assert!(bomb.len() < 2_000_000, "{}", bomb.len());
    let before = peak_rss_kb();
    for path in ["/upload/UploadServlet", "/upload/UploadAvatarServlet"] {
        let form = Form::new()
            .text("userId", "100164")
            .part("file", file(bomb.clone(), "b.png", "image/png"));
        let (s, _, v) = post_to(&app, path, form).await;
        assert_eq!(s, 200, "{v}");
        if path == "/upload/UploadServlet" {
            assert_eq!(v["success"], 0, "{v}");
            assert_eq!(v["data"]["images"][0]["status"], 0);
            assert!(
                v["data"]["images"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("像素"),
                "{v}"
            );
        } else {
            assert_eq!(v["resultCode"], -1, "{v}");
        }
    }
    let grew_mb = (peak_rss_kb().saturating_sub(before)) / 1024;
    assert!(grew_mb < 100, "peak memory grew by {grew_mb} MB");
    let stored: Vec<String> = files_under(&app.upload_dir)
        .into_iter()
        .filter(|f| !f.starts_with(".tmp"))
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
    assert!(resources(&app).await.is_empty());
}

/// Review #13: an uploaded SVG with a script is served with a sandboxing
/// `Content-Security-Policy` and `nosniff`, so the script never runs on the
/// API's origin.
#[actix_web::test]
async fn uploaded_active_content_cannot_run() {
    let app = TestApp::start().await;
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#
            .to_vec();
    let (_, _, v) = post(
        &app,
        Form::new()
            .text("userId", "100164")
            .part("file", file(svg, "x.svg", "image/svg+xml")),
    )
    .await;
    let url = v["data"]["others"][0]["oUrl"]
        .as_str()
        .or(v["data"]["images"][0]["oUrl"].as_str())
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();
    let r = app
        .http
        .get(url.replace(BASE, &app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(
        r.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
}

/// Review #20: a browser's CORS preflight is answered 204 with the CORS
/// headers, on any path.
#[actix_web::test]
async fn cors_preflight_is_answered() {
    let app = TestApp::start().await;
    for path in [
        "/user/get",
        "/msg/send_msg",
        "/upload/UploadServlet",
        "/api/im/sendMsg",
    ] {
        let r = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.base))
            .header("Origin", "http://web.example")
            .header("Access-Control-Request-Method", "POST")
            // What the OpenIM admin console's browser asks before its JSON POST.
            .header(
                "Access-Control-Request-Headers",
                "content-type,operationid,token",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "{path}");
        assert_eq!(r.headers().get("access-control-allow-origin").unwrap(), "*");
        assert!(r
            .headers()
            .get("access-control-allow-methods")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("POST"));
        let allowed: Vec<String> = r
            .headers()
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for h in ["content-type", "operationid", "token"] {
            assert!(allowed.iter().any(|a| a == h), "{path}: {h} in {allowed:?}");
        }
    }
}
