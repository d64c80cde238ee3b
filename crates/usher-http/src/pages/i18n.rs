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

/// Every phrase of the login, second-factor and sessions pages.
#[derive(Debug, Clone, Copy)]
pub struct LoginWords {
    pub title_login: &'static str,
    pub intro_login: &'static str,
    pub label_email: &'static str,
    pub label_password: &'static str,
    pub submit_login: &'static str,
    pub wrong: &'static str,
    pub blocked_title: &'static str,
    pub blocked_body: &'static str,
    pub throttled: &'static str,
    pub title_mfa: &'static str,
    pub intro_mfa: &'static str,
    pub intro_mfa_recovery: &'static str,
    pub label_code: &'static str,
    pub submit_code: &'static str,
    pub wrong_code: &'static str,
    pub expired: &'static str,
    pub title_enrol: &'static str,
    pub intro_enrol: &'static str,
    pub label_secret: &'static str,
    pub title_sessions: &'static str,
    pub intro_sessions: &'static str,
    pub col_device: &'static str,
    pub col_address: &'static str,
    pub col_started: &'static str,
    pub col_seen: &'static str,
    pub this_device: &'static str,
    pub unknown_device: &'static str,
    pub sign_out: &'static str,
    pub log_out: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub csrf: &'static str,
    pub busy: &'static str,
}

const LOGIN_EN: LoginWords = LoginWords {
    title_login: "Sign in",
    intro_login: "Sign in to {tenant}.",
    label_email: "Email",
    label_password: "Password",
    submit_login: "Sign in",
    wrong: "The email or password is wrong.",
    blocked_title: "Your account is blocked",
    blocked_body: "Your account is blocked, so you cannot sign in. Contact your administrator to have it unblocked.",
    throttled: "Too many failed attempts. Wait {secs} seconds, then try again.",
    title_mfa: "Two-step verification",
    intro_mfa: "Enter the 6-digit code your authenticator app shows.",
    intro_mfa_recovery: "Enter the 6-digit code your authenticator app shows, or one of your recovery codes.",
    label_code: "Code",
    submit_code: "Verify",
    wrong_code: "That code is not valid. Enter the code your app shows now.",
    expired: "This sign-in took too long or was already used. Please sign in again.",
    title_enrol: "Set up two-step verification",
    intro_enrol: "{tenant} asks for a second step at every sign-in. Scan this QR code with an authenticator app, or type in the key below, then enter the code the app shows.",
    label_secret: "Key",
    title_sessions: "Your sessions",
    intro_sessions: "Signed in as {email}. These devices are signed in to your account; sign out any you do not recognise.",
    col_device: "Device",
    col_address: "Address",
    col_started: "Signed in",
    col_seen: "Last active",
    this_device: "This device",
    unknown_device: "Unknown device",
    sign_out: "Sign out",
    log_out: "Log out",
    not_found_title: "Page not found",
    not_found_body: "This page does not exist. Check the address you were given.",
    csrf: "The form expired. Please try again.",
    busy: "Something went wrong on our side. Please try again in a moment.",
};

