//! The `resources` collection: one document per stored file URL, as the
//! original upload server's `ResourcesDBUtils.saveFileUrl` wrote it
//! (see `schema/resources.md`).

use bson::{doc, Document};

use super::Store;

/// `ResourcesDBUtils.Expire.DAY1`.
const DAY_S: i64 = 86_400;

/// The original's `endTime` rule: `-1` (kept forever) unless `validTime`
/// (days, a Java double) is positive, then `createTime + (long)(86400 * validTime)`.
pub fn end_time(create_time_s: i64, valid_time_days: f64) -> i64 {
    if valid_time_days > 0.0 {
        // Java's (long) cast saturates; so does Rust's `as`.
        let add = (DAY_S as f64 * valid_time_days) as i64;
        create_time_s.saturating_add(add)
    } else {
        -1
    }
}

/// One resources document: `{createTime, endTime, url, path, type: 1, status: 1,
/// fileName, citations: 1}`. `type` 1 = local file system (2 was FastDFS in
/// the original). `fileName` (the path's last segment) and `citations` are
/// the later upload server's, whose delete finds a file by its name and
/// counts its references; the older one ignores them.
pub fn resource_doc(url: &str, path: &str, create_time_s: i64, valid_time_days: f64) -> Document {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    doc! {
        "createTime": create_time_s,
        "endTime": end_time(create_time_s, valid_time_days),
        "url": url,
        "path": path,
        "type": 1i32,
        "status": 1i32,
        "fileName": file_name,
        "citations": 1i32,
    }
}

/// Records stored files (one document per URL).
pub async fn insert(store: &Store, docs: Vec<Document>) -> mongodb::error::Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    store.resources().insert_many(docs).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_time_rule() {
        assert_eq!(end_time(1000, 0.0), -1);
        assert_eq!(end_time(1000, -1.0), -1);
        assert_eq!(end_time(1000, f64::NAN), -1);
        assert_eq!(end_time(1000, 1.0), 1000 + 86_400);
        assert_eq!(end_time(1000, 0.5), 1000 + 43_200);
        assert_eq!(end_time(1000, f64::INFINITY), i64::MAX);
    }

    #[test]
    fn doc_types() {
        let d = resource_doc(
            "http://x/0/0/202401/o/a.png",
            "/d/0/0/202401/o/a.png",
            5,
            0.0,
        );
        assert_eq!(d.get_i64("createTime").unwrap(), 5);
        assert_eq!(d.get_i64("endTime").unwrap(), -1);
        assert_eq!(d.get_i32("type").unwrap(), 1);
        assert_eq!(d.get_i32("status").unwrap(), 1);
        assert_eq!(d.get_str("fileName").unwrap(), "a.png");
        assert_eq!(d.get_i32("citations").unwrap(), 1);
    }
}
