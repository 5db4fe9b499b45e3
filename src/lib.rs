#![recursion_limit = "256"]
//! shiku-api: the Shiku IM HTTP API (plus the OpenIM send and JH customer-service
//! dialects) over the original deployment's MongoDB. `build` wires everything so
//! that `main` and the integration tests start the same application.

pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod jh;
pub mod openim;
pub mod ratelimit;
pub mod secure;
pub mod seed;
pub mod shiku;
pub mod store;
pub mod util;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{dev::Server, middleware, web, App, HttpServer};

use config::Config;
use store::{sessions::Sessions, Store};

/// Shared by every request.
pub struct AppState {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub sessions: Sessions,
    /// Shared by all workers: the limit is per client address, not per thread.
    pub login_limiter: Arc<ratelimit::RateLimiter>,
    /// How sent messages reach their receivers (push or archive).
    pub delivery: delivery::Delivery,
    /// The user status consumer once `serve` started it (`/health`).
    pub status_consumer: Arc<std::sync::OnceLock<Arc<delivery::status::StatusConsumer>>>,
}

impl AppState {
    pub async fn new(cfg: Config) -> Result<Self, String> {
        let store = Store::connect(&cfg)
            .await
            .map_err(|e| format!("MongoDB: {e}"))?;
        let sessions = Sessions::connect(
            cfg.redis_url.as_deref(),
            cfg.redis_timeout,
            store.sessions(),
        )
        .await
        .map_err(|e| format!("Redis: {e}"))?;
        let login_limiter = Arc::new(ratelimit::RateLimiter::new(
            cfg.login_per_minute,
            std::time::Duration::from_secs(60),
        ));
        let delivery = match &cfg.mq {
            None => delivery::Delivery::archive(),
            Some(mq) => {
                let publisher = delivery::mq::Publisher::start(mq.clone()).await?;
                if !publisher.reachable().await {
                    if cfg.mq_required {
                        return Err(format!(
                            "RocketMQ: no name server of {} answers (ROCKETMQ_REQUIRED=1)",
                            mq.namesrv
                        ));
                    }
                    tracing::warn!(
                        "RocketMQ: no name server of {} answers yet; pushes are retried, then counted as failed (/health)",
                        mq.namesrv
                    );
                }
                delivery::Delivery::push(publisher)
            }
        };
        Ok(AppState {
            cfg: Arc::new(cfg),
            store,
            sessions,
            login_limiter,
            delivery,
            status_consumer: Arc::default(),
        })
    }

    /// Starts consuming the IM server's user status reports (push mode with
    /// `ROCKETMQ_CONSUME_STATUS` on): `serve` does, one-shot commands do not
    /// (they would take the group's queues and leave).
    pub async fn start_status_consumer(
        &self,
    ) -> Result<Option<Arc<delivery::status::StatusConsumer>>, String> {
        let Some(mq) = &self.cfg.mq else {
            return Ok(None);
        };
        let Some(topic) = &mq.status_topic else {
            return Ok(None);
        };
        let consumer = delivery::status::StatusConsumer::start(
            &mq.namesrv,
            topic,
            &mq.status_group,
            self.store.clone(),
            self.sessions.clone(),
        )
        .await?;
        let _ = self.status_consumer.set(consumer.clone());
        tracing::info!(topic = %topic, group = %mq.status_group, "consuming user status reports");
        Ok(Some(consumer))
    }

    /// Counts one login-like attempt (logins, registrations, token requests)
    /// of the request's client (see [`ratelimit::client_ip`]); false beyond
    /// `LOGIN_PER_MINUTE`.
    ///
    /// With Redis the count is shared by every instance on it (a fixed
    /// one-minute window per address); when Redis does not answer, each
    /// instance counts for itself meanwhile.
    pub async fn allow_attempt(&self, req: &actix_web::HttpRequest) -> bool {
        let Some(ip) = ratelimit::client_ip(req, &self.cfg.trusted_proxies) else {
            return true;
        };
        match self.sessions.count_attempt(&ip.to_string()).await {
            Some(n) => n <= u64::from(self.cfg.login_per_minute),
            None => self.login_limiter.allow(ip),
        }
    }

    /// The state an HTTP worker thread serves from: the same settings, limiter
    /// and (Redis) sessions, with a MongoDB client of the worker's own (see
    /// [`Store::on_this_thread`]).
    pub fn for_worker(&self) -> Result<Self, String> {
        let store = self.store.on_this_thread().map_err(|e| e.to_string())?;
        let sessions = self.sessions.with_store(&store);
        Ok(AppState {
            cfg: self.cfg.clone(),
            store,
            sessions,
            login_limiter: self.login_limiter.clone(),
            delivery: self.delivery.clone(),
            status_consumer: self.status_consumer.clone(),
        })
    }
}

/// Registers every route of every dialect.
pub fn configure(cfg: &mut web::ServiceConfig) {
    http::configure(cfg);
}

/// Starts the HTTP server on an already bound listener (tests bind port 0).
pub fn serve(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let body_limit = state.cfg.max_body_bytes;
    let workers = state.cfg.workers;
    let server = HttpServer::new(move || {
        // Called once on each worker thread.
        let worker = match state.for_worker() {
            Ok(w) => web::Data::new(w),
            Err(e) => {
                tracing::warn!("worker shares the main MongoDB client: {e}");
                state.clone()
            }
        };
        App::new()
            .app_data(worker)
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::JsonConfig::default().limit(body_limit))
            // Inside the CORS headers, so that the preflight's answer has them.
            .wrap(middleware::from_fn(http::preflight))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("Access-Control-Allow-Origin", "*"))
                    .add(("Access-Control-Allow-Methods", "POST, GET, OPTIONS, DELETE"))
                    .add(("Access-Control-Max-Age", "3600"))
                    .add((
                        "Access-Control-Allow-Headers",
                        "x-requested-with, content-type, operationID, token, x-request-id",
                    )),
            )
            .wrap(middleware::from_fn(http::logging::middleware))
            // Android calls `//user/settings`: repeated slashes are merged
            // (the original's Spring did the same).
            .wrap(middleware::NormalizePath::new(
                middleware::TrailingSlash::MergeOnly,
            ))
            .configure(configure)
    })
    .workers(workers)
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}
