//! Several VPs on threads, as a Windows VMM runs them: the BSP (VP 0)
//! starts its APs with INIT and SIPI through its own APIC's ICR (xAPIC MMIO
//! or x2APIC MSRs), each AP reports in from long mode, and fixed IPIs, NMIs,
//! an all-but-self IPI and a self-IPI are counted on both sides; then the
//! host sends interrupts of every kind to the running VPs
//! (WHvRequestInterrupt from the test thread) and, with every VP stopped,
//! asks WHvGetInterruptTargetVpSet where destinations go. And a VMM can
//! start an AP itself with WHvRequestInterrupt INIT + SIPI.
//!
//! APs wait for their SIPI, as on Windows with LAPIC emulation (QEMU runs
//! WHPX APs from the start and relies on it; openvmm's
//! `Activity::at_reset` gives APs `MpState::WaitForSipi`): they read
//! InternalActivityState StartupSuspend until started.
#![allow(unsafe_code, reason = "test guests live in mmap'd memory")]

mod apic_guest;
mod common;

use std::sync::mpsc::{Receiver, Sender, channel};

use apic_guest::*;
use winhv::Partition;
use winhv::defs::*;

/// A port write of VP `vp`, with its handler counts (by vector) as they
/// were at that exit: the VP was stopped, so they are exactly what it had
/// handled before the write.
struct Write {
    vp: u32,
    port: u16,
    value: u32,
    counts: Vec<u32>,
}

/// What a VP thread tells the test thread.
enum Event {
    Port(Write),
    /// VP `vp`'s thread panicked (its message is on stderr).
    Panicked(u32),
}

/// Sends [`Event::Panicked`] when the VP thread unwinds, so that the test
/// thread fails instead of waiting forever.
struct PanicReporter(Sender<Event>, u32);

impl Drop for PanicReporter {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Event::Panicked(self.1));
        }
    }
}

/// Runs VP `vp` until a run ends Canceled, reporting every port write; at
/// STARTED and SENT (the BSP's) waits for `go` before running on.
fn vp_thread(p: &Partition, vp: u32, events: Sender<Event>, go: Option<Receiver<()>>) {
    let _reporter = PanicReporter(events.clone(), vp);
    loop {
        let x = p.run_vp(vp).unwrap();
        if x.ExitReason == WHvRunVpExitReasonCanceled {
            return;
        }
        assert_eq!(
            x.ExitReason, WHvRunVpExitReasonX64IoPortAccess,
            "VP {vp}: exit {:?} at RIP {:#x}",
            x.ExitReason, x.VpContext.Rip
        );
        // SAFETY: the exit reason says which member is live.
        let io = unsafe { x.Anonymous.IoPortAccess };
        assert_ne!(
            io.PortNumber,
            winhv_guest::layout::DEFAULT_EXCEPTION_PORT,
            "VP {vp}: exception {:#x} at RIP {:#x}",
            io.Rax,
            x.VpContext.Rip
        );
        let rip = x.VpContext.Rip + u64::from(x.VpContext.instruction_length());
        common::set64(p, vp, WHvX64RegisterRip, rip);
        let counts = (0..256).map(|v| count(p, vp, v)).collect();
        let write = Write {
            vp,
            port: io.PortNumber,
            value: io.Rax as u32,
            counts,
        };
        // The test thread stops listening once it has all it wants (and
        // cancels the runs).
        let _ = events.send(Event::Port(write));
        if let (Some(go), STARTED | SENT) = (&go, io.PortNumber) {
            if go.recv().is_err() {
                return;
            }
        }
    }
}

/// How long the test thread waits for any VP to report before it calls
/// the test hung (a watchdog: a passing run reports within milliseconds).
const HUNG: std::time::Duration = std::time::Duration::from_secs(60);

/// Takes events until `done` (called after each) says so; `p` and `vps`
/// for the message if none comes.
fn wait(p: &Partition, vps: u32, events: &Receiver<Event>, mut done: impl FnMut(&Write) -> bool) {
    loop {
        match events.recv_timeout(HUNG) {
            Ok(Event::Port(w)) => {
                if done(&w) {
                    return;
                }
            }
            Ok(Event::Panicked(vp)) => panic!("VP {vp}'s thread failed"),
            Err(e) => panic!(
                "no VP reported for {HUNG:?} ({e}); counts:\n{}",
                table(p, vps)
            ),
        }
    }
}

