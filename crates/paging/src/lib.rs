//! The x86 guest page walker (being written).
