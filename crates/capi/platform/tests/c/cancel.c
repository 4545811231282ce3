/*
 * cancel.c -- WHvCancelRunVirtualProcessor from a second thread: a pthread
 * runs a guest that raises a flag in RAM and then spins forever; the main
 * thread waits for the flag (so the run is certainly in progress), cancels
 * it, and the run must return WHvRunVpExitReasonCanceled. Also: a cancel
 * with no run in progress makes the next run return Canceled at once, and
 * non-zero Flags answer E_INVALIDARG; deleting the partition while its VP
 * runs cancels the run. An alarm turns a lost cancel into a
 * failure instead of a hang.
 */
#include "guest.h"

#include <pthread.h>
#include <sched.h>

static const uint8_t code[] = {
    0xc6, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00, 0x01, /* mov byte [0x9000],1 */
    0xeb, 0xfe,                                     /* jmp $ */
};

typedef struct Run {
    TestVm *vm;
    HRESULT hr;
    WHV_RUN_VP_EXIT_CONTEXT exit;
} Run;

static void *runner(void *arg) {
    Run *r = (Run *)arg;
    r->hr = WHvRunVirtualProcessor(r->vm->partition, 0, &r->exit, sizeof r->exit);
    return NULL;
}

int main(void) {
    if (!have_kvm()) {
        return 0;
    }
    alarm(120);
    TestVm vm;
    vm_create(&vm, code, sizeof code);

    EXPECT_HR(WHvCancelRunVirtualProcessor(vm.partition, 0, 1), E_INVALIDARG);

    Run run;
    memset(&run, 0, sizeof run);
    run.vm = &vm;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, runner, &run) == 0);
    volatile uint8_t *flag = vm.ram + DATA_GPA;
    while (*flag == 0) {
        sched_yield();
    }
    CHECK(WHvCancelRunVirtualProcessor(vm.partition, 0, 0));
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK(run.hr);
    printf("running VP: exit reason 0x%x\n", (unsigned)run.exit.ExitReason);
    REQUIRE(run.exit.ExitReason == WHvRunVpExitReasonCanceled);

    /* A cancel before the run: the next run returns Canceled at once. */
    CHECK(WHvCancelRunVirtualProcessor(vm.partition, 0, 0));
    WHV_RUN_VP_EXIT_CONTEXT ctx;
    CHECK(WHvRunVirtualProcessor(vm.partition, 0, &ctx, sizeof ctx));
    REQUIRE(ctx.ExitReason == WHvRunVpExitReasonCanceled);

    /* Deleting the partition while its VP runs on another thread: the run
     * returns Canceled, the handle is dead at once. */
    *flag = 0;
    WHV_REGISTER_NAME rip = WHvX64RegisterRip;
    WHV_REGISTER_VALUE start;
    memset(&start, 0, sizeof start);
    start.Reg64 = CODE_GPA;
    CHECK(WHvSetVirtualProcessorRegisters(vm.partition, 0, &rip, 1, &start));
    memset(&run, 0, sizeof run);
    run.vm = &vm;
    REQUIRE(pthread_create(&t, NULL, runner, &run) == 0);
    while (*flag == 0) {
        sched_yield();
    }
    CHECK(WHvDeletePartition(vm.partition));
    EXPECT_HR(WHvCancelRunVirtualProcessor(vm.partition, 0, 0), E_HANDLE);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK(run.hr);
    printf("VP of a deleted partition: exit reason 0x%x\n", (unsigned)run.exit.ExitReason);
    REQUIRE(run.exit.ExitReason == WHvRunVpExitReasonCanceled);
    CHECK(WHvEmulatorDestroyEmulator(vm.emulator));
    munmap(vm.ram, RAM_SIZE);
    printf("PASS\n");
    return 0;
}