/// The counts each VP showed at its latest WOKE.
struct Woke(Vec<Option<Vec<u32>>>);

impl Woke {
    fn new(vps: u32) -> Self {
        Self(vec![None; vps as usize])
    }

    fn see(&mut self, w: &Write) {
        if w.port == WOKE {
            self.0[w.vp as usize] = Some(w.counts.clone());
        }
    }

    /// Whether every VP in `vps` reported WOKE with `ok(vp, counts)`.
    fn all(&self, vps: &[u32], ok: impl Fn(u32, &[u32]) -> bool) -> bool {
        vps.iter()
            .all(|&vp| self.0[vp as usize].as_deref().is_some_and(|c| ok(vp, c)))
    }

    /// The sum of `vector`'s counts over every VP's latest WOKE.
    fn sum(&self, vector: u32) -> u32 {
        self.0.iter().flatten().map(|c| c[vector as usize]).sum()
    }
}

/// Cancels every VP's run when dropped: a failing test thread must not
/// leave VP threads halted in their runs (the scope would wait for them).
struct CancelAll<'a>(&'a Partition, u32);

impl Drop for CancelAll<'_> {
    fn drop(&mut self) {
        for vp in 0..self.1 {
            let _ = self.0.cancel_run_vp(vp, 0);
        }
    }
}

/// The handler counts of every VP, for failure messages.
fn table(p: &Partition, vps: u32) -> String {
    let mut t = String::new();
    for vp in 0..vps {
        let c: Vec<String> = std::iter::once(NMI)
            .chain(FIRST_VECTOR..=LAST_VECTOR)
            .filter(|&v| count(p, vp, v) != 0)
            .map(|v| format!("{v:#x}:{}", count(p, vp, v)))
            .collect();
        t += &format!("VP {vp}: {}\n", c.join(" "));
    }
    t
}

fn activity(p: &Partition, vp: u32) -> u64 {
    common::get64(p, vp, WHvRegisterInternalActivityState)
}

