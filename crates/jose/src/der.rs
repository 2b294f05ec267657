//! Just enough DER to pull public keys out of SubjectPublicKeyInfo and
//! X.509 certificates, and to write SPKI back out.
//!
//! This is not a general ASN.1 library: single-byte tags, definite lengths,
//! and nothing is trusted — every read is bounds-checked and any surprise
//! becomes [`JoseError::InvalidKey`].

use crate::JoseError;

pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT`, the optional certificate `version` field.
pub(crate) const CONTEXT_0: u8 = 0xa0;

/// rsaEncryption, 1.2.840.113549.1.1.1 (content octets only).
pub(crate) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1.
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / P-256, 1.2.840.10045.3.1.7.
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 / P-384, 1.3.132.0.34.
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// secp521r1 / P-521, 1.3.132.0.35.
pub(crate) const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

fn bad(what: &str) -> JoseError {
    JoseError::InvalidKey(format!("malformed DER: {what}"))
}

/// A cursor over a sequence of DER TLVs.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV, returning `(tag, content, whole encoding)`.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), JoseError> {
        let data = self.rest;
        let (&tag, after_tag) = data.split_first().ok_or_else(|| bad("truncated"))?;
        if tag & 0x1f == 0x1f {
            return Err(bad("multi-byte tag"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or_else(|| bad("truncated"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return Err(bad("unsupported length"));
            }
            if after_len.len() < count {
                return Err(bad("truncated"));
            }
            let (len_bytes, tail) = after_len.split_at(count);
            after_len = tail;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if after_len.len() < len {
            return Err(bad("truncated"));
        }
        let (content, rest) = after_len.split_at(len);
        let header_len = data.len() - after_len.len();
        self.rest = rest;
        Ok((tag, content, &data[..header_len + len]))
    }

    /// Reads one TLV that must carry `tag`; returns its content.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], JoseError> {
        let (got, content, _) = self.read_any()?;
        if got != tag {
            return Err(bad("unexpected tag"));
        }
        Ok(content)
    }
}

/// Interprets INTEGER content as an unsigned big-endian value without
/// leading zeros; negative integers are refused.
pub(crate) fn unsigned(content: &[u8]) -> Result<&[u8], JoseError> {
    match content.first() {
        None => Err(bad("empty integer")),
        Some(b) if b & 0x80 != 0 => Err(bad("negative integer")),
        Some(_) => {
            let start = content
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(content.len());
            Ok(&content[start..])
        }
    }
}

/// Encodes a TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Encodes an unsigned big-endian value as a DER INTEGER.
pub(crate) fn uint(value: &[u8]) -> Vec<u8> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let trimmed = &value[start..];
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(INTEGER, &content)
}

/// Walks an X.509 certificate down to its SubjectPublicKeyInfo TLV.
///
/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
/// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber,
///     signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
///
/// The certificate's own signature is not checked: callers use this to read
/// a key that is trusted for some other reason (it came from a JWKS).
pub(crate) fn certificate_spki(cert: &[u8]) -> Result<&[u8], JoseError> {
    let mut outer = Reader::new(cert);
    let cert_body = outer.expect(SEQUENCE)?;
    let mut cert_fields = Reader::new(cert_body);
    let tbs = cert_fields.expect(SEQUENCE)?;
    let mut tbs = Reader::new(tbs);
    if tbs.peek_tag() == Some(CONTEXT_0) {
        tbs.read_any()?;
    }
    tbs.expect(INTEGER)?; // serialNumber
    tbs.expect(SEQUENCE)?; // signature AlgorithmIdentifier
    tbs.expect(SEQUENCE)?; // issuer
    tbs.expect(SEQUENCE)?; // validity
    tbs.expect(SEQUENCE)?; // subject
    let (tag, _, whole) = tbs.read_any()?;
    if tag != SEQUENCE {
        return Err(bad("certificate has no SubjectPublicKeyInfo"));
    }
    Ok(whole)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let long = tlv(0x04, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let mut r = Reader::new(&long);
        let (tag, content, whole) = r.read_any().unwrap();
        assert_eq!((tag, content.len(), whole.len()), (0x04, 300, 304));
        assert!(r.is_empty());
        assert_eq!(tlv(NULL, &[]), [0x05, 0x00]);
    }

    #[test]
    fn rejects_truncation_indefinite_and_huge_lengths() {
        for input in [
            &[0x30][..],
            &[0x30, 0x05, 0x00],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x1f, 0x01, 0x00],
        ] {
            assert!(Reader::new(input).read_any().is_err(), "{input:?}");
        }
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0x00, 0x01]), [0x02, 0x01, 0x01]);
        assert_eq!(uint(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(unsigned(&[0x00, 0x80]).unwrap(), &[0x80]);
        assert!(unsigned(&[0x80]).is_err());
        assert!(unsigned(&[]).is_err());
    }

    #[test]
    fn certificate_walk_rejects_garbage() {
        assert!(certificate_spki(&[]).is_err());
        assert!(certificate_spki(&tlv(SEQUENCE, &tlv(SEQUENCE, &[]))).is_err());
    }
}
