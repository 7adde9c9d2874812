//! A JWKS document (RFC 7517) read into the verification keys it holds (`docs/rest-api.md`
//! §10): RSA keys (RS256, PS256; 2048 bits or more), EC P-256 keys (ES256) and Ed25519 keys
//! (EdDSA). Keys for encryption, symmetric (`oct`) keys and other kinds are skipped, each
//! with the reason, so a document an identity provider serves for several purposes still
//! loads; a document with no usable key is refused.

use super::token::Header;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// Keys kept from one document at most; further ones are skipped.
pub(super) const MAX_KEYS: usize = 64;
/// Keys one token's signature is checked against at most (a token without a `kid` is tried
/// against the keys of its algorithm, and a bad one would otherwise cost one check per key).
pub(super) const MAX_CANDIDATES: usize = 8;
/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// One verification key.
pub(super) struct Key {
    pub(super) kid: Option<String>,
    /// The algorithms it may verify: its `alg`, or all its kind allows when it names none.
    pub(super) algorithms: &'static [Algorithm],
    pub(super) decoding: DecodingKey,
}

/// The keys of one JWKS document.
pub(super) struct KeySet {
    keys: Vec<Key>,
}

/// A document read: its keys, and why each skipped one was skipped.
pub(super) struct Parsed {
    pub(super) keys: KeySet,
    pub(super) skipped: Vec<String>,
}

impl KeySet {
    /// Read a JWKS document, `{"keys": [...]}`.
    pub(super) fn parse(document: &[u8]) -> Result<Parsed, String> {
        let document: Value =
            serde_json::from_slice(document).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
        let Some(entries) = document.get("keys").and_then(Value::as_array) else {
            return Err("the JWKS has no \"keys\" array".into());
        };
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let name = entry
                .get("kid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("key {i}"), |kid| format!("key {kid:?}"));
            if keys.len() == MAX_KEYS {
                skipped.push(format!("{name}: more than {MAX_KEYS} keys"));
                continue;
            }
            match entry.as_object().ok_or("not an object").and_then(key) {
                Ok(key) => keys.push(key),
                Err(why) => skipped.push(format!("{name}: {why}")),
            }
        }
        if keys.is_empty() {
            let why = if skipped.is_empty() {
                "it is empty".to_string()
            } else {
                skipped.join("; ")
            };
            return Err(format!("the JWKS has no usable key: {why}"));
        }
        Ok(Parsed {
            keys: KeySet { keys },
            skipped,
        })
    }

    pub(super) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The keys that may have signed a token with this header: those of its `kid` (all of
    /// them when it names none) that verify its algorithm, `MAX_CANDIDATES` at most.
    pub(super) fn candidates<'a>(&'a self, header: &'a Header) -> impl Iterator<Item = &'a Key> {
        let fits = move |k: &&Key| {
            k.algorithms.contains(&header.alg)
                && header
                    .kid
                    .as_ref()
                    .is_none_or(|kid| k.kid.as_ref() == Some(kid))
        };
        self.keys.iter().filter(fits).take(MAX_CANDIDATES)
    }
}

fn key(jwk: &Map<String, Value>) -> Result<Key, &'static str> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    if text("use").is_some_and(|u| u != "sig") {
        return Err("not a signing key (use)");
    }
    if let Some(ops) = jwk.get("key_ops").and_then(Value::as_array) {
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err("not a verification key (key_ops)");
        }
    }
    let alg = text("alg");
    let (algorithms, decoding): (&'static [Algorithm], _) = match text("kty") {
        Some("RSA") => {
            let algorithms: &'static [Algorithm] = match alg {
                None => &[Algorithm::RS256, Algorithm::PS256],
                Some("RS256") => &[Algorithm::RS256],
                Some("PS256") => &[Algorithm::PS256],
                Some(_) => return Err("its algorithm is not one of RS256 and PS256"),
            };
            let (n, e) = (part(jwk, "n")?, part(jwk, "e")?);
            if n.iter().skip_while(|b| **b == 0).count() < MIN_RSA_MODULUS_BYTES {
                return Err("RSA keys shorter than 2048 bits are not accepted");
            }
            let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
            (algorithms, decoding)
        }
        Some("EC") => {
            if alg.is_some_and(|a| a != "ES256") || text("crv") != Some("P-256") {
                return Err("only P-256 (ES256) EC keys are accepted");
            }
            let (x, y) = (part(jwk, "x")?, part(jwk, "y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("a P-256 coordinate is not 32 bytes");
            }
            // The uncompressed point, as the verifier takes it.
            let point = [&[0x04][..], &x, &y].concat();
            (&[Algorithm::ES256][..], DecodingKey::from_ec_der(&point))
        }
        Some("OKP") => {
            if alg.is_some_and(|a| a != "EdDSA" && a != "Ed25519") || text("crv") != Some("Ed25519")
            {
                return Err("only Ed25519 (EdDSA) OKP keys are accepted");
            }
            let x = part(jwk, "x")?;
            if x.len() != 32 {
                return Err("an Ed25519 key is not 32 bytes");
            }
            // The raw public key, as the verifier takes it.
            (&[Algorithm::EdDSA][..], DecodingKey::from_ed_der(&x))
        }
        Some("oct") => return Err("symmetric (oct) keys are not accepted"),
        _ => return Err("its key type (kty) is not RSA, EC or OKP"),
    };
    Ok(Key {
        kid: text("kid").map(String::from),
        algorithms,
        decoding,
    })
}

