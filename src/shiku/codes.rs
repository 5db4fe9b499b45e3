//! The Shiku result codes, in one place: the codes of the envelope's own
//! failures (token, parameters, internal) and every coded refusal with the
//! message the original answers (`KConstants.ResultCode`, `message.json`).

use super::error::ShikuError;

// ----- codes of the envelope's failures (messages in `ShikuError`) -----

pub const SUCCESS: i32 = 1;
pub const TOKEN_MISSING: i32 = 1030101;
pub const TOKEN_INVALID: i32 = 1030102;
/// `ParamsAuthFail`: missing or unparsable parameter (Spring binding errors).
pub const PARAM_MISSING: i32 = 1010101;
pub const PARAM_INVALID: i32 = 1010101;
pub const INTERNAL: i32 = 1020101;
pub const FAILURE: i32 = 0;
pub const NO_PERMISSION_CODE: i32 = 1030104;
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
pub const NOT_ROOM_CODE: i32 = 100411;

// ----- coded refusals, with their messages -----

/// A coded refusal of the original: `resultCode` and `resultMsg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: i32,
    pub msg: &'static str,
}

const fn c(code: i32, msg: &'static str) -> Code {
    Code { code, msg }
}

impl From<Code> for ShikuError {
    fn from(c: Code) -> Self {
        ShikuError::Coded(c.code, c.msg.to_string())
    }
}

