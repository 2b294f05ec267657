//! Base64 helpers with the leniency real-world JOSE producers need.

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::JoseError;

/// URL-safe alphabet; `=` padding optional on decode. Entra ID accepts
/// padded compact segments, so we do too.
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard alphabet; `=` padding optional on decode (for `x5c` entries).
const STD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Base64url without padding (RFC 7515 §2 "Base64url Encoding").
pub fn url_encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes base64url, accepting both padded and unpadded input.
///
/// Non-canonical trailing bits are still rejected so that one byte string
/// has exactly one accepted spelling (minus padding).
pub fn url_decode_lenient(input: &str) -> Result<Vec<u8>, JoseError> {
    URL_LENIENT
        .decode(input)
        .map_err(|_| JoseError::Malformed("invalid base64url".into()))
}

/// Decodes standard base64 as found in `x5c` (RFC 7517 §4.7): padding
/// optional, and ASCII whitespace anywhere is ignored because PEM-style line
/// breaks (`"\n"`) show up in hand-made JWKS documents.
pub fn std_decode_lenient(input: &str) -> Result<Vec<u8>, JoseError> {
    let compact: String = input.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STD_LENIENT
        .decode(compact)
        .map_err(|_| JoseError::Malformed("invalid base64".into()))
}

/// Standard base64 with padding, for producing `x5c`-style values.
pub fn std_encode(data: &[u8]) -> String {
    general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_without_padding() {
        for len in 0..10 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let enc = url_encode(&data);
            assert!(!enc.contains('='));
            assert_eq!(url_decode_lenient(&enc).unwrap(), data);
        }
    }

    #[test]
    fn url_accepts_padding_and_url_alphabet_only() {
        assert_eq!(url_decode_lenient("YQ").unwrap(), b"a");
        assert_eq!(url_decode_lenient("YQ==").unwrap(), b"a");
        assert_eq!(url_decode_lenient("YQ=").unwrap(), b"a");
        assert_eq!(url_decode_lenient("-_8").unwrap(), [0xfb, 0xff]);
        assert!(url_decode_lenient("+/8").is_err());
        assert!(url_decode_lenient("Y Q").is_err());
        assert!(url_decode_lenient("Y").is_err());
        // Non-canonical trailing bits ("YR" would also decode to "a").
        assert!(url_decode_lenient("YR").is_err());
    }

    #[test]
    fn std_ignores_whitespace_and_padding() {
        assert_eq!(std_decode_lenient("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(std_decode_lenient("+/8").unwrap(), [0xfb, 0xff]);
        assert_eq!(std_decode_lenient(" aGVs\nbG8=\r\n").unwrap(), b"hello");
        assert!(std_decode_lenient("-_8").is_err());
        assert_eq!(std_encode(b"hello"), "aGVsbG8=");
    }
}
