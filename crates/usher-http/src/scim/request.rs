//! Reading SCIM requests: list parameters, `SearchRequest` bodies (for the
//! `.search` endpoints), JSON bodies, `If-Match` and `If-None-Match`. Each
//! failure is a SCIM error that the handler audits.

use super::error::{ScimError, ScimResult};
use super::projection::{Projection, projection, split_list};
use crate::AppState;
use crate::extract::{JsonBody, ScimClient, parse_if_match};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use usher_core::audit::AuditAction;
use usher_core::scim::resource::{SEARCH_URN, member};
use usher_core::service::ScimQuery;

/// Query parameters of lists and single reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListParams {
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl ListParams {
    pub(super) fn projection(&self) -> Projection {
        projection(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
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

pub(super) fn query_of(p: &ListParams) -> ScimResult<ScimQuery> {
    Ok(ScimQuery {
        filter: p.filter.clone(),
        sort_by: p.sort_by.clone(),
        sort_order: p.sort_order.clone(),
        start_index: int_param("startIndex", p.start_index.as_ref())?,
        count: int_param("count", p.count.as_ref())?,
    })
}

/// Reads a JSON body, answering SCIM errors.
pub(super) fn body_of(body: JsonBody) -> ScimResult<Value> {
    body.0.map_err(ScimError::from)
}

pub(super) fn if_match(headers: &HeaderMap) -> ScimResult<Option<i64>> {
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
            parse_if_match(text).map_err(ScimError::from)
        }
    }
}

/// Whether `If-None-Match` names the current version (a GET then answers
/// 304).
pub(super) fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || parse_if_match(t).ok().flatten() == Some(version)
            })
        })
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

/// The `SearchRequest` of a `.search` endpoint, or its refusal, audited as
/// `action`.
pub(super) async fn accept_search(
    state: &AppState,
    client: &ScimClient,
    action: AuditAction,
    body: JsonBody,
) -> ScimResult<(ScimQuery, Projection)> {
    let body = client.accept(state, action, body_of(body)).await?;
    client.accept(state, action, search_request(&body)).await
}
