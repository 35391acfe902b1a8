//! An SSH public key as OpenSSH writes it (`ssh-ed25519 AAAA… comment`): checked for a
//! supported type and a well-formed wire encoding, and named by its SHA-256 fingerprint
//! exactly as `ssh-keygen -l` prints it. The server never verifies a signature (the ssh
//! gateway does); it only has to recognise the same key again, and refuse what no ssh
//! client could hold.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

/// The longest key line accepted (the request holding it is bounded by
/// `server.max_auth_request_bytes` too): an RSA-16384 key is about 2.8 KiB in base64.
pub const MAX_KEY_LINE_BYTES: usize = 4 * 1024;
/// The longest label kept with a key.
pub const MAX_COMMENT_CHARS: usize = 100;
/// RSA keys shorter than this are refused (OpenSSH itself refuses under 1024, and
/// recommends 3072).
const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    algorithm: String,
    blob: Vec<u8>,
    comment: String,
}

impl SshPublicKey {
    /// `line`: "<algorithm> <base64> [comment]", surrounding blanks ignored.
    pub fn parse(line: &str) -> Result<Self> {
        if line.len() > MAX_KEY_LINE_BYTES {
            return Err(invalid(format!(
                "an ssh public key line is at most {MAX_KEY_LINE_BYTES} bytes"
            )));
        }
        let mut parts = line.split_whitespace();
        let (Some(algorithm), Some(encoded)) = (parts.next(), parts.next()) else {
            return Err(invalid(
                "not an ssh public key: expected \"<type> <base64> [comment]\", as in id_ed25519.pub",
            ));
        };
        let comment = parts.collect::<Vec<_>>().join(" ");
        let blob = STANDARD
            .decode(encoded)
            .or_else(|_| STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| invalid("not an ssh public key: its key part is not base64"))?;
        check_wire(algorithm, &blob)?;
        Ok(Self {
            algorithm: algorithm.to_owned(),
            blob,
            comment: clean_comment(&comment),
        })
    }

    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The comment of the key line (often user@machine), cleaned; may be empty.
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// "SHA256:<base64 without padding>" of the wire form.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.blob))
        )
    }

    /// The key line without its comment, in the canonical base64.
    pub fn line(&self) -> String {
        format!("{} {}", self.algorithm, STANDARD.encode(&self.blob))
    }
}

