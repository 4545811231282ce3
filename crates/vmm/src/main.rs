//! The `winhv` command (being written).
fn main() {}
