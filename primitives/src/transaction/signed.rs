//! Signed transactions: EIP-2718 envelopes, hashing, sender recovery, stateless checks.

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_rlp::{Buf, Decodable, Encodable, Header, EMPTY_STRING_CODE};

use super::error::TxError;
use super::intrinsic::MAX_INITCODE_SIZE;
use super::types::{encode_list, list_length, Transaction, TxEip1559, TxEip2930, TxLegacy, TxType};
use crate::crypto::{recover_signer, SecretKey, Signature};

/// A transaction with its signature and its hash.
///
/// The hash is keccak256 of the EIP-2718 encoding ([`SignedTransaction::encoded`]): the RLP
/// list for legacy transactions, `type ‖ rlp(…)` for typed ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedTransaction {
    tx: Transaction,
    signature: Signature,
    hash: B256,
}

impl SignedTransaction {
    /// Joins a transaction and its signature, computing the hash.
    pub fn new(tx: Transaction, signature: Signature) -> Self {
        let mut signed = Self { tx, signature, hash: B256::ZERO };
        signed.hash = keccak256(signed.encoded());
        signed
    }

    /// Signs `tx` with `key` (RFC 6979, low-s).
    pub fn sign(tx: Transaction, key: &SecretKey) -> Self {
        let signature = key.sign_prehash(&tx.signature_hash());
        Self::new(tx, signature)
    }

    /// The unsigned body.
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The transaction hash: keccak256 of [`SignedTransaction::encoded`].
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// The legacy `v` value: `27 + y_parity` unprotected, `chain_id × 2 + 35 + y_parity` under
    /// EIP-155. For typed transactions, `y_parity` itself.
    pub fn v(&self) -> U256 {
        let parity = U256::from(self.signature.y_parity as u8);
        match &self.tx {
            Transaction::Legacy(TxLegacy { chain_id: Some(id), .. }) => {
                U256::from(*id) * U256::from(2) + U256::from(35) + parity
            }
            Transaction::Legacy(TxLegacy { chain_id: None, .. }) => U256::from(27) + parity,
            _ => parity,
        }
    }

    /// Recovers the sender from the signature (low-s required, EIP-2).
    ///
    /// # Errors
    /// [`TxError::Signature`] when `r`/`s` are out of range, `s` is high, or no key recovers.
    pub fn recover_sender(&self) -> Result<Address, TxError> {
        Ok(recover_signer(&self.tx.signature_hash(), &self.signature)?)
    }

    fn with_signed_fields<R>(&self, f: impl FnOnce(&[&dyn Encodable]) -> R) -> R {
        let v = self.v();
        let (r, s) = (self.signature.r, self.signature.s);
        self.tx.with_fields(|fields| {
            let mut all = fields.to_vec();
            all.extend_from_slice(&[&v as &dyn Encodable, &r, &s]);
            f(&all)
        })
    }

    /// The EIP-2718 encoding: what `eth_sendRawTransaction` takes and the hash covers.
    pub fn encoded(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        if self.tx.tx_type() != TxType::Legacy {
            out.push(self.tx.tx_type() as u8);
        }
        self.with_signed_fields(|fields| encode_list(fields, &mut out));
        out
    }

    /// Length of [`SignedTransaction::encoded`].
    pub fn encoded_len(&self) -> usize {
        let typed = usize::from(self.tx.tx_type() != TxType::Legacy);
        typed + self.with_signed_fields(list_length)
    }

