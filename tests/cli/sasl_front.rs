//! A SASL-terminating front before the tansu broker, the test's own SASL server (tansu checks
//! SCRAM credentials against its storage, and its memory storage keeps none; it offers no
//! PLAIN: docs/migration.md §5.4). For each connection it relays ApiVersions to the broker,
//! answers SaslHandshake (API key 17) and SaslAuthenticate (36) itself, verifying PLAIN
//! (RFC 4616) or SCRAM-SHA-256/512 (RFC 5802, RFC 7677) against its one user with aws-lc-rs,
//! and once the client is authenticated passes the connection's bytes through to the broker.
//! A failed authentication is answered as Kafka answers it (SASL_AUTHENTICATION_FAILED, 58)
//! and the connection closed; any other request before authentication closes it too.

use aws_lc_rs::{digest, hmac, pbkdf2};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use std::io;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const API_VERSIONS: i16 = 18;
const SASL_HANDSHAKE: i16 = 17;
const SASL_AUTHENTICATE: i16 = 36;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const SASL_AUTHENTICATION_FAILED: i16 = 58;
/// The largest request the front reads before authentication (SASL messages are small).
const MAX_FRAME: usize = 64 * 1024;
/// Kafka's least iteration count for SCRAM credentials.
const ITERATIONS: u32 = 4096;

/// The one user the front accepts.
pub(crate) struct User {
    pub name: String,
    pub password: String,
}

/// The front, serving until dropped.
pub(crate) struct SaslFront(tokio::task::JoinHandle<()>);

impl Drop for SaslFront {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SaslFront {
    /// Serve on `listener`, passing authenticated connections to the broker's `backend` port.
    pub(crate) fn start(listener: TcpListener, backend: u16, user: User) -> SaslFront {
        let user = Arc::new(user);
        SaslFront(tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let user = user.clone();
                tokio::spawn(async move {
                    let _ = serve(client, backend, &user).await;
                });
            }
        }))
    }
}

async fn serve(mut client: TcpStream, backend: u16, user: &User) -> io::Result<()> {
    let mut broker = TcpStream::connect(("127.0.0.1", backend)).await?;
    let mut session: Option<Session> = None;
    loop {
        let frame = read_frame(&mut client).await?;
        let mut request = Reader(&frame);
        let (api_key, version, correlation) = (request.i16()?, request.i16()?, request.i32()?);
        request.nullable_string()?; // client id
        match api_key {
            API_VERSIONS => {
                write_frame(&mut broker, &frame).await?;
                let answer = read_frame(&mut broker).await?;
                write_frame(&mut client, &answer).await?;
            }
            SASL_HANDSHAKE => {
                let asked = request.string()?;
                session = Session::new(&asked);
                let mut answer = Writer::response(correlation, false);
                answer.i16(if session.is_some() {
                    0
                } else {
                    UNSUPPORTED_SASL_MECHANISM
                });
                answer.i32(3);
                for offered in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
                    answer.string(offered);
                }
                write_frame(&mut client, &answer.0).await?;
            }
            SASL_AUTHENTICATE => {
                let flexible = version >= 2;
                if flexible {
                    request.tagged_fields()?;
                }
                let message = if flexible {
                    request.compact_bytes()?
                } else {
                    request.bytes()?
                };
                let outcome = match session.as_mut() {
                    Some(session) => session.step(message, user),
                    None => Step::Failed,
                };
                let (error, reply) = match &outcome {
                    Step::Continue(reply) | Step::Done(reply) => (None, reply.as_slice()),
                    Step::Failed => (Some("authentication failed: invalid credentials"), &[][..]),
                };
                let answer = authenticate_answer(correlation, version, error, reply);
                write_frame(&mut client, &answer).await?;
                match outcome {
                    Step::Continue(_) => {}
                    Step::Done(_) => break,
                    Step::Failed => return Ok(()),
                }
            }
            _ => return Ok(()),
        }
    }
    tokio::io::copy_bidirectional(&mut client, &mut broker).await?;
    Ok(())
}

