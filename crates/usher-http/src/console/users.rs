//! The users list, `/console/{tenant}/users`, the page after sign-in: 20
//! users a page in email order with first / previous / next / last, the
//! exact total, a search box with the choice of properties, and the
//! filters of the API's list (state, second factor, archived, role, last
//! sign-in). It is the API's `GET /users` read through the same service,
//! so the tenant's minimum search length, `list_requires_search`, the
//! admin's scope and the audit event (`user.list` / `user.search`, naming
//! the person) are the same. A form of GET parameters: it needs no CSRF
//! token, and every page is a link that can be kept.

use super::forms::select_input;
use super::page::ConsolePage;
use super::words::{ConsoleWords, console_words, state_label};
use crate::AppState;
use crate::pages::busy;
use crate::pages::kit::{error_box, esc, message_page};
use crate::pages::sessions::when;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use usher_core::Error;
use usher_core::listing::{Cursor, Page as UserPage};
use usher_core::service::ListParams;
use usher_core::user::{User, UserState};

/// The API route this page shows: the console allows it to whoever the
/// API would.
const ROUTE: &str = "/api/v1/tenants/{tenant}/users";
const PAGE_SIZE: i64 = 20;

/// The page's query: the filter form's fields and the cursor.
#[derive(Debug, Default)]
struct Filters {
    search: Option<String>,
    fields: Option<String>,
    state: Option<String>,
    mfa: Option<String>,
    archived: Option<String>,
    role: Option<String>,
    /// `never` or `ever`.
    login: Option<String>,
    cursor: Option<String>,
}

impl Filters {
    /// The filters of a query string (unknown parameters ignored).
    fn parse(query: &str) -> Self {
        let mut f = Filters::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "search" => &mut f.search,
                "fields" => &mut f.fields,
                "state" => &mut f.state,
                "mfa" => &mut f.mfa,
                "archived" => &mut f.archived,
                "role" => &mut f.role,
                "login" => &mut f.login,
                "cursor" => &mut f.cursor,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        f
    }

    fn params(&self) -> ListParams {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        ListParams {
            search: some(&self.search),
            fields: some(&self.fields),
            state: some(&self.state),
            mfa: some(&self.mfa),
            archived: some(&self.archived),
            role: some(&self.role),
            never_logged_in: match self.login.as_deref() {
                Some("never") => Some("true".to_owned()),
                Some("ever") => Some("false".to_owned()),
                _ => None,
            },
            limit: Some(PAGE_SIZE),
            cursor: some(&self.cursor),
            ..ListParams::default()
        }
    }

    /// The page's URL at `cursor`, keeping the filters.
    fn url(&self, slug: &str, cursor: Option<&Cursor>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("search", &self.search),
            ("fields", &self.fields),
            ("state", &self.state),
            ("mfa", &self.mfa),
            ("archived", &self.archived),
            ("role", &self.role),
            ("login", &self.login),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        if let Some(c) = cursor.and_then(Cursor::encode) {
            q.append_pair("cursor", &c);
        }
        format!("/console/{slug}/users?{}", q.finish())
    }
}

fn filter_form(
    slug: &str,
    lang: usher_core::user::fields::Language,
    w: &ConsoleWords,
    f: &Filters,
) -> String {
    let states: Vec<(&str, &str)> = std::iter::once(("", w.any))
        .chain(
            UserState::ALL
                .iter()
                .map(|s| (s.as_str(), state_label(lang, *s))),
        )
        .collect();
    let yes_no = [("", w.any), ("true", w.yes), ("false", w.no)];
    let fields = [
        ("", w.fields_all),
        ("email", w.col_email),
        ("name", w.col_name),
        ("username", "Username"),
        ("external_id", "External ID"),
        ("id", "ID"),
    ];
    let logins = [("", w.any), ("never", w.never), ("ever", w.ever)];
    format!(
        "<form method=\"get\" action=\"/console/{slug}/users\" class=\"filters\" role=\"search\">\
         <div><label for=\"search\">{l_search}</label>\
         <input id=\"search\" name=\"search\" type=\"search\" value=\"{search}\"></div>\
         {fields}{state}{mfa}{archived}\
         <div><label for=\"role\">{l_role}</label>\
         <input id=\"role\" name=\"role\" value=\"{role}\" size=\"12\"></div>\
         {login}<button type=\"submit\">{apply}</button></form>",
        l_search = esc(w.label_search),
        search = esc(f.search.as_deref().unwrap_or("")),
        fields = select_input(
            "fields",
            w.label_fields,
            &fields,
            f.fields.as_deref().unwrap_or("")
        ),
        state = select_input(
            "state",
            w.label_state,
            &states,
            f.state.as_deref().unwrap_or("")
        ),
        mfa = select_input("mfa", w.label_mfa, &yes_no, f.mfa.as_deref().unwrap_or("")),
        archived = select_input(
            "archived",
            w.label_archived,
            &yes_no,
            f.archived.as_deref().unwrap_or("")
        ),
        l_role = esc(w.label_role),
        role = esc(f.role.as_deref().unwrap_or("")),
        login = select_input(
            "login",
            w.label_last_login,
            &logins,
            f.login.as_deref().unwrap_or("")
        ),
        apply = esc(w.apply),
    )
}

