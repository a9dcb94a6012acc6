//! Web3 Secret Storage v3 keystore files: a secret key encrypted under a password.
//!
//! Format (Ethereum wiki, "Web3 Secret Storage Definition", version 3; what geth, eth-account and
//! MyCrypto write): a key-derivation function (scrypt or PBKDF2-HMAC-SHA256) turns the password
//! into a derived key `dk` of `dklen ≥ 32` bytes; the 32-byte secret key is encrypted with
//! AES-128-CTR under `dk[0..16]` and the 16-byte `iv` (counter, big-endian, wrapping); the MAC is
//! `keccak256(dk[16..32] ‖ ciphertext)`. A wrong password shows as a MAC mismatch.
//!
//! Quarry writes scrypt with geth's "standard" parameters (n = 2^18, r = 8, p = 1: 256 MiB and
//! about a second) unless told to use the "light" ones (n = 2^12, r = 8, p = 6); it reads both
//! KDFs with any parameters within [`MAX_SCRYPT_MEMORY`] and [`MAX_PBKDF2_ROUNDS`], including
//! the `n = 2^18, r = 1, p = 8` of eth-account and the spec's own test vector, which break
//! RFC 7914's `n < 2^(16 r)` bound — a bound the RFC's errata 5971 withdraws (scrypt ≥ 0.12
//! follows the errata, as Go's x/crypto/scrypt and Tarsnap do).

use aes::cipher::{KeyIvInit, StreamCipher};
use alloy_primitives::{keccak256, Address, B256};
use quarry_primitives::crypto::SecretKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Most memory (bytes, `128 · r · n`) a keystore's scrypt parameters may ask for: 1 GiB.
/// Larger values are refused before any work, so a hostile file cannot make the wallet
/// allocate without bound.
pub const MAX_SCRYPT_MEMORY: u64 = 1 << 30;

/// Most scrypt parallelism `p` a keystore may ask for (scrypt runs the `p` lanes one after
/// another, so `p` multiplies the time): 64; geth writes 1 or 6, eth-account 8.
pub const MAX_SCRYPT_P: u32 = 64;

/// Most PBKDF2 rounds a keystore may ask for (`c`): 2^24, 64 times geth's 2^18.
pub const MAX_PBKDF2_ROUNDS: u32 = 1 << 24;

/// Why a keystore could not be read, written or opened.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The file is not JSON, or a required field is missing or of the wrong JSON type.
    #[error("not a v3 keystore: {0}")]
    Malformed(String),
    /// `version` is not 3.
    #[error("unsupported keystore version {0} (only version 3 is supported)")]
    UnsupportedVersion(Value),
    /// `crypto.cipher` is not `aes-128-ctr`.
    #[error("unsupported cipher {0:?} (only aes-128-ctr is supported)")]
    UnsupportedCipher(String),
    /// `crypto.kdf` is neither `scrypt` nor `pbkdf2`.
    #[error("unsupported kdf {0:?} (scrypt and pbkdf2 are supported)")]
    UnsupportedKdf(String),
    /// `kdfparams.prf` is not `hmac-sha256`.
    #[error("unsupported pbkdf2 prf {0:?} (only hmac-sha256 is supported)")]
    UnsupportedPrf(String),
    /// A hex field does not decode, or has the wrong length.
    #[error("keystore field {field} = {value:?}: {reason}")]
    BadField {
        /// JSON path of the field, e.g. `crypto.cipherparams.iv`.
        field: &'static str,
        /// The value found.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The MAC does not match: the password is wrong (or the file was altered).
    #[error("wrong password (keystore MAC mismatch)")]
    WrongPassword,
    /// The decrypted bytes are not a valid secp256k1 secret key.
    #[error("keystore decrypts to an invalid secret key")]
    InvalidKey,
    /// The file's `address` differs from the address of the key it holds.
    #[error("keystore claims address {claimed} but holds the key of {actual}")]
    AddressMismatch {
        /// Address written in the file.
        claimed: Address,
        /// Address of the decrypted key.
        actual: Address,
    },
}

