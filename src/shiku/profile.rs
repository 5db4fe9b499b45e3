//! The caller's own profile, settings and password, and finding people
//! (after the original's `UserController` and `NearbyController`).

use actix_web::{web, HttpRequest, HttpResponse};
use bson::{doc, Bson, Document};
use serde_json::{json, Value};

use super::user::profile_json;
use crate::http::endpoint::{int, string, Endpoint, Param, Routes, PAGE};
use crate::http::params::Params;
use crate::shiku::codes;
use crate::shiku::{note_friend_change, user_or_unknown, ShikuError, ShikuResult};
use crate::util::{bson_to_json, now_s, num, ok, ok_data, page_of_itself};
use crate::AppState;

pub fn routes(r: &mut Routes) {
    r.add(&USER_UPDATE, update)
        .add(&USER_SETTINGS, settings)
        .add(&USER_SETTINGS_UPDATE, settings_update)
        .add(&USER_PASSWORD_UPDATE, password_update)
        .add(&USER_PASSWORD_RESET, password_reset)
        .add(&USER_OUTTIME, outtime)
        .add(&USER_GET_ON_LINE_DEVICE, online_device)
        .add(&USER_GET_BIND_INFO, bind_info)
        .add(&USER_UNBIND, unbind)
        .add(&USER_GET_BY_ACCOUNT, get_by_account)
        .add(&NEARBY_USER, nearby_user)
        .add(&NEARBY_USER_WEB, nearby_user_web);
}

/// Longest nickname (the registration's bound).
const MAX_NICKNAME: usize = 64;

/// The caller's other devices re-read the profile (`offlineOperation`
/// `friend` record of oneself, as `multipointLoginUpdateUserInfo`).
async fn note_profile_change(state: &AppState, me: i64) {
    note_friend_change(state, me, me).await;
}

pub const USER_UPDATE: Endpoint = Endpoint {
    path: "/user/update",
    summary: "change the caller's profile; answers it after the change",
    params: &[
        string("nickname"),
        string("description"),
        int("sex").one_of(&["0", "1"]),
        int("birthday"),
        int("countryId"),
        int("provinceId"),
        int("cityId"),
        int("areaId"),
        string("name"),
        string("idcard"),
        string("idcardUrl"),
        string("msgBackGroundUrl"),
        int("multipleDevices").one_of(&["0", "1"]),
        string("longitude"),
        string("latitude"),
        int("withdrawBurnReadTime"),
        string("account"),
    ],
    ..Endpoint::shiku("", "")
};

/// Profile text fields and their longest length.
const TEXT_FIELDS: [(&str, usize); 6] = [
    ("description", 500),
    ("name", 64),
    ("idcard", 64),
    ("idcardUrl", 1000),
    ("msgBackGroundUrl", 1000),
    ("nickname", MAX_NICKNAME),
];

/// `/user/update` (Android's profile editor: `nickname, sex, birthday,
/// countryId..areaId`; `description`; `account` once): the fields sent are
/// set, with `modifyTime`; the answer is the profile after the change. The
/// account number may be chosen once (`setAccountCount`), at most 18
/// characters, not taken (answered with the original's code 0 texts).
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let user = user_or_unknown(&state, me).await?;
    if let Some(account) = p.str("account") {
        set_account(&state, me, &user, account).await?;
        return profile_answer(&state, me).await;
    }
    let set = profile_changes(&p)?;
    state.store.set_user_fields(me, set).await?;
    note_profile_change(&state, me).await;
    profile_answer(&state, me).await
}

/// The answer to `/user/update`: the caller's profile as stored now.
async fn profile_answer(state: &AppState, me: i64) -> ShikuResult<HttpResponse> {
    let user = user_or_unknown(state, me).await?;
    Ok(ok_data(profile_json(state, me, &user, None).await?))
}

