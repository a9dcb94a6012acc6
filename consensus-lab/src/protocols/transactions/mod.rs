//! Distributed transactions: two-phase commit and its logged, presumed and cooperative variants
//! (Gray 1978; Mohan, Lindsay & Obermarck 1986; BHG ch. 7) and snapshot isolation (Berenson et al.
//! 1995).

pub mod commit_presumed;
pub mod snapshot_isolation;
pub mod two_phase_commit;
