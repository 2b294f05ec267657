//! Request ids for responses.

use uuid::Uuid;

/// A fresh request id: the gateway's `context.RequestId` and `apim-request-id`, the vault's and
/// the authority's `x-ms-request-id`, the authority's trace and fallback correlation ids. A
/// version-4 UUID, unique and random-looking. It is an identifier, not a secret (clients see it
/// in response headers and error bodies), so each thread draws 128 random bits once (aws-lc) and
/// then mixes a counter into them (the splitmix64 finaliser, a bijection, so a thread never
/// repeats an id) instead of asking for 16 fresh random bytes per request.
pub fn new_request_id() -> Uuid {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<Option<(u64, u64, u64)>> = const { Cell::new(None) };
    }
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let (hi, lo, n) = STATE.with(|s| {
        let (hi, lo, n) = s.get().unwrap_or_else(|| {
            let mut seed = [0u8; 16];
            if aws_lc_rs::rand::fill(&mut seed).is_err() {
                seed = *Uuid::new_v4().as_bytes();
            }
            let (a, b) = seed.split_at(8);
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
            (word(a), word(b), 0)
        });
        s.set(Some((hi, lo, n.wrapping_add(1))));
        (hi, lo, n)
    });
    let m = mix(n);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(hi ^ m.rotate_left(32)).to_le_bytes());
    bytes[8..].copy_from_slice(&(lo ^ m).to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn request_ids_are_v4_and_distinct() {
        let ids: HashSet<Uuid> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|u| u.get_version_num() == 4));
        let other = std::thread::spawn(new_request_id).join().unwrap();
        assert!(!ids.contains(&other));
    }
}