/// The fields `/user/update` sets (checked), with `modifyTime`.
fn profile_changes(p: &Params) -> ShikuResult<Document> {
    let mut set = Document::new();
    put_text_fields(p, &mut set)?;
    put_number_fields(p, &mut set)?;
    if let Some((lng, lat)) = p.point()? {
        if lng != 0.0 || lat != 0.0 {
            set.insert("loc", doc! {"lng": lng, "lat": lat});
        }
    }
    set.insert("modifyTime", now_s());
    Ok(set)
}

/// The [`TEXT_FIELDS`] sent, trimmed: too long or with control characters
/// refused (the nickname with its own codes, also when blank); the
/// signature (`description`, a multi-line field in the apps) may hold line
/// breaks.
fn put_text_fields(p: &Params, set: &mut Document) -> ShikuResult<()> {
    for (field, max) in TEXT_FIELDS {
        if let Some(v) = p.raw(field).map(str::trim) {
            let line_break = |c: char| field == "description" && (c == '\n' || c == '\r');
            if v.chars().count() > max || v.chars().any(|c| c.is_control() && !line_break(c)) {
                return Err(if field == "nickname" {
                    codes::NICKNAME_WRONGFUL.into()
                } else {
                    ShikuError::invalid(field)
                });
            }
            if field == "nickname" && v.is_empty() {
                return Err(codes::FILL_IN_NICKNAME.into());
            }
            set.insert(field, v);
        }
    }
    Ok(())
}

/// The numeric profile fields sent (Int32, `birthday` Int64;
/// `multipleDevices` into `settings`); `sex` and `multipleDevices` 0 or 1.
fn put_number_fields(p: &Params, set: &mut Document) -> ShikuResult<()> {
    for field in [
        "sex",
        "countryId",
        "provinceId",
        "cityId",
        "areaId",
        "withdrawBurnReadTime",
    ] {
        if let Some(v) = p.i32_opt(field)? {
            if field == "sex" && !(0..=1).contains(&v) {
                return Err(ShikuError::invalid(field));
            }
            set.insert(field, v);
        }
    }
    if let Some(b) = p.i64_opt("birthday")? {
        set.insert("birthday", b);
    }
    if let Some(m) = p.i32_opt("multipleDevices")? {
        if !(0..=1).contains(&m) {
            return Err(ShikuError::invalid("multipleDevices"));
        }
        set.insert("settings.multipleDevices", m);
    }
    Ok(())
}

async fn set_account(state: &AppState, me: i64, user: &Document, account: &str) -> ShikuResult<()> {
    if num(user, "setAccountCount").unwrap_or(0) >= 1 {
        return Err(ShikuError::Failure("通讯号只能修改一次 ".into()));
    }
    if account.chars().count() > 18 {
        return Err(ShikuError::Failure("通讯号最长十八位".into()));
    }
    if !account
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ShikuError::invalid("account"));
    }
    if state.store.user_by_account(account).await?.is_some() {
        return Err(ShikuError::Failure("通讯号已存在".into()));
    }
    let set = doc! {
        "account": account,
        "encryAccount": crate::secure::md5_hex(account.as_bytes()),
        "setAccountCount": 1,
        "modifyTime": now_s(),
    };
    state.store.set_user_fields(me, set).await?;
    note_profile_change(state, me).await;
    Ok(())
}

