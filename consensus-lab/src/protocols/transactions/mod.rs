//! Distributed transactions: two-phase commit and its logged, presumed and cooperative variants
//! (Gray 1978; Mohan, Lindsay & Obermarck 1986; BHG ch. 7), snapshot isolation (Berenson et al.
//! 1995) and Calvin's deterministic sequencing (Thomson et al., SIGMOD 2012).

pub mod calvin;
pub mod commit_presumed;
pub mod snapshot_isolation;
pub mod two_phase_commit;
