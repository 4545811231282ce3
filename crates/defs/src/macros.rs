//! The two macros every ABI type in this crate is written with.
//!
//! * [`open_enum!`] — a Windows `enum` whose value a guest or a caller
//!   supplies. It becomes a `#[repr(transparent)]` newtype over the C integer,
//!   so *any* number round-trips (an unknown register name or exit reason is a
//!   value to answer with an error, never undefined behaviour), plus one
//!   module-level constant per enumerator with the Windows name
//!   (`WHvX64RegisterRax`), exactly as C code spells it.
//! * [`bitfield!`] — accessors for a C bitfield. A bitfield type is a
//!   `#[repr(C)]` struct holding the whole integer under its Windows name
//!   (`AsUINT64`, `Attributes`, …); each field gets a getter and a `set_`
//!   setter named after the header's field in snake case, which take and
//!   return the field's bits right-aligned. Setters mask the value to the
//!   field's width.

/// Declares an open enum; see the module documentation.
///
/// ```
/// winhv_defs::open_enum! {
///     /// A colour.
///     pub enum COLOUR: i32 {
///         Red = 0,
///         Green = 1,
///     }
/// }
/// assert_eq!(Green, COLOUR(1));
/// assert_eq!(COLOUR(7).name(), None);
/// assert_eq!(format!("{:?}", Red), "Red");
/// assert_eq!(format!("{:?}", COLOUR(7)), "COLOUR(7)");
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:expr
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name(pub $repr);

        $(
            $(#[$vmeta])*
            #[doc = concat!("`", stringify!($name), "` value `", stringify!($value), "`.")]
            #[allow(non_upper_case_globals)]
            $vis const $variant: $name = $name($value);
        )*

        impl $name {
            /// The Windows name of this value, or `None` for a number the
            /// headers do not define.
            pub const fn name(self) -> Option<&'static str> {
                #[allow(unreachable_patterns)]
                match self {
                    $( $variant => Some(stringify!($variant)), )*
                    _ => None,
                }
            }

            /// Every value the headers define, in declaration order.
            pub const ALL: &'static [$name] = &[$($variant),*];
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                $name(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}

/// Adds bitfield accessors to a struct whose named field holds the whole
/// integer; see the module documentation.
///
/// ```
/// #[repr(C)]
/// #[derive(Copy, Clone, Default)]
/// pub struct FLAGS {
///     /// The whole value.
///     pub AsUINT16: u16,
/// }
/// winhv_defs::bitfield! {
///     FLAGS . AsUINT16 : u16 {
///         /// Bits 0..2.
///         cpl / set_cpl : 0, 2;
///         /// Bit 2.
///         cr0_pe / set_cr0_pe : 2, 1;
///     }
/// }
/// let mut f = FLAGS::default();
/// f.set_cpl(3);
/// f.set_cr0_pe(1);
/// assert_eq!(f.AsUINT16, 0b111);
/// assert_eq!(f.cpl(), 3);
/// f.set_cpl(0xff); // masked to the field's width
/// assert_eq!(f.cpl(), 3);
/// assert_eq!(FLAGS::FIELDS[1], ("cr0_pe", 2, 1));
/// ```
#[macro_export]
macro_rules! bitfield {
    (
        $ty:ident . $field:ident : $int:ty {
            $(
                $(#[$fmeta:meta])*
                $get:ident / $set:ident : $shift:expr, $width:expr;
            )*
        }
    ) => {
        impl $ty {
            /// Every field: (accessor name, first bit, width in bits), in
            /// header order — for printing and for table-driven tests.
            pub const FIELDS: &'static [(&'static str, u32, u32)] = &[
                $( (stringify!($get), $shift, $width) ),*
            ];

            $(
                $(#[$fmeta])*
                #[inline]
                pub const fn $get(&self) -> $int {
                    let mask: $int = if $width >= <$int>::BITS { !0 } else { ((1 as $int) << $width) - 1 };
                    (self.$field >> $shift) & mask
                }

                #[doc = concat!("Sets the bits read by `", stringify!($get), "()`.")]
                #[inline]
                pub const fn $set(&mut self, value: $int) {
                    let mask: $int = if $width >= <$int>::BITS { !0 } else { ((1 as $int) << $width) - 1 };
                    self.$field = (self.$field & !(mask << $shift)) | ((value & mask) << $shift);
                }
            )*
        }
    };
}