    /// Decodes an EIP-2718 encoding (as sent to `eth_sendRawTransaction`), requiring canonical
    /// RLP and no trailing bytes.
    ///
    /// # Errors
    /// [`TxError::Empty`], [`TxError::BlobUnsupported`], [`TxError::UnsupportedType`],
    /// [`TxError::Rlp`] naming the field, [`TxError::ExtraFields`], [`TxError::TrailingBytes`],
    /// [`TxError::InvalidV`] or [`TxError::InvalidYParity`].
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        let mut buf = bytes;
        let tx = Self::decode_enveloped(&mut buf)?;
        if !buf.is_empty() {
            return Err(TxError::TrailingBytes { count: buf.len() });
        }
        Ok(tx)
    }

    /// Decodes one EIP-2718 encoding from the front of `buf`, advancing it.
    fn decode_enveloped(buf: &mut &[u8]) -> Result<Self, TxError> {
        let first = *buf.first().ok_or(TxError::Empty)?;
        match first {
            0xc0..=0xff => decode_legacy(buf),
            0x01 | 0x02 => {
                buf.advance(1);
                decode_typed(first, buf)
            }
            0x03 => Err(TxError::BlobUnsupported),
            other => Err(TxError::UnsupportedType(other)),
        }
    }

    /// Checks the rules that need no state: chain id (EIP-155; pre-EIP-155 legacy transactions
    /// only when `allow_unprotected`), nonce below 2^64 − 1 (EIP-2681), tip ≤ fee cap (EIP-1559),
    /// `gas_limit × fee_cap` within 256 bits, initcode size (EIP-3860) and intrinsic gas.
    ///
    /// # Errors
    /// The first rule broken, naming the values.
    pub fn validate_stateless(
        &self,
        chain_id: u64,
        allow_unprotected: bool,
    ) -> Result<(), TxError> {
        let tx = &self.tx;
        match tx.chain_id() {
            Some(id) if id != chain_id => {
                return Err(TxError::ChainIdMismatch { expected: chain_id, got: Some(id) })
            }
            None if !allow_unprotected => return Err(TxError::UnprotectedNotAllowed),
            _ => {}
        }
        if tx.nonce() == u64::MAX {
            return Err(TxError::NonceOverflow(tx.nonce()));
        }
        let (tip, fee_cap) = (tx.max_priority_fee_per_gas(), tx.max_fee_per_gas());
        if tip > fee_cap {
            return Err(TxError::TipAboveFeeCap { tip, fee_cap });
        }
        if fee_cap.checked_mul(U256::from(tx.gas_limit())).is_none() {
            return Err(TxError::GasFeeOverflow { gas_limit: tx.gas_limit(), fee_cap });
        }
        if tx.is_create() && tx.input().len() > MAX_INITCODE_SIZE {
            return Err(TxError::InitcodeTooLarge {
                size: tx.input().len(),
                limit: MAX_INITCODE_SIZE,
            });
        }
        let want = tx.intrinsic_gas();
        if tx.gas_limit() < want {
            return Err(TxError::IntrinsicGasTooLow { have: tx.gas_limit(), want });
        }
        Ok(())
    }
}

impl std::ops::Deref for SignedTransaction {
    type Target = Transaction;
    fn deref(&self) -> &Transaction {
        &self.tx
    }
}

/// In a block body (and inside other RLP), a legacy transaction is its RLP list and a typed
/// one is an RLP string wrapping `type ‖ rlp(…)` (EIP-2718 §"Transactions").
impl Encodable for SignedTransaction {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        if self.tx.tx_type() == TxType::Legacy {
            self.with_signed_fields(|fields| encode_list(fields, out));
        } else {
            let len = self.encoded_len();
            Header { list: false, payload_length: len }.encode(out);
            out.put_slice(&self.encoded());
        }
    }

    fn length(&self) -> usize {
        let len = self.encoded_len();
        if self.tx.tx_type() == TxType::Legacy {
            len
        } else {
            len + alloy_rlp::length_of_length(len)
        }
    }
}

impl Decodable for SignedTransaction {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::decode_in_list(buf).map_err(|err| match err {
            TxError::Rlp { source, .. } => source,
            _ => alloy_rlp::Error::Custom("invalid transaction in list"),
        })
    }
}

impl SignedTransaction {
    /// Decodes one transaction as it appears inside an RLP list (block bodies), with a typed
    /// error. See the [`Encodable`] impl for the shape.
    ///
    /// # Errors
    /// As [`SignedTransaction::decode`], plus a typed transaction whose string wrapper is
    /// malformed.
    pub fn decode_in_list(buf: &mut &[u8]) -> Result<Self, TxError> {
        let first = *buf.first().ok_or(TxError::Empty)?;
        if first >= 0xc0 {
            return decode_legacy(buf);
        }
        let header = Header::decode(buf).map_err(TxError::rlp("envelope"))?;
        if header.list || header.payload_length > buf.len() {
            return Err(TxError::Rlp {
                field: "envelope",
                source: alloy_rlp::Error::InputTooShort,
            });
        }
        let mut inner = &buf[..header.payload_length];
        buf.advance(header.payload_length);
        let tx = Self::decode_enveloped(&mut inner)?;
        if !inner.is_empty() {
            return Err(TxError::TrailingBytes { count: inner.len() });
        }
        Ok(tx)
    }
}

/// Decodes one field, naming it in the error.
fn field<T: Decodable>(buf: &mut &[u8], name: &'static str) -> Result<T, TxError> {
    T::decode(buf).map_err(TxError::rlp(name))
}

