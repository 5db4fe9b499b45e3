//! `/user/<vendor>/set…`: the phone's push token, after the original's
//! `UserController`. Android uploads it at every start (and when the vendor
//! renews it): Xiaomi by default, Huawei, Meizu, vivo, OPPO by brand, FCM
//! when `/config` enables it; iOS uploads its APNs and VoIP tokens (or a
//! JPush regId, or a Baidu channelId, as `/config` says). The
//! original push service reads the registration from the sessions' store
//! (`impush:andoird:<userId>`), so the last upload decides where pushes go.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use crate::http::endpoint::{int, string, Endpoint, Routes};
use crate::http::params::Params;
use crate::shiku::{codes, ShikuError, ShikuResult};
use crate::store::sessions::PushDevice;
use crate::util::{ok, sorted_object};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&XIAOMI.endpoint, xiaomi)
        .add(&JPUSH.endpoint, jpush)
        .add(&HUAWEI.endpoint, huawei)
        .add(&FCM.endpoint, fcm)
        .add(&MEIZU.endpoint, meizu)
        .add(&VIVO.endpoint, vivo)
        .add(&OPPO.endpoint, oppo)
        .add(&USER_APNS_SET_TOKEN, apns)
        .add(&USER_JPUSH_SET_IOS_REG_ID, jpush_ios)
        .add(&USER_CHANNEL_ID_SET, baidu);
}

/// The push service the console chose for iPhones (`config.iosPushServer`,
/// `apns` unless set): APNs and Baidu tokens are kept only when it is theirs.
async fn ios_push_server(state: &AppState) -> ShikuResult<String> {
    let cfg = state.store.system_config().await?;
    Ok(cfg
        .get_str("iosPushServer")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or("apns")
        .to_string())
}

/// Longest token taken.
const MAX_TOKEN_CHARS: usize = 512;

/// One vendor's upload: its endpoint, `KConstants.PUSHSERVER` name and the
/// parameter holding the token.
struct Vendor {
    endpoint: Endpoint,
    server: &'static str,
    token: &'static str,
    /// The original answered an empty token with success (Xiaomi, JPush)
    /// rather than `0 "null Token"`.
    empty_ok: bool,
}

/// The parameters the app sends beside the token (ignored, as the original).
const fn vendor(
    path: &'static str,
    summary: &'static str,
    server: &'static str,
    token: &'static str,
    params: &'static [crate::http::endpoint::Param],
    empty_ok: bool,
) -> Vendor {
    Vendor {
        endpoint: Endpoint {
            path,
            summary,
            params,
            ..Endpoint::shiku("", "")
        },
        server,
        token,
        empty_ok,
    }
}

static XIAOMI: Vendor = vendor(
    "/user/xmpush/setRegId",
    "the Xiaomi push regId of the caller's Android phone",
    "xiaomi",
    "regId",
    &[string("regId"), string("deviceId"), string("packageName")],
    true,
);
static JPUSH: Vendor = vendor(
    "/user/jPush/setRegId",
    "the JPush regId of the caller's Android phone",
    "Jpush",
    "regId",
    &[string("regId"), string("deviceId"), string("packageName")],
    true,
);
static HUAWEI: Vendor = vendor(
    "/user/hwpush/setToken",
    "the Huawei push token of the caller's Android phone (`adress`: its area)",
    "huawei",
    "token",
    &[
        string("token"),
        string("adress"),
        string("deviceId"),
        string("packageName"),
    ],
    false,
);
static FCM: Vendor = vendor(
    "/user/fcmPush/setToken",
    "the Firebase push token of the caller's Android phone",
    "fcm",
    "token",
    &[string("token"), string("packageName")],
    false,
);
static MEIZU: Vendor = vendor(
    "/user/MZPush/setPushId",
    "the Meizu pushId of the caller's Android phone",
    "meizu",
    "pushId",
    &[string("pushId"), string("deviceId"), string("packageName")],
    false,
);
static VIVO: Vendor = vendor(
    "/user/VIVOPush/setPushId",
    "the vivo pushId of the caller's Android phone",
    "vivo",
    "pushId",
    &[string("pushId"), string("deviceId"), string("packageName")],
    false,
);
static OPPO: Vendor = vendor(
    "/user/OPPOPush/setPushId",
    "the OPPO pushId of the caller's Android phone",
    "oppo",
    "pushId",
    &[string("pushId"), string("deviceId"), string("packageName")],
    false,
);

/// The token of the request; `None` when an empty one is answered success.
fn token<'p>(p: &'p Params, name: &str, empty_ok: bool) -> ShikuResult<Option<&'p str>> {
    match p.str(name) {
        None if empty_ok => Ok(None),
        None if name == "pushId" => Err(ShikuError::coded(codes::FAILURE, "null pushId")),
        None => Err(ShikuError::coded(codes::FAILURE, "null Token")),
        Some(t) if t.chars().count() > MAX_TOKEN_CHARS => Err(ShikuError::invalid(name)),
        Some(t) => Ok(Some(t)),
    }
}

/// The registration as the original's `DeviceInfo` (fastjson: sorted, the
/// primitives always written).
fn device_info(device: PushDevice, server: &str, token: &str, extra: &[(&str, &str)]) -> String {
    let mut m = Map::new();
    m.insert("deviceKey".into(), json!(device.name()));
    m.insert("loginTime".into(), json!(0));
    m.insert("offlineTime".into(), json!(0));
    m.insert("online".into(), json!(0));
    m.insert("pushServer".into(), json!(server));
    m.insert("pushToken".into(), json!(token));
    for (k, v) in extra {
        m.insert((*k).into(), json!(v));
    }
    sorted_object(m).to_string()
}

