//! `/t/{tenant}/account`, where a signed-in user looks after their own
//! credentials: changes the password (the other sessions end), sets up an
//! authenticator app, and makes new recovery codes, beside a link to the
//! sessions page. The two second-factor actions ask for the password in
//! their own form, which renews the session's proof of identity
//! (`POST …/auth/reauthenticate` in the JSON API) just before the change.

use super::account_words::account_words;
use super::busy;
use super::i18n::{login_words, words};
use super::kit::{
    csrf_field, csrf_token, error_box, esc, field, form_fields, form_page, retry_after, with_strong,
};
use super::links::field_message;
use super::sessions::{as_user, form_caller};
use crate::AppState;
use crate::extract::{Page, Visitor};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use usher_core::Error;
use usher_core::audit::AuditContext;
use usher_core::error::ErrorCode;
use usher_core::factor::FactorKind;
use usher_core::service::{Enrolment, Proof, SessionCaller};
use usher_core::tenant::Tenant;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/account", get(show_account))
        .route("/t/{tenant}/account/password", post(change_password))
        .route("/t/{tenant}/account/totp", post(start_app))
        .route("/t/{tenant}/account/totp/confirm", post(confirm_app))
        .route("/t/{tenant}/account/recovery-codes", post(new_codes))
}

/// A line above the page's sections: done (a status) or refused (an alert).
enum Notice<'a> {
    None,
    Done(&'a str),
    Refused(&'a str),
}

/// A form that asks for the password before a second-factor change.
fn password_gate(
    slug: &str,
    action: &str,
    id: &str,
    csrf: &str,
    label: &str,
    button: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"/t/{slug}/account/{action}\">{csrf}\n\
         <label for=\"{id}\">{label}</label>\n\
         <input id=\"{id}\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n\
         <button type=\"submit\">{button}</button></form>",
        csrf = csrf_field(csrf),
        label = esc(label),
        button = esc(button),
    )
}

/// How many unused recovery codes the user has (`None`: no codes at all),
/// read as the user's own view of their factors (audited).
async fn codes_left(
    state: &AppState,
    tenant: &Tenant,
    ctx: &AuditContext,
    me: &SessionCaller,
) -> Result<Option<u32>, Error> {
    let factors = state
        .services
        .list_factors(tenant, ctx, &me.user.id.to_string())
        .await?;
    Ok(factors
        .iter()
        .find(|f| f.kind == FactorKind::RecoveryCodes)
        .map(|f| f.remaining.unwrap_or(0)))
}

fn account_page(
    state: &AppState,
    tenant: &Tenant,
    me: &SessionCaller,
    codes: Option<u32>,
    status: StatusCode,
    csrf: &str,
    notice: Notice<'_>,
) -> Response {
    let lang = me.user.language;
    let w = account_words(lang);
    let pw = words(lang);
    let label = login_words(lang).label_password;
    let slug = esc(tenant.slug.as_str()).to_string();
    let notice = match notice {
        Notice::None => String::new(),
        Notice::Done(text) => format!("<p role=\"status\">{}</p>\n", esc(text)),
        Notice::Refused(text) => error_box(Some(text), "account-error"),
    };
    let body = format!(
        "<p>{intro}</p>\n{notice}\
         <h2>{h_password}</h2>\n\
         <form method=\"post\" action=\"/t/{slug}/account/password\">{csrf}\n\
         <label for=\"current_password\">{l_current}</label>\n\
         <input id=\"current_password\" name=\"current_password\" type=\"password\" autocomplete=\"current-password\" required>\n\
         <label for=\"new_password\">{l_new}</label>\n\
         <input id=\"new_password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\" required>\n\
         <label for=\"password_confirmation\">{l_confirm}</label>\n\
         <input id=\"password_confirmation\" name=\"password_confirmation\" type=\"password\" autocomplete=\"new-password\" required>\n\
         <button type=\"submit\">{submit_password}</button></form>\n\
         <h2>{h_app}</h2>\n<p>{app_state}</p>\n<p>{gate}</p>\n{app_form}\n\
         <h2>{h_codes}</h2>\n<p>{codes_intro}</p>\n<p id=\"codes-left\">{codes_left}</p>\n{codes_form}\n\
         <p><a href=\"/t/{slug}/sessions\">{sessions}</a></p>",
        intro = with_strong(w.intro, &[("{email}", me.user.email.as_str())]),
        h_password = esc(w.password_heading),
        csrf = csrf_field(csrf),
        l_current = esc(w.label_current),
        l_new = esc(pw.label_password),
        l_confirm = esc(pw.label_confirm),
        submit_password = esc(w.submit_password),
        h_app = esc(w.app_heading),
        app_state = esc(if me.user.mfa_enrolled {
            w.app_on
        } else {
            w.app_off
        }),
        gate = esc(w.confirm_with_password),
        app_form = password_gate(&slug, "totp", "app_password", csrf, label, w.submit_app),
        h_codes = esc(w.codes_heading),
        codes_intro = esc(w.codes_intro),
        codes_left = match codes {
            Some(n) => esc(&w.codes_left.replace("{n}", &n.to_string())).to_string(),
            None => esc(w.codes_none).to_string(),
        },
        codes_form = password_gate(
            &slug,
            "recovery-codes",
            "codes_password",
            csrf,
            label,
            w.submit_codes,
        ),
        sessions = esc(w.sessions_link),
    );
    form_page(state, status, lang, w.title, &body, csrf)
}