/// A SaslAuthenticate response of `version`: `error` (SASL_AUTHENTICATION_FAILED) or none.
fn authenticate_answer(
    correlation: i32,
    version: i16,
    error: Option<&str>,
    reply: &[u8],
) -> Vec<u8> {
    let flexible = version >= 2;
    let mut answer = Writer::response(correlation, flexible);
    answer.i16(error.map_or(0, |_| SASL_AUTHENTICATION_FAILED));
    match (flexible, error) {
        (true, Some(text)) => answer.compact_bytes(text.as_bytes()),
        (true, None) => answer.varint(0),
        (false, Some(text)) => answer.string(text),
        (false, None) => answer.i16(-1),
    }
    if flexible {
        answer.compact_bytes(reply);
    } else {
        answer.i32(reply.len() as i32);
        answer.0.extend_from_slice(reply);
    }
    if version >= 1 {
        answer.0.extend_from_slice(&0i64.to_be_bytes()); // session lifetime: none
    }
    if flexible {
        answer.varint(0);
    }
    answer.0
}

/// What one SASL message leads to.
enum Step {
    Continue(Vec<u8>),
    Done(Vec<u8>),
    Failed,
}

/// One connection's SASL exchange.
enum Session {
    Plain,
    /// SCRAM, before the client's first message or after it (with what the proof covers).
    Scram(Sha, Option<ScramFirst>),
}

#[derive(Clone, Copy)]
enum Sha {
    Sha256,
    Sha512,
}

struct ScramFirst {
    client_first_bare: String,
    server_first: String,
    nonce: String,
    gs2_header: String,
    salt: Vec<u8>,
}

impl Session {
    fn new(mechanism: &str) -> Option<Session> {
        match mechanism {
            "PLAIN" => Some(Session::Plain),
            "SCRAM-SHA-256" => Some(Session::Scram(Sha::Sha256, None)),
            "SCRAM-SHA-512" => Some(Session::Scram(Sha::Sha512, None)),
            _ => None,
        }
    }

    fn step(&mut self, message: &[u8], user: &User) -> Step {
        let Ok(message) = std::str::from_utf8(message) else {
            return Step::Failed;
        };
        match self {
            Session::Plain => {
                // authzid NUL authcid NUL password
                let parts: Vec<&str> = message.split('\0').collect();
                match parts[..] {
                    [authz, name, password]
                        if (authz.is_empty() || authz == user.name)
                            && name == user.name
                            && password == user.password =>
                    {
                        Step::Done(Vec::new())
                    }
                    _ => Step::Failed,
                }
            }
            Session::Scram(_, first @ None) => match scram_first(message, user) {
                Some(state) => {
                    let reply = state.server_first.clone().into_bytes();
                    *first = Some(state);
                    Step::Continue(reply)
                }
                None => Step::Failed,
            },
            Session::Scram(sha, Some(first)) => match scram_final(*sha, first, message, user) {
                Some(reply) => Step::Done(reply.into_bytes()),
                None => Step::Failed,
            },
        }
    }
}

