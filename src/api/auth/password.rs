//! A password as the users file stores it, and checking a given password against it
//! (`docs/rest-api.md` §10). The strong forms are PHC strings: argon2id (`$argon2id$…`, what
//! `schemata passwd` writes) and bcrypt (`$2b$…`, `$2y$…`). The weak forms are accepted so
//! that files carried over from CSR keep working, each with a warning at startup: Jetty's
//! `MD5:` (hex MD5), `CRYPT:` (DES crypt) and `OBF:` (reversible), this server's older
//! `SHA256:` (one unsalted SHA-256), and clear text. Every comparison takes the same time
//! wherever the inputs differ (`subtle`).

use super::{jetty, unix_crypt};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The form a password is stored in, as the startup warnings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Argon2,
    Bcrypt,
    Md5,
    Crypt,
    Obfuscated,
    Sha256,
    Clear,
}

impl Form {
    /// Why this form is weak, or `None` for the strong ones.
    pub(super) fn weakness(self) -> Option<&'static str> {
        match self {
            Form::Argon2 | Form::Bcrypt => None,
            Form::Md5 => Some("MD5: is one unsalted MD5 digest"),
            Form::Crypt => Some("CRYPT: is DES crypt, which reads 8 characters at most"),
            Form::Obfuscated => Some("OBF: is reversible: the password is as good as in clear"),
            Form::Sha256 => Some("SHA256: is one unsalted SHA-256 digest"),
            Form::Clear => Some("the password is in clear text"),
        }
    }
}

/// A stored password, parsed once at startup.
pub(super) enum Stored {
    Argon2(Box<PasswordHash>),
    Bcrypt(String),
    Md5([u8; 16]),
    Crypt([u8; 13]),
    /// `SHA256:`, and the SHA-256 of a clear or `OBF:` password (so a comparison does not
    /// tell the length).
    Sha256([u8; 32]),
}