/// Scrypt parameters: cost `n` (a power of two > 1), block size `r`, parallelism `p`
/// (Percival 2009; RFC 7914).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScryptParams {
    /// CPU/memory cost, a power of two.
    pub n: u64,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptParams {
    /// geth's `StandardScryptN`/`StandardScryptP`: n = 2^18, r = 8, p = 1 (256 MiB).
    pub const STANDARD: Self = Self { n: 1 << 18, r: 8, p: 1 };
    /// geth's `LightScryptN`/`LightScryptP`: n = 2^12, r = 8, p = 6 (4 MiB), for test and dev keys.
    pub const LIGHT: Self = Self { n: 1 << 12, r: 8, p: 6 };
}

/// The key-derivation function of a keystore and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// `"kdf": "scrypt"` with `n`, `r`, `p`, `salt`, `dklen`.
    Scrypt {
        /// Cost parameters.
        params: ScryptParams,
        /// Salt, any length.
        salt: Vec<u8>,
        /// Derived-key length in bytes, at least 32.
        dklen: usize,
    },
    /// `"kdf": "pbkdf2"` with `prf: "hmac-sha256"`, `c`, `salt`, `dklen`.
    Pbkdf2 {
        /// Iteration count.
        c: u32,
        /// Salt, any length.
        salt: Vec<u8>,
        /// Derived-key length in bytes, at least 32.
        dklen: usize,
    },
}

impl Kdf {
    /// Derives `dklen` bytes from `password`.
    ///
    /// # Errors
    /// [`KeystoreError::BadField`] for parameters the KDF refuses or that exceed the limits.
    pub fn derive(&self, password: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        match self {
            Kdf::Scrypt { params, salt, dklen } => {
                let log_n = params.n.trailing_zeros();
                let bad = |reason: &str| KeystoreError::BadField {
                    field: "crypto.kdfparams.n",
                    value: params.n.to_string(),
                    reason: reason.to_string(),
                };
                if params.n < 2 || !params.n.is_power_of_two() {
                    return Err(bad("n must be a power of two above 1"));
                }
                let memory = 128u64.saturating_mul(params.r as u64).saturating_mul(params.n);
                if memory > MAX_SCRYPT_MEMORY {
                    return Err(bad(&format!(
                        "n·r·128 = {memory} bytes exceeds the limit of {MAX_SCRYPT_MEMORY}"
                    )));
                }
                if params.p > MAX_SCRYPT_P {
                    return Err(KeystoreError::BadField {
                        field: "crypto.kdfparams.p",
                        value: params.p.to_string(),
                        reason: format!("exceeds the limit of {MAX_SCRYPT_P}"),
                    });
                }
                let scrypt_params =
                    scrypt::Params::new(log_n as u8, params.r, params.p).map_err(|e| {
                        KeystoreError::BadField {
                            field: "crypto.kdfparams",
                            value: format!(
                                "n={} r={} p={} dklen={dklen}",
                                params.n, params.r, params.p
                            ),
                            reason: e.to_string(),
                        }
                    })?;
                let mut out = vec![0u8; *dklen];
                scrypt::scrypt(password, salt, &scrypt_params, &mut out).map_err(|e| {
                    KeystoreError::BadField {
                        field: "crypto.kdfparams.dklen",
                        value: dklen.to_string(),
                        reason: e.to_string(),
                    }
                })?;
                Ok(out)
            }
            Kdf::Pbkdf2 { c, salt, dklen } => {
                if *c == 0 || *c > MAX_PBKDF2_ROUNDS {
                    return Err(KeystoreError::BadField {
                        field: "crypto.kdfparams.c",
                        value: c.to_string(),
                        reason: format!("must be in 1..={MAX_PBKDF2_ROUNDS}"),
                    });
                }
                let mut out = vec![0u8; *dklen];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, *c, &mut out);
                Ok(out)
            }
        }
    }

    fn to_json(&self) -> (&'static str, Value) {
        match self {
            Kdf::Scrypt { params, salt, dklen } => (
                "scrypt",
                json!({"dklen": dklen, "n": params.n, "r": params.r, "p": params.p,
                       "salt": hex::encode(salt)}),
            ),
            Kdf::Pbkdf2 { c, salt, dklen } => (
                "pbkdf2",
                json!({"dklen": dklen, "c": c, "prf": "hmac-sha256", "salt": hex::encode(salt)}),
            ),
        }
    }
}

