//! The original's `AuthorizationFilter`: the token is the `access_token`
//! parameter (query or body; the header of the same name is accepted too).

use actix_web::HttpRequest;

use crate::error::{ShikuError, ShikuResult};
use crate::params::Params;
use crate::store::sessions::Kind;
use crate::AppState;

pub fn token<'a>(req: &'a HttpRequest, params: &'a Params) -> Option<&'a str> {
    params.str("access_token").or_else(|| {
        req.headers()
            .get("access_token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    })
}

impl AppState {
    /// The calling user: 1030101 without a token, 1030102 for an unknown or expired one.
    pub async fn user(&self, req: &HttpRequest, params: &Params) -> ShikuResult<i64> {
        self.user_of_kind(req, params, Kind::Login).await
    }

    /// The calling console administrator (`/console/*`).
    pub async fn admin(&self, req: &HttpRequest, params: &Params) -> ShikuResult<i64> {
        self.user_of_kind(req, params, Kind::Admin).await
    }

    async fn user_of_kind(
        &self,
        req: &HttpRequest,
        params: &Params,
        kind: Kind,
    ) -> ShikuResult<i64> {
        let token = token(req, params).ok_or(ShikuError::TokenMissing)?;
        if token.len() > 128 {
            return Err(ShikuError::TokenInvalid);
        }
        self.sessions
            .user_of(kind, token)
            .await?
            .ok_or(ShikuError::TokenInvalid)
    }

    /// On open paths a valid token still identifies the user.
    pub async fn optional_user(
        &self,
        req: &HttpRequest,
        params: &Params,
    ) -> ShikuResult<Option<i64>> {
        match token(req, params) {
            None => Ok(None),
            Some(t) if t.len() > 128 => Ok(None),
            Some(t) => self.sessions.user_of(Kind::Login, t).await,
        }
    }
}
