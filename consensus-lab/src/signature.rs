//! Idealised digital signatures for the Byzantine protocols.
//!
//! The lab does not run real cryptography: a [`Signature`] is `(signer, tag)` where the tag is a
//! keyed 64-bit hash of the statement's [`digest`] under a secret that belongs to the signer.
//! What makes the model *unforgeable* is the discipline of who holds a [`SigningKey`]: a process
//! gets only its own key from its factory, and the Byzantine adversary
//! ([`crate::adversary`]) gets only the corrupted processes' keys. A forged signature
//! ([`Signature::forged`]) names an honest signer but carries a tag that never verifies, which is
//! exactly the power "signatures are unforgeable" leaves an attacker (Lamport, Shostak, Pease,
//! "The Byzantine Generals Problem", TOPLAS 4(3) 1982, §4, assumption A4(a); Castro & Liskov
//! OSDI'99 §2: "we assume the adversary cannot … produce a valid signature of a non-faulty node").
//!
//! Authenticated point-to-point channels (the MAC authenticators of Castro & Liskov TOCS 2002, Bracha's and
//! OM(m)'s "the receiver knows who sent it", LSP §3 A2) are the simulator's own: the `from` of
//! every delivery is the true sender, and the adversary cannot change it.
//!
//! Why not k256 or HMAC-SHA256: a 1,000-seed sweep verifies tens of millions of signatures, which
//! real ECDSA would turn from seconds into hours, and no property the lab checks depends on the
//! arithmetic: only on "nobody but i can make i's signature".

use std::hash::{Hash, Hasher};

use crate::protocol::NodeId;

/// A 64-bit statement digest (FNV-1a over the statement's `Hash` encoding); stands in for a
/// 32-byte SHA-256 digest, and is counted as 32 bytes on the wire.
pub type Digest = u64;

/// Bytes a digest takes on the wire (a SHA-256 digest).
pub const DIGEST_BYTES: usize = 32;
/// Bytes a signature takes on the wire (a 64-byte Schnorr/ECDSA signature plus a signer index).
pub const SIGNATURE_BYTES: usize = 66;

/// FNV-1a 64-bit, deterministic across runs and platforms of one build.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The digest of any hashable statement.
pub fn digest<T: Hash + ?Sized>(statement: &T) -> Digest {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    statement.hash(&mut h);
    h.finish()
}

/// SplitMix64 finaliser: the keyed mixing of the idealised tag.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn tag(signer: NodeId, digest: Digest) -> u64 {
    let secret = mix(0x5157_4152_5259_4c41 ^ (signer as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    mix(secret ^ digest)
}

/// The private key of one process. Only the process's factory (and, for corrupted processes,
/// the adversary) holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    signer: NodeId,
}

impl SigningKey {
    /// Process `signer`'s key. Call it only for the process being built (or for a process the
    /// adversary corrupted): that convention is the unforgeability assumption.
    pub fn of(signer: NodeId) -> Self {
        SigningKey { signer }
    }

    /// Whose key this is.
    pub fn signer(&self) -> NodeId {
        self.signer
    }

    /// Sign a statement.
    pub fn sign<T: Hash + ?Sized>(&self, statement: &T) -> Signature {
        Signature { signer: self.signer, tag: tag(self.signer, digest(statement)) }
    }
}

/// A signature: who claims to have signed, and the tag that proves it (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    /// The claimed signer.
    pub signer: NodeId,
    tag: u64,
}

impl Signature {
    /// A signature that claims `signer` signed `statement` but does not verify: all an adversary
    /// without `signer`'s key can produce.
    pub fn forged<T: Hash + ?Sized>(signer: NodeId, statement: &T) -> Self {
        Signature { signer, tag: tag(signer, digest(statement)) ^ 1 }
    }

    /// `true` iff this is `self.signer`'s signature of `statement`.
    pub fn verifies<T: Hash + ?Sized>(&self, statement: &T) -> bool {
        self.tag == tag(self.signer, digest(statement))
    }
}

/// A statement with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signed<T> {
    /// The statement.
    pub body: T,
    /// Its signature.
    pub sig: Signature,
}

impl<T: Hash> Signed<T> {
    /// `body` signed with `key`.
    pub fn new(body: T, key: &SigningKey) -> Self {
        let sig = key.sign(&body);
        Signed { body, sig }
    }

    /// `body` with a forged signature claiming `signer` (never verifies).
    pub fn forged(body: T, signer: NodeId) -> Self {
        let sig = Signature::forged(signer, &body);
        Signed { body, sig }
    }

    /// The claimed signer.
    pub fn signer(&self) -> NodeId {
        self.sig.signer
    }

    /// `true` iff the signature verifies.
    pub fn verifies(&self) -> bool {
        self.sig.verifies(&self.body)
    }

    /// `true` iff the signature verifies and is `signer`'s.
    pub fn verifies_as(&self, signer: NodeId) -> bool {
        self.sig.signer == signer && self.verifies()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_statement_and_signer() {
        let s = SigningKey::of(3).sign(&("prepare", 7u64));
        assert!(s.verifies(&("prepare", 7u64)));
        assert!(!s.verifies(&("prepare", 8u64)));
        let moved = Signature { signer: 2, ..s };
        assert!(!moved.verifies(&("prepare", 7u64)), "a tag does not transfer to another signer");
    }

    #[test]
    fn forged_signatures_never_verify() {
        for signer in 0..50 {
            for v in 0..50u64 {
                assert!(!Signature::forged(signer, &v).verifies(&v));
            }
        }
        let forged = Signed::forged(5u64, 1);
        assert!(!forged.verifies() && forged.signer() == 1);
        assert!(Signed::new(5u64, &SigningKey::of(1)).verifies_as(1));
        assert!(!Signed::new(5u64, &SigningKey::of(1)).verifies_as(2));
    }
}
