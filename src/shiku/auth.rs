//! The original's `AuthorizationFilter`: the token is the `access_token`
//! parameter (query or body; the header of the same name is accepted too).
//!
//! With `AUTH_API=1` (the original's `isAuthApi`) requests are also signed as
//! `AuthServiceUtils` checks them: `secret = base64(HmacMD5(key, apiKey + … +
//! values sorted by name + salt))`, before login with key `md5(apiKey)` (only
//! when the client sends `secret` and `salt`), after login with the session's
//! `httpKey` over `apiKey + userId + access_token + values + salt`, each secret
//! served once within the replay window. A failure answers 10110.

use actix_web::HttpRequest;

use crate::http::params::Params;
use crate::secure;
use crate::shiku::{ShikuError, ShikuResult};
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
    /// The calling user: 1030101 without a token, 1030102 for an unknown or
    /// expired one, 10110 for a bad signature when signing is on.
    pub async fn user(&self, req: &HttpRequest, params: &Params) -> ShikuResult<i64> {
        let (user_id, token) = self.user_of_kind(req, params, Kind::Login).await?;
        crate::http::logging::record_user(user_id);
        if self.cfg.auth_api {
            self.check_user_signature(req, params, user_id, token)
                .await?;
        }
        Ok(user_id)
    }

    /// The calling console administrator (`/console/*`).
    pub async fn admin(&self, req: &HttpRequest, params: &Params) -> ShikuResult<i64> {
        Ok(self.user_of_kind(req, params, Kind::Admin).await?.0)
    }

    async fn user_of_kind<'a>(
        &self,
        req: &'a HttpRequest,
        params: &'a Params,
        kind: Kind,
    ) -> ShikuResult<(i64, &'a str)> {
        let token = token(req, params).ok_or(ShikuError::TokenMissing)?;
        if token.len() > 128 {
            return Err(ShikuError::TokenInvalid);
        }
        let user_id = self
            .sessions
            .user_of(kind, token)
            .await?
            .ok_or(ShikuError::TokenInvalid)?;
        Ok((user_id, token))
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
            Some(t) => Ok(self.sessions.user_of(Kind::Login, t).await?),
        }
    }

    /// `authOpenApiByMac` of an open endpoint (before login): checked only
    /// when signing is on and the client sent both `secret` and `salt`.
    pub fn check_open_signature(&self, params: &Params) -> ShikuResult<()> {
        let (Some(secret), Some(salt), true) =
            (params.str("secret"), params.str("salt"), self.cfg.auth_api)
        else {
            return Ok(());
        };
        let api_key = self.cfg.api_key.as_deref().unwrap_or_default();
        let message = format!(
            "{api_key}{}{salt}",
            params.signed_values(&["secret", "salt"])
        );
        if secure::mac_matches(secret, &secure::md5(api_key.as_bytes()), &message) {
            Ok(())
        } else {
            Err(ShikuError::AuthFailed)
        }
    }

    /// `authRequestApiByMac` of a logged-in request.
    async fn check_user_signature(
        &self,
        req: &HttpRequest,
        params: &Params,
        user_id: i64,
        token: &str,
    ) -> ShikuResult<()> {
        let secret = params.str("secret").ok_or(ShikuError::AuthFailed)?;
        let salt = params.str("salt").unwrap_or_default();
        let session = self
            .sessions
            .session(token)
            .await?
            .ok_or(ShikuError::AuthFailed)?;
        let key = secure::unb64(&session.http_key).ok_or(ShikuError::AuthFailed)?;
        let api_key = self.cfg.api_key.as_deref().unwrap_or_default();
        let message = format!(
            "{api_key}{user_id}{token}{}{salt}",
            params.signed_values(&["secret", "salt", "access_token"])
        );
        if !secure::mac_matches(secret, &key, &message) {
            return Err(ShikuError::AuthFailed);
        }
        if !self
            .sessions
            .first_use_of_secret(user_id, req.path(), secret)
            .await?
        {
            return Err(ShikuError::AuthFailed);
        }
        Ok(())
    }
}
