//! Broadcast: best-effort, (uniform) reliable, Byzantine (Bracha), FIFO and causal broadcast (CGR
//! ch. 3).

pub mod beb;
pub mod bracha;
pub mod causal_past;
pub mod ordered;
pub mod reliable;
