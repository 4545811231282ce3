//! (being written) emulation types.
