//! Whether a queued mail may still go out. A mail waits in the outbox until
//! SMTP takes it, which can be days later (a server started without SMTP);
//! meanwhile its link may have been used, replaced or revoked, or its user
//! may have changed email or left. Such a mail is cancelled, never sent.

use super::Services;
use crate::error::Error;
use crate::mail::{OutboxEntry, cancelled};
use crate::token::Secret;
use crate::user::fields::Email;

impl Services {
    /// Why `e` must not be delivered, or `None` when it still may.
    pub async fn stale_mail(&self, e: &OutboxEntry) -> Result<Option<&'static str>, Error> {
        let Some(user_id) = e.mail.user_id else {
            return Ok(None);
        };
        let Some(user) = self.store.get_user(e.mail.tenant_id, user_id).await? else {
            return Ok(Some(cancelled::USER_DELETED));
        };
        let same_address = Email::parse("recipient", &e.mail.recipient)
            .is_ok_and(|r| r.normalized() == user.email.normalized());
        if !same_address {
            return Ok(Some(cancelled::EMAIL_CHANGED));
        }
        if let Some(url) = &e.mail.link {
            let token = link_token(url);
            let link = self
                .store
                .find_link(&Secret::from_string(token.to_owned()).hash())
                .await?;
            let live = link.is_some_and(|l| l.user_id == user_id && l.is_live(self.clock.now()));
            if !live {
                return Ok(Some(cancelled::LINK_DEAD));
            }
        }
        Ok(None)
    }
}

/// The secret a link URL ends with (`…/invite/{token}`, perhaps with a
/// query).
fn link_token(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::link_token;

    #[test]
    fn the_token_is_the_links_last_path_segment() {
        assert_eq!(
            link_token("https://id.example/t/acme/invite/usher_inv_abc"),
            "usher_inv_abc"
        );
        assert_eq!(
            link_token("https://id.example/t/acme/reset/r_1?x=1#y"),
            "r_1"
        );
    }
}
