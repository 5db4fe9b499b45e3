//! The Shiku envelope for failures, as the original writes it (HTTP 200):
//! the auth filter answers `{"resultCode","resultMsg"}`; the exception handler
//! answers `{"detailMsg","resultCode","resultMsg"}`. Neither has `currentTime`.
//! Codes and texts are the original's (`KConstants.ResultCode`, `message.json`).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::json;

use super::codes::{self as code, Code};
use crate::domain::room::Denied;
use crate::store::{Refusal, StoreError};

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

    /// `JSONMessage.failureByErrCode(code)`: a returned (not thrown) failure,
    /// whose envelope carries `currentTime` and no `detailMsg`.
    pub fn returned(c: Code) -> actix_web::HttpResponse {
        actix_web::HttpResponse::Ok().json(
            json!({"currentTime": crate::util::now_ms(), "resultCode": c.code, "resultMsg": c.msg}),
        )
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

impl From<StoreError> for ShikuError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(d) => ShikuError::Unavailable(d),
            StoreError::Failed(d) | StoreError::Corrupt(d) => ShikuError::Internal(d),
            StoreError::Refused(r) => match r {
                Refusal::NoPermission => code::NO_PERMISSION.into(),
                Refusal::NoRoom => code::NOT_ROOM.into(),
                Refusal::NotMember => code::NOT_MEMBER.into(),
                Refusal::Invalid(name) => ShikuError::invalid(name),
                Refusal::IdTaken => ShikuError::invalid("messageId"),
            },
        }
    }
}

impl From<Denied> for ShikuError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotMember | Denied::TargetNotMember => code::NOT_MEMBER,
            Denied::Locked => code::ROOM_LOCKED,
            Denied::InviteNeedsOwner => code::INVITE_NEEDS_OWNER,
            Denied::NotFriendInvite => code::NOT_FRIEND_NO_INVITE,
            Denied::OwnerNotRemovable => code::NOT_REMOVE_OWNER,
            Denied::InvisibleInvites => code::INVISIBLE_NO_INVITE,
            Denied::OwnerNotMutable => code::OWNER_NOT_MUTABLE,
            Denied::NoPermission | Denied::Muted | Denied::RoomMuted => code::NO_PERMISSION,
        }
        .into()
    }
}

impl From<mongodb::error::Error> for ShikuError {
    fn from(e: mongodb::error::Error) -> Self {
        StoreError::from(e).into()
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