/// A label chosen by the user: control characters refused, length bounded.
pub fn parse_comment(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_COMMENT_CHARS {
        return Err(invalid(format!(
            "a key's comment is at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("a key's comment cannot hold control characters"));
    }
    Ok(trimmed.to_owned())
}

/// A key line's own comment is kept as far as it fits, without control characters.
fn clean_comment(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(MAX_COMMENT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(message)
}

/// The fields each supported type has after its name (RFC 4253 §6.6, RFC 5656,
/// RFC 8709, OpenSSH PROTOCOL.u2f); every one must be present and nothing may follow.
fn check_wire(algorithm: &str, blob: &[u8]) -> Result<()> {
    let mut wire = Wire(blob);
    let named = wire.string()?;
    if named != algorithm.as_bytes() {
        return Err(invalid(
            "not an ssh public key: its type does not match its key part",
        ));
    }
    match algorithm {
        "ssh-ed25519" => exact(wire.string()?, 32)?,
        "sk-ssh-ed25519@openssh.com" => {
            exact(wire.string()?, 32)?;
            wire.string()?; // the FIDO application, "ssh:" by default
        }
        "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" => {
            let curve = &algorithm["ecdsa-sha2-".len()..];
            if wire.string()? != curve.as_bytes() {
                return Err(invalid("not an ssh public key: its curve does not match"));
            }
            let point = match curve {
                "nistp256" => 65,
                "nistp384" => 97,
                _ => 133,
            };
            exact(wire.string()?, point)?;
        }
        "sk-ecdsa-sha2-nistp256@openssh.com" => {
            if wire.string()? != b"nistp256" {
                return Err(invalid("not an ssh public key: its curve does not match"));
            }
            exact(wire.string()?, 65)?;
            wire.string()?;
        }
        "ssh-rsa" => {
            let _exponent = wire.string()?;
            let modulus = wire.string()?;
            if bits(modulus) < MIN_RSA_BITS {
                return Err(invalid(format!(
                    "RSA keys shorter than {MIN_RSA_BITS} bits are not accepted; ed25519 is best"
                )));
            }
        }
        _ => {
            return Err(invalid(format!(
                "ssh keys of type {} are not accepted: use ssh-ed25519, ecdsa-sha2-nistp256/384/521, \
                 their sk- (security key) forms, or ssh-rsa",
                crate::domain::quoted(algorithm)
            )));
        }
    }
    if !wire.0.is_empty() {
        return Err(invalid(
            "not an ssh public key: bytes follow its last field",
        ));
    }
    Ok(())
}

fn exact(field: &[u8], len: usize) -> Result<()> {
    if field.len() == len {
        Ok(())
    } else {
        Err(invalid(
            "not an ssh public key: a field has the wrong length",
        ))
    }
}

/// The bit length of an mpint (big-endian, leading zero bytes allowed).
fn bits(mpint: &[u8]) -> usize {
    let significant: Vec<u8> = mpint.iter().copied().skip_while(|b| *b == 0).collect();
    match significant.first() {
        None => 0,
        Some(top) => significant.len() * 8 - top.leading_zeros() as usize,
    }
}

/// Reads the length-prefixed strings of the SSH wire encoding.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Result<&'a [u8]> {
        let short = || invalid("not an ssh public key: its key part is cut short");
        let (len, rest) = self.0.split_first_chunk::<4>().ok_or_else(short)?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| short())?;
        if rest.len() < len {
            return Err(short());
        }
        let (field, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by `ssh-keygen -t ed25519 -C test@example`; its fingerprint as ssh-keygen -l
    /// printed it.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0z3AJNMPpCFNkG/2RQGCxS7G0o/sD4MI8Yi661FZO7 test@example";

    fn wire(fields: &[&[u8]]) -> String {
        let mut blob = Vec::new();
        for f in fields {
            blob.extend_from_slice(&u32::try_from(f.len()).unwrap_or(0).to_be_bytes());
            blob.extend_from_slice(f);
        }
        STANDARD.encode(blob)
    }

    #[test]
    fn an_openssh_line_gives_ssh_keygens_fingerprint() {
        let key = SshPublicKey::parse(ED25519).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.algorithm(), "ssh-ed25519");
        assert_eq!(key.comment(), "test@example");
        assert_eq!(
            key.fingerprint(),
            "SHA256:4rMg5wQvneT9qy88w5lvV+yFJXDUqfzWvA+unNbxWgc"
        );
        assert_eq!(
            key.line(),
            ED25519.trim_end_matches(" test@example"),
            "the canonical line has no comment"
        );
        // Blanks around and between do not change the key.
        let spaced = format!("  {}  ", ED25519.replace(' ', "   "));
        let again = SshPublicKey::parse(&spaced).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.fingerprint(), key.fingerprint());
    }

    #[test]
    fn malformed_and_unsupported_keys_are_refused_with_the_reason() {
        let refused = |line: &str| match SshPublicKey::parse(line) {
            Err(Error::InvalidArgument(why)) => why,
            other => panic!("{line:?} gave {other:?}"),
        };
        assert!(refused("").contains("expected"));
        assert!(refused("ssh-ed25519").contains("expected"));
        assert!(refused("ssh-ed25519 !!!notbase64").contains("base64"));
        let ed_key = [7u8; 32];
        let as_rsa = format!("ssh-rsa {}", wire(&[b"ssh-ed25519", &ed_key]));
        assert!(refused(&as_rsa).contains("does not match"));
        let short = format!("ssh-ed25519 {}", wire(&[b"ssh-ed25519", &[1u8; 31]]));
        assert!(refused(&short).contains("wrong length"));
        let trailing = format!("ssh-ed25519 {}", wire(&[b"ssh-ed25519", &ed_key, b"x"]));
        assert!(refused(&trailing).contains("follow"));
        let dss = format!("ssh-dss {}", wire(&[b"ssh-dss", b"p", b"q", b"g", b"y"]));
        assert!(refused(&dss).contains("not accepted"));
        let small_rsa = format!("ssh-rsa {}", wire(&[b"ssh-rsa", &[1, 0, 1], &[0xff; 128]]));
        assert!(refused(&small_rsa).contains("2048"));
        let huge = format!("ssh-ed25519 {}", "A".repeat(MAX_KEY_LINE_BYTES));
        assert!(refused(&huge).contains("at most"));
        // A length field that points past the end.
        let cut = STANDARD.encode([0, 0, 0, 50, b's']);
        assert!(refused(&format!("ssh-ed25519 {cut}")).contains("cut short"));
    }

    #[test]
    fn rsa_of_2048_bits_and_ecdsa_are_accepted() {
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0x80; // a leading zero byte, then the top bit of 2048
        let rsa = format!("ssh-rsa {}", wire(&[b"ssh-rsa", &[1, 0, 1], &modulus]));
        assert!(SshPublicKey::parse(&rsa).is_ok());
        let ecdsa = format!(
            "ecdsa-sha2-nistp256 {} laptop",
            wire(&[b"ecdsa-sha2-nistp256", b"nistp256", &[4u8; 65]])
        );
        let key = SshPublicKey::parse(&ecdsa).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.comment(), "laptop");
        let wrong_curve = format!(
            "ecdsa-sha2-nistp256 {}",
            wire(&[b"ecdsa-sha2-nistp256", b"nistp384", &[4u8; 65]])
        );
        assert!(SshPublicKey::parse(&wrong_curve).is_err());
    }

    #[test]
    fn comments_are_bounded_and_printable() {
        assert_eq!(parse_comment("  laptop ").ok().as_deref(), Some("laptop"));
        assert!(parse_comment(&"x".repeat(MAX_COMMENT_CHARS + 1)).is_err());
        assert!(parse_comment("a\u{1b}[2Jb").is_err());
        let line = format!("{ED25519}\u{7}bell {}", "y".repeat(200));
        let key = SshPublicKey::parse(&line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.comment().chars().count(), MAX_COMMENT_CHARS);
        assert!(!key.comment().contains('\u{7}'));
    }
}
