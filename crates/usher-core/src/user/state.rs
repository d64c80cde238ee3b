//! The user lifecycle of DESIGN §3: the states, which action is allowed from
//! which state, and the code a refusal answers with.

use crate::audit::AuditAction;
use crate::error::{Error, ErrorCode};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// A user's state as clients see it. `ExpiredInvitation` is derived from a
/// pending invitation whose link has expired; it is also materialised in
/// storage by a periodic sweep so that counting it stays cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserState {
    NotInvited,
    PendingInvitation,
    ExpiredInvitation,
    Active,
    Blocked,
    Disabled,
}

impl UserState {
    pub const ALL: [UserState; 6] = [
        UserState::NotInvited,
        UserState::PendingInvitation,
        UserState::ExpiredInvitation,
        UserState::Active,
        UserState::Blocked,
        UserState::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserState::NotInvited => "not_invited",
            UserState::PendingInvitation => "pending_invitation",
            UserState::ExpiredInvitation => "expired_invitation",
            UserState::Active => "active",
            UserState::Blocked => "blocked",
            UserState::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The small integer both stores keep in their `state` columns.
    pub fn code(self) -> i16 {
        match self {
            UserState::NotInvited => 0,
            UserState::PendingInvitation => 1,
            UserState::ExpiredInvitation => 2,
            UserState::Active => 3,
            UserState::Blocked => 4,
            UserState::Disabled => 5,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| i64::from(s.code()) == code)
    }

    /// States from which an invitation may be (re)sent.
    pub fn can_be_invited(self) -> bool {
        matches!(
            self,
            UserState::NotInvited | UserState::PendingInvitation | UserState::ExpiredInvitation
        )
    }
}

impl Serialize for UserState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The effective state of a stored state and invitation expiry at `now`.
pub fn effective_state(
    stored: UserState,
    invitation_expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> UserState {
    match (stored, invitation_expires_at) {
        (UserState::PendingInvitation, Some(exp)) if exp <= now => UserState::ExpiredInvitation,
        (s, _) => s,
    }
}

/// An admin action on one user's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Block,
    Unblock,
    Disable,
    Enable,
    Archive,
    SendInvitation,
}

impl Action {
    pub fn audit_name(self) -> AuditAction {
        match self {
            Action::Block => AuditAction::UserBlock,
            Action::Unblock => AuditAction::UserUnblock,
            Action::Disable => AuditAction::UserDisable,
            Action::Enable => AuditAction::UserEnable,
            Action::Archive => AuditAction::UserArchive,
            Action::SendInvitation => AuditAction::UserInvite,
        }
    }
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::conflict(code, message)
}

/// Checks that `action` is allowed for a user in `state` (and `archived`)
/// and answers the state it leads to. Enable needs to know whether the
/// signup was ever completed.
pub fn transition(
    action: Action,
    state: UserState,
    archived: bool,
    signup_completed: bool,
) -> Result<UserState, Error> {
    use UserState::*;
    match action {
        Action::Block => match state {
            Active => Ok(Blocked),
            Blocked => Err(refuse(
                ErrorCode::AlreadyBlocked,
                "the user is already blocked",
            )),
            s => Err(refuse(
                ErrorCode::InvalidState,
                format!(
                    "only active users can be blocked; this user is {}",
                    s.as_str()
                ),
            )),
        },
        Action::Unblock => match state {
            Blocked => Ok(Active),
            _ => Err(refuse(ErrorCode::NotBlocked, "the user is not blocked")),
        },
        Action::Disable => match state {
            Disabled => Err(refuse(
                ErrorCode::AlreadyDisabled,
                "the user is already disabled",
            )),
            _ => Ok(Disabled),
        },
        Action::Enable => match state {
            Disabled if signup_completed => Ok(Active),
            Disabled => Ok(NotInvited),
            _ => Err(refuse(ErrorCode::NotDisabled, "the user is not disabled")),
        },
        Action::Archive => match state {
            Active | Blocked if archived => Err(refuse(
                ErrorCode::AlreadyArchived,
                "the user is already archived",
            )),
            Active | Blocked => Ok(state),
            s => Err(refuse(
                ErrorCode::InvalidState,
                format!(
                    "only active or blocked users can be archived; this user is {}",
                    s.as_str()
                ),
            )),
        },
        Action::SendInvitation => {
            if state.can_be_invited() {
                Ok(PendingInvitation)
            } else {
                Err(refuse(
                    ErrorCode::InvalidState,
                    format!(
                        "invitations can only be sent before signup is completed; this user is {}",
                        state.as_str()
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use UserState::*;

    fn code(r: Result<UserState, Error>) -> &'static str {
        r.unwrap_err().code().as_str()
    }

    #[test]
    fn block_is_only_allowed_from_active() {
        assert_eq!(
            transition(Action::Block, Active, false, true).unwrap(),
            Blocked
        );
        assert_eq!(
            code(transition(Action::Block, Blocked, false, true)),
            "already_blocked"
        );
        for s in [NotInvited, PendingInvitation, ExpiredInvitation, Disabled] {
            assert_eq!(
                code(transition(Action::Block, s, false, false)),
                "invalid_state"
            );
        }
    }

    #[test]
    fn unblock_is_only_allowed_from_blocked() {
        assert_eq!(
            transition(Action::Unblock, Blocked, false, true).unwrap(),
            Active
        );
        for s in [
            NotInvited,
            PendingInvitation,
            ExpiredInvitation,
            Active,
            Disabled,
        ] {
            assert_eq!(
                code(transition(Action::Unblock, s, false, true)),
                "not_blocked"
            );
        }
    }

    #[test]
    fn disable_is_allowed_from_every_state_but_disabled() {
        for s in [
            NotInvited,
            PendingInvitation,
            ExpiredInvitation,
            Active,
            Blocked,
        ] {
            assert_eq!(
                transition(Action::Disable, s, false, false).unwrap(),
                Disabled
            );
        }
        assert_eq!(
            code(transition(Action::Disable, Disabled, false, true)),
            "already_disabled"
        );
    }

    #[test]
    fn enable_returns_to_active_only_after_signup() {
        assert_eq!(
            transition(Action::Enable, Disabled, false, true).unwrap(),
            Active
        );
        assert_eq!(
            transition(Action::Enable, Disabled, false, false).unwrap(),
            NotInvited
        );
        assert_eq!(
            code(transition(Action::Enable, Active, false, true)),
            "not_disabled"
        );
    }

    #[test]
    fn archive_needs_an_active_or_blocked_user_not_yet_archived() {
        assert_eq!(
            transition(Action::Archive, Active, false, true).unwrap(),
            Active
        );
        assert_eq!(
            transition(Action::Archive, Blocked, false, true).unwrap(),
            Blocked
        );
        assert_eq!(
            code(transition(Action::Archive, Active, true, true)),
            "already_archived"
        );
        for s in [NotInvited, PendingInvitation, ExpiredInvitation, Disabled] {
            assert_eq!(
                code(transition(Action::Archive, s, false, false)),
                "invalid_state"
            );
        }
    }

    #[test]
    fn invitations_are_only_sent_before_signup() {
        for s in [NotInvited, PendingInvitation, ExpiredInvitation] {
            assert_eq!(
                transition(Action::SendInvitation, s, false, false).unwrap(),
                PendingInvitation
            );
        }
        for s in [Active, Blocked, Disabled] {
            assert_eq!(
                code(transition(Action::SendInvitation, s, false, true)),
                "invalid_state"
            );
        }
    }

    #[test]
    fn a_pending_invitation_expires_at_its_deadline() {
        let t = time::macros::datetime!(2026-01-01 0:00 UTC);
        assert_eq!(
            effective_state(PendingInvitation, Some(t), t - time::Duration::SECOND),
            PendingInvitation
        );
        assert_eq!(
            effective_state(PendingInvitation, Some(t), t),
            ExpiredInvitation
        );
        assert_eq!(effective_state(Active, Some(t), t), Active);
    }

    #[test]
    fn state_codes_round_trip() {
        for s in UserState::ALL {
            assert_eq!(UserState::from_code(i64::from(s.code())), Some(s));
            assert_eq!(UserState::parse(s.as_str()), Some(s));
        }
    }
}
