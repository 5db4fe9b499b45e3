//! The benchmark driver behind `scripts/bench.sh` (not a test: it measures).
//!
//! For each hot endpoint it runs a fixed number of requests at each concurrency
//! against the running release service, and in the same run issues the same
//! MongoDB queries directly through the driver: the same filters, sorts, skips,
//! limits and projections, in the same order (and with the same overlap) as the
//! service's handler, starting with the access-token lookup. `hot` is the one
//! data query alone (the floor: one round trip). It prints one table (req/s,
//! p50/p99 for service and direct, their ratio, service CPU milliseconds per
//! request from /proc, peak RSS) and writes it as JSON under target/bench/.
//! `--scale` prints history/conversation latency for the stored size with
//! `explain` plans (scripts/bench.sh calls it at 10k, 100k, 1M messages).
//!
//! Environment: BENCH_BASE (service URL), the service's settings (MONGODB_URI,
//! DB_*, REDIS_URL: the same Config the service reads), BENCH_PID (service pid),
//! BENCH_REQUESTS (default 2000; capped by BENCH_SECONDS, default 15, per
//! measurement), BENCH_CONCURRENCY (default "1,32"),
//! BENCH_OPENIM_TOKEN (admin token for `/msg/send_msg`).

use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bson::{doc, oid::ObjectId, Bson, Document};
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt, TryStreamExt};
use mongodb::Collection;
use serde_json::{json, Value};
use shiku_api::store::sessions::Kind;
use shiku_api::store::Store;
use shiku_api::util::num;

type Op = Arc<dyn Fn(usize) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

struct Sample {
    /// Each request's latency (ms), sorted.
    lat: Vec<f64>,
    n: usize,
    rps: f64,
    p50: f64,
    p99: f64,
    errors: usize,
    first_error: Option<String>,
}

