# The a.out kludge: a flat binary (ld --oformat binary) whose multiboot
# header gives its load addresses (flag 16); prints a line and powers off.
        .include "lib.S"
        .set FLAGS, 0x10003
        .section .multiboot, "a"
        .align 4
header: .long MB_MAGIC, FLAGS, -(MB_MAGIC + FLAGS)
        .long header, _load_start, _load_end, _bss_end, _start
        .text
        .code64
main:
        mov $msg, %rsi
        call puts
        cmpl $0, bss_word               # zeroed by the loader
        jne 1f
        movl $0x12345678, bss_word
        cmpl $0x12345678, bss_word
        jne 1f
        mov $ok, %rsi
        call puts
1:      ret
        .section .rodata
msg:    .asciz "a.out kernel: loaded by its header\n"
ok:     .asciz "a.out kernel: bss ok\n"
        .bss
bss_word: .long 0
        .skip 0x2000
