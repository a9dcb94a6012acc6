//! Byzantine agreement and Byzantine state-machine replication: the Byzantine generals (Lamport,
//! Shostak & Pease 1982), PBFT (Castro & Liskov 1999) and HotStuff (Yin et al. 2019).

pub mod byzantine_generals;
pub mod hotstuff;
pub mod pbft;
