//! Emails Usher sends: invitations and password resets, in the user's
//! language, as a subject, a plain-text part and an HTML part. Mails are
//! written to an outbox in the same transaction as the action that causes
//! them and delivered later (see `usher::mailer`).

use crate::ids::{MailId, TenantId, UserId};
use crate::user::fields::Language;
use time::OffsetDateTime;

/// Why a mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Invitation,
    PasswordReset,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invitation => "invitation",
            MailKind::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(MailKind::Invitation),
            "password_reset" => Some(MailKind::PasswordReset),
            _ => None,
        }
    }
}

/// Where a mail is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for delivery (or for SMTP to be configured).
    Queued,
    Sent,
    /// Given up after repeated failures.
    Failed,
    /// Not to be sent any more: its link was used, replaced or revoked, or
    /// its user changed email or is gone (the reason is its `last_error`).
    Cancelled,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(MailState::Queued),
            "sent" => Some(MailState::Sent),
            "failed" => Some(MailState::Failed),
            "cancelled" => Some(MailState::Cancelled),
            _ => None,
        }
    }
}

/// Why a queued mail was cancelled, as its `last_error` says.
pub mod cancelled {
    pub const LINK_USED: &str = "cancelled: the link was used";
    pub const NEWER_LINK: &str = "cancelled: a newer link was sent";
    pub const ACCESS_REVOKED: &str = "cancelled: the user's access was revoked";
    pub const LINK_DEAD: &str = "cancelled: the link was used, replaced or revoked";
    pub const USER_DELETED: &str = "cancelled: the user was deleted";
    pub const EMAIL_CHANGED: &str = "cancelled: the user's email changed";
}

/// A composed mail, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub id: MailId,
    pub tenant_id: TenantId,
    pub user_id: Option<UserId>,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the mail carries. Kept until the mail is delivered, so that
    /// an operator without SMTP can hand it over; removed once sent.
    pub link: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A mail in the outbox with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub mail: OutgoingMail,
    pub state: MailState,
    pub attempts: u32,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<OffsetDateTime>,
}

/// What the templates fill in.
#[derive(Debug, Clone)]
pub struct MailContext<'a> {
    pub tenant_name: &'a str,
    pub first_name: Option<&'a str>,
    pub link: &'a str,
    pub expires_at: OffsetDateTime,
}

/// Subject, text and HTML of a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The phrases of one mail in one language; `{tenant}` and `{date}` are
/// filled in, the link stands on its own line.
struct Phrases {
    subject: &'static str,
    hello: &'static str,
    hello_name: &'static str,
    intro: &'static str,
    button: &'static str,
    validity: &'static str,
    ignore: &'static str,
}

fn phrases(kind: MailKind, lang: Language) -> Phrases {
    use Language::*;
    use MailKind::*;
    match (kind, lang) {
        (Invitation, En) => Phrases {
            subject: "You are invited to {tenant}",
            hello: "Hello,",
            hello_name: "Hello {name},",
            intro: "{tenant} has created an account for you. Set your password to complete your signup:",
            button: "Set your password",
            validity: "The link works once and expires on {date}.",
            ignore: "If you did not expect this invitation, you can ignore this email.",
        },
        (Invitation, De) => Phrases {
            subject: "Einladung zu {tenant}",
            hello: "Hallo,",
            hello_name: "Hallo {name},",
            intro: "{tenant} hat ein Konto für Sie angelegt. Legen Sie Ihr Passwort fest, um die Registrierung abzuschließen:",
            button: "Passwort festlegen",
            validity: "Der Link ist einmal verwendbar und gilt bis {date}.",
            ignore: "Falls Sie diese Einladung nicht erwartet haben, können Sie diese E-Mail ignorieren.",
        },
        (Invitation, Fr) => Phrases {
            subject: "Invitation à rejoindre {tenant}",
            hello: "Bonjour,",
            hello_name: "Bonjour {name},",
            intro: "{tenant} a créé un compte pour vous. Définissez votre mot de passe pour terminer votre inscription :",
            button: "Définir mon mot de passe",
            validity: "Ce lien ne fonctionne qu'une fois et expire le {date}.",
            ignore: "Si vous n'attendiez pas cette invitation, vous pouvez ignorer cet e-mail.",
        },
        (PasswordReset, En) => Phrases {
            subject: "Reset your password for {tenant}",
            hello: "Hello,",
            hello_name: "Hello {name},",
            intro: "A password reset was requested for your {tenant} account. Choose a new password here:",
            button: "Choose a new password",
            validity: "The link works once and expires on {date}. Your current password keeps working until you set a new one.",
            ignore: "If you did not ask for this, you can ignore this email.",
        },
        (PasswordReset, De) => Phrases {
            subject: "Passwort für {tenant} zurücksetzen",
            hello: "Hallo,",
            hello_name: "Hallo {name},",
            intro: "Für Ihr Konto bei {tenant} wurde ein neues Passwort angefordert. Wählen Sie es hier:",
            button: "Neues Passwort wählen",
            validity: "Der Link ist einmal verwendbar und gilt bis {date}. Bis dahin bleibt Ihr bisheriges Passwort gültig.",
            ignore: "Falls Sie das nicht angefordert haben, können Sie diese E-Mail ignorieren.",
        },
        (PasswordReset, Fr) => Phrases {
            subject: "Réinitialisez votre mot de passe pour {tenant}",
            hello: "Bonjour,",
            hello_name: "Bonjour {name},",
            intro: "Une réinitialisation du mot de passe a été demandée pour votre compte {tenant}. Choisissez un nouveau mot de passe ici :",
            button: "Choisir un nouveau mot de passe",
            validity: "Ce lien ne fonctionne qu'une fois et expire le {date}. Votre mot de passe actuel reste valable jusque-là.",
            ignore: "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail.",
        },
    }
}

