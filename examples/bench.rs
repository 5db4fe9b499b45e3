//! The benchmark driver behind `scripts/bench.sh` (not a test: it measures).
//!
//! For each hot endpoint it runs a fixed number of requests at each concurrency
//! against the running release service, and in the same run issues the same
//! MongoDB query directly through the driver. It prints one table (req/s,
//! p50/p99 for service and direct, their ratio, service CPU seconds per 1 000
//! requests from /proc, peak RSS) and writes it as JSON under target/bench/.
//! `--scale` prints history/conversation latency per stored size with `explain`.
//!
//! Environment: BENCH_BASE (service URL), MONGODB_URI, BENCH_PID (service pid),
//! BENCH_REQUESTS (default 2000), BENCH_CONCURRENCY (default "1,32").

use std::sync::Arc;
use std::time::{Duration, Instant};

use bson::{doc, Document};
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};
use mongodb::{Client, Collection};
use serde_json::{json, Value};

type Op = Arc<dyn Fn(usize) -> BoxFuture<'static, bool> + Send + Sync>;

struct Sample {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

async fn run(op: Op, requests: usize, concurrency: usize) -> Sample {
    // Warm-up outside the measurement.
    for i in 0..concurrency.min(20) {
        op(i).await;
    }
    let start = Instant::now();
    let results: Vec<(Duration, bool)> = stream::iter(0..requests)
        .map(|i| {
            let op = op.clone();
            async move {
                let t = Instant::now();
                let ok = op(i).await;
                (t.elapsed(), ok)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = results
        .iter()
        .map(|(d, _)| d.as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    Sample {
        rps: requests as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        errors: results.iter().filter(|r| !r.1).count(),
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

fn http_op(
    http: reqwest::Client,
    url: String,
    form: Option<Vec<(String, String)>>,
    json_body: Option<(Vec<(String, String)>, Value)>,
) -> Op {
    Arc::new(move |i| {
        let http = http.clone();
        let url = url.replace("{i}", &i.to_string());
        let form = form.clone();
        let json_body = json_body.clone();
        Box::pin(async move {
            let rb = match (form, json_body) {
                (Some(f), _) => http.post(&url).form(&f),
                (None, Some((headers, body))) => {
                    let body: Value =
                        serde_json::from_str(&body.to_string().replace("{i}", &i.to_string()))
                            .unwrap();
                    let mut rb = http.post(&url).json(&body);
                    for (k, v) in headers {
                        rb = rb.header(k, v);
                    }
                    rb
                }
                _ => http.get(&url),
            };
            match rb.send().await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            }
        })
    })
}

fn find_op(coll: Collection<Document>, filter: Document, sort: Document, limit: i64) -> Op {
    Arc::new(move |_| {
        let coll = coll.clone();
        let filter = filter.clone();
        let sort = sort.clone();
        Box::pin(async move {
            match coll.find(filter).sort(sort).limit(limit).await {
                Ok(c) => c.collect::<Vec<_>>().await.iter().all(|r| r.is_ok()),
                Err(_) => false,
            }
        })
    })
}

/// Plan summary of a find: stage chain and keys/docs examined.
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
                match p.get_document("inputStage") {
                    Ok(i) => format!("{stage}<{}", chain(i)),
                    Err(_) => stage,
                }
            }
            let plan = r
                .get_document("queryPlanner")
                .and_then(|q| q.get_document("winningPlan"))
                .map(chain)
                .unwrap_or_default();
            let st = r.get_document("executionStats").ok();
            let keys = st
                .and_then(|s| s.get("totalKeysExamined"))
                .map(|v| v.to_string())
                .unwrap_or_default();
            let docs = st
                .and_then(|s| s.get("totalDocsExamined"))
                .map(|v| v.to_string())
                .unwrap_or_default();
            format!("{plan} keys={keys} docs={docs}")
        }
        Err(e) => format!("explain failed: {e}"),
    }
}

struct Case {
    name: &'static str,
    service: Op,
    direct: Op,
}

#[tokio::main]
async fn main() {
    let base = std::env::var("BENCH_BASE").unwrap_or_else(|_| "http://127.0.0.1:8092".into());
    let uri = std::env::var("MONGODB_URI").expect("MONGODB_URI");
    let pid: u32 = std::env::var("BENCH_PID")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
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

    let client = Client::with_uri_str(&uri).await.unwrap();
    let imapi = client.database("imapi");
    // Sessions for the demo user and a synthetic user, stored as the service stores them.
    let sessions = imapi.collection::<Document>("shiku_api_sessions");
    let far = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 86_400_000);
    for (uid, tok) in [
        (100164i64, "benchtoken100164"),
        (200000, "benchtoken200000"),
    ] {
        sessions
            .update_one(
                doc! {"_id": format!("loginToken:{tok}")},
                doc! {"$set": {"token": tok, "userId": uid, "kind": "loginToken", "expireAt": far}},
            )
            .upsert(true)
            .await
            .unwrap();
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let msgs = client.database("shiku_msgs").collection::<Document>("20");
    let last = client
        .database("shiku_lastChats")
        .collection::<Document>("10");
    let room_jid = "6c1536dbf97540d1b906d76f4272a90d";
    let muc = client
        .database("imRoom")
        .collection::<Document>(&format!("mucmsg_{room_jid}"));
    // Synthetic user 200000's partner (see seed::synthetic).
    let peer = "200001";
    let hist_filter =
        doc! {"sender": "200000", "receiver": peer, "deleteTime": {"$in": [0, 0i64, null]}};
    let hist_sort = doc! {"timeSend": -1};

    if scale {
        println!("{:<28} {}", "query", "plan (explain executionStats)");
        println!(
            "{:<28} {}",
            "history (shiku_msgs)",
            explain(&msgs, hist_filter.clone(), hist_sort.clone(), 20).await
        );
        println!(
            "{:<28} {}",
            "group history (mucmsg)",
            explain(&muc, doc! {}, doc! {"timeSend": -1}, 20).await
        );
        println!(
            "{:<28} {}",
            "last chats",
            explain(&last, doc! {"userId": "100164"}, doc! {"timeSend": -1}, 20).await
        );
        let hist = http_op(http.clone(), format!("{base}/tigase/shiku_msgs?access_token=benchtoken200000&receiver={peer}&pageIndex=0&pageSize=20"), None, None);
        let count = msgs.estimated_document_count().await.unwrap_or(0);
        let s = run(hist, requests.min(500), 1).await;
        println!(
            "stored records in shard 20: {count}; history p50 {:.2} ms p99 {:.2} ms",
            s.p50, s.p99
        );
        return;
    }

    let openim_token = std::env::var("BENCH_OPENIM_TOKEN").unwrap_or_default();
    let cases = vec![
        Case {
            name: "/tigase/shiku_msgs",
            service: http_op(http.clone(), format!("{base}/tigase/shiku_msgs?access_token=benchtoken200000&receiver={peer}&pageIndex=0&pageSize=20"), None, None),
            direct: find_op(msgs.clone(), hist_filter.clone(), hist_sort.clone(), 20),
        },
        Case {
            name: "/tigase/shiku_muc_msgs",
            service: http_op(http.clone(), format!("{base}/tigase/shiku_muc_msgs?access_token=benchtoken100164&roomId={room_jid}&pageIndex=0&pageSize=20"), None, None),
            direct: find_op(muc.clone(), doc! {}, doc! {"timeSend": -1}, 20),
        },
        Case {
            name: "/tigase/getLastChatList",
            service: http_op(http.clone(), format!("{base}/tigase/getLastChatList?access_token=benchtoken100164&pageIndex=0&pageSize=20"), None, None),
            direct: find_op(last.clone(), doc! {"userId": "100164"}, doc! {"timeSend": -1}, 20),
        },
        Case {
            name: "/room/get",
            service: http_op(http.clone(), format!("{base}/room/get?access_token=benchtoken100164&roomId=60210278cb36d459fe88c196"), None, None),
            direct: find_op(
                client.database("imRoom").collection("shiku_room"),
                doc! {"_id": bson::oid::ObjectId::parse_str("60210278cb36d459fe88c196").unwrap()},
                doc! {},
                1,
            ),
        },
        Case {
            name: "/user/get",
            service: http_op(http.clone(), format!("{base}/user/get?access_token=benchtoken100164"), None, None),
            direct: find_op(imapi.collection("user"), doc! {"_id": 100164}, doc! {}, 1),
        },
        Case {
            name: "OpenIM /msg/send_msg",
            service: http_op(
                http.clone(),
                format!("{base}/msg/send_msg"),
                None,
                Some((
                    vec![("operationID".into(), "bench".into()), ("token".into(), openim_token.clone())],
                    json!({"sendID": "100164", "recvID": "100102", "senderPlatformID": 5, "content": {"content": "bench {i}"},
                           "contentType": 101, "sessionType": 1}),
                )),
            ),
            direct: {
                let coll = client.database("shiku_msgs").collection::<Document>("10");
                Arc::new(move |i| {
                    let coll = coll.clone();
                    Box::pin(async move {
                        let d = doc! {"sender": "100164", "receiver": "100102", "messageId": format!("directbench{i}"), "timeSend": i as i64, "message": "{}"};
                        coll.insert_many(vec![d.clone(), d]).await.is_ok()
                    })
                })
            },
        },
        Case {
            name: "JH getNewestMsgListByLastTime",
            service: http_op(
                http.clone(),
                format!("{base}/api/im/getNewestMsgListByLastTime?appid=JH&from=m1&to=s1&lasttime=0"),
                None,
                None,
            ),
            direct: find_op(
                client.database("jhim").collection("messages"),
                doc! {"appid": "JH", "$or": [{"from": "m1", "to": "s1"}, {"from": "s1", "to": "m1"}], "sendtime": {"$gt": 0}},
                doc! {"sendtime": -1},
                100,
            ),
        },
    ];

    let mut rows = Vec::new();
    println!(
        "{:<30} {:>4} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9} {:>8} {:>5}",
        "endpoint",
        "conc",
        "svc rps",
        "db rps",
        "svc p50",
        "db p50",
        "svc p99",
        "db p99",
        "p50 x",
        "cpu s/1k",
        "rss MB",
        "err"
    );
    for case in &cases {
        for &c in &levels {
            let cpu0 = if pid > 0 { cpu_seconds(pid) } else { 0.0 };
            let s = run(case.service.clone(), requests, c).await;
            let cpu = if pid > 0 {
                (cpu_seconds(pid) - cpu0) * 1000.0 / requests as f64
            } else {
                f64::NAN
            };
            let d = run(case.direct.clone(), requests, c).await;
            let rss = if pid > 0 { peak_rss_mb(pid) } else { f64::NAN };
            println!(
                "{:<30} {:>4} {:>9.0} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.2} {:>9.3} {:>8.1} {:>5}",
                case.name, c, s.rps, d.rps, s.p50, d.p50, s.p99, d.p99, s.p50 / d.p50, cpu, rss, s.errors
            );
            rows.push(json!({
                "endpoint": case.name, "concurrency": c, "requests": requests,
                "service": {"rps": s.rps, "p50_ms": s.p50, "p99_ms": s.p99, "errors": s.errors},
                "direct": {"rps": d.rps, "p50_ms": d.p50, "p99_ms": d.p99, "errors": d.errors},
                "p50_ratio": s.p50 / d.p50, "rps_ratio": s.rps / d.rps,
                "cpu_seconds_per_1000": cpu, "peak_rss_mb": rss,
            }));
        }
    }
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!(
        "bench-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    ));
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&json!({"rows": rows})).unwrap(),
    )
    .unwrap();
    println!("written {}", file.display());
}
