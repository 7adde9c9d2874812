//! `GET /schemas/ids/{id}` answered before routing when the answer is in memory: the consumer
//! hot path pays only for what it needs (docs/performance.md, "Reads by id"). A plain request
//! for an id of the default context (no query, a path of digits, an `Accept` we can answer)
//! whose schema the id cache holds gets the same answer the handler (`schemas`) gives, and is
//! counted and logged under the same route; anything else (a miss, a query, a context, a
//! 406) goes through the router. Used only when no ACL and no audit log are configured: the
//! ACL's check of an id needs the registry, and it is the router's path that runs it.

use super::metrics::Measure;
use super::negotiate::{self, Wanted};
use super::render::{bytes_response, schema_string_body};
use crate::registry::Registry;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// The route template the answer is counted under.
const ROUTE: &str = "/schemas/ids/{id}";

/// A request the id cache may answer, read off the request before anything is awaited.
pub(super) struct Plain {
    id: i32,
    chosen: &'static str,
    measure: Measure,
}

/// Whether the request is a plain read by id (see the module's documentation).
pub(super) fn plain(request: &Request) -> Option<Plain> {
    if request.method() != Method::GET || request.uri().query().is_some() {
        return None;
    }
    let id = plain_id(request.uri().path())?;
    let Wanted::Type(chosen) = negotiate::wanted(request) else {
        return None;
    };
    Some(Plain {
        id,
        chosen,
        measure: Measure::start_as(ROUTE, request),
    })
}

/// The answer from memory, or `None` to route the request.
pub(super) async fn answer(registry: &Registry, plain: Plain) -> Option<Response> {
    let schema = registry.remembered_schema(i64::from(plain.id)).await?;
    let mut response = bytes_response(StatusCode::OK, schema.id_response(schema_string_body));
    negotiate::relabel(&mut response, plain.chosen);
    plain.measure.finish(&response);
    Some(response)
}

/// The id of `/schemas/ids/{digits}`; other spellings the handler also reads (a sign,
/// spaces) are left to it.
fn plain_id(path: &str) -> Option<i32> {
    let digits = path.strip_prefix("/schemas/ids/")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_digits_is_a_plain_id() {
        assert_eq!(plain_id("/schemas/ids/42"), Some(42));
        assert_eq!(plain_id("/schemas/ids/007"), Some(7));
        for routed in [
            "/schemas/ids/",
            "/schemas/ids/+4",
            "/schemas/ids/4/schema",
            "/schemas/ids/99999999999",
            "/schemas/ids/x",
            "/subjects/4",
        ] {
            assert_eq!(plain_id(routed), None, "{routed}");
        }
    }
}
