//! What `usher_logins_total` tells apart, read from the answer of a login
//! step. The password step answers a session (`success`), the request for
//! a second factor (`mfa_required`), or a refusal; the second step answers
//! a session or a refusal. A login with a second factor is thus counted
//! twice: `mfa_required`, then `success` or `failure`.
//!
//! Refusals: `throttled` is an attempt refused before its credentials were
//! looked at (429); `failure` is every other refusal of the credentials —
//! an unknown email, a wrong password or code, an expired second-step
//! token, and a blocked user who gave the right password (the login
//! handlers answer these alike but for the last, which is too rare to be
//! worth its own series). A request refused before the service (malformed
//! body, unknown tenant) or a store failure is no login attempt and is not
//! counted; `usher_http_requests_total` has it.

use usher_core::Error;
use usher_core::service::{LoginOutcome, SignedIn};

/// A login attempt's outcome, as labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginCount {
    Success,
    MfaRequired,
    Failure,
    Throttled,
}

impl LoginCount {
    pub(crate) const ALL: [LoginCount; 4] = [
        LoginCount::Success,
        LoginCount::MfaRequired,
        LoginCount::Failure,
        LoginCount::Throttled,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            LoginCount::Success => "success",
            LoginCount::MfaRequired => "mfa_required",
            LoginCount::Failure => "failure",
            LoginCount::Throttled => "throttled",
        }
    }

    /// The outcome of the password step.
    pub(crate) fn of_password(result: &Result<LoginOutcome, Error>) -> Option<Self> {
        match result {
            Ok(LoginOutcome::SignedIn(_)) => Some(LoginCount::Success),
            Ok(LoginOutcome::SecondFactor { .. }) => Some(LoginCount::MfaRequired),
            Err(e) => Self::of_refusal(e),
        }
    }

    /// The outcome of the second step.
    pub(crate) fn of_second_factor(result: &Result<SignedIn, Error>) -> Option<Self> {
        match result {
            Ok(_) => Some(LoginCount::Success),
            Err(e) => Self::of_refusal(e),
        }
    }

    fn of_refusal(e: &Error) -> Option<Self> {
        match e {
            Error::TooManyAttempts { .. } => Some(LoginCount::Throttled),
            Error::Unauthorized { .. } | Error::Denied { .. } => Some(LoginCount::Failure),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usher_core::StoreError;
    use usher_core::service::invalid_credentials;

    #[test]
    fn refusals_are_failures_or_throttles_and_other_errors_are_not_counted() {
        let of = |e: Error| LoginCount::of_second_factor(&Err(e));
        assert_eq!(of(invalid_credentials()), Some(LoginCount::Failure));
        assert_eq!(
            of(usher_core::service::user_blocked()),
            Some(LoginCount::Failure)
        );
        assert_eq!(
            of(Error::TooManyAttempts {
                retry_after_secs: 1
            }),
            Some(LoginCount::Throttled)
        );
        assert_eq!(of(StoreError::Unavailable("down".into()).into()), None);
    }
}
