//! Message indexes of Confluent's Protobuf wire format: after the magic byte and the schema
//! id, a zig-zag varint count followed by that many zig-zag varint indexes, the path of the
//! message type through the file's (nested) message declarations. `[0]` (the first top-level
//! message) is abbreviated to the single byte `0x00` (a count of zero).

/// Why a message-index array could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ended inside a varint or before all announced indexes.
    #[error("message indexes truncated")]
    Truncated,
    /// A varint longer than ten bytes or a value outside the 32-bit range.
    #[error("message index varint out of range")]
    VarintOverflow,
    /// The count is negative.
    #[error("negative message index count {0}")]
    NegativeCount(i64),
    /// The count announces more indexes than the buffer can hold.
    #[error("message index count {0} exceeds the remaining {1} bytes")]
    CountTooLarge(i64, usize),
}

fn zigzag_encode(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn zigzag_decode(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint from `buf[*pos..]`, advancing `pos`.
fn get_varint(buf: &[u8], pos: &mut usize) -> Result<u64, WireError> {
    let mut value: u64 = 0;
    for shift in 0..10u32 {
        let byte = *buf.get(*pos).ok_or(WireError::Truncated)?;
        *pos += 1;
        if shift == 9 && byte > 1 {
            return Err(WireError::VarintOverflow);
        }
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(WireError::VarintOverflow)
}

fn get_zigzag_i32(buf: &[u8], pos: &mut usize) -> Result<i32, WireError> {
    let v = zigzag_decode(get_varint(buf, pos)?);
    i32::try_from(v).map_err(|_| WireError::VarintOverflow)
}

/// Append the message-index array for `idx`. `[0]` and `[]` are both written as `0x00`.
pub fn encode_message_indexes(idx: &[i32], out: &mut Vec<u8>) {
    if idx.is_empty() || idx == [0] {
        out.push(0);
        return;
    }
    put_varint(zigzag_encode(idx.len() as i64), out);
    for &i in idx {
        put_varint(zigzag_encode(i64::from(i)), out);
    }
}

/// Read a message-index array from the start of `buf`: the indexes and the number of bytes
/// consumed. A zero count means `[0]`.
pub fn decode_message_indexes(buf: &[u8]) -> Result<(Vec<i32>, usize), WireError> {
    let mut pos = 0;
    let count = zigzag_decode(get_varint(buf, &mut pos)?);
    if count == 0 {
        return Ok((vec![0], pos));
    }
    if count < 0 {
        return Err(WireError::NegativeCount(count));
    }
    let remaining = buf.len() - pos;
    if count > remaining as i64 {
        return Err(WireError::CountTooLarge(count, remaining));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        indexes.push(get_zigzag_i32(buf, &mut pos)?);
    }
    Ok((indexes, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_round_trip() {
        for v in [0i64, 1, -1, 2, -2, i64::from(i32::MAX), i64::from(i32::MIN)] {
            assert_eq!(zigzag_decode(zigzag_encode(v)), v);
        }
    }
}
