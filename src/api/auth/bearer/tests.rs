//! Unit tests of `BearerAuth`: tokens signed with an Ed25519 key made here, keys in a JWKS
//! file rewritten between requests.

use super::*;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use serde_json::json;
use std::path::PathBuf;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Signer {
    kid: String,
    pair: Ed25519KeyPair,
}

impl Signer {
    fn new(kid: &str) -> Signer {
        Signer {
            kid: kid.into(),
            pair: Ed25519KeyPair::generate().unwrap(),
        }
    }

    fn jwk(&self) -> serde_json::Value {
        json!({"kty": "OKP", "crv": "Ed25519", "kid": self.kid,
               "x": b64(self.pair.public_key().as_ref())})
    }

    fn token(&self, claims: serde_json::Value) -> String {
        let header = json!({"alg": "EdDSA", "kid": self.kid});
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.pair.sign(signed.as_bytes());
        format!("{signed}.{}", b64(signature.as_ref()))
    }
}

/// A JWKS file removed when the test ends.
struct JwksFile(PathBuf);

impl JwksFile {
    fn new(keys: &[&Signer]) -> JwksFile {
        let path = std::env::temp_dir().join(format!(
            "schemata-jwks-{}-{}.json",
            std::process::id(),
            keys[0].kid
        ));
        let file = JwksFile(path);
        file.write(keys);
        file
    }

    fn write(&self, keys: &[&Signer]) {
        let keys: Vec<_> = keys.iter().map(|k| k.jwk()).collect();
        std::fs::write(&self.0, json!({ "keys": keys }).to_string()).unwrap();
    }
}

impl Drop for JwksFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn in_an_hour() -> u64 {
    jsonwebtoken::get_current_timestamp() + 3600
}

fn checks(auth: &BearerAuth) -> usize {
    auth.checks.load(std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test]
async fn a_verified_token_is_remembered_and_a_bad_one_is_not() {
    let key = Signer::new("cache-k1");
    let file = JwksFile::new(&[&key]);
    let auth = BearerAuth::load(BearerOptions::new(file.0.to_str().unwrap()))
        .await
        .unwrap();
    let token = key.token(json!({"sub": "svc", "roles": ["r"], "exp": in_an_hour()}));
    let now = Instant::now();
    for _ in 0..3 {
        let principal = auth.verify(&token, now).await.unwrap();
        assert_eq!((principal.name.as_str(), principal.roles.len()), ("svc", 1));
    }
    assert_eq!(checks(&auth), 1, "verified once, then answered from memory");
    // After the lifetime it is verified again.
    auth.verify(&token, now + cache::LIFETIME).await.unwrap();
    assert_eq!(checks(&auth), 2);
    // A token with a wrong signature is checked every time.
    let mut forged = token.clone();
    forged.truncate(token.len() - 4);
    forged.push_str("AAAA");
    for _ in 0..2 {
        assert_eq!(auth.verify(&forged, now).await, Err(Invalid::Signature));
    }
    assert_eq!(checks(&auth), 4);
}

#[tokio::test]
async fn a_token_expiring_soon_is_remembered_only_until_its_exp() {
    let key = Signer::new("cache-k2");
    let file = JwksFile::new(&[&key]);
    let auth = BearerAuth::load(BearerOptions::new(file.0.to_str().unwrap()))
        .await
        .unwrap();
    let exp = jsonwebtoken::get_current_timestamp() + 5;
    let token = key.token(json!({"sub": "svc", "exp": exp}));
    let now = Instant::now();
    auth.verify(&token, now).await.unwrap();
    auth.verify(&token, now + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(checks(&auth), 1);
    // Past exp by the clock (but within the leeway): checked again, not taken from memory.
    auth.verify(&token, now + Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(checks(&auth), 2);
}

#[tokio::test]
async fn an_unknown_key_id_reads_the_jwks_again_at_most_once_per_interval() {
    let (old, new, newer) = (
        Signer::new("rotate-old"),
        Signer::new("rotate-new"),
        Signer::new("rotate-newer"),
    );
    let file = JwksFile::new(&[&old]);
    let mut options = BearerOptions::new(file.0.to_str().unwrap());
    options.refetch_interval = Duration::from_secs(10);
    let auth = BearerAuth::load(options).await.unwrap();
    let claims = json!({"sub": "svc", "exp": in_an_hour()});
    let start = Instant::now();
    let at = |s: u64| start + Duration::from_secs(s);

    // The identity provider rotates its key: the first token naming it makes the server
    // read the file again.
    file.write(&[&old, &new]);
    assert!(auth.verify(&new.token(claims.clone()), at(0)).await.is_ok());
    assert_eq!(auth.key_count(), 2);
    // Another new key within the interval: not read again, refused as unknown.
    file.write(&[&old, &new, &newer]);
    let refused = auth.verify(&newer.token(claims.clone()), at(5)).await;
    assert_eq!(refused, Err(Invalid::UnknownKey));
    assert_eq!(auth.key_count(), 2);
    // Once the interval has passed, it is.
    assert!(auth.verify(&newer.token(claims), at(10)).await.is_ok());
    assert_eq!(auth.key_count(), 3);
}

#[tokio::test]
async fn a_jwks_without_usable_keys_stops_the_start() {
    let key = Signer::new("nokeys");
    let file = JwksFile::new(&[&key]);
    std::fs::write(&file.0, r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).unwrap();
    let refused = BearerAuth::load(BearerOptions::new(file.0.to_str().unwrap())).await;
    let message = refused.err().unwrap();
    assert!(message.contains("no usable key"), "{message}");
    let missing = BearerAuth::load(BearerOptions::new("/nonexistent/jwks.json")).await;
    assert!(missing.err().unwrap().contains("/nonexistent/jwks.json"));
}
