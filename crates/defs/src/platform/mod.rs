//! (being written) WinHvPlatformDefs.h types.
