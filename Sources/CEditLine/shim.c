#include "shim.h"
#include <string.h>

volatile sig_atomic_t policy_interrupted = 0;

static void policy_on_sigint(int signo) {
    (void)signo;
    policy_interrupted = 1;
}

void policy_install_sigint(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = policy_on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGINT, &action, NULL);
}

int policy_take_interrupt(void) {
    int was = policy_interrupted != 0;
    policy_interrupted = 0;
    return was;
}

int policy_peek_interrupt(void) { return policy_interrupted != 0; }

void policy_clear_interrupt(void) { policy_interrupted = 0; }
