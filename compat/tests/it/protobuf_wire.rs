//! Message-index arrays of the Confluent Protobuf wire format.

use proptest::prelude::*;
use schemata_compat::protobuf::wire::{decode_message_indexes, encode_message_indexes, WireError};

fn encode(idx: &[i32]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_message_indexes(idx, &mut out);
    out
}

#[test]
fn first_message_is_a_single_zero_byte() {
    assert_eq!(encode(&[0]), [0x00]);
    assert_eq!(encode(&[]), [0x00]);
    assert_eq!(decode_message_indexes(&[0x00]).unwrap(), (vec![0], 1));
}

#[test]
fn counts_and_indexes_are_zigzag_varints() {
    assert_eq!(encode(&[1]), [0x02, 0x02]);
    assert_eq!(encode(&[0, 1]), [0x04, 0x00, 0x02]);
    assert_eq!(encode(&[2, 0, 3]), [0x06, 0x04, 0x00, 0x06]);
    assert_eq!(encode(&[64]), [0x02, 0x80, 0x01]);
    assert_eq!(encode(&[-1]), [0x02, 0x01]);
    assert_eq!(
        decode_message_indexes(&[0x04, 0x00, 0x02]).unwrap(),
        (vec![0, 1], 3)
    );
    assert_eq!(
        decode_message_indexes(&[0x02, 0x80, 0x01]).unwrap(),
        (vec![64], 3)
    );
}

#[test]
fn appends_to_the_buffer() {
    let mut out = vec![0x00, 0, 0, 0, 7];
    encode_message_indexes(&[1], &mut out);
    assert_eq!(out, [0x00, 0, 0, 0, 7, 0x02, 0x02]);
}

#[test]
fn decoding_reports_bytes_read_and_leaves_the_payload() {
    let buf = [0x04, 0x02, 0x04, 0x0a, 0x03, b'a', b'b', b'c'];
    let (idx, read) = decode_message_indexes(&buf).unwrap();
    assert_eq!(idx, [1, 2]);
    assert_eq!(read, 3);
    assert_eq!(&buf[read..], [0x0a, 0x03, b'a', b'b', b'c']);
    let (idx, read) = decode_message_indexes(&[0x00, 0x0a, 0x00]).unwrap();
    assert_eq!((idx, read), (vec![0], 1));
}

#[test]
fn empty_input_is_truncated() {
    assert_eq!(decode_message_indexes(&[]), Err(WireError::Truncated));
}

#[test]
fn unterminated_varint_is_truncated() {
    assert_eq!(decode_message_indexes(&[0x80]), Err(WireError::Truncated));
    assert_eq!(
        decode_message_indexes(&[0x04, 0x02, 0x80]),
        Err(WireError::Truncated)
    );
}

#[test]
fn count_beyond_buffer_is_rejected() {
    assert_eq!(
        decode_message_indexes(&[0x04, 0x00]),
        Err(WireError::CountTooLarge(2, 1))
    );
    // A huge count does not allocate.
    assert!(matches!(
        decode_message_indexes(&[0xfe, 0xff, 0xff, 0xff, 0x0f]),
        Err(WireError::CountTooLarge(..))
    ));
}

#[test]
fn negative_count_is_rejected() {
    assert_eq!(
        decode_message_indexes(&[0x01]),
        Err(WireError::NegativeCount(-1))
    );
}

#[test]
fn overlong_or_out_of_range_varints_are_rejected() {
    assert_eq!(
        decode_message_indexes(&[0xff; 11]),
        Err(WireError::VarintOverflow)
    );
    // Index 2^31 does not fit an i32.
    assert_eq!(
        decode_message_indexes(&[0x02, 0x80, 0x80, 0x80, 0x80, 0x10]),
        Err(WireError::VarintOverflow)
    );
}

#[test]
fn extreme_indexes_round_trip() {
    for idx in [
        vec![i32::MAX],
        vec![i32::MIN],
        vec![0, i32::MAX, i32::MIN, -5, 5],
    ] {
        let buf = encode(&idx);
        assert_eq!(decode_message_indexes(&buf).unwrap(), (idx, buf.len()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: crate::regressions_beside_source(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn round_trip(idx in prop::collection::vec(any::<i32>(), 1..20), tail in prop::collection::vec(any::<u8>(), 0..8)) {
        let mut buf = encode(&idx);
        let len = buf.len();
        buf.extend_from_slice(&tail);
        let (decoded, read) = decode_message_indexes(&buf).unwrap();
        prop_assert_eq!(read, len);
        if idx == [0] {
            prop_assert_eq!(len, 1);
        }
        prop_assert_eq!(decoded, idx);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(buf in prop::collection::vec(any::<u8>(), 0..32)) {
        if let Ok((idx, read)) = decode_message_indexes(&buf) {
            prop_assert!(read <= buf.len());
            prop_assert!(!idx.is_empty());
        }
    }
}
