//! Tests of the shared-memory model: the memory's operations, the algorithms alone and under
//! the seeded scheduler, the sweeps (1,000 seeds in release) and the exhaustive search.

use super::*;