/// A parsed v3 keystore: everything needed to check a password and decrypt the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystore {
    /// The address the file says it holds (optional in the format; geth and Quarry write it).
    pub address: Option<Address>,
    /// The file's UUID (informational).
    pub id: String,
    /// Key derivation.
    pub kdf: Kdf,
    /// AES-128-CTR initial counter block, 16 bytes.
    pub iv: [u8; 16],
    /// The encrypted 32-byte secret key.
    pub ciphertext: Vec<u8>,
    /// `keccak256(dk[16..32] ‖ ciphertext)`.
    pub mac: B256,
}

/// How a newly written keystore derives its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfChoice {
    /// Scrypt with these parameters (default [`ScryptParams::STANDARD`]).
    Scrypt(ScryptParams),
    /// PBKDF2-HMAC-SHA256 with `c` rounds (geth reads these; eth-account can write them).
    Pbkdf2 {
        /// Iteration count.
        c: u32,
    },
}

impl Default for KdfChoice {
    fn default() -> Self {
        KdfChoice::Scrypt(ScryptParams::STANDARD)
    }
}

fn hex_field(field: &'static str, value: &Value) -> Result<Vec<u8>, KeystoreError> {
    let text = value
        .as_str()
        .ok_or_else(|| KeystoreError::Malformed(format!("{field} must be a hex string")))?;
    let stripped = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(stripped).map_err(|e| KeystoreError::BadField {
        field,
        value: text.to_string(),
        reason: e.to_string(),
    })
}

fn u64_field(field: &'static str, value: &Value) -> Result<u64, KeystoreError> {
    value
        .as_u64()
        .ok_or_else(|| KeystoreError::Malformed(format!("{field} must be a non-negative integer")))
}

fn u32_field(field: &'static str, value: &Value) -> Result<u32, KeystoreError> {
    let wide = u64_field(field, value)?;
    u32::try_from(wide).map_err(|_| KeystoreError::BadField {
        field,
        value: wide.to_string(),
        reason: "does not fit 32 bits".into(),
    })
}

fn dklen_field(params: &Value) -> Result<usize, KeystoreError> {
    let dklen = u64_field("crypto.kdfparams.dklen", &params["dklen"])?;
    if !(32..=64).contains(&dklen) {
        return Err(KeystoreError::BadField {
            field: "crypto.kdfparams.dklen",
            value: dklen.to_string(),
            reason: "must be in 32..=64".into(),
        });
    }
    Ok(dklen as usize)
}

