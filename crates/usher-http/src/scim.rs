//! The SCIM 2.0 service provider at `/scim/v2/{tenant}` (RFC 7643, RFC
//! 7644): discovery, `/Users`, and `/.search`. Requests are authenticated
//! with the tenant's SCIM tokens; every answer is `application/scim+json`,
//! errors are RFC 7644 §3.12 error bodies. The work is done by the same
//! services as the admin API's (`usher_core::service::scim`).

use crate::AppState;
use crate::extract::{JsonBody, ScimClient};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use usher_core::Error;
use usher_core::error::Missing;
use usher_core::scim::resource::{ERROR_URN, LIST_URN, SEARCH_URN, member, scim_field};
use usher_core::scim::{PatchPath, schemas};
use usher_core::service::ScimQuery;
use usher_core::user::User;

const SCIM_JSON: &str = "application/scim+json; charset=utf-8";

/// A SCIM error answer (RFC 7644 §3.12).
#[derive(Debug)]
pub(crate) struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// The domain error a refusal is audited as.
    pub(crate) fn to_domain(&self) -> Error {
        let code = match self.scim_type {
            Some("invalidSyntax") => "invalid_syntax",
            Some("invalidFilter") => "invalid_filter",
            Some("invalidPath") => "invalid_path",
            Some("tooMany") => "too_many",
            _ => "invalid_value",
        };
        match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge(self.detail.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(self.detail.clone()),
            _ => Error::bad_request(code, self.detail.clone()),
        }
    }

    fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "this endpoint is read-only; only GET is allowed",
        )
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The `scimType` of a request error code from the services.
fn scim_type_of(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid_filter" => "invalidFilter",
        "invalid_path" => "invalidPath",
        "no_target" => "noTarget",
        "mutability" => "mutability",
        "too_many" => "tooMany",
        "invalid_syntax" | "malformed_json" | "invalid_body" => "invalidSyntax",
        "invalid_sort" | "invalid_value" | "invalid_parameter" => "invalidValue",
        _ => return None,
    })
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Validation(v) => {
                let parts: Vec<String> =
                    v.0.iter()
                        .map(|f| format!("{}: {}", scim_field(&f.field), f.message))
                        .collect();
                ScimError::new(
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    parts.join("; "),
                )
            }
            Error::BadRequest { code, message } => ScimError::new(
                StatusCode::BAD_REQUEST,
                scim_type_of(code).or(Some("invalidValue")),
                message.clone(),
            ),
            Error::NotFound(Missing::User) => ScimError::not_found("no user with this id"),
            Error::NotFound(Missing::Group) => ScimError::not_found("no group with this id"),
            Error::NotFound(_) => ScimError::not_found("not found"),
            Error::Conflict { code, message, .. }
                if code.ends_with("_taken") || *code == "attribute_exists" =>
            {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), message.clone())
            }
            Error::Conflict { message, .. } => {
                ScimError::new(StatusCode::CONFLICT, None, message.clone())
            }
            Error::VersionMismatch { .. } => ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                format!("{e}: read it again and retry"),
            ),
            Error::Forbidden(m) | Error::Denied { message: m, .. } => {
                ScimError::new(StatusCode::FORBIDDEN, None, m.clone())
            }
            Error::Unauthorized { message, .. } => {
                ScimError::new(StatusCode::UNAUTHORIZED, None, message.clone())
            }
            Error::TooManyAttempts { .. } => {
                ScimError::new(StatusCode::TOO_MANY_REQUESTS, None, e.to_string())
            }
            Error::TooLarge(m) => ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, m.clone()),
            Error::UnsupportedMediaType(m) => ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("{m} (or application/scim+json)"),
            ),
            Error::Store(s) => {
                tracing::error!(error = %s, "storage failure behind a SCIM request");
                ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "an internal error occurred",
                )
            }
        }
    }
}

pub(crate) type ScimResult<T> = Result<T, ScimError>;

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    (status, [(header::CONTENT_TYPE, SCIM_JSON)], text).into_response()
}

