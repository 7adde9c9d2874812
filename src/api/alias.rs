//! Subject aliases (`alias` in a subject's own config, `docs/rest-api.md` §5.7): requests for
//! an alias are served as requests for the subject it names, under `/subjects/{s}/...`,
//! `/compatibility/subjects/{s}/...` and in `?subject=` of `/schemas/ids/{id}...`.
//!
//! Deletes are not redirected: a DELETE through an alias would remove the target's versions,
//! which nobody asking to drop an alias means. Config and mode always address the alias
//! itself (that is how an alias is set, changed or removed).

use crate::domain::QualifiedSubject;
use crate::registry::{Registry, Result};
use axum::http::{Method, Uri};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters written as they are in a rewritten subject segment or query value.
const SUBJECT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':')
    .remove(b'~');

/// Whether the request names a subject an alias could stand for; only such requests are
/// [`resolve`]d (the others, `GET /schemas/ids/{id}` above all, skip its future entirely).
pub(super) fn may_apply(method: &Method, uri: &Uri) -> bool {
    let path = uri.path();
    method != Method::DELETE
        && (path.starts_with("/subjects/")
            || path.starts_with("/compatibility/subjects/")
            || (path.starts_with("/schemas/ids/")
                && uri.query().is_some_and(|q| q.contains("subject="))))
}

/// The request's URI with an alias replaced by its target, or `None` if nothing changes.
pub(super) async fn resolve(
    registry: &Registry,
    method: &Method,
    uri: &Uri,
) -> Result<Option<Uri>> {
    if method == Method::DELETE {
        return Ok(None);
    }
    aliased_uri(registry, uri).await
}

async fn aliased_uri(registry: &Registry, uri: &Uri) -> Result<Option<Uri>> {
    let path = uri.path();
    let (head, rest) = if let Some(rest) = path.strip_prefix("/subjects/") {
        ("/subjects/", rest)
    } else if let Some(rest) = path.strip_prefix("/compatibility/subjects/") {
        ("/compatibility/subjects/", rest)
    } else if path.starts_with("/schemas/ids/") {
        return aliased_subject_parameter(registry, uri).await;
    } else {
        return Ok(None);
    };
    let (raw_subject, tail) = match rest.split_once('/') {
        Some((subject, tail)) => (subject, Some(tail)),
        None => (rest, None),
    };
    let subject = QualifiedSubject::parse(&percent_decode_str(raw_subject).decode_utf8_lossy());
    let Some(target) = registry.alias_of(&subject).await? else {
        return Ok(None);
    };
    let encoded = utf8_percent_encode(&target.qualified(), SUBJECT_ENCODE).to_string();
    let mut rewritten = format!("{head}{encoded}");
    if let Some(tail) = tail {
        rewritten.push('/');
        rewritten.push_str(tail);
    }
    if let Some(query) = uri.query() {
        rewritten.push('?');
        rewritten.push_str(query);
    }
    Ok(rewritten.parse().ok())
}

/// `/schemas/ids/{id}...?subject=<alias>` → `subject=<target>`.
async fn aliased_subject_parameter(registry: &Registry, uri: &Uri) -> Result<Option<Uri>> {
    let Some(query) = uri.query().filter(|q| q.contains("subject=")) else {
        return Ok(None);
    };
    let mut changed = false;
    let mut pairs = Vec::new();
    for pair in query.split('&') {
        if let Some(raw) = pair.strip_prefix("subject=") {
            let subject = QualifiedSubject::parse(&percent_decode_str(raw).decode_utf8_lossy());
            if let Some(target) = registry.alias_of(&subject).await? {
                let qualified = target.qualified();
                let encoded = utf8_percent_encode(&qualified, SUBJECT_ENCODE);
                pairs.push(format!("subject={encoded}"));
                changed = true;
                continue;
            }
        }
        pairs.push(pair.to_string());
    }
    if !changed {
        return Ok(None);
    }
    Ok(format!("{}?{}", uri.path(), pairs.join("&")).parse().ok())
}
