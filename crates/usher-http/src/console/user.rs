//! One user's page, `/console/{tenant}/users/{id}`: who they are, their
//! status (and a quarantine: who may lift it), the actions the admin may
//! take on them now, and tabs (`?tab=`): the profile with the custom
//! attributes under their labels, second factors, roles, sessions
//! (device, address, place) and the user's audit trail. Each tab is the
//! API call it shows, read through the same service and offered only to
//! an admin the API would answer; the page itself is `GET /users/{id}`.

use super::actions::Act;
use super::changes::{Op, assign_form, button};
use super::forms::{data_table, scope_text, table_row};
use super::page::{ConsolePage, error_page};
use super::user_words::{UserWords, act_words, user_words};
use super::words::state_label;
use crate::AppState;
use crate::pages::kit::esc;
use crate::pages::sessions::{device, when};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use usher_core::Error;
use usher_core::service::AuditParams;
use usher_core::user::User;
use usher_core::useragent::Platform;

/// A tab: its name in the URL, and the API call it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Profile,
    Factors,
    Roles,
    Sessions,
    Audit,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Profile,
        Tab::Factors,
        Tab::Roles,
        Tab::Sessions,
        Tab::Audit,
    ];

    fn slug(self) -> &'static str {
        match self {
            Tab::Profile => "profile",
            Tab::Factors => "factors",
            Tab::Roles => "roles",
            Tab::Sessions => "sessions",
            Tab::Audit => "audit",
        }
    }

    fn route(self) -> &'static str {
        match self {
            Tab::Profile => "/api/v1/tenants/{tenant}/users/{id}",
            Tab::Factors => "/api/v1/tenants/{tenant}/users/{id}/factors",
            Tab::Roles => "/api/v1/tenants/{tenant}/users/{id}/roles",
            Tab::Sessions => "/api/v1/tenants/{tenant}/users/{id}/sessions",
            Tab::Audit => "/api/v1/tenants/{tenant}/audit",
        }
    }

    fn label(self, w: &UserWords) -> &'static str {
        match self {
            Tab::Profile => w.tab_profile,
            Tab::Factors => w.tab_factors,
            Tab::Roles => w.tab_roles,
            Tab::Sessions => w.tab_sessions,
            Tab::Audit => w.tab_audit,
        }
    }
}

fn name_of(u: &User) -> String {
    if let Some(d) = &u.display_name {
        return d.as_str().to_owned();
    }
    let parts: Vec<&str> = [u.first_name.as_ref(), u.last_name.as_ref()]
        .into_iter()
        .flatten()
        .map(|n| n.as_str())
        .collect();
    if parts.is_empty() {
        u.email.as_str().to_owned()
    } else {
        parts.join(" ")
    }
}

fn row(label: &str, value: Option<&str>, w: &UserWords) -> String {
    format!(
        "<dt>{}</dt><dd>{}</dd>",
        esc(label),
        esc(value.filter(|v| !v.is_empty()).unwrap_or(w.none))
    )
}

async fn profile(state: &AppState, page: &ConsolePage, u: &User) -> Result<String, Error> {
    let w = user_words(page.lang);
    let time = |t: Option<time::OffsetDateTime>| t.map(when).unwrap_or_else(|| esc(w.none));
    let mut html = String::from("<dl class=\"profile\">");
    for (label, value) in [
        (w.email, Some(u.email.as_str())),
        (w.first_name, u.first_name.as_ref().map(|v| v.as_str())),
        (w.last_name, u.last_name.as_ref().map(|v| v.as_str())),
        (w.display_name, u.display_name.as_ref().map(|v| v.as_str())),
        (w.username, u.username.as_ref().map(|v| v.as_str())),
        (w.phone, u.phone.as_ref().map(|v| v.as_str())),
        (
            w.personal_email,
            u.personal_email.as_ref().map(|v| v.as_str()),
        ),
        (w.language, Some(u.language.as_str())),
        (w.external_id, u.external_id.as_ref().map(|v| v.as_str())),
        (w.source, Some(u.source.as_str())),
    ] {
        html.push_str(&row(label, value, w));
    }
    let attributes = state.services.attribute_set(&page.tenant).await?;
    let mut defined: Vec<_> = attributes.definitions().collect();
    defined.sort_by(|a, b| a.label.cmp(&b.label));
    for d in defined {
        let value = u.attributes.get(d.name.as_str()).map(String::as_str);
        html.push_str(&row(&d.label, value, w));
    }
    for (label, t) in [
        (w.created, Some(u.created_at)),
        (w.updated, Some(u.updated_at)),
        (w.last_login, u.last_login_at),
    ] {
        html.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(label), time(t)));
    }
    html.push_str("</dl>");
    Ok(html)
}

