//! Who may do what in a room, in one place: roles, the console lock, mutes,
//! and the rules of each room action as the original applies them. Handlers
//! of every dialect ask a [`Seat`] (the caller's place in a room) and answer a
//! [`Denied`] with their own code.

use bson::Document;

use crate::store::model::{Member, Room};
use crate::util::num;

/// `KConstants.Room_Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Owner = 1,
    Admin = 2,
    Member = 3,
    /// 4 (invisible), 5 (guardian) and anything newer: a member without rights.
    Other = 9,
}

impl Role {
    pub const OWNER: i32 = 1;
    pub const ADMIN: i32 = 2;
    pub const MEMBER: i32 = 3;

    /// The role a member record stores (`None` without a `role` field).
    pub fn of(member: &Document) -> Option<Role> {
        Some(match num(member, "role")? {
            1 => Role::Owner,
            2 => Role::Admin,
            3 => Role::Member,
            _ => Role::Other,
        })
    }

    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// Why a room action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The caller is not in the room.
    NotMember,
    /// The caller's role does not allow it.
    NoPermission,
    /// The console disabled the room (`s` = -1).
    Locked,
    /// The room requires the owner's consent to invite (`isNeedVerify` 1).
    InviteNeedsOwner,
    /// The owner cannot be removed (only leave, which dissolves the room).
    OwnerNotRemovable,
    /// The target of a member action is not in the room.
    TargetNotMember,
    /// A member but the owner inviting a single user who is not a friend.
    NotFriendInvite,
    /// An invisible member (role 4) inviting (100408).
    InvisibleInvites,
    /// Muting the owner (100406).
    OwnerNotMutable,
    /// The caller is muted personally.
    Muted,
    /// The room is muted for everyone but the owner and admins.
    RoomMuted,
}

/// `s: -1`: the room was disabled from the console (`Room.s`, 1 normal).
pub fn is_locked(room: &Document) -> bool {
    num(room, "s") == Some(-1)
}

/// A member hidden from the other members' lists and head count: invisible
/// (role 4) or guardian (role 5), as the original (`role >= 4`).
pub fn is_hidden(member: &Document) -> bool {
    num(member, "role").is_some_and(|r| r >= 4)
}

/// Whether `more` people still fit in the room (`maxUserSize`, 1000 when
/// unset, over the stored `userSize`).
pub fn has_room_for(room: &Document, more: i64) -> bool {
    num(room, "userSize").unwrap_or(0) + more <= num(room, "maxUserSize").unwrap_or(1000)
}

/// `talkTime` "greater than now: may not speak" — on a room, everyone but the
/// owner and admins; on a member, that member. The original stores seconds; a
/// 13-digit value is read as milliseconds rather than as a mute for ever.
pub fn is_muted(d: &Document, now_s: i64) -> bool {
    let t = num(d, "talkTime").unwrap_or(0);
    let t = if t >= 100_000_000_000 { t / 1000 } else { t };
    t > now_s
}

/// What removing a member amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The owner removes himself: the room is dissolved.
    Dissolve,
    /// A member leaves.
    Leave,
    /// An owner or admin removes someone else.
    Kick,
}

/// The caller's place in a room: the room, the caller, and the caller's
/// member record (`None` when not in the room).
pub struct Seat<'a> {
    pub room: &'a Room,
    pub user_id: i64,
    pub member: Option<&'a Member>,
}

impl<'a> Seat<'a> {
    pub fn new(room: &'a Room, user_id: i64, member: Option<&'a Member>) -> Self {
        Seat {
            room,
            user_id,
            member,
        }
    }

    /// The owner's id (`userId` of the room).
    pub fn owner(&self) -> Option<i64> {
        self.room.owner().ok().map(|u| u.0)
    }

    pub fn is_owner(&self) -> bool {
        self.owner() == Some(self.user_id)
    }

    /// The caller's role: the owner by the room's `userId`, else the member's.
    pub fn role(&self) -> Option<Role> {
        if self.is_owner() {
            return Some(Role::Owner);
        }
        self.member.and_then(|m| Role::of(m))
    }

