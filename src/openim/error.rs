//! OpenIM envelope: `{"errCode", "errMsg", "errDlt"}`, HTTP 200 except body
//! binding errors (400). Codes and short names are OpenIM's (`tools/errs`,
//! `servererrs`); `errDlt` is the detail only, as OpenIM v3.8.3+ writes it.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
#[error("{code} {msg}: {detail}")]
pub struct OpenImError {
    pub code: i32,
    pub msg: &'static str,
    pub detail: String,
    pub status: StatusCode,
}

impl OpenImError {
    pub fn new(code: i32, msg: &'static str, detail: impl Into<String>) -> Self {
        OpenImError {
            code,
            msg,
            detail: detail.into(),
            status: StatusCode::OK,
        }
    }
    pub fn args(detail: impl Into<String>) -> Self {
        Self::new(1001, "ArgsError", detail)
    }
    /// 1001 for a body that fails binding: OpenIM answers it with HTTP 400.
    pub fn bind(detail: impl Into<String>) -> Self {
        Self::args(detail).with_status(StatusCode::BAD_REQUEST)
    }
    pub fn no_permission(detail: impl Into<String>) -> Self {
        Self::new(1002, "NoPermissionError", detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(1004, "RecordNotFoundError", detail)
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %detail, "openim request failed");
        Self::new(500, "ServerInternalError", "")
    }
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl From<StoreError> for OpenImError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(d) => {
                tracing::error!(cause = %d, "openim request failed: database unavailable");
                OpenImError::new(500, "ServerInternalError", "")
                    .with_status(StatusCode::SERVICE_UNAVAILABLE)
            }
            StoreError::Failed(d) | StoreError::Corrupt(d) => OpenImError::internal(d),
            StoreError::Refused(Refusal::NoPermission) => {
                OpenImError::no_permission("no permission")
            }
            StoreError::Refused(Refusal::Invalid(name)) => {
                OpenImError::args(format!("{name} is invalid"))
            }
            StoreError::Refused(Refusal::IdTaken) => {
                OpenImError::args("clientMsgID is already another message's")
            }
            StoreError::Refused(r) => OpenImError::not_found(format!("{r:?}")),
        }
    }
}

impl From<mongodb::error::Error> for OpenImError {
    fn from(e: mongodb::error::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl ResponseError for OpenImError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .json(json!({"errCode": self.code, "errMsg": self.msg, "errDlt": self.detail}))
    }
}