/// Query parameters of lists and single reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl ListParams {
    fn projection(&self) -> Projection {
        projection(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}

/// 304 for a GET whose `If-None-Match` names the current version.
fn not_modified_reply(version: i64) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    res.headers_mut()
        .insert(header::ETAG, crate::extract::etag(version));
    res
}

fn int_param(name: &str, v: Option<&String>) -> ScimResult<Option<i64>> {
    match v.map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{name} must be an integer"),
            )
        }),
    }
}

/// `attributes` / `excludedAttributes`: comma-separated attribute paths.
#[derive(Debug, Default, Clone)]
struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Where an attribute path points in a resource: the extension object
/// (None for the core schema), the attribute, and its sub-attribute.
fn path_parts(path: &str) -> Option<(Option<String>, String, Option<String>)> {
    let Ok(PatchPath::Attr(p)) = PatchPath::parse(path) else {
        return None;
    };
    let uri = p.uri.clone();
    let is_core = |u: &str| {
        u.to_ascii_lowercase()
            .starts_with("urn:ietf:params:scim:schemas:core:")
    };
    match uri {
        Some(u) if !is_core(&u) => Some((Some(u), p.name, p.sub_attr)),
        _ => Some((None, p.name, p.sub_attr)),
    }
}

fn key_in(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The value `attributes=` keeps for one path: (the extension key holding
/// it, if any; the attribute's key; the value, cut to the sub-attribute).
fn pick(
    r: &Map<String, Value>,
    ext: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<(Option<String>, String, Value)> {
    let (holder, src) = match ext {
        Some(u) => {
            let k = key_in(r, u)?;
            (Some(k.clone()), r.get(&k)?.as_object()?)
        }
        None => (None, r),
    };
    let k = key_in(src, name)?;
    let value = match (sub, &src[&k]) {
        (None, v) => v.clone(),
        (Some(s), Value::Object(o)) => {
            let sk = key_in(o, s)?;
            let mut m = Map::new();
            m.insert(sk.clone(), o[&sk].clone());
            Value::Object(m)
        }
        (Some(s), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|it| {
                    let o = it.as_object()?;
                    let sk = key_in(o, s)?;
                    let mut m = Map::new();
                    m.insert(sk.clone(), o[&sk].clone());
                    Some(Value::Object(m))
                })
                .collect(),
        ),
        (Some(_), _) => return None,
    };
    Some((holder, k, value))
}

impl Projection {
    fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut r) = resource else {
            return resource;
        };
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for k in ["schemas", "id"] {
                if let Some(v) = r.get(k) {
                    out.insert(k.to_owned(), v.clone());
                }
            }
            for path in &self.attributes {
                let Some((ext, name, sub)) = path_parts(path) else {
                    continue;
                };
                // A whole extension named by its URN.
                let full = match &ext {
                    Some(u) => format!("{u}:{name}"),
                    None => name.clone(),
                };
                if let Some(k) = key_in(&r, &full).filter(|_| full.contains(':')) {
                    out.insert(k.clone(), r[&k].clone());
                    continue;
                }
                let Some((holder, key, value)) = pick(&r, ext.as_deref(), &name, sub.as_deref())
                else {
                    continue;
                };
                let dst = match holder {
                    Some(h) => match out.entry(h).or_insert_with(|| Value::Object(Map::new())) {
                        Value::Object(o) => o,
                        _ => continue,
                    },
                    None => &mut out,
                };
                match (dst.get_mut(&key), value) {
                    (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
                    (_, value) => {
                        dst.insert(key, value);
                    }
                }
            }
            r = out;
        }
        for path in &self.excluded {
            let Some((ext, name, sub)) = path_parts(path) else {
                continue;
            };
            let full = match &ext {
                Some(u) => format!("{u}:{name}"),
                None => name.clone(),
            };
            if full.contains(':')
                && let Some(k) = key_in(&r, &full)
            {
                r.remove(&k);
                continue;
            }
            let holder = match &ext {
                Some(u) => match key_in(&r, u) {
                    Some(k) => match r.get_mut(&k) {
                        Some(Value::Object(o)) => o,
                        _ => continue,
                    },
                    None => continue,
                },
                None => &mut r,
            };
            let Some(k) = key_in(holder, &name) else {
                continue;
            };
            if matches!(k.as_str(), "id" | "schemas") {
                continue;
            }
            match sub {
                None => {
                    holder.remove(&k);
                }
                Some(s) => match holder.get_mut(&k) {
                    Some(Value::Object(o)) => {
                        if let Some(sk) = key_in(o, &s) {
                            o.remove(&sk);
                        }
                    }
                    Some(Value::Array(items)) => {
                        for it in items {
                            if let Value::Object(o) = it
                                && let Some(sk) = key_in(o, &s)
                            {
                                o.remove(&sk);
                            }
                        }
                    }
                    _ => {}
                },
            }
        }
        // Extensions emptied by the projection go, with their URN.
        let empty: Vec<String> = r
            .iter()
            .filter(|(k, v)| k.starts_with("urn:") && v.as_object().is_some_and(Map::is_empty))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &empty {
            r.remove(k);
        }
        // `schemas` lists the core schema and the extensions still shown.
        let shown: Vec<String> = r
            .keys()
            .filter(|k| k.starts_with("urn:"))
            .cloned()
            .collect();
        if let Some(Value::Array(s)) = r.get_mut("schemas") {
            s.retain(|u| {
                u.as_str().is_some_and(|u| {
                    u.to_ascii_lowercase()
                        .starts_with("urn:ietf:params:scim:schemas:core:")
                        || shown.iter().any(|e| e == u)
                })
            });
        }
        Value::Object(r)
    }
}