fn smp(mode: WHV_X64_LOCAL_APIC_EMULATION_MODE, vps: u32) {
    let Some((p, _mem)) = partition(mode, vps, Bsp::StartAps { vps }) else {
        return;
    };
    let x2apic = mode == WHvX64LocalApicEmulationModeX2Apic;
    assert_eq!(activity(&p, 0), 0, "the BSP runs");
    for ap in 1..vps {
        assert_eq!(
            activity(&p, ap),
            1,
            "AP {ap} waits for SIPI (StartupSuspend)"
        );
    }
    let aps: Vec<u32> = (1..vps).collect();
    let all: Vec<u32> = (0..vps).collect();
    std::thread::scope(|s| {
        let (tx, events) = channel();
        let (go_tx, go) = channel();
        let _cancel = CancelAll(&p, vps);
        for ap in 1..vps {
            let (p, tx) = (&p, tx.clone());
            s.spawn(move || vp_thread(p, ap, tx, None));
        }
        {
            let (p, tx) = (&p, tx.clone());
            s.spawn(move || vp_thread(p, 0, tx, Some(go)));
        }

        // Start-up: the BSP's INIT/SIPI bring every AP to long mode.
        let mut online = vec![false; vps as usize];
        let mut started = false;
        wait(
            &p,
            vps,
            &events,
            |&Write {
                 vp, port, value, ..
             }| {
                match port {
                    STARTED => {
                        assert_eq!(vp, 0);
                        started = true;
                    }
                    ONLINE => {
                        assert_eq!(value, vp, "AP {vp} reads its initial APIC ID");
                        assert!(!online[vp as usize], "AP {vp} came up twice");
                        online[vp as usize] = true;
                    }
                    _ => panic!("VP {vp}: port {port:#x} during start-up"),
                }
                started && online[1..].iter().all(|&o| o)
            },
        );
        go_tx.send(()).unwrap();

        // The BSP's IPIs. An interrupt that arrives while another is being
        // handled may be taken only at the VP's next HLT (PVM does not
        // deliver it at the IRET: docs/pvm.md), so the test waits for the
        // counts rather than for one wake-up per interrupt.
        let mut woke = Woke::new(vps);
        let mut sent_all = false;
        let expected = |_: u32, c: &[u32]| {
            [V_FIXED, NMI, V_ALL_BUT_SELF, V_FLUSH]
                .iter()
                .all(|&v| c[v as usize] >= 1)
        };
        wait(&p, vps, &events, |w| {
            woke.see(w);
            sent_all |= w.vp == 0 && w.port == SENT;
            sent_all && woke.all(&aps, expected)
        });
        let n = vps - 1;
        assert_eq!(sent(&p, V_FIXED), n);
        assert_eq!(sent(&p, NMI), n);
        assert_eq!(sent(&p, V_ALL_BUT_SELF), n);
        assert_eq!(sent(&p, V_SELF), 1);
        for ap in 1..vps {
            assert_eq!(count(&p, ap, V_FIXED), 1, "AP {ap}: its fixed IPI");
            assert_eq!(count(&p, ap, NMI), 1, "AP {ap}: its NMI");
            assert_eq!(count(&p, ap, V_ALL_BUT_SELF), 1, "AP {ap}: all-but-self");
            assert_eq!(count(&p, ap, V_FLUSH), 1, "AP {ap}: the flush");
            assert_eq!(count(&p, ap, V_SELF), 0, "AP {ap}: not the BSP's self-IPI");
        }
        assert_eq!(count(&p, 0, V_SELF), 1, "the BSP's self-IPI");
        for v in [V_FIXED, NMI, V_ALL_BUT_SELF, V_FLUSH] {
            assert_eq!(count(&p, 0, v), 0, "the BSP got vector {v:#x}");
        }
        go_tx.send(()).unwrap();

        // The host's requests, every VP running (halted) on its thread.
        let physical = WHvX64InterruptDestinationModePhysical;
        let logical = WHvX64InterruptDestinationModeLogical;
        let edge = WHvX64InterruptTriggerModeEdge;
        let broadcast = if x2apic { 0xffff_ffff } else { 0xff };
        for vp in 0..vps {
            p.request_interrupt(&fixed(vp, 0x30)).unwrap();
        }
        let nmi = control(WHvX64InterruptTypeNmi, physical, edge, vps - 1, 0);
        p.request_interrupt(&nmi).unwrap();
        // Logical ID = bit `vp` (the guest's flat LDR; x2APIC cluster 0).
        let pair = 0b110;
        p.request_interrupt(&control(
            WHvX64InterruptTypeFixed,
            logical,
            edge,
            pair,
            0x31,
        ))
        .unwrap();
        let aps_mask = (1u32 << vps) - 2;
        let lowest = control(
            WHvX64InterruptTypeLowestPriority,
            logical,
            edge,
            aps_mask,
            0x32,
        );
        p.request_interrupt(&lowest).unwrap();
        p.request_interrupt(&fixed(broadcast, 0x33)).unwrap();
        // An NMI still pending when a VP reports the broadcast's WOKE is
        // injected at the re-entry after that exit, so no WOKE would show
        // it (NMIs ignore IF): once every VP has reported the broadcast, a
        // last fixed interrupt to each brings a WOKE after it.
        let mut woke = Woke::new(vps);
        wait(&p, vps, &events, |w| {
            woke.see(w);
            woke.all(&all, |_, c| c[0x33] >= 1)
        });
        const V_LAST: u32 = 0x34;
        for vp in 0..vps {
            p.request_interrupt(&fixed(vp, V_LAST)).unwrap();
        }
        let expected = |vp: u32, c: &[u32]| {
            let nmis = if vp == vps - 1 { 2 } else { u32::from(vp != 0) };
            c[0x30] >= 1
                && c[0x33] >= 1
                && c[0x31] >= u32::from(pair & (1 << vp) != 0)
                && c[NMI as usize] >= nmis
                && c[V_LAST as usize] >= 1
        };
        wait(&p, vps, &events, |w| {
            woke.see(w);
            woke.all(&all, expected) && woke.sum(0x32) >= 1
        });
        for vp in 0..vps {
            assert_eq!(count(&p, vp, 0x30), 1, "VP {vp}: physical");
            let in_pair = pair & (1 << vp) != 0;
            assert_eq!(count(&p, vp, 0x31), u32::from(in_pair), "VP {vp}: logical");
            assert_eq!(count(&p, vp, 0x33), 1, "VP {vp}: broadcast");
        }
        assert_eq!(count(&p, vps - 1, NMI), 2, "the last AP's second NMI");
        let lowest_takers: u32 = (0..vps).map(|vp| count(&p, vp, 0x32)).sum();
        assert_eq!(lowest_takers, 1, "lowest priority: exactly one AP");
        assert_eq!(count(&p, 0, 0x32), 0, "and not the BSP");

        for vp in 0..vps {
            p.cancel_run_vp(vp, 0).unwrap();
        }
    });

    // Every VP stopped: where destinations go.
    let set = |dest: u64, mode| {
        let mut out = vec![u32::MAX; vps as usize];
        let n = p.get_interrupt_target_vp_set(dest, mode, &mut out).unwrap() as usize;
        out.truncate(n);
        out
    };
    let physical = WHvX64InterruptDestinationModePhysical;
    let logical = WHvX64InterruptDestinationModeLogical;
    for vp in 0..vps {
        assert_eq!(set(u64::from(vp), physical), [vp]);
        assert_eq!(set(1 << vp, logical), [vp]);
    }
    let pair: Vec<u32> = [1, 2].into_iter().filter(|&vp| vp < vps).collect();
    assert_eq!(set(0b110, logical), pair);
    assert_eq!(set(0xffff_ffff, physical), all);
    if x2apic {
        assert_eq!(set(0xff, physical), [] as [u32; 0], "x2APIC ID 255");
        assert_eq!(set(0x1_0002, logical), [] as [u32; 0], "cluster 1");
    } else {
        assert_eq!(set(0xff, physical), all);
        assert_eq!(set(0xff, logical), all);
    }
}