async fn tab_body(
    state: &AppState,
    page: &ConsolePage,
    u: &User,
    tab: Tab,
) -> Result<String, Error> {
    let w = user_words(page.lang);
    let (services, tenant, ctx, id) = (
        &state.services,
        &page.tenant,
        &page.admin.ctx,
        u.id.to_string(),
    );
    let may = |op: Op| {
        let (method, route) = op.call();
        page.admin.may(method.as_str(), route)
    };
    // The last column: a button for the row, when the admin may use it.
    let with_button = |mut cells: Vec<String>, op: Op, item: &str, about: &str, label: &str| {
        if may(op) {
            cells.push(button(page, &id, op, item, label, about));
        }
        cells
    };
    let actions_head = |heads: &mut Vec<&str>, op: Op| {
        if may(op) {
            heads.push(w.actions);
        }
    };
    let opt_time = |t: Option<time::OffsetDateTime>| t.map(when).unwrap_or_else(|| esc(w.none));
    Ok(match tab {
        Tab::Profile => profile(state, page, u).await?,
        Tab::Factors => {
            let rows: Vec<Vec<String>> = services
                .list_factors(tenant, ctx, &id)
                .await?
                .into_iter()
                .map(|f| {
                    let cells = vec![
                        esc(f.kind.as_str()),
                        esc(&f.label),
                        when(f.created_at),
                        opt_time(f.last_used_at),
                    ];
                    with_button(
                        cells,
                        Op::RemoveFactor,
                        &f.id.to_string(),
                        &f.label,
                        w.remove,
                    )
                })
                .collect();
            let mut heads = vec![w.col_type, w.col_label, w.col_added, w.col_used];
            actions_head(&mut heads, Op::RemoveFactor);
            data_table(
                &heads,
                rows.into_iter().map(table_row).collect(),
                w.no_factors,
            )
        }
        Tab::Roles => {
            let rows: Vec<Vec<String>> = services
                .user_roles(tenant, ctx, &id)
                .await?
                .into_iter()
                .map(|r| {
                    let description = r.description.unwrap_or_default();
                    let cells = vec![esc(r.name.as_str()), esc(&description), when(r.assigned_at)];
                    with_button(
                        cells,
                        Op::RemoveRole,
                        r.name.as_str(),
                        r.name.as_str(),
                        w.remove,
                    )
                })
                .collect();
            let mut heads = vec![w.col_role, w.col_description, w.col_assigned];
            actions_head(&mut heads, Op::RemoveRole);
            let assign = if may(Op::AssignRole) {
                assign_form(page, &id, w.role_name, w.assign)
            } else {
                String::new()
            };
            format!(
                "{}{assign}",
                data_table(
                    &heads,
                    rows.into_iter().map(table_row).collect(),
                    w.no_roles
                )
            )
        }
        Tab::Sessions => {
            // Grouped by platform, as the end-user sessions page is.
            let words = crate::pages::i18n::login_words(page.lang);
            let sessions = services.list_sessions(tenant, ctx, &id).await?;
            let mut heads = vec![
                w.col_device,
                w.col_address,
                w.col_location,
                w.col_started,
                w.col_seen,
            ];
            actions_head(&mut heads, Op::EndSession);
            let mut html = String::new();
            for platform in Platform::ALL {
                let rows: Vec<String> = sessions
                    .iter()
                    .filter(|s| s.client.platform == platform)
                    .map(|s| {
                        let about = device(s, words);
                        let cells = vec![
                            esc(&about),
                            esc(s.ip.as_deref().unwrap_or(w.none)),
                            esc(s.location.as_deref().unwrap_or(w.none)),
                            when(s.created_at),
                            when(s.last_seen_at),
                        ];
                        table_row(with_button(
                            cells,
                            Op::EndSession,
                            &s.id.to_string(),
                            &about,
                            w.end,
                        ))
                    })
                    .collect();
                if !rows.is_empty() {
                    let title = super::user_words::platform_label(page.lang, platform);
                    html.push_str(&format!(
                        "<h2>{}</h2>{}",
                        esc(title),
                        data_table(&heads, rows, "")
                    ));
                }
            }
            if html.is_empty() {
                html = format!("<p>{}</p>", esc(w.no_sessions));
            }
            html
        }
        Tab::Audit => {
            let params = AuditParams {
                target: Some(id.clone()),
                limit: Some(20),
                ..AuditParams::default()
            };
            let rows: Vec<Vec<String>> = services
                .list_audit(tenant, ctx, &params)
                .await?
                .items
                .iter()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l.payload).ok())
                .map(|e| {
                    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
                    let actor = &e["actor"];
                    let by = ["email", "name", "id"]
                        .iter()
                        .find_map(|k| actor[*k].as_str())
                        .unwrap_or("");
                    vec![
                        esc(&text(&e["occurred_at"])),
                        esc(&text(&e["action"])),
                        esc(by),
                        esc(&text(&e["outcome"])),
                    ]
                })
                .collect();
            let heads = [w.col_time, w.col_action, w.col_actor, w.col_outcome];
            data_table(
                &heads,
                rows.into_iter().map(table_row).collect(),
                w.no_events,
            )
        }
    })
}

