//! No query ships without an index: every query shape the whole suite sent
//! (recorded through `QUERY_LOG` by `scripts/test.sh`) is served by an index
//! that `shiku-api indexes` creates, equality fields first, then the sort
//! key, then ranges (`store::queries::serves`). Run by `scripts/test.sh`
//! after the suite: `cargo test --test it indexes -- --ignored`.

use std::collections::BTreeSet;

use shiku_api::config::Config;
use shiku_api::store::indexes::planned;
use shiku_api::store::queries::{serves, Shape};
use shiku_api::store::Store;

use crate::common;

/// Keys that name one document (or a handful): a sort after them costs nothing.
const POINT_KEYS: &[&str] = &["_id", "messageId"];

/// Whole-collection reads on purpose: settings of one document (the
/// original's `config`, `clientConfig`, `payConfig`, the `idx_user` counter)
/// and the handful of helpers (bots) an administrator defines.
const SCANS: &[(&str, &str)] = &[
    ("imapi", "config"),
    ("imapi", "clientConfig"),
    ("imapi", "payConfig"),
    ("imapi", "idx_user"),
    ("imapi", "helper"),
];

#[actix_web::test]
#[ignore = "run by scripts/test.sh after the suite, on the shapes it recorded"]
async fn every_query_of_the_suite_is_served_by_an_index() {
    let log = std::env::var("QUERY_LOG").expect("QUERY_LOG: run by scripts/test.sh");
    let text = std::fs::read_to_string(&log).expect("the recorded query shapes");
    let shapes: BTreeSet<Shape> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a shape"))
        .collect();
    assert!(
        shapes.len() > 50,
        "the suite's queries were recorded: {}",
        shapes.len()
    );
    let env = common::test_env(&common::unique_prefix(), &[]);
    let cfg = Config::from_lookup(&|k| env.get(k).cloned()).unwrap();
    let store = Store::connect(&cfg).await.unwrap();
    let indexes = planned(&store);
    let mut table = String::from(
        "| command | collection | equality | range | sort | index |\n|---|---|---|---|---|---|\n",
    );
    let mut unserved = vec![];
    for q in &shapes {
        if SCANS.contains(&(q.db.as_str(), q.collection.as_str())) {
            continue;
        }
        // Every collection has its `_id` index.
        let id_index = (
            q.db.clone(),
            q.collection.clone(),
            vec![("_id".to_string(), 1)],
        );
        let found = std::iter::once(&id_index)
            .chain(indexes.iter())
            .filter(|(db, coll, _)| *db == q.db && *coll == q.collection)
            .find(|(_, _, keys)| serves(q, keys, POINT_KEYS));
        let sort: Vec<String> = q.sort.iter().map(|(k, d)| format!("{k} {d}")).collect();
        let index = match found {
            Some((_, _, keys)) => keys
                .iter()
                .map(|(k, d)| format!("{k}:{d}"))
                .collect::<Vec<_>>()
                .join(", "),
            None => {
                unserved.push(q.clone());
                "**none**".into()
            }
        };
        table.push_str(&format!(
            "| {} | {}.{} | {} | {} | {} | {} |\n",
            q.command,
            q.db,
            q.collection,
            q.eq.join(", "),
            q.range.join(", "),
            sort.join(", "),
            index
        ));
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/query-indexes.md");
    std::fs::write(&out, &table).unwrap();
    assert!(
        unserved.is_empty(),
        "{} query shapes without an index (table in {}):\n{unserved:#?}",
        unserved.len(),
        out.display()
    );
}
