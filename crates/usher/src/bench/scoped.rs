//! `usher bench --scoped`: what an admin of part of the directory feels.
//! A group holding every tenth user (by email) is made once and kept in
//! the file; a person is given `user_admin` for that group, and another
//! for the department Sales (about a tenth of the seeded users), each logs
//! in to the admin side over HTTP with a second factor, and their pages
//! are timed like the tenant-wide ones; so are pages filtered by a role
//! the group's members hold (given once, one write a member). The totals
//! that the group's size says are checked. Last come the list's other
//! narrowings tenant-wide: searches limited by `fields=` and the
//! last-login filters.

use super::load::{Scenario, get, page};
use super::report;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use usher::cli::BenchArgs;
use usher_core::Id;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::group::{Group, GroupName};
use usher_core::listing::{Cursor, UserQuery};
use usher_core::mfa::{TotpSecret, totp_code, totp_step};
use usher_core::role::{Role, RoleName, ScopeGrant};
use usher_core::scim::query::{Cond, SortKey, Text, TextColumn, TextOp, UserSearch};
use usher_core::service::Services;
use usher_core::tenant::Tenant;

const GROUP: &str = "bench-scope";
/// The role the group's members hold, for the `role` filter's pages.
const ROLE: &str = "bench-role";
const PASSWORD: &str = "bench scoped admin 0123";
/// One user in this many (in email order) is in the group.
const EVERY: usize = 10;

