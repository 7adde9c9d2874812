//! Test keys and tokens for the bearer-token tests: RSA, P-256 and Ed25519 keys made here,
//! their JWKS, and JWTs signed with them (or forged: `alg: none`, HMAC with the public key).
//! Shared by the `api` and `cli` test binaries (`#[path]`).
#![allow(dead_code)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256, RSA_PSS_SHA256,
};
use base64::Engine;
use serde_json::{json, Value};
use std::sync::OnceLock;

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the epoch, `offset` from now.
pub(crate) fn epoch(offset: i64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    now.saturating_add_signed(offset)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Ps256,
    Es256,
    EdDsa,
}

impl Alg {
    pub(crate) const ALL: [Alg; 4] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }
}

/// One key of each kind, with key ids `<prefix>-rsa`, `<prefix>-ec`, `<prefix>-ed`.
pub(crate) struct Keys {
    pub(crate) prefix: String,
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
    ed: Ed25519KeyPair,
}

/// RSA key generation is slow without optimisation: one set of RSA keys per test binary.
fn rsa_pair(second: bool) -> RsaKeyPair {
    static PAIRS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    let (a, b) = PAIRS.get_or_init(|| {
        let der = || {
            use aws_lc_rs::encoding::AsDer;
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
            let der: aws_lc_rs::encoding::Pkcs8V1Der = pair.as_der().unwrap();
            der.as_ref().to_vec()
        };
        (der(), der())
    });
    RsaKeyPair::from_pkcs8(if second { b } else { a }).unwrap()
}

impl Keys {
    /// Keys with ids under `prefix`; `second` picks the other RSA key (key sets made with
    /// different `second` never share a key).
    pub(crate) fn new(prefix: &str, second: bool) -> Keys {
        let rng = SystemRandom::new();
        let ec_pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Keys {
            prefix: prefix.into(),
            rsa: rsa_pair(second),
            ec: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ec_pkcs8.as_ref())
                .unwrap(),
            ed: Ed25519KeyPair::generate().unwrap(),
        }
    }

    pub(crate) fn kid(&self, alg: Alg) -> String {
        let kind = match alg {
            Alg::Rs256 | Alg::Ps256 => "rsa",
            Alg::Es256 => "ec",
            Alg::EdDsa => "ed",
        };
        format!("{}-{kind}", self.prefix)
    }

    /// The public keys as JWKs (the RSA one names no `alg`: RS256 and PS256 both verify).
    pub(crate) fn jwks(&self) -> Vec<Value> {
        let public = self.rsa.public_key();
        let ec = self.ec.public_key().as_ref();
        vec![
            json!({"kty": "RSA", "use": "sig", "kid": self.kid(Alg::Rs256),
                   "n": b64(public.modulus().big_endian_without_leading_zero()),
                   "e": b64(public.exponent().big_endian_without_leading_zero())}),
            json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": self.kid(Alg::Es256),
                   "x": b64(&ec[1..33]), "y": b64(&ec[33..65])}),
            json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": self.kid(Alg::EdDsa),
                   "x": b64(self.ed.public_key().as_ref())}),
        ]
    }

    /// A token signed with this set's key for `alg`, its header naming `kid`.
    pub(crate) fn token_with_kid(&self, alg: Alg, kid: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": alg.name(), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let message = signed.as_bytes();
        let rng = SystemRandom::new();
        let signature = match alg {
            Alg::Rs256 | Alg::Ps256 => {
                let padding = if alg == Alg::Rs256 {
                    &RSA_PKCS1_SHA256
                } else {
                    &RSA_PSS_SHA256
                };
                let mut signature = vec![0; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(padding, &rng, message, &mut signature)
                    .unwrap();
                signature
            }
            Alg::Es256 => self.ec.sign(&rng, message).unwrap().as_ref().to_vec(),
            Alg::EdDsa => self.ed.sign(message).as_ref().to_vec(),
        };
        format!("{signed}.{}", b64(&signature))
    }

    /// A token signed with this set's key for `alg`, naming that key.
    pub(crate) fn token(&self, alg: Alg, claims: &Value) -> String {
        self.token_with_kid(alg, Some(&self.kid(alg)), claims)
    }

    /// An HS256 token whose HMAC secret is the RSA public key's JWK, as an attacker would
    /// forge one against a verifier that takes a key's bytes as a secret.
    pub(crate) fn hs256_with_public_key(&self, claims: &Value) -> String {
        let header = json!({"alg": "HS256", "kid": self.kid(Alg::Rs256)});
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let secret = self.jwks()[0].to_string();
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        let tag = aws_lc_rs::hmac::sign(&key, signed.as_bytes());
        format!("{signed}.{}", b64(tag.as_ref()))
    }
}

/// An unsigned token (`alg: none`).
pub(crate) fn unsigned(claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// A JWKS document of these keys.
pub(crate) fn jwks_document(sets: &[&Keys]) -> String {
    let keys: Vec<Value> = sets.iter().flat_map(|k| k.jwks()).collect();
    json!({ "keys": keys }).to_string()
}
