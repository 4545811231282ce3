//! What the saved-state tests share: small x86 firmware images that bring
//! a QEMU machine into real, protected or long mode with known register
//! and memory contents, and a driver that boots one in Debian's
//! qemu-system-x86 (fetched into `.cache/qemu` by `scripts/setup`), waits
//! until the guest has halted, and has QEMU write a `dump-guest-memory`
//! ELF core over QMP.
//!
//! The firmware is one 64 KiB image. Its first 32 KiB (the "blob": GDT,
//! page tables, 32- and 64-bit code) is copied by the real-mode entry to
//! RAM at 0x10000; the real-mode entry lives at image offset 0x8000 and is
//! reached from the reset vector by a far jump to F000:8000. Each program
//! ends with `out 0xe9, al` (QEMU's debug console, which tells the test the
//! guest is done; OUT changes no register) and `hlt` with interrupts off.

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod build;
pub mod edit;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use iced_x86::code_asm::*;
use iced_x86::{Code, Instruction};

/// Where the blob is copied to in guest RAM.
pub const BLOB_GPA: u64 = 0x1_0000;
/// The blob's size (the first half of the image).
pub const BLOB_SIZE: usize = 0x8000;
/// The GDT, in the blob.
pub const GDT_OFF: usize = 0x100;
/// The GDTR pseudo-descriptor, in the blob.
pub const GDTR_OFF: usize = 0x140;
/// The 32-bit code, in the blob.
pub const CODE32_OFF: usize = 0x800;
/// The 64-bit code, in the blob.
pub const CODE64_OFF: usize = 0xc00;
/// The first page table, in the blob (GPA 0x11000).
pub const TABLES_OFF: usize = 0x1000;
/// Where the 32- and 64-bit guests write their marker string.
pub const MARKER_GPA: u64 = 0x30_0000;
/// Where the real-mode guest writes its marker string.
pub const REAL_TEXT_GPA: u64 = 0x1_7000;
/// The 32-bit guests map `MARKER_GPA` here (4 KiB page).
pub const MARKER_VA32: u64 = 0xc000_0000;
/// The 32-bit guests map GPA 0x400000 here with one 4 MiB page.
pub const BIG_VA32: u64 = 0xc040_0000;
/// The 64-bit guest maps `MARKER_GPA` here (4 KiB page, XD).
pub const MARKER_VA64: u64 = 0xffff_8000_0000_1000;
/// The 64-bit guest maps GPA 0x4000_0000 here with one 1 GiB page.
pub const GIG_VA64: u64 = 0x4000_0000;

/// Selectors of the firmware's GDT.
pub const CODE32_SEL: u16 = 0x08;
/// The flat data selector.
pub const DATA_SEL: u16 = 0x10;
/// The 64-bit code selector.
pub const CODE64_SEL: u16 = 0x18;

/// The general registers each program leaves, by name.
pub const RBX: u64 = 0x1111_2222_3333_4444;
/// .
pub const RCX: u64 = 0x5555_6666_7777_8888;
/// .
pub const RDX: u64 = 0x9999_aaaa_bbbb_cccc;
/// .
pub const RSI: u64 = 0x0123_4567_89ab_cdef;
/// .
pub const RDI: u64 = 0xfedc_ba98_7654_3210;
/// .
pub const RBP: u64 = 0x0bad_f00d_dead_beef;

/// Which state the program leaves the CPU in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Real mode, DS = 0x1000.
    Real,
    /// 32-bit protected mode with 32-bit paging (4 KiB and 4 MiB pages).
    Protected,
    /// 64-bit long mode with 4-level paging.
    Long,
}

/// A built firmware: the image and where its final `hlt` is.
pub struct Firmware {
    /// The 64 KiB image.
    pub image: Vec<u8>,
    /// The linear address of the final `hlt`; RIP is past it once halted.
    pub hlt: u64,
    /// The byte the program writes to port 0xe9 (AL at the end).
    pub marker: u8,
    /// The value of RAX at the end.
    pub rax: u64,
    /// The stack pointer at the end.
    pub rsp: u64,
    /// The string the program writes at `MARKER_GPA`.
    pub text: &'static [u8; 8],
}

