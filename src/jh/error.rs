//! JH customer-service envelope for failures: `{"success": false, "msg": "<reason>"}`.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum JhError {
    /// Invalid input: HTTP 400.
    #[error("{0}")]
    Bad(String),
    /// Database failure: HTTP 500; details only in the log.
    #[error("internal: {0}")]
    Internal(String),
    /// The database did not answer in time: HTTP 503.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A client outside `JH_ALLOWED_CLIENTS` or without `JH_KEY`: HTTP 403.
    #[error("forbidden")]
    Forbidden,
}

impl From<StoreError> for JhError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(d) => JhError::Unavailable(d),
            StoreError::Refused(Refusal::Invalid(name)) => {
                JhError::Bad(format!("{name} is invalid"))
            }
            other => JhError::Internal(other.to_string()),
        }
    }
}

impl From<mongodb::error::Error> for JhError {
    fn from(e: mongodb::error::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl ResponseError for JhError {
    fn status_code(&self) -> StatusCode {
        match self {
            JhError::Bad(_) => StatusCode::BAD_REQUEST,
            JhError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            JhError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            JhError::Forbidden => StatusCode::FORBIDDEN,
        }
    }
    fn error_response(&self) -> HttpResponse {
        let msg = match self {
            JhError::Bad(m) => m.clone(),
            JhError::Internal(d) => {
                tracing::error!(cause = %d, "jh request failed");
                "server error".to_string()
            }
            JhError::Unavailable(d) => {
                tracing::error!(cause = %d, "jh request failed: database unavailable");
                "service unavailable".to_string()
            }
            JhError::Forbidden => "forbidden".to_string(),
        };
        HttpResponse::build(self.status_code()).json(json!({"success": false, "msg": msg}))
    }
}
