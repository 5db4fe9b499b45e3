//! Subcommands: `serve` (default), `indexes`, `seed [--messages N] [--force]`, `doctor`.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::web;

use crate::config::Config;
use crate::AppState;

const USAGE: &str = "usage: shiku-api [serve | indexes | seed [--messages N] [--force] | doctor]";

pub fn main() -> ExitCode {
    let cfg = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("shiku-api: {e}");
            return ExitCode::from(2);
        }
    };
    crate::http::logging::init(&cfg.log);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("serve");
    let mut messages = 0u64;
    let mut force = false;
    let mut rest = args.iter().skip(1);
    while let Some(a) = rest.next() {
        match (cmd, a.as_str()) {
            ("seed", "--force") => force = true,
            ("seed", "--messages") => match rest.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => messages = n,
                None => {
                    eprintln!("shiku-api: --messages needs a number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if !["serve", "indexes", "doctor", "seed"].contains(&cmd) {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async move {
        if cmd == "serve" {
            return serve(cfg).await;
        }
        let state = AppState::new(cfg).await?;
        let result = match cmd {
            "indexes" => indexes(&state).await,
            "seed" => crate::seed::run(&state.store, messages, force).await,
            "doctor" => doctor(&state).await,
            _ => unreachable!(),
        };
        // Close the driver's connections before the runtime goes away (a
        // client dropped during runtime shutdown panics in the driver).
        state.store.client.clone().shutdown().await;
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shiku-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cfg: Config) -> Result<(), String> {
    let addr = cfg.bind_addr;
    let state = web::Data::new(AppState::new(cfg).await?);
    if !state.store.ping().await {
        tracing::warn!(
            "MongoDB does not answer yet; serving anyway, requests fail with 503 until it does"
        );
    }
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if let Some(reason) = state.cfg.openim_off_reason() {
        tracing::warn!(
            "{reason}; /auth/get_admin_token, /auth/user_token and /msg/send_msg answer 404"
        );
    }
    if state.cfg.mq.is_some() && !state.sessions.in_redis() {
        tracing::warn!(
            "push mode without REDIS_URL: the push service reads its registrations, online users and room push lists from Redis; none are written"
        );
    }
    let status = match state.start_status_consumer().await {
        Ok(c) => c,
        Err(e) if state.cfg.mq_required => return Err(e),
        Err(e) => {
            tracing::warn!("{e}; online status and group pushes are not kept up to date");
            None
        }
    };
    tracing::info!("shiku-api listening on http://{addr}");
    let served = crate::serve(state.clone(), listener)
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string());
    // Stopped (SIGTERM/SIGINT): the requests are answered; the messages they
    // queued for the broker are sent before the process ends.
    if let Some(publisher) = state.delivery.publisher() {
        let left = publisher.drain(publisher.longest_publish()).await;
        if left > 0 {
            tracing::error!(unfinished = left, "stopping with publishes unfinished");
        }
    }
    if let Some(c) = status {
        c.stop(Duration::from_secs(5)).await;
    }
    served
}

async fn indexes(state: &AppState) -> Result<(), String> {
    let n = state
        .store
        .create_all_indexes()
        .await
        .map_err(|e| e.to_string())?;
    println!("indexes ensured on {n} collections");
    Ok(())
}

/// Checks the deployment: connectivity, transactions, collections and indexes.
async fn doctor(state: &AppState) -> Result<(), String> {
    let s = &state.store;
    if !s.ping().await {
        return Err("MongoDB does not answer".into());
    }
    println!("mongodb: up");
    match state.delivery.publisher() {
        None => println!("delivery: archive (no message queue: messages are stored here)"),
        Some(p) if p.reachable().await => println!("delivery: push (RocketMQ name server up)"),
        Some(_) => println!("delivery: push: WARNING no RocketMQ name server answers"),
    }
    match state.cfg.openim_off_reason() {
        Some(reason) => println!("openim: WARNING {reason}"),
        None => println!("openim: on (private secret)"),
    }
    println!(
        "transactions: {}",
        if s.supports_transactions().await {
            "supported"
        } else {
            "not supported (standalone)"
        }
    );
    for db in [
        &s.cfg.imapi,
        &s.cfg.room,
        &s.cfg.msgs,
        &s.cfg.lastchat,
        &s.cfg.room_member,
        &s.cfg.room_jids,
        &s.cfg.resources,
        &s.jh_db,
    ] {
        let names = s
            .client
            .database(db)
            .list_collection_names()
            .await
            .map_err(|e| e.to_string())?;
        println!("database {db}: {} collections", names.len());
    }
    Ok(())
}