impl Keystore {
    /// Parses a v3 keystore's JSON text. Accepts `Crypto` for `crypto` (MyEtherWallet files)
    /// and extra fields; does not check the password.
    ///
    /// # Errors
    /// [`KeystoreError`] naming the missing, unsupported or malformed field.
    pub fn parse(text: &str) -> Result<Self, KeystoreError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| KeystoreError::Malformed(e.to_string()))?;
        if !root.is_object() {
            return Err(KeystoreError::Malformed("top level must be a JSON object".into()));
        }
        match root.get("version") {
            Some(v) if v.as_u64() == Some(3) => {}
            Some(v) => return Err(KeystoreError::UnsupportedVersion(v.clone())),
            None => return Err(KeystoreError::Malformed("missing version".into())),
        }
        let crypto = root
            .get("crypto")
            .or_else(|| root.get("Crypto"))
            .ok_or_else(|| KeystoreError::Malformed("missing crypto".into()))?;
        let cipher = crypto["cipher"].as_str().unwrap_or_default();
        if cipher != "aes-128-ctr" {
            return Err(KeystoreError::UnsupportedCipher(cipher.to_string()));
        }
        let iv_bytes = hex_field("crypto.cipherparams.iv", &crypto["cipherparams"]["iv"])?;
        let iv: [u8; 16] = iv_bytes.as_slice().try_into().map_err(|_| KeystoreError::BadField {
            field: "crypto.cipherparams.iv",
            value: hex::encode(&iv_bytes),
            reason: format!("must be 16 bytes, found {}", iv_bytes.len()),
        })?;
        let ciphertext = hex_field("crypto.ciphertext", &crypto["ciphertext"])?;
        if ciphertext.len() != 32 {
            return Err(KeystoreError::BadField {
                field: "crypto.ciphertext",
                value: hex::encode(&ciphertext),
                reason: format!("must be 32 bytes, found {}", ciphertext.len()),
            });
        }
        let mac_bytes = hex_field("crypto.mac", &crypto["mac"])?;
        if mac_bytes.len() != 32 {
            return Err(KeystoreError::BadField {
                field: "crypto.mac",
                value: hex::encode(&mac_bytes),
                reason: format!("must be 32 bytes, found {}", mac_bytes.len()),
            });
        }
        let params = &crypto["kdfparams"];
        let kdf_name = crypto["kdf"].as_str().unwrap_or_default();
        let kdf = match kdf_name {
            "scrypt" => Kdf::Scrypt {
                params: ScryptParams {
                    n: u64_field("crypto.kdfparams.n", &params["n"])?,
                    r: u32_field("crypto.kdfparams.r", &params["r"])?,
                    p: u32_field("crypto.kdfparams.p", &params["p"])?,
                },
                salt: hex_field("crypto.kdfparams.salt", &params["salt"])?,
                dklen: dklen_field(params)?,
            },
            "pbkdf2" => {
                let prf = params["prf"].as_str().unwrap_or_default();
                if prf != "hmac-sha256" {
                    return Err(KeystoreError::UnsupportedPrf(prf.to_string()));
                }
                Kdf::Pbkdf2 {
                    c: u32_field("crypto.kdfparams.c", &params["c"])?,
                    salt: hex_field("crypto.kdfparams.salt", &params["salt"])?,
                    dklen: dklen_field(params)?,
                }
            }
            other => return Err(KeystoreError::UnsupportedKdf(other.to_string())),
        };
        let address = match root.get("address") {
            None | Some(Value::Null) => None,
            Some(value) => {
                let bytes = hex_field("address", value)?;
                if bytes.len() != 20 {
                    return Err(KeystoreError::BadField {
                        field: "address",
                        value: hex::encode(&bytes),
                        reason: format!("must be 20 bytes, found {}", bytes.len()),
                    });
                }
                Some(Address::from_slice(&bytes))
            }
        };
        Ok(Keystore {
            address,
            id: root["id"].as_str().unwrap_or_default().to_string(),
            kdf,
            iv,
            ciphertext,
            mac: B256::from_slice(&mac_bytes),
        })
    }

    /// Encrypts `key` under `password` with fresh random salt, iv and UUID (v4).
    ///
    /// # Errors
    /// Only if `kdf` holds parameters the KDF refuses (see [`Kdf::derive`]).
    pub fn encrypt(
        key: &SecretKey,
        password: &[u8],
        kdf: KdfChoice,
    ) -> Result<Self, KeystoreError> {
        let salt: [u8; 32] = random_bytes();
        let iv: [u8; 16] = random_bytes();
        let kdf = match kdf {
            KdfChoice::Scrypt(params) => Kdf::Scrypt { params, salt: salt.to_vec(), dklen: 32 },
            KdfChoice::Pbkdf2 { c } => Kdf::Pbkdf2 { c, salt: salt.to_vec(), dklen: 32 },
        };
        let dk = kdf.derive(password)?;
        let mut ciphertext = key.to_bytes().to_vec();
        Aes128Ctr::new(dk[..16].into(), (&iv).into()).apply_keystream(&mut ciphertext);
        let mac = keystore_mac(&dk, &ciphertext);
        Ok(Keystore {
            address: Some(key.address()),
            id: uuid::Uuid::new_v4().to_string(),
            kdf,
            iv,
            ciphertext,
            mac,
        })
    }

    /// Checks `password` against the MAC and decrypts the secret key; if the file names an
    /// address, checks it is the key's.
    ///
    /// # Errors
    /// [`KeystoreError::WrongPassword`] on a MAC mismatch, [`KeystoreError::InvalidKey`] or
    /// [`KeystoreError::AddressMismatch`] for a corrupt file, KDF parameter errors.
    pub fn decrypt(&self, password: &[u8]) -> Result<SecretKey, KeystoreError> {
        let dk = self.kdf.derive(password)?;
        if keystore_mac(&dk, &self.ciphertext) != self.mac {
            return Err(KeystoreError::WrongPassword);
        }
        let mut plain = self.ciphertext.clone();
        Aes128Ctr::new(dk[..16].into(), (&self.iv).into()).apply_keystream(&mut plain);
        let key = SecretKey::from_bytes(&B256::from_slice(&plain))
            .map_err(|_| KeystoreError::InvalidKey)?;
        if let Some(claimed) = self.address {
            if claimed != key.address() {
                return Err(KeystoreError::AddressMismatch { claimed, actual: key.address() });
            }
        }
        Ok(key)
    }

    /// The v3 JSON object, as geth writes it (`address` lowercase hex without `0x`).
    pub fn to_json(&self) -> Value {
        let (kdf_name, kdfparams) = self.kdf.to_json();
        let mut root = json!({
            "crypto": {
                "cipher": "aes-128-ctr",
                "cipherparams": {"iv": hex::encode(self.iv)},
                "ciphertext": hex::encode(&self.ciphertext),
                "kdf": kdf_name,
                "kdfparams": kdfparams,
                "mac": hex::encode(self.mac),
            },
            "id": self.id,
            "version": 3,
        });
        if let Some(address) = self.address {
            root["address"] = Value::String(hex::encode(address));
        }
        root
    }
}

