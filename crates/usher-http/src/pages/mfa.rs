//! The second step of a login at `/t/{tenant}/mfa`: a TOTP or recovery
//! code, or, when the tenant requires a second factor the user lacks,
//! enrolling an authenticator app (its QR code and secret) and confirming
//! it with a first code.

use super::i18n::login_words;
use super::kit::{
    Area, csrf_field, csrf_matches, csrf_token, error_box, esc, field, form_fields, form_page_in,
    hidden_field, see_other, with_strong,
};
use super::login::{refused_login, signed_in};
use super::not_found;
use crate::AppState;
use crate::extract::{Page, Visitor, client_context};
use crate::metrics::LoginCount;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use usher_core::Error;
use usher_core::error::ErrorCode;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

/// The enrolment shown during a login: the secret and its URI, carried
/// through the form so a wrong code can show them again.
pub(crate) struct EnrolView {
    pub secret: String,
    pub uri: String,
}

/// What the second-step form shows, and where it is sent.
pub(crate) struct CodeForm<'a> {
    pub area: Area,
    /// The path the form posts to.
    pub action: &'a str,
    pub status: StatusCode,
    pub csrf: &'a str,
    pub mfa_token: &'a str,
    pub recovery: bool,
    pub enrol: Option<&'a EnrolView>,
    pub error: Option<&'a str>,
}

pub(crate) fn code_page(
    state: &AppState,
    tenant: &Tenant,
    lang: Language,
    f: CodeForm<'_>,
) -> Response {
    let w = login_words(lang);
    let (title, intro) = match (f.enrol, f.recovery) {
        (Some(_), _) => (w.title_enrol, w.intro_enrol),
        (None, true) => (w.title_mfa, w.intro_mfa_recovery),
        (None, false) => (w.title_mfa, w.intro_mfa),
    };
    let intro = with_strong(intro, &[("{tenant}", &tenant.name)]);
    let enrolment = f
        .enrol
        .map(|e| {
            // Only a URI of our own shape is drawn; the SVG is ours.
            let qr = if e.uri.starts_with("otpauth://totp/") && e.uri.len() <= 1024 {
                usher_core::mfa::qr_svg(&e.uri)
            } else {
                String::new()
            };
            format!(
                "<figure id=\"qr\" aria-label=\"QR code\">{qr}</figure>\n\
                 <p>{label}: <code id=\"totp-secret\">{secret}</code></p>\n\
                 {secret_field}\n\
                 {uri_field}\n",
                label = esc(w.label_secret),
                secret = esc(&e.secret),
                secret_field = hidden_field("secret", &e.secret),
                uri_field = hidden_field("uri", &e.uri),
            )
        })
        .unwrap_or_default();
    let inputmode = if f.recovery { "text" } else { "numeric" };
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"code-error\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\" action=\"{action}\">\n\
         {csrf}\n\
         {token}\n\
         {recovery}\n\
         {enrolment}<label for=\"code\">{l_code}</label>\n\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"{inputmode}\" autocomplete=\"one-time-code\" required maxlength=\"32\" autofocus{invalid}>\n\
         <button type=\"submit\">{submit}</button>\n</form>",
        error = error_box(f.error, "code-error"),
        action = esc(f.action),
        csrf = csrf_field(f.csrf),
        token = hidden_field("mfa_token", f.mfa_token),
        recovery = hidden_field("recovery", &u8::from(f.recovery).to_string()),
        l_code = esc(w.label_code),
        submit = esc(w.submit_code),
    );
    form_page_in(f.area, state, f.status, lang, title, &body, f.csrf)
}

pub(super) async fn redirect_to_login(Path(slug): Path<String>) -> Response {
    // The second step has nothing to show without the login before it.
    match usher_core::tenant::TenantSlug::parse(&slug) {
        Ok(s) => see_other(&format!("/t/{s}/login")),
        Err(_) => not_found(Language::En),
    }
}

