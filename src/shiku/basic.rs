//! `/config`, `/getCurrentTime` (open, like the original's `BasicController`) and `/health`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use crate::http::endpoint::{Dialect, Endpoint, Routes};
use crate::shiku::ShikuResult;
use crate::util::{bson_to_json, now_ms, ok_data};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&CONFIG, config)
        .add(&GET_CURRENT_TIME, current_time)
        .add(&HEALTH, health)
        .add(&PING, ping);
}

pub const PING: Endpoint = Endpoint {
    path: "/_ping",
    summary: "liveness for the web client's latency meter (no token needed)",
    auth: false,
    ..Endpoint::shiku("", "")
};

/// `/_ping`: WX polls it every 2 s to show the latency; it re-logs in on a
/// token code, so it answers a plain success whatever the token.
async fn ping() -> HttpResponse {
    crate::util::ok()
}

/// `ConfigVO`'s fields and where the original copies each from: the stored
/// `clientConfig`, `config` (answer name, stored name) and `payConfig`.
const FROM_CLIENT_CONFIG: &[&str] = &[
    "XMPPDomain",
    "XMPPHost",
    "apiUrl",
    "downloadAvatarUrl",
    "downloadUrl",
    "uploadUrl",
    "liveUrl",
    "mallServerUrl",
    "jitsiServer",
    "androidVersion",
    "iosVersion",
    "androidAppUrl",
    "iosAppUrl",
    "androidExplain",
    "iosExplain",
    "pcAppUrl",
    "pcVersion",
    "pcExplain",
    "macAppUrl",
    "macVersion",
    "macExplain",
    "androidDisable",
    "iosDisable",
    "pcDisable",
    "macDisable",
    "displayRedPacket",
    "enablePayModule",
    "enableMpModule",
    "enableOpenModule",
    "enableOpenSquare",
    "enableAliPay",
    "enableWxPay",
    "showContactsUser",
    "isOpenRegister",
    "isOpenUI",
    "lableListStr",
    "companyName",
    "copyright",
    "hideSearchByFriends",
    "appleId",
    "website",
    "isCommonFindFriends",
    "isCommonCreateGroup",
    "allowAddFriend",
    "isOpenPositionService",
    "address",
    "headBackgroundImg",
    "popularAPP",
    "isOpenAPNSorJPUSH",
    "interfaceOrder",
    "isOpenRoomSearch",
    "videoLength",
    "isOpenSecureChat",
    "isOpenAuthSwitch",
    "homeName",
    "homeAddress",
    "isNoRegisterThirdLogin",
    "upperShelf",
];
const FROM_CONFIG: &[(&str, &str)] = &[
    ("XMPPTimeout", "XMPPTimeout"),
    ("fileValidTime", "fileValidTime"),
    ("chatRecordTimeOut", "chatRecordTimeOut"),
    ("isOpenReceipt", "isOpenReceipt"),
    ("helpUrl", "helpUrl"),
    ("videoLen", "videoLen"),
    ("audioLen", "audioLen"),
    ("shareUrl", "shareUrl"),
    ("softUrl", "softUrl"),
    ("distance", "distance"),
    ("isOpenSMSCode", "isOpenSMSCode"),
    ("isOpenCluster", "isOpenCluster"),
    ("regeditPhoneOrName", "regeditPhoneOrName"),
    ("registerInviteCode", "registerInviteCode"),
    ("nicknameSearchUser", "nicknameSearchUser"),
    ("isOpenGoogleFCM", "isOpenGoogleFCM"),
    ("isOpenOnlineStatus", "isOpenOnlineStatus"),
    ("privacyPolicyPrefix", "privacyPolicyPrefix"),
    ("banComment", "banComment"),
    ("defaultTelephones", "defaultTelephones"),
    ("locateInterval", "locationModiyTime"),
    ("videoVoice", "videoVoice"),
];
const FROM_PAY_CONFIG: &[&str] = &[
    "isOpenManualPay",
    "isOpenCloudWallet",
    "upayWithdrawServiceCharge",
    "manualPaywithdrawFee",
    "maxRedpacktAmount",
    "maxRedpacktNumber",
    "maxTransferAmount",
    "myChangeWithdrawRate",
    "myChangeWithdrawBase",
    "isOpenAuditPay",
    "isOpenAutoPay",
    "isOpenWXPay",
    "minRechargeAmount",
    "minWithdrawAmount",
    "isOpenCZ",
    "isOpenDepositWithdrawal",
];

