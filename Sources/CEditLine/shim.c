#include "shim.h"
#include <pthread.h>
#include <string.h>
#include <unistd.h>

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

/* Temporary files being written (by the safe-write code), removed if a signal ends the
 * process before they are renamed into place. A fixed table, so the handler only reads
 * memory that never moves and calls async-signal-safe functions (unlink, raise). */
#define POLICY_TEMP_SLOTS 32
#define POLICY_TEMP_PATH_MAX 4096
static char policy_temp_paths[POLICY_TEMP_SLOTS][POLICY_TEMP_PATH_MAX];
static volatile sig_atomic_t policy_temp_live[POLICY_TEMP_SLOTS];
static pthread_mutex_t policy_temp_mutex = PTHREAD_MUTEX_INITIALIZER;
static int policy_cleanup_installed = 0;

static void policy_on_fatal_signal(int signo) {
    for (int i = 0; i < POLICY_TEMP_SLOTS; i++) {
        if (policy_temp_live[i]) unlink(policy_temp_paths[i]);
    }
    /* SA_RESETHAND restored the default action: the signal ends the process as it would have. */
    raise(signo);
}

/* Only signals that would end the process get the handler: one the program handles itself
 * (the prompt's Ctrl-C) or that is ignored keeps its disposition. */
static void policy_install_cleanup(int signo) {
    struct sigaction old;
    if (sigaction(signo, NULL, &old) != 0 || old.sa_handler != SIG_DFL) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = policy_on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(signo, &action, NULL);
}

int policy_temp_register(const char *path) {
    size_t length = strlen(path);
    if (length >= POLICY_TEMP_PATH_MAX) return -1;
    pthread_mutex_lock(&policy_temp_mutex);
    if (!policy_cleanup_installed) {
        policy_cleanup_installed = 1;
        policy_install_cleanup(SIGINT);
        policy_install_cleanup(SIGTERM);
        policy_install_cleanup(SIGHUP);
        policy_install_cleanup(SIGQUIT);
    }
    int slot = -1;
    for (int i = 0; i < POLICY_TEMP_SLOTS; i++) {
        if (!policy_temp_live[i]) {
            memcpy(policy_temp_paths[i], path, length + 1);
            __sync_synchronize(); /* the path is whole before the slot is marked live */
            policy_temp_live[i] = 1;
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&policy_temp_mutex);
    return slot;
}

void policy_temp_unregister(int slot) {
    if (slot < 0 || slot >= POLICY_TEMP_SLOTS) return;
    pthread_mutex_lock(&policy_temp_mutex);
    policy_temp_live[slot] = 0;
    pthread_mutex_unlock(&policy_temp_mutex);
}
