//! `/t/{tenant}/forgot`: "Forgot your password?". The visitor gives an
//! email; when an account has it, a reset link is mailed (see
//! `usher_core::service` `forgot_password`). The page that follows says the
//! same whether or not one does.

use super::busy;
use super::kit::{
    csrf_field, csrf_matches, csrf_token, error_box, esc, field, form_fields, form_page,
    message_page, retry_after,
};
use crate::AppState;
use crate::extract::{Page, Visitor};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use usher_core::Error;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(
        "/t/{tenant}/forgot",
        get(show_forgot_form).post(submit_forgot_form),
    )
}

/// The words of this page and of the login page's link to it.
pub(super) struct ForgotWords {
    pub link: &'static str,
    title: &'static str,
    intro: &'static str,
    label_email: &'static str,
    submit: &'static str,
    sent_title: &'static str,
    sent_body: &'static str,
    invalid_email: &'static str,
    csrf: &'static str,
    throttled: &'static str,
    back: &'static str,
}

const EN: ForgotWords = ForgotWords {
    link: "Forgot your password?",
    title: "Reset your password",
    intro: "Enter the email address of your account and we will send you a link to choose a new password.",
    label_email: "Email",
    submit: "Send the link",
    sent_title: "Check your email",
    sent_body: "If an account uses this address, a link to choose a new password is on its way. It works once and expires after a while; your current password keeps working until you use it.",
    invalid_email: "Enter an email address such as alex@example.com.",
    csrf: "The form expired. Please send it again.",
    throttled: "Too many requests from your network. Try again in {mins} minutes.",
    back: "Back to sign in",
};

const DE: ForgotWords = ForgotWords {
    link: "Passwort vergessen?",
    title: "Passwort zurücksetzen",
    intro: "Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen.",
    label_email: "E-Mail",
    submit: "Link senden",
    sent_title: "Sehen Sie in Ihr Postfach",
    sent_body: "Wenn ein Konto diese Adresse verwendet, ist ein Link zum Wählen eines neuen Passworts unterwegs. Er gilt einmal und läuft nach einiger Zeit ab; Ihr bisheriges Passwort gilt, bis Sie ihn verwenden.",
    invalid_email: "Geben Sie eine E-Mail-Adresse wie alex@example.com ein.",
    csrf: "Das Formular ist abgelaufen. Bitte senden Sie es erneut.",
    throttled: "Zu viele Anfragen aus Ihrem Netz. Versuchen Sie es in {mins} Minuten erneut.",
    back: "Zurück zur Anmeldung",
};

const FR: ForgotWords = ForgotWords {
    link: "Mot de passe oublié ?",
    title: "Réinitialiser votre mot de passe",
    intro: "Saisissez l’adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
    label_email: "E-mail",
    submit: "Envoyer le lien",
    sent_title: "Consultez vos e-mails",
    sent_body: "Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe est en route. Il ne sert qu’une fois et expire au bout d’un moment ; votre mot de passe actuel reste valable jusqu’à ce que vous l’utilisiez.",
    invalid_email: "Saisissez une adresse e-mail comme alex@example.com.",
    csrf: "Le formulaire a expiré. Veuillez l’envoyer à nouveau.",
    throttled: "Trop de demandes depuis votre réseau. Réessayez dans {mins} minutes.",
    back: "Retour à la connexion",
};

pub(super) fn forgot_words(lang: Language) -> &'static ForgotWords {
    match lang {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
    }
}

fn forgot_page(
    state: &AppState,
    tenant: &Tenant,
    lang: Language,
    status: StatusCode,
    csrf: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let w = forgot_words(lang);
    let invalid = if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"forgot-error\""
    } else {
        ""
    };
    let slug = esc(tenant.slug.as_str());
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\" action=\"/t/{slug}/forgot\">\n\
         {csrf}\n\
         <label for=\"email\">{l_email}</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\"{invalid}>\n\
         <button type=\"submit\">{submit}</button>\n</form>\n\
         <p><a href=\"/t/{slug}/login\">{back}</a></p>",
        intro = esc(w.intro),
        error = error_box(error, "forgot-error"),
        csrf = csrf_field(csrf),
        l_email = esc(w.label_email),
        email = esc(email),
        submit = esc(w.submit),
        back = esc(w.back),
    );
    form_page(state, status, lang, w.title, &body, csrf)
}

async fn show_forgot_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Page,
) -> Response {
    let Page { tenant, lang } = page;
    let csrf = csrf_token(&headers);
    forgot_page(&state, &tenant, lang, StatusCode::OK, &csrf, "", None)
}

async fn submit_forgot_form(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = forgot_words(lang);
    let fields = form_fields(&body);
    let email = field(&fields, "email");
    let csrf = csrf_token(&headers);
    let form = |status, error| forgot_page(&state, &tenant, lang, status, &csrf, email, error);
    if !csrf_matches(&headers, field(&fields, "csrf")) {
        return form(StatusCode::FORBIDDEN, Some(w.csrf));
    }
    match state.services.forgot_password(&tenant, &ctx, email).await {
        Ok(()) => message_page(lang, StatusCode::OK, w.sent_title, w.sent_body),
        Err(Error::Validation(_)) => form(StatusCode::UNPROCESSABLE_ENTITY, Some(w.invalid_email)),
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            let mins = retry_after_secs.div_ceil(60).to_string();
            let text = w.throttled.replace("{mins}", &mins);
            retry_after(
                form(StatusCode::TOO_MANY_REQUESTS, Some(&text)),
                retry_after_secs,
            )
        }
        Err(e) => busy(lang, &e),
    }
}
