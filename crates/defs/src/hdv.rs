//! (being written) hdv types.
