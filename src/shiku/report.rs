//! `/user/report` (Android's "report" on a profile, a moments post, a room
//! or a web page) and `/user/checkReportUrl` (asked by Android's web view
//! before it opens a page: a page of a host the console blocked is not
//! shown), after the original's `UserController`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{ShikuError, ShikuResult};
use crate::store::reports::NewReport;
use crate::util::{now_s, ok, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_REPORT, report)
        .add(&USER_CHECK_REPORT_URL, check_report_url);
}

/// Longest web address taken.
const MAX_URL_CHARS: usize = 2048;
/// Most reports one user files in a day (the console reads them all).
pub const MAX_REPORTS_A_DAY: u64 = 50;
const DAY_S: i64 = 86_400;

pub const USER_REPORT: Endpoint = Endpoint {
    path: "/user/report",
    summary: "report a user (`toUserId`), a room (`roomId`) or a web page (`webUrl`) with a `reason` code",
    params: &[
        int("toUserId").default(0).min(0),
        string("roomId"),
        string("webUrl"),
        int("reason").default(0),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/report`: stored for the console. A report that names nothing is
/// refused (the original stored it).
async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let to_user_id = p.i64_or("toUserId", 0)?;
    if to_user_id < 0 {
        return Err(ShikuError::invalid("toUserId"));
    }
    let room_id = match p.str("roomId") {
        None => "",
        Some(id) => {
            bson::oid::ObjectId::parse_str(id).map_err(|_| ShikuError::invalid("roomId"))?;
            id
        }
    };
    let web_url = p.str("webUrl");
    if web_url.is_some_and(|u| u.chars().count() > MAX_URL_CHARS) {
        return Err(ShikuError::invalid("webUrl"));
    }
    if to_user_id == 0 && room_id.is_empty() && web_url.is_none() {
        return Err(ShikuError::missing("toUserId"));
    }
    let reason = p.i32_or("reason", 0)?;
    if state.store.reports_since(me, now_s() - DAY_S).await? >= MAX_REPORTS_A_DAY {
        return Err(codes::TOO_MANY_REPORTS.into());
    }
    let r = NewReport {
        to_user_id,
        room_id,
        web_url,
        reason,
    };
    state.store.add_report(me, &r).await?;
    Ok(ok())
}

pub const USER_CHECK_REPORT_URL: Endpoint = Endpoint {
    path: "/user/checkReportUrl",
    summary: "whether a web page may be shown: 100203 when the console blocked its host",
    auth: false,
    params: &[string("webUrl").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/checkReportUrl` (no login, as the original): a link without a
/// host (an app link) passes.
async fn check_report_url(state: web::Data<AppState>, p: Params) -> ShikuResult<HttpResponse> {
    let Some(address) = p.str("webUrl") else {
        return Err(codes::PARAMS_LACK.into());
    };
    let host = url::Url::parse(address)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    if let Some(host) = host {
        let blocked = state
            .store
            .blocked_pages(domain_of(&host), MAX_BLOCKED_PAGES)
            .await?;
        if blocked.iter().any(|page| blocks(page, &host)) {
            return Err(codes::PAGE_REPORTED.into());
        }
    }
    Ok(ok_data(json!(true)))
}

/// Most blocked pages of one domain compared.
const MAX_BLOCKED_PAGES: i64 = 1_000;

/// The last two labels of a host (`bad.example` of `m.bad.example`): every
/// page that can block the host names them, so only those are read.
fn domain_of(host: &str) -> &str {
    let mut dots = host.rmatch_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((i, _))) => &host[i + 1..],
        _ => host,
    }
}

/// Whether a blocked page (a stored `webUrl`, with or without a scheme)
/// blocks `host`: the same host or one of its subdomains, a `www.` page
/// blocking its bare domain too; never a host that merely contains it
/// (`example.com.evil.net`) or a link that names it in its query. A stored
/// address that is no URL blocks the hosts it contains, as the original's
/// match did.
fn blocks(page: &str, host: &str) -> bool {
    let page = page.trim().to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let parsed = url::Url::parse(&page)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| url::Url::parse(&format!("http://{page}")).ok());
    let Some(blocked) = parsed.as_ref().and_then(|u| u.host_str()) else {
        return !page.is_empty() && page.contains(host.as_str());
    };
    let blocked = blocked.strip_prefix("www.").unwrap_or(blocked);
    host == blocked
        || host
            .strip_suffix(blocked)
            .is_some_and(|rest| rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::blocks;

    #[test]
    fn a_blocked_page_blocks_its_host_and_subdomains_only() {
        assert!(blocks("http://bad.example/x?y=1", "bad.example"));
        assert!(blocks("https://BAD.example", "m.bad.example"));
        assert!(blocks("bad.example/path", "bad.example"));
        assert!(!blocks("http://bad.example", "notbad.example"));
        assert!(!blocks("http://bad.example", "bad.example.evil.net"));
        assert!(!blocks("http://good.example/?u=bad.example", "bad.example"));
        assert!(!blocks("http://a.bad.example", "bad.example"));
        assert!(!blocks("", "bad.example"));
        assert!(blocks("https://www.bad.example/a", "bad.example"));
        assert!(blocks("https://www.bad.example/a", "www.bad.example"));
        assert!(blocks("bad example page", "example"));
        assert_eq!(super::domain_of("m.bad.example"), "bad.example");
        assert_eq!(super::domain_of("bad.example"), "bad.example");
        assert_eq!(super::domain_of("localhost"), "localhost");
    }
}
