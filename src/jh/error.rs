//! JH customer-service envelope for failures: `{"success": false, "msg": "<reason>"}`.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum JhError {
    /// Invalid input: HTTP 400.
    #[error("{0}")]
    Bad(String),
    /// Database failure: HTTP 500 (503 when unreachable); details only in the log.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<mongodb::error::Error> for JhError {
    fn from(e: mongodb::error::Error) -> Self {
        JhError::Internal(e.to_string())
    }
}

impl ResponseError for JhError {
    fn status_code(&self) -> StatusCode {
        match self {
            JhError::Bad(_) => StatusCode::BAD_REQUEST,
            JhError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn error_response(&self) -> HttpResponse {
        let msg = match self {
            JhError::Bad(m) => m.clone(),
            JhError::Internal(d) => {
                tracing::error!("jh request failed: {d}");
                "server error".to_string()
            }
        };
        HttpResponse::build(self.status_code()).json(json!({"success": false, "msg": msg}))
    }
}
