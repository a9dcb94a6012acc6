//! A Merkle Patricia trie (Yellow Paper appendix D) over fixed-length 32-byte keys, loaded
//! lazily from a node store and shared cheaply between versions.
//!
//! - **On disk, by hash.** Every node whose encoding is 32 bytes or longer (and every root) is
//!   stored under `keccak256(rlp(node))`, as geth's hash-based scheme does; nodes never change,
//!   so the nodes of every state root the chain ever had stay readable (an archive of tries:
//!   `eth_getProof` at any block walks them). A trie opened at a root loads only the nodes on
//!   the paths it reads or changes ([`NodeSource`]), so start-up reads nothing.
//! - **Shared versions.** Children are `Arc`s: cloning a trie is O(1), and changing one copy
//!   copies only the nodes on the changed paths. The engine keeps the tip's trie while a block
//!   template or an RPC reader works on a copy.
//! - **Incremental roots.** Each node caches its reference (`rlp(node)` when shorter than 32
//!   bytes, else `rlp(keccak256(rlp(node)))`); after a change only nodes on the changed paths
//!   are re-encoded and re-hashed, and exactly those are handed back to be stored
//!   ([`Trie::commit`]).
//!
//! Node encodings come from `alloy-trie` (`LeafNodeRef`, `ExtensionNodeRef`, `BranchNodeRef`,
//! `TrieNode` to decode), so roots are byte-for-byte Ethereum's; the tests check them against
//! `alloy-trie`'s `HashBuilder`. Keys are always 32 bytes (a secure trie's keccak256 of the
//! address or slot), so no key is a prefix of another and branch nodes never carry values.

use std::sync::Arc;

use alloy_primitives::{keccak256, Bytes, B256};
use alloy_rlp::Decodable;
use alloy_trie::nodes::{
    BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode as EncodedNode,
};
use alloy_trie::{Nibbles, TrieMask, EMPTY_ROOT_HASH};

/// Why a trie operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrieError {
    /// A node the trie refers to is not in the node store.
    #[error("missing trie node {0}")]
    MissingNode(B256),
    /// A stored node does not decode, or decodes to something a 32-byte-key trie cannot hold.
    #[error("corrupt trie node {hash}: {reason}")]
    Corrupt {
        /// The node's hash.
        hash: B256,
        /// What was wrong.
        reason: String,
    },
    /// Reading the node store failed.
    #[error("reading trie node {hash}: {reason}")]
    Read {
        /// The node's hash.
        hash: B256,
        /// The store's error.
        reason: String,
    },
}

/// Where stored trie nodes come from: `rlp(node)` by `keccak256(rlp(node))`.
pub trait NodeSource {
    /// The encoding of the node with hash `hash`, if stored.
    ///
    /// # Errors
    /// [`TrieError::Read`] when the store fails.
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError>;
}

/// A node store with no nodes: for tries built from scratch in memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNodes;

impl NodeSource for NoNodes {
    fn node(&self, _hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
        Ok(None)
    }
}

/// A reference to a child: loaded, or only known by hash (still on disk).
#[derive(Clone, Debug)]
enum Child {
    Node(Arc<Node>),
    Hash(B256),
}

/// A trie node and, once computed, its reference.
#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    cached: Option<RlpNode>,
}

#[derive(Clone, Debug)]
enum Kind {
    /// The rest of the key (nibbles) and the value.
    Leaf { key: Vec<u8>, value: Vec<u8> },
    /// A shared run of nibbles and the node below it (always a branch).
    Extension { key: Vec<u8>, child: Child },
    /// One child per nibble.
    Branch { children: Box<[Option<Child>; 16]> },
}

fn new_node(kind: Kind) -> Child {
    Child::Node(Arc::new(Node { kind, cached: None }))
}

fn leaf(key: &[u8], value: Vec<u8>) -> Child {
    new_node(Kind::Leaf { key: key.to_vec(), value })
}

