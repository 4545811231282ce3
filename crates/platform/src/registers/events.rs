//! WHP's event registers over KVM's `kvm_vcpu_events`:
//!
//! * `WHvRegisterPendingInterruption` (`WHV_X64_PENDING_INTERRUPTION_REGISTER`,
//!   64 bits: 0 InterruptionPending, 1–3 InterruptionType, 4
//!   DeliverErrorCode, 5–8 InstructionLength, 9 NestedEvent, 10–15 reserved,
//!   16–31 InterruptionVector, 32–63 ErrorCode) is the event being injected
//!   on the next entry: KVM's *injected* exception, NMI or interrupt.
//!   KVM keeps no instruction length and no nested-event flag: they read as
//!   zero and are ignored on writes.
//! * `WHvRegisterInterruptState` (0 InterruptShadow, 1 NmiMasked) is KVM's
//!   interrupt shadow and NMI mask.
//! * `WHvRegisterPendingEvent` (`WHV_X64_PENDING_EXCEPTION_EVENT`, 128 bits:
//!   0 EventPending, 1–3 EventType, 8 DeliverErrorCode, 16–31 Vector, 32–63
//!   ErrorCode, 64–127 ExceptionParameter) is an exception raised but not
//!   yet delivered: KVM's *pending* exception with its payload (CR2 for #PF,
//!   DR6 bits for #DB). KVM separates pending from injected only when the VM
//!   has `KVM_CAP_EXCEPTION_PAYLOAD` enabled (`KVM_VCPUEVENT_VALID_PAYLOAD`
//!   in the flags); without it a pending exception cannot be written.
//!   A pending ExtINT event (`WHvX64PendingEventExtInt`) has no KVM
//!   counterpart (KVM's queued external vector is not visible to user
//!   space): writing one answers HRESULT_ERROR_NOT_SUPPORTED, and it never reads back.

use kvm_bindings::{
    KVM_VCPUEVENT_VALID_PAYLOAD, KVM_VCPUEVENT_VALID_SHADOW, KVM_X86_SHADOW_INT_MOV_SS,
    kvm_vcpu_events,
};
use winhv_defs::{E_INVALIDARG, HRESULT_ERROR_NOT_SUPPORTED};

use crate::{Error, Result};

/// `WHvX64PendingInterrupt`.
const TYPE_INTERRUPT: u64 = 0;
/// `WHvX64PendingNmi`.
const TYPE_NMI: u64 = 2;
/// `WHvX64PendingException`.
const TYPE_EXCEPTION: u64 = 3;
/// VMX's "software interrupt" type, which KVM reports as a soft interrupt.
const TYPE_SOFTWARE_INTERRUPT: u64 = 4;
/// `WHvX64PendingEventException`.
const EVENT_EXCEPTION: u128 = 0;
/// `WHvX64PendingEventExtInt`.
const EVENT_EXT_INT: u128 = 5;

/// `WHV_X64_PENDING_INTERRUPTION_REGISTER` from KVM's events.
pub(crate) fn pending_interruption(ev: &kvm_vcpu_events) -> u64 {
    let (kind, vector, error_code) = if ev.exception.injected != 0 {
        let code = (ev.exception.has_error_code != 0).then_some(ev.exception.error_code);
        (TYPE_EXCEPTION, u64::from(ev.exception.nr), code)
    } else if ev.nmi.injected != 0 {
        (TYPE_NMI, 2, None)
    } else if ev.interrupt.injected != 0 {
        let kind = if ev.interrupt.soft != 0 {
            TYPE_SOFTWARE_INTERRUPT
        } else {
            TYPE_INTERRUPT
        };
        (kind, u64::from(ev.interrupt.nr), None)
    } else {
        return 0;
    };
    1 | kind << 1
        | u64::from(error_code.is_some()) << 4
        | vector << 16
        | u64::from(error_code.unwrap_or(0)) << 32
}