impl Stored {
    /// Parse the password field of a users file line. The error says what is wrong without
    /// repeating the secret.
    pub(super) fn parse(text: &str) -> Result<(Stored, Form), String> {
        if text.is_empty() {
            return Err("the password is empty".into());
        }
        if text.starts_with("$argon2") {
            return argon2_hash(text).map(|hash| (Stored::Argon2(Box::new(hash)), Form::Argon2));
        }
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
            return bcrypt_hash(text).map(|()| (Stored::Bcrypt(text.to_string()), Form::Bcrypt));
        }
        if looks_like_a_crypt_scheme(text) {
            return Err(
                "a '$id$' hash of a scheme this server does not verify (argon2id and \
                 bcrypt are; a clear-text password may not look like one)"
                    .into(),
            );
        }
        if let Some(hex) = text.strip_prefix("MD5:") {
            let digest = hex_digest(hex).ok_or("MD5: needs 32 hex digits")?;
            return Ok((Stored::Md5(digest), Form::Md5));
        }
        if let Some(hashed) = text.strip_prefix("CRYPT:") {
            if !unix_crypt::well_formed(hashed) {
                return Err("CRYPT: needs 13 characters of [./0-9A-Za-z]".into());
            }
            let mut stored = [0; 13];
            stored.copy_from_slice(hashed.as_bytes());
            return Ok((Stored::Crypt(stored), Form::Crypt));
        }
        if let Some(hex) = text.strip_prefix("SHA256:") {
            let digest = hex_digest(hex).ok_or("SHA256: needs 64 hex digits")?;
            return Ok((Stored::Sha256(digest), Form::Sha256));
        }
        if let Some(encoded) = text.strip_prefix("OBF:") {
            let password = jetty::deobfuscate(encoded).ok_or("OBF: is not a Jetty obfuscation")?;
            let digest = Sha256::digest(&password).into();
            return Ok((Stored::Sha256(digest), Form::Obfuscated));
        }
        if text.starts_with("MD:") {
            return Err("MD: digests are not supported; use argon2id (`schemata passwd`)".into());
        }
        Ok((Stored::Sha256(Sha256::digest(text).into()), Form::Clear))
    }

    /// Whether `password` is the one stored.
    pub(super) fn verify(&self, password: &str) -> bool {
        match self {
            Stored::Argon2(hash) => Argon2::default()
                .verify_password(password.as_bytes(), hash.as_ref())
                .is_ok(),
            Stored::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            Stored::Md5(digest) => {
                let given: [u8; 16] = Md5::digest(jetty::latin1(password)).into();
                given.ct_eq(digest).into()
            }
            Stored::Crypt(hashed) => {
                let salt = std::str::from_utf8(&hashed[..2]).unwrap_or("..");
                unix_crypt::crypt(&jetty::crypt_key(password), salt)
                    .ct_eq(hashed)
                    .into()
            }
            Stored::Sha256(digest) => {
                let given: [u8; 32] = Sha256::digest(password).into();
                given.ct_eq(digest).into()
            }
        }
    }

    /// Whether a check costs enough CPU to be kept off the async workers.
    pub(super) fn costly(&self) -> bool {
        matches!(self, Stored::Argon2(_) | Stored::Bcrypt(_))
    }

    /// A password no one knows, stored like the costliest of `stored` with the same
    /// parameters: checking an unknown user against it takes as long as checking a known one.
    pub(super) fn decoy<'a>(stored: impl Iterator<Item = &'a Stored>) -> Result<Stored, String> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| format!("no random bytes: {e}"))?;
        let secret = hex(&secret);
        let costliest = stored.max_by_key(|s| s.cost());
        Ok(match costliest {
            Some(Stored::Argon2(hash)) => Stored::Argon2(Box::new(argon2_like(hash, &secret)?)),
            Some(Stored::Bcrypt(hash)) => {
                let cost = hash
                    .parse::<bcrypt::HashParts>()
                    .map_err(|e| e.to_string())?
                    .get_cost();
                Stored::Bcrypt(bcrypt::hash(&secret, cost).map_err(|e| e.to_string())?)
            }
            Some(Stored::Crypt(_)) => {
                Stored::Crypt(unix_crypt::crypt(secret.as_bytes(), &secret[..2]))
            }
            _ => Stored::Sha256(Sha256::digest(&secret).into()),
        })
    }

    /// Orders the forms by how long a check takes (within a form, by its parameters).
    fn cost(&self) -> (u8, u64) {
        match self {
            Stored::Argon2(hash) => {
                let params = Params::try_from(hash.as_ref()).unwrap_or_default();
                let work = u64::from(params.m_cost())
                    * u64::from(params.t_cost())
                    * u64::from(params.p_cost());
                (3, work)
            }
            Stored::Bcrypt(hash) => {
                let cost = hash
                    .parse::<bcrypt::HashParts>()
                    .map_or(0, |p| p.get_cost());
                (2, u64::from(cost))
            }
            Stored::Crypt(_) => (1, 0),
            Stored::Md5(_) | Stored::Sha256(_) => (0, 0),
        }
    }
}

/// An argon2id PHC string of `password` with a fresh random salt and default parameters,
/// as `schemata passwd` prints it.
pub fn argon2id_line(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random bytes: {e}"))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// An argon2 hash of `password` with `model`'s variant, version and parameters.
fn argon2_like(model: &PasswordHash, password: &str) -> Result<PasswordHash, String> {
    let (algorithm, version, params) = argon2_settings(model)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random bytes: {e}"))?;
    Argon2::new(algorithm, version, params)
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())
}

fn argon2_settings(hash: &PasswordHash) -> Result<(Algorithm, Version, Params), String> {
    let algorithm = Algorithm::try_from(hash.algorithm.as_str())
        .map_err(|_| "not an argon2 variant (argon2id, argon2i, argon2d)")?;
    let version = match hash.version {
        Some(v) => Version::try_from(v).map_err(|_| "unknown argon2 version")?,
        None => Version::default(),
    };
    let params = Params::try_from(hash).map_err(|e| format!("argon2 parameters: {e}"))?;
    Ok((algorithm, version, params))
}

