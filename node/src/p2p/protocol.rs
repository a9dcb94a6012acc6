//! Quarry's wire formats on top of libp2p: the gossip topics and message ids, and the sync
//! protocol (`/quarry/sync/1`, request–response) with its size-limited codec.
//!
//! Gossip carries Ethereum objects in their canonical encodings: a block as the RLP
//! `[header, [tx, …]]`, a transaction as its EIP-2718 envelope. Sync messages are Quarry's own
//! records, encoded by [`quarry_primitives::codec`] (bincode with explicit limits).

use std::io;

use alloy_primitives::{keccak256, Bytes, B256, U256};
use alloy_rlp::Decodable;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::gossipsub::{self, IdentTopic, MessageId};
use libp2p::StreamProtocol;
use quarry_primitives::codec::{self, Record};
use quarry_primitives::Header;
use serde::{Deserialize, Serialize};

use quarry_consensus::MAX_BLOCK_SIZE;

/// Protocol version announced by identify; peers with another version are not Quarry nodes of
/// this release.
pub const PROTOCOL_VERSION: &str = "/quarry/1.0.0";
/// The request–response protocol used for sync.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/quarry/sync/1");
/// Kademlia protocol name, so Quarry's DHT does not mix with IPFS's.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/quarry/kad/1");

/// Largest gossip message in bytes: the largest valid block plus room for gossipsub's framing.
/// Every node uses the same value, so a valid block is never too large for a peer.
pub const MAX_GOSSIP_SIZE: usize = MAX_BLOCK_SIZE + 64 * 1024;
/// Most headers one `Headers` response carries (Bitcoin's `headers` message limit).
pub const MAX_HEADERS: u32 = 2_000;
/// Most bodies asked for in one `Bodies` request.
pub const MAX_BODIES: usize = 128;
/// Most hashes in a block locator.
pub const MAX_LOCATOR: usize = 64;
/// A responder stops adding bodies once the response holds this many bytes (it always sends at
/// least one body, so the largest response is one block over this).
pub const BODIES_SOFT_LIMIT: usize = 4 * 1024 * 1024;
/// Largest encoded sync request in bytes.
pub const MAX_REQUEST_SIZE: u64 = 16 * 1024;
/// Largest encoded sync response in bytes.
pub const MAX_RESPONSE_SIZE: u64 = (BODIES_SOFT_LIMIT + MAX_BLOCK_SIZE + 64 * 1024) as u64;

/// The gossip topic for blocks of chain `chain_id`: `/quarry/<chain id>/blocks`.
pub fn blocks_topic(chain_id: u64) -> IdentTopic {
    IdentTopic::new(format!("/quarry/{chain_id}/blocks"))
}

/// The gossip topic for transactions of chain `chain_id`: `/quarry/<chain id>/transactions`.
pub fn transactions_topic(chain_id: u64) -> IdentTopic {
    IdentTopic::new(format!("/quarry/{chain_id}/transactions"))
}

/// Gossipsub message id: the block hash for a block (the header's PoW hash), the transaction
/// hash for a transaction (keccak256 of its EIP-2718 encoding). Anything undecodable gets
/// keccak256 of its bytes, so duplicates of garbage are still recognised as duplicates.
pub fn message_id(message: &gossipsub::Message) -> MessageId {
    if message.topic.as_str().ends_with("/blocks") {
        if let Some(hash) = block_hash_of(&message.data) {
            return MessageId::from(hash.to_vec());
        }
    }
    MessageId::from(keccak256(&message.data).to_vec())
}

/// The hash of the block encoded in `bytes`, decoding only its header.
fn block_hash_of(bytes: &[u8]) -> Option<B256> {
    let mut buf = bytes;
    let list = alloy_rlp::Header::decode(&mut buf).ok()?;
    if !list.list {
        return None;
    }
    Header::decode(&mut buf).ok().map(|h| h.hash())
}

/// A node's view of its chain, exchanged when peers meet and every few seconds after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Genesis hash: peers on another chain are disconnected.
    pub genesis: B256,
    /// Canonical tip hash.
    pub tip: B256,
    /// Canonical tip number.
    pub number: u64,
    /// Cumulative work of the canonical chain (sum of `2^256 / (target + 1)` over its blocks).
    pub work: U256,
}

/// A sync request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// The responder's [`Status`].
    Status,
    /// Canonical headers following the first hash of `locator` that is on the responder's
    /// canonical chain (Bitcoin's `getheaders`): at most `max` (capped at [`MAX_HEADERS`]).
    /// The locator lists hashes from the requester's tip back to genesis, dense near the tip
    /// and exponentially sparser after (see [`locator_heights`]).
    Headers {
        /// Block locator, newest first, at most [`MAX_LOCATOR`] hashes.
        locator: Vec<B256>,
        /// Most headers wanted.
        max: u32,
    },
    /// The bodies (transaction lists) of these blocks, at most [`MAX_BODIES`].
    Bodies {
        /// Block hashes.
        hashes: Vec<B256>,
    },
}

impl Record for SyncRequest {
    const MAX_SIZE: u64 = MAX_REQUEST_SIZE;
}

