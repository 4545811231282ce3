# Reads a line from COM1 (polling the line status register's data-ready
# bit), prints it back and powers off.
        .include "lib.S"
        elf_kernel
main:
        mov $ready, %rsi
        call puts
        mov $line, %rdi
1:      mov $(COM1 + 5), %dx            # LSR
        in %dx, %al
        test $1, %al
        jz 1b
        mov $COM1, %dx
        in %dx, %al
        cmp $'\n', %al
        je 2f
        stosb
        cmp $(line + 120), %rdi
        jb 1b
2:      movb $0, (%rdi)
        mov $got, %rsi
        call puts
        mov $line, %rsi
        call puts
        mov $'\n', %al
        call putc
        ret
        .section .rodata
ready:  .asciz "echo kernel: ready\n"
got:    .asciz "echo: "
        .bss
line:   .skip 128