fn projection(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
    Projection {
        attributes: split_list(attributes),
        excluded: split_list(excluded),
    }
}

/// Reads a JSON body, answering SCIM errors.
fn body_of(body: JsonBody) -> ScimResult<Value> {
    body.0.map_err(ScimError::from)
}

fn if_match(headers: &HeaderMap) -> ScimResult<Option<i64>> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => {
            let text = v.to_str().map_err(|_| {
                ScimError::new(
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    "If-Match must be ASCII",
                )
            })?;
            crate::extract::parse_if_match(text).map_err(ScimError::from)
        }
    }
}

/// Whether `If-None-Match` names the current version (a GET then answers
/// 304).
fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || crate::extract::parse_if_match(t).ok().flatten() == Some(version)
            })
        })
}

async fn user_reply(
    state: &AppState,
    client: &ScimClient,
    status: StatusCode,
    user: &User,
    proj: &Projection,
) -> ScimResult<Response> {
    let resource = state
        .services
        .scim_resource(&client.tenant, &client.base, user)
        .await?;
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut res = scim_json(status, &proj.apply(resource));
    res.headers_mut()
        .insert(header::ETAG, crate::extract::etag(user.version));
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn list_reply(
    state: &AppState,
    client: &ScimClient,
    q: &ScimQuery,
    proj: &Projection,
) -> ScimResult<Response> {
    let page = state
        .services
        .scim_list_users(&client.tenant, &client.ctx, q)
        .await?;
    let resources: Vec<Value> = state
        .services
        .scim_resources(&client.tenant, &client.base, &page.users)
        .await?
        .into_iter()
        .map(|r| proj.apply(r))
        .collect();
    let body = json!({
        "schemas": [LIST_URN],
        "totalResults": page.total,
        "startIndex": page.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    Ok(scim_json(StatusCode::OK, &body))
}

async fn list_users(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
) -> ScimResult<Response> {
    let q = client.accept(&state, "user.list", query_of(&p)).await?;
    let proj = p.projection();
    list_reply(&state, &client, &q, &proj).await
}

/// A `SearchRequest` body (`POST /.search`, `POST /Users/.search`).
fn search_request(body: &Value) -> ScimResult<(ScimQuery, Projection)> {
    let Value::Object(o) = body else {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "the body must be a SearchRequest object",
        ));
    };
    let schemas_ok = match member(o, "schemas") {
        Some(Value::Array(s)) => s.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_URN))
        }),
        _ => false,
    };
    if !schemas_ok {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("schemas must list {SEARCH_URN}"),
        ));
    }
    let text = |k: &str| -> ScimResult<Option<String>> {
        match member(o, k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{k} must be a string"),
            )),
        }
    };
    let int = |k: &str| -> ScimResult<Option<i64>> {
        match member(o, k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(_) => Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{k} must be an integer"),
            )),
        }
    };
    let list = |k: &str| -> ScimResult<Vec<String>> {
        match member(o, k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        ScimError::new(
                            StatusCode::BAD_REQUEST,
                            Some("invalidValue"),
                            format!("{k} must be an array of attribute names"),
                        )
                    })
                })
                .collect(),
            Some(Value::String(s)) => Ok(split_list(Some(s))),
            Some(_) => Err(ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("{k} must be an array of attribute names"),
            )),
        }
    };
    let q = ScimQuery {
        filter: text("filter")?,
        sort_by: text("sortBy")?,
        sort_order: text("sortOrder")?,
        start_index: int("startIndex")?,
        count: int("count")?,
    };
    let proj = Projection {
        attributes: list("attributes")?,
        excluded: list("excludedAttributes")?,
    };
    Ok((q, proj))
}

