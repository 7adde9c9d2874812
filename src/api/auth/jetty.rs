//! What Jetty's password forms need beyond a hash function, so that users files carried over
//! from CSR keep working (`docs/rest-api.md` §10): decoding `OBF:` and the bytes Jetty hashes
//! for `MD5:` and `CRYPT:`.
//!
//! `OBF:` is a reversible encoding, not a hash. The password's UTF-8 bytes `b[0..n]` are
//! written one token per byte, pairing `b[i]` with its mirror `b[n-1-i]`: when both are
//! below 128, the token is four base-36 digits of `(127 + b[i] + b[n-1-i]) * 256 + (127 +
//! b[i] - b[n-1-i])`, so `b[i]` is half the sum of the two base-256 digits less 127; otherwise
//! it is `U` followed by four base-36 digits of `b[i] * 256 + b[n-1-i]`.

/// The password an `OBF:` string (without its prefix) stands for, or `None` when it is not
/// one.
pub(super) fn deobfuscate(encoded: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(encoded.len() / 4);
    let mut rest = encoded.as_bytes();
    while !rest.is_empty() {
        let byte = match rest.split_first() {
            Some((b'U', tail)) => {
                let (digits, tail) = tail.split_at_checked(4)?;
                rest = tail;
                base36(digits)? >> 8
            }
            _ => {
                let (digits, tail) = rest.split_at_checked(4)?;
                rest = tail;
                let value = base36(digits)?;
                let sum = (value >> 8) + (value & 0xff);
                if sum < 254 || sum % 2 == 1 {
                    return None;
                }
                (sum - 254) / 2
            }
        };
        bytes.push(u8::try_from(byte).ok()?);
    }
    std::str::from_utf8(&bytes).ok()?;
    Some(bytes)
}

fn base36(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &d| {
        let digit = char::from(d).to_digit(36)?;
        Some(value * 36 + digit)
    })
}

/// The bytes Jetty digests for `MD5:`: the password in ISO-8859-1, a character outside it
/// becoming `?`.
pub(super) fn latin1(password: &str) -> Vec<u8> {
    password
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// The key bytes Jetty's `CRYPT:` takes from a password: the low byte of each of its first
/// eight UTF-16 code units.
pub(super) fn crypt_key(password: &str) -> Vec<u8> {
    password.encode_utf16().take(8).map(|u| u as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jetty's own output for these passwords, as printed by its `Password` tool in its
    /// documentation and in vendors' manuals ("secret", "endeca", "storepwd"), and by a
    /// second, independent implementation ("hunter2").
    #[test]
    fn decodes_what_jetty_encoded() {
        for (encoded, password) in [
            ("1yta1t331v8w1v9q1t331ytc", "secret"),
            ("1sar1uh61svy1sw01ugk1saj", "endeca"),
            ("1vny1zlo1x8e1vnw1vn61x8g1zlu1vn4", "storepwd"),
            ("1jn91yte1uvc1z0f1uuu1yt81jk9", "hunter2"),
            ("", ""),
        ] {
            assert_eq!(
                deobfuscate(encoded).as_deref(),
                Some(password.as_bytes()),
                "{encoded}"
            );
        }
    }

    /// Non-ASCII bytes take the `U` form. Encoded by an encoder written from the rule above
    /// (which reproduces the four strings of `decodes_what_jetty_encoded`): "é" is C3 A9;
    /// C3A9 = 50089 = "12nd" in base 36 and A9C3 = 43459 = "xj7".
    #[test]
    fn decodes_bytes_above_127() {
        for (encoded, password) in [
            ("U12ndU0xj7", "é"),
            ("1v2jU12luU0whb1zej1ym71zerU0m1wU0mo31v1v", "pässword"),
        ] {
            assert_eq!(
                deobfuscate(encoded).as_deref(),
                Some(password.as_bytes()),
                "{encoded}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_encoding() {
        for encoded in ["1yt", "1yta1t3", "zzzz", "!!!!", "U12n", "1yta1t3$"] {
            assert_eq!(deobfuscate(encoded), None, "{encoded}");
        }
    }

    #[test]
    fn jetty_bytes() {
        assert_eq!(latin1("aé€"), vec![b'a', 0xe9, b'?']);
        assert_eq!(crypt_key("passwordlong"), b"password".to_vec());
    }
}
