//! The shapes of the queries the store sends (collection, equality fields,
//! range fields, sort keys), as the driver's command monitor sees them, and
//! whether an index serves a shape.
//!
//! With `QUERY_LOG=<file>` every MongoDB client of the process appends each
//! new shape to the file as a JSON line. `scripts/test.sh` sets it for the
//! whole suite, then checks every shape the suite produced against the
//! indexes of `shiku-api indexes` (`tests/it/indexes.rs`): no query ships
//! without an index.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bson::{Bson, Document};
use mongodb::event::command::{CommandEvent, CommandStartedEvent};
use mongodb::event::EventHandler;
use serde::{Deserialize, Serialize};

use crate::config::DbNames;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shape {
    /// `find`, `update`, `delete`, `findAndModify`, `aggregate`, `count`, `distinct`.
    pub command: String,
    /// The database's role (`imapi`, `room`, `msgs`, `lastchat`, `room_member`,
    /// `room_jids`, `resources`, `addressbook`, `jh`), whatever its name.
    pub db: String,
    /// The collection; a shard (`10`, `mucmsg_<jid>`) by its family (`*`, `mucmsg_*`).
    pub collection: String,
    pub eq: Vec<String>,
    pub range: Vec<String>,
    pub sort: Vec<(String, i32)>,
}