/// A form post of this page: its signed-in user (the CSRF token checked),
/// their audit context, the form's fields and the page's CSRF token.
struct AccountPost {
    tenant: Tenant,
    me: SessionCaller,
    ctx: AuditContext,
    fields: Vec<(String, String)>,
    csrf: String,
}

impl FromRequest<AppState> for AccountPost {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Page { tenant, lang } = Page::from_request_parts(&mut parts, state).await?;
        let Ok(Visitor(ctx)) = Visitor::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let me = form_caller(state, &tenant, &headers, &body, lang).await?;
        Ok(Self {
            ctx: as_user(ctx, &me),
            fields: form_fields(&body),
            csrf: csrf_token(&headers),
            tenant,
            me,
        })
    }
}

async fn show_account(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
) -> Response {
    let Page { tenant, lang } = page;
    let me = match super::sessions::cookie_session(&state, &tenant, &headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return super::kit::see_other(&format!("/t/{}/login", tenant.slug)),
        Err(e) => return busy(lang, &e),
    };
    let ctx = as_user(ctx, &me);
    let codes = match codes_left(&state, &tenant, &ctx, &me).await {
        Ok(c) => c,
        Err(e) => return busy(lang, &e),
    };
    let csrf = csrf_token(&headers);
    account_page(
        &state,
        &tenant,
        &me,
        codes,
        StatusCode::OK,
        &csrf,
        Notice::None,
    )
}

impl AccountPost {
    /// The account page for this user, with `notice`.
    async fn page(&self, state: &AppState, status: StatusCode, notice: Notice<'_>) -> Response {
        let codes = match codes_left(state, &self.tenant, &self.ctx, &self.me).await {
            Ok(c) => c,
            Err(e) => return busy(self.me.user.language, &e),
        };
        account_page(
            state,
            &self.tenant,
            &self.me,
            codes,
            status,
            &self.csrf,
            notice,
        )
    }

    /// The account page again, saying why the form was refused.
    async fn refused(&self, state: &AppState, e: Error) -> Response {
        let lang = self.me.user.language;
        let w = account_words(lang);
        match e {
            Error::Validation(v) => {
                let text = match v.0.first().map(|f| f.code) {
                    Some(ErrorCode::WrongPassword) => w.wrong_password.to_owned(),
                    other => {
                        let min = self.tenant.settings.password_min_length;
                        field_message(words(lang), other, min)
                    }
                };
                let notice = Notice::Refused(&text);
                self.page(state, StatusCode::UNPROCESSABLE_ENTITY, notice)
                    .await
            }
            Error::TooManyAttempts { retry_after_secs } => {
                let text = w.throttled.replace("{secs}", &retry_after_secs.to_string());
                let page = self
                    .page(state, StatusCode::TOO_MANY_REQUESTS, Notice::Refused(&text))
                    .await;
                retry_after(page, retry_after_secs)
            }
            other => busy(lang, &other),
        }
    }

    /// Renews the session's proof with the form's password; `Err` is the
    /// page to answer instead.
    async fn reauthenticate(&self, state: &AppState) -> Result<(), Response> {
        let proof = Proof::Password(field(&self.fields, "password").to_owned());
        let done = state
            .services
            .reauthenticate(&self.tenant, &self.ctx, &self.me, proof)
            .await;
        match done {
            Ok(()) => Ok(()),
            Err(e) => Err(self.refused(state, e).await),
        }
    }

