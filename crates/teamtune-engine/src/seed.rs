//! Seed derivation. Every random draw comes from a ChaCha8 stream seeded from the run seed
//! and a stable description of the draw (team, member, turn), so results do not depend on
//! the order in which concurrent members are polled, and two configurations run with the
//! same seed share their random numbers (common random numbers make A/B tests sharper).

/// splitmix64 finalizer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(crate) fn derive(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5eed_u64, |acc, p| mix(acc ^ mix(*p)))
}

/// The seed of run `index` of a batch started with `base`.
pub fn run_seed(base: u64, index: u64) -> u64 {
    derive(&[base, index])
}