/// Writes `WHV_X64_PENDING_INTERRUPTION_REGISTER` into KVM's events.
pub(crate) fn set_pending_interruption(ev: &mut kvm_vcpu_events, v: u64) -> Result<()> {
    if v & 0xfc00 != 0 {
        return Err(Error::new(
            E_INVALIDARG,
            "PendingInterruption: reserved bits 10-15 set",
        ));
    }
    let pending = v & 1 != 0;
    let kind = (v >> 1) & 7;
    let deliver_error_code = (v >> 4) & 1 != 0;
    let vector = (v >> 16) & 0xffff;
    let error_code = (v >> 32) as u32;
    if !pending {
        ev.exception.injected = 0;
        ev.nmi.injected = 0;
        ev.interrupt.injected = 0;
        return Ok(());
    }
    match kind {
        TYPE_INTERRUPT if vector <= 0xff && !deliver_error_code => {
            ev.exception.injected = 0;
            ev.nmi.injected = 0;
            ev.interrupt.injected = 1;
            ev.interrupt.nr = vector as u8;
            ev.interrupt.soft = 0;
        }
        TYPE_NMI if !deliver_error_code => {
            ev.exception.injected = 0;
            ev.interrupt.injected = 0;
            ev.nmi.injected = 1;
        }
        TYPE_EXCEPTION if vector < 32 => {
            ev.nmi.injected = 0;
            ev.interrupt.injected = 0;
            ev.exception.injected = 1;
            ev.exception.nr = vector as u8;
            ev.exception.has_error_code = u8::from(deliver_error_code);
            ev.exception.error_code = if deliver_error_code { error_code } else { 0 };
        }
        _ => {
            return Err(Error::with(
                E_INVALIDARG,
                format!(
                    "PendingInterruption: type {kind} vector {vector:#x} error code {deliver_error_code} is not valid"
                ),
            ));
        }
    }
    Ok(())
}

/// `WHV_X64_INTERRUPT_STATE_REGISTER` from KVM's events.
pub(crate) fn interrupt_state(ev: &kvm_vcpu_events) -> u64 {
    u64::from(ev.interrupt.shadow != 0) | u64::from(ev.nmi.masked != 0) << 1
}

/// Writes `WHV_X64_INTERRUPT_STATE_REGISTER` into KVM's events. A new
/// interrupt shadow is a MOV-SS shadow (the kind valid whatever RFLAGS.IF
/// is); an existing one keeps its kind.
pub(crate) fn set_interrupt_state(ev: &mut kvm_vcpu_events, v: u64) -> Result<()> {
    if v & !3 != 0 {
        return Err(Error::with(
            E_INVALIDARG,
            format!("InterruptState {v:#x}: reserved bits set"),
        ));
    }
    if v & 1 == 0 {
        ev.interrupt.shadow = 0;
    } else if ev.interrupt.shadow == 0 {
        ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS as u8;
    }
    ev.nmi.masked = ((v >> 1) & 1) as u8;
    ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
    Ok(())
}

/// `WHV_X64_PENDING_EXCEPTION_EVENT` from KVM's events.
pub(crate) fn pending_event(ev: &kvm_vcpu_events) -> u128 {
    if ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD == 0 || ev.exception.pending == 0 {
        return 0;
    }
    let has_code = ev.exception.has_error_code != 0;
    let code = if has_code { ev.exception.error_code } else { 0 };
    let parameter = if ev.exception_has_payload != 0 {
        ev.exception_payload
    } else {
        0
    };
    1 | EVENT_EXCEPTION << 1
        | u128::from(has_code) << 8
        | u128::from(ev.exception.nr) << 16
        | u128::from(code) << 32
        | u128::from(parameter) << 64
}

