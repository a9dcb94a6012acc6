//! The one codec for Quarry's own binary records (p2p messages, storage values): serde +
//! bincode 1.x (varint integers, little-endian), always decoded with an explicit size limit and
//! no trailing bytes. Ethereum objects keep their canonical RLP instead.
//!
//! bincode is unmaintained upstream (RUSTSEC-2025-0141). Every use goes through this module, so
//! a swap to a maintained format is a one-file change.

use bincode::Options;
use serde::{de::DeserializeOwned, Serialize};

/// A Quarry record type with its largest valid encoding in bytes. Decoding refuses anything
/// longer before allocating for it.
pub trait Record: Serialize + DeserializeOwned {
    /// Largest encoding accepted by [`decode`], in bytes.
    const MAX_SIZE: u64;
}

/// Why bytes did not decode as a record.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// More than the limit, undecodable, or trailing bytes (bincode's message says which).
    #[error("cannot decode {record} ({len} bytes, limit {limit}): {source}")]
    Decode {
        /// Name of the record type.
        record: &'static str,
        /// Length of the input.
        len: usize,
        /// The size limit in force.
        limit: u64,
        /// bincode's error.
        source: bincode::Error,
    },
    /// The value does not serialise (a map with non-string keys and such).
    #[error("cannot encode {record}: {source}")]
    Encode {
        /// Name of the record type.
        record: &'static str,
        /// bincode's error.
        source: bincode::Error,
    },
}

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// Encodes a record.
///
/// # Errors
/// [`CodecError::Encode`] if serde refuses the value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    options()
        .serialize(value)
        .map_err(|source| CodecError::Encode { record: std::any::type_name::<T>(), source })
}

/// Decodes a record, refusing input larger than `T::MAX_SIZE` or with trailing bytes.
///
/// # Errors
/// [`CodecError::Decode`].
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, CodecError> {
    decode_with_limit(bytes, T::MAX_SIZE)
}

/// Decodes any serde type with an explicit size `limit` in bytes and no trailing bytes.
///
/// # Errors
/// [`CodecError::Decode`].
pub fn decode_with_limit<T: DeserializeOwned>(bytes: &[u8], limit: u64) -> Result<T, CodecError> {
    let err = |source| CodecError::Decode {
        record: std::any::type_name::<T>(),
        len: bytes.len(),
        limit,
        source,
    };
    if bytes.len() as u64 > limit {
        return Err(err(Box::new(bincode::ErrorKind::SizeLimit)));
    }
    options().with_limit(limit).reject_trailing_bytes().deserialize(bytes).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ping {
        nonce: u64,
        payload: Vec<u8>,
    }

    impl Record for Ping {
        const MAX_SIZE: u64 = 64;
    }

    #[test]
    fn records_round_trip() {
        let ping = Ping { nonce: 7, payload: vec![1, 2, 3] };
        assert_eq!(decode::<Ping>(&encode(&ping).unwrap()).unwrap(), ping);
    }

    #[test]
    fn oversized_input_is_refused_before_decoding() {
        let ping = Ping { nonce: 7, payload: vec![0; 100] };
        let err = decode::<Ping>(&encode(&ping).unwrap()).unwrap_err();
        assert!(err.to_string().contains("limit 64"), "{err}");
    }

    #[test]
    fn a_length_prefix_claiming_more_than_the_limit_is_refused() {
        // nonce 0, then a vector length of 2^40 in varint form: must not allocate.
        let bytes = [0u8, 253, 0, 0, 0, 0, 1, 0, 0, 0];
        assert!(decode::<Ping>(&bytes).is_err());
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = encode(&Ping { nonce: 1, payload: vec![] }).unwrap();
        bytes.push(0);
        assert!(decode::<Ping>(&bytes).is_err());
    }
}
