//! Receipts, logs and the logs bloom (Yellow Paper §4.3.1; EIP-658 status; EIP-2718 typed
//! receipts).

use alloy_primitives::{Address, Bloom, BloomInput, Bytes, B256};
use alloy_rlp::{BufMut, Encodable, Header, RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

use crate::transaction::TxType;

/// A log entry emitted by LOG0–LOG4. RLP: `[address, [topic, …], data]`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable, Serialize, Deserialize,
)]
pub struct Log {
    /// The contract that emitted the log.
    pub address: Address,
    /// Zero to four 32-byte topics.
    pub topics: Vec<B256>,
    /// Unindexed data.
    pub data: Bytes,
}

/// The 2048-bit bloom of a set of logs: each log's address and topics accrued with the
/// Yellow Paper's `M3:2048` (three 11-bit indexes from keccak256).
pub fn logs_bloom<'a>(logs: impl IntoIterator<Item = &'a Log>) -> Bloom {
    let mut bloom = Bloom::ZERO;
    for log in logs {
        bloom.accrue(BloomInput::Raw(log.address.as_slice()));
        for topic in &log.topics {
            bloom.accrue(BloomInput::Raw(topic.as_slice()));
        }
    }
    bloom
}

/// A transaction's receipt.
///
/// Encoding (EIP-2718): `rlp([status, cumulativeGasUsed, logsBloom, logs])` for legacy
/// transactions, `type ‖ rlp(…)` for typed ones. Inside a list (the receipts trie values are the
/// bare encoding), see [`Receipt::encoded`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Type of the transaction this receipt is for.
    pub tx_type: u8,
    /// EIP-658 status: `true` when execution succeeded.
    pub success: bool,
    /// Gas used by this and every earlier transaction in the block.
    pub cumulative_gas_used: u64,
    /// Bloom of `logs`.
    pub logs_bloom: Bloom,
    /// Logs emitted, in order.
    pub logs: Vec<Log>,
}

#[derive(RlpEncodable)]
struct ReceiptFields<'a> {
    success: bool,
    cumulative_gas_used: u64,
    logs_bloom: &'a Bloom,
    logs: &'a Vec<Log>,
}

impl Receipt {
    /// A receipt whose bloom is computed from `logs`.
    pub fn new(tx_type: TxType, success: bool, cumulative_gas_used: u64, logs: Vec<Log>) -> Self {
        let logs_bloom = logs_bloom(&logs);
        Self { tx_type: tx_type as u8, success, cumulative_gas_used, logs_bloom, logs }
    }

    fn fields(&self) -> ReceiptFields<'_> {
        ReceiptFields {
            success: self.success,
            cumulative_gas_used: self.cumulative_gas_used,
            logs_bloom: &self.logs_bloom,
            logs: &self.logs,
        }
    }

    /// The EIP-2718 encoding: what the receipts trie stores under each index.
    pub fn encoded(&self) -> Vec<u8> {
        let fields = self.fields();
        let mut out = Vec::with_capacity(fields.length() + 1);
        if self.tx_type != TxType::Legacy as u8 {
            out.push(self.tx_type);
        }
        fields.encode(&mut out);
        out
    }
}

/// Inside RLP lists, a typed receipt is wrapped as a string (EIP-2718).
impl Encodable for Receipt {
    fn encode(&self, out: &mut dyn BufMut) {
        if self.tx_type == TxType::Legacy as u8 {
            self.fields().encode(out);
        } else {
            let bytes = self.encoded();
            Header { list: false, payload_length: bytes.len() }.encode(out);
            out.put_slice(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_sets_bits_for_its_address_and_topics_only() {
        let log = Log {
            address: Address::repeat_byte(1),
            topics: vec![B256::repeat_byte(2)],
            data: Bytes::new(),
        };
        let bloom = logs_bloom([&log]);
        assert!(bloom.contains_input(BloomInput::Raw(log.address.as_slice())));
        assert!(bloom.contains_input(BloomInput::Raw(log.topics[0].as_slice())));
        assert!(!bloom.contains_input(BloomInput::Raw(B256::repeat_byte(3).as_slice())));
    }

    #[test]
    fn typed_receipts_are_prefixed_with_their_type() {
        let legacy = Receipt::new(TxType::Legacy, true, 21_000, vec![]);
        let typed = Receipt::new(TxType::Eip1559, true, 21_000, vec![]);
        assert_eq!(typed.encoded()[0], 2);
        assert_eq!(&typed.encoded()[1..], &legacy.encoded()[..]);
        assert!(legacy.encoded()[0] >= 0xc0);
    }
}