/// Writes `WHV_X64_PENDING_EXCEPTION_EVENT` into KVM's events.
pub(crate) fn set_pending_event(ev: &mut kvm_vcpu_events, v: u128) -> Result<()> {
    let pending = v & 1 != 0;
    let kind = (v >> 1) & 7;
    if !pending {
        ev.exception.pending = 0;
        ev.exception_has_payload = 0;
        ev.exception_payload = 0;
        return Ok(());
    }
    if kind == EVENT_EXT_INT {
        return Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "PendingEvent: KVM cannot hold a pending ExtINT event",
        ));
    }
    if kind != EVENT_EXCEPTION {
        return Err(Error::with(
            E_INVALIDARG,
            format!("PendingEvent: unknown event type {kind}"),
        ));
    }
    if v & 0xfef0 != 0 {
        return Err(Error::new(E_INVALIDARG, "PendingEvent: reserved bits set"));
    }
    let vector = ((v >> 16) & 0xffff) as u32;
    if vector >= 32 {
        return Err(Error::with(
            E_INVALIDARG,
            format!("PendingEvent: exception vector {vector:#x}"),
        ));
    }
    if ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD == 0 {
        return Err(Error::new(
            HRESULT_ERROR_NOT_SUPPORTED,
            "PendingEvent: a pending exception needs KVM_CAP_EXCEPTION_PAYLOAD enabled on the VM",
        ));
    }
    let deliver_error_code = (v >> 8) & 1 != 0;
    ev.exception.pending = 1;
    ev.exception.nr = vector as u8;
    ev.exception.has_error_code = u8::from(deliver_error_code);
    ev.exception.error_code = if deliver_error_code {
        (v >> 32) as u32
    } else {
        0
    };
    let parameter = (v >> 64) as u64;
    // Only #DB and #PF carry a payload on x86.
    ev.exception_has_payload = u8::from(matches!(vector, 1 | 14));
    ev.exception_payload = if ev.exception_has_payload != 0 {
        parameter
    } else {
        0
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_with_error_code_round_trips() {
        let mut ev = kvm_vcpu_events::default();
        let v = 1 | 3 << 1 | 1 << 4 | 13 << 16 | 0x18_u64 << 32;
        set_pending_interruption(&mut ev, v).unwrap();
        assert_eq!(
            (
                ev.exception.injected,
                ev.exception.nr,
                ev.exception.has_error_code
            ),
            (1, 13, 1)
        );
        assert_eq!(ev.exception.error_code, 0x18);
        assert_eq!(pending_interruption(&ev), v);
    }

    #[test]
    fn interrupt_and_nmi_round_trip_and_clear() {
        let mut ev = kvm_vcpu_events::default();
        let irq = 1 | 0x41 << 16;
        set_pending_interruption(&mut ev, irq).unwrap();
        assert_eq!(
            (ev.interrupt.injected, ev.interrupt.nr, ev.interrupt.soft),
            (1, 0x41, 0)
        );
        assert_eq!(pending_interruption(&ev), irq);
        let nmi = 1 | 2 << 1 | 2 << 16;
        set_pending_interruption(&mut ev, nmi).unwrap();
        assert_eq!((ev.nmi.injected, ev.interrupt.injected), (1, 0));
        assert_eq!(pending_interruption(&ev), nmi);
        set_pending_interruption(&mut ev, 0).unwrap();
        assert_eq!(pending_interruption(&ev), 0);
    }

    #[test]
    fn invalid_interruptions_are_refused_untouched() {
        let mut ev = kvm_vcpu_events::default();
        for v in [
            1 | 0x100 << 16,
            1 | 3 << 1 | 32 << 16,
            1 | 6 << 1,
            1 | 1 << 10,
            1 | 1 << 4 | 0x20 << 16,
        ] {
            assert_eq!(
                set_pending_interruption(&mut ev, v).unwrap_err().hresult,
                E_INVALIDARG,
                "{v:#x}"
            );
        }
        assert_eq!(ev, kvm_vcpu_events::default());
    }

    #[test]
    fn interrupt_state_bits() {
        let mut ev = kvm_vcpu_events::default();
        set_interrupt_state(&mut ev, 3).unwrap();
        assert_eq!(
            (ev.interrupt.shadow, ev.nmi.masked),
            (KVM_X86_SHADOW_INT_MOV_SS as u8, 1)
        );
        assert_ne!(ev.flags & KVM_VCPUEVENT_VALID_SHADOW, 0);
        assert_eq!(interrupt_state(&ev), 3);
        set_interrupt_state(&mut ev, 0).unwrap();
        assert_eq!(interrupt_state(&ev), 0);
        assert!(set_interrupt_state(&mut ev, 4).is_err());
    }

    #[test]
    fn pending_page_fault_carries_cr2() {
        let mut ev = kvm_vcpu_events {
            flags: KVM_VCPUEVENT_VALID_PAYLOAD,
            ..Default::default()
        };
        let v = 1 | 1 << 8 | 14 << 16 | 2_u128 << 32 | 0xdead_b000_u128 << 64;
        set_pending_event(&mut ev, v).unwrap();
        assert_eq!(
            (
                ev.exception.pending,
                ev.exception.nr,
                ev.exception_has_payload
            ),
            (1, 14, 1)
        );
        assert_eq!(ev.exception_payload, 0xdead_b000);
        assert_eq!(pending_event(&ev), v);
        let mut no_payload = kvm_vcpu_events::default();
        assert_eq!(
            set_pending_event(&mut no_payload, v).unwrap_err().hresult,
            HRESULT_ERROR_NOT_SUPPORTED
        );
        assert_eq!(
            set_pending_event(&mut ev, 1 | 5 << 1 | 0x30 << 8)
                .unwrap_err()
                .hresult,
            HRESULT_ERROR_NOT_SUPPORTED
        );
    }
}
