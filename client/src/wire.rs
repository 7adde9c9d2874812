//! Confluent's wire format: magic byte `0`, the schema id as 4 big-endian bytes, then the
//! payload (for Protobuf, the message-index array first).

use crate::error::{Error, Result};

pub const MAGIC_BYTE: u8 = 0;
pub const HEADER_LEN: usize = 5;

/// Append the 5-byte header for schema `id`.
#[inline]
pub fn write_header(id: u32, out: &mut Vec<u8>) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
}

/// Split a message into its schema id and the rest.
#[inline]
pub fn read_header(message: &[u8]) -> Result<(u32, &[u8])> {
    if message.len() < HEADER_LEN {
        return Err(Error::Truncated(message.len()));
    }
    if message[0] != MAGIC_BYTE {
        return Err(Error::UnknownMagicByte(message[0]));
    }
    let id = u32::from_be_bytes([message[1], message[2], message[3], message[4]]);
    Ok((id, &message[HEADER_LEN..]))
}

/// Append the Protobuf message-index array (`[0]` as the single byte `0`).
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    schemata_compat::protobuf::wire::encode_message_indexes(indexes, out);
}

/// Read the Protobuf message-index array: the indexes and the payload after it.
pub fn read_message_indexes(rest: &[u8]) -> Result<(Vec<i32>, &[u8])> {
    let (indexes, used) = schemata_compat::protobuf::wire::decode_message_indexes(rest)
        .map_err(|e| Error::BadMessageIndex(e.to_string()))?;
    Ok((indexes, &rest[used..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut out = Vec::new();
        write_header(0x01020304, &mut out);
        out.extend_from_slice(b"xy");
        assert_eq!(out, [0, 1, 2, 3, 4, b'x', b'y']);
        let (id, rest) = read_header(&out).unwrap();
        assert_eq!((id, rest), (0x01020304, &b"xy"[..]));
    }

    #[test]
    fn bad_headers_are_typed_errors() {
        assert_eq!(read_header(&[]), Err(Error::Truncated(0)));
        assert_eq!(read_header(&[0, 0, 0, 1]), Err(Error::Truncated(4)));
        assert_eq!(
            read_header(&[1, 0, 0, 0, 1]),
            Err(Error::UnknownMagicByte(1))
        );
        assert_eq!(read_header(&[0, 0, 0, 0, 7]).unwrap(), (7, &[][..]));
    }

    #[test]
    fn message_indexes() {
        let mut out = Vec::new();
        write_message_indexes(&[0], &mut out);
        assert_eq!(out, [0]);
        out.clear();
        write_message_indexes(&[1, 2], &mut out);
        out.push(0x08);
        let (idx, rest) = read_message_indexes(&out).unwrap();
        assert_eq!((idx, rest), (vec![1, 2], &[0x08][..]));
        assert!(matches!(
            read_message_indexes(&[0x80]),
            Err(Error::BadMessageIndex(_))
        ));
        assert!(matches!(
            read_message_indexes(&[0x01]),
            Err(Error::BadMessageIndex(_))
        ));
    }
}