#[test]
fn two_vps_xapic() {
    smp(WHvX64LocalApicEmulationModeXApic, 2);
}

#[test]
fn four_vps_xapic() {
    smp(WHvX64LocalApicEmulationModeXApic, 4);
}

#[test]
fn eight_vps_xapic() {
    smp(WHvX64LocalApicEmulationModeXApic, 8);
}

#[test]
fn two_vps_x2apic() {
    smp(WHvX64LocalApicEmulationModeX2Apic, 2);
}

#[test]
fn eight_vps_x2apic() {
    smp(WHvX64LocalApicEmulationModeX2Apic, 8);
}

#[test]
fn the_host_starts_an_ap_with_init_and_sipi() {
    let Some((p, _mem)) = partition(WHvX64LocalApicEmulationModeXApic, 2, Bsp::Idle) else {
        return;
    };
    assert_eq!(activity(&p, 1), 1, "StartupSuspend");
    let physical = WHvX64InterruptDestinationModePhysical;
    let edge = WHvX64InterruptTriggerModeEdge;
    std::thread::scope(|s| {
        let ap = s.spawn(|| run_to_port(&p, 1));
        // The AP's thread waits inside its run for the SIPI, as on Windows.
        p.request_interrupt(&control(WHvX64InterruptTypeInit, physical, edge, 1, 0))
            .unwrap();
        p.request_interrupt(&control(
            WHvX64InterruptTypeSipi,
            physical,
            edge,
            1,
            SIPI_VECTOR,
        ))
        .unwrap();
        assert_eq!(ap.join().unwrap(), (ONLINE, 1));
    });
    assert_eq!(activity(&p, 1), 0, "running");
    let efer = common::get64(&p, 1, WHvX64RegisterEfer);
    assert_ne!(efer & (1 << 10), 0, "in long mode now (EFER.LMA)");
}
