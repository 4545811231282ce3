//! A CALL onto an MMIO stack: KVM reports the pushed return address with
//! RIP already at the target, so the call is found from the bytes before
//! the return address (relative, through a register, or through memory:
//! FF /2 with a memory operand, whose target is read again), in any mode:
//! the return address as wide as the call pushed it, RSP moved back within
//! the stack-address size. Also the address a write writes
//! ([`written_address`]: a PUSH's or CALL's stack slot, a POP's operand).

use iced_x86::{Instruction, Mnemonic, OpKind};
use kvm_bindings::{kvm_regs, kvm_sregs};

use super::retired::{Retired, Suffixes, equivalent};
use super::{
    Access, bitness, low, memory_address, register_value, stack_address, stack_mask, stack_moved,
};

/// Finds a near CALL behind a retired write onto the stack: KVM reports
/// the pushed return address (`access`: all of it, or the part in the
/// first page when the slot crosses one) with RIP already at the call's
/// target and RSP decremented, so the call ends at the return address
/// `ret`, not at RIP. `before` holds the up to 15 code bytes that end at
/// `ret`; `gpa` is the written address. Returns the call (its length) and
/// the registers before it: RIP at the call, RSP as it was. A CALL
/// through a register is kept when that register holds the target; a
/// CALL through memory (`call [rax]`, `call [rip+disp]`) when the operand
/// — its address computed from the registers before the call (RSP as it
/// was, RIP-relative from `ret`) — read again through `read` (linear
/// address, buffer; `false` when it cannot be read) holds the target.
pub(crate) fn undo_call(
    before: &[u8],
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    access: Access,
    gpa: u64,
    ret: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Option<Retired> {
    let Access::MemWrite { size, data } = access else {
        return None;
    };
    let bitness = bitness(regs, sregs);
    // The slot is SS:rSP after the call (the stack-address size decides).
    if stack_address(regs, sregs, regs.rsp)? & 0xfff != gpa & 0xfff
        || low(ret, size) != low(data, size)
    {
        return None;
    }
    let mut calls = |i: &Instruction| {
        let width = i.stack_pointer_increment().unsigned_abs();
        i.mnemonic() == Mnemonic::Call
            && width >= u32::from(size)
            && match i.op0_kind() {
                OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                    i.near_branch_target() == regs.rip
                }
                OpKind::Register => register_value(regs, sregs, bitness, i.op0_register())
                    .is_some_and(|v| low(v, width as u8) == regs.rip),
                OpKind::Memory => memory_target(i, regs, sregs, width, read) == Some(regs.rip),
                _ => false,
            }
    };
    let s = Suffixes::decode(before, bitness, ret);
    let (longest, len) = s.longest_first().find(|(i, _)| calls(i))?;
    let (insn, len) = (1..len)
        .find_map(|n| {
            s.by_len[n]
                .filter(|i| calls(i) && equivalent(i, &longest))
                .map(|i| (i, n))
        })
        .unwrap_or((longest, len));
    let width = insn.stack_pointer_increment().unsigned_abs();
    let mut r = *regs;
    // IP, EIP or RIP: as wide as the return address pushed.
    r.rip = low(ret.wrapping_sub(len as u64), width as u8);
    r.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), u64::from(width));
    Some(Retired { insn, len, regs: r })
}

/// The target of the CALL through memory `i` that pushed `width` bytes:
/// the operand read through `read`, its address computed from the
/// registers before the call (`regs` with RSP put back; a RIP-relative
/// displacement is already absolute, `i` being decoded at its own address).
fn memory_target(
    i: &Instruction,
    regs: &kvm_regs,
    sregs: &kvm_sregs,
    width: u32,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Option<u64> {
    let bytes = i.memory_size().size();
    if bytes != width as usize || !matches!(bytes, 2 | 4 | 8) {
        return None;
    }
    let mut prior = *regs;
    prior.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), u64::from(width));
    let at = memory_address(i, &prior, sregs)?;
    let mut buf = [0u8; 8];
    read(at, &mut buf[..bytes]).then(|| u64::from_le_bytes(buf))
}

