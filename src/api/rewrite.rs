//! Path rewriting before routing: trailing slashes (the Java client posts to
//! `/compatibility/subjects/{s}/versions/`) and CSR's context URL form
//! `/contexts/{ctx}/subjects/...` → `/subjects/:{ctx}:...`.

use axum::extract::Request;
use axum::http::Uri;

pub fn rewrite_request(mut req: Request) -> Request {
    let uri = req.uri();
    if let Some(path_and_query) = rewrite_path(uri.path(), uri.query()) {
        let mut parts = uri.clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(new_uri) = Uri::from_parts(parts) {
                *req.uri_mut() = new_uri;
            }
        }
    }
    req
}

/// The rewritten `path?query`, or `None` when the path is routed as it is.
pub fn rewrite_path(path: &str, query: Option<&str>) -> Option<String> {
    let trimmed = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let context = context_form(trimmed);
    if context.is_none() && trimmed.len() == path.len() {
        // The common case: routed as it is, nothing allocated.
        return None;
    }
    let (new_path, extra_query) = context.unwrap_or_else(|| (trimmed.to_string(), None));
    let query = match (query.filter(|q| !q.is_empty()), extra_query) {
        (Some(q), Some(extra)) => Some(format!("{q}&{extra}")),
        (Some(q), None) => Some(q.to_string()),
        (None, extra) => extra,
    };
    Some(match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    })
}

/// `/contexts/{ctx}/<resource>/...` → the plain resource path with the subject qualified.
fn context_form(path: &str) -> Option<(String, Option<String>)> {
    let rest = path.strip_prefix("/contexts/")?;
    let (raw_context, rest) = rest.split_once('/')?;
    let context = percent_encoding::percent_decode_str(raw_context)
        .decode_utf8()
        .ok()?;
    if context.contains(':') || context.is_empty() {
        return None;
    }
    let context = if context.starts_with('.') {
        context.to_string()
    } else {
        format!(".{context}")
    };
    let prefix = format!(":{context}:");
    let mut segments = rest.splitn(3, '/');
    let resource = segments.next()?;
    let first = segments.next();
    let tail = segments.next();
    let join = |head: &str, subject: &str, tail: Option<&str>| match tail {
        Some(t) => format!("/{head}/{prefix}{subject}/{t}"),
        None => format!("/{head}/{prefix}{subject}"),
    };
    match (resource, first) {
        ("subjects", None) => Some(("/subjects".into(), Some(format!("subjectPrefix={prefix}")))),
        ("subjects", Some(subject)) => Some((join("subjects", subject, tail), None)),
        ("config" | "mode", None) => Some((format!("/{resource}/{prefix}"), None)),
        ("config" | "mode", Some(subject)) => Some((join(resource, subject, tail), None)),
        ("compatibility", Some("subjects")) => {
            let tail = tail?;
            let (subject, after) = match tail.split_once('/') {
                Some((s, a)) => (s, Some(a)),
                None => (tail, None),
            };
            Some((join("compatibility/subjects", subject, after), None))
        }
        ("schemas", _) => {
            let plain = match (first, tail) {
                (Some(f), Some(t)) => format!("/schemas/{f}/{t}"),
                (Some(f), None) => format!("/schemas/{f}"),
                _ => "/schemas".into(),
            };
            let selector = if first.is_none() {
                "subjectPrefix"
            } else {
                "subject"
            };
            Some((plain, Some(format!("{selector}={prefix}"))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite_path;

    #[test]
    fn trims_trailing_slashes() {
        assert_eq!(
            rewrite_path("/compatibility/subjects/s/versions/", Some("verbose=true")).as_deref(),
            Some("/compatibility/subjects/s/versions?verbose=true")
        );
        assert_eq!(rewrite_path("/subjects", None), None);
        assert_eq!(rewrite_path("/", None), None);
    }

    #[test]
    fn rewrites_context_urls() {
        assert_eq!(
            rewrite_path("/contexts/.ctx/subjects/a/versions", None).as_deref(),
            Some("/subjects/:.ctx:a/versions")
        );
        assert_eq!(
            rewrite_path("/contexts/.ctx/subjects", None).as_deref(),
            Some("/subjects?subjectPrefix=:.ctx:")
        );
        assert_eq!(
            rewrite_path("/contexts/.ctx/config", None).as_deref(),
            Some("/config/:.ctx:")
        );
        assert_eq!(
            rewrite_path("/contexts/ctx/mode/a", None).as_deref(),
            Some("/mode/:.ctx:a")
        );
        assert_eq!(
            rewrite_path(
                "/contexts/.ctx/compatibility/subjects/a/versions/latest",
                None
            )
            .as_deref(),
            Some("/compatibility/subjects/:.ctx:a/versions/latest")
        );
        assert_eq!(
            rewrite_path("/contexts/.ctx/schemas/ids/3", None).as_deref(),
            Some("/schemas/ids/3?subject=:.ctx:")
        );
        assert_eq!(rewrite_path("/contexts/.ctx", None), None);
        assert_eq!(rewrite_path("/contexts", None), None);
    }
}
