# Prints a line, loads an empty IDT and raises an exception: a triple fault.
        .include "lib.S"
        elf_kernel
main:
        mov $msg, %rsi
        call puts
        lidt empty_idt
        int3
1:      hlt
        jmp 1b
        .section .rodata
msg:    .asciz "triple kernel: faulting\n"
        .align 8
empty_idt:
        .word 0
        .quad 0