/// The return addresses a CALL can have pushed when KVM reports a stack
/// write of `size` bytes of `data` with RIP at `rip` (the call's target):
/// `data` itself for a whole 2-, 4- or 8-byte slot; for the first part of
/// a slot that crosses a page, `data`'s low bytes under `rip`'s high ones
/// (one carry either way). [`undo_call`] checks each.
pub(crate) fn call_returns(rip: u64, size: u8, data: u64) -> [Option<u64>; 4] {
    let whole = matches!(size, 2 | 4 | 8).then(|| low(data, size));
    if !(1..=7).contains(&size) {
        return [whole, None, None, None];
    }
    let unit = 1u64 << (u32::from(size) * 8);
    let guess = (rip & !(unit - 1)) | low(data, size);
    [
        whole,
        Some(guess),
        Some(guess.wrapping_add(unit)),
        Some(guess.wrapping_sub(unit)),
    ]
}

/// The linear address a write by `i` writes, from the registers before
/// it: the new stack slot for PUSH and CALL (whose memory operand, if any,
/// is a source) — SS's base plus the stack pointer moved within the
/// stack-address size —; for POP to memory its operand, addressed with
/// RSP already incremented, as the processor addresses it; the memory
/// operand otherwise.
pub(crate) fn written_address(i: &Instruction, regs: &kvm_regs, sregs: &kvm_sregs) -> Option<u64> {
    let width = u64::from(i.stack_pointer_increment().unsigned_abs());
    match i.mnemonic() {
        Mnemonic::Push | Mnemonic::Call => {
            let slot = stack_moved(regs.rsp, stack_mask(regs, sregs), width.wrapping_neg());
            stack_address(regs, sregs, slot)
        }
        Mnemonic::Pop => {
            let mut after = *regs;
            after.rsp = stack_moved(regs.rsp, stack_mask(regs, sregs), width);
            memory_address(i, &after, sregs)
        }
        _ => memory_address(i, regs, sregs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testing::{long_mode, window};

    fn no_read(_: u64, _: &mut [u8]) -> bool {
        false
    }
    #[test]
    fn a_call_onto_the_stack_is_undone() {
        // call rel32 at 0x10_0000 to 0x10_0105: KVM reports the pushed
        // return address 0x10_0005 with RIP at the target, RSP lowered.
        let (mut regs, sregs) = long_mode();
        regs.rip = 0x10_0105;
        regs.rsp = 0x4000_00f8;
        let call = [0xe8, 0x00, 0x01, 0x00, 0x00];
        let access = Access::MemWrite {
            size: 8,
            data: 0x10_0005,
        };
        let r = undo_call(
            &window(&call),
            &regs,
            &sregs,
            access,
            0xf8,
            0x10_0005,
            &mut no_read,
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rip, r.regs.rsp), (5, 0x10_0000, 0x4000_0100));
        assert_eq!(written_address(&r.insn, &r.regs, &sregs), Some(0x4000_00f8));
        // Another target, another slot, or a plain store: not a call.
        let mut elsewhere = regs;
        elsewhere.rip = 0x10_0200;
        assert!(
            undo_call(
                &window(&call),
                &elsewhere,
                &sregs,
                access,
                0xf8,
                0x10_0005,
                &mut no_read
            )
            .is_none()
        );
        assert!(
            undo_call(
                &window(&call),
                &regs,
                &sregs,
                access,
                0xf0,
                0x10_0005,
                &mut no_read
            )
            .is_none()
        );
        assert!(
            undo_call(
                &window(&[0x89, 0x07]),
                &regs,
                &sregs,
                access,
                0xf8,
                0x10_0005,
                &mut no_read
            )
            .is_none()
        );
        // call rax (ff d0) when RAX holds the target.
        regs.rax = regs.rip;
        let access = Access::MemWrite {
            size: 8,
            data: 0x10_0002,
        };
        let r = undo_call(
            &window(&[0xff, 0xd0]),
            &regs,
            &sregs,
            access,
            0xf8,
            0x10_0002,
            &mut no_read,
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rip), (2, 0x10_0000));
        // The first 3 bytes of a slot that crosses a page: the return
        // address is one of the guesses.
        let part = Access::MemWrite {
            size: 3,
            data: 0x10_0002,
        };
        let guesses = call_returns(regs.rip, 3, 0x10_0002);
        assert!(guesses.contains(&Some(0x10_0002)));
        let r = undo_call(
            &window(&[0xff, 0xd0]),
            &regs,
            &sregs,
            part,
            0xf8,
            0x10_0002,
            &mut no_read,
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rsp), (2, 0x4000_0100));
    }

    #[test]
    fn a_call_onto_a_wrapping_16_bit_stack_is_undone() {
        use crate::decode::testing::real_mode;
        // call rel16 (e8 00 01) at IP 0x100 in real mode with SS:SP = 0:0:
        // KVM reports the return address 0x103 at SS:0xfffe, IP at the
        // target 0x203, SP = 0xfffe (RSP's bits 16-31 kept).
        let (mut regs, sregs) = real_mode();
        regs.rip = 0x203;
        regs.rsp = 0x1234_fffe;
        let access = Access::MemWrite {
            size: 2,
            data: 0x103,
        };
        let r = undo_call(
            &window(&[0xe8, 0x00, 0x01]),
            &regs,
            &sregs,
            access,
            0xfffe,
            0x103,
            &mut no_read,
        )
        .unwrap();
        assert_eq!((r.len, r.regs.rip, r.regs.rsp), (3, 0x100, 0x1234_0000));
        assert_eq!(written_address(&r.insn, &r.regs, &sregs), Some(0xfffe));
    }

    #[test]
    fn a_call_through_memory_is_undone() {
        // call [rax] (ff 10) at 0x10_0000: the qword at RAX holds the
        // target 0x10_0105; KVM reports the return address 0x10_0002.
        let (mut regs, sregs) = long_mode();
        regs.rip = 0x10_0105;
        regs.rsp = 0x4000_00f8;
        regs.rax = 0x2000;
        let mut memory = |at: u64, buf: &mut [u8]| {
            let table: [(u64, u64); 3] = [
                (0x2000, 0x10_0105),
                (0x10_0108, 0x10_0105),
                (0x4000_0108, 0x10_0105),
            ];
            match table.iter().find(|(a, _)| *a == at) {
                Some((_, v)) if buf.len() <= 8 => {
                    buf.copy_from_slice(&v.to_le_bytes()[..buf.len()]);
                    true
                }
                _ => false,
            }
        };
        let access = Access::MemWrite {
            size: 8,
            data: 0x10_0002,
        };
        let code = window(&[0xff, 0x10]);
        let r = undo_call(&code, &regs, &sregs, access, 0xf8, 0x10_0002, &mut memory).unwrap();
        assert_eq!((r.len, r.regs.rip, r.regs.rsp), (2, 0x10_0000, 0x4000_0100));
        assert_eq!(written_address(&r.insn, &r.regs, &sregs), Some(0x4000_00f8));
        // The operand cannot be read, or holds another target: not found.
        assert!(undo_call(&code, &regs, &sregs, access, 0xf8, 0x10_0002, &mut no_read).is_none());
        let mut other = regs;
        other.rax = 0x3000;
        assert!(undo_call(&code, &other, &sregs, access, 0xf8, 0x10_0002, &mut memory).is_none());
        // call [rip+0x100] (ff 15 00 01 00 00) at 0x10_0002: relative to
        // the return address 0x10_0008, the operand is at 0x10_0108.
        let access = Access::MemWrite {
            size: 8,
            data: 0x10_0008,
        };
        let code = window(&[0xff, 0x15, 0x00, 0x01, 0x00, 0x00]);
        let r = undo_call(&code, &regs, &sregs, access, 0xf8, 0x10_0008, &mut memory).unwrap();
        assert_eq!((r.len, r.regs.rip, r.regs.rsp), (6, 0x10_0002, 0x4000_0100));
        // call [rsp+8] (ff 54 24 08): RSP as it was before the push,
        // 0x4000_0100, plus 8.
        let access = Access::MemWrite {
            size: 8,
            data: 0x10_0004,
        };
        let code = window(&[0xff, 0x54, 0x24, 0x08]);
        let r = undo_call(&code, &regs, &sregs, access, 0xf8, 0x10_0004, &mut memory).unwrap();
        assert_eq!((r.len, r.regs.rip), (4, 0x10_0000));
    }
}