/// `requests` requests at `concurrency`, but no new one after about
/// BENCH_SECONDS (default 15): on a slow database the table still comes out
/// in minutes.
async fn run(op: Op, requests: usize, concurrency: usize) -> Sample {
    // Warm-up outside the measurement.
    for i in 0..concurrency.clamp(5, 20) {
        let _ = op(usize::MAX - i).await;
    }
    let budget = Duration::from_secs_f64(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(15.0),
    );
    let start = Instant::now();
    let results: Vec<(Duration, Result<(), String>)> = stream::iter(0..requests)
        .take_while(move |_| futures::future::ready(start.elapsed() < budget))
        .map(|i| {
            let op = op.clone();
            async move {
                let t = Instant::now();
                let r = op(i).await;
                (t.elapsed(), r)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let requests = results.len();
    let elapsed = start.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = results
        .iter()
        .map(|(d, _)| d.as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    Sample {
        lat: lat.clone(),
        n: requests,
        rps: requests as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        errors: results.iter().filter(|r| r.1.is_err()).count(),
        first_error: results.iter().find_map(|r| r.1.clone().err()),
    }
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// One HTTP request; success = HTTP 200 and the dialect's success marker
/// (`resultCode` 1, `errCode` 0, `success` true).
/// The access token of the "unknown token" case: its refusal (1030102) is its answer.
const UNKNOWN_TOKEN: &str = "benchunknowntoken";

fn http_op(
    http: reqwest::Client,
    url: String,
    json_body: Option<(Vec<(&'static str, String)>, Value)>,
) -> Op {
    Arc::new(move |i| {
        let http = http.clone();
        let url = url.clone();
        let json_body = json_body.clone();
        Box::pin(async move {
            let rb = match json_body {
                Some((headers, body)) => {
                    let body: Value =
                        serde_json::from_str(&body.to_string().replace("{i}", &i.to_string()))
                            .unwrap();
                    let mut rb = http.post(&url).json(&body);
                    for (k, v) in headers {
                        rb = rb.header(k, v);
                    }
                    rb
                }
                None => http.get(&url),
            };
            let r = rb.send().await.map_err(|e| e.to_string())?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            let v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            let ok = v.get("resultCode") == Some(&json!(1))
                || (url.contains(UNKNOWN_TOKEN) && v.get("resultCode") == Some(&json!(1030102)))
                || v.get("errCode") == Some(&json!(0))
                || v.get("success") == Some(&json!(true));
            if ok {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&body).chars().take(200).collect())
            }
        })
    })
}

fn e(err: mongodb::error::Error) -> String {
    err.to_string()
}

async fn all(c: mongodb::Cursor<Document>) -> Result<Vec<Document>, String> {
    c.try_collect().await.map_err(e)
}

/// `Sessions::user_of` (MongoDB sessions) / the Redis GET when REDIS_URL is set.
async fn session(s: &shiku_api::store::sessions::Sessions, token: &str) -> Result<i64, String> {
    s.user_of(Kind::Login, token)
        .await
        .map_err(|e| format!("{e:?}"))?
        .ok_or_else(|| "unknown token".to_string())
}

/// A direct op from an async block builder.
fn direct<F>(f: F) -> Op
where
    F: Fn(usize) -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// Plan summary of a find: stage chain, keys/docs examined, returned.
async fn explain(
    coll: &Collection<Document>,
    filter: Document,
    sort: Document,
    limit: i64,
) -> String {
    let db = coll.client().database(coll.namespace().db.as_str());
    let cmd = doc! {"explain": {"find": coll.name(), "filter": filter, "sort": sort, "limit": limit}, "verbosity": "executionStats"};
    match db.run_command(cmd).await {
        Ok(r) => {
            fn chain(p: &Document) -> String {
                let stage = p.get_str("stage").unwrap_or("?").to_string();
                let stage = match p.get_document("keyPattern") {
                    Ok(k) => format!("{stage}{k}"),
                    Err(_) => stage,
                };
                match p.get_document("inputStage") {
                    Ok(i) => format!("{stage} <- {}", chain(i)),
                    Err(_) => match p.get_array("inputStages") {
                        Ok(a) => format!(
                            "{stage} <- [{}]",
                            a.iter()
                                .filter_map(|s| s.as_document().map(chain))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        Err(_) => stage,
                    },
                }
            }
            let plan = r
                .get_document("queryPlanner")
                .and_then(|q| q.get_document("winningPlan"))
                .map(chain)
                .unwrap_or_default();
            let st = r.get_document("executionStats").ok();
            let get = |k: &str| {
                st.and_then(|s| s.get(k))
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into())
            };
            format!(
                "{plan}  keys={} docs={} returned={}",
                get("totalKeysExamined"),
                get("totalDocsExamined"),
                get("nReturned")
            )
        }
        Err(err) => format!("explain failed: {err}"),
    }
}

/// A running service: where it listens, its process, its OpenIM admin token.
struct Target {
    base: String,
    pid: u32,
    openim_token: String,
}

impl Target {
    fn from_env(suffix: &str) -> Option<Target> {
        let var = |k: &str| std::env::var(format!("{k}{suffix}")).ok();
        Some(Target {
            base: var("BENCH_BASE")?,
            pid: var("BENCH_PID").and_then(|p| p.parse().ok()).unwrap_or(0),
            openim_token: var("BENCH_OPENIM_TOKEN").unwrap_or_default(),
        })
    }
}

/// A request to whichever service is measured.
type Service = Arc<dyn Fn(&Target) -> Op + Send + Sync>;

/// A GET of `path` (with its query).
fn get(http: &reqwest::Client, path: String) -> Service {
    let http = http.clone();
    Arc::new(move |t: &Target| http_op(http.clone(), format!("{}{path}", t.base), None))
}

/// An OpenIM POST of `body` (`{i}` numbered) with the target's admin token.
fn openim_post(http: &reqwest::Client, path: &'static str, body: Value) -> Service {
    let http = http.clone();
    Arc::new(move |t: &Target| {
        let headers = vec![
            ("operationID", "bench".to_string()),
            ("token", t.openim_token.clone()),
        ];
        http_op(
            http.clone(),
            format!("{}{path}", t.base),
            Some((headers, body.clone())),
        )
    })
}

struct Case {
    name: &'static str,
    /// MongoDB round trips per request (service = direct).
    queries: &'static str,
    service: Service,
    direct: Op,
    hot: Op,
}

const USER: i64 = 100164;
const ROOM_JID: &str = shiku_api::seed::SYNTHETIC_ROOM_JID;
const ROOM_ID: &str = "60210278cb36d459fe88c196";
const SYN_USER: i64 = shiku_api::seed::SYNTHETIC_FIRST_USER;
const SYN_PEER: i64 = SYN_USER + 1;
/// The conversation of 200 messages at every size (`seed::STEADY_USER`).
const STEADY: i64 = shiku_api::seed::STEADY_USER;
const PAGE: i64 = 20;

fn history_filter() -> Document {
    pair_history_filter(SYN_USER, SYN_PEER)
}

fn pair_history_filter(owner: i64, peer: i64) -> Document {
    // Store::single_history with maxType 200, no window.
    doc! {"sender": owner.to_string(), "receiver": peer.to_string(), "contentType": {"$lt": 200}, "delayedTime": Bson::Null}
}

fn muc_filter(visible_from: i64) -> Document {
    // Store::group_history: visible_filter (no hidden ids), window from the join time, no red-packet-opened.
    doc! {"delayedTime": Bson::Null, "timeSend": {"$gte": visible_from}, "contentType": {"$ne": 83}}
}

fn jh_filter(lasttime: f64) -> Document {
    // store::jh::Pair::filter + sendtime.
    doc! {"appid": "JH", "$or": [
        {"from": "m0", "to": "s0", "fromrole": "MEMBER"},
        {"from": "s0", "to": "m0", "torole": "MEMBER"},
    ], "sendtime": {"$gt": lasttime}}
}

#[tokio::main]
async fn main() {
    let target = Target::from_env("").unwrap_or(Target {
        base: "http://127.0.0.1:8092".into(),
        pid: 0,
        openim_token: String::new(),
    });
    let (base, pid) = (target.base.clone(), target.pid);
    // `--ab`: the same requests to a baseline build (BENCH_BASE_A, BENCH_PID_A,
    // BENCH_OPENIM_TOKEN_A) and to this one, in alternating rounds.
    let baseline = Target::from_env("_A");
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,32".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let scale = std::env::args().any(|a| a == "--scale");

    // The service's own configuration: same databases, same session store.
    let cfg = shiku_api::config::Config::from_env().expect("configuration");
    let cfg_has_redis = cfg.redis_url.is_some();
    let max_page = cfg.max_page_size;
    let state = Arc::new(shiku_api::AppState::new(cfg).await.expect("connect"));
    let store: Store = state.store.clone();
    for (uid, tok) in [
        (USER, "benchtoken100164"),
        (SYN_USER, "benchtoken200000"),
        (STEADY, "benchtoken201000"),
    ] {
        state.sessions.save(Kind::Login, uid, tok).await.unwrap();
        if baseline.is_some() && !cfg_has_redis {
            // The first MongoDB session layout (commit 05a548d and before):
            // one document per token.
            state
                .store
                .sessions()
                .update_one(
                    doc! {"_id": format!("loginToken:{tok}")},
                    doc! {"$set": {"token": tok, "userId": uid, "kind": "loginToken",
                        "expireAt": bson::DateTime::from_millis(shiku_api::util::now_ms() + 86_400_000)}},
                )
                .upsert(true)
                .await
                .unwrap();
        }
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let msgs = store.user_msgs(SYN_USER);
    let muc = store.mucmsg(ROOM_JID);
    let room_oid = ObjectId::parse_str(ROOM_ID).unwrap();
    let member = store
        .room_members(&room_oid)
        .find_one(doc! {"roomId": room_oid, "userId": USER})
        .await
        .unwrap()
        .expect("100164 is a member of the demo room (shiku-api seed)");
    let visible_from = num(&member, "createTime")
        .unwrap_or(0)
        .max(num(&member, "beginMsgTime").unwrap_or(0))
        * 1000;
    let hist_sort = doc! {"timeSend": -1};
    // The JH poll asks for what is newer than the 20th newest message of the pair.
    let jh_lasttime = store
        .jh_messages()
        .find(jh_filter(0.0))
        .sort(doc! {"sendtime": -1, "_id": -1})
        .skip(PAGE as u64)
        .limit(1)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .first()
        .and_then(|d| d.get_f64("sendtime").ok())
        .unwrap_or(0.0);

    if scale {
        let count = msgs.estimated_document_count().await.unwrap_or(0);
        let muc_count = muc.estimated_document_count().await.unwrap_or(0);
        let jh_count = store
            .jh_messages()
            .estimated_document_count()
            .await
            .unwrap_or(0);
        println!(
            "stored: shiku_msgs.{} {count} records, mucmsg {muc_count}, JH {jh_count}",
            shiku_api::store::names::user_shard(SYN_USER)
        );
        let plans = [
            (
                "history (shiku_msgs)",
                explain(&msgs, history_filter(), hist_sort.clone(), PAGE).await,
            ),
            (
                "history, steady pair",
                explain(
                    &msgs,
                    pair_history_filter(STEADY, STEADY + 1),
                    hist_sort.clone(),
                    PAGE,
                )
                .await,
            ),
            (
                "  the same, maxType=0",
                explain(
                    &msgs,
                    {
                        let mut f = pair_history_filter(STEADY, STEADY + 1);
                        f.remove("contentType");
                        f
                    },
                    hist_sort.clone(),
                    PAGE,
                )
                .await,
            ),
            ("history page 50", {
                // a deep page: skip 1000
                let db = msgs.client().database(msgs.namespace().db.as_str());
                let r = db.run_command(doc! {"explain": {"find": msgs.name(), "filter": history_filter(), "sort": hist_sort.clone(), "skip": 1000, "limit": PAGE}, "verbosity": "executionStats"}).await;
                match r {
                    Ok(r) => r
                        .get_document("executionStats")
                        .map(|s| {
                            format!(
                                "keys={} docs={} returned={}",
                                s.get("totalKeysExamined")
                                    .map(|v| v.to_string())
                                    .unwrap_or_default(),
                                s.get("totalDocsExamined")
                                    .map(|v| v.to_string())
                                    .unwrap_or_default(),
                                s.get("nReturned")
                                    .map(|v| v.to_string())
                                    .unwrap_or_default()
                            )
                        })
                        .unwrap_or_default(),
                    Err(err) => err.to_string(),
                }
            }),
            (
                "group history (mucmsg)",
                explain(&muc, muc_filter(visible_from), hist_sort.clone(), PAGE).await,
            ),
            (
                "last chats (single)",
                explain(
                    &store.user_lastchats(SYN_USER),
                    doc! {"userId": SYN_USER.to_string(), "isRoom": 0},
                    hist_sort.clone(),
                    PAGE,
                )
                .await,
            ),
            (
                "last chats (rooms)",
                explain(
                    &store.muc_lastchats(),
                    doc! {"jid": {"$in": [ROOM_JID]}},
                    hist_sort.clone(),
                    PAGE,
                )
                .await,
            ),
            (
                "JH poll",
                explain(
                    &store.jh_messages(),
                    jh_filter(jh_lasttime),
                    doc! {"sendtime": -1, "_id": -1},
                    max_page,
                )
                .await,
            ),
        ];
        for (name, plan) in plans {
            println!("  {name:<24} {plan}");
        }
        let cases = [
            ("/tigase/shiku_msgs", format!("{base}/tigase/shiku_msgs?access_token=benchtoken200000&receiver={SYN_PEER}&pageIndex=0&pageSize={PAGE}")),
            ("shiku_msgs, steady pair", format!("{base}/tigase/shiku_msgs?access_token=benchtoken201000&receiver={}&pageIndex=0&pageSize={PAGE}", STEADY + 1)),
            ("/tigase/shiku_muc_msgs", format!("{base}/tigase/shiku_muc_msgs?access_token=benchtoken100164&roomId={ROOM_JID}&pageIndex=0&pageSize={PAGE}")),
            ("/tigase/getLastChatList", format!("{base}/tigase/getLastChatList?access_token=benchtoken200000&pageSize={PAGE}")),
            ("JH poll", format!("{base}/api/im/getNewestMsgListByLastTime?appid=JH&from=m0&to=s0&fromrole=MEMBER&lasttime={jh_lasttime}")),
        ];
        let mut rows = Vec::new();
        for (name, url) in cases {
            let s = run(http_op(http.clone(), url, None), requests.min(500), 1).await;
            println!(
                "  {name:<24} p50 {:.2} ms  p99 {:.2} ms  errors {}",
                s.p50, s.p99, s.errors
            );
            rows.push(json!({"endpoint": name, "stored_records": count, "p50_ms": s.p50, "p99_ms": s.p99, "errors": s.errors}));
        }
        write_json("scale", json!({"stored_records": count, "rows": rows}));
        return;
    }

    let openim_token = std::env::var("BENCH_OPENIM_TOKEN").unwrap_or_default();
    let sessions = Arc::new(state.sessions.clone());
    let run_id = chrono::Utc::now().timestamp_millis();
    let seq = Arc::new(AtomicU64::new(0));

    let cases = vec![
        // No database at all: what HTTP, routing and the envelope cost alone.
        Case {
            name: "/getCurrentTime (no db)",
            queries: "0",
            service: get(&http, "/getCurrentTime".to_string()),
            direct: direct(|_| Box::pin(async { Ok(()) })),
            hot: direct(|_| Box::pin(async { Ok(()) })),
        },
        // One round trip: the token lookup, which finds nothing (refused, 1030102).
        Case {
            name: "/user/get (unknown token)",
            queries: "1",
            service: get(&http, format!("/user/get?access_token={UNKNOWN_TOKEN}")),
            direct: {
                let s = sessions.clone();
                direct(move |_| {
                    let s = s.clone();
                    Box::pin(async move {
                        match session(&s, UNKNOWN_TOKEN).await {
                            Err(e) if e == "unknown token" => Ok(()),
                            other => Err(format!("expected an unknown token, got {other:?}")),
                        }
                    })
                })
            },
            hot: {
                let s = sessions.clone();
                direct(move |_| {
                    let s = s.clone();
                    Box::pin(async move { session(&s, UNKNOWN_TOKEN).await.err().map(|_| ()).ok_or_else(|| "token found".to_string()) })
                })
            },
        },
        Case {
            name: "/tigase/shiku_msgs",
            queries: "2",
            service: get(&http, format!("/tigase/shiku_msgs?access_token=benchtoken200000&receiver={SYN_PEER}&pageIndex=0&pageSize={PAGE}")),
            direct: {
                let (s, c) = (sessions.clone(), msgs.clone());
                direct(move |_| {
                    let (s, c) = (s.clone(), c.clone());
                    Box::pin(async move {
                        let uid = session(&s, "benchtoken200000").await?;
                        let _ = uid;
                        all(c.find(history_filter()).sort(doc! {"timeSend": -1}).skip(0).limit(PAGE).await.map_err(e)?).await?;
                        Ok(())
                    })
                })
            },
            hot: {
                let c = msgs.clone();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        all(c.find(history_filter()).sort(doc! {"timeSend": -1}).limit(PAGE).await.map_err(e)?).await.map(|_| ())
                    })
                })
            },
        },
        Case {
            name: "/tigase/shiku_muc_msgs",
            queries: "5",
            service: get(&http, format!("/tigase/shiku_muc_msgs?access_token=benchtoken100164&roomId={ROOM_JID}&pageIndex=0&pageSize={PAGE}")),
            direct: {
                let (s, st) = (sessions.clone(), store.clone());
                direct(move |_| {
                    let (s, st) = (s.clone(), st.clone());
                    Box::pin(async move {
                        let uid = session(&s, "benchtoken100164").await?;
                        // Store::room_and_member, then member_view's hidden ids, then group_history.
                        // (room, then member) alongside the hidden ids, as the handler does.
                        let (member, hidden) = futures::try_join!(
                            async {
                                let room = st.rooms().find_one(doc! {"jid": ROOM_JID}).await.map_err(e)?.ok_or("no room")?;
                                let oid = room.get_object_id("_id").map_err(|x| x.to_string())?;
                                st.room_members(&oid).find_one(doc! {"roomId": oid, "userId": uid}).await.map_err(e)?.ok_or_else(|| "not a member".to_string())
                            },
                            async { all(st.room_group_msg().find(doc! {"userId": uid, "roomJid": ROOM_JID}).projection(doc! {"messageId": 1}).await.map_err(e)?).await },
                        )?;
                        assert!(hidden.is_empty(), "the bench user hid nothing");
                        let from = num(&member, "createTime").unwrap_or(0).max(num(&member, "beginMsgTime").unwrap_or(0)) * 1000;
                        all(st.mucmsg(ROOM_JID).find(muc_filter(from)).sort(doc! {"timeSend": -1}).skip(0).limit(PAGE).await.map_err(e)?).await?;
                        Ok(())
                    })
                })
            },
            hot: {
                let c = muc.clone();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        all(c.find(muc_filter(visible_from)).sort(doc! {"timeSend": -1}).limit(PAGE).await.map_err(e)?).await.map(|_| ())
                    })
                })
            },
        },
        Case {
            name: "/tigase/getLastChatList",
            queries: "6",
            service: get(&http, format!("/tigase/getLastChatList?access_token=benchtoken100164&pageIndex=0&pageSize={PAGE}")),
            direct: {
                let (s, st) = (sessions.clone(), store.clone());
                direct(move |_| {
                    let (s, st) = (s.clone(), st.clone());
                    Box::pin(async move {
                        let uid = session(&s, "benchtoken100164").await?;
                        // Store::last_chat_list: pins, the user's rooms, the rooms' records,
                        // the hidden ids of those rooms (one query), the single-chat records.
                        // Issued together: pins | jids -> rooms' records -> hidden ids | single chats.
                        futures::try_join!(
                            async { all(st.stick_dialog().find(doc! {"userId": uid}).limit(PAGE).await.map_err(e)?).await },
                            async {
                                let jids = all(st.user_room_jids(uid).find(doc! {"userId": uid}).limit(PAGE).await.map_err(e)?).await?;
                                let jids: Vec<String> = jids.iter().filter_map(|d| d.get_str("jid").ok().map(str::to_string)).collect();
                                let rooms = all(st.muc_lastchats().find(doc! {"jid": {"$in": &jids}}).sort(doc! {"timeSend": -1}).limit(PAGE).await.map_err(e)?).await?;
                                let room_jids: Vec<&str> = rooms.iter().filter_map(|d| d.get_str("jid").ok()).collect();
                                if !room_jids.is_empty() {
                                    all(st.room_group_msg().find(doc! {"userId": uid, "roomJid": {"$in": room_jids}}).projection(doc! {"roomJid": 1, "messageId": 1}).await.map_err(e)?).await?;
                                }
                                Ok::<_, String>(())
                            },
                            async { all(st.user_lastchats(uid).find(doc! {"userId": uid.to_string(), "isRoom": 0}).sort(doc! {"timeSend": -1}).limit(PAGE).await.map_err(e)?).await },
                        )?;
                        Ok(())
                    })
                })
            },
            hot: {
                let c = store.user_lastchats(USER);
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        all(c.find(doc! {"userId": USER.to_string(), "isRoom": 0}).sort(doc! {"timeSend": -1}).limit(PAGE).await.map_err(e)?).await.map(|_| ())
                    })
                })
            },
        },
        Case {
            name: "/room/get",
            queries: "4",
            service: get(&http, format!("/room/get?access_token=benchtoken100164&roomId={ROOM_ID}")),
            direct: {
                let (s, st) = (sessions.clone(), store.clone());
                direct(move |_| {
                    let (s, st) = (s.clone(), st.clone());
                    Box::pin(async move {
                        let uid = session(&s, "benchtoken100164").await?;
                        // shiku::room::get: together the room, the members (owner,
                        // admins, by join time; pageSize 100) and the notices; the
                        // caller's member record comes from the list when it is complete.
                        let oid = ObjectId::parse_str(ROOM_ID).unwrap();
                        let room = async { st.rooms().find_one(doc! {"_id": oid}).await.map_err(e)?.ok_or_else(|| "no room".to_string()) };
                        let members = async { all(st.room_members(&oid).find(doc! {"roomId": oid}).sort(doc! {"role": 1, "createTime": 1}).limit(100).await.map_err(e)?).await };
                        let notices = async { all(st.room_notices().find(doc! {"roomId": oid}).sort(doc! {"time": -1}).limit(max_page).await.map_err(e)?).await };
                        let (_, members, _) = futures::try_join!(room, members, notices)?;
                        assert!(members.len() < 100, "the bench room has fewer than 100 members");
                        members.iter().find(|m| num(m, "userId") == Some(uid)).ok_or("not a member")?;
                        Ok(())
                    })
                })
            },
            hot: {
                let c = store.rooms();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        c.find_one(doc! {"_id": ObjectId::parse_str(ROOM_ID).unwrap()}).await.map_err(e)?.ok_or("no room")?;
                        Ok(())
                    })
                })
            },
        },
        Case {
            name: "/user/get",
            queries: "2",
            service: get(&http, format!("/user/get?access_token=benchtoken100164")),
            direct: {
                let (s, st) = (sessions.clone(), store.clone());
                direct(move |_| {
                    let (s, st) = (s.clone(), st.clone());
                    Box::pin(async move {
                        let uid = session(&s, "benchtoken100164").await?;
                        // The user with its keys, last login, roles and the
                        // configuration: one aggregation (Store::user_with_extras).
                        st.user_with_extras(doc! {"_id": {"$in": [uid as i32, uid]}}).await.map_err(|x| format!("{x:?}"))?.ok_or("no user")?;
                        Ok(())
                    })
                })
            },
            hot: {
                let c = store.users();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        c.find_one(doc! {"_id": {"$in": [USER as i32, USER]}}).await.map_err(e)?.ok_or("no user")?;
                        Ok(())
                    })
                })
            },
        },
        Case {
            name: "OpenIM /msg/send_msg",
            queries: "7",
            service: openim_post(
                &http,
                "/msg/send_msg",
                json!({"sendID": "100164", "recvID": "100102", "senderPlatformID": 5, "content": {"content": "bench {i}"},
                       "contentType": 101, "sessionType": 1}),
            ),
            direct: {
                let (st, tok, seq) = (state.clone(), openim_token.clone(), seq.clone());
                direct(move |_| {
                    let (st, tok, seq) = (st.clone(), tok.clone(), seq.clone());
                    Box::pin(async move {
                        // parse_token's status lookup, both users in one read, then
                        // Store::write_single: both sides' duplicate checks together,
                        // one insert of both copies, both sides' last-chat updates together.
                        st.sessions.openim_token_status("imAdmin", 10, &tok).await.map_err(|x| format!("{x:?}"))?.ok_or("token not issued")?;
                        let (from, to) = (100164i64, 100102i64);
                        let users = st.store.users();
                        let parties: Vec<Document> = users
                            .find(doc! {"_id": {"$in": [from as i32, from, to as i32, to]}})
                            .await.map_err(e)?.try_collect().await.map_err(e)?;
                        if parties.len() != 2 {
                            return Err("no sender or no receiver".into());
                        }
                        let mid = format!("directbench_{run_id}_{}", seq.fetch_add(1, Ordering::Relaxed));
                        let t = shiku_api::util::now_ms();
                        // Both users share a shard: both checks together, then one insert.
                        let c = st.store.user_msgs(from);
                        let record = |owner: i64, peer: i64, dir: i32| doc! {"message": "{}", "direction": dir, "sender": owner.to_string(), "receiver": peer.to_string(),
                            "sender_jid": "100164/web", "receiver_jid": "100102", "ts": t, "contentType": 1, "messageId": &mid,
                            "timeSend": t, "deleteTime": 0i64, "isRead": 1, "isEncrypt": false, "content": "direct"};
                        let (mine, theirs) = futures::try_join!(
                            c.find_one(doc! {"messageId": &mid, "sender": from.to_string(), "direction": 0}).into_future(),
                            c.find_one(doc! {"messageId": &mid, "sender": to.to_string(), "receiver": from.to_string(), "direction": 1}).into_future(),
                        ).map_err(e)?;
                        if mine.is_none() && theirs.is_none() {
                            c.insert_many(vec![record(from, to, 0), record(to, from, 1)]).ordered(false).await.map_err(e)?;
                        }
                        let last = |owner: i64, peer: i64| {
                            let (c, mid) = (st.store.user_lastchats(owner), mid.clone());
                            async move {
                                c.update_one(
                                    doc! {"userId": owner.to_string(), "jid": peer.to_string(), "timeSend": {"$lte": t}},
                                    doc! {"$set": {"type": 1, "messageId": &mid, "timeSend": t, "content": "direct"}},
                                ).await.map_err(e)?;
                                Ok::<(), String>(())
                            }
                        };
                        futures::try_join!(last(from, to), last(to, from))?;
                        Ok(())
                    })
                })
            },
            hot: {
                let (c, seq) = (store.user_msgs(USER), seq.clone());
                direct(move |_| {
                    let (c, seq) = (c.clone(), seq.clone());
                    Box::pin(async move {
                        let mid = format!("directbench_{run_id}_{}", seq.fetch_add(1, Ordering::Relaxed));
                        c.insert_one(doc! {"sender": "100164", "receiver": "100102", "messageId": mid, "timeSend": shiku_api::util::now_ms(), "message": "{}"}).await.map_err(e)?;
                        Ok(())
                    })
                })
            },
        },
        Case {
            name: "JH getNewestMsgListByLastTime",
            queries: "1",
            service: get(
                &http,
                format!("/api/im/getNewestMsgListByLastTime?appid=JH&from=m0&to=s0&fromrole=MEMBER&lasttime={jh_lasttime}"),
            ),
            direct: {
                let c = store.jh_messages();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        all(c.find(jh_filter(jh_lasttime)).sort(doc! {"sendtime": -1, "_id": -1}).skip(0).limit(max_page).await.map_err(e)?).await.map(|_| ())
                    })
                })
            },
            hot: {
                let c = store.jh_messages();
                direct(move |_| {
                    let c = c.clone();
                    Box::pin(async move {
                        all(c.find(jh_filter(jh_lasttime)).sort(doc! {"sendtime": -1, "_id": -1}).limit(max_page).await.map_err(e)?).await.map(|_| ())
                    })
                })
            },
        },
    ];

    let only: Option<String> = std::env::var("BENCH_ONLY").ok();
    if let Some(a) = baseline {
        let rounds: usize = std::env::var("BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        let cases: Vec<&Case> = cases
            .iter()
            .filter(|c| only.as_ref().is_none_or(|o| c.name.contains(o.as_str())))
            .collect();
        ab(&cases, &a, &target, &levels, requests, rounds).await;
        return;
    }
    let mut rows = Vec::new();
    println!(
        "{:<30} {:>4} {:>2} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>5} {:>6} {:>5}",
        "endpoint", "conc", "q", "svc rps", "db rps", "svc p50", "db p50", "hot p50", "svc p99", "db p99", "p50 x", "rps x", "cpu ms", "db cpu", "cpu x", "rss MB", "err"
    );
    for case in &cases {
        if let Some(o) = &only {
            if !case.name.contains(o.as_str()) {
                continue;
            }
        }
        for &c in &levels {
            let cpu0 = if pid > 0 { cpu_seconds(pid) } else { 0.0 };
            let s = run((case.service)(&target), requests, c).await;
            let cpu = if pid > 0 {
                (cpu_seconds(pid) - cpu0) * 1000.0 / s.n as f64
            } else {
                f64::NAN
            };
            // The floor: the CPU this process spends issuing the same queries
            // with the driver directly (no HTTP, JSON or auth).
            let me = std::process::id();
            let floor0 = cpu_seconds(me);
            let d = run(case.direct.clone(), requests, c).await;
            let floor = (cpu_seconds(me) - floor0) * 1000.0 / d.n.max(1) as f64;
            let h = run(case.hot.clone(), requests, c).await;
            let rss = if pid > 0 { peak_rss_mb(pid) } else { f64::NAN };
            println!(
                "{:<30} {:>4} {:>2} {:>8.0} {:>8.0} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>6.2} {:>6.2} {:>7.3} {:>7.3} {:>5.1} {:>6.1} {:>5}",
                case.name, c, case.queries, s.rps, d.rps, s.p50, d.p50, h.p50, s.p99, d.p99, s.p50 / d.p50, s.rps / d.rps, cpu, floor, cpu / floor, rss, s.errors
            );
            for (what, smp) in [("service", &s), ("direct", &d), ("hot", &h)] {
                if let Some(err) = &smp.first_error {
                    println!("    {what}: {} errors, first: {err}", smp.errors);
                }
            }
            rows.push(json!({
                "endpoint": case.name, "concurrency": c, "requests": {"service": s.n, "direct": d.n, "hot": h.n}, "queries_per_request": case.queries,
                "service": {"rps": s.rps, "p50_ms": s.p50, "p99_ms": s.p99, "errors": s.errors, "first_error": s.first_error},
                "direct": {"rps": d.rps, "p50_ms": d.p50, "p99_ms": d.p99, "errors": d.errors},
                "hot_query": {"rps": h.rps, "p50_ms": h.p50, "p99_ms": h.p99, "errors": h.errors},
                "p50_ratio": s.p50 / d.p50, "rps_ratio": s.rps / d.rps,
                "cpu_ms_per_request": cpu, "direct_cpu_ms_per_request": floor, "cpu_ratio": cpu / floor,
                "peak_rss_mb": rss,
            }));
        }
    }
    write_json("bench", json!({"rows": rows}));
}

/// A/B: each case at each concurrency, `rounds` rounds; in each round the
/// baseline `a` and this build `b` serve the same requests, in alternating
/// order (a b, b a, ...), so that drift of the machine or the database falls
/// on both. CPU ms per request = the process's CPU over all rounds / requests;
/// p50 over all requests of all rounds.
async fn ab(
    cases: &[&Case],
    a: &Target,
    b: &Target,
    levels: &[usize],
    requests: usize,
    rounds: usize,
) {
    println!(
        "{:<30} {:>4} {:>6} {:>8} {:>8} {:>6} {:>8} {:>8} {:>6} {:>7} {:>7}",
        "endpoint",
        "conc",
        "rounds",
        "A cpu ms",
        "B cpu ms",
        "cpu B/A",
        "A p50",
        "B p50",
        "p50 B/A",
        "A err",
        "B err"
    );
    let mut rows = Vec::new();
    for case in cases {
        for &c in levels {
            // [cpu seconds, requests, errors, latencies] per target
            let mut acc: [(f64, usize, usize, Vec<f64>); 2] = Default::default();
            for round in 0..rounds {
                let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                for which in order {
                    let t = if which == 0 { a } else { b };
                    let cpu0 = cpu_seconds(t.pid);
                    let s = run((case.service)(t), requests, c).await;
                    let x = &mut acc[which];
                    x.0 += cpu_seconds(t.pid) - cpu0;
                    x.1 += s.n;
                    x.2 += s.errors;
                    x.3.extend(s.lat);
                    if let Some(err) = s.first_error {
                        println!("    {}: {err}", if which == 0 { "A" } else { "B" });
                    }
                }
            }
            let stat = |x: &mut (f64, usize, usize, Vec<f64>)| {
                x.3.sort_by(|p, q| p.partial_cmp(q).unwrap());
                let p50 = x.3.get(x.3.len() / 2).copied().unwrap_or(f64::NAN);
                (x.0 * 1000.0 / x.1.max(1) as f64, p50, x.2)
            };
            let (cpu_a, p50_a, err_a) = stat(&mut acc[0]);
            let (cpu_b, p50_b, err_b) = stat(&mut acc[1]);
            println!(
                "{:<30} {:>4} {:>6} {:>8.3} {:>8.3} {:>6.2} {:>8.2} {:>8.2} {:>6.2} {:>7} {:>7}",
                case.name,
                c,
                rounds,
                cpu_a,
                cpu_b,
                cpu_b / cpu_a,
                p50_a,
                p50_b,
                p50_b / p50_a,
                err_a,
                err_b
            );
            rows.push(json!({
                "endpoint": case.name, "concurrency": c, "rounds": rounds,
                "requests": {"a": acc[0].1, "b": acc[1].1},
                "cpu_ms_per_request": {"a": cpu_a, "b": cpu_b, "ratio": cpu_b / cpu_a},
                "p50_ms": {"a": p50_a, "b": p50_b, "ratio": p50_b / p50_a},
                "errors": {"a": err_a, "b": err_b},
            }));
        }
    }
    write_json("ab", json!({"rows": rows}));
}

fn write_json(kind: &str, v: Value) {
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!(
        "{kind}-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    ));
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    println!("written {}", file.display());
}
