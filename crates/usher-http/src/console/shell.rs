//! The frame of every console page after sign-in: a header naming the
//! tenant and the signed-in admin, the navigation, and the sign-out form;
//! the page itself in `<main>`. The same headers as the end-user pages
//! (`crate::pages::kit::html`): a strict CSP with no script, no caching,
//! no referrer. The style sheet is inline and small; the console's
//! budget is 100 KB of CSS and JavaScript in all.

use super::words::console_words;
use crate::AppState;
use crate::pages::kit::{Area, csrf_field, esc, html, set_csrf_cookie, with_strong};
use axum::http::StatusCode;
use axum::response::Response;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0}\
header{background:#1e293b;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1.2rem}\
header a{color:#fff}header .who{margin-left:auto;font-size:.9rem}header form{margin:0}\
header button{background:#fff;color:#1e293b;border:0;border-radius:4px;padding:.35rem .8rem;cursor:pointer}\
nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1rem}nav a[aria-current]{font-weight:700}\
main{max-width:72rem;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.4rem;margin-top:0}label{font-weight:600;font-size:.9rem;display:block}\
input,select{padding:.45rem;font-size:.95rem;border:1px solid #767676;border-radius:4px}\
input:focus,select:focus,button:focus,a:focus{outline:3px solid #1d4ed8;outline-offset:2px}\
.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-end}\
.filters button{padding:.5rem 1rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;cursor:pointer}\
table{width:100%;border-collapse:collapse;font-size:.9rem;margin-top:1rem}\
th,td{text-align:left;padding:.45rem;border-bottom:1px solid #ddd}\
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;background:#e2e8f0}\
.badge.active{background:#dcfce7;color:#14532d}.badge.blocked,.badge.disabled{background:#fee2e2;color:#7f1d1d}\
.badge.pending_invitation{background:#fef9c3;color:#713f12}\
.error{background:#fde8e8;border-left:4px solid #b91c1c;padding:.6rem;margin:1rem 0}\
.pager{display:flex;gap:1rem;margin-top:1rem;list-style:none;padding:0}.muted{color:#444}\
ul.actions,ul.tabs{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}\
a.button,.buttons button{display:inline-block;padding:.45rem .9rem;border-radius:4px;background:#1d4ed8;color:#fff;text-decoration:none;border:0;font-size:.95rem;cursor:pointer}\
.buttons{display:flex;gap:1rem;align-items:center;margin-top:1rem}.buttons button.danger{background:#b91c1c}\
ul.tabs{border-bottom:1px solid #ccc;padding-bottom:.4rem}ul.tabs a[aria-current]{font-weight:700;text-decoration:none}\
dl.profile{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.2rem}dl.profile dt{font-weight:600}dl.profile dd{margin:0}\
textarea{width:100%;box-sizing:border-box;padding:.45rem;font-size:.95rem;border:1px solid #767676;border-radius:4px}\
.notice{background:#fef3c7;border-left:4px solid #92400e;padding:.6rem}\
.field{margin:.7rem 0}.field input,.field select{width:100%;max-width:28rem;box-sizing:border-box}\
.field-error{color:#b91c1c;margin:.2rem 0 0}.filters .field{margin:0}fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0}\
label.inline{display:inline;font-weight:400}form.inline{display:inline;margin:0}\
button.small{padding:.25rem .6rem;font-size:.85rem;border:1px solid #1d4ed8;border-radius:4px;background:#fff;color:#1d4ed8;cursor:pointer}\
.hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}";

/// A console page for a signed-in admin: `title` as the title and
/// heading, `body` (HTML) inside, `current` the navigation entry to mark.
pub(super) struct Shell<'a> {
    pub tenant: &'a Tenant,
    pub lang: Language,
    pub email: &'a str,
    pub csrf: &'a str,
    pub title: &'a str,
    pub current: &'a str,
    /// Whether the admin may read the audit log (its navigation entry).
    pub audit: bool,
    /// Whether the admin may read the tenant's settings.
    pub settings: bool,
    /// Whether the admin may see bulk processes and imports.
    pub bulk: bool,
}

impl Shell<'_> {
    pub(super) fn render(&self, state: &AppState, status: StatusCode, body: &str) -> Response {
        let c = console_words(self.lang);
        let slug = esc(self.tenant.slug.as_str());
        let mut entries = vec![("users", c.nav_users)];
        if self.audit {
            entries.push(("audit", c.nav_audit));
        }
        if self.bulk {
            entries.push(("bulk", super::bulk_words::bulk_words(self.lang).nav));
        }
        if self.settings {
            entries.push((
                "settings",
                super::settings_words::settings_words(self.lang).nav,
            ));
        }
        let nav = entries
            .iter()
            .map(|(page, label)| {
                let current = if *page == self.current {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                format!(
                    "<li><a href=\"/console/{slug}/{page}\"{current}>{}</a></li>",
                    esc(label)
                )
            })
            .collect::<String>();
        let who = with_strong(c.signed_in_as, &[("{email}", self.email)]);
        let page = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · {tenant}</title><style>{STYLE}</style></head>\n<body>\n\
             <header><strong>{tenant}</strong>\
             <nav aria-label=\"{console}\"><ul>{nav}</ul></nav>\
             <span class=\"who\">{who}</span>\
             <form method=\"post\" action=\"/console/{slug}/logout\">{csrf}\
             <button type=\"submit\">{sign_out}</button></form></header>\n\
             <main>\n<h1>{title}</h1>\n{body}\n</main></body></html>\n",
            lang = self.lang.as_str(),
            title = esc(self.title),
            tenant = esc(&self.tenant.name),
            console = esc(c.title_sign_in),
            csrf = csrf_field(self.csrf),
            sign_out = esc(c.sign_out),
        );
        let mut res = html(status, page);
        set_csrf_cookie(state, &mut res, self.csrf, Area::Console);
        res
    }
}
