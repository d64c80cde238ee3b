//! Counting and timing requests by route template. The router applies
//! [`CountRequestsLayer`] to every route (and the fallback), after routing,
//! so a request carries its [`MatchedPath`]: the template
//! (`/t/{tenant}/invite/{token}`), never the path, which can hold a link's
//! secret. The same [`route_of`] names the route in request logs.

use super::{Metrics, UNMATCHED, method_label};
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::response::Response;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

/// The route template a request matched, or [`UNMATCHED`]. A nested
/// router's fallback (SCIM's unknown endpoints) matches a catch-all that
/// axum names itself; that is no route either.
pub(crate) fn route_of<B>(req: &Request<B>) -> &str {
    template(req.extensions().get::<MatchedPath>())
}

fn template(matched: Option<&MatchedPath>) -> &str {
    match matched {
        Some(p) if !p.as_str().contains("{*__private__axum") => p.as_str(),
        _ => UNMATCHED,
    }
}

/// Counts every answered request in `usher_http_requests_total` and its
/// duration in `usher_http_request_duration_seconds`.
#[derive(Debug, Clone)]
pub(crate) struct CountRequestsLayer {
    metrics: Metrics,
}

impl CountRequestsLayer {
    pub(crate) fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for CountRequestsLayer {
    type Service = CountRequests<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CountRequests {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CountRequests<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B> Service<Request<B>> for CountRequests<S>
where
    S: Service<Request<B>, Response = Response>,
    // Axum's route futures are `Unpin` (they box what they run), so the
    // future below can poll them without pin projection.
    S::Future: Unpin,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let start = Instant::now();
        let method = method_label(req.method());
        let route = req.extensions().get::<MatchedPath>().cloned();
        Counted {
            answer: self.inner.call(req),
            seen: Some(Seen {
                start,
                method,
                route,
                metrics: self.metrics.clone(),
            }),
        }
    }
}

/// What a request's count needs once it is answered.
#[derive(Debug)]
struct Seen {
    start: Instant,
    method: &'static str,
    route: Option<MatchedPath>,
    metrics: Metrics,
}

/// A request's answer, counted when it is ready. A request dropped before
/// its answer (its client went away) is not counted.
#[derive(Debug)]
pub(crate) struct Counted<F> {
    answer: F,
    seen: Option<Seen>,
}

impl<F, E> Future for Counted<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let res = std::task::ready!(Pin::new(&mut self.answer).poll(cx));
        if let (Ok(r), Some(s)) = (&res, self.seen.take()) {
            let route = template(s.route.as_ref());
            s.metrics
                .count_request(s.method, route, r.status(), s.start.elapsed());
        }
        Poll::Ready(res)
    }
}