const LOGIN_DE: LoginWords = LoginWords {
    title_login: "Anmelden",
    intro_login: "Bei {tenant} anmelden.",
    label_email: "E-Mail",
    label_password: "Passwort",
    submit_login: "Anmelden",
    wrong: "E-Mail-Adresse oder Passwort ist falsch.",
    blocked_title: "Ihr Konto ist gesperrt",
    blocked_body: "Ihr Konto ist gesperrt, daher können Sie sich nicht anmelden. Wenden Sie sich an Ihre Administration, um es entsperren zu lassen.",
    throttled: "Zu viele Fehlversuche. Warten Sie {secs} Sekunden und versuchen Sie es dann erneut.",
    title_mfa: "Bestätigung in zwei Schritten",
    intro_mfa: "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein.",
    intro_mfa_recovery: "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.",
    label_code: "Code",
    submit_code: "Bestätigen",
    wrong_code: "Dieser Code ist ungültig. Geben Sie den Code ein, den Ihre App gerade anzeigt.",
    expired: "Diese Anmeldung hat zu lange gedauert oder wurde bereits verwendet. Bitte melden Sie sich erneut an.",
    title_enrol: "Bestätigung in zwei Schritten einrichten",
    intro_enrol: "{tenant} verlangt bei jeder Anmeldung einen zweiten Schritt. Scannen Sie diesen QR-Code mit einer Authenticator-App oder geben Sie den Schlüssel unten ein, dann den Code, den die App anzeigt.",
    label_secret: "Schlüssel",
    title_sessions: "Ihre Sitzungen",
    intro_sessions: "Angemeldet als {email}. Diese Geräte sind bei Ihrem Konto angemeldet; melden Sie alle ab, die Sie nicht kennen.",
    col_device: "Gerät",
    col_address: "Adresse",
    col_started: "Angemeldet",
    col_seen: "Zuletzt aktiv",
    this_device: "Dieses Gerät",
    unknown_device: "Unbekanntes Gerät",
    sign_out: "Abmelden",
    log_out: "Abmelden",
    not_found_title: "Seite nicht gefunden",
    not_found_body: "Diese Seite gibt es nicht. Prüfen Sie die Adresse, die Sie erhalten haben.",
    csrf: "Das Formular ist abgelaufen. Bitte versuchen Sie es erneut.",
    busy: "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es gleich noch einmal.",
};

const LOGIN_FR: LoginWords = LoginWords {
    title_login: "Se connecter",
    intro_login: "Connectez-vous à {tenant}.",
    label_email: "E-mail",
    label_password: "Mot de passe",
    submit_login: "Se connecter",
    wrong: "L'adresse e-mail ou le mot de passe est incorrect.",
    blocked_title: "Votre compte est bloqué",
    blocked_body: "Votre compte est bloqué, vous ne pouvez donc pas vous connecter. Contactez votre administrateur pour le faire débloquer.",
    throttled: "Trop de tentatives échouées. Attendez {secs} secondes, puis réessayez.",
    title_mfa: "Validation en deux étapes",
    intro_mfa: "Saisissez le code à 6 chiffres affiché par votre application d'authentification.",
    intro_mfa_recovery: "Saisissez le code à 6 chiffres affiché par votre application d'authentification, ou l'un de vos codes de récupération.",
    label_code: "Code",
    submit_code: "Valider",
    wrong_code: "Ce code n'est pas valide. Saisissez le code que votre application affiche maintenant.",
    expired: "Cette connexion a pris trop de temps ou a déjà été utilisée. Veuillez vous reconnecter.",
    title_enrol: "Configurer la validation en deux étapes",
    intro_enrol: "{tenant} demande une seconde étape à chaque connexion. Scannez ce code QR avec une application d'authentification, ou saisissez la clé ci-dessous, puis le code affiché par l'application.",
    label_secret: "Clé",
    title_sessions: "Vos sessions",
    intro_sessions: "Connecté en tant que {email}. Ces appareils sont connectés à votre compte ; déconnectez ceux que vous ne reconnaissez pas.",
    col_device: "Appareil",
    col_address: "Adresse",
    col_started: "Connecté le",
    col_seen: "Dernière activité",
    this_device: "Cet appareil",
    unknown_device: "Appareil inconnu",
    sign_out: "Déconnecter",
    log_out: "Se déconnecter",
    not_found_title: "Page introuvable",
    not_found_body: "Cette page n'existe pas. Vérifiez l'adresse que vous avez reçue.",
    csrf: "Le formulaire a expiré. Veuillez réessayer.",
    busy: "Un problème est survenu de notre côté. Veuillez réessayer dans un instant.",
};

pub fn login_words(lang: Language) -> &'static LoginWords {
    match lang {
        Language::En => &LOGIN_EN,
        Language::De => &LOGIN_DE,
        Language::Fr => &LOGIN_FR,
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