/// The group, making it when the file has none yet.
async fn group(services: &Services, tenant: &Tenant) -> anyhow::Result<Group> {
    let search = UserSearch {
        cond: Cond::Text {
            text: Text::Column(TextColumn::GroupName),
            op: TextOp::Eq,
            value: GROUP.into(),
            fold: true,
        },
        sort: SortKey::Id,
        descending: false,
        offset: 0,
        limit: 1,
    };
    if let Some(g) = services
        .store
        .search_groups(tenant.id, &search)
        .await?
        .1
        .pop()
    {
        return Ok(g);
    }
    let now = services.clock.now();
    let mut q = UserQuery {
        search: None,
        state: None,
        archived: None,
        mfa: None,
        limit: 200,
        cursor: Cursor::First,
        now,
        scope: None,
        role: None,
        fields: None,
        last_login: Default::default(),
    };
    let mut members = Vec::new();
    let mut seen = 0usize;
    loop {
        let page = services.store.list_users(tenant.id, &q).await?;
        for u in &page.items {
            if seen.is_multiple_of(EVERY) {
                members.push(u.id);
            }
            seen += 1;
        }
        match page.next {
            Some(next) => q.cursor = next,
            None => break,
        }
    }
    let ctx = AuditContext::new(Actor::system());
    let group = Group {
        id: Id::generate(),
        tenant_id: tenant.id,
        display_name: GroupName::parse("displayName", GROUP)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        external_id: None,
        members,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let draft = ctx.draft(Some(tenant.id), AuditAction::GroupCreate, now);
    let made = services.store.create_group(group, draft).await;
    made.map_err(|e| anyhow::anyhow!("{e}"))
}

/// The role the group's members hold, given to them when the file has no
/// such role yet.
async fn role(
    services: &Services,
    tenant: &Tenant,
    members: &[usher_core::UserId],
) -> anyhow::Result<()> {
    let name = RoleName::parse("name", ROLE).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if services.store.find_role(tenant.id, &name).await?.is_some() {
        return Ok(());
    }
    let now = services.clock.now();
    let ctx = AuditContext::new(Actor::system());
    let draft = ctx.draft(Some(tenant.id), AuditAction::RoleCreate, now);
    let role = Role {
        name: name.clone(),
        description: None,
        created_at: now,
    };
    services
        .store
        .create_role(tenant.id, role, draft)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = indicatif::ProgressBar::new(members.len() as u64);
    for id in members {
        let draft = ctx
            .draft(Some(tenant.id), AuditAction::UserRoleAssign, now)
            .target("user", id);
        services
            .store
            .assign_role(tenant.id, *id, &name, ScopeGrant::Keep, now, draft)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    auth: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = client.request(method, url).json(&body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A person holding `user_admin` under `scope`, logged in to the admin
/// side (enrolling an authenticator on the way); answers their id and
/// the `Authorization` value of their admin session.
pub(super) async fn scoped_admin(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    email: &str,
    scope: Value,
) -> anyhow::Result<(String, String)> {
    let user = send(
        client,
        reqwest::Method::POST,
        &format!("{base}/users"),
        Some(auth),
        json!({"email": email, "send_invitation": true}),
    )
    .await?;
    let id = user["id"].as_str().context("a user id")?;
    let outbox = get(client, &format!("{base}/outbox?limit=200"), auth)
        .await?
        .1;
    let link = outbox["items"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["recipient"] == email))
        .and_then(|m| m["link"].as_str())
        .context("the invitation in the outbox")?;
    let token = link.rsplit('/').next().unwrap_or_default();
    send(
        client,
        reqwest::Method::POST,
        &format!("{base}/auth/invitations/accept"),
        None,
        json!({"token": token, "password": PASSWORD}),
    )
    .await?;
    send(
        client,
        reqwest::Method::PUT,
        &format!("{base}/users/{id}/admin-roles/user_admin"),
        Some(auth),
        json!({"scope": scope}),
    )
    .await?;
    let first = send(
        client,
        reqwest::Method::POST,
        &format!("{base}/admin/login"),
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await?;
    let secret = first["totp"]["secret"]
        .as_str()
        .and_then(TotpSecret::from_base32)
        .context("an enrolment")?;
    let code = totp_code(
        &secret,
        totp_step(time::OffsetDateTime::now_utc().unix_timestamp()),
    );
    let done = send(
        client,
        reqwest::Method::POST,
        &format!("{base}/admin/login/mfa"),
        None,
        json!({"mfa_token": first["mfa_token"], "code": code}),
    )
    .await?;
    let token = done["admin_token"].as_str().context("an admin token")?;
    Ok((id.to_owned(), format!("Bearer {token}")))
}

/// Deletes the benchmark's admins again, so that a later run on the same
/// file finds the seeded users alone.
pub(super) async fn remove(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    id: &str,
) -> anyhow::Result<()> {
    let res = client
        .delete(format!("{base}/users/{id}"))
        .header("authorization", auth)
        .send()
        .await?;
    if !res.status().is_success() {
        bail!(
            "deleting the benchmark's admin {id} answered {}",
            res.status()
        );
    }
    Ok(())
}

/// Times the scoped admins' pages and prints their table.
pub(super) async fn run(
    services: &Services,
    tenant: &Tenant,
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let group = group(services, tenant).await?;
    let size = group.members.len() as u64;
    role(services, tenant, &group.members).await?;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (group_admin, by_group) = scoped_admin(
        client,
        base,
        auth,
        &format!("group.admin.{run}@bench.example"),
        json!({"group": GROUP}),
    )
    .await?;
    let (value_admin, by_value) = scoped_admin(
        client,
        base,
        auth,
        &format!("sales.admin.{run}@bench.example"),
        json!({"attribute": "department", "equals": "Sales"}),
    )
    .await?;
    let mut rows = Vec::new();
    for (who, token, plain) in [
        ("group", &by_group, Some(size)),
        ("department=Sales", &by_value, None),
    ] {
        for (name, query, want) in [
            ("first page", "limit=20", plain),
            ("last page", "limit=20&cursor=last", plain),
            ("state=active", "limit=20&state=active", None),
            ("search \"ma\"", "limit=20&search=ma", None),
            (
                "search \"sakura.tanaka\"",
                "limit=20&search=sakura.tanaka",
                None,
            ),
        ] {
            let scenario = Scenario {
                name: format!("{who}: {name}"),
                url: format!("{base}/users?{query}"),
                want,
            };
            let (total, h) = page(client, token, &scenario, "total", args.samples).await?;
            rows.push((scenario.name, total, h));
        }
    }
    for (name, query, want) in [
        ("first page", format!("role={ROLE}"), Some(size)),
        ("last page", format!("role={ROLE}&cursor=last"), Some(size)),
        ("state=active", format!("role={ROLE}&state=active"), None),
        ("search \"ma\"", format!("role={ROLE}&search=ma"), None),
        ("group scope too", format!("role={ROLE}&limit=20"), None),
    ] {
        let token = if name == "group scope too" {
            by_group.as_str()
        } else {
            auth
        };
        let scenario = Scenario {
            name: format!("role filter: {name}"),
            url: format!("{base}/users?limit=20&{query}"),
            want: want.or((name == "group scope too").then_some(size)),
        };
        let (total, h) = page(client, token, &scenario, "total", args.samples).await?;
        rows.push((scenario.name, total, h));
    }
    // The other narrowings of the list, tenant-wide: a search limited to
    // some properties, and the last-login filters.
    for (name, query) in [
        (
            "fields=email: \"sakura.tanaka\"",
            "search=sakura.tanaka&fields=email",
        ),
        (
            "fields=name: \"sakura tan\"",
            "search=sakura%20tan&fields=name",
        ),
        (
            "fields=name,username: \"ma\"",
            "search=ma&fields=name,username",
        ),
        ("never_logged_in=true", "never_logged_in=true"),
        ("never_logged_in=false", "never_logged_in=false"),
    ] {
        let scenario = Scenario {
            name: name.to_owned(),
            url: format!("{base}/users?limit=20&{query}"),
            want: None,
        };
        let (total, h) = page(client, auth, &scenario, "total", args.samples).await?;
        rows.push((scenario.name, total, h));
    }
    remove(client, base, auth, &group_admin).await?;
    remove(client, base, auth, &value_admin).await?;
    report::pages(
        "| scoped admin's or role-filtered page (limit 20, over HTTP) | total | p50 ms | p99 ms | max ms |",
        &rows,
    );
    Ok(())
}