/// Decodes a stored or inline node; `cached` is its reference when known.
fn decode(bytes: &[u8], hash: B256, cached: Option<RlpNode>) -> Result<Node, TrieError> {
    let corrupt = |reason: String| TrieError::Corrupt { hash, reason };
    let node = EncodedNode::decode(&mut &bytes[..]).map_err(|e| corrupt(e.to_string()))?;
    let child = |rlp: &RlpNode| -> Result<Child, TrieError> {
        match rlp.as_hash() {
            Some(hash) => Ok(Child::Hash(hash)),
            None => Ok(Child::Node(Arc::new(decode(rlp.as_slice(), hash, Some(rlp.clone()))?))),
        }
    };
    let kind = match node {
        EncodedNode::Leaf(leaf) => Kind::Leaf { key: leaf.key.to_vec(), value: leaf.value },
        EncodedNode::Extension(ext) => {
            Kind::Extension { key: ext.key.to_vec(), child: child(&ext.child)? }
        }
        EncodedNode::Branch(branch) => {
            let mut children: Box<[Option<Child>; 16]> = Box::default();
            let mut stack = branch.stack.iter();
            for (i, slot) in children.iter_mut().enumerate() {
                if branch.state_mask.is_bit_set(i as u8) {
                    let rlp = stack.next().ok_or_else(|| corrupt("short branch".into()))?;
                    *slot = Some(child(rlp)?);
                }
            }
            Kind::Branch { children }
        }
        EncodedNode::EmptyRoot => return Err(corrupt("empty node inside a trie".into())),
    };
    Ok(Node { kind, cached })
}

/// The node behind `child`, loading it from `source` when only its hash is known.
fn load(child: &Child, source: &impl NodeSource) -> Result<Arc<Node>, TrieError> {
    match child {
        Child::Node(node) => Ok(node.clone()),
        Child::Hash(hash) => {
            let bytes = source.node(hash)?.ok_or(TrieError::MissingNode(*hash))?;
            Ok(Arc::new(decode(&bytes, *hash, Some(RlpNode::word_rlp(hash)))?))
        }
    }
}

/// An owned, changeable copy of the node behind `child` (copied only if shared), its cached
/// reference cleared because the caller is about to change it.
fn take(child: Child, source: &impl NodeSource) -> Result<Node, TrieError> {
    let mut node = Arc::unwrap_or_clone(load(&child, source)?);
    node.cached = None;
    Ok(node)
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn nibbles(key: &B256) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, byte) in key.iter().enumerate() {
        out[2 * i] = byte >> 4;
        out[2 * i + 1] = byte & 0x0f;
    }
    out
}

/// `child` under the nibble run `key`: the child itself when `key` is empty, else merged with
/// the child's own run (a leaf or extension) or an extension over a branch.
fn prefixed(key: &[u8], child: Child, source: &impl NodeSource) -> Result<Child, TrieError> {
    if key.is_empty() {
        return Ok(child);
    }
    let node = load(&child, source)?;
    Ok(match &node.kind {
        Kind::Leaf { key: rest, value } => {
            new_node(Kind::Leaf { key: [key, rest].concat(), value: value.clone() })
        }
        Kind::Extension { key: rest, child } => {
            new_node(Kind::Extension { key: [key, rest].concat(), child: child.clone() })
        }
        Kind::Branch { .. } => new_node(Kind::Extension { key: key.to_vec(), child }),
    })
}

/// A branch holding two children at distinct nibbles.
fn branch2(a: (u8, Child), b: (u8, Child)) -> Child {
    let mut children: Box<[Option<Child>; 16]> = Box::default();
    children[usize::from(a.0)] = Some(a.1);
    children[usize::from(b.0)] = Some(b.1);
    new_node(Kind::Branch { children })
}

