//! Roles given or taken as part of a user write (a bulk row, a SCIM write,
//! an import row), in the same transaction as the user's own row: the
//! changes, and how the store records the ones it made.
//!
//! Only the tenant's own roles are changed this way; a built-in admin role
//! named in a change is left alone by the store (admin roles are given one
//! person at a time through the roles API). A role the tenant no longer has
//! when the write commits (deleted meanwhile) is left alone too: the write
//! then reads as if the deletion had come right after it.

use crate::audit::{AuditAction, AuditDraft};
use crate::role::RoleName;
use serde_json::{Value, json};

/// A role given or taken as part of a user write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Assign(RoleName),
    Remove(RoleName),
}

impl RoleChange {
    /// The role given or taken.
    pub fn name(&self) -> &RoleName {
        match self {
            RoleChange::Assign(n) | RoleChange::Remove(n) => n,
        }
    }

    /// The action the roles API records the same change as.
    pub fn action(&self) -> AuditAction {
        match self {
            RoleChange::Assign(_) => AuditAction::UserRoleAssign,
            RoleChange::Remove(_) => AuditAction::UserRoleRemove,
        }
    }
}

/// The role changes of one user write.
#[derive(Debug, Clone, Default)]
pub struct RoleWrites {
    pub changes: Vec<RoleChange>,
    /// When set, each change the store makes is also recorded as an event
    /// of its own, as `PUT`/`DELETE /users/{id}/roles/{role}` records it:
    /// this draft (its actor, target and details) with the change's action
    /// and the role in `role`. When `None` the write's own event is the
    /// record (a bulk row is itself a `user.role_assign`; an import batch
    /// counts its changes).
    pub events: Option<AuditDraft>,
}

impl RoleWrites {
    /// One change, recorded by the write's own event.
    pub fn one(change: RoleChange) -> Self {
        Self {
            changes: vec![change],
            events: None,
        }
    }

    /// The changes that make a user who holds `held` hold exactly the
    /// tenant roles `wanted` (built-in admin roles stay as they are), each
    /// change made recorded as `PUT`/`DELETE /users/{id}/roles/{role}`
    /// records it: `events` is the template (the caller, the user, the
    /// details), its action set per change.
    pub fn to_hold(held: &[RoleName], wanted: &[RoleName], events: AuditDraft) -> Self {
        let changes = crate::role::changes_to(held, wanted);
        let events = (!changes.is_empty()).then_some(events);
        Self { changes, events }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Notes what the store made of the changes (`made[i]`: whether change
    /// `i` gave or took an assignment) in the write's event, and answers
    /// the events of their own to record with it. The counts add up over
    /// the writes of one event (an import batch): `role_changed` (any
    /// assignment changed), `roles_assigned`, `roles_removed`.
    pub fn record(&self, made: &[bool], draft: &mut AuditDraft) -> Vec<AuditDraft> {
        let done: Vec<&RoleChange> = self
            .changes
            .iter()
            .zip(made)
            .filter(|(_, m)| **m)
            .map(|(c, _)| c)
            .collect();
        let assigned = done
            .iter()
            .filter(|c| matches!(c, RoleChange::Assign(_)))
            .count() as u64;
        let removed = done.len() as u64 - assigned;
        if !draft.details.is_object() {
            draft.details = Value::Object(Default::default());
        }
        let before = |d: &AuditDraft, key: &str| d.details[key].as_u64().unwrap_or(0);
        let changed = draft.details["role_changed"].as_bool().unwrap_or(false) || !done.is_empty();
        draft.details["role_changed"] = json!(changed);
        draft.details["roles_assigned"] = json!(before(draft, "roles_assigned") + assigned);
        draft.details["roles_removed"] = json!(before(draft, "roles_removed") + removed);
        let Some(template) = &self.events else {
            return Vec::new();
        };
        done.into_iter()
            .map(|c| {
                let mut event = template.clone();
                event.action = c.action().as_str().to_owned();
                if !event.details.is_object() {
                    event.details = Value::Object(Default::default());
                }
                event.details["role"] = json!(c.name().as_str());
                event
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditContext};
    use time::OffsetDateTime;

    fn name(n: &str) -> RoleName {
        RoleName::parse("role", n).unwrap()
    }

    #[test]
    fn the_changes_made_are_counted_and_each_gets_an_event_when_asked() {
        let ctx = AuditContext::new(Actor::system());
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut draft = ctx.draft(None, AuditAction::UserUpdate, now);
        let mut writes = RoleWrites {
            changes: vec![
                RoleChange::Assign(name("sales")),
                RoleChange::Remove(name("ops")),
                RoleChange::Assign(name("gone")),
            ],
            events: Some(
                ctx.draft(None, AuditAction::UserRoleAssign, now)
                    .details(json!({"via": "scim"})),
            ),
        };
        let events = writes.record(&[true, true, false], &mut draft);
        assert_eq!(draft.details["role_changed"], true);
        assert_eq!(draft.details["roles_assigned"], 1);
        assert_eq!(draft.details["roles_removed"], 1);
        let got: Vec<(&str, &Value)> = events
            .iter()
            .map(|e| (e.action.as_str(), &e.details["role"]))
            .collect();
        assert_eq!(
            got,
            vec![
                ("user.role_assign", &json!("sales")),
                ("user.role_remove", &json!("ops"))
            ]
        );
        assert_eq!(events[0].details["via"], "scim");
        // A second write under the same event adds to its counts.
        writes.events = None;
        assert!(writes.record(&[true, false, false], &mut draft).is_empty());
        assert_eq!(draft.details["roles_assigned"], 2);
    }
}
