//! (being written) savedstate types.