/// The shapes of one command (an `update` or `delete` carries several).
pub fn shapes(ev: &CommandStartedEvent, roles: &[(String, &'static str)]) -> Vec<Shape> {
    let Some(role) = roles.iter().find(|(n, _)| *n == ev.db).map(|(_, r)| *r) else {
        return vec![];
    };
    let c = &ev.command;
    let name = ev.command_name.as_str();
    let coll = c.get_str(name).unwrap_or_default();
    let doc_of = |d: &Document, k: &str| d.get_document(k).ok().cloned().unwrap_or_default();
    let mut found: Vec<(Document, Document)> = vec![];
    match name {
        "find" => found.push((doc_of(c, "filter"), doc_of(c, "sort"))),
        "findAndModify" => found.push((doc_of(c, "query"), doc_of(c, "sort"))),
        "count" | "distinct" => found.push((doc_of(c, "query"), Document::new())),
        "update" | "delete" => {
            let list = if name == "update" {
                "updates"
            } else {
                "deletes"
            };
            for s in c.get_array(list).map(|a| a.as_slice()).unwrap_or_default() {
                if let Bson::Document(s) = s {
                    found.push((doc_of(s, "q"), Document::new()));
                }
            }
        }
        "aggregate" => {
            let stages: Vec<&Document> = c
                .get_array("pipeline")
                .map(|a| a.iter().filter_map(Bson::as_document).collect())
                .unwrap_or_default();
            let stage = |k: &str| stages.iter().find_map(|s| s.get_document(k).ok().cloned());
            found.push((
                stage("$match").unwrap_or_default(),
                stage("$sort").unwrap_or_default(),
            ));
        }
        _ => return vec![],
    }
    let mut out = vec![];
    for (filter, sort) in found {
        // Each branch of an `$or` is a query of its own (MongoDB plans each).
        for (mut eq, mut range) in alternatives(&filter) {
            eq.sort();
            eq.dedup();
            range.sort();
            range.dedup();
            out.push(Shape {
                command: name.to_string(),
                db: role.to_string(),
                collection: family_name(role, coll),
                eq,
                range,
                sort: sort
                    .iter()
                    .map(|(k, v)| (k.clone(), crate::util::bson_i64(v).unwrap_or(1) as i32))
                    .collect(),
            });
        }
    }
    out
}

type Fields = (Vec<String>, Vec<String>);

/// The (equality, range) fields of each alternative a filter selects by:
/// a value, `$eq` or `$in` is an equality, any other operator a range;
/// `$and` adds its parts, `$or` makes one alternative per branch (`$nor`
/// and `$expr` are not looked into).
fn alternatives(filter: &Document) -> Vec<Fields> {
    let mut alts: Vec<Fields> = vec![(vec![], vec![])];
    let cross = |alts: Vec<Fields>, with: Vec<Fields>| -> Vec<Fields> {
        let mut out = vec![];
        for (e, r) in &alts {
            for (e2, r2) in &with {
                out.push((
                    [e.clone(), e2.clone()].concat(),
                    [r.clone(), r2.clone()].concat(),
                ));
            }
        }
        out
    };
    for (k, v) in filter {
        let parts = || {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Bson::as_document)
        };
        match k.as_str() {
            "$and" => {
                for part in parts() {
                    alts = cross(alts, alternatives(part));
                }
            }
            "$or" => {
                let branches: Vec<Fields> = parts().flat_map(alternatives).collect();
                if !branches.is_empty() {
                    alts = cross(alts, branches);
                }
            }
            k if k.starts_with('$') => {}
            _ => {
                let is_eq = match v {
                    Bson::Document(d) => match d.keys().next() {
                        Some(op) if op.starts_with('$') => {
                            d.keys().all(|o| o == "$eq" || o == "$in")
                        }
                        _ => true,
                    },
                    _ => true,
                };
                for (e, r) in alts.iter_mut() {
                    if is_eq { e } else { r }.push(k.clone());
                }
            }
        }
    }
    alts
}

fn family_name(role: &str, coll: &str) -> String {
    let shard = coll.chars().all(|c| c.is_ascii_digit()) && !coll.is_empty();
    match role {
        "room" if coll.starts_with(super::names::MUCMSG_PREFIX) => "mucmsg_*".into(),
        "msgs" | "lastchat" | "room_member" | "room_jids" | "addressbook" if shard => "*".into(),
        _ => coll.to_string(),
    }
}

/// The roles of the configured databases, for [`shapes`].
pub fn roles(db: &DbNames, jh_db: &str) -> Vec<(String, &'static str)> {
    vec![
        (db.imapi.clone(), "imapi"),
        (db.room.clone(), "room"),
        (db.msgs.clone(), "msgs"),
        (db.lastchat.clone(), "lastchat"),
        (db.room_member.clone(), "room_member"),
        (db.room_jids.clone(), "room_jids"),
        (db.resources.clone(), "resources"),
        (db.addressbook.clone(), "addressbook"),
        (jh_db.to_string(), "jh"),
    ]
}

/// The command monitor that appends each new shape to `path`.
pub fn recorder(path: PathBuf, roles: Vec<(String, &'static str)>) -> EventHandler<CommandEvent> {
    let seen: Arc<Mutex<HashSet<Shape>>> = Default::default();
    EventHandler::callback(move |ev: CommandEvent| {
        let CommandEvent::Started(ev) = ev else {
            return;
        };
        for shape in shapes(&ev, &roles) {
            if !seen.lock().expect("shapes").insert(shape.clone()) {
                continue;
            }
            let line = serde_json::to_string(&shape).expect("a shape serializes") + "\n";
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path);
            if let Ok(mut f) = file {
                let _ = f.write_all(line.as_bytes());
            }
        }
    })
}

/// Whether an index with `keys` serves `q`: its leading keys are equality
/// fields of the query (or its first key is a range or the first sort field
/// of the query), and the query's sort comes from the index (the sort keys
/// follow the equality prefix, in one direction or all reversed) unless it
/// selects by a key that names one document (`point_keys`).
pub fn serves(q: &Shape, keys: &[(String, i32)], point_keys: &[&str]) -> bool {
    if keys.is_empty() {
        return false;
    }
    let prefix = keys.iter().take_while(|(k, _)| q.eq.contains(k)).count();
    let usable = prefix > 0
        || q.range.contains(&keys[0].0)
        || q.sort.first().is_some_and(|s| s.0 == keys[0].0);
    if !usable {
        return false;
    }
    let sort: Vec<&(String, i32)> = q.sort.iter().filter(|(k, _)| !q.eq.contains(k)).collect();
    if sort.is_empty() {
        return true;
    }
    let rest = &keys[prefix..];
    let in_order = |dir: i32| {
        sort.len() <= rest.len()
            && sort
                .iter()
                .zip(rest)
                .all(|((sk, sd), (ik, id))| sk == ik && *sd == id * dir)
    };
    in_order(1)
        || in_order(-1)
        || keys[..prefix]
            .iter()
            .any(|(k, _)| point_keys.contains(&k.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(eq: &[&str], range: &[&str], sort: &[(&str, i32)]) -> Shape {
        Shape {
            command: "find".into(),
            db: "msgs".into(),
            collection: "*".into(),
            eq: eq.iter().map(|s| s.to_string()).collect(),
            range: range.iter().map(|s| s.to_string()).collect(),
            sort: sort.iter().map(|(k, d)| (k.to_string(), *d)).collect(),
        }
    }

    fn keys(k: &[(&str, i32)]) -> Vec<(String, i32)> {
        k.iter().map(|(k, d)| (k.to_string(), *d)).collect()
    }

    #[test]
    fn equality_then_sort_then_range() {
        let ix = keys(&[("sender", 1), ("receiver", 1), ("timeSend", -1)]);
        let history = q(&["receiver", "sender"], &["timeSend"], &[("timeSend", -1)]);
        assert!(serves(&history, &ix, &[]));
        assert!(
            serves(
                &q(&["receiver", "sender"], &[], &[("timeSend", 1)]),
                &ix,
                &[]
            ),
            "reversed"
        );
        assert!(
            !serves(&q(&["receiver"], &[], &[]), &ix, &[]),
            "not a prefix"
        );
        assert!(
            !serves(&q(&["sender"], &[], &[("ts", 1)]), &ix, &[]),
            "an in-memory sort"
        );
        assert!(serves(
            &q(&["messageId"], &[], &[("ts", 1)]),
            &keys(&[("messageId", 1)]),
            &["messageId"]
        ));
        assert!(serves(
            &q(&[], &["timeSend"], &[]),
            &keys(&[("timeSend", -1)]),
            &[]
        ));
        assert!(!serves(&q(&[], &[], &[]), &ix, &[]), "a collection scan");
        assert!(
            !serves(&q(&["content"], &[], &[]), &ix, &[]),
            "no key of the index"
        );
    }

    #[test]
    fn each_or_branch_is_a_query() {
        let f = bson::doc! {"$and": [{"sex": 1}, {"$or": [{"account": "a"}, {"phone": {"$regex": "1"}}]}],
        "active": {"$gte": 5}};
        let mut alts = alternatives(&f);
        alts.sort();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            alts,
            vec![
                (s(&["sex"]), s(&["phone", "active"])),
                (s(&["sex", "account"]), s(&["active"])),
            ]
        );
    }
}