/// `keccak256(dk[16..32] ‖ ciphertext)`, the v3 MAC.
fn keystore_mac(dk: &[u8], ciphertext: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(16 + ciphertext.len());
    buf.extend_from_slice(&dk[16..32]);
    buf.extend_from_slice(ciphertext);
    keccak256(&buf)
}

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::TryRngCore;
    let mut out = [0u8; N];
    rand::rngs::OsRng
        .try_fill_bytes(&mut out)
        .expect("the operating system's random number generator failed");
    out
}

/// A fresh random secret key from the operating system's CSPRNG.
pub fn random_secret_key() -> SecretKey {
    loop {
        // A uniformly random 32-byte value is outside 1..n with probability < 2^-127.
        if let Ok(key) = SecretKey::from_bytes(&B256::from(random_bytes::<32>())) {
            return key;
        }
    }
}

/// Serde helper so callers can embed a keystore in their own JSON.
impl Serialize for Keystore {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Keystore {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Keystore::parse(&value.to_string()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&B256::repeat_byte(byte)).unwrap()
    }

    #[test]
    fn scrypt_round_trip_through_json_text_gives_the_same_key() {
        let original = key(0x11);
        let store =
            Keystore::encrypt(&original, b"hunter2", KdfChoice::Scrypt(ScryptParams::LIGHT))
                .unwrap();
        let text = serde_json::to_string_pretty(&store).unwrap();
        let parsed = Keystore::parse(&text).unwrap();
        assert_eq!(parsed, store);
        assert_eq!(parsed.decrypt(b"hunter2").unwrap().to_bytes(), original.to_bytes());
    }