async fn search_users(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "user.search", body_of(body)).await?;
    let (q, proj) = client
        .accept(&state, "user.search", search_request(&body))
        .await?;
    list_reply(&state, &client, &q, &proj).await
}

async fn create_user(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "user.create", body_of(body)).await?;
    let user = state
        .services
        .scim_create_user(&client.tenant, &client.ctx, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::CREATED, &user, &proj).await
}

async fn get_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let user = state
        .services
        .scim_get_user(&client.tenant, &client.ctx, &id)
        .await?;
    if not_modified(&headers, user.version) {
        return Ok(not_modified_reply(user.version));
    }
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

async fn replace_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "user.update", if_match(&headers))
        .await?;
    let body = client.accept(&state, "user.update", body_of(body)).await?;
    let user = state
        .services
        .scim_replace_user(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

async fn patch_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "user.update", if_match(&headers))
        .await?;
    let body = client.accept(&state, "user.update", body_of(body)).await?;
    let user = state
        .services
        .scim_patch_user(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    user_reply(&state, &client, StatusCode::OK, &user, &proj).await
}

fn group_reply(
    client: &ScimClient,
    status: StatusCode,
    group: &usher_core::group::Group,
    proj: &Projection,
) -> Response {
    let resource = usher_core::scim::resource::group_resource(group, &client.base);
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut res = scim_json(status, &proj.apply(resource));
    res.headers_mut()
        .insert(header::ETAG, crate::extract::etag(group.version));
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn query_of(p: &ListParams) -> ScimResult<ScimQuery> {
    Ok(ScimQuery {
        filter: p.filter.clone(),
        sort_by: p.sort_by.clone(),
        sort_order: p.sort_order.clone(),
        start_index: int_param("startIndex", p.start_index.as_ref())?,
        count: int_param("count", p.count.as_ref())?,
    })
}

async fn group_list_reply(
    state: &AppState,
    client: &ScimClient,
    q: &ScimQuery,
    proj: &Projection,
) -> ScimResult<Response> {
    let page = state
        .services
        .list_groups(&client.tenant, &client.ctx, q)
        .await?;
    let resources: Vec<Value> = page
        .groups
        .iter()
        .map(|g| proj.apply(usher_core::scim::resource::group_resource(g, &client.base)))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_URN],
            "totalResults": page.total,
            "startIndex": page.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

async fn list_groups(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
) -> ScimResult<Response> {
    let q = client.accept(&state, "group.list", query_of(&p)).await?;
    let proj = p.projection();
    group_list_reply(&state, &client, &q, &proj).await
}

async fn search_groups(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "group.search", body_of(body)).await?;
    let (q, proj) = client
        .accept(&state, "group.search", search_request(&body))
        .await?;
    group_list_reply(&state, &client, &q, &proj).await
}