/// The client's first message (`gs2-header client-first-bare`): the server's first, for the
/// front's user only.
fn scram_first(message: &str, user: &User) -> Option<ScramFirst> {
    let mut parts = message.splitn(3, ',');
    let (flag, authz, bare) = (parts.next()?, parts.next()?, parts.next()?);
    if flag != "n" && flag != "y" {
        return None; // channel binding is not offered
    }
    let gs2_header = format!("{flag},{authz},");
    let attribute = |name: &str| {
        bare.split(',')
            .find_map(|a| a.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    let name = attribute("n")?.replace("=2C", ",").replace("=3D", "=");
    let client_nonce = attribute("r")?;
    if name != user.name {
        return None;
    }
    let mut random = [0u8; 18];
    aws_lc_rs::rand::fill(&mut random).ok()?;
    let nonce = format!("{client_nonce}{}", BASE64.encode(random));
    let mut salt = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).ok()?;
    let server_first = format!("r={nonce},s={},i={ITERATIONS}", BASE64.encode(&salt));
    Some(ScramFirst {
        client_first_bare: bare.to_string(),
        server_first,
        nonce,
        gs2_header,
        salt,
    })
}

/// The client's final message (`c=..,r=..,p=proof`): the server's final (`v=signature`) when
/// the proof shows the password.
fn scram_final(sha: Sha, first: &ScramFirst, message: &str, user: &User) -> Option<String> {
    let (without_proof, proof) = message.rsplit_once(",p=")?;
    let proof = BASE64.decode(proof).ok()?;
    let mut binding = None;
    let mut nonce = None;
    for attribute in without_proof.split(',') {
        match attribute.split_once('=')? {
            ("c", value) => binding = Some(value),
            ("r", value) => nonce = Some(value),
            _ => {}
        }
    }
    if binding? != BASE64.encode(&first.gs2_header) || nonce? != first.nonce {
        return None;
    }
    let (algorithm, mac, hash) = match sha {
        Sha::Sha256 => (
            pbkdf2::PBKDF2_HMAC_SHA256,
            hmac::HMAC_SHA256,
            &digest::SHA256,
        ),
        Sha::Sha512 => (
            pbkdf2::PBKDF2_HMAC_SHA512,
            hmac::HMAC_SHA512,
            &digest::SHA512,
        ),
    };
    let mut salted = vec![0u8; hash.output_len()];
    pbkdf2::derive(
        algorithm,
        NonZeroU32::new(ITERATIONS).unwrap(),
        &first.salt,
        user.password.as_bytes(),
        &mut salted,
    );
    let salted = hmac::Key::new(mac, &salted);
    let client_key = hmac::sign(&salted, b"Client Key");
    let stored_key = digest::digest(hash, client_key.as_ref());
    let auth_message = format!(
        "{},{},{without_proof}",
        first.client_first_bare, first.server_first
    );
    let client_signature = hmac::sign(
        &hmac::Key::new(mac, stored_key.as_ref()),
        auth_message.as_bytes(),
    );
    if proof.len() != client_signature.as_ref().len() {
        return None;
    }
    let recovered: Vec<u8> = proof
        .iter()
        .zip(client_signature.as_ref())
        .map(|(p, s)| p ^ s)
        .collect();
    if digest::digest(hash, &recovered).as_ref() != stored_key.as_ref() {
        return None;
    }
    let server_key = hmac::sign(&salted, b"Server Key");
    let server_signature = hmac::sign(
        &hmac::Key::new(mac, server_key.as_ref()),
        auth_message.as_bytes(),
    );
    Some(format!("v={}", BASE64.encode(server_signature.as_ref())))
}

async fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let length = stream.read_i32().await?;
    let length = usize::try_from(length)
        .ok()
        .filter(|n| *n <= MAX_FRAME)
        .ok_or_else(|| io::Error::other("frame too large"))?;
    let mut frame = vec![0u8; length];
    stream.read_exact(&mut frame).await?;
    Ok(frame)
}

async fn write_frame(stream: &mut TcpStream, frame: &[u8]) -> io::Result<()> {
    stream.write_i32(frame.len() as i32).await?;
    stream.write_all(frame).await
}

/// Kafka's request encoding, read from the front of a frame.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(io::Error::other("short frame"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn i16(&mut self) -> io::Result<i16> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }

    fn i32(&mut self) -> io::Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn varint(&mut self) -> io::Result<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = self.take(1)?[0];
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(io::Error::other("varint too long"))
    }

    fn nullable_string(&mut self) -> io::Result<Option<String>> {
        let length = self.i16()?;
        if length < 0 {
            return Ok(None);
        }
        let text = self.take(length as usize)?;
        Ok(Some(String::from_utf8_lossy(text).into_owned()))
    }

    fn string(&mut self) -> io::Result<String> {
        self.nullable_string()?
            .ok_or_else(|| io::Error::other("null string"))
    }

    fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let length = usize::try_from(self.i32()?).map_err(io::Error::other)?;
        self.take(length)
    }

    fn compact_bytes(&mut self) -> io::Result<&'a [u8]> {
        let length = self
            .varint()?
            .checked_sub(1)
            .ok_or_else(|| io::Error::other("null bytes"))?;
        self.take(length)
    }

    fn tagged_fields(&mut self) -> io::Result<()> {
        for _ in 0..self.varint()? {
            self.varint()?;
            let length = self.varint()?;
            self.take(length)?;
        }
        Ok(())
    }
}

/// Kafka's response encoding.
struct Writer(Vec<u8>);

impl Writer {
    /// A response header: the request's correlation id, and no tagged fields when flexible.
    fn response(correlation: i32, flexible: bool) -> Writer {
        let mut writer = Writer(correlation.to_be_bytes().to_vec());
        if flexible {
            writer.varint(0);
        }
        writer
    }

    fn i16(&mut self, value: i16) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn i32(&mut self, value: i32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn varint(&mut self, mut value: usize) {
        while value >= 0x80 {
            self.0.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn string(&mut self, text: &str) {
        self.i16(text.len() as i16);
        self.0.extend_from_slice(text.as_bytes());
    }

    fn compact_bytes(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() + 1);
        self.0.extend_from_slice(bytes);
    }
}
