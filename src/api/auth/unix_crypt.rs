//! Traditional DES-based `crypt(3)`, the scheme behind Jetty's `CRYPT:` passwords: the first
//! eight characters of the password (seven bits each) are the DES key, a two-character salt
//! perturbs the expansion, and a zero block is encrypted 25 times. The result is the salt
//! followed by 11 characters of the 64-bit block. Written from the published DES tables
//! (FIPS 46); slow by design and weak by today's standards, it exists so that users files
//! carried over from CSR keep working (`docs/rest-api.md` §10).

/// The 64 characters of crypt's base-64 alphabet, in order.
const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const INITIAL: [u8; 64] = [
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6,
    64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61,
    53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];

const FINAL: [u8; 64] = [
    40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30,
    37, 5, 45, 13, 53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
    34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
];

const EXPANSION: [u8; 48] = [
    32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18,
    19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];

const PERMUTATION: [u8; 32] = [
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19,
    13, 30, 6, 22, 11, 4, 25,
];

const KEY_CHOICE_1: [u8; 56] = [
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60,
    52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29,
    21, 13, 5, 28, 20, 12, 4,
];

const KEY_CHOICE_2: [u8; 48] = [
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52,
    31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

const SHIFTS: [u32; 16] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

const S_BOXES: [[u8; 64]; 8] = [
    [
        14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12,
        11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9,
        1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
    ],
    [
        15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1,
        10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15,
        4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
    ],
    [
        10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5,
        14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6,
        9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
    ],
    [
        7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2,
        12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1,
        13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
    ],
    [
        2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15,
        10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14,
        2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
    ],
    [
        12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13,
        14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5,
        15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
    ],
    [
        4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5,
        12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4,
        10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
    ],
    [
        13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6,
        11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10,
        8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
    ],
];

/// Whether `hashed` has the shape of a DES crypt result: 13 characters of the alphabet.
pub(super) fn well_formed(hashed: &str) -> bool {
    hashed.len() == 13 && hashed.bytes().all(|b| ALPHABET.contains(&b))
}

/// `crypt(key, salt)` for a [`well_formed`] `salt` (only its first two characters count).
/// `key` holds the password's characters, one byte each; only the first eight count.
pub(super) fn crypt(key: &[u8], salt: &str) -> [u8; 13] {
    let salt = salt.as_bytes();
    let mut out = [0u8; 13];
    out[..2].copy_from_slice(&salt[..2]);
    let mut des_key = 0u64;
    for i in 0..8 {
        des_key = des_key << 8 | u64::from(key.get(i).copied().unwrap_or(0) << 1);
    }
    let subkeys = subkeys(des_key);
    let expansion = salted_expansion(salt);
    let mut block = 0u64;
    for _ in 0..25 {
        block = encrypt(block, &subkeys, &expansion);
    }
    // 64 bits, six at a time from the top, the last character padded with two zero bits.
    let bits = u128::from(block) << 2;
    for (i, byte) in out[2..].iter_mut().enumerate() {
        *byte = ALPHABET[((bits >> (60 - 6 * i)) & 63) as usize];
    }
    out
}

/// Bit `n` (1 = most significant) of `width` bits of `input`, per `table`, as a number.
fn permute(input: u64, width: u32, table: &[u8]) -> u64 {
    table.iter().fold(0, |out, &bit| {
        out << 1 | (input >> (width - u32::from(bit))) & 1
    })
}

fn subkeys(key: u64) -> [u64; 16] {
    let chosen = permute(key, 64, &KEY_CHOICE_1);
    let (mut c, mut d) = (chosen >> 28, chosen & 0x0fff_ffff);
    let rotate = |half: u64, by: u32| (half << by | half >> (28 - by)) & 0x0fff_ffff;
    let mut keys = [0; 16];
    for (key, &by) in keys.iter_mut().zip(&SHIFTS) {
        (c, d) = (rotate(c, by), rotate(d, by));
        *key = permute(c << 28 | d, 56, &KEY_CHOICE_2);
    }
    keys
}

/// The expansion table with the salt's twelve bits applied: bit `j` set swaps outputs `j`
/// and `j + 24`.
fn salted_expansion(salt: &[u8]) -> [u8; 48] {
    let mut table = EXPANSION;
    for (i, &c) in salt[..2].iter().enumerate() {
        let value = ALPHABET.iter().position(|&a| a == c).unwrap_or(0);
        for j in 0..6 {
            if value >> j & 1 == 1 {
                table.swap(6 * i + j, 6 * i + j + 24);
            }
        }
    }
    table
}

fn encrypt(block: u64, subkeys: &[u64; 16], expansion: &[u8; 48]) -> u64 {
    let block = permute(block, 64, &INITIAL);
    let (mut left, mut right) = (block >> 32, block & 0xffff_ffff);
    for key in subkeys {
        let mixed = permute(right, 32, expansion) ^ key;
        let substituted = S_BOXES.iter().enumerate().fold(0u64, |out, (i, sbox)| {
            let six = (mixed >> (42 - 6 * i)) & 63;
            let row = (six >> 4 & 2) | (six & 1);
            let column = six >> 1 & 15;
            out << 4 | u64::from(sbox[(row * 16 + column) as usize])
        });
        (left, right) = (right, left ^ permute(substituted, 32, &PERMUTATION));
    }
    permute(right << 32 | left, 64, &FINAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produced by the C library's `crypt(3)` through CPython 3.11's `crypt` module:
    /// `python3 -c 'import crypt; print(crypt.crypt("blah", "me"))'`, and so on.
    #[test]
    fn matches_the_c_library() {
        for (password, expected) in [
            ("blah", "me/DjMjPzbKG."),
            ("secret", "abNANd1rDfiNc"),
            ("", "zz6dpSdr.LHZw"),
            // Only the first eight characters count.
            ("passwordlong", "..UZoIyj/Hy/c"),
            ("password", "..UZoIyj/Hy/c"),
            ("Jetty-user", "kaBx//JuF5bM."),
            ("x9!Q", "Z.mXt4DAoGnxc"),
        ] {
            let salt = &expected[..2];
            let got = crypt(password.as_bytes(), salt);
            assert_eq!(std::str::from_utf8(&got).unwrap(), expected, "{password}");
        }
    }

    #[test]
    fn tells_well_formed_results() {
        assert!(well_formed("me/DjMjPzbKG."));
        assert!(!well_formed("me/DjMjPzbKG"));
        assert!(!well_formed("me/DjMjPzbKG!"));
    }
}
