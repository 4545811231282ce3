//! libWinHvEmulation.so (being written).