/// `POST /.search` at the root: users and groups together (RFC 7644
/// §3.4.3), users first; the window (`startIndex`, `count`) runs over the
/// users and then the groups. A filter that names attributes of only one
/// of them selects nothing of the other.
async fn search_all(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "user.search", body_of(body)).await?;
    let (q, proj) = client
        .accept(&state, "user.search", search_request(&body))
        .await?;
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q
        .count
        .unwrap_or(i64::from(schemas::MAX_RESULTS))
        .clamp(0, i64::from(schemas::MAX_RESULTS));
    let mut refused = None;
    let users = match state
        .services
        .scim_list_users(&client.tenant, &client.ctx, &q)
        .await
    {
        Ok(p) => Some(p),
        Err(e) if e.code() == "invalid_filter" => {
            refused = Some(e);
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut resources = Vec::new();
    let mut total = 0u64;
    if let Some(users) = &users {
        total += users.total;
        let shown = state
            .services
            .scim_resources(&client.tenant, &client.base, &users.users)
            .await?;
        resources.extend(shown.into_iter().map(|r| proj.apply(r)));
    }
    // The groups' part of the window starts where the users ran out.
    let users_total = users
        .as_ref()
        .map_or(0, |u| i64::try_from(u.total).unwrap_or(i64::MAX));
    let room = count - i64::try_from(resources.len()).unwrap_or(0);
    let gq = ScimQuery {
        start_index: Some((start - users_total).max(1)),
        count: Some(if start + count - 1 > users_total {
            room.max(0)
        } else {
            0
        }),
        ..q.clone()
    };
    match state
        .services
        .list_groups(&client.tenant, &client.ctx, &gq)
        .await
    {
        Ok(groups) => {
            total += groups.total;
            for g in &groups.groups {
                resources
                    .push(proj.apply(usher_core::scim::resource::group_resource(g, &client.base)));
            }
        }
        Err(e) if e.code() == "invalid_filter" => {
            if users.is_none() {
                return Err(refused.unwrap_or(e).into());
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_URN],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

async fn create_group(
    State(state): State<AppState>,
    client: ScimClient,
    Query(p): Query<ListParams>,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "group.create", body_of(body)).await?;
    let group = state
        .services
        .create_group(&client.tenant, &client.ctx, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::CREATED, &group, &proj))
}

async fn get_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let group = state
        .services
        .get_group(&client.tenant, &client.ctx, &id)
        .await?;
    if not_modified(&headers, group.version) {
        return Ok(not_modified_reply(group.version));
    }
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

async fn replace_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "group.update", if_match(&headers))
        .await?;
    let body = client.accept(&state, "group.update", body_of(body)).await?;
    let group = state
        .services
        .replace_group(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

async fn patch_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    Query(p): Query<ListParams>,
    headers: HeaderMap,
    body: JsonBody,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "group.update", if_match(&headers))
        .await?;
    let body = client.accept(&state, "group.update", body_of(body)).await?;
    let group = state
        .services
        .patch_group(&client.tenant, &client.ctx, &id, version, &body)
        .await?;
    let proj = p.projection();
    Ok(group_reply(&client, StatusCode::OK, &group, &proj))
}

