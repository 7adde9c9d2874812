//! Which operation a request is, on which subject (`docs/rest-api.md` §11): the route table
//! of the ACL. Paths arrive rewritten (`rewrite`: a context URL is already the plain route
//! with its subject qualified) and are read here without the router.

use super::rules::Operation;
use crate::domain::QualifiedSubject;
use axum::http::Method;
use percent_encoding::percent_decode_str;

/// What a request needs to be allowed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing beyond being authenticated: `/`, `/v1/metadata/...`, `/schemas/types`, and
    /// paths or methods the router answers 404 or 405 to.
    Nothing,
    /// An operation on one subject, written in the path after `head`.
    Subject {
        op: Operation,
        subject: QualifiedSubject,
        /// The path up to the subject segment (`/subjects/`, `/config/`, ...).
        head: &'static str,
        /// Whether the path names it bare (so reads may search other contexts).
        bare: bool,
    },
    /// A global operation.
    Global(Operation),
    /// `GET /subjects` and `GET /schemas`: filtered to what the principal may read.
    Listing,
    /// `GET /schemas/ids/{id}` and `/schema`: some readable subject must use the id.
    SchemaId(i64),
    /// `GET /schemas/ids/{id}/subjects` and `/versions`: as `SchemaId`, then filtered.
    IdListing(i64),
    /// `GET /schemas/guids/{guid}` and `/ids`: some readable subject must use the schema.
    Guid(String),
}

/// The need of a request with this method and (rewritten) path.
pub(crate) fn need(method: &Method, path: &str) -> Need {
    let read = *method == Method::GET || *method == Method::HEAD;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let subject = |head: &'static str, raw: &str, op: Operation| {
        let decoded = percent_decode_str(raw).decode_utf8_lossy();
        Need::Subject {
            op,
            bare: !decoded.starts_with(':'),
            subject: QualifiedSubject::parse(&decoded),
            head,
        }
    };
    let id = |raw: &str| raw.trim().parse::<i32>().ok().map(i64::from);
    use Operation::*;
    match (segments.as_slice(), method) {
        (["subjects"], _) if read => Need::Listing,
        (["subjects", s], &Method::POST) => subject("/subjects/", s, Read),
        (["subjects", s], &Method::DELETE) => subject("/subjects/", s, Delete),
        (["subjects", s, "versions"], &Method::POST) => subject("/subjects/", s, Write),
        (["subjects", s, "versions", _], &Method::DELETE) => subject("/subjects/", s, Delete),
        (["subjects", s, "versions", ..] | ["subjects", s, "metadata"], _) if read => {
            subject("/subjects/", s, Read)
        }
        (["compatibility", "subjects", s, "versions", ..], &Method::POST) => {
            subject("/compatibility/subjects/", s, Write)
        }
        (["config" | "mode"], _) => Need::Global(config_op(read)),
        ([scope @ ("config" | "mode"), s], _) => {
            let head = if *scope == "config" {
                "/config/"
            } else {
                "/mode/"
            };
            match subject(head, s, config_op(read)) {
                // A context's own settings (`:.ctx:`) and `.__GLOBAL`'s are global ones.
                Need::Subject { subject, .. } if subject.name.is_empty() => {
                    Need::Global(config_op(read))
                }
                need => need,
            }
        }
        (["contexts"], _) if read => Need::Global(Read),
        (["contexts", _], &Method::DELETE) => Need::Global(Delete),
        (["metrics"], _) if read => Need::Global(Read),
        // The follower's status is the server's like `/metrics`; stopping it changes what
        // every scope allows, like a global mode change.
        (["v1", "follow"], _) if read => Need::Global(Read),
        (["v1", "follow", "stop"], &Method::POST) => Need::Global(ConfigWrite),
        (["schemas"], _) if read => Need::Listing,
        (["schemas", "ids", raw] | ["schemas", "ids", raw, "schema"], _) if read => {
            id(raw).map_or(Need::Nothing, Need::SchemaId)
        }
        (["schemas", "ids", raw, "subjects" | "versions"], _) if read => {
            id(raw).map_or(Need::Nothing, Need::IdListing)
        }
        (["schemas", "guids", guid] | ["schemas", "guids", guid, "ids"], _) if read => {
            Need::Guid(percent_decode_str(guid).decode_utf8_lossy().into_owned())
        }
        _ => Need::Nothing,
    }
}

