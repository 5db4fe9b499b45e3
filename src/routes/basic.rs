//! `/config`, `/getCurrentTime` (open, like the original's `BasicController`) and `/health`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::get_post;
use crate::util::{now_ms, ok_data};
use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_post("/config", config))
        .service(get_post("/getCurrentTime", current_time))
        .service(web::resource("/health").route(web::get().to(health)));
}

/// The client configuration (`ConfigVO`): keys sorted as fastjson writes them,
/// the XMPP ones twice (`XMPPHost` and `xMPPHost`) as the original does.
pub fn config_json(state: &AppState, client_ip: &str) -> Value {
    let c = &state.cfg;
    let base = c.api_url.clone();
    let upload = format!("{}/", c.upload_base_url);
    let xmpp_timeout = 180;
    json!({
        "XMPPDomain": c.xmpp_domain,
        "XMPPHost": c.xmpp_host,
        "XMPPTimeout": xmpp_timeout,
        "address": "CN",
        "androidVersion": 0,
        "apiUrl": base,
        "audioLen": "",
        "chatRecordTimeOut": -1,
        "displayRedPacket": 1,
        "distance": 20,
        "downloadAvatarUrl": upload,
        "downloadUrl": upload,
        "fileValidTime": -1,
        "helpUrl": "",
        "hideSearchByFriends": 1,
        "iosVersion": 0,
        "ipAddress": client_ip,
        "isCommonCreateGroup": 0,
        "isCommonFindFriends": 0,
        "isOpenAPNSorJPUSH": 0,
        "isOpenCluster": 0,
        "isOpenGoogleFCM": 0,
        "isOpenOnlineStatus": 0,
        "isOpenPositionService": 0,
        "isOpenReadReceipt": 1,
        "isOpenReceipt": 1,
        "isOpenRegister": 1,
        "isOpenRoomSearch": 0,
        "isOpenSMSCode": 0,
        "jitsiServer": "",
        "liveUrl": "",
        "macVersion": 0,
        "nicknameSearchUser": 0,
        "pcVersion": 0,
        "privacyPolicyPrefix": "",
        "regeditPhoneOrName": 0,
        "registerInviteCode": 0,
        "showContactsUser": 1,
        "uploadUrl": upload,
        "videoLen": "",
        "xMPPDomain": c.xmpp_domain,
        "xMPPHost": c.xmpp_host,
        "xMPPTimeout": xmpp_timeout,
        "xmppPingTime": (xmpp_timeout as f64 / 2.5) as i64,
    })
}

async fn config(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let ip = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or("")
        .to_string();
    let ip = ip
        .rsplit_once(':')
        .filter(|(h, _)| !h.contains(':') || h.starts_with('['))
        .map(|(h, _)| h.to_string())
        .unwrap_or(ip);
    ok_data(config_json(&state, &ip))
}

async fn current_time() -> HttpResponse {
    let now = now_ms();
    HttpResponse::Ok().json(json!({"currentTime": now, "data": now, "resultCode": 1}))
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.store.ping().await {
        HttpResponse::Ok().json(json!({"status": "ok", "mongodb": "up"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "mongodb": "down"}))
    }
}