async fn delete_group(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "group.delete", if_match(&headers))
        .await?;
    state
        .services
        .delete_group(&client.tenant, &client.ctx, &id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One operation of a `/Bulk` request, as read.
struct BulkOp {
    method: String,
    path: String,
    bulk_id: Option<String>,
    version: Option<i64>,
    data: Option<Value>,
}

fn bulk_error(
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: impl Into<String>,
) -> ScimError {
    ScimError::new(status, scim_type, detail)
}

fn read_bulk(body: &Value) -> ScimResult<(Vec<BulkOp>, Option<usize>)> {
    let invalid = |d: String| bulk_error(StatusCode::BAD_REQUEST, Some("invalidSyntax"), d);
    let Value::Object(o) = body else {
        return Err(invalid("the body must be a BulkRequest object".into()));
    };
    let schemas_ok = match member(o, "schemas") {
        Some(Value::Array(s)) => s.iter().any(|s| {
            s.as_str().is_some_and(|s| {
                s.eq_ignore_ascii_case(usher_core::scim::resource::BULK_REQUEST_URN)
            })
        }),
        _ => false,
    };
    if !schemas_ok {
        return Err(invalid(format!(
            "schemas must list {}",
            usher_core::scim::resource::BULK_REQUEST_URN
        )));
    }
    let fail_on_errors = match member(o, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => {
            usize::try_from(n.as_u64().unwrap_or(1)).ok()
        }
        Some(_) => return Err(invalid("failOnErrors must be a positive integer".into())),
    };
    let Some(Value::Array(ops)) = member(o, "Operations") else {
        return Err(invalid("Operations must be an array".into()));
    };
    if ops.len() > schemas::BULK_MAX_OPERATIONS {
        return Err(bulk_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("tooMany"),
            format!(
                "a bulk request may carry at most {} operations",
                schemas::BULK_MAX_OPERATIONS
            ),
        ));
    }
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let n = i + 1;
        let Value::Object(op) = op else {
            return Err(invalid(format!("operation {n} is not an object")));
        };
        let method = member(op, "method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .filter(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
            .ok_or_else(|| {
                invalid(format!(
                    "operation {n}: method must be POST, PUT, PATCH or DELETE"
                ))
            })?;
        let path = member(op, "path")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid(format!("operation {n}: path is required")))?;
        let bulk_id = member(op, "bulkId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if method == "POST" && bulk_id.is_none() {
            return Err(invalid(format!("operation {n}: a POST needs a bulkId")));
        }
        let version = match member(op, "version").and_then(Value::as_str) {
            Some(v) => crate::extract::parse_if_match(v).map_err(ScimError::from)?,
            None => None,
        };
        let data = member(op, "data").cloned();
        if method != "DELETE" && data.is_none() {
            return Err(invalid(format!("operation {n}: {method} needs data")));
        }
        out.push(BulkOp {
            method,
            path,
            bulk_id,
            version,
            data,
        });
    }
    Ok((out, fail_on_errors))
}

/// Resolves `bulkId:<id>` segments of an operation's path.
fn resolve_path(
    path: &str,
    ids: &std::collections::HashMap<String, String>,
) -> Result<String, String> {
    let mut out = Vec::new();
    for seg in path.split('/') {
        match seg.strip_prefix("bulkId:") {
            Some(r) => out.push(ids.get(r).cloned().ok_or_else(|| r.to_owned())?),
            None => out.push(seg.to_owned()),
        }
    }
    Ok(out.join("/"))
}

/// Replaces `bulkId:<id>` references with the ids created so far;
/// answers the first reference that is not resolved yet.
fn resolve_refs(v: &mut Value, ids: &std::collections::HashMap<String, String>) -> Option<String> {
    match v {
        Value::String(s) => match s.strip_prefix("bulkId:") {
            Some(r) => match ids.get(r) {
                Some(id) => {
                    *s = id.clone();
                    None
                }
                None => Some(r.to_owned()),
            },
            None => None,
        },
        Value::Array(items) => items.iter_mut().find_map(|i| resolve_refs(i, ids)),
        Value::Object(o) => o.values_mut().find_map(|i| resolve_refs(i, ids)),
        _ => None,
    }
}

