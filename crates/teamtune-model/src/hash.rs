//! A stable 64-bit hash (FNV-1a) for config fingerprints: the same config gives the same
//! hash on every machine and every build, unlike `std`'s randomized hasher.

pub fn stable_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vector() {
        assert_eq!(super::stable_hash(b""), "cbf29ce484222325");
        assert_eq!(super::stable_hash(b"a"), "af63dc4c8601ec8c");
    }
}