    /// Whether the caller sees `m` in the room's member list (`/room/get`):
    /// the owner sees everyone; the others do not see the hidden members
    /// (invisible 4, guardian 5) but themselves.
    pub fn sees(&self, m: &Document) -> bool {
        self.is_owner() || !is_hidden(m) || num(m, "userId") == Some(self.user_id)
    }

    /// The head count the caller is shown (`userSize`): the stored count
    /// for the owner; for the others without the `hidden` members, a hidden
    /// caller counting himself (the original's `specialHandleByRoom`).
    pub fn visible_size(&self, user_size: i64, hidden: i64) -> i64 {
        if self.is_owner() {
            return user_size;
        }
        let me_hidden = self.member.is_some_and(|m| is_hidden(m));
        (user_size - hidden + i64::from(me_hidden)).max(0)
    }

    /// Reading the room's members and notices: members only.
    pub fn may_read(&self) -> Result<(), Denied> {
        self.member.map(|_| ()).ok_or(Denied::NoPermission)
    }

    /// Recalling another member's group message: the owner and admins (the
    /// apps offer it to roles 1 and 2); anyone recalls his own.
    pub fn may_recall_others(&self) -> bool {
        self.role().is_some_and(Role::manages)
    }

    /// Changing settings, posting notices: owner and admins.
    pub fn may_manage(&self) -> Result<(), Denied> {
        match self.member.and_then(|m| Role::of(m)) {
            Some(r) if r.manages() => Ok(()),
            _ => Err(Denied::NoPermission),
        }
    }

    /// Inviting: members but invisible ones; only the owner when the room
    /// requires consent.
    pub fn may_invite(&self) -> Result<(), Denied> {
        self.may_read()?;
        if self.member.and_then(|m| num(m, "role")) == Some(4) {
            return Err(Denied::InvisibleInvites);
        }
        if num(self.room, "isNeedVerify") == Some(1) && !self.is_owner() {
            return Err(Denied::InviteNeedsOwner);
        }
        Ok(())
    }

    /// What only the owner may do: hand the room over, dissolve it, choose
    /// its admins, change its message encryption.
    pub fn may_act_as_owner(&self) -> Result<(), Denied> {
        if self.is_owner() {
            Ok(())
        } else {
            Err(Denied::NoPermission)
        }
    }

    /// Inviting `count` users, of whom the caller befriended the only one or
    /// not: besides [`Seat::may_invite`], a member but the owner may not
    /// invite a single user who is not a friend (the original's
    /// `NotFriendNoInvite`; a list is taken as it is).
    pub fn may_invite_users(&self, count: usize, single_is_friend: bool) -> Result<(), Denied> {
        self.may_invite()?;
        if count == 1 && !single_is_friend && !self.is_owner() {
            return Err(Denied::NotFriendInvite);
        }
        Ok(())
    }

    /// Changing `target`'s member record (`/room/member/update` with
    /// `userId`): both in the room; an admin's record only by the owner or
    /// the admin himself (the original refused an admin his own room
    /// nickname); a nickname only one's own; a mute (`talkTime`) only by the
    /// owner or an admin, and never of the owner (the original's `updateMember`).
    pub fn may_update_member(
        &self,
        target: i64,
        target_member: Option<&Member>,
        nickname: bool,
        mute: bool,
    ) -> Result<(), Denied> {
        let role = self.role().ok_or(Denied::NotMember)?;
        let target_role = Role::of(target_member.ok_or(Denied::TargetNotMember)?);
        let myself = target == self.user_id;
        if role != Role::Owner && target_role == Some(Role::Admin) && !myself {
            return Err(Denied::NoPermission);
        }
        if nickname && !myself {
            return Err(Denied::NoPermission);
        }
        if mute {
            if Some(target) == self.owner() {
                return Err(Denied::OwnerNotMutable);
            }
            if !role.manages() {
                return Err(Denied::NoPermission);
            }
        }
        Ok(())
    }

    /// Handing the room over: the owner only.
    pub fn may_transfer(&self) -> Result<(), Denied> {
        self.may_act_as_owner()
    }

