//! Shared checks for the ABI tests: our types against `windows-sys`.
#![allow(unused_macros, dead_code)]

/// Asserts that our type and windows-sys' have the same size and alignment,
/// and that each listed field sits at the same offset. A field can be renamed
/// on the windows-sys side with `ours => theirs` (for bitfield unions that
/// we flatten into their integer: `Attributes => Anonymous`).
///
/// `layout!(WHV_X64_SEGMENT_REGISTER { Base, Limit, Selector, Attributes => Anonymous });`
macro_rules! layout {
    ($ty:ident { $($of:ident $(=> $wf:ident)?),* $(,)? }) => {
        layout!(@go $ty, $ty, align = core::mem::align_of::<ws::$ty>(); $($of $(=> $wf)?),*);
    };
    // Types built on WHV_UINT128: C headers align them to 16, windows-sys to 8.
    ($ty:ident align16 { $($of:ident $(=> $wf:ident)?),* $(,)? }) => {
        layout!(@go $ty, $ty, align = 16; $($of $(=> $wf)?),*);
    };
    (@go $ty:ident, $wty:ident, align = $align:expr; $($of:ident $(=> $wf:ident)?),*) => {{
        use core::mem::{align_of, size_of};
        let align: usize = $align;
        let ws_size = size_of::<ws::$wty>();
        // Our size is windows-sys' rounded up to our (possibly larger) alignment.
        let expect_size = ws_size.div_ceil(align) * align;
        assert_eq!(size_of::<defs::$ty>(), expect_size, "size of {}", stringify!($ty));
        assert_eq!(align_of::<defs::$ty>(), align, "align of {}", stringify!($ty));
        $( layout!(@field $ty, $wty, $of $(, $wf)?); )*
    }};
    (@field $ty:ident, $wty:ident, $of:ident) => { layout!(@field $ty, $wty, $of, $of) };
    (@field $ty:ident, $wty:ident, $of:ident, $wf:ident) => {
        assert_eq!(
            core::mem::offset_of!(defs::$ty, $of),
            core::mem::offset_of!(ws::$wty, $wf),
            "offset of {}.{}", stringify!($ty), stringify!($of)
        );
    };
}

/// Asserts that each named constant equals windows-sys' value of the same
/// name. Works for open enums (compares `.0`) and plain integers alike via
/// `ConstValue`.
macro_rules! consts {
    ($($name:ident),* $(,)?) => {{
        $(
            assert_eq!(
                crate::common::ConstValue::value(&defs::$name),
                crate::common::ConstValue::value(&ws::$name),
                "value of {}", stringify!($name)
            );
        )*
    }};
}

/// A constant reduced to an i128 so that our newtypes and windows-sys'
/// plain integers compare.
pub trait ConstValue {
    fn value(&self) -> i128;
}

macro_rules! int_const_value {
    ($($t:ty),*) => {$(
        impl ConstValue for $t {
            fn value(&self) -> i128 { *self as i128 }
        }
    )*};
}
int_const_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl ConstValue for winhv_defs::HRESULT {
    fn value(&self) -> i128 {
        self.0 as i128
    }
}

/// Lets [`consts!`] compare our open enums: `enum_const_value!(defs::WHV_CAPABILITY_CODE, …);`
macro_rules! enum_const_value {
    ($($t:path),* $(,)?) => {$(
        impl crate::common::ConstValue for $t {
            fn value(&self) -> i128 { self.0 as i128 }
        }
    )*};
}

/// Asserts that each named plain type — a handle, a callback, an open enum's
/// underlying type, an integer alias — has windows-sys' size and alignment.
/// These names have no fields to compare, so `tools/abi-coverage.py` counts
/// a name listed here as checked.
///
/// `covered!(WHV_PARTITION_HANDLE, HDV_PCI_DEVICE_GET_DETAILS);`
macro_rules! covered {
    ($($name:ident),* $(,)?) => {{
        $(
            assert_eq!(
                core::mem::size_of::<defs::$name>(),
                core::mem::size_of::<ws::$name>(),
                "size of {}", stringify!($name)
            );
            assert_eq!(
                core::mem::align_of::<defs::$name>(),
                core::mem::align_of::<ws::$name>(),
                "align of {}", stringify!($name)
            );
        )*
    }};
}

/// Asserts that a windows-sys type we flatten into an integer field (a C
/// anonymous union of a bitfield and its whole value) has that field's size:
/// `flattened!(WHV_EMULATOR_STATUS_0 => WHV_EMULATOR_STATUS.AsUINT32);`.
/// `tools/abi-coverage.py` counts the left-hand name as checked.
macro_rules! flattened {
    ($($wty:ident => $ty:ident . $field:ident),* $(,)?) => {{
        $(
            assert_eq!(
                core::mem::size_of::<ws::$wty>(),
                crate::common::field_size(|t: &defs::$ty| &t.$field),
                "{} flattened into {}.{}", stringify!($wty), stringify!($ty), stringify!($field)
            );
        )*
    }};
}

/// The size of the field a projection closure points at.
pub fn field_size<T, F>(_project: fn(&T) -> &F) -> usize {
    core::mem::size_of::<F>()
}