    /// The page that shows a new authenticator secret (when there is one)
    /// and takes its first code.
    fn enrol_page(
        &self,
        state: &AppState,
        status: StatusCode,
        enrolment: Option<&Enrolment>,
        error: Option<&str>,
    ) -> Response {
        let lang = self.me.user.language;
        let w = account_words(lang);
        let slug = esc(self.tenant.slug.as_str());
        let secret = enrolment
            .map(|e| {
                format!(
                    "<figure>{qr}</figure>\n<p>{l_key}: <code id=\"totp-key\">{key}</code></p>\n",
                    qr = e.qr_svg,
                    l_key = esc(w.label_key),
                    key = esc(&e.secret),
                )
            })
            .unwrap_or_default();
        let body = format!(
            "<p>{intro}</p>\n{secret}{error}\
             <form method=\"post\" action=\"/t/{slug}/account/totp/confirm\">{csrf}\n\
             <label for=\"code\">{l_code}</label>\n\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" required>\n\
             <button type=\"submit\">{submit}</button></form>\n\
             <p><a href=\"/t/{slug}/account\">{back}</a></p>",
            intro = esc(w.enrol_intro),
            error = error_box(error, "enrol-error"),
            csrf = csrf_field(&self.csrf),
            l_code = esc(w.label_code),
            submit = esc(w.submit_code),
            back = esc(w.account_link),
        );
        form_page(state, status, lang, w.enrol_title, &body, &self.csrf)
    }
}

async fn change_password(State(state): State<AppState>, post: AccountPost) -> Response {
    let get = |k: &str| field(&post.fields, k);
    if get("new_password") != get("password_confirmation") {
        let text = words(post.me.user.language).mismatch;
        return post
            .page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                Notice::Refused(text),
            )
            .await;
    }
    let changed = state
        .services
        .change_password(
            &post.tenant,
            &post.ctx,
            &post.me,
            get("current_password"),
            get("new_password"),
        )
        .await;
    match changed {
        Ok(()) => {
            let done = account_words(post.me.user.language).password_changed;
            post.page(&state, StatusCode::OK, Notice::Done(done)).await
        }
        Err(e) => post.refused(&state, e).await,
    }
}

async fn start_app(State(state): State<AppState>, post: AccountPost) -> Response {
    if let Err(res) = post.reauthenticate(&state).await {
        return res;
    }
    match state
        .services
        .enrol_totp(&post.tenant, &post.ctx, &post.me)
        .await
    {
        Ok(e) => post.enrol_page(&state, StatusCode::OK, Some(&e), None),
        Err(e) => post.refused(&state, e).await,
    }
}

async fn confirm_app(State(state): State<AppState>, mut post: AccountPost) -> Response {
    let w = account_words(post.me.user.language);
    let code = field(&post.fields, "code");
    match state
        .services
        .confirm_totp(&post.tenant, &post.ctx, &post.me, code)
        .await
    {
        Ok(()) => {
            post.me.user.mfa_enrolled = true;
            post.page(&state, StatusCode::OK, Notice::Done(w.app_done))
                .await
        }
        Err(Error::Unauthorized { .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            post.enrol_page(&state, status, None, Some(w.wrong_code))
        }
        Err(e) => post.refused(&state, e).await,
    }
}

async fn new_codes(State(state): State<AppState>, post: AccountPost) -> Response {
    if let Err(res) = post.reauthenticate(&state).await {
        return res;
    }
    let codes = state
        .services
        .regenerate_recovery_codes(&post.tenant, &post.ctx, &post.me)
        .await;
    let codes = match codes {
        Ok(c) => c,
        Err(e) => return post.refused(&state, e).await,
    };
    let lang = post.me.user.language;
    let w = account_words(lang);
    let items: String = codes
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", esc(c)))
        .collect();
    let body = format!(
        "<p role=\"status\">{shown}</p>\n<ul id=\"recovery-codes\">{items}</ul>\n\
         <p><a href=\"/t/{slug}/account\">{back}</a></p>",
        shown = esc(w.codes_shown),
        slug = esc(post.tenant.slug.as_str()),
        back = esc(w.account_link),
    );
    form_page(
        &state,
        StatusCode::OK,
        lang,
        w.codes_title,
        &body,
        &post.csrf,
    )
}
