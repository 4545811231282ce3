//! Guest program builder (being written).