fn insert(
    node: Option<Child>,
    key: &[u8],
    value: Vec<u8>,
    source: &impl NodeSource,
) -> Result<Child, TrieError> {
    let Some(child) = node else {
        return Ok(leaf(key, value));
    };
    let mut node = take(child, source)?;
    Ok(match node.kind {
        Kind::Leaf { key: ref old_key, value: ref mut old_value } if old_key == key => {
            *old_value = value;
            Child::Node(Arc::new(node))
        }
        Kind::Leaf { key: old_key, value: old_value } => {
            let p = common_prefix(&old_key, key);
            let branch = branch2(
                (old_key[p], leaf(&old_key[p + 1..], old_value)),
                (key[p], leaf(&key[p + 1..], value)),
            );
            prefixed(&key[..p], branch, source)?
        }
        Kind::Extension { key: ext_key, child } => {
            let p = common_prefix(&ext_key, key);
            if p == ext_key.len() {
                let child = insert(Some(child), &key[p..], value, source)?;
                return Ok(new_node(Kind::Extension { key: ext_key, child }));
            }
            let below = prefixed(&ext_key[p + 1..], child, source)?;
            let branch = branch2((ext_key[p], below), (key[p], leaf(&key[p + 1..], value)));
            prefixed(&key[..p], branch, source)?
        }
        Kind::Branch { ref mut children } => {
            let slot = &mut children[usize::from(key[0])];
            *slot = Some(insert(slot.take(), &key[1..], value, source)?);
            Child::Node(Arc::new(node))
        }
    })
}

/// Removes `key` below `child`; returns what replaces it (`None` when nothing is left) and
/// whether the key was present. Unchanged subtrees are returned as they were (still on disk
/// if they were).
fn remove(
    child: Child,
    key: &[u8],
    source: &impl NodeSource,
) -> Result<(Option<Child>, bool), TrieError> {
    let node = load(&child, source)?;
    match &node.kind {
        Kind::Leaf { key: leaf_key, .. } => {
            Ok(if leaf_key == key { (None, true) } else { (Some(child), false) })
        }
        Kind::Extension { key: ext_key, child: below } => {
            if !key.starts_with(ext_key) {
                return Ok((Some(child), false));
            }
            let (below, removed) = remove(below.clone(), &key[ext_key.len()..], source)?;
            if !removed {
                return Ok((Some(child), false));
            }
            Ok((below.map(|b| prefixed(ext_key, b, source)).transpose()?, true))
        }
        Kind::Branch { children } => {
            let index = usize::from(key[0]);
            let Some(below) = children[index].clone() else {
                return Ok((Some(child), false));
            };
            let (below, removed) = remove(below, &key[1..], source)?;
            if !removed {
                return Ok((Some(child), false));
            }
            let mut node = take(child, source)?;
            let Kind::Branch { children } = &mut node.kind else { unreachable!("a branch") };
            children[index] = below;
            let mut remaining = children.iter().enumerate().filter(|(_, c)| c.is_some());
            let only = match (remaining.next(), remaining.next()) {
                (None, _) => return Ok((None, true)),
                (Some((i, _)), None) => i,
                _ => return Ok((Some(Child::Node(Arc::new(node))), true)),
            };
            let last = children[only].take().expect("counted above");
            Ok((Some(prefixed(&[only as u8], last, source)?), true))
        }
    }
}

/// The reference of `child`, computing and caching it (and its descendants') when missing.
/// Every node encoded here that is referenced by hash (32 bytes or longer) is pushed to `new`.
fn reference(child: &mut Child, buf: &mut Vec<u8>, new: &mut Vec<(B256, Bytes)>) -> RlpNode {
    let node = match child {
        Child::Hash(hash) => return RlpNode::word_rlp(hash),
        Child::Node(node) => node,
    };
    if let Some(cached) = &node.cached {
        return cached.clone();
    }
    let node = Arc::make_mut(node);
    let rlp = match &mut node.kind {
        Kind::Leaf { key, value } => {
            let key = Nibbles::from_nibbles(&key[..]);
            buf.clear();
            LeafNodeRef::new(&key, value).rlp(buf)
        }
        Kind::Extension { key, child } => {
            let child = reference(child, buf, new);
            let key = Nibbles::from_nibbles(&key[..]);
            buf.clear();
            ExtensionNodeRef::new(&key, &child).rlp(buf)
        }
        Kind::Branch { children } => {
            let mut stack = Vec::with_capacity(16);
            let mut mask = TrieMask::default();
            for (i, child) in children.iter_mut().enumerate() {
                if let Some(child) = child {
                    stack.push(reference(child, buf, new));
                    mask.set_bit(i as u8);
                }
            }
            buf.clear();
            BranchNodeRef::new(&stack, mask).rlp(buf)
        }
    };
    if let Some(hash) = rlp.as_hash() {
        new.push((hash, Bytes::copy_from_slice(buf)));
    }
    node.cached = Some(rlp.clone());
    rlp
}

