// Non-variadic wrappers over the few libedit calls the shell needs (Swift cannot call
// C-variadic functions), and the process-wide interrupt flag set by the SIGINT handler.
#ifndef POLICY_EDITLINE_SHIM_H
#define POLICY_EDITLINE_SHIM_H

#include <stdio.h>
#include <histedit.h>
#include <signal.h>

/// Set by the SIGINT handler; cleared by the shell when it has dealt with it.
extern volatile sig_atomic_t policy_interrupted;

/// Installs a SIGINT handler that only sets `policy_interrupted` (no SA_RESTART, so a
/// blocked read returns EINTR).
void policy_install_sigint(void);
/// Reads and clears the flag (C globals cannot be touched from Swift 6).
int policy_take_interrupt(void);
int policy_peek_interrupt(void);
void policy_clear_interrupt(void);

/// Registers a temporary file to be removed if SIGINT, SIGTERM, SIGHUP or SIGQUIT ends the
/// process before it is renamed into place (the handlers are installed on first use, only
/// for signals still at their default action). Returns a slot for `policy_temp_unregister`,
/// or -1 if the table is full.
int policy_temp_register(const char *path);
void policy_temp_unregister(int slot);

static inline FILE *policy_stdin(void) { return stdin; }
static inline FILE *policy_stdout(void) { return stdout; }
static inline FILE *policy_stderr(void) { return stderr; }

static inline int policy_el_set_prompt(EditLine *el, char *(*fn)(EditLine *)) {
    return el_set(el, EL_PROMPT, fn);
}
static inline int policy_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int policy_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int policy_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *policy_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}
static inline int policy_el_add_function(EditLine *el, const char *name, const char *help,
                                         unsigned char (*fn)(EditLine *, int)) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int policy_el_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, NULL);
}
static inline int policy_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
/// In edit mode, Ctrl-C arrives as a key (bound to the shell's "clear the entry"), not a signal.
static inline int policy_el_setty_noisig(EditLine *el) { return el_set(el, EL_SETTY, "-d", "-isig", NULL); }

static inline int policy_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int policy_history_setunique(History *h, int on) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, on);
}
static inline int policy_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
static inline int policy_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int policy_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}
static inline int policy_history_save_fp(History *h, FILE *fp) {
    HistEvent ev;
    return history(h, &ev, H_SAVE_FP, fp);
}
/// The history's entries, oldest first, through a callback (for `:history`).
static inline void policy_history_each(History *h, void *context, void (*fn)(void *, const char *)) {
    HistEvent ev;
    if (history(h, &ev, H_LAST) < 0) return;
    do { fn(context, ev.str); } while (history(h, &ev, H_PREV) >= 0);
}

#endif
