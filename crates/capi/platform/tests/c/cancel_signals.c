/*
 * cancel_signals.c -- WHvCancelRunVirtualProcessor whatever the program
 * does with signals, as a Linux port of a Windows VMM may: the VP thread
 * blocks every signal (pthread_sigmask) before WHvRunVirtualProcessor; the
 * program ignores SIGRTMIN+3 (winhv's kick signal); the program installs
 * its own SA_SIGINFO handler for it. The guest runs at CPL3: it raises a
 * flag in RAM and spins. The main thread waits for the flag (the run is
 * certainly in progress), cancels once, and the run must return Canceled.
 * An alarm turns a lost cancel into a failure instead of a hang.
 */
#include "guest.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

static const uint8_t code[] = {
    0xc6, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00, 0x01, /* mov byte [0x9000],1 */
    0xeb, 0xfe,                                     /* jmp $ */
};

/* VP 0 at CPL3: user page tables, user code and stack segments. */
static void enter_user_mode(TestVm *vm) {
    uint64_t *pml4 = (uint64_t *)(vm->ram + 0x1000);
    uint64_t *pdpt = (uint64_t *)(vm->ram + 0x2000);
    uint64_t *pd = (uint64_t *)(vm->ram + 0x3000);
    pml4[0] = 0x2000 | 0x7; /* P, RW, US */
    pdpt[0] = 0x3000 | 0x7;
    pd[0] = 0x0 | 0x87; /* 2 MiB, P, RW, US */
    static const WHV_REGISTER_NAME names[] = {
        WHvX64RegisterCs, WHvX64RegisterSs, WHvX64RegisterDs, WHvX64RegisterEs,
    };
    WHV_REGISTER_VALUE v[4];
    memset(v, 0, sizeof v);
    v[0].Segment = segment(0x33, 0xA0FB); /* G, L, P, DPL 3, execute/read */
    v[1].Segment = segment(0x2B, 0xC0F3); /* G, D, P, DPL 3, read/write */
    v[2].Segment = segment(0x2B, 0xC0F3);
    v[3].Segment = segment(0x2B, 0xC0F3);
    CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, names, 4, v));
}

static int kick(void) {
    return SIGRTMIN + 3;
}

typedef struct Run {
    TestVm *vm;
    int block_all;
    int rounds;
    HRESULT hr;
    UINT32 reason;
    int mask_changed;
    int kick_left_pending;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go;   /* rounds the main thread released */
    int done; /* rounds finished */
} Run;

static void *runner(void *arg) {
    Run *r = (Run *)arg;
    sigset_t before, after, pending;
    if (r->block_all) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    for (int i = 0; i < r->rounds; i++) {
        pthread_mutex_lock(&r->lock);
        while (r->go <= i) {
            pthread_cond_wait(&r->cond, &r->lock);
        }
        pthread_mutex_unlock(&r->lock);
        WHV_RUN_VP_EXIT_CONTEXT exit;
        r->hr = WHvRunVirtualProcessor(r->vm->partition, 0, &exit, sizeof exit);
        r->reason = (UINT32)exit.ExitReason;
        pthread_sigmask(SIG_BLOCK, NULL, &after);
        for (int s = 1; s < 65; s++) {
            if (sigismember(&before, s) != sigismember(&after, s)) {
                r->mask_changed = 1;
            }
        }
        sigpending(&pending);
        if (sigismember(&pending, kick())) {
            r->kick_left_pending = 1;
        }
        pthread_mutex_lock(&r->lock);
        r->done = i + 1;
        pthread_cond_signal(&r->cond);
        pthread_mutex_unlock(&r->lock);
        if (FAILED(r->hr) || r->reason != WHvRunVpExitReasonCanceled) {
            break;
        }
    }
    return NULL;
}

/* Runs `rounds` runs on a new thread (blocking every signal there when
 * `block_all`), each from the start of the guest, and cancels each one
 * once it is running. */
static void cancel_rounds(TestVm *vm, int block_all, int rounds) {
    Run r;
    memset(&r, 0, sizeof r);
    r.vm = vm;
    r.block_all = block_all;
    r.rounds = rounds;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.cond, NULL);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, runner, &r) == 0);
    volatile uint8_t *flag = vm->ram + DATA_GPA;
    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    WHV_REGISTER_VALUE start;
    memset(&start, 0, sizeof start);
    start.Reg64 = CODE_GPA;
    for (int i = 0; i < rounds; i++) {
        /* From the start: the guest must run again to raise the flag (a
         * kick left pending would keep it from running at all). */
        *flag = 0;
        CHECK(WHvSetVirtualProcessorRegisters(vm->partition, 0, &rip, 1, &start));
        pthread_mutex_lock(&r.lock);
        r.go = i + 1;
        pthread_cond_signal(&r.cond);
        pthread_mutex_unlock(&r.lock);
        while (*flag == 0) {
            sched_yield();
        }
        CHECK(WHvCancelRunVirtualProcessor(vm->partition, 0, 0));
        pthread_mutex_lock(&r.lock);
        while (r.done <= i) {
            pthread_cond_wait(&r.cond, &r.lock);
        }
        pthread_mutex_unlock(&r.lock);
        CHECK(r.hr);
        printf("block_all %d round %d: exit reason 0x%x\n", block_all, i, (unsigned)r.reason);
        REQUIRE(r.reason == WHvRunVpExitReasonCanceled);
    }
    REQUIRE(pthread_join(t, NULL) == 0);
    REQUIRE(!r.mask_changed);
    REQUIRE(!r.kick_left_pending);
}

static volatile sig_atomic_t handled;
static volatile sig_atomic_t handled_value;

static void program_handler(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)ctx;
    handled++;
    handled_value = info->si_value.sival_int;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    alarm(120);
    TestVm vm;
    vm_create(&vm, code, sizeof code);
    enter_user_mode(&vm);

    /* The VP thread blocks every signal. */
    cancel_rounds(&vm, 1, 3);

    /* The program ignores SIGRTMIN+3 (winhv installed its handler when
     * the VP was created). */
    signal(kick(), SIG_IGN);
    cancel_rounds(&vm, 0, 2);
    raise(kick()); /* still ignored for the program's own signals */

    /* The program's own SA_SIGINFO handler for the same signal. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = program_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(kick(), &sa, NULL) == 0);
    cancel_rounds(&vm, 0, 2);
    REQUIRE(handled == 0); /* winhv's kicks are not passed on */
    union sigval value;
    value.sival_int = 42;
    REQUIRE(sigqueue(getpid(), kick(), value) == 0);
    while (handled == 0) {
        sched_yield();
    }
    REQUIRE(handled == 1 && handled_value == 42); /* the program's own, with its siginfo */

    /* Both at once: every signal blocked and the program's handler. */
    cancel_rounds(&vm, 1, 2);
    REQUIRE(handled == 1);

    vm_destroy(&vm);
    printf("PASS\n");
    return 0;
}
