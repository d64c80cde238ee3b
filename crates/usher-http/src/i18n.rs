//! The words of the end-user pages in English, German and French, and the
//! choice of language for a visitor.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use usher_core::user::fields::Language;

/// Every phrase a page uses.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub title_invite: &'static str,
    pub title_reset: &'static str,
    pub intro_invite: &'static str,
    pub intro_reset: &'static str,
    pub label_password: &'static str,
    pub label_confirm: &'static str,
    pub hint: &'static str,
    pub submit_invite: &'static str,
    pub submit_reset: &'static str,
    pub done_title: &'static str,
    pub done_invite: &'static str,
    pub done_reset: &'static str,
    pub invalid_title: &'static str,
    pub invalid_body: &'static str,
    pub mismatch: &'static str,
    pub csrf: &'static str,
    pub too_short: &'static str,
    pub too_long: &'static str,
    pub common_password: &'static str,
    pub same_as_email: &'static str,
    pub same_as_username: &'static str,
    pub busy: &'static str,
}

const EN: Words = Words {
    title_invite: "Set your password",
    title_reset: "Choose a new password",
    intro_invite: "Welcome to {tenant}. Choose a password for {email} to complete your signup.",
    intro_reset: "Choose a new password for {email}.",
    label_password: "New password",
    label_confirm: "Repeat the new password",
    hint: "At least {min} characters. A few unrelated words make a password that is easy to remember and hard to guess.",
    submit_invite: "Complete signup",
    submit_reset: "Save the new password",
    done_title: "Done",
    done_invite: "Your account is ready. You can now sign in with your new password.",
    done_reset: "Your password has been changed. Use the new one from now on.",
    invalid_title: "This link cannot be used",
    invalid_body: "The link may have expired or been used already. Ask whoever sent it for a new one.",
    mismatch: "The two passwords are not the same.",
    csrf: "The form expired. Please enter your password again.",
    too_short: "The password is too short: use at least {min} characters.",
    too_long: "The password is too long.",
    common_password: "This password is among the most common ones, which attackers try first. Choose a less predictable one.",
    same_as_email: "The password must not be your email address.",
    same_as_username: "The password must not be your username.",
    busy: "We could not save your password right now. Please try again in a moment.",
};

const DE: Words = Words {
    title_invite: "Passwort festlegen",
    title_reset: "Neues Passwort wählen",
    intro_invite: "Willkommen bei {tenant}. Wählen Sie ein Passwort für {email}, um die Registrierung abzuschließen.",
    intro_reset: "Wählen Sie ein neues Passwort für {email}.",
    label_password: "Neues Passwort",
    label_confirm: "Neues Passwort wiederholen",
    hint: "Mindestens {min} Zeichen. Einige zusammenhanglose Wörter ergeben ein Passwort, das leicht zu merken und schwer zu erraten ist.",
    submit_invite: "Registrierung abschließen",
    submit_reset: "Neues Passwort speichern",
    done_title: "Fertig",
    done_invite: "Ihr Konto ist bereit. Sie können sich jetzt mit Ihrem neuen Passwort anmelden.",
    done_reset: "Ihr Passwort wurde geändert. Verwenden Sie ab sofort das neue.",
    invalid_title: "Dieser Link kann nicht verwendet werden",
    invalid_body: "Der Link ist möglicherweise abgelaufen oder wurde bereits verwendet. Bitten Sie den Absender um einen neuen.",
    mismatch: "Die beiden Passwörter stimmen nicht überein.",
    csrf: "Das Formular ist abgelaufen. Bitte geben Sie Ihr Passwort erneut ein.",
    too_short: "Das Passwort ist zu kurz: Verwenden Sie mindestens {min} Zeichen.",
    too_long: "Das Passwort ist zu lang.",
    common_password: "Dieses Passwort gehört zu den häufigsten, die Angreifer zuerst ausprobieren. Wählen Sie ein weniger vorhersehbares.",
    same_as_email: "Das Passwort darf nicht Ihre E-Mail-Adresse sein.",
    same_as_username: "Das Passwort darf nicht Ihr Benutzername sein.",
    busy: "Ihr Passwort konnte gerade nicht gespeichert werden. Bitte versuchen Sie es gleich noch einmal.",
};

const FR: Words = Words {
    title_invite: "Définir votre mot de passe",
    title_reset: "Choisir un nouveau mot de passe",
    intro_invite: "Bienvenue chez {tenant}. Choisissez un mot de passe pour {email} afin de terminer votre inscription.",
    intro_reset: "Choisissez un nouveau mot de passe pour {email}.",
    label_password: "Nouveau mot de passe",
    label_confirm: "Répétez le nouveau mot de passe",
    hint: "Au moins {min} caractères. Quelques mots sans rapport donnent un mot de passe facile à retenir et difficile à deviner.",
    submit_invite: "Terminer l'inscription",
    submit_reset: "Enregistrer le nouveau mot de passe",
    done_title: "C'est fait",
    done_invite: "Votre compte est prêt. Vous pouvez maintenant vous connecter avec votre nouveau mot de passe.",
    done_reset: "Votre mot de passe a été modifié. Utilisez désormais le nouveau.",
    invalid_title: "Ce lien ne peut pas être utilisé",
    invalid_body: "Le lien a peut-être expiré ou a déjà été utilisé. Demandez-en un nouveau à son expéditeur.",
    mismatch: "Les deux mots de passe ne sont pas identiques.",
    csrf: "Le formulaire a expiré. Veuillez saisir à nouveau votre mot de passe.",
    too_short: "Le mot de passe est trop court : utilisez au moins {min} caractères.",
    too_long: "Le mot de passe est trop long.",
    common_password: "Ce mot de passe fait partie des plus courants, que les attaquants essaient en premier. Choisissez-en un moins prévisible.",
    same_as_email: "Le mot de passe ne doit pas être votre adresse e-mail.",
    same_as_username: "Le mot de passe ne doit pas être votre nom d'utilisateur.",
    busy: "Votre mot de passe n'a pas pu être enregistré pour le moment. Veuillez réessayer dans un instant.",
};

pub fn words(lang: Language) -> &'static Words {
    match lang {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
    }
}

/// The visitor's preferred language among those Usher speaks, from
/// `Accept-Language` (quality values respected), English otherwise.
pub fn negotiate(headers: &HeaderMap) -> Language {
    let Some(v) = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return Language::En;
    };
    let mut best: Option<(f32, Language)> = None;
    for part in v.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Ok(lang) = Language::parse("", primary)
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Language::En)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn the_best_supported_language_wins() {
        assert_eq!(negotiate(&with("fr-CH, fr;q=0.9, en;q=0.8")), Language::Fr);
        assert_eq!(negotiate(&with("es, de;q=0.5, en;q=0.4")), Language::De);
        assert_eq!(negotiate(&with("ja")), Language::En);
        assert_eq!(negotiate(&HeaderMap::new()), Language::En);
    }
}