/// A Merkle Patricia trie over 32-byte keys. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Trie {
    root: Option<Child>,
}

impl Trie {
    /// An empty trie (root [`EMPTY_ROOT_HASH`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The trie whose root hash is `root`, nodes to be loaded from a [`NodeSource`] as they
    /// are needed (nothing is read here).
    pub fn at_root(root: B256) -> Self {
        if root == EMPTY_ROOT_HASH {
            return Self::new();
        }
        Trie { root: Some(Child::Hash(root)) }
    }

    /// `true` when the trie holds no key.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Sets `key` to `value` (the RLP the leaf stores; must not be empty — use
    /// [`Trie::remove`] to delete). Invalidates the cached references on the key's path only.
    ///
    /// # Errors
    /// A node on the path cannot be loaded from `source` (the trie is left unchanged).
    pub fn insert(
        &mut self,
        key: &B256,
        value: Vec<u8>,
        source: &impl NodeSource,
    ) -> Result<(), TrieError> {
        debug_assert!(!value.is_empty(), "empty values are deletions");
        // On a missing node the trie stays as it was (the root is shared, not taken).
        self.root = Some(insert(self.root.clone(), &nibbles(key), value, source)?);
        Ok(())
    }

    /// Deletes `key`; returns whether it was present.
    ///
    /// # Errors
    /// A node on the path cannot be loaded from `source` (the trie is left unchanged).
    pub fn remove(&mut self, key: &B256, source: &impl NodeSource) -> Result<bool, TrieError> {
        let Some(root) = self.root.clone() else { return Ok(false) };
        let (root, removed) = remove(root, &nibbles(key), source)?;
        self.root = root;
        Ok(removed)
    }

    /// The value stored under `key`.
    ///
    /// # Errors
    /// A node on the path cannot be loaded from `source`.
    pub fn get(&self, key: &B256, source: &impl NodeSource) -> Result<Option<Vec<u8>>, TrieError> {
        let path = nibbles(key);
        let mut path = &path[..];
        let Some(mut child) = self.root.clone() else { return Ok(None) };
        loop {
            let node = load(&child, source)?;
            match &node.kind {
                Kind::Leaf { key, value } => {
                    return Ok((key.as_slice() == path).then(|| value.clone()))
                }
                Kind::Extension { key, child: below } => {
                    if !path.starts_with(key) {
                        return Ok(None);
                    }
                    path = &path[key.len()..];
                    child = below.clone();
                }
                Kind::Branch { children } => match &children[usize::from(path[0])] {
                    Some(below) => {
                        child = below.clone();
                        path = &path[1..];
                    }
                    None => return Ok(None),
                },
            }
        }
    }

    /// The root hash ([`EMPTY_ROOT_HASH`] when empty). Re-encodes only the nodes a change
    /// touched since the last call.
    pub fn root(&mut self) -> B256 {
        self.commit().0
    }

    /// The root hash and every node encoded since the last call that a parent (or the root
    /// itself) refers to by hash: `(keccak256(rlp), rlp)` pairs, the nodes a store must add so
    /// that [`Trie::at_root`] of the new root can load every path.
    pub fn commit(&mut self) -> (B256, Vec<(B256, Bytes)>) {
        let Some(root) = self.root.as_mut() else {
            return (EMPTY_ROOT_HASH, Vec::new());
        };
        let mut new = Vec::new();
        let mut buf = Vec::with_capacity(600);
        let reference = reference(root, &mut buf, &mut new);
        let hash = match reference.as_hash() {
            Some(hash) => hash,
            None => {
                // A root shorter than 32 bytes is inline in no parent: store it by its hash.
                let hash = keccak256(reference.as_slice());
                if !matches!(root, Child::Hash(_)) {
                    new.push((hash, Bytes::copy_from_slice(reference.as_slice())));
                }
                hash
            }
        };
        (hash, new)
    }
}