/// Records the token in `pushInfo` and `deviceMap`, takes it from whoever
/// held it, and makes it the registration the push service reads.
async fn register(
    state: &AppState,
    me: i64,
    device: PushDevice,
    server: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> ShikuResult<()> {
    let app_id = extra.iter().find(|(k, _)| *k == "appId").map(|(_, v)| *v);
    let previous = state
        .store
        .save_push_token(me, device, server, token, app_id)
        .await?;
    if let Some(old) = previous {
        state
            .sessions
            .drop_push_device(device, old, Some(token))
            .await?;
    }
    let info = device_info(device, server, token, extra);
    state.sessions.save_push_device(device, me, &info).await?;
    Ok(())
}

async fn android(
    state: &AppState,
    req: &HttpRequest,
    p: &Params,
    v: &Vendor,
) -> ShikuResult<HttpResponse> {
    let me = state.user(req, p).await?;
    // Sent and ignored, as by the original.
    for param in v.endpoint.params.iter().filter(|d| d.name != v.token) {
        p.str(param.name);
    }
    let Some(token) = token(p, v.token, v.empty_ok)? else {
        return Ok(ok());
    };
    let area = if v.server == "huawei" {
        p.str("adress")
    } else {
        None
    };
    let extra: Vec<(&str, &str)> = area.map(|a| ("adress", a)).into_iter().collect();
    register(state, me, PushDevice::Android, v.server, token, &extra).await?;
    Ok(ok())
}

macro_rules! vendor_handler {
    ($name:ident, $vendor:ident) => {
        async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            p: Params,
        ) -> ShikuResult<HttpResponse> {
            android(&state, &req, &p, &$vendor).await
        }
    };
}
vendor_handler!(xiaomi, XIAOMI);
vendor_handler!(jpush, JPUSH);
vendor_handler!(huawei, HUAWEI);
vendor_handler!(fcm, FCM);
vendor_handler!(meizu, MEIZU);
vendor_handler!(vivo, VIVO);
vendor_handler!(oppo, OPPO);

pub const USER_APNS_SET_TOKEN: Endpoint = Endpoint {
    path: "/user/apns/setToken",
    summary: "the caller's iPhone push token (`isVoip` 0: kept when the console's `iosPushServer` is `apns`, the default), or its VoIP token (`isVoip` 1, the default: kept beside a registered push token)",
    params: &[
        string("token"),
        int("isVoip").default(1),
        string("appId"),
        string("deviceId"),
    ],
    ..Endpoint::shiku("", "")
};

async fn apns(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.str("deviceId");
    let Some(token) = token(&p, "token", false)? else {
        return Ok(ok());
    };
    let ios = PushDevice::Ios;
    let current: Option<Map<String, Value>> = state
        .sessions
        .push_device(ios, me)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok());
    let voip_upload = p.i32_or("isVoip", 1)? != 0;
    if !voip_upload && ios_push_server(&state).await? != "apns" {
        // The console pushes to iPhones through another service: the APNs
        // token is answered and not kept, as by the original.
        return Ok(ok());
    }
    if voip_upload {
        // The VoIP token rides on the registered push token, if any.
        if let Some(mut info) = current {
            info.insert("voipToken".into(), json!(token));
            let text = sorted_object(info).to_string();
            state.sessions.save_push_device(ios, me, &text).await?;
        }
        return Ok(ok());
    }
    let voip = current
        .as_ref()
        .and_then(|m| m.get("voipToken"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if let Some(app) = p.str("appId") {
        extra.push(("appId", app));
    }
    if let Some(v) = voip.as_deref() {
        extra.push(("voipToken", v));
    }
    register(&state, me, ios, "apns", token, &extra).await?;
    Ok(ok())
}

pub const USER_JPUSH_SET_IOS_REG_ID: Endpoint = Endpoint {
    path: "/user/jPush/setJPushIOSRegId",
    summary: "the JPush regId of the caller's iPhone (iOS uploads it instead of the APNs token when `/config` `isOpenAPNSorJPUSH` is 1)",
    params: &[string("regId"), string("deviceId"), string("appId")],
    ..Endpoint::shiku("", "")
};

async fn jpush_ios(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    p.str("deviceId");
    let Some(token) = token(&p, "regId", true)? else {
        return Ok(ok());
    };
    register(&state, me, PushDevice::Ios, JPUSH.server, token, &[]).await?;
    Ok(ok())
}

pub const USER_CHANNEL_ID_SET: Endpoint = Endpoint {
    path: "/user/channelId/set",
    summary: "the Baidu push channelId of the caller's phone (`deviceId` 2: an iPhone, else Android); kept only when the console's `iosPushServer` is `baidu`",
    params: &[
        string("deviceId").required(),
        string("channelId"),
        string("appId"),
    ],
    ..Endpoint::shiku("", "")
};

async fn baidu(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let device = match p.required("deviceId")? {
        "2" => PushDevice::Ios,
        _ => PushDevice::Android,
    };
    let Some(token) = token(&p, "channelId", true)? else {
        return Ok(ok());
    };
    if ios_push_server(&state).await? != "baidu" {
        return Ok(ok());
    }
    register(&state, me, device, "baidu", token, &[]).await?;
    Ok(ok())
}

/// Drops the user's push registration of `deviceKey` (at logout, so a
/// logged-out phone gets no pushes).
pub async fn forget_device(state: &AppState, me: i64, device_key: Option<&str>) -> ShikuResult<()> {
    let Some(device) = device_key.and_then(PushDevice::from_name) else {
        return Ok(());
    };
    state.store.clear_push_token(me, device, None).await?;
    state.sessions.drop_push_device(device, me, None).await?;
    Ok(())
}