fn asm(
    bitness: u32,
    ip: u64,
    f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
) -> Vec<u8> {
    let mut a = CodeAssembler::new(bitness).expect("assembler");
    f(&mut a).expect("assemble");
    a.assemble(ip).expect("assemble")
}

fn put(image: &mut [u8], at: usize, bytes: &[u8]) {
    image[at..at + bytes.len()].copy_from_slice(bytes);
}

fn put64(image: &mut [u8], at: usize, v: u64) {
    put(image, at, &v.to_le_bytes());
}

fn put32(image: &mut [u8], at: usize, v: u32) {
    put(image, at, &v.to_le_bytes());
}

/// A page-table entry's GPA in the blob.
fn table_gpa(n: usize) -> u64 {
    BLOB_GPA + (TABLES_OFF + 0x1000 * n) as u64
}

fn table_off(n: usize) -> usize {
    TABLES_OFF + 0x1000 * n
}

/// Builds the firmware for `mode`.
pub fn firmware(mode: Mode) -> Firmware {
    let mut image = vec![0xf4u8; 0x1_0000];
    image[..BLOB_SIZE].fill(0);

    // GDT: null, flat 32-bit code, flat data, 64-bit code.
    put64(&mut image, GDT_OFF + 8, 0x00cf_9b00_0000_ffff);
    put64(&mut image, GDT_OFF + 16, 0x00cf_9300_0000_ffff);
    put64(&mut image, GDT_OFF + 24, 0x00af_9b00_0000_ffff);
    image[GDTR_OFF..GDTR_OFF + 2].copy_from_slice(&31u16.to_le_bytes());
    put32(
        &mut image,
        GDTR_OFF + 2,
        (BLOB_GPA as usize + GDT_OFF) as u32,
    );

    let (text, marker): (&'static [u8; 8], u8) = match mode {
        Mode::Real => (b"REALMODE", b'R'),
        Mode::Protected => (b"PROTMODE", b'P'),
        Mode::Long => (b"LONGMODE", b'L'),
    };
    let rax_for = |marker: u8| 0x7700_0000_0000_0000u64 | 0x3300 | u64::from(marker);

    // Page tables.
    let (cr3_v, hlt_v, rax_v, rsp_v) = match mode {
        Mode::Real => (0, 0, 0, 0),
        Mode::Protected => {
            // PD at table 0: PDE 0 -> PT (table 1) identity 0..4 MiB;
            // PDE 0x300 -> PT (table 2) with PTE 0 -> MARKER_GPA;
            // PDE 0x301 -> 4 MiB page at 0x400000.
            let pd = table_off(0);
            put32(&mut image, pd, table_gpa(1) as u32 | 0x3);
            put32(&mut image, pd + 4 * 0x300, table_gpa(2) as u32 | 0x3);
            put32(&mut image, pd + 4 * 0x301, 0x40_0000 | 0x83);
            for i in 0..1024 {
                put32(&mut image, table_off(1) + 4 * i, (i as u32) << 12 | 0x3);
            }
            put32(&mut image, table_off(2), MARKER_GPA as u32 | 0x3);
            (table_gpa(0), 0, rax_for(marker) & 0xffff_ffff, 0x9000)
        }
        Mode::Long => {
            // PML4 (0) -> PDPT (1) -> PD (2): 2 MiB identity pages 0..4 MiB;
            // PDPT[1]: a 1 GiB page at 0x4000_0000.
            // PML4[256] -> PDPT (3) -> PD (4) -> PT (5): PTE 1 -> MARKER_GPA, XD.
            put64(&mut image, table_off(0), table_gpa(1) | 0x3);
            put64(&mut image, table_off(1), table_gpa(2) | 0x3);
            put64(&mut image, table_off(1) + 8, 0x4000_0000 | 0x83);
            put64(&mut image, table_off(2), 0x83);
            put64(&mut image, table_off(2) + 8, 0x20_0000 | 0x83);
            put64(&mut image, table_off(0) + 8 * 256, table_gpa(3) | 0x3);
            put64(&mut image, table_off(3), table_gpa(4) | 0x3);
            put64(&mut image, table_off(4), table_gpa(5) | 0x3);
            put64(&mut image, table_off(5) + 8, MARKER_GPA | 0x3 | 1 << 63);
            (table_gpa(0), 0, rax_for(marker), 0x9000)
        }
    };

    let code32_ip = BLOB_GPA + CODE32_OFF as u64;
    let code64_ip = BLOB_GPA + CODE64_OFF as u64;
    let text_lo = u32::from_le_bytes(text[..4].try_into().unwrap());
    let text_hi = u32::from_le_bytes(text[4..].try_into().unwrap());
    let mut hlt_v = hlt_v;
    let mut rax_v = rax_v;
    let mut rsp_v = rsp_v;

    match mode {
        Mode::Real => {}
        Mode::Protected => {
            let code = asm(32, code32_ip, |a| {
                a.mov(ax, u32::from(DATA_SEL))?;
                a.mov(ds, ax)?;
                a.mov(es, ax)?;
                a.mov(ss, ax)?;
                a.mov(fs, ax)?;
                a.mov(gs, ax)?;
                a.mov(esp, rsp_v as u32)?;
                a.mov(eax, cr3_v as u32)?;
                a.mov(cr3, eax)?;
                a.mov(eax, cr4)?;
                a.or(eax, 0x10)?; // PSE
                a.mov(cr4, eax)?;
                a.mov(eax, cr0)?;
                a.or(eax, 0x8000_0000u32 as i32)?;
                a.mov(cr0, eax)?;
                // Through the 4 KiB mapping at 0xC0000000.
                a.mov(dword_ptr(MARKER_VA32), text_lo)?;
                a.mov(dword_ptr(MARKER_VA32 + 4), text_hi)?;
                a.mov(ebx, RBX as u32)?;
                a.mov(ecx, RCX as u32)?;
                a.mov(edx, RDX as u32)?;
                a.mov(esi, RSI as u32)?;
                a.mov(edi, RDI as u32)?;
                a.mov(ebp, RBP as u32)?;
                a.mov(eax, rax_v as u32)?;
                a.out(0xe9, al)?;
                a.hlt()
            });
            hlt_v = code32_ip + code.len() as u64 - 1;
            put(&mut image, CODE32_OFF, &code);
        }
        Mode::Long => {
            let code = asm(32, code32_ip, |a| {
                a.mov(ax, u32::from(DATA_SEL))?;
                a.mov(ds, ax)?;
                a.mov(es, ax)?;
                a.mov(ss, ax)?;
                a.mov(esp, rsp_v as u32)?;
                a.mov(eax, cr4)?;
                a.or(eax, 0x20)?; // PAE
                a.mov(cr4, eax)?;
                a.mov(eax, cr3_v as u32)?;
                a.mov(cr3, eax)?;
                a.mov(ecx, 0xc000_0080u32)?;
                a.rdmsr()?;
                a.or(eax, 0x900)?; // LME | NXE
                a.wrmsr()?;
                a.mov(eax, cr0)?;
                a.or(eax, 0x8000_0000u32 as i32)?;
                a.mov(cr0, eax)?;
                a.add_instruction(
                    Instruction::with_far_branch(Code::Jmp_ptr1632, CODE64_SEL, code64_ip as u32)
                        .unwrap(),
                )
            });
            put(&mut image, CODE32_OFF, &code);
            let code = asm(64, code64_ip, |a| {
                a.mov(rax, MARKER_VA64)?;
                a.mov(dword_ptr(rax), text_lo)?;
                a.mov(dword_ptr(rax + 4), text_hi)?;
                a.mov(rbx, RBX)?;
                a.mov(rcx, RCX)?;
                a.mov(rdx, RDX)?;
                a.mov(rsi, RSI)?;
                a.mov(rdi, RDI)?;
                a.mov(rbp, RBP)?;
                for (i, r) in [r8, r9, r10, r11, r12, r13, r14, r15]
                    .into_iter()
                    .enumerate()
                {
                    a.mov(r, 0x0808_0808_0000_0000u64 + i as u64)?;
                }
                a.mov(rax, rax_for(marker))?;
                a.out(0xe9, al)?;
                a.hlt()
            });
            hlt_v = code64_ip + code.len() as u64 - 1;
            put(&mut image, CODE64_OFF, &code);
        }
    }

    // The real-mode entry at F000:8000: copy the blob to 0x10000, then
    // go on by mode.
    let real_ip = 0x8000u64;
    let code = asm(16, real_ip, |a| {
        a.cli()?;
        a.cld()?;
        a.mov(ax, 0xf000u32)?;
        a.mov(ds, ax)?;
        a.xor(si, si)?;
        a.mov(ax, (BLOB_GPA >> 4) as u32)?;
        a.mov(es, ax)?;
        a.xor(di, di)?;
        a.mov(cx, (BLOB_SIZE / 2) as u32)?;
        a.rep().movsw()?;
        a.mov(ax, (BLOB_GPA >> 4) as u32)?;
        a.mov(ds, ax)?;
        match mode {
            Mode::Real => {
                a.mov(ax, 0x2000u32)?;
                a.mov(ss, ax)?;
                a.mov(sp, 0x7000u32)?;
                // Below 1 MiB: the string goes to DS:0x7000 (REAL_TEXT_GPA).
                a.mov(dword_ptr(REAL_TEXT_GPA - BLOB_GPA), text_lo)?;
                a.mov(dword_ptr(REAL_TEXT_GPA - BLOB_GPA + 4), text_hi)?;
                a.mov(ebx, RBX as u32)?;
                a.mov(ecx, RCX as u32)?;
                a.mov(edx, RDX as u32)?;
                a.mov(esi, RSI as u32)?;
                a.mov(edi, RDI as u32)?;
                a.mov(ebp, RBP as u32)?;
                a.mov(eax, (rax_for(marker) & 0xffff_ffff) as u32)?;
                a.out(0xe9, al)?;
                a.hlt()
            }
            Mode::Protected | Mode::Long => {
                a.lgdt(ptr(GDTR_OFF as u64))?;
                a.mov(eax, cr0)?;
                a.or(eax, 1)?;
                a.mov(cr0, eax)?;
                a.add_instruction(
                    Instruction::with_far_branch(Code::Jmp_ptr1632, CODE32_SEL, code32_ip as u32)
                        .unwrap(),
                )
            }
        }
    });
    put(&mut image, real_ip as usize, &code);
    if mode == Mode::Real {
        hlt_v = 0xf_0000 + real_ip + code.len() as u64 - 1;
        rax_v = rax_for(marker) & 0xffff_ffff;
        rsp_v = 0x7000;
    }
    // The reset vector: jmp far F000:8000.
    put(&mut image, 0xfff0, &[0xea, 0x00, 0x80, 0x00, 0xf0]);
    Firmware {
        image,
        hlt: hlt_v,
        marker,
        rax: rax_v,
        rsp: rsp_v,
        text,
    }
}