/// What one bulk operation did: its status, and the resource's location
/// and version (or the error body).
async fn run_bulk_op(
    state: &AppState,
    client: &ScimClient,
    op: &BulkOp,
    path: &str,
    data: Option<&Value>,
) -> Result<(StatusCode, String, i64), ScimError> {
    let s = &state.services;
    let (t, ctx) = (&client.tenant, &client.ctx);
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = parts.next().unwrap_or("");
    let id = parts.next();
    let null = Value::Null;
    let body = data.unwrap_or(&null);
    let user = |u: User| (format!("{}/Users/{}", client.base, u.id), u.version);
    let group =
        |g: usher_core::group::Group| (format!("{}/Groups/{}", client.base, g.id), g.version);
    let (status, (location, version)) = match (op.method.as_str(), kind, id) {
        ("POST", "Users", None) => (
            StatusCode::CREATED,
            user(s.scim_create_user(t, ctx, body).await?),
        ),
        ("POST", "Groups", None) => (
            StatusCode::CREATED,
            group(s.create_group(t, ctx, body).await?),
        ),
        ("PUT", "Users", Some(id)) => (
            StatusCode::OK,
            user(s.scim_replace_user(t, ctx, id, op.version, body).await?),
        ),
        ("PUT", "Groups", Some(id)) => (
            StatusCode::OK,
            group(s.replace_group(t, ctx, id, op.version, body).await?),
        ),
        ("PATCH", "Users", Some(id)) => (
            StatusCode::OK,
            user(s.scim_patch_user(t, ctx, id, op.version, body).await?),
        ),
        ("PATCH", "Groups", Some(id)) => (
            StatusCode::OK,
            group(s.patch_group(t, ctx, id, op.version, body).await?),
        ),
        ("DELETE", "Users", Some(id)) => (
            StatusCode::NO_CONTENT,
            user(s.scim_delete_user(t, ctx, id, op.version).await?),
        ),
        ("DELETE", "Groups", Some(id)) => (
            StatusCode::NO_CONTENT,
            group(s.delete_group(t, ctx, id, op.version).await?),
        ),
        _ => {
            return Err(bulk_error(
                StatusCode::BAD_REQUEST,
                Some("invalidPath"),
                format!(
                    "{} {path}: not an operation of /Bulk (POST /Users, PUT|PATCH|DELETE /Users/{{id}}, the same for /Groups)",
                    op.method
                ),
            ));
        }
    };
    Ok((status, location, version))
}

/// `POST /Bulk` (RFC 7644 §3.7): the operations in order, each through
/// the same service as on its own endpoint; `bulkId:` references to
/// resources created in the same request are resolved, in whatever order
/// they were given; after `failOnErrors` errors the rest are not run.
async fn bulk(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let body = client.accept(&state, "scim.bulk", body_of(body)).await?;
    let (ops, fail_on_errors) = client.accept(&state, "scim.bulk", read_bulk(&body)).await?;
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0usize;
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    'passes: loop {
        let mut progressed = false;
        let mut waiting = Vec::new();
        for &i in &pending {
            let op = &ops[i];
            let mut data = op.data.clone();
            let path = resolve_path(&op.path, &ids);
            let unresolved = data.as_mut().and_then(|d| resolve_refs(d, &ids));
            let Ok(path) = path else {
                waiting.push(i);
                continue;
            };
            if unresolved.is_some() {
                waiting.push(i);
                continue;
            }
            progressed = true;
            let mut entry = json!({"method": op.method});
            if let Some(b) = &op.bulk_id {
                entry["bulkId"] = json!(b);
            }
            match run_bulk_op(&state, &client, op, &path, data.as_ref()).await {
                Ok((status, location, version)) => {
                    if let (Some(b), Some(id)) = (&op.bulk_id, location.rsplit('/').next()) {
                        ids.insert(b.clone(), id.to_owned());
                    }
                    entry["location"] = json!(location);
                    if status != StatusCode::NO_CONTENT {
                        entry["version"] = json!(usher_core::scim::resource::version_tag(version));
                    }
                    entry["status"] = json!(status.as_u16().to_string());
                }
                Err(e) => {
                    errors += 1;
                    entry["status"] = json!(e.status.as_u16().to_string());
                    let mut err = json!({
                        "schemas": [ERROR_URN],
                        "status": e.status.as_u16().to_string(),
                        "detail": e.detail,
                    });
                    if let Some(t) = e.scim_type {
                        err["scimType"] = json!(t);
                    }
                    entry["response"] = err;
                }
            }
            results[i] = Some(entry);
            if fail_on_errors.is_some_and(|n| errors >= n) {
                break 'passes;
            }
        }
        pending = waiting;
        if pending.is_empty() || !progressed {
            break;
        }
    }
    // References that never resolved: to a bulkId no operation created.
    if fail_on_errors.is_none_or(|n| errors < n) {
        for &i in &pending {
            let op = &ops[i];
            let mut entry = json!({
                "method": op.method,
                "status": "409",
                "response": {
                    "schemas": [ERROR_URN],
                    "status": "409",
                    "scimType": "invalidValue",
                    "detail": "refers to a bulkId that no operation of this request created",
                },
            });
            if let Some(b) = &op.bulk_id {
                entry["bulkId"] = json!(b);
            }
            results[i] = Some(entry);
        }
    }
    let operations: Vec<Value> = results.into_iter().flatten().collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [usher_core::scim::resource::BULK_RESPONSE_URN],
            "Operations": operations,
        }),
    ))
}