/// Where a login's second step is shown: the part of the site and the
/// path its form posts to.
pub(crate) struct StepAt {
    pub area: Area,
    pub action: String,
}

/// The second step after a good password: the code form, with an
/// authenticator app to enrol first when the login says so (the
/// enrolment is made now, so that a wrong code can show it again).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn second_step(
    state: &AppState,
    tenant: &Tenant,
    ctx: &usher_core::audit::AuditContext,
    lang: Language,
    csrf: &str,
    at: StepAt,
    mfa_token: &usher_core::token::Secret,
    methods: &[&str],
    enrolment: bool,
) -> Result<Response, Error> {
    let enrol = if enrolment {
        let e = state
            .services
            .enrol_totp_at_login(tenant, ctx, mfa_token.expose())
            .await?;
        Some(EnrolView {
            secret: e.secret,
            uri: e.otpauth_uri,
        })
    } else {
        None
    };
    let form = CodeForm {
        area: at.area,
        action: &at.action,
        status: StatusCode::OK,
        csrf,
        mfa_token: mfa_token.expose(),
        recovery: methods.contains(&"recovery_code"),
        enrol: enrol.as_ref(),
        error: None,
    };
    Ok(code_page(state, tenant, lang, form))
}

/// A second-step form as the browser sent it: its fields, and what is
/// needed to show it again with an error (the enrolment it carried, the
/// CSRF token, where it posts).
pub(crate) struct SubmittedCode {
    fields: Vec<(String, String)>,
    csrf: String,
    enrol: Option<EnrolView>,
    area: Area,
    action: String,
}

impl SubmittedCode {
    pub(crate) fn read(headers: &HeaderMap, body: &[u8], area: Area, action: String) -> Self {
        let fields = form_fields(body);
        let enrol = (!field(&fields, "secret").is_empty()).then(|| EnrolView {
            secret: field(&fields, "secret").to_owned(),
            uri: field(&fields, "uri").to_owned(),
        });
        Self {
            csrf: csrf_token(headers),
            fields,
            enrol,
            area,
            action,
        }
    }

    /// One field, empty when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        field(&self.fields, name)
    }

    /// Whether the form repeats the browser's CSRF token.
    pub(crate) fn csrf_ok(&self, headers: &HeaderMap) -> bool {
        csrf_matches(headers, self.get("csrf"))
    }

    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The form again, with `error` and `status`.
    pub(crate) fn again(
        &self,
        state: &AppState,
        tenant: &Tenant,
        lang: Language,
        status: StatusCode,
        error: &str,
    ) -> Response {
        let form = CodeForm {
            area: self.area,
            action: &self.action,
            status,
            csrf: &self.csrf,
            mfa_token: self.get("mfa_token"),
            recovery: self.get("recovery") == "1",
            enrol: self.enrol.as_ref(),
            error: Some(error),
        };
        code_page(state, tenant, lang, form)
    }
}

pub(super) async fn submit_code_form(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = login_words(lang);
    let action = format!("/t/{}/mfa", tenant.slug);
    let sent = SubmittedCode::read(&headers, &body, Area::EndUser, action);
    let again = |status, error| sent.again(&state, &tenant, lang, status, error);
    if !sent.csrf_ok(&headers) {
        return again(StatusCode::FORBIDDEN, w.csrf);
    }
    let get = |k: &str| sent.get(k);
    let outcome = state
        .services
        .login_second_factor(
            &tenant,
            &ctx,
            get("mfa_token"),
            get("code"),
            client_context(&headers),
        )
        .await;
    state
        .metrics
        .count_login(LoginCount::of_second_factor(&outcome));
    match outcome {
        Ok(signed) => signed_in(&state, &tenant, signed),
        Err(Error::Unauthorized {
            code: ErrorCode::InvalidCode,
            ..
        }) => again(StatusCode::UNAUTHORIZED, w.wrong_code),
        Err(e) => refused_login(&state, &tenant, lang, sent.csrf(), "", e),
    }
}