/// `NO_PERMISSION`.
pub const NO_PERMISSION: Code = c(1030104, "权限不足");
/// `NO_PERMISSION` of the console login (no console role).
pub const CONSOLE_NO_PERMISSION_MSG: Code = c(CONSOLE_NO_PERMISSION, "权限不足");
/// `AccountOrPasswordIncorrect`.
pub const WRONG_PASSWORD: Code = c(ACCOUNT_OR_PASSWORD_INCORRECT, "帐号或密码错误");
/// `AUTH_FAILED` as a login answers it.
pub const AUTH_FAILED_MSG: Code = c(AUTH_FAILED, "权限验证失败");
/// `AccountNotExist`.
pub const NO_ACCOUNT: Code = c(ACCOUNT_NOT_EXIST, "帐号不存在");
/// `ACCOUNT_IS_LOCKED`.
pub const LOCKED: Code = c(ACCOUNT_LOCKED, "账号被锁定");
/// `LoginTokenInvalid`.
pub const LOGIN_TOKEN_EXPIRED: Code = c(LOGIN_TOKEN_INVALID, "身份认证已失效,请重新登陆");
/// `PhoneRegistered`.
pub const PHONE_TAKEN: Code = c(PHONE_REGISTERED, "该手机号已注册");
/// `UserNotExist`.
pub const NO_USER: Code = c(USER_NOT_EXIST, "该用户不存在");
/// `NOTSUPPORT_COLLECT`: an end-to-end encrypted message cannot be collected.
pub const NOT_COLLECTABLE: Code = c(105002, "不支持收藏");
/// A user keeps at most `collect::MAX_KEPT` stickers and favourites.
pub const COLLECTION_FULL: Code = c(FAILURE, "收藏数量已达到上限");
/// A user keeps at most `quick_replies::MAX_REPLIES` quick replies.
pub const QUICK_REPLIES_FULL: Code = c(FAILURE, "常用语数量已达到上限");
/// A user files at most `report::MAX_REPORTS_A_DAY` reports a day.
pub const TOO_MANY_REPORTS: Code = c(FAILURE, "举报次数过多，请明天再试");
/// `WebUrlReported`: the console blocked the page's host.
pub const PAGE_REPORTED: Code = c(100203, "该网页地址已被举报");
/// `VERIFYPASSWORDFAIL`.
pub const PASSWORD_WRONG: Code = c(100222, "密码错误");
/// `NotAddSelf`.
pub const NOT_ADD_SELF: Code = c(100501, "不能添加自己");
/// `followUser` to a user whose `allowAtt` is 0 (group 110, service 08, detail 01).
pub const FOLLOW_REFUSED: Code = c(1100801, "关注失败，目标用户拒绝关注");
/// `NotOperateSelf`.
pub const NOT_OPERATE_SELF: Code = c(100508, "不能操作自己");
/// `FriendsNotExist`.
pub const NO_FRIEND: Code = c(100511, "好友不存在");
/// `FriendsIsExist`.
pub const FRIENDS_IS_EXIST: Code = c(100512, "对方已经是你的好友");
/// `RoomIsLock`.
pub const ROOM_LOCKED: Code = c(100401, "该群组已被后台锁定");
/// `SpecifyNewOwner`.
pub const SPECIFY_NEW_OWNER: Code = c(100403, "请指定新群主");
/// `NotTransferToSelf`.
pub const NOT_TRANSFER_TO_SELF: Code = c(100404, "不能转让群组给自己");
/// `NotTransferToNonMember`.
pub const NOT_TRANSFER_TO_NON_MEMBER: Code = c(100405, "对方不是群成员不能转让");
/// `MemberNotInGroup`.
pub const NOT_MEMBER: Code = c(100409, "该成员不在群组中");
/// `NotRemoveOwner`.
pub const NOT_REMOVE_OWNER: Code = c(100410, "不能移出群主");
/// `RoomOwnerNotSetAdmin`.
pub const OWNER_NOT_ADMIN: Code = c(100412, "群主不能设置为管理员");
/// `AdminMemberNumUpperLimit`.
pub const ADMIN_LIMIT: Code = c(100442, "群组内管理员数量已达到上限");
/// `NotAddSelf`'s sibling for blacklists and deletes: `NotRepeatOperation`.
pub const NOT_REPEAT: Code = c(100509, "不能重复操作");
/// `NotYourFriends`.
pub const NOT_YOUR_FRIEND: Code = c(100510, "对方不是你的好友");
/// `NotOnMyBlackList`.
pub const NOT_ON_BLACKLIST: Code = c(100513, "好友不在我的黑名单中");
/// `newFriendLast` without a record (the original fails with its internal-error code).
pub const NO_NEW_FRIEND: Code = c(INTERNAL, "没有新朋友记录");
/// `NoRegistrationFunctionIsProvided`.
pub const REGISTRATION_CLOSED: Code = c(100109, "不提供注册功能，仅限内部使用");
/// `PleaseFallTelephone`.
pub const FILL_IN_TELEPHONE: Code = c(100107, "请填写手机号");
/// `PleaseNickName`.
pub const FILL_IN_NICKNAME: Code = c(1040108, "请填写昵称");
/// `NicknameWrongful`.
pub const NICKNAME_WRONGFUL: Code = c(1040109, "用户昵称不合法!");
/// `NewAndOldPwdConsistent`.
pub const SAME_PASSWORD: Code = c(100209, "新旧密码一致,请重新输入");
/// `OldPasswordIsWrong`.
pub const OLD_PASSWORD_WRONG: Code = c(1040103, "原密码错误");
/// `VerifyCodeErrOrExpired`.
pub const SMS_CODE_WRONG: Code = c(1040104, "短信验证码错误或已过期");
/// `ParamsLack`.
pub const PARAMS_LACK: Code = c(1010102, "缺少请求参数");
/// `DataNotExists`.
pub const DATA_GONE: Code = c(10102, "数据不存在");
/// No SMS service: codes are neither sent nor checked here.
pub const NO_SMS: Code = c(FAILURE, "短信验证码服务未开通");
/// `USER_KEYPAIR_NOTEXIST`.
pub const NO_KEY_PAIR: Code = c(100220, "用户公私钥不存在");
/// `NotFriendNoInvite`.
pub const NOT_FRIEND_NO_INVITE: Code = c(100407, "不是好友不能邀请");
/// `NotBannedGroupOwner`.
pub const OWNER_NOT_MUTABLE: Code = c(100406, "不能禁言群主");
/// `NotInviteInvisible`.
pub const INVISIBLE_NO_INVITE: Code = c(100408, "隐身人不可以邀请用户加群");
/// `NoBind`.
pub const NOT_BOUND: Code = c(100208, "绑定关系不存在");
/// `GroupHelperNotExist`.
pub const HELPER_GONE: Code = c(100417, "群助手不存在");
/// `KeyWordNotExist`.
pub const KEYWORD_GONE: Code = c(100419, "关键字不存在");
/// `DeleteFailure`.
pub const DELETE_FAILED: Code = c(100420, "删除失败");
/// `RoomTimeOut`.
pub const ROOM_EXPIRED: Code = c(100415, "群组已过期失效");
/// `MaxUserSizeLessThanNow`.
pub const MAX_BELOW_MEMBERS: Code = c(100402, "群成员上限不能低于当前群成员人数");
/// `NotRoom`.
pub const NOT_ROOM: Code = c(NOT_ROOM_CODE, "房间不存在");
/// `InviteNeedOwner`.
pub const INVITE_NEEDS_OWNER: Code = c(100421, "邀请群成员 需要群主同意");
/// `RoomMemberAchieveMax`.
pub const ROOM_FULL: Code = c(100423, "群人数已达到上限，加入人数过多");
/// `MaxUserSizeExceed`.
pub const MAX_USER_SIZE: Code = c(100425, "设置群人数不得超过10000");
/// `GroupNameExist`.
pub const LABEL_NAME_TAKEN: Code = c(100701, "分组名称已存在");