/// A base64url member of the key, decoded.
fn part(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, &'static str> {
    let encoded = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or("a member of the key is missing")?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|_| "a member of the key is not base64url")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn rsa(kid: &str, alg: Option<&str>) -> Value {
        let mut n = vec![0xc5u8; 256];
        n[255] = 1;
        let mut key = json!({"kty": "RSA", "kid": kid, "n": b64(&n), "e": b64(&[1, 0, 1])});
        if let Some(alg) = alg {
            key["alg"] = json!(alg);
        }
        key
    }

    fn parse(keys: Value) -> Result<Parsed, String> {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes())
    }

    fn header(alg: Algorithm, kid: Option<&str>) -> Header {
        Header {
            alg,
            kid: kid.map(String::from),
        }
    }

    #[test]
    fn usable_keys_are_kept_and_the_others_skipped_with_a_reason() {
        let parsed = parse(json!([
            rsa("r1", None),
            rsa("r2", Some("PS256")),
            {"kty": "EC", "crv": "P-256", "kid": "e1", "x": b64(&[1; 32]), "y": b64(&[2; 32])},
            {"kty": "OKP", "crv": "Ed25519", "kid": "o1", "x": b64(&[3; 32])},
            {"kty": "oct", "kid": "h1", "k": b64(b"secret")},
            {"kty": "EC", "crv": "P-384", "kid": "e2", "x": b64(&[1; 48]), "y": b64(&[2; 48])},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "small", "n": b64(&[0xff; 128]), "e": "AQAB"},
            rsa("r3", Some("RS512")),
            "not a key"
        ]))
        .unwrap();
        assert_eq!(parsed.keys.len(), 4);
        assert_eq!(parsed.skipped.len(), 6, "{:?}", parsed.skipped);
        assert!(parsed.skipped[0].starts_with("key \"h1\": symmetric"));
        assert!(parsed.skipped.iter().any(|s| s.contains("2048 bits")));
        assert!(parsed.skipped[5].starts_with("key 9: "));
    }

    #[test]
    fn candidates_match_kid_and_algorithm() {
        let parsed = parse(json!([rsa("r1", None), rsa("r2", Some("PS256"))])).unwrap();
        let kids = |h: Header| -> Vec<String> {
            parsed
                .keys
                .candidates(&h)
                .map(|k| k.kid.clone().unwrap())
                .collect()
        };
        assert_eq!(kids(header(Algorithm::RS256, None)), ["r1"]);
        assert_eq!(kids(header(Algorithm::PS256, None)), ["r1", "r2"]);
        assert_eq!(kids(header(Algorithm::PS256, Some("r2"))), ["r2"]);
        assert!(kids(header(Algorithm::RS256, Some("r2"))).is_empty());
        assert!(kids(header(Algorithm::ES256, None)).is_empty());
        assert!(kids(header(Algorithm::RS256, Some("unknown"))).is_empty());
    }

    #[test]
    fn a_token_is_checked_against_a_bounded_number_of_keys() {
        let many: Vec<Value> = (0..20).map(|i| rsa(&format!("k{i}"), None)).collect();
        let parsed = parse(Value::Array(many)).unwrap();
        let kidless = header(Algorithm::RS256, None);
        assert_eq!(parsed.keys.candidates(&kidless).count(), MAX_CANDIDATES);
        let named = header(Algorithm::RS256, Some("k17"));
        assert_eq!(parsed.keys.candidates(&named).count(), 1);
    }

    #[test]
    fn documents_without_usable_keys_are_refused() {
        assert!(KeySet::parse(b"not json").is_err());
        assert!(KeySet::parse(b"{\"keys\": {}}").is_err());
        let empty = parse(json!([])).err().unwrap();
        assert!(empty.contains("it is empty"), "{empty}");
        let only_hmac = parse(json!([{"kty": "oct", "k": "c2VjcmV0"}]))
            .err()
            .unwrap();
        assert!(only_hmac.contains("symmetric"), "{only_hmac}");
    }

    #[test]
    fn at_most_max_keys_are_kept() {
        let many: Vec<Value> = (0..MAX_KEYS + 3)
            .map(|i| rsa(&format!("k{i}"), None))
            .collect();
        let parsed = parse(Value::Array(many)).unwrap();
        assert_eq!(parsed.keys.len(), MAX_KEYS);
        assert_eq!(parsed.skipped.len(), 3);
    }
}
