//! winhv-emu: the instruction emulator (being written).
