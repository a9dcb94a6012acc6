//! Shared-register emulations over message passing: regular and atomic registers, the
//! transformations between them, and the Byzantine registers (CGR ch. 4).

pub mod atomic;
pub mod byzantine;
pub mod double_write;
pub mod layers;
pub mod masking;
pub mod regular;
