//! The client certificate a TLS connection was verified with, as the name it proves: the
//! subject's common name (CN), which authentication turns into the principal `user:CN`
//! (docs/tls.md). The accept loop puts it in the extensions of every request of the
//! connection.

use std::sync::Arc;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::Certificate;

/// The subject CN of the verified client certificate of the request's connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerCertificate(pub Arc<str>);

/// id-at-commonName (2.5.4.3).
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

impl PeerCertificate {
    /// The certificate's subject CN (the last one, the most specific, when there are
    /// several); `None` when it has none or it is not text.
    pub fn from_der(der: &[u8]) -> Option<PeerCertificate> {
        let certificate = Certificate::from_der(der).ok()?;
        let name = certificate
            .tbs_certificate
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .filter(|attribute| attribute.oid == COMMON_NAME)
            .filter_map(|attribute| match attribute.value.tag() {
                Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
                    std::str::from_utf8(attribute.value.value()).ok()
                }
                _ => None,
            })
            .next_back()?;
        (!name.is_empty()).then(|| PeerCertificate(name.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_common_name_is_the_name() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Schemata tests");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "alice");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            PeerCertificate::from_der(cert.der()),
            Some(PeerCertificate("alice".into()))
        );
    }

    #[test]
    fn no_common_name_or_no_certificate_is_no_name() {
        let params = rcgen::CertificateParams::new(vec!["host".to_string()]).unwrap();
        let mut params = params;
        params.distinguished_name = rcgen::DistinguishedName::new();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(PeerCertificate::from_der(cert.der()), None);
        assert_eq!(PeerCertificate::from_der(b"not DER"), None);
    }
}
