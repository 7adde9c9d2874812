//! Secrets out of what the server logs about itself: a database URL with its password
//! replaced by `****` (in the user-info part and in a `password=` query parameter).

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
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
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
    }
}