/// What an empty database answers: `apiUrl` and `uploadUrl` are this service
/// as the client reached it (`base`), downloads the file server.
fn defaults(state: &AppState, base: &str) -> Map<String, Value> {
    let download = format!("{}/", state.cfg.upload_base_url);
    let v = json!({
        "XMPPDomain": "im.shiku.co",
        "XMPPHost": "127.0.0.1",
        "XMPPTimeout": 180,
        "address": "CN",
        "androidVersion": 0,
        "apiUrl": base,
        "audioLen": "",
        "chatRecordTimeOut": -1,
        "displayRedPacket": 1,
        "distance": 20,
        "downloadAvatarUrl": download,
        "downloadUrl": download,
        "fileValidTime": -1,
        "helpUrl": "",
        "hideSearchByFriends": 1,
        "iosVersion": 0,
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
        // The original's default; 1 (from the stored config) has Android
        // download /addressBook/getAll after login.
        "showContactsUser": 0,
        "uploadUrl": base,
        "videoLen": "",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// The client configuration (`ConfigVO`): the stored documents over the
/// defaults, the operator's settings over both; keys in fastjson's order,
/// the XMPP ones also as `xMPP*` as the original writes them.
pub async fn config_json(state: &AppState, base: &str, client_ip: &str) -> ShikuResult<Value> {
    let [config, client, pay] = state.store.client_config().await?;
    let mut m = defaults(state, base);
    // A field stored as null keeps the default (Morphia leaves the bean's
    // initial value when it loads a null).
    let stored = |d: &'_ bson::Document, k: &str| {
        d.get(k)
            .filter(|v| !crate::util::is_unset(v))
            .map(bson_to_json)
    };
    for k in FROM_CLIENT_CONFIG {
        if let Some(v) = stored(&client, k) {
            m.insert(k.to_string(), v);
        }
    }
    for (k, key) in FROM_CONFIG {
        if let Some(v) = stored(&config, key) {
            m.insert(k.to_string(), v);
        }
    }
    for k in FROM_PAY_CONFIG {
        if let Some(v) = stored(&pay, k) {
            m.insert(k.to_string(), v);
        }
    }
    for (k, v) in &state.cfg.client_overrides {
        m.insert(k.to_string(), json!(v));
    }
    let timeout = m
        .get("XMPPTimeout")
        .and_then(Value::as_f64)
        .unwrap_or(180.0);
    m.insert("xmppPingTime".into(), json!((timeout / 2.5) as i64));
    for k in ["XMPPDomain", "XMPPHost", "XMPPTimeout"] {
        let v = m[k].clone();
        m.insert(format!("xMPP{}", &k[4..]), v);
    }
    m.insert("ipAddress".into(), json!(client_ip));
    Ok(crate::util::sorted_object(m))
}

pub const CONFIG: Endpoint = Endpoint {
    path: "/config",
    summary: "client configuration",
    auth: false,
    ..Endpoint::shiku("", "")
};

async fn config(state: web::Data<AppState>, req: HttpRequest) -> ShikuResult<HttpResponse> {
    let info = req.connection_info();
    let ip = info.realip_remote_addr().unwrap_or("").to_string();
    let ip = ip
        .rsplit_once(':')
        .filter(|(h, _)| !h.contains(':') || h.starts_with('['))
        .map(|(h, _)| h.to_string())
        .unwrap_or(ip);
    let base = format!("{}://{}/", info.scheme(), info.host());
    Ok(ok_data(config_json(&state, &base, &ip).await?))
}

pub const GET_CURRENT_TIME: Endpoint = Endpoint {
    path: "/getCurrentTime",
    summary: "server time (ms)",
    auth: false,
    ..Endpoint::shiku("", "")
};

async fn current_time() -> HttpResponse {
    let now = now_ms();
    HttpResponse::Ok().json(json!({"currentTime": now, "data": now, "resultCode": 1}))
}

pub const HEALTH: Endpoint = Endpoint {
    path: "/health",
    summary: "200 when MongoDB (and Redis, when used) answer, 503 otherwise",
    dialect: Dialect::Plain,
    auth: false,
    ..Endpoint::shiku("", "")
};

async fn health(state: web::Data<AppState>) -> HttpResponse {
    let (mongo, redis) = futures::join!(state.store.ping(), state.sessions.redis_up());
    let word = |up: bool| if up { "up" } else { "down" };
    let mut body = json!({"mongodb": word(mongo)});
    if let Some(r) = redis {
        body["redis"] = json!(word(r));
    }
    // Push mode: the message queue is reported, not required (a failed
    // publish does not fail its request, as in the original).
    body["delivery"] = json!(state.delivery.mode());
    if let Some(p) = state.delivery.publisher() {
        let (published, failed) = p.counts();
        body["rocketmq"] = json!({
            "nameServer": word(p.reachable().await),
            "published": published,
            "failedPublishes": failed,
        });
    }
    if let Some(c) = state.status_consumer.get() {
        body["statusReports"] = c.health();
    }
    if mongo && redis != Some(false) {
        body["status"] = json!("ok");
        HttpResponse::Ok().json(body)
    } else {
        body["status"] = json!("unavailable");
        HttpResponse::ServiceUnavailable().json(body)
    }
}