async fn delete_user(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let version = client
        .accept(&state, "user.delete", if_match(&headers))
        .await?;
    state
        .services
        .scim_delete_user(&client.tenant, &client.ctx, &id, version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn list_of(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_URN],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn service_provider_config(client: ScimClient) -> Response {
    scim_json(
        StatusCode::OK,
        &schemas::service_provider_config(&client.base),
    )
}

async fn resource_types(State(state): State<AppState>, client: ScimClient) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    Ok(scim_json(
        StatusCode::OK,
        &list_of(schemas::resource_types(&client.base, &ext)),
    ))
}

async fn resource_type(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    schemas::resource_types(&client.base, &ext)
        .into_iter()
        .find(|r| {
            r["id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(&id))
        })
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::not_found("no resource type of this name; see /ResourceTypes"))
}

async fn all_schemas(State(state): State<AppState>, client: ScimClient) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    Ok(scim_json(
        StatusCode::OK,
        &list_of(schemas::schemas(&client.base, &ext)),
    ))
}

async fn one_schema(
    State(state): State<AppState>,
    client: ScimClient,
    Path((_, id)): Path<(String, String)>,
) -> ScimResult<Response> {
    let ext = state.services.scim_extensions(&client.tenant).await?;
    schemas::schemas(&client.base, &ext)
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(&id))
        })
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("no schema with this id; see /Schemas"))
}

async fn read_only() -> ScimError {
    ScimError::method_not_allowed()
}

async fn unknown_endpoint() -> ScimError {
    ScimError::not_found("no such SCIM endpoint; see /ResourceTypes")
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this method is not allowed on this endpoint",
    )
}

/// A read-only discovery endpoint: every write method is 405.
fn discovery<H, T>(h: H) -> axum::routing::MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    get(h)
        .post(read_only)
        .put(read_only)
        .patch(read_only)
        .delete(read_only)
}

/// The SCIM routes, nested under `/scim/v2/{tenant}`.
pub(crate) fn routes() -> Router<AppState> {
    let tenant = Router::new()
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/.search", post(search_users))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/Groups", get(list_groups).post(create_group))
        .route("/Groups/.search", post(search_groups))
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .route("/.search", post(search_all))
        .route("/Bulk", post(bulk))
        .route("/ServiceProviderConfig", discovery(service_provider_config))
        .route("/ResourceTypes", discovery(resource_types))
        .route("/ResourceTypes/{id}", discovery(resource_type))
        .route("/Schemas", discovery(all_schemas))
        .route("/Schemas/{id}", discovery(one_schema))
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest("/scim/v2/{tenant}", tenant)
}
