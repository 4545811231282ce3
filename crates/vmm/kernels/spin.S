# Prints a line and halts with interrupts off forever (Ctrl-C ends it).
        .include "lib.S"
        elf_kernel
main:
        mov $msg, %rsi
        call puts
1:      cli
        hlt
        jmp 1b
        .section .rodata
msg:    .asciz "spin kernel: waiting forever\n"
