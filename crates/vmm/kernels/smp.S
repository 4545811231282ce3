# winhv's built-in test kernel (`winhv run` with no KERNEL): checks the
# multiboot hand-over, learns the CPU count from fw_cfg, takes local APIC
# timer interrupts, starts every AP with INIT/SIPI (a real-mode trampoline
# at 0x8000), sends each AP an IPI that it answers with one back, prints a
# report and powers off. Any exception prints its vector and leaves
# through isa-debug-exit with 0x3f. Everything after the hand-over runs in
# long mode (lib.S says why); CPL0 work is kept short: on PVM the host's
# emulator runs it (docs/pvm.md).

        .include "lib.S"

        # The local APIC's registers, from %rbp (which always holds its
        # base: 0xfee00000 is no sign-extended 32-bit displacement).
        .set APIC, 0xfee00000
        .set APIC_ID, 0x20
        .set APIC_EOI, 0xb0
        .set APIC_SVR, 0xf0
        .set APIC_ICR_LO, 0x300
        .set APIC_ICR_HI, 0x310
        .set APIC_LVT_TIMER, 0x320
        .set APIC_TIMER_INIT, 0x380
        .set APIC_TIMER_DIV, 0x3e0
        .set FW_CFG, 0x510
        .set FW_CFG_NB_CPUS, 5
        .set V_TIMER, 0x20
        .set V_IPI, 0x40
        .set V_ACK, 0x41
        .set TICKS, 10
        .set MAX_CPUS, 64
        .set SPIN_LIMIT, 2000000

        .section .multiboot, "a"
        multiboot_header

# ---- the AP trampoline: real mode at 0800:0000, to 32-bit protected mode
        .section .trampoline, "ax"
        .code16
ap_start:
        cli
        mov %cs, %ax
        mov %ax, %ds
        lgdtl ap_gdt_desc - ap_start
        mov %cr0, %eax
        or $1, %eax
        mov %eax, %cr0
        ljmpl $CODE32, $ap_entry32
        .align 8
ap_gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

        .text
        .code32
ap_entry32:
        mov $DATA, %ax                  # DS still has the real-mode limit
        mov %ax, %ds
        enter_long_mode ap_main

        .code64
main:
        mov $APIC, %ebp
        mov %rsi, %rbx                  # the multiboot information
        mov $banner, %rsi
        call puts
        cmp $0x2badb002, %edi
        je 1f
        mov $badmagic, %rsi
        call puts
        mov $0x3e, %al
        jmp debug_exit
1:      mov $mb_ok, %rsi
        call puts
        mov 8(%rbx), %eax               # mem_upper (KiB above 1 MiB)
        shr $10, %eax
        inc %eax
        call putdec
        mov $mib, %rsi
        call puts
        testl $4, (%rbx)                # a command line?
        jz 1f
        mov 16(%rbx), %esi
        call puts
1:      mov $quote_nl, %rsi
        call puts

        # The CPU count, from fw_cfg.
        mov $FW_CFG, %dx
        mov $FW_CFG_NB_CPUS, %ax
        out %ax, %dx
        inc %dx
        in %dx, %al
        movzbl %al, %ecx
        in %dx, %al
        cmp $MAX_CPUS, %ecx
        jbe 1f
        mov $MAX_CPUS, %ecx
1:      mov %ecx, ncpus
        mov $cpus_msg, %rsi
        call puts
        mov %ecx, %eax
        call putdec
        mov $'\n', %al
        call putc

        call idt_init
        lidt idt_desc
        movl $0x1ff, APIC_SVR(%rbp)           # APIC on, spurious vector 0xff

        # The timer: periodic, divide by 1, 1,000,000 bus cycles.
        movl $0xb, APIC_TIMER_DIV(%rbp)
        movl $(V_TIMER | 0x20000), APIC_LVT_TIMER(%rbp)
        movl $1000000, APIC_TIMER_INIT(%rbp)
1:      cli
        cmpl $TICKS, ticks
        jae 2f
        sti
        hlt
        jmp 1b
2:      movl $0, APIC_TIMER_INIT(%rbp)
        movl $0x10000, APIC_LVT_TIMER(%rbp)   # masked
        mov $timer_msg, %rsi
        call puts
        mov ticks, %eax
        call putdec
        mov $ticks_msg, %rsi
        call puts

        # The APs, one at a time: INIT, SIPI (vector 8: 0x8000), wait.
        mov $1, %ebx
ap_loop:
        cmp ncpus, %ebx
        jae aps_done
        mov %ebx, %eax
        shl $24, %eax
        mov %eax, APIC_ICR_HI(%rbp)
        movl $0x4500, APIC_ICR_LO(%rbp)       # INIT, assert
        mov %eax, APIC_ICR_HI(%rbp)
        movl $0x4608, APIC_ICR_LO(%rbp)       # SIPI, vector 8
        mov $SPIN_LIMIT, %ecx