fn format_date(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Composes a mail in `lang`.
pub fn compose(kind: MailKind, lang: Language, ctx: &MailContext<'_>) -> Composed {
    let p = phrases(kind, lang);
    let date = format_date(ctx.expires_at);
    let fill = |s: &str| {
        s.replace("{tenant}", ctx.tenant_name)
            .replace("{date}", &date)
    };
    let hello = match ctx.first_name {
        Some(n) => p.hello_name.replace("{name}", n),
        None => p.hello.to_owned(),
    };
    let subject = fill(p.subject);
    let text = format!(
        "{hello}\n\n{}\n\n{}\n\n{}\n{}\n",
        fill(p.intro),
        ctx.link,
        fill(p.validity),
        p.ignore
    );
    let esc = |s: &str| escape_html(s);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; color: #1a1a1a\">\n\
         <p>{hello}</p>\n<p>{intro}</p>\n\
         <p><a href=\"{link}\" style=\"display: inline-block; padding: 10px 18px; background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 4px\">{button}</a></p>\n\
         <p style=\"font-size: 90%\">{link_text}</p>\n<p>{validity}</p>\n<p>{ignore}</p>\n</body></html>\n",
        lang = lang.as_str(),
        title = esc(&subject),
        hello = esc(&hello),
        intro = esc(&fill(p.intro)),
        link = esc(ctx.link),
        button = esc(p.button),
        link_text = esc(ctx.link),
        validity = esc(&fill(p.validity)),
        ignore = esc(p.ignore),
    );
    Composed {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(name: Option<&'static str>) -> MailContext<'static> {
        MailContext {
            tenant_name: "Acme <Ltd>",
            first_name: name,
            link: "https://id.example/t/acme/invite/usher_inv_abc?x=1&y=2",
            expires_at: time::macros::datetime!(2026-12-01 09:30 UTC),
        }
    }

    #[test]
    fn every_kind_and_language_has_a_subject_text_and_html_with_the_link() {
        for kind in [MailKind::Invitation, MailKind::PasswordReset] {
            for lang in Language::ALL {
                let m = compose(kind, lang, &ctx(Some("Zoé")));
                assert!(m.subject.contains("Acme <Ltd>"), "{kind:?} {lang:?}");
                assert!(m.text.contains(ctx(None).link));
                assert!(m.text.contains("2026-12-01 09:30 UTC"));
                assert!(m.text.contains("Zoé"));
                assert!(m.html.contains("x=1&amp;y=2"), "links are escaped in HTML");
                assert!(m.html.contains("Acme &lt;Ltd&gt;"));
                assert!(!m.html.contains("<Ltd>"));
                assert!(m.html.contains(&format!("lang=\"{}\"", lang.as_str())));
            }
        }
    }

    #[test]
    fn the_language_changes_the_words() {
        let en = compose(MailKind::Invitation, Language::En, &ctx(None));
        let de = compose(MailKind::Invitation, Language::De, &ctx(None));
        let fr = compose(MailKind::Invitation, Language::Fr, &ctx(None));
        assert!(en.subject.starts_with("You are invited"));
        assert!(de.subject.starts_with("Einladung"));
        assert!(fr.subject.starts_with("Invitation à"));
        assert!(de.text.starts_with("Hallo,"));
    }
}
