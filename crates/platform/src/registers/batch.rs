//! [`Batch`]: the registers of one get or set call, resolved from their
//! WHP names without a heap allocation for the usual small batches, with
//! the set of KVM state classes they touch.

use winhv_defs::WHV_REGISTER_NAME;

use super::names::{Class, Reg};

/// Batches up to this size live on the stack.
const INLINE: usize = 32;

/// The resolved registers of one call, in the caller's order.
pub(crate) struct Batch {
    inline: [Reg; INLINE],
    heap: Vec<Reg>,
    len: usize,
    /// Bit `Class as u32` for each class named.
    classes: u32,
}

/// The class bit of `class` in [`Batch::classes`].
pub(crate) const fn class_bit(class: Class) -> u32 {
    1 << class as u32
}

impl Batch {
    /// Resolves every name with `resolve`, failing on the first error.
    pub(crate) fn resolve<E>(
        names: &[WHV_REGISTER_NAME],
        mut resolve: impl FnMut(WHV_REGISTER_NAME) -> Result<Reg, E>,
    ) -> Result<Self, E> {
        let mut batch = Self {
            inline: [Reg::Rip; INLINE],
            heap: Vec::new(),
            len: names.len(),
            classes: 0,
        };
        let mut classes = 0;
        if names.len() <= INLINE {
            for (slot, &name) in batch.inline.iter_mut().zip(names) {
                let reg = resolve(name)?;
                classes |= class_bit(reg.class());
                *slot = reg;
            }
        } else {
            batch.heap.reserve_exact(names.len());
            for &name in names {
                let reg = resolve(name)?;
                classes |= class_bit(reg.class());
                batch.heap.push(reg);
            }
        }
        batch.classes = classes;
        Ok(batch)
    }

    /// The registers.
    pub(crate) fn regs(&self) -> &[Reg] {
        if self.len > INLINE {
            &self.heap
        } else {
            &self.inline[..self.len]
        }
    }

    /// The classes named, as [`class_bit`]s.
    pub(crate) fn classes(&self) -> u32 {
        self.classes
    }

    /// Whether every register named is in `classes` (bits).
    pub(crate) fn only(&self, classes: u32) -> bool {
        self.classes & !classes == 0
    }
}

#[cfg(test)]
mod tests {
    use winhv_defs::*;

    use super::*;
    use crate::registers::names::lookup;

    fn resolve(names: &[WHV_REGISTER_NAME]) -> Result<Batch, WHV_REGISTER_NAME> {
        Batch::resolve(names, |n| lookup(n).ok_or(n))
    }

    #[test]
    fn small_and_large_batches_keep_order_and_classes() {
        let small = resolve(&[WHvX64RegisterRip, WHvX64RegisterRcx]).unwrap();
        assert_eq!(small.regs(), &[Reg::Rip, Reg::Gpr(1)]);
        assert!(small.only(class_bit(Class::Regs)));
        let names: Vec<_> = (0..40)
            .map(|i| {
                if i == 39 {
                    WHvX64RegisterCr3
                } else {
                    WHV_REGISTER_NAME(WHvX64RegisterRax.0 + i % 16)
                }
            })
            .collect();
        let large = resolve(&names).unwrap();
        assert_eq!(large.regs().len(), 40);
        assert_eq!(large.regs()[17], Reg::Gpr(1));
        assert_eq!(large.regs()[39], Reg::Cr3);
        assert!(!large.only(class_bit(Class::Regs)));
        assert_eq!(
            large.classes(),
            class_bit(Class::Regs) | class_bit(Class::Sregs)
        );
    }

    #[test]
    fn the_first_bad_name_fails_the_batch() {
        let bad = WHV_REGISTER_NAME(0x7fff_fff0);
        assert_eq!(resolve(&[WHvX64RegisterRax, bad]).err(), Some(bad));
        assert_eq!(resolve(&[]).unwrap().regs(), &[] as &[Reg]);
    }
}