1:      cmp %ebx, ap_online
        je 2f
        pause
        loop 1b
        mov $ap_lost, %rsi
        call puts
        mov %ebx, %eax
        call putdec
        mov $'\n', %al
        call putc
        mov $0x3d, %al
        jmp debug_exit
2:      inc %ebx
        jmp ap_loop
aps_done:

        # One IPI to each AP; each counts it and wakes the BSP with one
        # back. The BSP waits for the counts, not for its own interrupts:
        # answers that arrive together are one pending vector.
        mov $1, %ebx
1:      cmp ncpus, %ebx
        jae 2f
        mov %ebx, %eax
        shl $24, %eax
        mov %eax, APIC_ICR_HI(%rbp)
        movl $(0x4000 | V_IPI), APIC_ICR_LO(%rbp)
        inc %ebx
        jmp 1b
2:      mov ncpus, %ebx
        dec %ebx                        # answers expected
1:      cli
        call count_answers
        cmp %ebx, %eax
        jae 2f
        sti
        hlt
        jmp 1b
2:      mov $1, %ebx
3:      cmp ncpus, %ebx
        jae 4f
        mov $ipi_msg, %rsi
        call puts
        mov %ebx, %eax
        call putdec
        mov $answered, %rsi
        cmpl $1, ipis(,%rbx,4)
        je 5f
        mov $not_answered, %rsi
5:      call puts
        inc %ebx
        jmp 3b

4:      mov $report1, %rsi
        call puts
        mov ap_count, %eax
        inc %eax
        call putdec
        mov $report2, %rsi
        call puts
        mov ticks, %eax
        call putdec
        mov $report3, %rsi
        call puts
        call count_answers
        call putdec
        mov $report4, %rsi
        call puts
        ret                             # _start powers off

# ---- an AP, in long mode --------------------------------------------------
ap_main:
        mov $DATA, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov %ax, %fs
        mov %ax, %gs
        mov $APIC, %ebp
        mov APIC_ID(%rbp), %ebx
        shr $24, %ebx
        mov %ebx, %esp
        inc %esp
        shl $12, %esp
        add $ap_stacks, %rsp
        lidt idt_desc
        movl $0x1ff, APIC_SVR(%rbp)
        mov $cpu_msg, %rsi
        call puts
        mov %ebx, %eax
        call putdec
        mov $online, %rsi
        call puts
        lock incl ap_count
        mov %ebx, ap_online
1:      sti
        hlt
        jmp 1b

# count_answers: %eax = how many APs counted their IPI.
count_answers:
        push %rcx
        xor %eax, %eax
        mov $1, %ecx
1:      cmp ncpus, %ecx
        jae 2f
        cmpl $0, ipis(,%rcx,4)
        je 3f
        inc %eax
3:      inc %ecx
        jmp 1b
2:      pop %rcx
        ret

# ---- interrupts -----------------------------------------------------------
timer_handler:
        incl ticks
        movl $0, APIC_EOI(%rbp)
        iretq

ipi_handler:                            # on an AP: count it, answer the BSP
        push %rax
        mov APIC_ID(%rbp), %eax
        shr $24, %eax
        lock incl ipis(,%rax,4)
        movl $0, APIC_ICR_HI(%rbp)
        movl $(0x4000 | V_ACK), APIC_ICR_LO(%rbp)
        movl $0, APIC_EOI(%rbp)
        pop %rax
        iretq

ack_handler:                            # on the BSP
        lock incl acks
        movl $0, APIC_EOI(%rbp)
        iretq

# idt_init: the defaults, then the three vectors this kernel takes.
idt_init:
        call idt_defaults
        mov $V_TIMER, %ecx
        mov $timer_handler, %eax
        call idt_set
        mov $V_IPI, %ecx
        mov $ipi_handler, %eax
        call idt_set
        mov $V_ACK, %ecx
        mov $ack_handler, %eax
        call idt_set
        ret

        .section .rodata
banner:     .asciz "winhv test kernel\n"
badmagic:   .asciz "multiboot: bad magic in EAX\n"
mb_ok:      .asciz "multiboot: magic ok, "
mib:        .asciz " MiB, cmdline \""
quote_nl:   .asciz "\"\n"
cpus_msg:   .asciz "cpus: "
timer_msg:  .asciz "timer: "
ticks_msg:  .asciz " ticks\n"
cpu_msg:    .asciz "cpu "
online:     .asciz ": online\n"
ap_lost:    .asciz "no answer from cpu "
ipi_msg:    .asciz "ipi: cpu "
answered:   .asciz " answered\n"
not_answered: .asciz " did not answer\n"
report1:    .asciz "report: "
report2:    .asciz " cpus online, "
report3:    .asciz " timer ticks, "
report4:    .asciz " IPIs answered\n"

        .data
        .align 8
ncpus:      .long 1
ticks:      .long 0
acks:       .long 0
ap_online:  .long 0
ap_count:   .long 0

        .bss
        .align 4096
ipis:       .skip MAX_CPUS * 4
ap_stacks:  .skip MAX_CPUS * 4096
