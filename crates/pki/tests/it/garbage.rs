//! Hostile input: random bytes, truncations and bit flips must give errors,
//! never panics.

use skybridge_pki::{DevCa, key_kind, parse_certificate, pem, pfx_export, pfx_import};

use crate::common::NOW;

/// xorshift64*: deterministic, dependency-free noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn all_parsers(data: &[u8]) {
    let _ = parse_certificate(data);
    let _ = pfx_import(data, "");
    let _ = key_kind(data);
    let text = String::from_utf8_lossy(data);
    let _ = pem::certificates(&text);
    let _ = pem::private_key(&text);
    for label in [
        "CERTIFICATE",
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
    ] {
        let wrapped = pem::encode(label, data);
        let _ = pem::certificates(&wrapped);
        let _ = pem::private_key(&wrapped);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut noise = Noise(0x5EED_1234_ABCD_0001);
    for i in 0..400 {
        let len = (noise.next() % 600) as usize;
        let mut data = noise.bytes(len);
        // Make some inputs look like DER SEQUENCEs so parsers go deeper.
        if i % 2 == 0 && data.len() > 4 {
            data[0] = 0x30;
            data[1] = 0x82;
            let body = (data.len() - 4) as u16;
            data[2..4].copy_from_slice(&body.to_be_bytes());
        }
        all_parsers(&data);
    }
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    let ca = DevCa::generate("Garbage CA", NOW, 30).expect("ca");
    let leaf = ca
        .issue_server(&["g.localhost".to_owned()], &[], NOW, 30)
        .expect("leaf");
    let cert = leaf.cert_der.clone();
    let key = leaf.key_pkcs8.clone();
    let chain = vec![cert.clone(), ca.cert_der().to_vec()];
    let pfx = pfx_export(&key, &chain, "", "g").expect("pfx");

    for sample in [&cert, &key, &pfx] {
        for cut in 0..sample.len() {
            all_parsers(&sample[..cut]);
        }
    }
    for cut in 0..cert.len() {
        assert!(
            parse_certificate(&cert[..cut]).is_err(),
            "prefix {cut} parsed"
        );
    }
    let mut extended = cert.clone();
    extended.push(0);
    assert!(
        parse_certificate(&extended).is_err(),
        "trailing byte accepted"
    );

    let mut noise = Noise(0xF1F0_0000_0000_0042);
    for sample in [&cert, &key] {
        for _ in 0..300 {
            let mut bent = sample.clone();
            let at = (noise.next() as usize) % bent.len();
            bent[at] ^= 1 << (noise.next() % 8);
            all_parsers(&bent);
        }
    }
    // Each PFX flip that survives DER parsing costs a full MAC derivation.
    for _ in 0..40 {
        let mut bent = pfx.clone();
        let at = (noise.next() as usize) % bent.len();
        bent[at] ^= 1 << (noise.next() % 8);
        let _ = pfx_import(&bent, "");
    }

    // Truncated PEM text.
    let text = format!("{}{}", leaf.cert_pem(), leaf.key_pem());
    for cut in 0..text.len() {
        let _ = pem::certificates(&text[..cut]);
        let _ = pem::private_key(&text[..cut]);
    }
}