/// Opens the transaction's RLP list and returns its payload, advancing `buf` past it.
fn open_list<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], TxError> {
    let header = Header::decode(buf).map_err(TxError::rlp("envelope"))?;
    if !header.list {
        return Err(TxError::Rlp { field: "envelope", source: alloy_rlp::Error::UnexpectedString });
    }
    if header.payload_length > buf.len() {
        return Err(TxError::Rlp { field: "envelope", source: alloy_rlp::Error::InputTooShort });
    }
    let payload = &buf[..header.payload_length];
    buf.advance(header.payload_length);
    Ok(payload)
}

/// Decodes `to`: the empty string means create, otherwise exactly 20 bytes.
fn field_to(buf: &mut &[u8]) -> Result<TxKind, TxError> {
    if buf.first() == Some(&EMPTY_STRING_CODE) {
        buf.advance(1);
        return Ok(TxKind::Create);
    }
    Ok(TxKind::Call(field::<Address>(buf, "to")?))
}

fn close_list(payload: &[u8]) -> Result<(), TxError> {
    if payload.is_empty() {
        Ok(())
    } else {
        Err(TxError::ExtraFields { extra: payload.len() })
    }
}

fn field_y_parity(buf: &mut &[u8]) -> Result<bool, TxError> {
    let parity: U256 = field(buf, "yParity")?;
    if parity.is_zero() {
        Ok(false)
    } else if parity == U256::from(1) {
        Ok(true)
    } else {
        Err(TxError::InvalidYParity(parity))
    }
}

fn decode_legacy(buf: &mut &[u8]) -> Result<SignedTransaction, TxError> {
    let mut p = open_list(buf)?;
    let nonce = field(&mut p, "nonce")?;
    let gas_price = field(&mut p, "gasPrice")?;
    let gas_limit = field(&mut p, "gasLimit")?;
    let to = field_to(&mut p)?;
    let value = field(&mut p, "value")?;
    let input: Bytes = field(&mut p, "data")?;
    let v: U256 = field(&mut p, "v")?;
    let r = field(&mut p, "r")?;
    let s = field(&mut p, "s")?;
    close_list(p)?;
    let (chain_id, y_parity) = legacy_v(v)?;
    let tx = TxLegacy { chain_id, nonce, gas_price, gas_limit, to, value, input };
    Ok(SignedTransaction::new(Transaction::Legacy(tx), Signature { y_parity, r, s }))
}

/// Splits a legacy `v` into (EIP-155 chain id, y parity).
fn legacy_v(v: U256) -> Result<(Option<u64>, bool), TxError> {
    if v == U256::from(27) || v == U256::from(28) {
        return Ok((None, v == U256::from(28)));
    }
    if v < U256::from(35) {
        return Err(TxError::InvalidV(v));
    }
    let rest = v - U256::from(35);
    let chain_id: u64 = (rest / U256::from(2)).try_into().map_err(|_| TxError::InvalidV(v))?;
    Ok((Some(chain_id), rest.bit(0)))
}

fn decode_typed(tx_type: u8, buf: &mut &[u8]) -> Result<SignedTransaction, TxError> {
    let mut p = open_list(buf)?;
    let chain_id = field(&mut p, "chainId")?;
    let nonce = field(&mut p, "nonce")?;
    let tx = if tx_type == 1 {
        Transaction::Eip2930(TxEip2930 {
            chain_id,
            nonce,
            gas_price: field(&mut p, "gasPrice")?,
            gas_limit: field(&mut p, "gasLimit")?,
            to: field_to(&mut p)?,
            value: field(&mut p, "value")?,
            input: field(&mut p, "data")?,
            access_list: field(&mut p, "accessList")?,
        })
    } else {
        Transaction::Eip1559(TxEip1559 {
            chain_id,
            nonce,
            max_priority_fee_per_gas: field(&mut p, "maxPriorityFeePerGas")?,
            max_fee_per_gas: field(&mut p, "maxFeePerGas")?,
            gas_limit: field(&mut p, "gasLimit")?,
            to: field_to(&mut p)?,
            value: field(&mut p, "value")?,
            input: field(&mut p, "data")?,
            access_list: field(&mut p, "accessList")?,
        })
    };
    let y_parity = field_y_parity(&mut p)?;
    let r = field(&mut p, "r")?;
    let s = field(&mut p, "s")?;
    close_list(p)?;
    Ok(SignedTransaction::new(tx, Signature { y_parity, r, s }))
}
