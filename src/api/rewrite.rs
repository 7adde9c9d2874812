//! Path rewriting before routing: trailing slashes (the Java client posts to
//! `/compatibility/subjects/{s}/versions/`) and CSR's context URL form
//! `/contexts/{ctx}/subjects/...` → `/subjects/:{ctx}:...`.

use axum::extract::Request;
use axum::http::Uri;

pub(super) fn rewrite_request(mut req: Request) -> Request {
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

/// `/contexts/{ctx}/...` with a context name that cannot be one (it contains `:`): CSR answers
/// 400 rather than an unknown path (`docs/rest-api.md` §2.3). [`rewrite_request`] leaves such paths as they are.
pub(super) fn invalid_context(path: &str) -> Option<super::error::ApiError> {
    let (raw_context, _) = path.strip_prefix("/contexts/")?.split_once('/')?;
    let context = percent_encoding::percent_decode_str(raw_context).decode_utf8_lossy();
    context.contains(':').then(|| {
        super::error::ApiError::bad_request(format!(
            "Invalid context name '{context}': it may not contain ':'"
        ))
    })
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
    let query = query.filter(|q| !q.is_empty());
    let (new_path, query) = match context {
        Some(rewritten) => {
            let query = rewritten.query(query);
            (rewritten.path, query)
        }
        None => (trimmed.to_string(), query.map(str::to_string)),
    };
    Some(match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    })
}

/// A context URL rewritten: the plain path, the `:.ctx:` prefix, and the query parameter
/// that selects the context when the path itself names no subject.
struct ContextForm {
    path: String,
    prefix: String,
    selector: Option<&'static str>,
}

impl ContextForm {
    /// The query with `subject`/`subjectPrefix` values qualified by the context (values
    /// already qualified are kept), plus the selector when the caller sent none.
    fn query(&self, query: Option<&str>) -> Option<String> {
        let mut pairs = Vec::new();
        let mut selector_sent = false;
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == "subject" || key == "subjectPrefix" {
                selector_sent |= self.selector == Some(key);
                let qualified = value.starts_with(':') || value.starts_with("%3A");
                if !qualified {
                    pairs.push(format!("{key}={}{value}", self.prefix));
                    continue;
                }
            }
            pairs.push(pair.to_string());
        }
        if let (Some(selector), false) = (self.selector, selector_sent) {
            pairs.push(format!("{selector}={}", self.prefix));
        }
        (!pairs.is_empty()).then(|| pairs.join("&"))
    }
}

/// `/contexts/{ctx}/<resource>/...` → the plain resource path with the subject qualified.
fn context_form(path: &str) -> Option<ContextForm> {
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
    let (path, selector) = match (resource, first) {
        ("subjects", None) => ("/subjects".into(), Some("subjectPrefix")),
        ("subjects", Some(subject)) => (join("subjects", subject, tail), None),
        ("config" | "mode", None) => (format!("/{resource}/{prefix}"), None),
        ("config" | "mode", Some(subject)) => (join(resource, subject, tail), None),
        ("compatibility", Some("subjects")) => {
            let tail = tail?;
            let (subject, after) = match tail.split_once('/') {
                Some((s, a)) => (s, Some(a)),
                None => (tail, None),
            };
            (join("compatibility/subjects", subject, after), None)
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
            (plain, Some(selector))
        }
        _ => return None,
    };
    Some(ContextForm {
        path,
        prefix,
        selector,
    })
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

    #[test]
    fn context_urls_qualify_the_subject_parameters_sent() {
        assert_eq!(
            rewrite_path(
                "/contexts/.c1/subjects",
                Some("subjectPrefix=orders&deleted=true")
            )
            .as_deref(),
            Some("/subjects?subjectPrefix=:.c1:orders&deleted=true")
        );
        assert_eq!(
            rewrite_path("/contexts/.c1/schemas/ids/1", Some("subject=orders-value")).as_deref(),
            Some("/schemas/ids/1?subject=:.c1:orders-value")
        );
        assert_eq!(
            rewrite_path(
                "/contexts/.c1/schemas",
                Some("subjectPrefix=o&latestOnly=true")
            )
            .as_deref(),
            Some("/schemas?subjectPrefix=:.c1:o&latestOnly=true")
        );
        // Already qualified: kept as sent; other parameters untouched.
        assert_eq!(
            rewrite_path(
                "/contexts/.c1/schemas/ids/1",
                Some("subject=:.c2:x&format=resolved")
            )
            .as_deref(),
            Some("/schemas/ids/1?subject=:.c2:x&format=resolved")
        );
    }
}
