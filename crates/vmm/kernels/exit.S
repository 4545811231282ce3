# Prints a line and leaves through isa-debug-exit with 0x21 (status 0x43).
        .include "lib.S"
        elf_kernel
main:
        mov $msg, %rsi
        call puts
        mov $0x21, %al
        jmp debug_exit
        .section .rodata
msg:    .asciz "exit kernel: leaving with 0x21\n"
