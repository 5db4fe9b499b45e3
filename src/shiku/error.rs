//! The Shiku envelope for failures, as the original writes it (HTTP 200):
//! the auth filter answers `{"resultCode","resultMsg"}`; the exception handler
//! answers `{"detailMsg","resultCode","resultMsg"}`. Neither has `currentTime`.
//! Codes and texts are the original's (`KConstants.ResultCode`, `message.json`).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

const PARAMS_MSG: &str = "请求参数验证失败，缺少必填参数或参数错误";

#[derive(Debug, thiserror::Error)]
pub enum ShikuError {
    /// 1030101: no `access_token`.
    #[error("缺少访问令牌")]
    TokenMissing,
    /// 1030102: the token maps to no user (unknown or expired).
    #[error("访问令牌过期或无效")]
    TokenInvalid,
    /// 10110: a request signature (`secret`) that does not verify.
    #[error("权限验证失败")]
    AuthFailed,
    /// A required parameter is missing or empty.
    #[error("{0}")]
    ParamMissing(String),
    /// A parameter could not be parsed or is out of range.
    #[error("{0}")]
    ParamInvalid(String),
    /// Any coded business error of the original (`resultCode`, `resultMsg`).
    #[error("{1}")]
    Coded(i32, String),
    /// `JSONMessage.failure(msg)`: `{"currentTime","resultCode":0,"resultMsg"}`
    /// (what `/user/login` answers for a wrong password or unknown account).
    #[error("{0}")]
    Failure(String),
    /// Too many attempts from one client (HTTP 429).
    #[error("请求过于频繁，请稍后再试")]
    RateLimited,
    /// Database or other internal failure; details go to the log only.
    #[error("internal: {0}")]
    Internal(String),
    /// The database did not answer in time.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

pub type ShikuResult<T> = Result<T, ShikuError>;

/// Result codes of the original (`KConstants.ResultCode`).
pub mod code {
    pub const SUCCESS: i32 = 1;
    pub const TOKEN_MISSING: i32 = 1030101;
    pub const TOKEN_INVALID: i32 = 1030102;
    /// `ParamsAuthFail`: missing or unparsable parameter (Spring binding errors).
    pub const PARAM_MISSING: i32 = 1010101;
    pub const PARAM_INVALID: i32 = 1010101;
    pub const INTERNAL: i32 = 1020101;
    pub const FAILURE: i32 = 0;
    pub const NO_PERMISSION: i32 = 1030104;
    /// `AUTH_FAILED`: a signature or login MAC that does not verify.
    pub const AUTH_FAILED: i32 = 10110;
    /// `NO_PERMISSION` of the console login (no console role).
    pub const CONSOLE_NO_PERMISSION: i32 = 10111;
    /// `LoginTokenInvalid`: an unknown or expired auto-login token.
    pub const LOGIN_TOKEN_INVALID: i32 = 1030112;
    pub const ACCOUNT_LOCKED: i32 = 1040304;
    pub const ACCOUNT_NOT_EXIST: i32 = 1040101;
    pub const ACCOUNT_OR_PASSWORD_INCORRECT: i32 = 1040102;
    pub const PHONE_REGISTERED: i32 = 1040107;
    pub const DATA_NOT_EXISTS: i32 = 100109;
    pub const USER_NOT_EXIST: i32 = 100211;
    pub const NOT_ROOM: i32 = 100411;
}

impl ShikuError {
    /// A missing required parameter; `name` goes to `detailMsg`.
    pub fn missing(name: &str) -> Self {
        ShikuError::ParamMissing(format!("missing parameter: {name}"))
    }
    /// An unparsable or out-of-range parameter; `name` goes to `detailMsg`.
    pub fn invalid(name: &str) -> Self {
        ShikuError::ParamInvalid(format!("invalid parameter: {name}"))
    }
    pub fn coded(code: i32, msg: impl Into<String>) -> Self {
        ShikuError::Coded(code, msg.into())
    }

    pub fn result_code(&self) -> i32 {
        match self {
            ShikuError::TokenMissing => code::TOKEN_MISSING,
            ShikuError::TokenInvalid => code::TOKEN_INVALID,
            ShikuError::AuthFailed => code::AUTH_FAILED,
            ShikuError::ParamMissing(_) => code::PARAM_MISSING,
            ShikuError::ParamInvalid(_) => code::PARAM_INVALID,
            ShikuError::Coded(c, _) => *c,
            ShikuError::Failure(_) | ShikuError::RateLimited => code::FAILURE,
            ShikuError::Internal(_) | ShikuError::Unavailable(_) => code::INTERNAL,
        }
    }

    pub fn client_message(&self) -> String {
        match self {
            ShikuError::ParamMissing(_) | ShikuError::ParamInvalid(_) => PARAMS_MSG.to_string(),
            ShikuError::Internal(_) | ShikuError::Unavailable(_) => "接口内部异常".to_string(),
            other => other.to_string(),
        }
    }

    fn detail(&self) -> &str {
        match self {
            ShikuError::ParamMissing(d) | ShikuError::ParamInvalid(d) => d,
            _ => "",
        }
    }
}

impl From<mongodb::error::Error> for ShikuError {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        match *e.kind {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. } => ShikuError::Unavailable(e.to_string()),
            _ => ShikuError::Internal(e.to_string()),
        }
    }
}

impl ResponseError for ShikuError {
    fn status_code(&self) -> StatusCode {
        match self {
            // The original answers every business error with 200; only a database
            // outage gets 503 so that load balancers and clients can retry.
            ShikuError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ShikuError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ShikuError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::OK,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ShikuError::Internal(d) | ShikuError::Unavailable(d) => {
                tracing::error!("request failed: {d}")
            }
            _ => {}
        }
        let body = match self {
            ShikuError::TokenMissing | ShikuError::TokenInvalid | ShikuError::AuthFailed => {
                json!({"resultCode": self.result_code(), "resultMsg": self.client_message()})
            }
            ShikuError::Failure(m) => {
                json!({"currentTime": crate::util::now_ms(), "resultCode": 0, "resultMsg": m})
            }
            _ => {
                json!({"detailMsg": self.detail(), "resultCode": self.result_code(), "resultMsg": self.client_message()})
            }
        };
        HttpResponse::build(self.status_code()).json(body)
    }
}
