//! winhv-bench (being written).