    #[test]
    fn pbkdf2_round_trip_gives_the_same_key() {
        let original = key(0x22);
        let store = Keystore::encrypt(&original, b"pw", KdfChoice::Pbkdf2 { c: 1024 }).unwrap();
        let parsed = Keystore::parse(&store.to_json().to_string()).unwrap();
        assert_eq!(parsed.decrypt(b"pw").unwrap().address(), original.address());
    }

    #[test]
    fn wrong_password_is_a_mac_mismatch() {
        let store = Keystore::encrypt(&key(0x33), b"right", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        assert!(matches!(store.decrypt(b"wrong"), Err(KeystoreError::WrongPassword)));
    }

    #[test]
    fn two_encryptions_of_one_key_use_fresh_salt_iv_and_id() {
        let a = Keystore::encrypt(&key(0x44), b"pw", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        let b = Keystore::encrypt(&key(0x44), b"pw", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        assert_ne!(a.iv, b.iv);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn a_file_naming_another_address_is_refused() {
        let mut store = Keystore::encrypt(&key(0x55), b"pw", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        store.address = Some(Address::repeat_byte(1));
        assert!(matches!(store.decrypt(b"pw"), Err(KeystoreError::AddressMismatch { .. })));
    }

    #[test]
    fn malformed_files_name_the_bad_field() {
        let store = Keystore::encrypt(&key(0x66), b"pw", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        let mut json = store.to_json();
        json["crypto"]["cipherparams"]["iv"] = "zz".into();
        let err = Keystore::parse(&json.to_string()).unwrap_err().to_string();
        assert!(err.contains("crypto.cipherparams.iv") && err.contains("zz"), "{err}");

        let mut json = store.to_json();
        json["version"] = 1.into();
        let err = Keystore::parse(&json.to_string()).unwrap_err().to_string();
        assert!(err.contains("version 1"), "{err}");

        let mut json = store.to_json();
        json["crypto"]["kdf"] = "argon2".into();
        let err = Keystore::parse(&json.to_string()).unwrap_err().to_string();
        assert!(err.contains("argon2"), "{err}");

        let mut json = store.to_json();
        json["crypto"]["cipher"] = "aes-128-cbc".into();
        assert!(matches!(
            Keystore::parse(&json.to_string()),
            Err(KeystoreError::UnsupportedCipher(c)) if c == "aes-128-cbc"
        ));

        assert!(matches!(Keystore::parse("[1, 2]"), Err(KeystoreError::Malformed(_))));
        assert!(matches!(Keystore::parse("not json"), Err(KeystoreError::Malformed(_))));
    }

    #[test]
    fn hostile_scrypt_parameters_are_refused_before_any_work() {
        let kdf = Kdf::Scrypt {
            params: ScryptParams { n: 1 << 30, r: 8, p: 1 },
            salt: vec![0; 32],
            dklen: 32,
        };
        let err = kdf.derive(b"pw").unwrap_err().to_string();
        assert!(err.contains("exceeds the limit"), "{err}");
        let kdf =
            Kdf::Scrypt { params: ScryptParams { n: 1000, r: 8, p: 1 }, salt: vec![], dklen: 32 };
        assert!(kdf.derive(b"pw").unwrap_err().to_string().contains("power of two"));
        let kdf = Kdf::Scrypt {
            params: ScryptParams { n: 2, r: 1, p: 1 << 20 },
            salt: vec![],
            dklen: 32,
        };
        assert!(kdf.derive(b"pw").unwrap_err().to_string().contains("crypto.kdfparams.p"));
        let kdf = Kdf::Pbkdf2 { c: u32::MAX, salt: vec![], dklen: 32 };
        assert!(kdf.derive(b"pw").unwrap_err().to_string().contains("crypto.kdfparams.c"));
    }
}