pub const USER_SETTINGS: Endpoint = Endpoint {
    path: "/user/settings",
    summary: "a user's privacy settings (userId required; 0 = the caller)",
    params: &[int("userId").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/settings` (Android calls `//user/settings`; the double slash is
/// merged): the `UserSettings` of `userId` (0 = the caller).
async fn settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let uid = match p.i32_required("userId")? as i64 {
        0 => me,
        u => u,
    };
    let user = user_or_unknown(&state, uid).await?;
    let mut settings = user
        .get("settings")
        .map(bson_to_json)
        .unwrap_or(Value::Object(Default::default()));
    with_setting_defaults(&mut settings);
    Ok(ok_data(settings))
}

/// Settings missing from a stored user, answered as the original's
/// `UserSettings` bean has them (both original servers agree on these; the
/// others differ between them and stay absent). The apps post back what they
/// were shown: iOS turns a missing `allowAtt` into 0, which refuses everyone.
pub(super) fn with_setting_defaults(settings: &mut Value) {
    let Value::Object(m) = settings else {
        return;
    };
    let defaults = [
        ("allowAtt", json!(1)),
        ("allowGreet", json!(1)),
        ("openService", json!(-1)),
        ("isUseGoogleMap", json!(1)),
        ("closeTelephoneFind", json!(0)),
        ("chatRecordTimeOut", json!("0")),
        ("chatSyncTimeLen", json!(-1.0)),
        ("isKeepalive", json!(1)),
        ("showLastLoginTime", json!(-1)),
        ("showTelephone", json!(-1)),
        ("phoneSearch", json!(1)),
        ("nameSearch", json!(1)),
        ("friendFromList", json!("1,2,3,4,5")),
    ];
    for (k, v) in defaults {
        m.entry(k).or_insert(v);
    }
}

/// The integer settings and their allowed range.
const INT_SETTINGS: [&str; 26] = [
    "allowAtt",
    "allowGreet",
    "friendsVerify",
    "openService",
    "isVibration",
    "isTyping",
    "isUseGoogleMap",
    "isEncrypt",
    "multipleDevices",
    "closeTelephoneFind",
    "isKeepalive",
    "showLastLoginTime",
    "showTelephone",
    "phoneSearch",
    "nameSearch",
    "authSwitch",
    "isOpenPrivacyPosition",
    "isShowMsgState",
    "showMarker",
    "allowLocation",
    "hiding",
    "isSkidRemoveHistoryMsg",
    "beInvitedJoinRoom",
    "allowMsg",
    "allowCall",
    "allowJoinRoom",
];

/// The always-allow / never-allow lists of the privacy screen (Android's
/// `PrivacyWhitelistActivity`): user ids as a comma list, stored as an array
/// of strings (the `List<String>` of `UserSettings`); blank empties the list.
const LIST_SETTINGS: [&str; 10] = [
    "throughoutShowLastLoginTimeList",
    "noShowLastLoginTimeList",
    "throughoutShowTelephoneList",
    "noShowTelephoneList",
    "throughoutAllowMsgList",
    "noAllowMsgList",
    "throughoutAllowCallList",
    "noAllowCallList",
    "throughoutAllowJoinRoomList",
    "noAllowJoinRoomList",
];

const fn int_setting(name: &'static str) -> Param {
    int(name).min(-1).max(100)
}

pub const USER_SETTINGS_UPDATE: Endpoint = Endpoint {
    path: "/user/settings/update",
    summary: "change the caller's privacy settings; answers the profile after the change",
    params: &[
        int_setting("allowAtt"),
        int_setting("allowGreet"),
        int_setting("friendsVerify"),
        int_setting("openService"),
        int_setting("isVibration"),
        int_setting("isTyping"),
        int_setting("isUseGoogleMap"),
        int_setting("isEncrypt"),
        int_setting("multipleDevices"),
        int_setting("closeTelephoneFind"),
        int_setting("isKeepalive"),
        int_setting("showLastLoginTime"),
        int_setting("showTelephone"),
        int_setting("phoneSearch"),
        int_setting("nameSearch"),
        int_setting("authSwitch"),
        int_setting("isOpenPrivacyPosition"),
        int_setting("isShowMsgState"),
        int_setting("showMarker"),
        int_setting("allowLocation"),
        int_setting("hiding"),
        int_setting("isSkidRemoveHistoryMsg"),
        int_setting("beInvitedJoinRoom"),
        int_setting("allowMsg"),
        int_setting("allowCall"),
        int_setting("allowJoinRoom"),
        string("throughoutShowLastLoginTimeList"),
        string("noShowLastLoginTimeList"),
        string("throughoutShowTelephoneList"),
        string("noShowTelephoneList"),
        string("throughoutAllowMsgList"),
        string("noAllowMsgList"),
        string("throughoutAllowCallList"),
        string("noAllowCallList"),
        string("throughoutAllowJoinRoomList"),
        string("noAllowJoinRoomList"),
        string("chatRecordTimeOut"),
        string("chatSyncTimeLen"),
        string("friendFromList"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/settings/update`: the settings sent are set (`settings.<name>`;
/// integers from -1 to 100, `chatRecordTimeOut` a number of days kept as
/// the string the original stores, `chatSyncTimeLen` a Double,
/// `friendFromList` a comma list of digits, the allow/deny lists arrays of
/// id strings); unlike the newer original,
/// settings not sent are left as they are. A changed `hiding` is copied onto
/// the relations pointing at the caller. Answers the profile after the
/// change, as the original (iOS redraws its switches from it).
async fn settings_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let set = settings_changes(&p)?;
    if set.is_empty() {
        return Err(ShikuError::missing("allowAtt"));
    }
    let hiding = set.get("settings.hiding").and_then(crate::util::bson_i64);
    let after = state
        .store
        .set_user_fields(me, set)
        .await?
        .ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    if let Some(h) = hiding {
        state.store.set_hiding_on_relations(me, h as i32).await?;
    }
    note_profile_change(&state, me).await;
    Ok(ok_data(profile_json(&state, me, &after, None).await?))
}

/// The `settings.<name>` fields `/user/settings/update` sets, checked
/// (empty when none was sent).
fn settings_changes(p: &Params) -> ShikuResult<Document> {
    let mut set = Document::new();
    for name in INT_SETTINGS {
        if let Some(v) = p.i32_opt(name)? {
            if !(-1..=100).contains(&v) {
                return Err(ShikuError::invalid(name));
            }
            set.insert(format!("settings.{name}"), v);
        }
    }
    if let Some(v) = p.str("chatRecordTimeOut") {
        let days = v.trim_end_matches('天').trim();
        days.parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= -1.0)
            .ok_or_else(|| ShikuError::invalid("chatRecordTimeOut"))?;
        set.insert("settings.chatRecordTimeOut", days);
    }
    // -1 all, -2 none (the apps' "do not sync"), else days.
    if let Some(v) = p.str("chatSyncTimeLen") {
        let len = v
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= -2.0)
            .ok_or_else(|| ShikuError::invalid("chatSyncTimeLen"))?;
        set.insert("settings.chatSyncTimeLen", len);
    }
    for name in LIST_SETTINGS {
        if let Some(raw) = p.raw(name) {
            let ids: Vec<&str> = raw
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect();
            let valid = |x: &&str| x.len() <= 10 && x.chars().all(|c| c.is_ascii_digit());
            if ids.len() > 5000 || !ids.iter().all(valid) {
                return Err(ShikuError::invalid(name));
            }
            set.insert(format!("settings.{name}"), ids);
        }
    }
    // Sent empty when every way is unticked: nobody may add the user.
    if let Some(v) = p.raw("friendFromList").map(str::trim) {
        if !v.is_empty() && !is_friend_from_list(v) {
            return Err(ShikuError::invalid("friendFromList"));
        }
        set.insert("settings.friendFromList", v);
    }
    Ok(set)
}

/// A `friendFromList`: at most 64 bytes, a comma list of digit runs.
fn is_friend_from_list(v: &str) -> bool {
    v.len() <= 64
        && v.split(',')
            .all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()))
}

pub const USER_PASSWORD_UPDATE: Endpoint = Endpoint {
    path: "/user/password/update",
    summary: "change the caller's password (the stored form); every session ends",
    params: &[
        string("oldPassword").required(),
        string("newPassword").required(),
        string("telephone"),
        string("areaCode"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/password/update` (Android's change-password screen: both in the
/// login-password form the client logs in with; `telephone`/`areaCode` are
/// sent too and not needed): 100209 when unchanged, 1040103 for a wrong old
/// one. The new one is stored where the login reads it; every session of
/// the user ends, the caller's too, as the original does.
async fn password_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let old = p.required("oldPassword")?.to_ascii_lowercase();
    let new = p.required("newPassword")?.to_ascii_lowercase();
    p.str("telephone");
    p.str("areaCode");
    if new.len() != 32 || !new.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ShikuError::invalid("newPassword"));
    }
    change_password(&state, me, &old, &new).await?;
    Ok(ok())
}

/// Changes the login password (both hex, the stored form): 100209 when
/// unchanged, 1040103 when `old` is not the user's; every session ends.
pub(super) async fn change_password(
    state: &AppState,
    me: i64,
    old: &str,
    new: &str,
) -> ShikuResult<()> {
    if old == new {
        return Err(codes::SAME_PASSWORD.into());
    }
    let user = user_or_unknown(state, me).await?;
    let keys = state.store.auth_keys_of(me).await?;
    let stored = crate::store::Store::login_password_of(keys.as_ref(), &user);
    // The client sends the old password in the stored form: equal is right.
    if !crate::store::users::password_matches(old, &stored, true) {
        return Err(codes::OLD_PASSWORD_WRONG.into());
    }
    state.store.set_login_password(me, new).await?;
    state.sessions.close_all(me).await?;
    Ok(())
}

pub const USER_PASSWORD_RESET: Endpoint = Endpoint {
    path: "/user/password/reset",
    summary: "reset a password with an SMS code (this service sends none: 1040104)",
    auth: false,
    params: &[
        string("telephone"),
        string("randcode"),
        string("newPassword"),
        string("areaCode"),
        string("serial"),
    ],
    ..Endpoint::shiku("", "")
};

/// `/user/password/reset`: only an SMS code authorises a reset, and this
/// service sends none, so every complete request answers 1040104 (the
/// original's code for a wrong or expired code) and nothing changes;
/// 1010102 when a parameter is missing.
async fn password_reset(p: Params) -> ShikuResult<HttpResponse> {
    p.str("serial");
    Err(sms_reset_refused(&p))
}

/// The answer to a password reset (both forms): 1010102 when a parameter is
/// missing, else 1040104, as for a wrong SMS code (none is ever sent here).
pub(super) fn sms_reset_refused(p: &Params) -> ShikuError {
    p.str("areaCode");
    for name in ["telephone", "randcode", "newPassword"] {
        if p.str(name).is_none() {
            return codes::PARAMS_LACK.into();
        }
    }
    codes::SMS_CODE_WRONG.into()
}

// --- finding people ---------------------------------------------------------------

/// Ids below this are system accounts, never found (`_id > 10500`).
const FIRST_FINDABLE_ID: i64 = 10500;

const NEARBY_PARAMS: [Param; 8] = [
    PAGE[0],
    PAGE[1],
    string("nickname"),
    int("sex").one_of(&["0", "1"]),
    string("latitude"),
    string("longitude"),
    int("distance").min(1).max(20000),
    int("active"),
];

pub const NEARBY_USER: Endpoint = Endpoint {
    path: "/nearby/user",
    summary: "find users by account, phone or nickname, or near a point",
    params: &NEARBY_PARAMS,
    ..Endpoint::shiku("", "")
};

pub const NEARBY_USER_WEB: Endpoint = Endpoint {
    path: "/nearby/nearbyUserWeb",
    summary: "find users (web): a page, each with the caller's relation",
    params: &NEARBY_PARAMS,
    ..Endpoint::shiku("", "")
};

/// The users `/nearby/user` finds for the caller, and the page asked for.
async fn find_people(
    state: &AppState,
    me: i64,
    p: &Params,
) -> ShikuResult<(Vec<Document>, i64, i64)> {
    let (index, size, skip) = p.page_skip(10, state.cfg.max_page_size)?;
    let keyword = p.search_text("nickname", crate::http::params::MAX_SEARCH_CHARS);
    let point = p.point()?.filter(|(lng, lat)| *lng != 0.0 || *lat != 0.0);
    let mut and = vec![doc! {"_id": {"$gt": FIRST_FINDABLE_ID}}];
    match (keyword, point) {
        (None, None) => return Ok((Vec::new(), index, size)),
        (Some(k), _) => and.push(keyword_filter(state, k).await?),
        (None, Some(at)) => and.extend(near_filters(p, me, at)?),
    }
    if let Some(sex) = p.i32_opt("sex")? {
        and.push(doc! {"sex": sex});
    }
    if let Some(days) = p.i32_opt("active")?.filter(|d| *d > 0) {
        and.push(doc! {"active": {"$gte": now_s() - days as i64 * 86400}});
    }
    let blockers: Vec<Bson> = state
        .store
        .blacklisted_by(me)
        .await?
        .into_iter()
        .map(crate::util::int32_id)
        .collect();
    if !blockers.is_empty() {
        and.push(doc! {"_id": {"$nin": blockers}});
    }
    let projection = doc! {"_id": 1, "sex": 1, "account": 1, "nickname": 1, "loc": 1, "createTime": 1, "settings.hiding": 1};
    let users = state
        .store
        .find_users(doc! {"$and": and}, projection, skip, size)
        .await?;
    Ok((users, index, size))
}

/// The `$or` a keyword finds users by: the account exactly, the phone as
/// `telephoneSearchUser` says, the nickname as `nicknameSearchUser` says.
async fn keyword_filter(state: &AppState, k: &str) -> ShikuResult<Document> {
    let [config, ..] = state.store.client_config().await?;
    let mut or = vec![doc! {"account": k}];
    let phone = if num(&config, "telephoneSearchUser") == Some(2) {
        doc! {"$regex": crate::util::literal_regex(k)}
    } else {
        doc! {"$eq": k}
    };
    or.push(doc! {"phone": phone, "settings.phoneSearch": {"$ne": 0}});
    match num(&config, "nicknameSearchUser") {
        Some(1) => or.push(doc! {"nickname": k, "settings.nameSearch": {"$ne": 0}}),
        Some(2) => or.push(doc! {
            "nickname": {"$regex": crate::util::literal_regex(k), "$options": "i"},
            "settings.nameSearch": {"$ne": 0},
        }),
        _ => {}
    }
    Ok(doc! {"$or": or})
}

/// The conditions of a search near `(lng, lat)`: within `distance` km,
/// sharing their position, and not the caller.
fn near_filters(p: &Params, me: i64, (lng, lat): (f64, f64)) -> ShikuResult<[Document; 2]> {
    let km = p.i32_or("distance", 20)?.clamp(1, 20000) as f64;
    Ok([
        doc! {
            "loc": {"$geoWithin": {"$centerSphere": [[lng, lat], km / 6378.1]}},
            "settings.isOpenPrivacyPosition": 1,
        },
        doc! {"_id": {"$ne": crate::util::int32_id(me)}},
    ])
}

fn found_json(u: &Document) -> Value {
    Value::Object(crate::util::fields_json(u, Some("userId")))
}

/// `/nearby/user` (Android's search and nearby screens; QZ's search): by
/// `nickname` as a keyword (the account exactly, the phone as
/// `telephoneSearchUser` says, the nickname as `nicknameSearchUser` says:
/// off by default), or near `latitude`/`longitude` within `distance` km
/// (users who share their position). Never the system accounts, nor users
/// who blacklisted the caller; `[]` with neither keyword nor point.
async fn nearby_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let (users, _, _) = find_people(&state, me, &p).await?;
    Ok(ok_data(Value::Array(
        users.iter().map(found_json).collect(),
    )))
}

/// `/nearby/nearbyUserWeb` (WX's search box, which reads
/// `data.pageData[0].userId`): the same, as a page, each with `friends`.
async fn nearby_user_web(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let (users, index, size) = find_people(&state, me, &p).await?;
    let mut items = Vec::with_capacity(users.len());
    for u in &users {
        let mut v = found_json(u);
        if let Some(id) = num(u, "_id") {
            if let Some(f) = state.store.friend(me, id).await? {
                v["friends"] = super::friends::friend_json(&f);
            }
        }
        items.push(v);
    }
    Ok(ok_data(page_of_itself(items, index, size)))
}

pub const USER_OUTTIME: Endpoint = Endpoint {
    path: "/user/outtime",
    summary: "the caller went offline now (the next login reports it as login.offlineTime)",
    params: &[int("userId").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/outtime` (Android, when it goes to the background; `userId` is the
/// caller's): `userLoginLog.loginLog.offlineTime` = now (seconds), which
/// the next login answers and `/user/offlineOperation` is asked from.
async fn outtime(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    super::require_self(&p, "userId", me)?;
    state.store.record_offline(me).await?;
    Ok(ok())
}

pub const USER_GET_BY_ACCOUNT: Endpoint = Endpoint {
    path: "/user/getByAccount",
    summary: "a user's profile by account number (Android's QR scan)",
    params: &[string("account").required()],
    ..Endpoint::shiku("", "")
};

/// `/user/getByAccount`: the profile `/user/get` answers, found by
/// `account` (or, failing that, by a numeric userId); another user's
/// telephone fields are left out, as the original does.
async fn get_by_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let account = p.required("account")?;
    let user = match state.store.user_by_account(account).await? {
        Some(u) => Some(u),
        None => match account.parse::<i32>() {
            Ok(id) => state.store.user_by_id(id as i64).await?,
            Err(_) => None,
        },
    };
    let user = user.ok_or_else(|| ShikuError::from(codes::NO_USER))?;
    let mut v = profile_json(&state, me, &user, None).await?;
    if user.id()?.0 != me {
        if let Value::Object(m) = &mut v {
            for k in ["phone", "telephone"] {
                m.remove(k);
            }
        }
    }
    Ok(ok_data(v))
}

pub const USER_GET_ON_LINE_DEVICE: Endpoint = Endpoint {
    path: "/user/getOnLineDevice",
    summary: "whether a user is online (WX's chat header): data names it, absent when offline",
    params: &[int("userId")],
    ..Endpoint::shiku("", "")
};

/// `/user/getOnLineDevice` (the deployment's own, for WX's chat header,
/// which shows `(<data>)在线` or 离线): the chat server keeps the devices; this
/// service knows only the user's `onlinestate`, so `data` is `"online"` for
/// 1 and absent otherwise.
async fn online_device(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let uid = p
        .i32_opt("userId")?
        .map(i64::from)
        .filter(|u| *u != 0)
        .unwrap_or(me);
    let online = state
        .store
        .user_by_id(uid)
        .await?
        .is_some_and(|u| num(&u, "onlinestate") == Some(1));
    Ok(if online {
        ok_data(json!("online"))
    } else {
        ok()
    })
}

pub const USER_GET_BIND_INFO: Endpoint = Endpoint {
    path: "/user/getBindInfo",
    summary: "the caller's third-party accounts (sdkLoginInfo: type 1 QQ, 2 WeChat)",
    ..Endpoint::shiku("", "")
};

/// `/user/getBindInfo` (Android's `//user/getBindInfo`).
async fn bind_info(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let docs = state.store.sdk_logins(me).await?;
    Ok(ok_data(Value::Array(
        docs.iter().map(crate::util::entity_to_json).collect(),
    )))
}

pub const USER_UNBIND: Endpoint = Endpoint {
    path: "/user/unbind",
    summary: "unbind a third-party account (type 1 QQ, 2 WeChat; 100208 when not bound)",
    params: &[int("type").default(2).one_of(&["1", "2"])],
    ..Endpoint::shiku("", "")
};

async fn unbind(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Params,
) -> ShikuResult<HttpResponse> {
    let me = state.user(&req, &p).await?;
    let kind = p.i32_or("type", 2)?;
    if kind == 0 {
        return Err(ShikuError::invalid("type"));
    }
    if !state.store.delete_sdk_login(me, kind).await? {
        return Err(codes::NOT_BOUND.into());
    }
    Ok(ok())
}