fn table(
    slug: &str,
    lang: usher_core::user::fields::Language,
    w: &ConsoleWords,
    users: &[User],
    now: time::OffsetDateTime,
) -> String {
    let rows: String = users
        .iter()
        .map(|u| {
            let name = [u.first_name.as_ref(), u.last_name.as_ref()]
                .into_iter()
                .flatten()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let state = u.state(now);
            let last = u.last_login_at.map(when).unwrap_or_else(|| esc(w.never));
            let link = format!("/console/{}/users/{}", esc(slug), u.id);
            format!(
                "<tr><td>{}</td><td><a href=\"{link}\">{}</a></td><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&name),
                esc(u.email.as_str()),
                state.as_str(),
                esc(state_label(lang, state)),
                esc(if u.mfa_enrolled { w.yes } else { w.no }),
                esc(if u.archived { w.yes } else { w.no }),
                last,
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\
         <tbody>{rows}</tbody></table>",
        esc(w.col_name),
        esc(w.col_email),
        esc(w.col_state),
        esc(w.col_mfa),
        esc(w.col_archived),
        esc(w.col_last_login),
    )
}

fn pager(slug: &str, w: &ConsoleWords, f: &Filters, page: &UserPage<User>) -> String {
    let link = |label: &str, cursor: Option<Cursor>| match cursor {
        Some(c) => format!(
            "<li><a href=\"{}\">{}</a></li>",
            esc(&f.url(slug, Some(&c))),
            esc(label)
        ),
        None => format!("<li><span class=\"muted\">{}</span></li>", esc(label)),
    };
    format!(
        "<nav aria-label=\"{}\"><ul class=\"pager\">{}{}{}{}</ul></nav>",
        esc(w.pages),
        link(w.first, page.prev.as_ref().map(|_| Cursor::First)),
        link(w.previous, page.prev.clone()),
        link(w.next, page.next.clone()),
        link(w.last, page.next.as_ref().map(|_| Cursor::Last)),
    )
}

pub(super) async fn show_users(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let page = match ConsolePage::open(&state, &mut parts).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let (tenant, lang) = (&page.tenant, page.lang);
    let w = console_words(lang);
    if !page.admin.may("GET", ROUTE) {
        return message_page(lang, StatusCode::FORBIDDEN, w.title_users, w.forbidden);
    }
    let filters = Filters::parse(&page.query);
    let slug = tenant.slug.as_str();
    let listed = state
        .services
        .list_users(tenant, &page.admin.ctx, &filters.params())
        .await;
    let (status, body) = match listed {
        Ok(listed) => {
            let searched = filters
                .search
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
            let result = if !searched && tenant.settings.list_requires_search {
                format!("<p>{}</p>", esc(w.search_required))
            } else if listed.total == 0 {
                let filtered = filters.url(slug, None).contains('=');
                let text = if filtered {
                    w.empty_filtered
                } else {
                    w.empty_tenant
                };
                format!("<p>{}</p>", esc(text))
            } else {
                let total = if listed.total == 1 {
                    w.total_one.to_owned()
                } else {
                    w.total.replace("{n}", &listed.total.to_string())
                };
                let now = state.services.clock.now();
                format!(
                    "<p role=\"status\">{}</p>{}{}",
                    esc(&total),
                    table(slug, lang, w, &listed.items, now),
                    pager(slug, w, &filters, &listed)
                )
            };
            (StatusCode::OK, result)
        }
        Err(Error::Store(e)) => return busy(lang, &e),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            error_box(Some(&e.to_string()), "list-error"),
        ),
    };
    let create = if page.admin.may("POST", ROUTE) {
        let label = super::user_words::user_words(lang).new_user;
        format!(
            "<p><a class=\"button\" href=\"/console/{}/users/new\">{}</a></p>",
            esc(slug),
            esc(label)
        )
    } else {
        String::new()
    };
    let body = format!("{create}{}{body}", filter_form(slug, lang, w, &filters));
    page.render(&state, status, w.title_users, "users", &body)
}
