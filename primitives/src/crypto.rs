//! secp256k1 keys, signatures and addresses, the way Ethereum uses them.
//!
//! Signing is RFC 6979 deterministic ECDSA over a 32-byte prehash (k256), normalised to low `s`
//! (EIP-2, Homestead). An address is the last 20 bytes of keccak256 of the 64-byte uncompressed
//! public key (Yellow Paper §4.1 and Appendix F).

use alloy_primitives::{keccak256, Address, B256, U256};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};

/// Half the order of secp256k1, `n / 2`. EIP-2: a transaction signature with `s > n / 2` is invalid.
pub const SECP256K1N_HALF: U256 = alloy_primitives::uint!(
    0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256
);

/// The order `n` of secp256k1's base point. A signature with `r` or `s` outside `1..n` is invalid.
pub const SECP256K1N: U256 = alloy_primitives::uint!(
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256
);

/// Why a key or signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The 32 bytes are not a valid secp256k1 secret key (zero, or ≥ the curve order).
    #[error("invalid secret key: must be in 1..n")]
    InvalidSecretKey,
    /// `r` is zero or not below the curve order.
    #[error("invalid signature r value {0:#x}: must be in 1..n")]
    InvalidR(U256),
    /// `s` is zero or not below the curve order.
    #[error("invalid signature s value {0:#x}: must be in 1..n")]
    InvalidS(U256),
    /// `s` is above n/2 (EIP-2 forbids high-s transaction signatures).
    #[error("invalid signature: s value {0:#x} is above secp256k1n/2 (EIP-2)")]
    HighS(U256),
    /// No public key recovers from this signature and hash.
    #[error("signature recovery failed")]
    RecoveryFailed,
}

/// An ECDSA signature in Ethereum's `(y_parity, r, s)` form.
///
/// `y_parity` is the parity of the y coordinate of the ephemeral point `R` (the "recovery id").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Parity of `R.y`: `false` for even, `true` for odd.
    pub y_parity: bool,
    /// `r`, the x coordinate of `R` mod n.
    pub r: U256,
    /// `s`, at most n/2 for signatures this module makes.
    pub s: U256,
}

impl Signature {
    /// Checks `r` and `s` are in `1..n` and `s ≤ n/2` (Yellow Paper Appendix F, EIP-2).
    ///
    /// # Errors
    /// [`CryptoError::InvalidR`], [`CryptoError::InvalidS`] or [`CryptoError::HighS`].
    pub fn check_transaction_rules(&self) -> Result<(), CryptoError> {
        if self.r.is_zero() || self.r >= SECP256K1N {
            return Err(CryptoError::InvalidR(self.r));
        }
        if self.s.is_zero() || self.s >= SECP256K1N {
            return Err(CryptoError::InvalidS(self.s));
        }
        if self.s > SECP256K1N_HALF {
            return Err(CryptoError::HighS(self.s));
        }
        Ok(())
    }
}

/// A secp256k1 secret key that signs Ethereum prehashes.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.address())
    }
}

impl SecretKey {
    /// Reads a 32-byte big-endian secret key.
    ///
    /// # Errors
    /// [`CryptoError::InvalidSecretKey`] for zero or values ≥ the curve order.
    pub fn from_bytes(bytes: &B256) -> Result<Self, CryptoError> {
        SigningKey::from_slice(bytes.as_slice())
            .map(Self)
            .map_err(|_| CryptoError::InvalidSecretKey)
    }

    /// The key as 32 big-endian bytes.
    pub fn to_bytes(&self) -> B256 {
        B256::from_slice(&self.0.to_bytes())
    }

    /// The Ethereum address of this key.
    pub fn address(&self) -> Address {
        public_key_to_address(self.0.verifying_key())
    }

    /// Signs a 32-byte prehash with RFC 6979 deterministic nonces; `s` is always low (EIP-2).
    pub fn sign_prehash(&self, prehash: &B256) -> Signature {
        let (sig, recid) = self
            .0
            .sign_prehash_recoverable(prehash.as_slice())
            .expect("signing a 32-byte prehash with a valid key cannot fail");
        // k256 already returns low-s; normalise anyway so the invariant does not hang on a
        // library detail, flipping the parity when s is negated.
        let (sig, y_parity) = match sig.normalize_s() {
            Some(low) => (low, !recid.is_y_odd()),
            None => (sig, recid.is_y_odd()),
        };
        let (r, s) = sig.split_bytes();
        Signature { y_parity, r: U256::from_be_slice(&r), s: U256::from_be_slice(&s) }
    }
}

/// The address of a public key: keccak256 of the 64-byte uncompressed point, last 20 bytes.
pub fn public_key_to_address(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    Address::from_slice(&hash[12..])
}

/// Recovers the signer's address from a prehash and `(r, s, y_parity)`, as the ECRECOVER
/// precompile does: `r`, `s` in `1..n`; high `s` is accepted (the precompile predates EIP-2).
/// `None` when no key recovers.
pub fn recover_address(prehash: &B256, r: U256, s: U256, y_parity: bool) -> Option<Address> {
    if r.is_zero() || r >= SECP256K1N || s.is_zero() || s >= SECP256K1N {
        return None;
    }
    let sig = EcdsaSignature::from_scalars(r.to_be_bytes::<32>(), s.to_be_bytes::<32>()).ok()?;
    // k256 refuses high-s in recovery; (r, n - s) with the other parity names the same key.
    let (sig, y_parity) = match sig.normalize_s() {
        Some(low) => (low, !y_parity),
        None => (sig, y_parity),
    };
    let recid = RecoveryId::new(y_parity, false);
    let key = VerifyingKey::recover_from_prehash(prehash.as_slice(), &sig, recid).ok()?;
    Some(public_key_to_address(&key))
}

/// Recovers a transaction signer: the signature must satisfy
/// [`Signature::check_transaction_rules`] (low `s`, EIP-2).
///
/// # Errors
/// The rule broken, or [`CryptoError::RecoveryFailed`].
pub fn recover_signer(prehash: &B256, signature: &Signature) -> Result<Address, CryptoError> {
    signature.check_transaction_rules()?;
    recover_address(prehash, signature.r, signature.s, signature.y_parity)
        .ok_or(CryptoError::RecoveryFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn signing_then_recovering_gives_the_keys_address() {
        let key = SecretKey::from_bytes(&b256!(
            "4646464646464646464646464646464646464646464646464646464646464646"
        ))
        .unwrap();
        assert_eq!(key.address(), address!("9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"));
        let hash = keccak256(b"quarry");
        let sig = key.sign_prehash(&hash);
        assert!(sig.s <= SECP256K1N_HALF);
        assert_eq!(recover_signer(&hash, &sig).unwrap(), key.address());
    }

    #[test]
    fn high_s_is_refused_for_transactions_but_recovers_for_ecrecover() {
        let key = SecretKey::from_bytes(&B256::repeat_byte(7)).unwrap();
        let hash = keccak256(b"malleable");
        let sig = key.sign_prehash(&hash);
        let high = Signature { y_parity: !sig.y_parity, r: sig.r, s: SECP256K1N - sig.s };
        assert_eq!(recover_signer(&hash, &high), Err(CryptoError::HighS(high.s)));
        assert_eq!(recover_address(&hash, high.r, high.s, high.y_parity), Some(key.address()));
    }

    #[test]
    fn zero_and_out_of_range_secret_keys_are_refused() {
        assert!(SecretKey::from_bytes(&B256::ZERO).is_err());
        assert!(SecretKey::from_bytes(&B256::from(SECP256K1N)).is_err());
    }
}
