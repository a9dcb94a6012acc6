//! A mutable Merkle Patricia trie (Yellow Paper appendix D) over fixed-length 32-byte keys,
//! holding every node in memory and caching each node's reference, so that after a block only
//! the nodes on the paths of the keys it touched are re-encoded and re-hashed.
//!
//! Node encodings come from `alloy-trie` (`LeafNodeRef`, `ExtensionNodeRef`, `BranchNodeRef`),
//! so the root is byte-for-byte Ethereum's; the tests check it against `alloy-trie`'s
//! `HashBuilder` on random key sets. Keys are always 32 bytes (a secure trie's keccak256 of the
//! address or slot), so no key is a prefix of another and branch nodes never carry values.

use alloy_primitives::{keccak256, B256};
use alloy_trie::nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode};
use alloy_trie::{Nibbles, TrieMask, EMPTY_ROOT_HASH};

/// A trie node and, once computed, its reference (`rlp(node)` when shorter than 32 bytes,
/// else `rlp(keccak256(rlp(node)))`).
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
    Extension { key: Vec<u8>, child: Box<Node> },
    /// One child per nibble.
    Branch { children: Box<[Option<Box<Node>>; 16]> },
}

impl Node {
    fn new(kind: Kind) -> Box<Node> {
        Box::new(Node { kind, cached: None })
    }

    fn leaf(key: &[u8], value: Vec<u8>) -> Box<Node> {
        Node::new(Kind::Leaf { key: key.to_vec(), value })
    }

    /// `child` under the nibble run `key`: the child itself when `key` is empty, else merged
    /// with the child's own run (a leaf or extension) or an extension over a branch.
    fn prefixed(key: &[u8], child: Box<Node>) -> Box<Node> {
        if key.is_empty() {
            return child;
        }
        match child.kind {
            Kind::Leaf { key: rest, value } => {
                Node::new(Kind::Leaf { key: [key, &rest].concat(), value })
            }
            Kind::Extension { key: rest, child } => {
                Node::new(Kind::Extension { key: [key, &rest].concat(), child })
            }
            kind @ Kind::Branch { .. } => Node::new(Kind::Extension {
                key: key.to_vec(),
                child: Box::new(Node { kind, cached: child.cached }),
            }),
        }
    }

    /// A branch holding two children at distinct nibbles.
    fn branch2(a: (u8, Box<Node>), b: (u8, Box<Node>)) -> Box<Node> {
        let mut children: Box<[Option<Box<Node>>; 16]> = Box::default();
        children[usize::from(a.0)] = Some(a.1);
        children[usize::from(b.0)] = Some(b.1);
        Node::new(Kind::Branch { children })
    }
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

fn insert(node: Option<Box<Node>>, key: &[u8], value: Vec<u8>) -> Box<Node> {
    let Some(mut node) = node else {
        return Node::leaf(key, value);
    };
    node.cached = None;
    match node.kind {
        Kind::Leaf { key: ref old_key, value: ref mut old_value } if old_key == key => {
            *old_value = value;
            node
        }
        Kind::Leaf { key: old_key, value: old_value } => {
            let p = common_prefix(&old_key, key);
            let branch = Node::branch2(
                (old_key[p], Node::leaf(&old_key[p + 1..], old_value)),
                (key[p], Node::leaf(&key[p + 1..], value)),
            );
            Node::prefixed(&key[..p], branch)
        }
        Kind::Extension { key: ext_key, child } => {
            let p = common_prefix(&ext_key, key);
            if p == ext_key.len() {
                let child = insert(Some(child), &key[p..], value);
                return Node::new(Kind::Extension { key: ext_key, child });
            }
            let below = Node::prefixed(&ext_key[p + 1..], child);
            let branch =
                Node::branch2((ext_key[p], below), (key[p], Node::leaf(&key[p + 1..], value)));
            Node::prefixed(&key[..p], branch)
        }
        Kind::Branch { ref mut children } => {
            let slot = &mut children[usize::from(key[0])];
            *slot = Some(insert(slot.take(), &key[1..], value));
            node
        }
    }
}

/// Removes `key` below `node`; returns the node that replaces it (`None` when nothing is left)
/// and whether the key was present.
fn remove(mut node: Box<Node>, key: &[u8]) -> (Option<Box<Node>>, bool) {
    match node.kind {
        Kind::Leaf { key: ref leaf_key, .. } => {
            if leaf_key == key {
                (None, true)
            } else {
                (Some(node), false)
            }
        }
        Kind::Extension { key: ext_key, child } => {
            if !key.starts_with(&ext_key) {
                let node = Box::new(Node {
                    kind: Kind::Extension { key: ext_key, child },
                    cached: node.cached,
                });
                return (Some(node), false);
            }
            let (child, removed) = remove(child, &key[ext_key.len()..]);
            if !removed {
                let child = child.expect("an unchanged child is still there");
                let node = Box::new(Node {
                    kind: Kind::Extension { key: ext_key, child },
                    cached: node.cached,
                });
                return (Some(node), false);
            }
            (child.map(|child| Node::prefixed(&ext_key, child)), true)
        }
        Kind::Branch { ref mut children } => {
            let index = usize::from(key[0]);
            let Some(child) = children[index].take() else {
                return (Some(node), false);
            };
            let (child, removed) = remove(child, &key[1..]);
            children[index] = child;
            if !removed {
                return (Some(node), false);
            }
            node.cached = None;
            let mut remaining = children.iter().enumerate().filter(|(_, c)| c.is_some());
            let only = match (remaining.next(), remaining.next()) {
                (None, _) => return (None, true),
                (Some((i, _)), None) => i,
                _ => return (Some(node), true),
            };
            let child = children[only].take().expect("counted above");
            (Some(Node::prefixed(&[only as u8], child)), true)
        }
    }
}

/// The node's reference, computing and caching it (and its descendants') when missing.
fn reference(node: &mut Node, buf: &mut Vec<u8>) -> RlpNode {
    if let Some(cached) = &node.cached {
        return cached.clone();
    }
    let rlp = match &mut node.kind {
        Kind::Leaf { key, value } => {
            let key = Nibbles::from_nibbles(&key[..]);
            buf.clear();
            LeafNodeRef::new(&key, value).rlp(buf)
        }
        Kind::Extension { key, child } => {
            let child = reference(child, buf);
            let key = Nibbles::from_nibbles(&key[..]);
            buf.clear();
            ExtensionNodeRef::new(&key, &child).rlp(buf)
        }
        Kind::Branch { children } => {
            let mut stack = Vec::with_capacity(16);
            let mut mask = TrieMask::default();
            for (i, child) in children.iter_mut().enumerate() {
                if let Some(child) = child {
                    stack.push(reference(child, buf));
                    mask.set_bit(i as u8);
                }
            }
            buf.clear();
            BranchNodeRef::new(&stack, mask).rlp(buf)
        }
    };
    node.cached = Some(rlp.clone());
    rlp
}

/// A Merkle Patricia trie over 32-byte keys. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Trie {
    root: Option<Box<Node>>,
    len: usize,
}

