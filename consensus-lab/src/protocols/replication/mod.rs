//! Leaderless replication: a Dynamo-style key-value store with read/write quorums, read repair and
//! Merkle-tree anti-entropy (DeCandia et al., SOSP 2007).

pub mod dynamo;
pub mod merkle;