fn config_op(read: bool) -> Operation {
    if read {
        Operation::ConfigRead
    } else {
        Operation::ConfigWrite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op_on(method: Method, path: &str) -> (Operation, String) {
        match need(&method, path) {
            Need::Subject { op, subject, .. } => (op, subject.qualified()),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn subject_routes_map_to_their_operations() {
        use Operation::*;
        let cases = [
            (Method::POST, "/subjects/a", Read),
            (Method::DELETE, "/subjects/a", Delete),
            (Method::GET, "/subjects/a/versions", Read),
            (Method::POST, "/subjects/a/versions", Write),
            (Method::GET, "/subjects/a/versions/latest", Read),
            (Method::GET, "/subjects/a/versions/1/schema", Read),
            (Method::GET, "/subjects/a/versions/1/referencedby", Read),
            (Method::DELETE, "/subjects/a/versions/1", Delete),
            (Method::GET, "/subjects/a/metadata", Read),
            (Method::POST, "/compatibility/subjects/a/versions", Write),
            (
                Method::POST,
                "/compatibility/subjects/a/versions/latest",
                Write,
            ),
            (Method::GET, "/config/a", ConfigRead),
            (Method::PUT, "/config/a", ConfigWrite),
            (Method::DELETE, "/mode/a", ConfigWrite),
            (Method::GET, "/mode/a", ConfigRead),
        ];
        for (method, path, expected) in cases {
            assert_eq!(
                op_on(method.clone(), path),
                (expected, "a".into()),
                "{method} {path}"
            );
        }
        assert_eq!(
            op_on(Method::GET, "/subjects/%3A.c1%3Ax/versions"),
            (Read, ":.c1:x".into())
        );
    }

    #[test]
    fn global_listing_and_id_routes() {
        use Operation::*;
        assert_eq!(need(&Method::GET, "/config"), Need::Global(ConfigRead));
        assert_eq!(need(&Method::PUT, "/mode"), Need::Global(ConfigWrite));
        assert_eq!(
            need(&Method::PUT, "/config/:.c1:"),
            Need::Global(ConfigWrite)
        );
        assert_eq!(need(&Method::GET, "/contexts"), Need::Global(Read));
        assert_eq!(need(&Method::DELETE, "/contexts/.c1"), Need::Global(Delete));
        assert_eq!(need(&Method::GET, "/metrics"), Need::Global(Read));
        assert_eq!(need(&Method::GET, "/v1/follow"), Need::Global(Read));
        assert_eq!(
            need(&Method::POST, "/v1/follow/stop"),
            Need::Global(ConfigWrite)
        );
        assert_eq!(need(&Method::GET, "/subjects"), Need::Listing);
        assert_eq!(need(&Method::GET, "/schemas"), Need::Listing);
        assert_eq!(need(&Method::GET, "/schemas/ids/7"), Need::SchemaId(7));
        assert_eq!(
            need(&Method::GET, "/schemas/ids/7/schema"),
            Need::SchemaId(7)
        );
        assert_eq!(
            need(&Method::GET, "/schemas/ids/7/versions"),
            Need::IdListing(7)
        );
        assert_eq!(
            need(&Method::GET, "/schemas/guids/g/ids"),
            Need::Guid("g".into())
        );
        for (method, path) in [
            (Method::GET, "/"),
            (Method::GET, "/schemas/types"),
            (Method::GET, "/v1/metadata/id"),
            (Method::GET, "/schemas/ids/x"),
            (Method::PUT, "/subjects/a"),
            (Method::GET, "/nowhere"),
        ] {
            assert_eq!(need(&method, path), Need::Nothing, "{method} {path}");
        }
    }
}