/// How the firmware is given to QEMU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rom {
    /// A read-only pflash: not RAM, so not in the dump; a machine below
    /// 4 GiB in 32-bit mode then dumps as ELF32.
    Flash,
    /// `-bios`: a ROM region at the top of 4 GiB that QEMU dumps too, so
    /// the core is ELF64 even for a 32-bit guest.
    Bios,
}

/// Debian's QEMU as `scripts/setup` leaves it in `.cache/qemu`.
pub struct Qemu {
    root: PathBuf,
}

impl Qemu {
    /// QEMU, or `None` after printing the skip line.
    pub fn find() -> Option<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/qemu/root");
        let q = Self { root };
        let ok = q
            .command()
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            println!("SKIPPED: no qemu-system-x86 in .cache/qemu (scripts/setup fetches it)");
            return None;
        }
        Some(q)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(self.root.join("usr/bin/qemu-system-x86_64"));
        let libs = [
            self.root.join("usr/lib/x86_64-linux-gnu"),
            self.root.join("lib/x86_64-linux-gnu"),
        ];
        let joined = std::env::join_paths(libs).expect("library path");
        c.env("LD_LIBRARY_PATH", joined);
        c.env(
            "QEMU_MODULE_DIR",
            self.root.join("usr/lib/x86_64-linux-gnu/qemu"),
        );
        c
    }

    /// Boots `fw` on `cpus` vCPUs, waits for its marker and its halt, and
    /// returns the path of a `dump-guest-memory` core of it.
    pub fn dump(&self, name: &str, fw: &Firmware, rom: Rom, cpus: u32) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("qemu-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let fw_path = dir.join("fw.bin");
        std::fs::write(&fw_path, &fw.image).expect("write firmware");
        let qmp = dir.join("qmp.sock");
        let core = dir.join("core.elf");
        let mut cmd = self.command();
        cmd.args(["-machine", "pc", "-accel", "tcg", "-m", "16", "-nodefaults"])
            .args(["-display", "none", "-no-reboot", "-smp", &cpus.to_string()])
            .args([
                "-chardev",
                "stdio,id=dbg",
                "-device",
                "isa-debugcon,iobase=0xe9,chardev=dbg",
            ])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp.display()));
        match rom {
            Rom::Flash => cmd.arg("-drive").arg(format!(
                "if=pflash,format=raw,readonly=on,file={}",
                fw_path.display()
            )),
            Rom::Bios => cmd.arg("-bios").arg(&fw_path),
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = Guard(cmd.spawn().expect("start qemu"));
        let (done, watchdog) = mpsc::channel::<()>();
        let pid = child.0.id();
        // A safety net, not a timing assertion: a guest that never writes
        // its marker would hang the test; after two minutes the watchdog
        // ends the QEMU it started (by its pid) so the test fails instead.
        let dog = std::thread::spawn(move || {
            if watchdog.recv_timeout(Duration::from_secs(120)).is_err() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        });

        let mut stdout = child.0.stdout.take().expect("stdout");
        let mut byte = [0u8; 1];
        loop {
            match stdout.read(&mut byte) {
                Ok(1) if byte[0] == fw.marker => break,
                Ok(1) => continue,
                _ => {
                    let mut err = String::new();
                    if let Some(mut e) = child.0.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("QEMU ended before the guest's marker: {err}");
                }
            }
        }

        let mut q = Qmp::connect(&qmp);
        q.call(r#"{"execute":"qmp_capabilities"}"#);
        // The marker comes from the instruction before `hlt`: wait until
        // the boot vCPU (the monitor's current CPU) has halted, so the
        // dump sees RIP past the `hlt` every time.
        loop {
            let regs = q.call(
                r#"{"execute":"human-monitor-command","arguments":{"command-line":"info registers"}}"#,
            );
            if regs.as_str().unwrap_or_default().contains("HLT=1") {
                break;
            }
        }
        q.call(&format!(
            r#"{{"execute":"dump-guest-memory","arguments":{{"paging":false,"protocol":"file:{}"}}}}"#,
            core.display()
        ));
        q.call(r#"{"execute":"quit"}"#);
        let status = child.0.wait().expect("wait for qemu");
        let _ = done.send(());
        let _ = dog.join();
        assert!(status.success(), "qemu exited with {status}");
        core
    }
}

/// Ends QEMU if the test panics before it quits.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A QMP connection.
struct Qmp {
    out: UnixStream,
    lines: BufReader<UnixStream>,
}

impl Qmp {
    fn connect(path: &Path) -> Self {
        let out = UnixStream::connect(path).expect("connect to QMP");
        let lines = BufReader::new(out.try_clone().expect("clone QMP socket"));
        let mut q = Self { out, lines };
        q.read(); // the greeting
        q
    }

    fn read(&mut self) -> serde_json::Value {
        let mut line = String::new();
        let n = self.lines.read_line(&mut line).expect("read QMP");
        assert!(n > 0, "QMP connection closed");
        serde_json::from_str(&line).expect("QMP JSON")
    }

    /// Sends `command` and returns its `return` value (events are skipped).
    fn call(&mut self, command: &str) -> serde_json::Value {
        self.out.write_all(command.as_bytes()).expect("write QMP");
        self.out.write_all(b"\n").expect("write QMP");
        loop {
            let v = self.read();
            if let Some(r) = v.get("return") {
                return r.clone();
            }
            if let Some(e) = v.get("error") {
                panic!("QMP {command}: {e}");
            }
        }
    }
}
