//! `GET /schemas/ids/{id}` answered before routing when the answer is in memory: the consumer
//! hot path pays only for what it needs (docs/performance.md, "Reads by id"). A plain request
//! (a path of digits, an `Accept` we can answer, and of the query only what consumers send
//! that the handler (`schemas`) reads: `subject`, `deleted`, `fetchMaxId=false`, an empty
//! `format`) whose schema memory holds gets the same answer the handler gives, and is
//! counted and logged under the same route; anything else (a miss, another parameter, a
//! `format`, a 406) goes through the router. Used only when no ACL and no audit log are configured: the
//! ACL's check of an id needs the registry, and it is the router's path that runs it.

use super::extract::Params;
use super::metrics::Measure;
use super::negotiate::{self, Wanted};
use super::render::{bytes_response, schema_string_body};
use crate::registry::Registry;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// The route template the answer is counted under.
const ROUTE: &str = "/schemas/ids/{id}";

/// The query parameters a plain read may carry: consumers send `subject` (confluent-kafka's
/// and Confluent's JavaScript deserializers) and `deleted` (KafkaJS's), which the handler
/// does not read.
const PLAIN_PARAMETERS: [&str; 4] = ["subject", "deleted", "fetchMaxId", "format"];

/// A request the id cache may answer, read off the request before anything is awaited.
pub(super) struct Plain {
    id: i32,
    /// `?subject=`, which selects the context.
    subject: Option<String>,
    chosen: &'static str,
    measure: Measure,
}

/// Whether the request is a plain read by id (see the module's documentation).
pub(super) fn plain(request: &Request) -> Option<Plain> {
    if request.method() != Method::GET {
        return None;
    }
    let id = plain_id(request.uri().path())?;
    let params = Params::parse(request.uri().query());
    let plain_query = params.names().all(|name| PLAIN_PARAMETERS.contains(&name))
        && params.get("format").is_none_or(str::is_empty)
        && !params.flag("fetchMaxId");
    if !plain_query {
        return None;
    }
    let Wanted::Type(chosen) = negotiate::wanted(request) else {
        return None;
    };
    Some(Plain {
        id,
        subject: params
            .get("subject")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        chosen,
        measure: Measure::start_as(ROUTE, request),
    })
}

/// The answer from memory, or `None` to route the request.
pub(super) async fn answer(registry: &Registry, plain: Plain) -> Option<Response> {
    let schema = registry
        .remembered_schema_by_id(i64::from(plain.id), plain.subject.as_deref())
        .await?;
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