/// The proof of `key` in the trie with root `root` (EIP-1186 `accountProof` /
/// `storageProof.proof`): the encodings of the nodes on the key's path, root first, each node
/// referenced by hash included and inline nodes left inside their parents, as geth's
/// `Trie.Prove` returns them. A proof of absence ends at the node where the path leaves the
/// trie. Reads only `source` (the root must have been committed).
///
/// # Errors
/// A node on the path is missing or corrupt.
pub fn prove(root: B256, key: &B256, source: &impl NodeSource) -> Result<Vec<Bytes>, TrieError> {
    let mut proof = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok(proof);
    }
    let path = nibbles(key);
    let mut path = &path[..];
    let mut child = Child::Hash(root);
    loop {
        if let Child::Hash(hash) = &child {
            let bytes = source.node(hash)?.ok_or(TrieError::MissingNode(*hash))?;
            proof.push(Bytes::from(bytes));
        }
        let node = load(&child, source)?;
        match &node.kind {
            Kind::Leaf { .. } => return Ok(proof),
            Kind::Extension { key, child: below } => {
                if !path.starts_with(key) {
                    return Ok(proof);
                }
                path = &path[key.len()..];
                child = below.clone();
            }
            Kind::Branch { children } => match &children[usize::from(path[0])] {
                Some(below) => {
                    child = below.clone();
                    path = &path[1..];
                }
                None => return Ok(proof),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::proof::verify_proof;
    use alloy_trie::HashBuilder;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashMap};

    /// Nodes committed by the tries of a test, by hash.
    #[derive(Default)]
    struct MapSource(std::cell::RefCell<HashMap<B256, Vec<u8>>>);

    impl MapSource {
        fn add(&self, nodes: Vec<(B256, Bytes)>) {
            let mut map = self.0.borrow_mut();
            for (hash, rlp) in nodes {
                assert_eq!(keccak256(&rlp), hash, "a node is stored under its hash");
                map.insert(hash, rlp.to_vec());
            }
        }
    }

    impl NodeSource for MapSource {
        fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
            Ok(self.0.borrow().get(hash).cloned())
        }
    }

    fn reference_root(map: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut builder = HashBuilder::default();
        for (key, value) in map {
            builder.add_leaf(Nibbles::unpack(key), value);
        }
        builder.root()
    }

    fn key(byte: u8, tail: u8) -> B256 {
        let mut k = B256::repeat_byte(byte);
        k[31] = tail;
        k
    }

    #[test]
    fn the_empty_trie_has_the_empty_root() {
        assert_eq!(Trie::new().root(), EMPTY_ROOT_HASH);
        assert!(Trie::at_root(EMPTY_ROOT_HASH).is_empty());
    }

    #[test]
    fn removing_every_key_returns_to_the_empty_root() {
        let mut trie = Trie::new();
        for i in 0..50u8 {
            trie.insert(&key(i % 7, i), vec![i + 1], &NoNodes).unwrap();
        }
        for i in 0..50u8 {
            assert!(trie.remove(&key(i % 7, i), &NoNodes).unwrap());
        }
        assert!(!trie.remove(&key(1, 1), &NoNodes).unwrap());
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn a_trie_reopened_at_its_root_reads_and_changes_like_the_original() {
        let source = MapSource::default();
        let mut trie = Trie::new();
        let mut model = BTreeMap::new();
        for i in 0..200u8 {
            trie.insert(&key(i % 13, i), vec![i; 40], &NoNodes).unwrap();
            model.insert(key(i % 13, i), vec![i; 40]);
        }
        let (root, nodes) = trie.commit();
        source.add(nodes);
        let mut reopened = Trie::at_root(root);
        assert_eq!(reopened.get(&key(3, 3), &source).unwrap(), Some(vec![3; 40]));
        assert_eq!(reopened.get(&key(3, 4), &source).unwrap(), None);
        assert!(reopened.remove(&key(5, 5), &source).unwrap());
        reopened.insert(&key(99, 1), vec![7], &source).unwrap();
        model.remove(&key(5, 5));
        model.insert(key(99, 1), vec![7]);
        let (new_root, new_nodes) = reopened.commit();
        assert_eq!(new_root, reference_root(&model));
        // The new nodes are exactly the changed paths: far fewer than the whole trie.
        assert!(new_nodes.len() < 12, "{} nodes for two changed keys", new_nodes.len());
        source.add(new_nodes);
        // The old root is still readable: nodes are never overwritten.
        assert_eq!(Trie::at_root(root).get(&key(5, 5), &source).unwrap(), Some(vec![5; 40]));
        assert_eq!(
            Trie::at_root(new_root).get(&key(5, 5), &source).unwrap(),
            None,
            "the new root no longer has the removed key"
        );
    }

    #[test]
    fn a_node_missing_from_the_store_is_a_typed_error() {
        let mut trie = Trie::at_root(B256::repeat_byte(7));
        assert_eq!(
            trie.insert(&key(1, 1), vec![1], &NoNodes),
            Err(TrieError::MissingNode(B256::repeat_byte(7)))
        );
        assert_eq!(
            trie.get(&key(1, 1), &NoNodes),
            Err(TrieError::MissingNode(B256::repeat_byte(7)))
        );
    }

    #[test]
    fn a_clone_keeps_its_root_while_the_original_changes() {
        let mut trie = Trie::new();
        for i in 0..30u8 {
            trie.insert(&key(i, i), vec![i + 1], &NoNodes).unwrap();
        }
        let before = trie.root();
        let mut copy = trie.clone();
        copy.insert(&key(200, 1), vec![1], &NoNodes).unwrap();
        assert_ne!(copy.root(), before);
        assert_eq!(trie.root(), before);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(B256, Vec<u8>),
        Remove(B256),
        Commit,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Keys from a small alphabet so they share prefixes and paths collapse on removal.
        let key = prop::collection::vec(0u8..3, 32).prop_map(|b| B256::from_slice(&b));
        let value = prop::collection::vec(any::<u8>(), 1..40);
        prop_oneof![
            4 => (key.clone(), value).prop_map(|(k, v)| Op::Insert(k, v)),
            3 => key.prop_map(Op::Remove),
            1 => Just(Op::Commit),
        ]
    }

    proptest! {
        /// Any sequence of changes, with the trie reopened from its stored nodes at every
        /// commit, gives alloy-trie's root; proofs of present and absent keys verify.
        #[test]
        fn roots_and_proofs_match_alloy_trie_after_any_sequence_of_changes(
            ops in prop::collection::vec(op(), 1..120)
        ) {
            let source = MapSource::default();
            let mut trie = Trie::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        trie.insert(&k, v.clone(), &source).unwrap();
                        model.insert(k, v);
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(trie.remove(&k, &source).unwrap(), model.remove(&k).is_some());
                    }
                    Op::Commit => {
                        let (root, nodes) = trie.commit();
                        prop_assert_eq!(root, reference_root(&model));
                        source.add(nodes);
                        trie = Trie::at_root(root);
                        for (k, v) in model.iter().take(3) {
                            prop_assert_eq!(trie.get(k, &source).unwrap(), Some(v.clone()));
                            let proof = prove(root, k, &source).unwrap();
                            prop_assert!(verify_proof(root, Nibbles::unpack(k), Some(v.clone()), &proof).is_ok());
                        }
                        let absent = B256::repeat_byte(9);
                        let proof = prove(root, &absent, &source).unwrap();
                        prop_assert!(verify_proof(root, Nibbles::unpack(absent), None, &proof).is_ok());
                    }
                }
            }
            prop_assert_eq!(trie.root(), reference_root(&model));
        }
    }
}