pub(super) async fn show_user(State(state): State<AppState>, request: Request) -> Response {
    let (page, user) = match ConsolePage::open_user(&state, request).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let w = user_words(page.lang);
    let now = state.services.clock.now();
    let slug = esc(page.tenant.slug.as_str());
    let may = |method: &str, route: &str| page.admin.may(method, route);
    let tabs: Vec<Tab> = Tab::ALL
        .into_iter()
        .filter(|t| may("GET", t.route()))
        .collect();
    let asked = page.param("tab");
    let tab = tabs
        .iter()
        .copied()
        .find(|t| asked.as_deref() == Some(t.slug()))
        .unwrap_or(Tab::Profile);
    let content = match tab_body(&state, &page, &user, tab).await {
        Ok(html) => html,
        Err(e) => return error_page(&state, &page, e),
    };
    let state_now = user.state(now);
    let mut status = format!(
        "<p>{} <span class=\"badge {}\">{}</span></p>",
        esc(user.email.as_str()),
        state_now.as_str(),
        esc(state_label(page.lang, state_now))
    );
    if let Some(record) = user.block_record().filter(|r| r.scope.is_some()) {
        let text = w
            .quarantine
            .replace("{scope}", &scope_text(record.scope.as_ref(), ""));
        status.push_str(&format!("<p class=\"notice\">{}</p>", esc(&text)));
    }
    if page.param("done").is_some() {
        status.push_str(&format!("<p role=\"status\">{}</p>", esc(w.done)));
    }
    // A change to a person who holds an admin role is for a tenant-wide
    // tenant_admin only: nothing is offered that would be refused.
    let guarded = page.guarded(&state, &user).await;
    let edit = if !guarded && may("PATCH", "/api/v1/tenants/{tenant}/users/{id}") {
        format!(
            "<li><a class=\"button\" href=\"/console/{slug}/users/{}/edit\">{}</a></li>",
            user.id,
            esc(w.edit_profile)
        )
    } else {
        String::new()
    };
    let actions: String = Act::ALL
        .into_iter()
        .filter(|a| {
            !guarded && page.applies(*a, &user, now) && may(a.call().0.as_str(), a.call().1)
        })
        .map(|a| {
            format!(
                "<li><a class=\"button\" href=\"/console/{slug}/users/{}/actions/{}\">{}</a></li>",
                user.id,
                a.slug(),
                esc(act_words(page.lang, a).0)
            )
        })
        .collect();
    let actions = format!("{edit}{actions}");
    let nav: String = tabs
        .iter()
        .map(|t| {
            let current = if *t == tab {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<li><a href=\"/console/{slug}/users/{}?tab={}\"{current}>{}</a></li>",
                user.id,
                t.slug(),
                esc(t.label(w))
            )
        })
        .collect();
    let body = format!(
        "<p><a href=\"/console/{slug}/users\">{back}</a></p>{status}\
         <h2 class=\"hidden\">{l_actions}</h2><ul class=\"actions\" aria-label=\"{l_actions}\">{actions}</ul>\
         <nav aria-label=\"{l_sections}\"><ul class=\"tabs\">{nav}</ul></nav>\
         <section aria-label=\"{l_tab}\">{content}</section>",
        back = esc(w.back),
        l_actions = esc(w.actions),
        l_sections = esc(w.sections),
        l_tab = esc(tab.label(w)),
    );
    page.render(&state, StatusCode::OK, &name_of(&user), "users", &body)
}
