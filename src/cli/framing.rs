//! Wire-format messages on stdin and stdout: raw bytes (one message), or one hex or base64
//! message a line (`--output` of `encode`, `--input` of `decode`).

use super::options::Framing;
use anyhow::{bail, Context};
use base64::Engine;

/// The text of one message a line.
pub(super) fn encode(framing: Framing, message: &[u8]) -> String {
    match framing {
        Framing::Hex => message.iter().map(|b| format!("{b:02x}")).collect(),
        Framing::Base64 | Framing::Raw => base64::engine::general_purpose::STANDARD.encode(message),
    }
}

/// The messages of stdin: all of it as one (`raw`), or one a non-empty line.
pub(super) fn decode(framing: Framing, input: Vec<u8>) -> anyhow::Result<Vec<Vec<u8>>> {
    if framing == Framing::Raw {
        return Ok(vec![input]);
    }
    let text = String::from_utf8(input).context("stdin is not text (hex or base64 lines)")?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let line = line.trim();
            let decoded = match framing {
                Framing::Hex => from_hex(line),
                _ => base64::engine::general_purpose::STANDARD
                    .decode(line)
                    .map_err(|e| anyhow::anyhow!("{e}")),
            };
            decoded.with_context(|| format!("line {} is not a {framing:?} message", i + 1))
        })
        .collect()
}

fn from_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        bail!("an odd number of hex digits");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(text.get(i..i + 2).unwrap_or("?"), 16)
                .map_err(|_| anyhow::anyhow!("not a hex digit pair at {i}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_lines_round_trip() {
        let message = [0u8, 0, 0, 0, 7, 0xff, 0x10];
        for framing in [Framing::Hex, Framing::Base64] {
            let line = encode(framing, &message);
            let input = format!("{line}\n\n{line}\n").into_bytes();
            assert_eq!(decode(framing, input).unwrap(), vec![message.to_vec(); 2]);
        }
        assert_eq!(
            encode(Framing::Hex, &message),
            "00000000".to_owned() + "07ff10"
        );
        assert!(decode(Framing::Hex, b"0g\n".to_vec()).is_err());
        assert!(decode(Framing::Hex, b"000\n".to_vec()).is_err());
        assert_eq!(decode(Framing::Raw, vec![1, 2]).unwrap(), vec![vec![1, 2]]);
    }
}