/// A sync response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// Answer to [`SyncRequest::Status`].
    Status(Status),
    /// Answer to [`SyncRequest::Headers`]: consecutive canonical headers, oldest first; empty
    /// when no locator hash is known.
    Headers(Vec<Header>),
    /// Answer to [`SyncRequest::Bodies`]: for a prefix of the requested hashes, in order, the
    /// RLP list of each block's transactions. It ends early at an unknown hash or once
    /// [`BODIES_SOFT_LIMIT`] bytes are filled.
    Bodies(Vec<Bytes>),
}

impl Record for SyncResponse {
    const MAX_SIZE: u64 = MAX_RESPONSE_SIZE;
}

/// Heights a block locator names for a chain whose tip is at `tip`: the ten newest, then steps
/// doubling back to genesis, which is always last (Bitcoin Core's `CChain::GetLocator`).
pub fn locator_heights(tip: u64) -> Vec<u64> {
    let mut heights = Vec::new();
    let mut height = tip;
    let mut step = 1u64;
    loop {
        heights.push(height);
        if height == 0 || heights.len() == MAX_LOCATOR - 1 {
            break;
        }
        if heights.len() >= 10 {
            step = step.saturating_mul(2);
        }
        height = height.saturating_sub(step);
    }
    if heights.last() != Some(&0) {
        heights.push(0);
    }
    heights
}

/// A sync request as read off a substream. libp2p's request–response layer drops a request
/// whose decoding fails without saying which peer sent it, so the codec hands malformed
/// requests up as values and the swarm charges the sender. Only [`Inbound::Request`] can be
/// written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// A well-formed request.
    Request(SyncRequest),
    /// More than [`MAX_REQUEST_SIZE`] bytes.
    Oversized,
    /// Bytes that do not decode as a [`SyncRequest`].
    Undecodable,
}

/// The sync protocol's codec: one bincode record per substream, read until the writer closes,
/// refused beyond [`MAX_REQUEST_SIZE`] / [`MAX_RESPONSE_SIZE`] before it is decoded (a request
/// as [`Inbound::Oversized`], a response as an [`io::ErrorKind::InvalidData`] error naming
/// the size).
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncCodec;

/// Marker in the error a too-large message produces, so the swarm can score it as oversized.
pub const OVERSIZED: &str = "oversized sync message";

async fn read_limited<T, R>(io: &mut T, limit: u64) -> io::Result<R>
where
    T: AsyncRead + Unpin + Send,
    R: Record,
{
    let mut bytes = Vec::new();
    io.take(limit + 1).read_to_end(&mut bytes).await?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{OVERSIZED}: more than {limit} bytes"),
        ));
    }
    codec::decode::<R>(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

async fn write_record<T, R>(io: &mut T, record: &R) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
    R: Record,
{
    let bytes =
        codec::encode(record).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    io.write_all(&bytes).await?;
    io.close().await
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Inbound;
    type Response = SyncResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Inbound>
    where
        T: AsyncRead + Unpin + Send,
    {
        match read_limited::<T, SyncRequest>(io, MAX_REQUEST_SIZE).await {
            Ok(request) => Ok(Inbound::Request(request)),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                if e.to_string().contains(OVERSIZED) {
                    Ok(Inbound::Oversized)
                } else {
                    Ok(Inbound::Undecodable)
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_limited(io, MAX_RESPONSE_SIZE).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Inbound,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match request {
            Inbound::Request(request) => write_record(io, &request).await,
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{other:?} is a read-side verdict, not a request"),
            )),
        }
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_record(io, &response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locator_is_dense_then_sparse_and_ends_at_genesis() {
        assert_eq!(locator_heights(0), vec![0]);
        assert_eq!(locator_heights(3), vec![3, 2, 1, 0]);
        let l = locator_heights(10_000);
        assert_eq!(
            &l[..10],
            &[10_000, 9_999, 9_998, 9_997, 9_996, 9_995, 9_994, 9_993, 9_992, 9_991]
        );
        assert_eq!(l[10], 9_989);
        assert_eq!(l[11], 9_985);
        assert_eq!(*l.last().unwrap(), 0);
        assert!(l.windows(2).all(|w| w[0] > w[1]));
        assert!(l.len() <= MAX_LOCATOR);
        assert!(locator_heights(u64::MAX).len() <= MAX_LOCATOR);
    }

    #[test]
    fn largest_requests_fit_the_limit() {
        let headers = SyncRequest::Headers { locator: vec![B256::ZERO; MAX_LOCATOR], max: 2000 };
        let bodies = SyncRequest::Bodies { hashes: vec![B256::ZERO; MAX_BODIES] };
        for r in [headers, bodies] {
            assert!((codec::encode(&r).unwrap().len() as u64) < MAX_REQUEST_SIZE);
        }
        let headers = SyncResponse::Headers(vec![Header::default(); MAX_HEADERS as usize]);
        assert!((codec::encode(&headers).unwrap().len() as u64) < MAX_RESPONSE_SIZE);
    }

    #[test]
    fn block_message_id_is_the_block_hash() {
        let block = quarry_primitives::Block {
            header: Header { number: 7, ..Header::default() },
            transactions: vec![],
        };
        let message = gossipsub::Message {
            source: None,
            data: block.encoded(),
            sequence_number: None,
            topic: blocks_topic(1337).hash(),
        };
        assert_eq!(message_id(&message).0, block.header.hash().to_vec());
        let garbage = gossipsub::Message { data: vec![0xff; 9], ..message };
        assert_eq!(message_id(&garbage).0, keccak256([0xff; 9]).to_vec());
    }
}
