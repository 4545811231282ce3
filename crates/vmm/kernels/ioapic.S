# Interrupts through the user-space IOAPIC: the PIT's IRQ 0 (pin 2) at
# 1 kHz, and pc-testdev's IRQ line 5 (pin 5), each routed to a vector of
# its own on the BSP; prints what arrived and powers off.
        .include "lib.S"
        .set IOAPIC, 0xfec00000
        .set V_PIT, 0x30
        .set V_LINE, 0x31
        elf_kernel
main:
        call idt_defaults
        mov $V_PIT, %ecx
        mov $pit_handler, %eax
        call idt_set
        mov $V_LINE, %ecx
        mov $line_handler, %eax
        call idt_set
        lidt idt_desc
        mov $0xfee00000, %ebp
        movl $0x1ff, 0xf0(%rbp)         # local APIC on
        mov $IOAPIC, %edi
        movl $(0x10 + 2 * 2), (%rdi)    # pin 2 → V_PIT, APIC 0
        movl $V_PIT, 0x10(%rdi)
        movl $(0x11 + 2 * 2), (%rdi)
        movl $0, 0x10(%rdi)
        movl $(0x10 + 2 * 5), (%rdi)    # pin 5 → V_LINE, APIC 0
        movl $V_LINE, 0x10(%rdi)
        movl $(0x11 + 2 * 5), (%rdi)
        movl $0, 0x10(%rdi)

        # pc-testdev's IRQ line 5.
        mov $0x2005, %dx
        mov $1, %al
        out %al, %dx
1:      cli
        cmpl $1, lines
        jae 2f
        sti
        hlt
        jmp 1b
2:      mov $line_msg, %rsi
        call puts

        # PIT channel 0, mode 2, 1193 (1 kHz).
        mov $0x34, %al
        out %al, $0x43
        mov $(1193 & 0xff), %al
        out %al, $0x40
        mov $(1193 >> 8), %al
        out %al, $0x40
1:      cli
        cmpl $5, ticks
        jae 2f
        sti
        hlt
        jmp 1b
2:      movl $(0x10 + 2 * 2), (%rdi)    # mask pin 2 again
        movl $(0x10000 | V_PIT), 0x10(%rdi)
        mov $pit_msg, %rsi
        call puts
        ret

pit_handler:
        incl ticks
        movl $0, 0xb0(%rbp)
        iretq
line_handler:
        incl lines
        movl $0, 0xb0(%rbp)
        iretq

        .section .rodata
line_msg: .asciz "ioapic: pc-testdev irq 5 arrived\n"
pit_msg:  .asciz "ioapic: 5 pit ticks arrived\n"
        .data
ticks:  .long 0
lines:  .long 0
