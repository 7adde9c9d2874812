//! The PostgreSQL URL as the driver gets it (docs/tls.md §3).
//!
//! **Parameters the driver does not know** are taken out, each named in a warning without
//! its value: the driver would log them *with* their value, and one of libpq's is a secret
//! (`sslpassword`, the passphrase of an encrypted client key, which the driver cannot use).
//!
//! **The TLS files** it names: libpq's `sslrootcert` (the CA the server's certificate must
//! chain to), `sslcert` and `sslkey` (the client certificate and its key, for servers that
//! ask for one), or the `PGSSLROOTCERT`, `PGSSLCERT` and `PGSSLKEY` variables when the URL
//! names none. The driver reads them only during the TLS handshake and then reports a
//! missing file as a bare "No such file or directory"; they are read here first, so that a
//! file that is missing, unreadable or holds no PEM of the right kind stops the connection
//! with an error naming the parameter and the file. Nothing of a file's content ever
//! reaches the error. A value that is itself PEM text (which the driver also takes) is left
//! to the driver.

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What a file must hold.
#[derive(Clone, Copy)]
enum Holds {
    Certificates,
    PrivateKey,
}

/// The parameters, with the spellings the driver accepts and their variables.
const FILES: [(&[&str], &str, &str, Holds); 3] = [
    (
        &["sslrootcert", "ssl-root-cert", "ssl-ca"],
        "PGSSLROOTCERT",
        "root certificate",
        Holds::Certificates,
    ),
    (
        &["sslcert", "ssl-cert"],
        "PGSSLCERT",
        "client certificate",
        Holds::Certificates,
    ),
    (
        &["sslkey", "ssl-key"],
        "PGSSLKEY",
        "client key",
        Holds::PrivateKey,
    ),
];

/// The query parameters the driver reads (the names it accepts, `options[...]` aside).
pub const KNOWN_PARAMETERS: [&str; 18] = [
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// `url` ready for the driver: its TLS files checked (the error names the parameter and the
/// file) and the parameters it does not know removed, with a warning naming each.
pub(super) fn prepare(url: &str) -> Result<String, String> {
    check(url)?;
    Ok(without_unknown_parameters(url))
}

fn without_unknown_parameters(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = decode(pair.split_once('=').map_or(pair, |(k, _)| k));
        if KNOWN_PARAMETERS.contains(&key.as_str()) || key.starts_with("options[") {
            kept.push(pair);
        } else if key == "sslpassword" {
            tracing::warn!(
                "the database URL's sslpassword is ignored (its value is not shown): \
                 encrypted client keys are not supported, give sslkey an unencrypted key \
                 readable only by the server's user"
            );
        } else {
            tracing::warn!(
                parameter = %key,
                "the database URL's parameter is not supported and is ignored (its value is not shown)"
            );
        }
    }
    let mut out = base.to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Check every TLS file `url` (or the environment) names, unless `sslmode` is `disable`.
/// The error names the parameter and the file.
fn check(url: &str) -> Result<(), String> {
    let pairs = query_pairs(url);
    let named = |keys: &[&str]| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    let mode = named(&["sslmode", "ssl-mode"]).or_else(|| std::env::var("PGSSLMODE").ok());
    if mode.is_some_and(|m| m.eq_ignore_ascii_case("disable")) {
        return Ok(());
    }
    for (keys, variable, what, holds) in FILES {
        let (given, path) = match named(keys) {
            Some(path) => (keys[0], path),
            None => match std::env::var(variable) {
                Ok(path) => (variable, path),
                Err(_) => continue,
            },
        };
        let trimmed = path.trim();
        if trimmed.starts_with("-----BEGIN") && trimmed.ends_with("-----") {
            continue;
        }
        check_file(&path, holds).map_err(|why| format!("the {what} ({given}) {path} {why}"))?;
    }
    Ok(())
}

fn check_file(path: &str, holds: Holds) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let readable = match holds {
        Holds::Certificates => CertificateDer::pem_slice_iter(&bytes)
            .next()
            .is_some_and(|c| c.is_ok()),
        Holds::PrivateKey => PrivateKeyDer::from_pem_slice(&bytes).is_ok(),
    };
    if readable {
        Ok(())
    } else {
        Err(match holds {
            Holds::Certificates => "holds no PEM certificate".to_string(),
            Holds::PrivateKey => "holds no PEM private key (PKCS#8, PKCS#1 or SEC1)".to_string(),
        })
    }
}

/// The query of a URL as (key, value) pairs, decoded as the driver decodes them
/// (`application/x-www-form-urlencoded`: `+` is a space, then percent-decoding; [`decode`]).
fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// A key or value of the query as the driver decodes it.
fn decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_decoded_like_the_drivers() {
        assert_eq!(
            query_pairs("postgres://h/db?sslmode=require&sslkey=%2Ftmp%2Fa+b.key#x"),
            [
                ("sslmode".to_string(), "require".to_string()),
                ("sslkey".to_string(), "/tmp/a b.key".to_string()),
            ]
        );
        assert!(query_pairs("postgres://h/db").is_empty());
    }

    #[test]
    fn unknown_parameters_are_removed_and_known_ones_kept_as_written() {
        let url = "postgres://u:p@h:5432/db?sslmode=require&sslpassword=s3cret&ssl%2Dkey=%2Fk&options[search_path]=x&passwrd=oops#f";
        assert_eq!(
            without_unknown_parameters(url),
            "postgres://u:p@h:5432/db?sslmode=require&ssl%2Dkey=%2Fk&options[search_path]=x#f"
        );
        assert_eq!(
            without_unknown_parameters("postgres://h/db?sslpassword=x"),
            "postgres://h/db"
        );
        assert_eq!(
            without_unknown_parameters("postgres://h/db"),
            "postgres://h/db"
        );
    }

    #[test]
    fn a_missing_file_is_named_with_its_parameter_unless_tls_is_off() {
        let missing = "/nonexistent/schemata/client.key";
        let url = format!("postgres://u@h/db?sslmode=require&ssl-key={missing}");
        let error = check(&url).unwrap_err();
        assert!(
            error.starts_with(&format!("the client key (sslkey) {missing} cannot be read")),
            "{error}"
        );
        let off = format!("postgres://u@h/db?sslmode=disable&sslkey={missing}");
        assert_eq!(check(&off), Ok(()));
        // Inline PEM is the driver's business, and is never repeated.
        let inline = "postgres://u@h/db?sslkey=-----BEGIN%20PRIVATE%20KEY-----x-----END%20PRIVATE%20KEY-----";
        assert_eq!(check(inline), Ok(()));
    }
}
