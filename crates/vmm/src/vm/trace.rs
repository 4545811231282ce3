//! `--trace-exits`: one line on stderr per exit, what it was and where.

use winhv::defs::*;

/// Prints `exit` of VP `vp`.
pub fn exit(vp: u32, exit: &WHV_RUN_VP_EXIT_CONTEXT) {
    let rip = exit.VpContext.Rip;
    let what = match exit.ExitReason {
        WHvRunVpExitReasonX64IoPortAccess => {
            // SAFETY: the exit reason selects the IoPortAccess member.
            let io = unsafe { exit.Anonymous.IoPortAccess };
            let dir = if io.AccessInfo.is_write() != 0 {
                "out"
            } else {
                "in"
            };
            format!(
                "io {dir} port {:#x} size {} rax {:#x}{}",
                io.PortNumber,
                io.AccessInfo.access_size(),
                io.Rax,
                if io.AccessInfo.string_op() != 0 {
                    " string"
                } else {
                    ""
                }
            )
        }
        WHvRunVpExitReasonMemoryAccess => {
            // SAFETY: the exit reason selects the MemoryAccess member.
            let m = unsafe { exit.Anonymous.MemoryAccess };
            format!(
                "memory type {} gpa {:#x}",
                m.AccessInfo.access_type(),
                m.Gpa
            )
        }
        other => format!("{other:?}"),
    };
    eprintln!("[vp{vp}] rip {rip:#x} {what}");
}
