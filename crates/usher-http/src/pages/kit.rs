//! The small HTML kit every end-user page is drawn with: escaping, the page
//! shell and its headers, error boxes, redirects, cookies, and the CSRF
//! token that every form repeats from a `SameSite=Strict` cookie.

use crate::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
pub(crate) use usher_core::mail::escape_html as esc;
use usher_core::user::fields::Language;

const CSRF_COOKIE: &str = "usher_csrf";
const MAX_FORM: usize = 16 * 1024;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}\
input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #767676;border-radius:4px}\
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}.hint{font-size:.9rem;color:#444}\
.error{background:#fde8e8;border-left:4px solid #b91c1c;padding:.6rem;margin:1rem 0}\
button{margin-top:1.5rem;padding:.7rem 1.2rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;cursor:pointer}\
table{width:100%;border-collapse:collapse;font-size:.9rem;margin-top:1rem}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}\
button.small{margin:0;padding:.3rem .6rem;font-size:.85rem}.hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}\
figure{margin:1rem 0}figure svg{width:12rem;height:12rem}code{font-size:1rem;word-break:break-all}";

/// The page shell: `title` as the title and heading, `body` (HTML) inside.
pub(crate) fn layout(lang: Language, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\n<h1>{}</h1>\n{body}\n</main></body></html>\n",
        lang.as_str(),
        esc(title),
        esc(title)
    )
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    // Pages carry one-time tokens and secrets: never cached, never sent on
    // as a referrer.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The part of the site a form belongs to: the end-user pages under
/// `/t/`, or the admin console under `/console/`. Each keeps its CSRF
/// cookie to its own paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    EndUser,
    Console,
}

impl Area {
    fn cookie_path(self) -> &'static str {
        match self {
            Area::EndUser => "/t/",
            Area::Console => "/console/",
        }
    }
}

/// A page with a form: the browser gets the CSRF token the form repeats.
pub(crate) fn form_page(
    state: &AppState,
    status: StatusCode,
    lang: Language,
    title: &str,
    body: &str,
    csrf: &str,
) -> Response {
    form_page_in(Area::EndUser, state, status, lang, title, body, csrf)
}

/// [`form_page`] for a form of `area`.
pub(crate) fn form_page_in(
    area: Area,
    state: &AppState,
    status: StatusCode,
    lang: Language,
    title: &str,
    body: &str,
    csrf: &str,
) -> Response {
    let mut res = html(status, layout(lang, title, body));
    set_csrf_cookie(state, &mut res, csrf, area);
    res
}

/// A page that only says `text`, announced to screen readers.
pub(crate) fn message_page(
    lang: Language,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    let body = format!("<p role=\"alert\">{}</p>", esc(text));
    html(status, layout(lang, title, &body))
}

/// The box above a form that says what went wrong (nothing without an
/// error); `id` is what the invalid inputs point at.
pub(crate) fn error_box(error: Option<&str>, id: &str) -> String {
    error
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\" id=\"{id}\">{}</div>\n",
                esc(e)
            )
        })
        .unwrap_or_default()
}

/// Escaped text with each placeholder (`{tenant}`, `{email}`) replaced by
/// its value in bold, in the order given.
pub(crate) fn with_strong(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(esc(text), |html, (placeholder, value)| {
        html.replace(placeholder, &format!("<strong>{}</strong>", esc(value)))
    })
}

pub(crate) fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A cookie of ours by name: only base64url characters are ever accepted.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `; Secure` when Usher is served over HTTPS.
pub(crate) fn secure_attr(state: &AppState) -> &'static str {
    if state.services.options().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// Sets a cookie on a response (values are ours: base64url or digits).
/// `res` with `Retry-After` (a throttled form's page).
pub(crate) fn retry_after(mut res: Response, secs: u64) -> Response {
    res.headers_mut()
        .insert(axum::http::header::RETRY_AFTER, secs.into());
    res
}

pub(crate) fn set_cookie(res: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn csrf_from_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|v| v.len() == 43)
}

/// A new CSRF token.
pub(crate) fn new_csrf() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The browser's CSRF token, or a new one.
pub(crate) fn csrf_token(headers: &HeaderMap) -> String {
    csrf_from_cookie(headers).unwrap_or_else(new_csrf)
}

/// A hidden form field (`name` is ours; `value` is escaped).
pub(crate) fn hidden_field(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        esc(value)
    )
}

/// The hidden form field that repeats the CSRF token.
pub(crate) fn csrf_field(csrf: &str) -> String {
    hidden_field("csrf", csrf)
}

/// Hands the browser the CSRF token the forms of `area` must repeat.
pub(crate) fn set_csrf_cookie(state: &AppState, res: &mut Response, csrf: &str, area: Area) {
    let cookie = format!(
        "{CSRF_COOKIE}={csrf}; Path={}; HttpOnly; SameSite=Strict{}",
        area.cookie_path(),
        secure_attr(state)
    );
    set_cookie(res, &cookie);
}

/// Whether a form repeats the CSRF token of the browser's cookie.
pub(crate) fn csrf_matches(headers: &HeaderMap, sent: &str) -> bool {
    let cookie = csrf_from_cookie(headers).unwrap_or_default();
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(sent.as_bytes()))
}

/// The fields of an urlencoded form (nothing for an oversized body).
pub(crate) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    if body.len() <= MAX_FORM {
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    }
}

/// One field of a form, empty when absent.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}
