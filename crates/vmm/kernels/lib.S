# Shared by winhv's multiboot test kernels (GNU as --64, AT&T syntax; ELF32
# images by objcopy, or flat ones for the a.out kludge): the
# multiboot header macro; _start, which goes from the loader's 32-bit
# protected mode to long mode (identity-mapped first 4 GiB, 2 MiB pages)
# and calls the kernel's `main` with RDI = EAX (the magic) and RSI = EBX
# (the multiboot information); COM1 output, decimal numbers, the exits.
# Long mode because on PVM the host emulates CPL0 code and its emulator
# has no protected-mode IRET, while 64-bit interrupts work (docs/pvm.md).

        .set MB_MAGIC, 0x1BADB002
        .set COM1, 0x3f8
        .set DEBUG_EXIT, 0xf4
        .set PM1A_CNT, 0x604
        .set CODE32, 0x08
        .set DATA, 0x10
        .set CODE64, 0x18

# A multiboot header with the given flags (bits 0 and 1: ask for aligned
# modules and memory information).
.macro multiboot_header flags=0x3
        .align 4
        .long MB_MAGIC, \flags, -(MB_MAGIC + \flags)
.endm

# The start of an ELF kernel's source: its header, then 64-bit code (its
# `main` follows).
.macro elf_kernel
        .section .multiboot, "a"
        multiboot_header
        .text
        .code64
.endm

# From 32-bit protected mode (paging off) to long mode, then a far jump to
# the 64-bit code at \target.
.macro enter_long_mode target
        lgdt gdt_desc
        mov $pml4, %eax
        mov %eax, %cr3
        mov %cr4, %eax
        or $0x20, %eax                  # PAE
        mov %eax, %cr4
        mov $0xc0000080, %ecx           # EFER.LME
        rdmsr
        or $0x100, %eax
        wrmsr
        mov %cr0, %eax
        or $0x80000001, %eax            # PG, PE
        mov %eax, %cr0
        ljmp $CODE64, $\target
.endm

        .text
        .code32
        .globl _start
_start:
        cli
        mov %eax, %edi
        mov %ebx, %esi
        enter_long_mode 1f
        .code64
1:      mov $DATA, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov %ax, %fs
        mov %ax, %gs
        mov $stack_top, %rsp
        call main
        jmp poweroff

# putc: %al to COM1.
putc:
        push %rdx
        mov $COM1, %dx
        out %al, %dx
        pop %rdx
        ret

# puts: the NUL-terminated string at %rsi.
puts:
        push %rax
        push %rsi
1:      lodsb
        test %al, %al
        jz 2f
        call putc
        jmp 1b
2:      pop %rsi
        pop %rax
        ret

# putdec: %eax in decimal.
putdec:
        push %rax
        push %rbx
        push %rcx
        push %rdx
        mov $10, %ecx
        xor %ebx, %ebx
1:      xor %edx, %edx
        div %ecx
        push %rdx
        inc %ebx
        test %eax, %eax
        jnz 1b
2:      pop %rax
        add $'0', %al
        call putc
        dec %ebx
        jnz 2b
        pop %rdx
        pop %rcx
        pop %rbx
        pop %rax
        ret

# debug_exit: ends the VM through isa-debug-exit with %al.
debug_exit:
        out %al, $DEBUG_EXIT
1:      cli
        hlt
        jmp 1b

# poweroff: ACPI S5 through PM1a control (SLP_EN | SLP_TYP 5).
poweroff:
        mov $PM1A_CNT, %dx
        mov $0x3400, %ax
        out %ax, %dx
1:      cli
        hlt
        jmp 1b

# ---- interrupts: a 64-bit IDT (lidt idt_desc), every vector ignored but
# the exceptions, which print their vector and leave with 0x3f.
spurious_handler:
        iretq

exception_common:                       # the vector on the stack
        mov $exc_msg, %rsi
        call puts
        pop %rax
        call putdec
        mov $'\n', %al
        call putc
        mov $0x3f, %al
        jmp debug_exit

# One 8-byte stub per exception vector: push the vector, go to the common part.
        .align 8
exception_stubs:
        .set vector, 0
.rept 32
        .align 8
        push $vector
        jmp exception_common
        .set vector, vector + 1
.endr

# idt_defaults: every vector to spurious_handler, exceptions to their stubs.
idt_defaults:
        xor %ecx, %ecx
1:      mov $spurious_handler, %eax
        cmp $32, %ecx
        jae 2f
        lea exception_stubs(,%rcx,8), %eax
2:      call idt_set
        inc %ecx
        cmp $256, %ecx
        jb 1b
        ret

# idt_set: gate %ecx → handler %eax (64-bit interrupt gate, CS 0x18; the
# kernel lives below 4 GiB, so the offset's upper half is 0).
idt_set:
        push %rdx
        push %rcx
        shl $4, %ecx
        mov %eax, %edx
        and $0xffff, %edx
        or $(CODE64 << 16), %edx
        mov %edx, idt(%rcx)
        mov %eax, %edx
        and $0xffff0000, %edx
        or $0x8e00, %edx
        mov %edx, idt+4(%rcx)
        movq $0, idt+8(%rcx)
        pop %rcx
        pop %rdx
        ret

        .section .rodata
exc_msg:    .asciz "exception "

        .data
        .align 8
idt_desc:                               # lidt in long mode: a 64-bit base
        .word 256 * 16 - 1
        .quad idt
gdt:
        .quad 0
        .quad 0x00cf9b000000ffff        # 0x08: code, flat 32-bit
        .quad 0x00cf93000000ffff        # 0x10: data, flat
        .quad 0x00af9b000000ffff        # 0x18: code, 64-bit
gdt_end:
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

# The identity map of the first 4 GiB: PML4, PDPT, four directories of
# 2 MiB pages.
        .align 4096
pml4:   .long pdpt + 3, 0
        .fill 511, 8, 0
pdpt:   .long pd + 3, 0, pd + 0x1003, 0, pd + 0x2003, 0, pd + 0x3003, 0
        .fill 508, 8, 0
pd:
        .set page, 0
.rept 2048
        .long (page << 21) | 0x83, 0
        .set page, page + 1
.endr

        .bss
        .align 4096
idt:    .skip 256 * 16
        .skip 4096
stack_top:
