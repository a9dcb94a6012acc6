//! Merkle trees for anti-entropy (Merkle, "A Digital Signature Based on a Conventional
//! Encryption Function", CRYPTO 1987; used for replica synchronisation in DeCandia et al.,
//! "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007, §4.7).
//!
//! The key space is cut into [`BUCKETS`] buckets (`key % BUCKETS`); a leaf is the hash of its
//! bucket's `(key, item)` pairs in key order, an inner node the hash of its two children. Two
//! replicas whose roots agree hold the same data; otherwise [`MerkleTree::differing_buckets`]
//! descends only into the subtrees whose hashes differ and returns the leaves to exchange.
//! The hash is 64-bit FNV-1a: deterministic across runs and platforms (the simulator needs
//! that), not collision-resistant against an adversary (no replica here is one).

use std::collections::BTreeMap;
use std::hash::Hash;

use crate::protocol::WireSize;

/// Number of leaves (a power of two).
pub const BUCKETS: usize = 16;

/// The bucket of `key`.
pub fn bucket(key: u64) -> usize {
    (key % BUCKETS as u64) as usize
}

/// A complete binary tree of 64-bit hashes in heap layout: node `i` has children `2i + 1` and
/// `2i + 2`; the last [`BUCKETS`] nodes are the leaves, bucket `b` at `BUCKETS − 1 + b`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MerkleTree {
    nodes: Vec<u64>,
}

impl MerkleTree {
    /// The tree of `store` (any map whose entries hash; keys are bucketed with [`bucket`]).
    pub fn build<V: Hash>(store: &BTreeMap<u64, V>) -> Self {
        let mut leaves = [Fnv::default(); BUCKETS];
        for (key, value) in store {
            let h = &mut leaves[bucket(*key)];
            key.hash(h);
            value.hash(h);
        }
        let mut nodes = vec![0; BUCKETS - 1];
        nodes.extend(leaves.iter().map(|h| h.0));
        for i in (0..BUCKETS - 1).rev() {
            let mut h = Fnv::default();
            (nodes[2 * i + 1], nodes[2 * i + 2]).hash(&mut h);
            nodes[i] = h.0;
        }
        MerkleTree { nodes }
    }

    /// The root hash.
    pub fn root(&self) -> u64 {
        self.nodes[0]
    }

    /// The buckets whose leaves differ from `other`'s, found by descending from the root into
    /// differing children only; empty when the roots agree.
    pub fn differing_buckets(&self, other: &MerkleTree) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![0];
        while let Some(i) = stack.pop() {
            if self.nodes[i] == other.nodes[i] {
                continue;
            }
            if i >= BUCKETS - 1 {
                out.push(i - (BUCKETS - 1));
            } else {
                stack.extend([2 * i + 2, 2 * i + 1]);
            }
        }
        out
    }
}

impl WireSize for MerkleTree {
    fn size_bytes(&self) -> usize {
        8 * self.nodes.len()
    }
}

/// 64-bit FNV-1a.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_stores_have_equal_roots_and_nothing_to_exchange() {
        let a: BTreeMap<u64, u64> = [(1, 10), (17, 20), (5, 30)].into();
        let (ta, tb) = (MerkleTree::build(&a), MerkleTree::build(&a.clone()));
        assert_eq!(ta.root(), tb.root());
        assert!(ta.differing_buckets(&tb).is_empty());
    }

    #[test]
    fn one_changed_key_is_found_in_its_bucket_alone() {
        let a: BTreeMap<u64, u64> = (0..40).map(|k| (k, k)).collect();
        let mut b = a.clone();
        b.insert(21, 99);
        let (ta, tb) = (MerkleTree::build(&a), MerkleTree::build(&b));
        assert_ne!(ta.root(), tb.root());
        assert_eq!(ta.differing_buckets(&tb), vec![bucket(21)]);
    }

    #[test]
    fn a_missing_key_and_an_empty_store_differ_only_where_keys_are() {
        let a: BTreeMap<u64, u64> = [(3, 1), (4, 1)].into();
        let empty: BTreeMap<u64, u64> = BTreeMap::new();
        let got = MerkleTree::build(&a).differing_buckets(&MerkleTree::build(&empty));
        assert_eq!(got, vec![3, 4]);
    }
}
