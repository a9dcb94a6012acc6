//! The development chain: what `quarry-node run --dev` creates when its datadir is empty.
//!
//! Chain id 1337 (as geth's and anvil's dev chains), the ten well-known dev accounts
//! ([`quarry_primitives::dev::DEV_ACCOUNTS`]) funded with 10,000 ether each, the deterministic
//! CREATE2 deployer predeployed as anvil predeploys it ([`CREATE2_DEPLOYER`]), a 2-second target
//! block time with a 60-second ASERT half-life, and a first target of about 2^20 hashes per
//! block (tens of milliseconds on one core), from which ASERT settles on the machine's speed
//! within a few minutes. The genesis timestamp is the creation time, so ASERT's schedule starts
//! now rather than in 1970.

use std::collections::BTreeMap;

use alloy_primitives::{address, hex, Address, Bytes, U256};
use quarry_primitives::dev::DEV_ACCOUNTS;
use quarry_primitives::genesis::{ChainConfig, Genesis, GenesisAccount, PowParams};
use quarry_primitives::pow::bits_from_target;

/// The deterministic deployment proxy (Arachnid's `deterministic-deployment-proxy`), at the
/// address its keyless deployment transaction gives it on every chain. It CREATE2s the
/// initcode in its call data after a 32-byte salt and returns the new address; `forge script`
/// and `forge create --salt` deploy through it.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920cA78FbF26c0B4956C");

/// [`CREATE2_DEPLOYER`]'s runtime code, byte for byte what its deployment left on mainnet (and
/// what anvil predeploys).
pub const CREATE2_DEPLOYER_CODE: [u8; 69] = hex!(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
);

/// Chain id of dev chains (EIP-155).
pub const DEV_CHAIN_ID: u64 = 1337;

/// Balance of each dev account at genesis: 10,000 ether, in wei.
pub fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
}

/// A dev chain spec starting at `timestamp` (seconds since the Unix epoch).
pub fn dev_genesis(timestamp: u64) -> Genesis {
    let alloc = DEV_ACCOUNTS
        .iter()
        .map(|account| {
            (
                account.address,
                GenesisAccount { balance: dev_balance(), ..GenesisAccount::default() },
            )
        })
        .chain(std::iter::once((
            CREATE2_DEPLOYER,
            GenesisAccount {
                code: Bytes::from_static(&CREATE2_DEPLOYER_CODE),
                ..GenesisAccount::default()
            },
        )))
        .collect::<BTreeMap<_, _>>();
    Genesis {
        config: ChainConfig {
            chain_id: DEV_CHAIN_ID,
            quarry: PowParams {
                initial_bits: bits_from_target(U256::MAX >> 20),
                target_block_time: 2,
                asert_half_life: 60,
                block_subsidy: U256::from(2u64) * U256::from(10u64).pow(U256::from(18)),
                // The easiest target Bitcoin's regtest allows: about one hash in two.
                pow_limit_bits: Some(0x207f_ffff),
                allow_unprotected_txs: false,
            },
        },
        gas_limit: 30_000_000,
        base_fee_per_gas: 1_000_000_000,
        timestamp,
        extra_data: Bytes::new(),
        coinbase: alloy_primitives::Address::ZERO,
        alloc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_genesis_passes_the_spec_checks_and_funds_every_dev_account() {
        let genesis = dev_genesis(1_700_000_000);
        genesis.validate().expect("valid");
        assert_eq!(genesis.alloc.len(), 11, "ten dev accounts and the CREATE2 deployer");
        assert_eq!(genesis.alloc[&CREATE2_DEPLOYER].code.as_ref(), CREATE2_DEPLOYER_CODE);
        let json = serde_json::to_string(&genesis).expect("serialisable");
        assert_eq!(Genesis::from_json(&json).expect("round trip"), genesis);
    }
}