fn argon2_hash(text: &str) -> Result<PasswordHash, String> {
    let hash = PasswordHash::new(text).map_err(|e| format!("not an argon2 PHC string: {e}"))?;
    argon2_settings(&hash)?;
    match (&hash.salt, &hash.hash) {
        (Some(salt), Some(_)) if salt.len() >= 8 => Ok(hash),
        (Some(_), Some(_)) => Err("the argon2 salt is shorter than 8 bytes".into()),
        _ => Err("the argon2 PHC string lacks its salt or its hash".into()),
    }
}

fn bcrypt_hash(text: &str) -> Result<(), String> {
    let parts = text
        .parse::<bcrypt::HashParts>()
        .map_err(|_| "not a bcrypt hash ($2b$NN$ and 53 characters)")?;
    if !(4..=31).contains(&parts.get_cost()) {
        return Err("the bcrypt cost is not between 4 and 31".into());
    }
    Ok(())
}

/// `$id$…` with a lowercase identifier: the shape of a `crypt(3)` or PHC hash.
fn looks_like_a_crypt_scheme(text: &str) -> bool {
    text.strip_prefix('$')
        .and_then(|rest| rest.split_once('$'))
        .is_some_and(|(id, _)| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn hex_digest<const N: usize>(hex: &str) -> Option<[u8; N]> {
    if hex.len() != 2 * N || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `echo -n 'correct horse' | argon2 schemata-salt -id -t 2 -k 64 -p 1 -e` (the reference
    /// implementation's command-line tool, Debian's `argon2` package).
    const ARGON2ID: &str =
        "$argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$vszcVWNNbt47A7VxvaE1cg9EBhGLyWdTfaW+xBrGK28";
    /// `htpasswd -nbB -C 4 alice 'correct horse'` (Apache's `htpasswd`, Debian's
    /// `apache2-utils`).
    const BCRYPT_2Y: &str = "$2y$04$yctnj7oxgo.s4WUlLeff9edvzqnPqp7CPuOBQ2p38oypay/tHp7j6";

    fn stored(text: &str) -> (Stored, Form) {
        Stored::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_form_verifies_its_password_and_no_other() {
        let bcrypt_2b = BCRYPT_2Y.replacen("$2y$", "$2b$", 1);
        for (text, form) in [
            (ARGON2ID, Form::Argon2),
            (BCRYPT_2Y, Form::Bcrypt),
            // $2b$ and $2y$ name the same algorithm: htpasswd writes $2y$.
            (bcrypt_2b.as_str(), Form::Bcrypt),
            // `echo -n 'correct horse' | openssl md5`
            ("MD5:3cb4e732631f47e6eb961f34554b7cde", Form::Md5),
            // Upper-case hex, as Jetty 12's tool prints some digits.
            ("MD5:3CB4E732631F47E6EB961F34554B7CDE", Form::Md5),
            // `python3 -c 'import crypt; print(crypt.crypt("correct horse", "ch"))'`
            ("CRYPT:chIZ.rOfl3OmA", Form::Crypt),
            // `echo -n 'correct horse' | openssl sha256`
            (
                "SHA256:4104d36f8da2c254349f85836793ebe029e0c957063a34c91c2e9203187b5631",
                Form::Sha256,
            ),
            // An encoder written from the rule in `jetty.rs`, checked against Jetty's output.
            (
                "OBF:1sot1xtn1y7z1xmq1toc1f421z0f1f0c1toi1xmk1y7z1xtv1sox",
                Form::Obfuscated,
            ),
            ("correct horse", Form::Clear),
        ] {
            let (stored, parsed_form) = stored(text);
            assert_eq!(parsed_form, form, "{text}");
            assert!(stored.verify("correct horse"), "{text}");
            assert!(!stored.verify("Correct horse"), "{text}");
            assert!(!stored.verify(""), "{text}");
            assert_eq!(form.weakness().is_none(), stored.costly(), "{text}");
        }
    }

    #[test]
    fn jetty_samples_verify() {
        // Jetty's `Password` tool for "secret" (its documentation) and "blah" with salt "me".
        assert!(stored("MD5:5ebe2294ecd0e0f08eab7690d2a6ee69")
            .0
            .verify("secret"));
        assert!(stored("OBF:1yta1t331v8w1v9q1t331ytc").0.verify("secret"));
        assert!(stored("CRYPT:me/DjMjPzbKG.").0.verify("blah"));
        // DES crypt reads eight characters: `crypt.crypt("password", "..")` in CPython.
        assert!(stored("CRYPT:..UZoIyj/Hy/c").0.verify("password and more"));
    }

    #[test]
    fn malformed_passwords_are_refused_without_repeating_them() {
        for text in [
            "",
            "$argon2id$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA",
            "$argon2id$v=19$m=64,t=2,p=1$c2NoZW1h$vszcVWNNbt47A7VxvaE1cg9EBhGLyWdTfaW+xBrGK28",
            "$argon2id$v=19$m=1,t=2,p=1$c2NoZW1hdGEtc2FsdA$vszcVWNNbt47A7VxvaE1cg9EBhGLyWdTfaW+xBrGK28",
            "$argon2xx$v=19$m=64,t=2,p=1$c2NoZW1hdGEtc2FsdA$vszcVWNNbt47A7VxvaE1cg",
            "$2b$04$tooshort",
            "$2y$99$yctnj7oxgo.s4WUlLeff9edvzqnPqp7CPuOBQ2p38oypay/tHp7j6",
            "$6$rounds=5000$salt$hash",
            "$apr1$salt$hash",
            "MD5:3cb4e732631f47e6eb961f34554b7cd",
            "MD5:+cb4e732631f47e6eb961f34554b7cde",
            "MD5:zzb4e732631f47e6eb961f34554b7cde",
            "CRYPT:chIZ.rOfl3Om",
            "CRYPT:chIZ.rOfl3Om!",
            "SHA256:abc",
            "OBF:1sov1xt",
            "MD:SHA-1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
        ] {
            let Err(problem) = Stored::parse(text) else {
                panic!("{text:?} was accepted");
            };
            if text.len() > 8 {
                assert!(!problem.contains(&text[text.len() - 8..]), "{problem}");
            }
        }
    }

    #[test]
    fn the_decoy_is_as_costly_as_the_costliest_entry() {
        let cheap = stored("secret").0;
        let argon2 = stored(ARGON2ID).0;
        let bcrypt = stored(BCRYPT_2Y).0;
        let crypt = stored("CRYPT:me/DjMjPzbKG.").0;
        let decoy = Stored::decoy([&cheap, &bcrypt, &argon2, &crypt].into_iter()).unwrap();
        let Stored::Argon2(hash) = &decoy else {
            panic!("not argon2");
        };
        assert_eq!(hash.params.to_string(), "m=64,t=2,p=1");
        assert_ne!(hash.salt, stored_hash(&argon2).salt);
        assert!(!decoy.verify("correct horse"));
        let decoy = Stored::decoy([&cheap, &bcrypt, &crypt].into_iter()).unwrap();
        let Stored::Bcrypt(hash) = &decoy else {
            panic!("not bcrypt");
        };
        assert!(hash.starts_with("$2b$04$"), "{hash}");
        let decoy = Stored::decoy([&cheap, &crypt].into_iter()).unwrap();
        assert!(matches!(decoy, Stored::Crypt(_)));
        let decoy = Stored::decoy([&cheap].into_iter()).unwrap();
        assert!(matches!(decoy, Stored::Sha256(_)));
    }

    fn stored_hash(stored: &Stored) -> &PasswordHash {
        match stored {
            Stored::Argon2(hash) => hash,
            _ => panic!("not argon2"),
        }
    }

    #[test]
    fn passwd_lines_verify() {
        let line = argon2id_line("correct horse").unwrap();
        assert!(
            line.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{line}"
        );
        let (stored, form) = stored(&line);
        assert_eq!(form, Form::Argon2);
        assert!(stored.verify("correct horse"));
    }
}
