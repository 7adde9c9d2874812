//! Secrets out of what the server logs about itself: a database URL with its password
//! replaced by `****` (in the user-info part), and the value of every query parameter but
//! those known to hold no secret (`sslmode`, the TLS file names, host, port, user, ...):
//! `password=`, libpq's `sslpassword=`, a misspelt name or a key given inline as PEM text
//! are all shown as `****`.

/// Whether a query parameter's value is shown (`docs/tls.md` §3): PostgreSQL's parameters the
/// store passes to the driver, but the two that may carry a secret, and SQLite's; none is a
/// secret, unless it is PEM text given inline.
fn shown(key: &str) -> bool {
    const SECRET: [&str; 2] = ["password", "options"];
    const SQLITE: [&str; 4] = ["mode", "cache", "immutable", "vfs"];
    (crate::store::POSTGRES_URL_PARAMETERS.contains(&key) && !SECRET.contains(&key))
        || SQLITE.contains(&key)
}

/// `url` with every password in it replaced by `****`.
pub(super) fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // The user info ends at the last `@`: a password may hold `/`, `?` or `@` unescaped.
    let (user_info, rest) = match rest.rsplit_once('@') {
        Some((user_info, host_and_path)) => match user_info.split_once(':') {
            Some((user, _password)) => (format!("{user}:****@"), host_and_path),
            None => (format!("{user_info}@"), host_and_path),
        },
        None => (String::new(), rest),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(authority_end);
    let authority = format!("{user_info}{host}");
    let path = match path.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, value)) if !shown(key) || value.starts_with("-----BEGIN") => {
                        format!("{key}=****")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_replaced_and_everything_else_kept() {
        assert_eq!(
            redact_url("postgres://app:s3cr:et@db.internal:5432/registry?sslmode=require"),
            "postgres://app:****@db.internal:5432/registry?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/registry?user=app&password=s3cret&sslmode=require"),
            "postgres://db/registry?user=app&password=****&sslmode=require"
        );
        assert_eq!(redact_url("postgres://app@db/r"), "postgres://app@db/r");
        assert_eq!(redact_url("sqlite://schemata.db"), "sqlite://schemata.db");
        assert_eq!(redact_url("postgres://a:b@c"), "postgres://a:****@c");
        assert_eq!(
            redact_url("postgres://a:p/w?x@y@host/db"),
            "postgres://a:****@host/db"
        );
        assert_eq!(
            redact_url(
                "postgres://db/r?sslmode=verify-full&sslkey=/k.pem&sslpassword=pass&passwrd=typo"
            ),
            "postgres://db/r?sslmode=verify-full&sslkey=/k.pem&sslpassword=****&passwrd=****"
        );
        assert_eq!(
            redact_url("postgres://db/r?sslkey=-----BEGIN%20PRIVATE%20KEY-----abc"),
            "postgres://db/r?sslkey=****"
        );
        assert_eq!(
            redact_url("sqlite://s.db?mode=rwc"),
            "sqlite://s.db?mode=rwc"
        );
    }
}
