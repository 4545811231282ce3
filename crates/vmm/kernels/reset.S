# Prints a line and asks for a reset through port 0xcf9.
        .include "lib.S"
        elf_kernel
main:
        mov $msg, %rsi
        call puts
        mov $0xcf9, %dx
        mov $0x6, %al
        out %al, %dx
1:      hlt
        jmp 1b
        .section .rodata
msg:    .asciz "reset kernel: rebooting\n"