impl Trie {
    /// An empty trie (root [`EMPTY_ROOT_HASH`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets `key` to `value` (the RLP the leaf stores; must not be empty — use
    /// [`Trie::remove`] to delete). Invalidates the cached references on the key's path only.
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) {
        debug_assert!(!value.is_empty(), "empty values are deletions");
        let path = nibbles(key);
        if !self.contains(&path) {
            self.len += 1;
        }
        self.root = Some(insert(self.root.take(), &path, value));
    }

    /// Deletes `key`; returns whether it was present.
    pub fn remove(&mut self, key: &B256) -> bool {
        let Some(root) = self.root.take() else {
            return false;
        };
        let (root, removed) = remove(root, &nibbles(key));
        self.root = root;
        if removed {
            self.len -= 1;
        }
        removed
    }

    fn contains(&self, path: &[u8]) -> bool {
        let mut node = self.root.as_deref();
        let mut path = path;
        while let Some(n) = node {
            match &n.kind {
                Kind::Leaf { key, .. } => return key == path,
                Kind::Extension { key, child } => {
                    if !path.starts_with(key) {
                        return false;
                    }
                    path = &path[key.len()..];
                    node = Some(child);
                }
                Kind::Branch { children } => {
                    node = children[usize::from(path[0])].as_deref();
                    path = &path[1..];
                }
            }
        }
        false
    }

    /// The root hash: keccak256 of the root node's RLP ([`EMPTY_ROOT_HASH`] when empty).
    /// Re-encodes only nodes whose cached reference an insert or removal cleared.
    pub fn root(&mut self) -> B256 {
        let Some(root) = self.root.as_deref_mut() else {
            return EMPTY_ROOT_HASH;
        };
        let mut buf = Vec::with_capacity(600);
        let reference = reference(root, &mut buf);
        reference.as_hash().unwrap_or_else(|| keccak256(&reference[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::HashBuilder;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

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
    }

    #[test]
    fn removing_every_key_returns_to_the_empty_root() {
        let mut trie = Trie::new();
        for i in 0..50u8 {
            trie.insert(&key(i % 7, i), vec![i + 1]);
        }
        for i in 0..50u8 {
            assert!(trie.remove(&key(i % 7, i)));
        }
        assert!(!trie.remove(&key(1, 1)));
        assert_eq!((trie.len(), trie.root()), (0, EMPTY_ROOT_HASH));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(B256, Vec<u8>),
        Remove(B256),
        Root,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Keys from a small alphabet so they share prefixes and paths collapse on removal.
        let key = prop::collection::vec(0u8..3, 32).prop_map(|b| B256::from_slice(&b));
        let value = prop::collection::vec(any::<u8>(), 1..40);
        prop_oneof![
            4 => (key.clone(), value).prop_map(|(k, v)| Op::Insert(k, v)),
            3 => key.prop_map(Op::Remove),
            1 => Just(Op::Root),
        ]
    }

    proptest! {
        #[test]
        fn roots_match_alloy_trie_after_any_sequence_of_changes(ops in prop::collection::vec(op(), 1..120)) {
            let mut trie = Trie::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => { trie.insert(&k, v.clone()); model.insert(k, v); }
                    Op::Remove(k) => { prop_assert_eq!(trie.remove(&k), model.remove(&k).is_some()); }
                    Op::Root => { prop_assert_eq!(trie.root(), reference_root(&model)); }
                }
                prop_assert_eq!(trie.len(), model.len());
            }
            prop_assert_eq!(trie.root(), reference_root(&model));
        }
    }
}