    /// Removing `target` (whose member record is `target_member`): anyone may
    /// leave; the owner may remove anyone; an admin may remove plain members
    /// only (not admins, invisible members or guardians, as the original's
    /// `deleteMember`); the owner is never removed by another.
    pub fn may_remove(
        &self,
        target: i64,
        target_member: Option<&Member>,
    ) -> Result<Removal, Denied> {
        let role = self.role().ok_or(Denied::NoPermission)?;
        if Some(target) == self.owner() {
            return match role {
                Role::Owner => Ok(Removal::Dissolve),
                Role::Member => Err(Denied::NoPermission),
                _ => Err(Denied::OwnerNotRemovable),
            };
        }
        let target_role = target_member.and_then(|m| Role::of(m));
        if target != self.user_id {
            // A record without a role is a plain member (the stored default).
            let plain = matches!(target_role, None | Some(Role::Member));
            if !role.manages() || (role == Role::Admin && !plain) {
                return Err(Denied::NoPermission);
            }
        }
        target_member.ok_or(Denied::TargetNotMember)?;
        Ok(if target == self.user_id {
            Removal::Leave
        } else {
            Removal::Kick
        })
    }

    /// Sending a group message (the owner always may): a member, not muted,
    /// and not in a room muted for everyone but the admins. The original
    /// copies a room-wide mute onto every member record, so a member's
    /// `talkTime` equal to the room's is that mute, not a personal one.
    pub fn may_speak(&self, now_s: i64) -> Result<(), Denied> {
        if self.is_owner() {
            return Ok(());
        }
        let member = self.member.ok_or(Denied::NotMember)?;
        let room_muted = is_muted(self.room, now_s);
        let room_wide = room_muted && num(member, "talkTime") == num(self.room, "talkTime");
        // A member's -1 is a mute for good (what the apps set and check).
        let for_good = num(member, "talkTime") == Some(-1);
        if (is_muted(member, now_s) || for_good) && !room_wide {
            return Err(Denied::Muted);
        }
        if room_muted && Role::of(member) != Some(Role::Admin) {
            return Err(Denied::RoomMuted);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn room() -> Room {
        Room::new(doc! {"userId": 1, "s": 1, "talkTime": 0})
    }

    #[test]
    fn hidden_members_are_seen_by_the_owner_and_themselves() {
        let r = room();
        let owner = Member::new(doc! {"userId": 1, "role": 1});
        let member = Member::new(doc! {"userId": 3, "role": 3});
        let invisible = Member::new(doc! {"userId": 4, "role": 4});
        let guardian = Member::new(doc! {"userId": 5, "role": 5});
        let o = Seat::new(&r, 1, Some(&owner));
        let m = Seat::new(&r, 3, Some(&member));
        let i = Seat::new(&r, 4, Some(&invisible));
        assert!(o.sees(&invisible) && o.sees(&guardian));
        assert!(!m.sees(&invisible) && !m.sees(&guardian) && m.sees(&owner));
        assert!(i.sees(&invisible) && !i.sees(&guardian) && i.sees(&member));
        assert_eq!(o.visible_size(5, 2), 5);
        assert_eq!(m.visible_size(5, 2), 3);
        assert_eq!(i.visible_size(5, 2), 4);
    }

    #[test]
    fn removal_rules() {
        let r = room();
        let owner = Member::new(doc! {"userId": 1, "role": 1});
        let admin = Member::new(doc! {"userId": 2, "role": 2});
        let admin2 = Member::new(doc! {"userId": 4, "role": 2});
        let member = Member::new(doc! {"userId": 3, "role": 3});
        let o = Seat::new(&r, 1, Some(&owner));
        let a = Seat::new(&r, 2, Some(&admin));
        let m = Seat::new(&r, 3, Some(&member));
        assert_eq!(o.may_remove(1, Some(&owner)), Ok(Removal::Dissolve));
        assert_eq!(o.may_remove(2, Some(&admin)), Ok(Removal::Kick));
        assert_eq!(a.may_remove(3, Some(&member)), Ok(Removal::Kick));
        assert_eq!(a.may_remove(4, Some(&admin2)), Err(Denied::NoPermission));
        assert_eq!(
            a.may_remove(1, Some(&owner)),
            Err(Denied::OwnerNotRemovable)
        );
        assert_eq!(m.may_remove(1, Some(&owner)), Err(Denied::NoPermission));
        assert_eq!(m.may_remove(2, Some(&admin)), Err(Denied::NoPermission));
        assert_eq!(m.may_remove(3, Some(&member)), Ok(Removal::Leave));
        assert_eq!(a.may_remove(9, None), Err(Denied::TargetNotMember));
        // Roles 4 (invisible) and 5 (guardian): no rights, and out of an admin's reach.
        for role in [4, 5] {
            let other = Member::new(doc! {"userId": 5, "role": role});
            assert_eq!(
                Seat::new(&r, 5, Some(&other)).may_remove(3, Some(&member)),
                Err(Denied::NoPermission)
            );
            assert_eq!(a.may_remove(5, Some(&other)), Err(Denied::NoPermission));
            assert_eq!(o.may_remove(5, Some(&other)), Ok(Removal::Kick));
        }
        // /room/member/update with userId
        assert_eq!(m.may_update_member(3, Some(&member), true, false), Ok(()));
        assert_eq!(
            m.may_update_member(2, Some(&admin), false, false),
            Err(Denied::NoPermission)
        );
        assert_eq!(
            a.may_update_member(3, Some(&member), true, false),
            Err(Denied::NoPermission)
        );
        assert_eq!(a.may_update_member(3, Some(&member), false, true), Ok(()));
        assert_eq!(a.may_update_member(2, Some(&admin), true, false), Ok(()));
        assert_eq!(
            a.may_update_member(4, Some(&admin2), false, true),
            Err(Denied::NoPermission)
        );
        assert_eq!(o.may_update_member(2, Some(&admin), false, true), Ok(()));
        assert_eq!(
            m.may_update_member(3, Some(&member), false, true),
            Err(Denied::NoPermission)
        );
        assert_eq!(
            a.may_update_member(1, Some(&owner), false, true),
            Err(Denied::OwnerNotMutable)
        );
        assert_eq!(
            a.may_update_member(9, None, false, true),
            Err(Denied::TargetNotMember)
        );
        assert_eq!(
            Seat::new(&r, 7, None).may_update_member(3, Some(&member), false, false),
            Err(Denied::NotMember)
        );
        let invisible = Member::new(doc! {"userId": 8, "role": 4});
        assert_eq!(
            Seat::new(&r, 8, Some(&invisible)).may_invite(),
            Err(Denied::InvisibleInvites)
        );
        assert_eq!(m.may_invite(), Ok(()));
        assert!(o.may_recall_others() && a.may_recall_others());
        assert!(!m.may_recall_others());
        assert!(
            !Seat::new(&r, 8, Some(&Member::new(doc! {"userId": 8, "role": 4})))
                .may_recall_others()
        );
        let roleless = Member::new(doc! {"userId": 6});
        assert_eq!(a.may_remove(6, Some(&roleless)), Ok(Removal::Kick));
        assert_eq!(
            Seat::new(&r, 7, None).may_remove(7, None),
            Err(Denied::NoPermission)
        );
    }

    #[test]
    fn speaking_rules() {
        let muted_room = Room::new(doc! {"userId": 1, "talkTime": 2_000_000_000});
        let member = Member::new(doc! {"role": 3, "talkTime": 2_000_000_000});
        let admin = Member::new(doc! {"role": 2, "talkTime": 2_000_000_000});
        assert_eq!(
            Seat::new(&muted_room, 3, Some(&member)).may_speak(1_700_000_000),
            Err(Denied::RoomMuted)
        );
        assert_eq!(
            Seat::new(&muted_room, 2, Some(&admin)).may_speak(1_700_000_000),
            Ok(())
        );
        assert_eq!(
            Seat::new(&muted_room, 1, None).may_speak(1_700_000_000),
            Ok(())
        );
        let r = room();
        let for_good = Member::new(doc! {"role": 3, "talkTime": -1i64});
        assert_eq!(
            Seat::new(&r, 3, Some(&for_good)).may_speak(1_700_000_000),
            Err(Denied::Muted)
        );
        let personal = Member::new(doc! {"role": 3, "talkTime": 2_000_000_000});
        assert_eq!(
            Seat::new(&r, 3, Some(&personal)).may_speak(1_700_000_000),
            Err(Denied::Muted)
        );
        assert_eq!(
            Seat::new(&r, 5, None).may_speak(1_700_000_000),
            Err(Denied::NotMember)
        );
    }
}
