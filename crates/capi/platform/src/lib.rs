//! libWinHvPlatform.so (being written).
