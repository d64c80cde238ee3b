//! Optimistic concurrency: `ETag: W/"<version>"` out, `If-Match` in.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use usher_core::Error;
use usher_core::error::ErrorCode;

/// The version named by `If-Match`: `None` when absent or `*`.
#[derive(Debug)]
pub(crate) struct IfMatch(pub Result<Option<i64>, Error>);

/// Parses `W/"7"`, `"7"` or `*`.
pub(crate) fn parse_if_match(v: &str) -> Result<Option<i64>, Error> {
    let v = v.trim();
    if v == "*" {
        return Ok(None);
    }
    let inner = v.strip_prefix("W/").unwrap_or(v);
    inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            Error::bad_request(
                ErrorCode::InvalidIfMatch,
                "If-Match must be an ETag such as W/\"3\" (from a previous response)",
            )
        })
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let r = match parts.headers.get(header::IF_MATCH) {
            None => Ok(None),
            Some(v) => match v.to_str() {
                Ok(s) => parse_if_match(s),
                Err(_) => Err(Error::bad_request(
                    ErrorCode::InvalidIfMatch,
                    "If-Match must be ASCII",
                )),
            },
        };
        Ok(Self(r))
    }
}

pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{version}\""))
        .unwrap_or(HeaderValue::from_static("W/\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_strong_and_star_are_understood() {
        assert_eq!(parse_if_match("W/\"3\"").unwrap(), Some(3));
        assert_eq!(parse_if_match("\"12\"").unwrap(), Some(12));
        assert_eq!(parse_if_match("*").unwrap(), None);
        assert!(parse_if_match("3").is_err());
        assert!(parse_if_match("W/\"x\"").is_err());
    }
}
