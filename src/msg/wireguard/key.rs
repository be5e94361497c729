//! WireGuard keys: Curve25519 (x25519) key pairs, 32 bytes each, written in base64 as `wg`
//! writes them (`wg genkey`, `wg pubkey`, configuration files) and in hex on wireguard-go's
//! UAPI socket. The arithmetic is x25519-dalek's; a private key's bytes are wiped when it is
//! dropped and never printed by `{:?}`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x25519_dalek::StaticSecret;

pub const WG_KEY_LEN: usize = 32;

/// Why a text is not a key, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Not base64 (or, on the UAPI socket, not hex).
    Encoding(&'static str),
    /// Decodes, but to the wrong number of bytes.
    Length(usize),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            KeyError::Encoding(what) => write!(f, "not a key: not {what}"),
            KeyError::Length(n) => write!(
                f,
                "not a key: {n} bytes where a WireGuard key has {WG_KEY_LEN} \
                 (44 characters of base64)"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

fn from_base64(text: &str) -> Result<[u8; WG_KEY_LEN], KeyError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| KeyError::Encoding("base64"))?;
    <[u8; WG_KEY_LEN]>::try_from(&bytes[..]).map_err(|_| KeyError::Length(bytes.len()))
}

fn from_hex(text: &str) -> Result<[u8; WG_KEY_LEN], KeyError> {
    if !text.is_ascii() || !text.len().is_multiple_of(2) {
        return Err(KeyError::Encoding("hex"));
    }
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| KeyError::Encoding("hex"))?;
    <[u8; WG_KEY_LEN]>::try_from(&bytes[..]).map_err(|_| KeyError::Length(bytes.len()))
}

fn to_hex(bytes: &[u8; WG_KEY_LEN]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A peer's identity: what goes in the other hosts' configuration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; WG_KEY_LEN]);

impl PublicKey {
    pub fn from_bytes(bytes: [u8; WG_KEY_LEN]) -> PublicKey {
        PublicKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; WG_KEY_LEN] {
        &self.0
    }

    pub fn parse(base64: &str) -> Result<PublicKey, KeyError> {
        from_base64(base64).map(PublicKey)
    }

    pub fn from_hex(hex: &str) -> Result<PublicKey, KeyError> {
        from_hex(hex).map(PublicKey)
    }

    pub fn to_hex(self) -> String {
        to_hex(&self.0)
    }
}

/// Base64, as `wg show` prints it.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

/// In base64 too, in `-j` output.
impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// A host's secret. Kept clamped, as `wg genkey` makes them: the bits x25519 ignores are
/// cleared and set once, so the same key always reads and prints the same.
#[derive(Clone)]
pub struct PrivateKey(StaticSecret);

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PrivateKey {}

impl PrivateKey {
    /// A key from 32 bytes of a cryptographically secure random source.
    pub fn from_random(mut bytes: [u8; WG_KEY_LEN]) -> PrivateKey {
        // RFC 7748 5: a multiple of the cofactor 8, the top bit clear, the next one set.
        bytes[0] &= 248;
        bytes[31] &= 127;
        bytes[31] |= 64;
        PrivateKey::from_bytes(bytes)
    }

    /// A key as stored (in a file, or by the kernel), not clamped again.
    pub fn from_bytes(bytes: [u8; WG_KEY_LEN]) -> PrivateKey {
        PrivateKey(StaticSecret::from(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; WG_KEY_LEN] {
        self.0.as_bytes()
    }

    pub fn parse(base64: &str) -> Result<PrivateKey, KeyError> {
        from_base64(base64).map(PrivateKey::from_bytes)
    }

    pub fn from_hex(hex: &str) -> Result<PrivateKey, KeyError> {
        from_hex(hex).map(PrivateKey::from_bytes)
    }

    pub fn to_hex(&self) -> String {
        to_hex(self.as_bytes())
    }

    /// Base64, as `wg genkey` prints it: for the key file only.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.as_bytes())
    }

    /// x25519 of the base point: what `wg pubkey` prints.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PrivateKey(public {})", self.public_key())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Made by `wg genkey`, public keys by `wg pubkey` (wireguard-tools v1.0.20210914); the
    /// keys of tests/golden/capture-wg.sh.
    pub const KEY_A: &str = "cDMm8WjnJ9f8Q2AvWu8CrPRM1zjCM4QElXadsAu6Y0E=";
    pub const PUB_A: &str = "ChrI5ifdn2A/7vr/PsMP5UybCG+e8fUYmxMKpM1C3Do=";
    pub const KEY_B: &str = "kMEGyfHTkQ7fTn2jLWOVTmLoPd/GwZ5O108CRJZjlVk=";
    pub const PUB_B: &str = "8MTHMrqimq845KjNXp2cH/wuvDxKJpNmOJPM5lMp5R4=";
    pub const KEY_C: &str = "+AqgBwoWpjJlt3/Y89EfpRhbCTr5vvY8LdCntA3adW8=";
    pub const PUB_C: &str = "LOpJY0300PsPEBxVlXnqPkuROSqxdG6Ha3PK5le2ajc=";

    pub fn public(base64: &str) -> PublicKey {
        PublicKey::parse(base64).unwrap()
    }

    #[test]
    fn public_keys_are_the_ones_wg_pubkey_derives() {
        for (key, public) in [(KEY_A, PUB_A), (KEY_B, PUB_B), (KEY_C, PUB_C)] {
            let key = PrivateKey::parse(key).unwrap();
            assert_eq!(key.public_key().to_string(), public);
        }
    }

    #[test]
    fn keys_read_back_as_written() {
        let key = PrivateKey::parse(KEY_A).unwrap();
        assert_eq!(key.to_base64(), KEY_A);
        assert_eq!(PrivateKey::from_hex(&key.to_hex()).unwrap(), key);
        let public = public(PUB_A);
        assert_eq!(PublicKey::from_hex(&public.to_hex()).unwrap(), public);
        assert_eq!(
            key.to_hex(),
            "703326f168e727d7fc43602f5aef02acf44cd738c233840495769db00bba6341"
        );
    }

    #[test]
    fn a_new_key_is_clamped_as_wg_genkey_clamps() {
        let key = PrivateKey::from_random([0xff; 32]);
        let b = key.as_bytes();
        assert_eq!((b[0], b[31]), (0xf8, 0x7f));
        let key = PrivateKey::from_random([0; 32]);
        assert_eq!(key.as_bytes()[31], 0x40);
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        assert_eq!(
            PrivateKey::parse("not base64!").unwrap_err(),
            KeyError::Encoding("base64")
        );
        let short = PublicKey::parse("AAAA").unwrap_err();
        assert_eq!(short, KeyError::Length(3));
        assert!(short.to_string().contains("44 characters"), "{short}");
        assert_eq!(
            PublicKey::from_hex("zz").unwrap_err(),
            KeyError::Encoding("hex")
        );
        assert_eq!(PublicKey::from_hex("00").unwrap_err(), KeyError::Length(1));
        // A trailing newline, as in a key file, is not part of the key.
        assert!(PrivateKey::parse(&format!("{KEY_A}\n")).is_ok());
    }

    #[test]
    fn debug_never_shows_a_private_key() {
        let key = PrivateKey::parse(KEY_A).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(KEY_A) && !shown.contains(&key.to_hex()));
        assert!(shown.contains(PUB_A), "{shown}");
    }
}
